#!/usr/bin/env bash
# Installs mod_authnz_node into Debian's Apache 2.4:
#   build/Release/mod_authnz_node.so          -> $(apxs -q LIBEXECDIR)/mod_authnz_node.so
#   httpd-conf/authnz_node.load, .conf        -> $(apxs -q SYSCONFDIR)/mods-available/
# and enables it with a2enmod. It never restarts Apache: run `apache2ctl configtest` and
# `systemctl reload apache2` yourself once the configuration is ready.
#
#   scripts/install-module.sh [--dry-run] [--no-enable] [--destdir DIR] [--module FILE]
#
#   --dry-run     print every step, change nothing
#   --no-enable   install the files but do not run a2enmod
#   --destdir DIR install under DIR (staging, packaging); implies --no-enable, because a2enmod
#                 only knows the live /etc/apache2
#   --module FILE the module to install (default: build/Release/mod_authnz_node.so)
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)

original_args=("$@")
dry_run=0
enable=1
destdir=""
module="$repo/build/Release/mod_authnz_node.so"
usage() { sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
while (($#)); do
  case "$1" in
    --dry-run) dry_run=1 ;;
    --no-enable) enable=0 ;;
    --destdir) [ $# -ge 2 ] || usage; destdir=$2; enable=0; shift ;;
    --module) [ $# -ge 2 ] || usage; module=$2; shift ;;
    -h|--help) usage ;;
    *) echo "install-module: unknown option $1" >&2; usage ;;
  esac
  shift
done

# Where this Apache keeps modules and configuration: apxs knows (apache2-dev); Debian's
# defaults otherwise.
query() {
  local value=""
  if command -v apxs >/dev/null 2>&1; then value=$(apxs -q "$1" 2>/dev/null || true); fi
  printf '%s' "${value:-$2}"
}
libexecdir=$(query LIBEXECDIR /usr/lib/apache2/modules)
sysconfdir=$(query SYSCONFDIR /etc/apache2)
load_src="$repo/httpd-conf/authnz_node.load"
conf_src="$repo/httpd-conf/authnz_node.conf"

step() {
  if ((dry_run)); then printf 'would run: %s\n' "$*"; else printf 'install-module: %s\n' "$*" >&2; "$@"; fi
}

missing=0
for file in "$module" "$load_src" "$conf_src"; do
  if [ ! -f "$file" ]; then
    echo "install-module: $file does not exist" >&2
    missing=1
  fi
done
if ((missing)); then
  if ((dry_run)); then
    echo "install-module: (dry run goes on; build with 'npm run build' before installing)" >&2
  else
    echo "install-module: build first: npm run build" >&2
    exit 1
  fi
fi
if ((!dry_run)) && [ -z "$destdir" ] && [ "$(id -u)" != 0 ]; then
  echo "install-module: writing to $libexecdir and $sysconfdir needs root (sudo $0 ${original_args[*]})" >&2
  exit 1
fi

target_so="$libexecdir/mod_authnz_node.so"
available="$sysconfdir/mods-available"
step install -d -m 0755 "$destdir$libexecdir" "$destdir$available"
step install -m 0644 "$module" "$destdir$target_so"
# The .load file names the module's path; point it at where this Apache keeps its modules.
if ((dry_run)); then
  printf 'would run: sed "s#LoadModule authnz_node_module .*#LoadModule authnz_node_module %s#" %s > %s\n' \
    "$target_so" "$load_src" "$destdir$available/authnz_node.load"
else
  printf 'install-module: writing %s\n' "$destdir$available/authnz_node.load" >&2
  sed "s#^\([[:space:]]*\)LoadModule[[:space:]]\{1,\}authnz_node_module[[:space:]].*#\1LoadModule authnz_node_module $target_so#" \
    "$load_src" > "$destdir$available/authnz_node.load"
  chmod 0644 "$destdir$available/authnz_node.load"
fi
step install -m 0644 "$conf_src" "$destdir$available/authnz_node.conf"
if ((enable)); then
  step a2enmod authnz_node
  ((dry_run)) || echo "install-module: enabled; check with 'apache2ctl configtest', then 'systemctl reload apache2'" >&2
elif ((!dry_run)); then
  echo "install-module: installed, not enabled (enable with: a2enmod authnz_node)" >&2
fi
