#!/usr/bin/env bash
# Prints the Debian package's copyright file, in Debian's machine-readable format (DEP-5): the project's
# own files, then one paragraph per bundled npm package under NODE_MODULES, with the license its
# package.json names and the path of the license text it ships.
#   bash scripts/package-deb-copyright.sh NODE_MODULES PREFIX
set -euo pipefail
modules=$1
prefix=$2

cat <<'EOF_HEAD'
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: mod_authnz_node
Comment: The bundled npm packages under /usr/lib/mod-authnz-node/node_modules keep the license
 files they were published with; each paragraph below names the package's license and where its text is.

Files: *
Copyright: 2026 mod_authnz_node maintainers
License: Apache-2.0
EOF_HEAD

node - "$modules" "$prefix" <<'EOF_NODE'
const { readdirSync, readFileSync, existsSync } = require("node:fs");
const { join } = require("node:path");
const [modules, prefix] = process.argv.slice(2);
const dirs = [];
for (const name of readdirSync(modules).sort()) {
  if (name.startsWith("@")) for (const sub of readdirSync(join(modules, name)).sort()) dirs.push(`${name}/${sub}`);
  else dirs.push(name);
}
for (const dir of dirs) {
  const manifest = JSON.parse(readFileSync(join(modules, dir, "package.json"), "utf8"));
  const license = typeof manifest.license === "string" ? manifest.license : (manifest.license?.type ?? "UNKNOWN");
  const texts = readdirSync(join(modules, dir)).filter((f) => /^(licen[cs]e|copying)/i.test(f));
  const author = typeof manifest.author === "string" ? manifest.author : (manifest.author?.name ?? `the authors of ${manifest.name}`);
  process.stdout.write(`\nFiles: usr/lib/mod-authnz-node/node_modules/${dir}/*\nCopyright: ${author.replace(/\s*<[^>]*>/, "")}\nLicense: ${license.replace(/[()]/g, "")}\n`);
  if (texts.length) process.stdout.write(` The full text is in ${prefix}/node_modules/${dir}/${texts[0]}.\n`);
  else if (!existsSync(join(modules, dir))) throw new Error(dir);
  else process.stdout.write(" The package ships no license file; its package.json names the license above.\n");
}
EOF_NODE

cat <<'EOF_TAIL'

License: Apache-2.0
 Licensed under the Apache License, Version 2.0 (the "License"); you may not
 use this file except in compliance with the License.
 .
 Unless required by applicable law or agreed to in writing, software
 distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
 WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied. See the
 License for the specific language governing permissions and limitations under
 the License.
 .
 On Debian systems, the complete text of the Apache License 2.0 is in
 /usr/share/common-licenses/Apache-2.0.
EOF_TAIL
