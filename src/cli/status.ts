// `mod-authnz-node status`: asks the running worker for its status over admin.sock (docs/protocol.md,
// "Admin socket"), which httpd's parent binds beside the worker's socket for root and NodeAuthAdminUser.
// Without --socket, httpd says where it is: `-t -D DUMP_RUN_CFG` gives the PidFile (the running httpd's pid
// names the default directory) and the runtime directory; DUMP_CONFIG (mod_info, as doctor loads it) gives
// NodeAuthSocket when one is set. Output and exit codes follow Nagios (status-report.ts).
import { existsSync, readFileSync } from "node:fs";
import { createConnection } from "node:net";
import { dirname, isAbsolute, join } from "node:path";
import { CliUsageError } from "../errors.js";
import { MAX_FRAME_LEN } from "../protocol/constants.js";
import { LENGTH_PREFIX_LEN } from "../protocol/codec.js";
import { decodeAdminAnswer, encodeAdminRequest } from "../protocol/admin.js";
import { flag, has, positionals, type ParsedArgs } from "./args.js";
import { COMMON_FLAGS, type CliIo, type Command } from "./command.js";
import { httpdCommand, runHttpd } from "./httpd-run.js";
import { directiveValues } from "./doctor-node.js";
import { writeJson } from "./output.js";
import { NAGIOS, formatProblem, formatReport, judge, type NagiosState, type StatusAnswer, type Thresholds } from "./status-report.js";

const HELP = `usage: mod-authnz-node status [--socket PATH] [--config FILE] [--apache2 PATH] [--modules-dir DIR]
                              [--warn-queue N] [--crit-queue N] [--warn-restarts N] [--crit-restarts N] [--json]

Asks the running worker for its pid, uptime, starts, handlers, database pools, caches, hashing queue,
throttle and lockout counters, over admin.sock beside the worker's socket. Only root and NodeAuthAdminUser
are answered. The first line is Nagios's: AUTHNZ_NODE <STATE> - summary | perfdata.

  --socket PATH        the admin socket (default: found through httpd, as below)
  --config FILE        ask \`apache2 -f FILE\` instead of apache2ctl where the socket is
  --apache2 PATH       the httpd binary for --config (default /usr/sbin/apache2)
  --modules-dir DIR    where mod_info.so is, to read NodeAuthSocket (default /usr/lib/apache2/modules)
  --warn-queue N       WARNING when more than N password hashes wait (CRITICAL: --crit-queue)
  --warn-restarts N    WARNING when the worker was restarted more than N times since httpd started
                       (CRITICAL: --crit-restarts)
  --json               one object: state, exitCode, reasons, status (the worker's answer as it came)
  --help               this text

exit status: 0 OK, 1 WARNING, 2 CRITICAL (httpd or the worker not running, or a threshold crossed),
3 UNKNOWN (the socket cannot be found or used, bad usage)
`;

/** How long the worker has to answer before the command says CRITICAL. */
const ANSWER_TIMEOUT_MS = 5000;

/** A problem with a Nagios state of its own (no status to show). */
class StatusProblem extends Error {
  constructor(
    readonly state: NagiosState,
    message: string,
  ) {
    super(message);
  }
}

function count(args: ParsedArgs, name: string): number | undefined {
  const value = flag(args, name);
  if (value === undefined) return undefined;
  if (!/^\d{1,9}$/.test(value)) throw new CliUsageError(`--${name} must be a whole number, not ${JSON.stringify(value)}`);
  return Number(value);
}

export function thresholdsOf(args: ParsedArgs): Thresholds {
  return { warnQueue: count(args, "warn-queue"), critQueue: count(args, "crit-queue"), warnRestarts: count(args, "warn-restarts"), critRestarts: count(args, "crit-restarts") };
}

/** `KEY: "value"` of DUMP_RUN_CFG, or the Mutex default's dir= (httpd's DefaultRuntimeDir). */
function runConfigValue(text: string, pattern: RegExp): string | undefined {
  return pattern.exec(text)?.[1];
}

