// Renders a self-contained httpd.conf for a throwaway ServerRoot: no Debian apache2.conf (it needs
// the ${APACHE_*} variables of apache2ctl), only the modules a configuration asks for.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { HttpdConfigError } from "../errors.js";

export type Mpm = "event" | "prefork" | "worker";

/** What every configuration here needs besides the MPM: Basic auth, Require, and serving files. */
export const BASE_MODULES: readonly string[] = ["authn_core", "authz_core", "authz_user", "auth_basic", "alias", "mime", "dir", "log_config", "unixd"];

export const DEBIAN_MODULES_DIR = "/usr/lib/apache2/modules";

export interface HttpdConfigInput {
  readonly serverRoot: string;
  readonly port: number;
  readonly mpm: Mpm;
  readonly documentRoot: string;
  /** Modules loaded from `modulesDir` after BASE_MODULES, by short name ("authn_file", "auth_digest"). */
  readonly extraModules?: readonly string[];
  /** Absolute path of mod_authnz_node.so, or null to leave it out (reference runs with Apache's own providers). */
  readonly nodeModulePath: string | null;
  /** Modules built into the apache2 binary (`apache2 -l`): they must not be loaded again. */
  readonly compiledIn: ReadonlySet<string>;
  readonly modulesDir?: string;
  /** `User`/`Group` lines; only meaningful when httpd starts as root. */
  readonly runAs?: { readonly user: string; readonly group: string } | null;
  readonly logLevel?: string;
  /** Directives appended after the base server configuration (Locations, module settings). */
  readonly body: string;
}

export function renderHttpdConfig(input: HttpdConfigInput): string {
  const modulesDir = input.modulesDir ?? DEBIAN_MODULES_DIR;
  const names = [`mpm_${input.mpm}`, ...BASE_MODULES, ...(input.extraModules ?? [])];
  const loads: string[] = [];
  for (const name of [...new Set(names)]) {
    if (input.compiledIn.has(`mod_${name}.c`)) continue;
    const file = join(modulesDir, `mod_${name}.so`);
    if (!existsSync(file)) throw new HttpdConfigError(`module ${name}: ${file} does not exist and apache2 has no mod_${name}.c built in`);
    loads.push(`LoadModule ${name}_module ${file}`);
  }
  if (input.nodeModulePath !== null) {
    if (!existsSync(input.nodeModulePath)) throw new HttpdConfigError(`mod_authnz_node: ${input.nodeModulePath} does not exist (run npm run build:native)`);
    loads.push(`LoadModule authnz_node_module ${input.nodeModulePath}`);
  }
  const root = input.serverRoot;
  const lines = [
    "# Written by mod_authnz_node's test harness / demo for a throwaway ServerRoot.",
    `ServerRoot "${root}"`,
    "ServerName 127.0.0.1",
    `Listen 127.0.0.1:${input.port}`,
    `PidFile "${join(root, "httpd.pid")}"`,
    `DefaultRuntimeDir "${join(root, "run")}"`,
    `ErrorLog "${join(root, "error.log")}"`,
    `LogLevel ${input.logLevel ?? "info"}`,
    ...loads,
    ...(input.runAs ? [`User ${input.runAs.user}`, `Group ${input.runAs.group}`] : []),
    // Few processes keep the 2-core machines responsive; event/worker still run threads concurrently.
    ...mpmLimits(input.mpm),
    `CustomLog "${join(root, "access.log")}" "%h %u \\"%r\\" %>s %b"`,
    "TypesConfig /etc/mime.types",
    "DirectoryIndex index.html",
    `DocumentRoot "${input.documentRoot}"`,
    `<Directory "${input.documentRoot}">`,
    "    Require all granted",
    "</Directory>",
    "",
    input.body,
    "",
  ];
  return lines.join("\n");
}

function mpmLimits(mpm: Mpm): string[] {
  if (mpm === "prefork") return ["StartServers 2", "MinSpareServers 1", "MaxSpareServers 4", "MaxRequestWorkers 16"];
  return ["StartServers 2", "ServerLimit 4", "ThreadsPerChild 8", "MaxRequestWorkers 32", "MinSpareThreads 8", "MaxSpareThreads 24"];
}
