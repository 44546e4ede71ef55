#!/usr/bin/env bash
# Builds the Debian package libapache2-mod-authnz-node_<version>-1_<arch>.deb with dpkg-deb, offline:
#   bash scripts/package-deb.sh [--out DIR]        (npm run package:deb builds dist/ first, then runs this)
# Everything happens under build/deb/: the module and the addon are compiled again in build/deb/native
# with the installed paths as the module's defaults (/usr/bin/node, /usr/lib/mod-authnz-node/dist/worker.js),
# so the checkout's own build/Release is untouched; build/deb/root is the package's tree. The worker's
# runtime node_modules are copied from the checkout's (the production subset, the same list the demo
# stages: src/demo/stage-worker.ts), their native addons as built or shipped for this machine's
# architecture. The .deb is written to DIR (default: build/deb) and its path printed on stdout.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"

out_dir="$repo/build/deb"
usage() { sed -n '2,3p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
while (($#)); do
  case "$1" in
    --out) [ $# -ge 2 ] || usage; out_dir=$2; shift ;;
    -h|--help) usage ;;
    *) echo "package-deb: unknown option $1" >&2; usage ;;
  esac
  shift
done

package=libapache2-mod-authnz-node
upstream_version=$(node -p "require('./package.json').version")
version="${upstream_version}-1"
arch=$(dpkg --print-architecture)
node_arch=$(node -p "process.arch")
libexecdir=$( (apxs -q LIBEXECDIR 2>/dev/null) || echo /usr/lib/apache2/modules)
sysconfdir=/etc/apache2
prefix=/usr/lib/mod-authnz-node
docdir=/usr/share/doc/$package
maintainer=${DEB_MAINTAINER:-"mod_authnz_node maintainers <maintainers@users.noreply.r-seed-eb47ee72.example>"}

changelog_version=$(sed -n '1s/^[^ ]* (\([^)]*\)).*/\1/p' packaging/debian/changelog)
if [ "$changelog_version" != "$version" ]; then
  echo "package-deb: packaging/debian/changelog's first entry is $changelog_version, package.json makes $version: add an entry" >&2
  exit 1
fi
for needed in dist/worker.js dist/demo/stage-worker.js node_modules/.package-lock.json; do
  [ -e "$needed" ] || { echo "package-deb: $needed is missing: run npm ci and npm run build first" >&2; exit 1; }
done

work="$repo/build/deb"
root="$work/root"
mkdir -p "$work"

# 1. The module and the addon, with the package's paths compiled in. Native builds of this tree take the
#    build lock (scripts/fuzz.sh does the same): several builds may share the checkout.
#    Debian's hardening flags (dpkg-buildflags) as a Debian build would use them; cmake-js always passes
#    CMAKE_CXX_FLAGS (with -DBUILDING_NODE_EXTENSION), so the flags go in as the Release build's, not through
#    the environment.
echo "package-deb: compiling the module for $prefix/dist/worker.js" >&2
flags() { DEB_BUILD_MAINT_OPTIONS=hardening=+all dpkg-buildflags --get "$1"; }
cppflags=$(flags CPPFLAGS)
ldflags=$(flags LDFLAGS)
#    Configure every time from a fresh cache (compile alone keeps an earlier cache's settings, and a
#    setting left out would keep its old value), then an incremental build.
configure=(--out build/deb/native
  --CDANP_DEFAULT_NODE_PATH=/usr/bin/node --CDANP_DEFAULT_WORKER_PATH="$prefix/dist/worker.js"
  --CDCMAKE_C_FLAGS_RELEASE="-DNDEBUG $(flags CFLAGS) $cppflags" --CDCMAKE_CXX_FLAGS_RELEASE="-DNDEBUG $(flags CXXFLAGS) $cppflags"
  --CDCMAKE_MODULE_LINKER_FLAGS="$ldflags" --CDCMAKE_SHARED_LINKER_FLAGS="$ldflags" --CDCMAKE_EXE_LINKER_FLAGS="$ldflags")
rm -f build/deb/native/CMakeCache.txt
flock /tmp/anp-build.lock bash -c 'npx --no-install cmake-js configure "$@" && npx --no-install cmake-js build --out build/deb/native' \
  package-deb "${configure[@]}" >"$work/native.log" 2>&1 \
  || { tail -30 "$work/native.log" >&2; echo "package-deb: native build failed (log: $work/native.log)" >&2; exit 1; }
native="$work/native/Release"

rm -rf "$root"
install -d -m 0755 "$root$libexecdir" "$root$sysconfdir/mods-available" "$root$prefix/build/Release" \
  "$root$docdir" "$root/usr/share/lintian/overrides" "$root/DEBIAN"

# 2. Apache's side: the module, its .load (pointing at where this Apache keeps modules) and .conf.
install -m 0644 "$native/mod_authnz_node.so" "$root$libexecdir/mod_authnz_node.so"
sed "s#^\([[:space:]]*\)LoadModule[[:space:]]\{1,\}authnz_node_module[[:space:]].*#\1LoadModule authnz_node_module $libexecdir/mod_authnz_node.so#" \
  httpd-conf/authnz_node.load >"$root$sysconfdir/mods-available/authnz_node.load"
install -m 0644 httpd-conf/authnz_node.conf "$root$sysconfdir/mods-available/authnz_node.conf"
chmod 0644 "$root$sysconfdir/mods-available/authnz_node.load"

# 3. The worker: dist/ without the demo, maps and declarations; package.json (the worker reads its
#    version and "type": "module" from it); the addon where src/native/addon.ts looks for it.
(cd dist && find . -type f -name '*.js' ! -path './demo/*' -print0) | while IFS= read -r -d '' file; do
  install -D -m 0644 "dist/$file" "$root$prefix/dist/$file"
done
node -e '
  const p = require("./package.json");
  const keep = { name: p.name, version: p.version, description: p.description, license: p.license, type: p.type,
                 main: p.main, bin: p.bin, engines: p.engines, dependencies: p.dependencies };
  process.stdout.write(JSON.stringify(keep, null, 2) + "\n");' >"$root$prefix/package.json"
install -m 0644 "$native/anp_addon.node" "$root$prefix/build/Release/anp_addon.node"

# 4. The runtime node_modules, pruned of what runs nothing here: sources and objects of native builds,
#    prebuilt addons for other systems, tests, examples, TypeScript sources and maps.
node --input-type=module -e '
  const { runtimePackages } = await import(process.cwd() + "/dist/demo/stage-worker.js");
  process.stdout.write(runtimePackages(process.cwd()).join("\n") + "\n");' >"$work/runtime-packages.txt"
while IFS= read -r dir; do
  [ -n "$dir" ] || continue
  mkdir -p "$root$prefix/$dir"
  (cd "$dir" && find . -mindepth 1 -maxdepth 1 ! -name node_modules -exec cp -a {} "$root$prefix/$dir/" \;)
done <"$work/runtime-packages.txt"
modules="$root$prefix/node_modules"
for addon_pkg in "$modules"/*/ "$modules"/@*/*/; do
  [ -d "$addon_pkg" ] || continue
  if [ -d "$addon_pkg/build" ]; then
    # Keep only the linked addons of a node-gyp build (build/Release/*.node), not its objects and makefiles.
    find "$addon_pkg/build" -type f ! -regex '.*/build/Release/[^/]*\.node' -delete
    find "$addon_pkg/build" -name 'test_extension.node' -delete
    find "$addon_pkg/build" -depth -type d -empty -delete
    rm -rf "$addon_pkg/deps" "$addon_pkg/src"
  fi
  # node-gyp-build loads build/Release first: a package built here needs none of its prebuilt copies.
  if [ -d "$addon_pkg/prebuilds" ] && compgen -G "$addon_pkg/build/Release/*.node" >/dev/null; then
    rm -rf "$addon_pkg/prebuilds"
  elif [ -d "$addon_pkg/prebuilds" ]; then
    find "$addon_pkg/prebuilds" -mindepth 1 -maxdepth 1 ! -name "linux-$node_arch" -exec rm -rf {} +
    find "$addon_pkg/prebuilds" -name '*musl*' -delete
  fi
  rm -rf "$addon_pkg/test" "$addon_pkg/tests" "$addon_pkg/examples" "$addon_pkg/.github" "$addon_pkg/typings"
done
find "$modules" \( -name '*.map' -o -name '*.ts' -o -name '*.cts' -o -name '*.mts' -o -name '.npmignore' \
  -o -name '.eslintrc*' -o -name '.travis.yml' -o -name 'Dockerfile*' -o -name 'Makefile' -o -name '*.sh' \
  -o -name 'binding.gyp' -o -name '*.gypi' -o -name '*.cpp' -o -name '*.cc' -o -name '*.h' -o -name '*.c' \
  -o -iname '*.md' -o -iname '*.markdown' -o -iname 'CHANGES*' -o -iname 'HISTORY*' \) -type f -delete
find "$modules" -depth -type d -empty -delete

# 5. The CLI: each entry of package.json's "bin" (mod-authnz-node: dist/cli.js), linked into /usr/bin, with a
#    manual page. Until the CLI is merged package.json has no "bin" and nothing is linked.
node -e '
  const bin = require("./package.json").bin ?? {};
  const entries = typeof bin === "string" ? [[require("./package.json").name, bin]] : Object.entries(bin);
  for (const [name, path] of entries) console.log(name + "\t" + path.replace(/^\.\//, ""));' >"$work/bin.txt"
while IFS=$'\t' read -r name path; do
  [ -n "$name" ] || continue
  [ -f "$root$prefix/$path" ] || { echo "package-deb: bin $name: $prefix/$path is not in the package" >&2; exit 1; }
  chmod 0755 "$root$prefix/$path"
  install -d -m 0755 "$root/usr/bin" "$root/usr/share/man/man1"
  ln -s "../lib/${prefix#/usr/lib/}/$path" "$root/usr/bin/$name"
  # Its manual page is its --help, as the command prints it (docs/cli.md, when there, is in the docs).
  help=$(node "$root$prefix/$path" --help) || { echo "package-deb: $name --help failed" >&2; exit 1; }
  {
    printf '.TH %s 1 "" "%s %s" "User Commands"\n.SH NAME\n%s \\- %s\n.SH SYNOPSIS\n.nf\n' \
      "$(echo "$name" | tr a-z A-Z)" "$package" "$upstream_version" "$name" "check Apache logins against Django's users"
    printf '%s\n' "$help" | sed -e 's/\\/\\e/g' -e 's/^\([.'"'"']\)/\\\&\1/'
    printf '.fi\n.SH SEE ALSO\n/usr/share/doc/%s/\n' "$package"
  } | gzip -9n >"$root/usr/share/man/man1/$name.1.gz"
done <"$work/bin.txt"

# 6. Modes: directories 0755, files 0644, the CLI's entry scripts and shared objects as lintian expects.
find "$root" -type d -exec chmod 0755 {} +
find "$root" -type f ! -path "$root/DEBIAN/*" -exec chmod 0644 {} +
while IFS=$'\t' read -r name path; do
  [ -n "$name" ] && chmod 0755 "$root$prefix/$path"
done <"$work/bin.txt"
# The bundled packages' own command-line scripts (#! first) keep the mode their authors gave them.
find "$modules" -type f -name '*.js' -exec grep -lZ -m1 '^#!' {} + | xargs -0r chmod 0755
find "$modules" -type f -path '*/bin/*' -exec grep -lZ -m1 '^#!' {} + | xargs -0r chmod 0755
find "$root" -type f \( -name '*.so' -o -name '*.node' \) -exec strip --strip-unneeded --remove-section=.comment \
  --remove-section=.note {} +

# 7. Docs, the maintainer scripts and lintian's overrides (packaging/debian/), the copyright file.
install -m 0644 README.md "$root$docdir/README.md"
install -m 0644 httpd-conf/README.md "$root$docdir/README.httpd-conf.md"
install -m 0644 docs/packaging.md "$root$docdir/packaging.md"
[ ! -f docs/cli.md ] || install -m 0644 docs/cli.md "$root$docdir/cli.md"
gzip -9n <packaging/debian/changelog >"$root$docdir/changelog.Debian.gz"
bash scripts/package-deb-copyright.sh "$root$prefix/node_modules" "$prefix" >"$root$docdir/copyright"
install -m 0644 packaging/debian/lintian-overrides "$root/usr/share/lintian/overrides/$package"
for script in postinst prerm postrm; do install -m 0755 "packaging/debian/$script" "$root/DEBIAN/$script"; done
(cd "$root" && find etc -type f -printf '/%p\n') >"$root/DEBIAN/conffiles"
(cd "$root" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | sort -z | xargs -0 md5sum) >"$root/DEBIAN/md5sums"
chmod 0644 "$root/DEBIAN/conffiles" "$root/DEBIAN/md5sums" "$root$docdir"/* "$root/usr/share/lintian/overrides/$package"

# 8. Depends: Apache's module ABI, node, what the shared objects link to (dpkg-shlibdeps, in a scratch
#    source tree of its own: it wants a debian/control), adduser for the worker's user in postinst.
shl="$work/shlibdeps"
rm -rf "$shl" && mkdir -p "$shl/debian"
printf 'Source: %s\n\nPackage: %s\nArchitecture: any\n' "$package" "$package" >"$shl/debian/control"
mapfile -d '' shared < <(find "$root" -type f \( -name '*.so' -o -name '*.node' \) -print0)
shlibs=$(cd "$shl" && dpkg-shlibdeps -O --warnings=0 "${shared[@]/#/-e}" 2>"$work/shlibdeps.log" | sed -n 's/^shlibs:Depends=//p')
[ -n "$shlibs" ] || { cat "$work/shlibdeps.log" >&2; echo "package-deb: dpkg-shlibdeps gave nothing" >&2; exit 1; }
depends="apache2-api-20120211, nodejs (>= 20), adduser, $shlibs"

installed_size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
cat >"$root/DEBIAN/control" <<EOF
Package: $package
Version: $version
Architecture: $arch
Maintainer: $maintainer
Installed-Size: $installed_size
Depends: $depends
Section: httpd
Priority: optional
Description: Apache 2.4 authentication against Django's users via a Node worker
 mod_authnz_node checks HTTP Basic and Digest logins, groups and permissions
 against a Django project's user tables (PostgreSQL, MariaDB or SQLite) with
 Django's own password hashers, without Python in Apache. httpd's parent
 supervises a Node.js worker (installed under /usr/lib/mod-authnz-node) that
 does the database work and the hashing.
 .
 Enable it with a2enmod authnz_node; the documentation is in
 /usr/share/doc/$package/.
EOF

mkdir -p "$out_dir"
deb="$out_dir/${package}_${version}_${arch}.deb"
dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" >&2
echo "$deb"