/** Where admin.sock is, as httpd's configuration and its running parent say. */
export function locateAdminSocket(args: ParsedArgs): string {
  const command = httpdCommand(args);
  const run = runHttpd(command, ["-t", "-D", "DUMP_RUN_CFG"]);
  if (run.status !== 0) throw new StatusProblem("UNKNOWN", `httpd refused its configuration (DUMP_RUN_CFG exit ${run.status})`);
  const serverRoot = runConfigValue(run.output, /^ServerRoot: "(.*)"$/m) ?? "/etc/apache2";
  const pidFile = runConfigValue(run.output, /^PidFile: "(.*)"$/m);
  // httpd's default mutex directory is DefaultRuntimeDir; DUMP_RUN_CFG prints no DefaultRuntimeDir of its own.
  const runtimeDir = runConfigValue(run.output, /^Mutex default: dir="(.*?)\/?"/m) ?? join(serverRoot, "logs");
  if (pidFile === undefined) throw new StatusProblem("UNKNOWN", "httpd's DUMP_RUN_CFG names no PidFile");
  const pidPath = isAbsolute(pidFile) ? pidFile : join(serverRoot, pidFile);
  if (!existsSync(pidPath)) throw new StatusProblem("CRITICAL", `httpd is not running (no ${pidPath})`);
  const pid = readFileSync(pidPath, "utf8").trim();
  if (!/^\d+$/.test(pid)) throw new StatusProblem("UNKNOWN", `${pidPath} holds no pid`);
  const dump = runHttpd(command, ["-C", `LoadModule info_module ${join(flag(args, "modules-dir") ?? "/usr/lib/apache2/modules", "mod_info.so")}`, "-t", "-D", "DUMP_CONFIG"]);
  const socket = dump.status === 0 ? directiveValues(dump.output, "NodeAuthSocket")[0] : undefined;
  if (socket !== undefined) return join(dirname(isAbsolute(socket) ? socket : join(runtimeDir, socket)), "admin.sock");
  return join(runtimeDir, `authnz_node.${pid}`, "admin.sock");
}

/** The worker's STATUS answer over `path`; a StatusProblem when none comes. */
export function askStatus(path: string, timeoutMs = ANSWER_TIMEOUT_MS): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(path);
    const chunks: Buffer[] = [];
    let size = 0;
    const fail = (state: NagiosState, message: string): void => {
      socket.destroy();
      reject(new StatusProblem(state, message));
    };
    socket.setTimeout(timeoutMs, () => fail("CRITICAL", `the worker did not answer on ${path} within ${timeoutMs} ms`));
    socket.on("connect", () => socket.write(encodeAdminRequest(1)));
    socket.on("error", (err: NodeJS.ErrnoException) => {
      if (err.code === "EACCES") fail("UNKNOWN", `${path}: permission denied (run as root or NodeAuthAdminUser)`);
      else fail("CRITICAL", `no worker answers on ${path}: ${err.code ?? err.message}`);
    });
    socket.on("data", (chunk: Buffer) => {
      chunks.push(chunk);
      size += chunk.length;
      if (size > LENGTH_PREFIX_LEN + MAX_FRAME_LEN) fail("UNKNOWN", "the answer is larger than a frame");
    });
    socket.on("end", () => {
      try {
        const answer = decodeAdminAnswer(Buffer.concat(chunks));
        if (answer === null) throw new Error(size === 0 ? "closed without an answer (not root or NodeAuthAdminUser?)" : "a truncated answer");
        resolve(JSON.parse(answer.json));
      } catch (err) {
        fail("CRITICAL", `no status from the worker on ${path}: ${(err as Error).message}`);
      }
    });
  });
}

async function statusRun(args: ParsedArgs, io: CliIo): Promise<number> {
  positionals(args, []);
  const thresholds = thresholdsOf(args);
  const json = has(args, "json");
  try {
    const path = flag(args, "socket") ?? locateAdminSocket(args);
    const status = (await askStatus(path)) as StatusAnswer;
    const verdict = judge(status, thresholds);
    if (json) writeJson(io.stdout, { state: verdict.state, exitCode: NAGIOS[verdict.state], reasons: verdict.reasons, status });
    else io.stdout.write(formatReport(status, verdict, thresholds));
    return NAGIOS[verdict.state];
  } catch (err) {
    const state: NagiosState = err instanceof StatusProblem ? err.state : "UNKNOWN";
    const message = (err as Error).message;
    if (json) writeJson(io.stdout, { state, exitCode: NAGIOS[state], reasons: [message], status: null });
    else io.stdout.write(formatProblem(state, message));
    return NAGIOS[state];
  }
}

export const statusCommand: Command = {
  name: "status",
  summary: "the running worker's pid, uptime, restarts, handlers, pools, caches and counters (Nagios exit codes)",
  help: HELP,
  usageExit: NAGIOS.UNKNOWN,
  flags: {
    ...COMMON_FLAGS,
    socket: { value: true },
    config: { value: true },
    apache2: { value: true },
    "modules-dir": { value: true },
    "warn-queue": { value: true },
    "crit-queue": { value: true },
    "warn-restarts": { value: true },
    "crit-restarts": { value: true },
  },
  run: statusRun,
};
