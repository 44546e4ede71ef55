// The doctor's node-version check: the worker needs Node.js 20 or newer, and the binary that counts is the
// one httpd will start, NodeAuthNodeBinary as httpd's DUMP_CONFIG shows it (the module's default otherwise).
import { spawnSync } from "node:child_process";
import type { Finding } from "./doctor-checks.js";

/** The module's compiled-in default (native/mod/config.c, ANP_DEFAULT_NODE). */
export const DEFAULT_NODE = "/usr/bin/node";
export const MINIMUM_NODE_MAJOR = 20;

/** The values of `directive` in a DUMP_CONFIG text, unquoted, each once, in order. */
export function directiveValues(dump: string, directive: string): string[] {
  const values = new Set<string>();
  const pattern = new RegExp(`^\\s*${directive}\\s+(?:"((?:[^"\\\\]|\\\\.)*)"|(\\S+))\\s*$`, "gim");
  for (const match of dump.matchAll(pattern)) values.add((match[1] ?? match[2]) as string);
  return [...values];
}

function versionOf(binary: string): { major: number; text: string } | { error: string } {
  const run = spawnSync(binary, ["--version"], { encoding: "utf8", timeout: 10_000, stdio: ["ignore", "pipe", "pipe"] });
  if (run.error !== undefined) return { error: (run.error as NodeJS.ErrnoException).code ?? run.error.message };
  const match = /^v(\d+)\.\d+\.\d+/.exec(run.stdout.trim());
  if (run.status !== 0 || match === null) return { error: `\`${binary} --version\` did not print a Node.js version` };
  return { major: Number(match[1]), text: run.stdout.trim() };
}

export function nodeVersionFindings(dump: string | null): Finding[] {
  const check = "node-version";
  if (dump === null) {
    return [{ check, status: "warn", detail: "httpd's DUMP_CONFIG could not be read (mod_info.so missing, or the configtest failed)", fix: "install mod_info.so (apache2 ships it) or pass --modules-dir" }];
  }
  const binaries = directiveValues(dump, "NodeAuthNodeBinary");
  return (binaries.length > 0 ? binaries : [DEFAULT_NODE]).map((binary): Finding => {
    const version = versionOf(binary);
    if ("error" in version) {
      return { check, status: "fail", detail: `${binary}: ${version.error}`, fix: `set NodeAuthNodeBinary to a Node.js ${String(MINIMUM_NODE_MAJOR)} or newer` };
    }
    if (version.major < MINIMUM_NODE_MAJOR) {
      return { check, status: "fail", detail: `${binary} is ${version.text}; the worker needs ${String(MINIMUM_NODE_MAJOR)} or newer`, fix: `install Node.js ${String(MINIMUM_NODE_MAJOR)}+ and point NodeAuthNodeBinary at it` };
    }
    return { check, status: "ok", detail: `${binary} is ${version.text}` };
  });
}
