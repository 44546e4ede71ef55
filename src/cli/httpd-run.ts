// Running httpd on the configuration, for the doctor and for `--location`: `apache2ctl` (Debian's envvars
// sourced), or `apache2 -f FILE` for another configuration. httpd reads the configuration; the CLI reads
// what httpd prints (DUMP_MODULES, and DUMP_CONFIG with mod_info loaded by -C for that one run).
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { AnpError } from "../errors.js";
import { flag, type FlagSpec, type ParsedArgs } from "./args.js";
import type { ConfigTest } from "./doctor-checks.js";

const TIMEOUT_MS = 60_000;
export const DEFAULT_MODULES_DIR = "/usr/lib/apache2/modules";

export const HTTPD_FLAGS: Readonly<Record<string, FlagSpec>> = { config: { value: true }, apache2: { value: true }, "modules-dir": { value: true } };

export class DoctorRunError extends AnpError {
  override readonly code = "ERR_CLI_DOCTOR";
  override readonly safeToEcho = true;
}

/** What one httpd run printed: status, stdout + stderr (`output`), and stdout alone (DUMP_CONFIG's text). */
export interface HttpdRun extends ConfigTest {
  readonly stdout: string;
}

/** The command line that runs httpd on the configuration: apache2ctl, or the binary with -f. */
export function httpdCommand(args: ParsedArgs): string[] {
  const config = flag(args, "config");
  if (config === undefined) return ["apache2ctl"];
  // httpd takes a relative -f under its ServerRoot, not the current directory.
  return [flag(args, "apache2") ?? "/usr/sbin/apache2", "-f", resolve(config)];
}

/** Runs httpd with `extra`; throws DoctorRunError when it cannot be run at all (not on a refused configuration). */
export function runHttpd(command: readonly string[], extra: readonly string[]): HttpdRun {
  const [file, ...rest] = command as [string, ...string[]];
  const run = spawnSync(file, [...rest, ...extra], { encoding: "utf8", timeout: TIMEOUT_MS, stdio: ["ignore", "pipe", "pipe"] });
  if (run.error !== undefined) throw new DoctorRunError(`cannot run ${file}: ${(run.error as NodeJS.ErrnoException).code ?? run.error.message}`);
  return { status: run.status, output: `${run.stdout}${run.stderr}`, stdout: run.stdout };
}

/** `-t -D DUMP_CONFIG` with mod_info loaded for it: httpd's stdout, or why there is none. */
export function readDumpConfig(command: readonly string[], modulesDir: string): { dump: string } | { error: string } {
  const info = join(modulesDir, "mod_info.so");
  if (!existsSync(info)) return { error: `${info} is missing (DUMP_CONFIG needs mod_info; --modules-dir DIR)` };
  const run = runHttpd(command, ["-C", `LoadModule info_module ${info}`, "-t", "-D", "DUMP_CONFIG"]);
  if (run.status !== 0) return { error: `httpd refused the configuration: ${run.output.trim().split("\n").slice(-2).join(" / ")}` };
  return { dump: run.stdout };
}
