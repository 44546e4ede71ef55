// `mod-authnz-node doctor`: the deployment's known traps, each answered ok / warn / fail with the fix.
// httpd reads the configuration: `apache2ctl -t -D DUMP_MODULES` (or `apache2 -f FILE ...`) lists the
// loaded modules and carries the module's own configtest warnings (Require group's owner, the RequireAny
// trap, the worker's access), and `-t -D DUMP_CONFIG` with mod_info loaded by `-C` gives the directives'
// values. Nothing here parses Apache's syntax itself.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { AnpError } from "../errors.js";
import { flag, has, positionals, type ParsedArgs } from "./args.js";
import { COMMON_FLAGS, EXIT, type CliIo, type Command } from "./command.js";
import {
  configTestFinding,
  groupOwnerFinding,
  moduleLoadedFinding,
  requireAnyFindings,
  workerAccessFinding,
  worst,
  type ConfigTest,
  type Finding,
} from "./doctor-checks.js";
import { databaseFindings, djangoSections } from "./doctor-database.js";
import { plainHttpFindings } from "./doctor-http.js";
import { nodeVersionFindings } from "./doctor-node.js";
import { exposedFileFindings, secretFindings } from "./doctor-secrets.js";
import { formatTable, writeJson } from "./output.js";

const HELP = `usage: mod-authnz-node doctor [--config FILE] [--apache2 PATH] [--modules-dir DIR] [--json]

Checks the Apache configuration for the traps mod_authnz_node knows, each answered ok, warn or fail with
the fix. httpd itself reads the configuration: \`apache2ctl -t -D DUMP_MODULES\` and, with mod_info loaded
by -C, \`apache2ctl -t -D DUMP_CONFIG\`. Run it as root, as apache2ctl is.

  --config FILE       run \`apache2 -f FILE\` instead of apache2ctl (another configuration, or tests)
  --apache2 PATH      the httpd binary for --config (default /usr/sbin/apache2)
  --modules-dir DIR   where mod_info.so is, for DUMP_CONFIG (default /usr/lib/apache2/modules)
  --json              one object: status and findings (check, status, detail, fix)
  --help              this text

checks: configtest, module-loaded, require-group-owner, require-any-trap, worker-access, node-version,
        database, django-version, secret-files, plain-http-basic (docs/cli.md)

exit status: 0 all ok, 1 a warn, 2 a fail, 3 error (httpd could not be run), 64 usage
`;

const TIMEOUT_MS = 60_000;

export class DoctorRunError extends AnpError {
  override readonly code = "ERR_CLI_DOCTOR";
  override readonly safeToEcho = true;
}

/** The command line that runs httpd on the configuration: apache2ctl, or the binary with -f. */
export function httpdCommand(args: ParsedArgs): string[] {
  const config = flag(args, "config");
  if (config === undefined) return ["apache2ctl"];
  // httpd takes a relative -f under its ServerRoot, not the current directory.
  return [flag(args, "apache2") ?? "/usr/sbin/apache2", "-f", resolve(config)];
}

/** Runs httpd with `extra`; throws DoctorRunError when it cannot be run at all (not on a refused configuration). */
export function runHttpd(command: readonly string[], extra: readonly string[]): ConfigTest {
  const [file, ...rest] = command as [string, ...string[]];
  const run = spawnSync(file, [...rest, ...extra], { encoding: "utf8", timeout: TIMEOUT_MS, stdio: ["ignore", "pipe", "pipe"] });
  if (run.error !== undefined) throw new DoctorRunError(`cannot run ${file}: ${(run.error as NodeJS.ErrnoException).code ?? run.error.message}`);
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

/** `-t -D DUMP_CONFIG` with mod_info loaded for it; null when mod_info is not there or the dump fails. */
function dumpConfig(command: readonly string[], modulesDir: string): string | null {
  const info = join(modulesDir, "mod_info.so");
  if (!existsSync(info)) return null;
  const dump = runHttpd(command, ["-C", `LoadModule info_module ${info}`, "-t", "-D", "DUMP_CONFIG"]);
  return dump.status === 0 ? dump.output : null;
}

export function diagnose(args: ParsedArgs): Finding[] {
  const command = httpdCommand(args);
  const test = runHttpd(command, ["-t", "-D", "DUMP_MODULES"]);
  const findings: Finding[] = [configTestFinding(test)];
  // httpd lists the modules only for a configuration it accepts; the module's warnings come before a refusal.
  if (test.status === 0) {
    const loaded = moduleLoadedFinding(test);
    findings.push(loaded);
    if (loaded.status !== "ok") return findings;
  }
  const fromWarnings = [groupOwnerFinding(test), ...requireAnyFindings(test), workerAccessFinding(test)];
  // After a refusal, an absent warning proves nothing (httpd may have stopped before the module looked).
  findings.push(...(test.status === 0 ? fromWarnings : fromWarnings.filter((finding) => finding.status !== "ok")));
  if (test.status !== 0) return [...findings, ...exposedFileFindings(test)];
  const dump = dumpConfig(command, flag(args, "modules-dir") ?? "/usr/lib/apache2/modules");
  findings.push(...nodeVersionFindings(dump), ...databaseFindings(dump), ...secretFindings(test, dump === null ? [] : djangoSections(dump)), ...plainHttpFindings(dump));
  return findings;
}

function writeText(out: NodeJS.WritableStream, findings: readonly Finding[]): void {
  out.write(`${formatTable(["status", "check", "detail"], findings.map((finding) => [finding.status, finding.check, finding.detail]))}\n`);
  const fixes = findings.filter((finding) => finding.fix !== undefined);
  if (fixes.length > 0) out.write(`\nfixes:\n${fixes.map((finding) => `  ${finding.check}: ${finding.fix as string}`).join("\n")}\n`);
}

const STATUS_EXIT = { ok: EXIT.OK, warn: 1, fail: 2 } as const;

export const doctorCommand: Command = {
  name: "doctor",
  summary: "check the Apache configuration for the known traps (ok / warn / fail, with the fix)",
  help: HELP,
  flags: { ...COMMON_FLAGS, config: { value: true }, apache2: { value: true }, "modules-dir": { value: true } },
  run(args: ParsedArgs, io: CliIo): Promise<number> {
    positionals(args, []);
    const findings = diagnose(args);
    const status = worst(findings);
    if (has(args, "json")) writeJson(io.stdout, { status, findings });
    else writeText(io.stdout, findings);
    return Promise.resolve(STATUS_EXIT[status]);
  },
};
