// Runs /usr/sbin/apache2 in the foreground as a child of this process, so its life is ours:
// started, polled until it answers, restarted gracefully, stopped, and any process it left
// behind (an Apache child, the Node worker) killed by pid.
import { spawn, execFileSync, type ChildProcess } from "node:child_process";
import { readFileSync, readdirSync, existsSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { httpRequest } from "./http-request.js";
import { HttpdStartError } from "../errors.js";

export const APACHE_BINARY = "/usr/sbin/apache2";

/** The `mod_*.c` names built into the apache2 binary (Debian: log_config, unixd, ...). */
export function compiledInModules(binary = APACHE_BINARY): Set<string> {
  const out = execFileSync(binary, ["-l"], { encoding: "utf8" });
  return new Set(out.split("\n").map((line) => line.trim()).filter((line) => line.endsWith(".c")));
}

export interface ProcessInfo {
  readonly pid: number;
  readonly ppid: number;
  /** Kernel start time in clock ticks: tells a reused pid from the process we saw. */
  readonly startTime: string;
  readonly command: string;
}

export function readProcess(pid: number): ProcessInfo | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "latin1");
    // The command name is in parentheses and may contain spaces; fields resume after the last ")".
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (fields[0] === "Z") return null;
    const command = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean).join(" ");
    return { pid, ppid: Number(fields[1]), startTime: fields[19] ?? "", command };
  } catch {
    return null;
  }
}

/** Every live descendant of `root` (children, grandchildren, ...). */
export function descendants(root: number): ProcessInfo[] {
  const all: ProcessInfo[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const info = readProcess(Number(entry));
    if (info) all.push(info);
  }
  const found: ProcessInfo[] = [];
  let frontier = new Set([root]);
  while (frontier.size > 0) {
    const next = new Set<number>();
    for (const info of all) {
      if (frontier.has(info.ppid)) {
        found.push(info);
        next.add(info.pid);
      }
    }
    frontier = next;
  }
  return found;
}

function isSameProcessAlive(info: ProcessInfo): boolean {
  const now = readProcess(info.pid);
  return now !== null && now.startTime === info.startTime;
}

export interface StartHttpdOptions {
  readonly serverRoot: string;
  readonly confPath: string;
  readonly errorLogPath: string;
  readonly port: number;
  /** Path polled until Apache answers it with any HTTP status. */
  readonly readyPath?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Upper bound on the start-up poll; generous, because test machines are shared. */
  readonly startLimitMs?: number;
}

export interface HttpdProcess {
  readonly pid: number;
  /** Resolves with the exit code (or signal name) when the parent process has exited. */
  readonly exited: Promise<number | string>;
  /** What apache2 wrote on stderr before its ErrorLog was open (syntax errors and the like). */
  stderr(): string;
  /** SIGUSR1, then waits until the new generation has logged that it resumed. */
  graceful(): Promise<void>;
  /**
   * SIGTERM, waits for the parent, gives what it started a short grace to exit, then SIGKILLs what
   * is left; returns those leftovers.
   */
  stop(): Promise<ProcessInfo[]>;
}

const RESUMED = /resuming normal operations/g;

/** How long processes httpd started may take to exit after it has (the worker's stop budget is 2 s). */
const LEFTOVER_GRACE_MS = 5000;

function countResumed(errorLogPath: string): number {
  if (!existsSync(errorLogPath)) return 0;
  return (readFileSync(errorLogPath, "utf8").match(RESUMED) ?? []).length;
}

/**
 * Apache waits for its children on SIGTERM, and the module stops its worker (which also gets SIGTERM
 * when httpd exits and has 2 s to finish). Anything of `tree` alive after that grace is a leak, killed
 * here so one failing test cannot poison the next, and returned to the caller.
 */
async function reapLeftovers(tree: readonly ProcessInfo[]): Promise<ProcessInfo[]> {
  const graceEnds = Date.now() + LEFTOVER_GRACE_MS;
  while (tree.some(isSameProcessAlive) && Date.now() < graceEnds) await sleep(50);
  const leftovers = tree.filter(isSameProcessAlive);
  for (const info of leftovers) {
    try {
      process.kill(info.pid, "SIGKILL");
    } catch {
      // it exited between the check and the kill
    }
  }
  return leftovers;
}

export async function startHttpd(options: StartHttpdOptions): Promise<HttpdProcess> {
  // Its own session and process group: in the foreground, mpm_prefork signals its whole process
  // group when it stops (killpg), which would otherwise include this process.
  const child: ChildProcess = spawn(APACHE_BINARY, ["-d", options.serverRoot, "-f", options.confPath, "-DFOREGROUND"], {
    env: options.env ?? process.env,
    stdio: ["ignore", "ignore", "pipe"],
    detached: true,
  });
  let stderr = "";
  child.stderr?.setEncoding("utf8");
  child.stderr?.on("data", (text: string) => (stderr += text));
  let exitedWith: number | string | null = null;
  const exited = new Promise<number | string>((resolve) => {
    child.on("exit", (code, signal) => {
      exitedWith = code ?? signal ?? "unknown";
      resolve(exitedWith);
    });
    child.on("error", (err) => {
      stderr += `spawn failed: ${err.message}\n`;
      exitedWith = "spawn-error";
      resolve(exitedWith);
    });
  });
  const pid = child.pid ?? -1;
  const describe = () => {
    const log = existsSync(options.errorLogPath) ? readFileSync(options.errorLogPath, "utf8") : "(no error log)";
    return `apache2 stderr:\n${stderr}\nerror log ${options.errorLogPath}:\n${log}`;
  };

  const limit = options.startLimitMs ?? 60_000;
  const started = Date.now();
  for (let attempt = 0; ; attempt++) {
    if (exitedWith !== null) throw new HttpdStartError(`apache2 exited (${String(exitedWith)}) before answering on port ${options.port}\n${describe()}`);
    try {
      await httpRequest({ port: options.port, path: options.readyPath ?? "/" });
      break;
    } catch {
      if (Date.now() - started > limit) {
        child.kill("SIGKILL");
        throw new HttpdStartError(`apache2 did not answer on port ${options.port} within ${limit} ms\n${describe()}`);
      }
      await sleep(Math.min(50 * (attempt + 1), 500));
    }
  }

  async function stop(): Promise<ProcessInfo[]> {
    const tree = descendants(pid);
    if (exitedWith === null) {
      child.kill("SIGTERM");
      const forced = setTimeout(() => child.kill("SIGKILL"), 30_000);
      await exited;
      clearTimeout(forced);
    }
    return reapLeftovers(tree);
  }

  async function graceful(): Promise<void> {
    if (exitedWith !== null) throw new HttpdStartError(`apache2 has exited (${String(exitedWith)})\n${describe()}`);
    const before = countResumed(options.errorLogPath);
    process.kill(pid, "SIGUSR1");
    const begun = Date.now();
    while (countResumed(options.errorLogPath) <= before) {
      if (exitedWith !== null) throw new HttpdStartError(`apache2 exited (${String(exitedWith)}) during a graceful restart\n${describe()}`);
      if (Date.now() - begun > limit) throw new HttpdStartError(`apache2 did not resume within ${limit} ms after SIGUSR1\n${describe()}`);
      await sleep(50);
    }
  }

  return { pid, exited, stderr: () => stderr, graceful, stop };
}
