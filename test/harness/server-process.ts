// Shared helpers for the harnesses that run servers as child processes: run a command to completion,
// start a long-running server in its own process group (so kill() takes its children with it, by id),
// and wait for readiness by polling a probe instead of sleeping blindly.
import { execFileSync, spawn, type ChildProcess, type SpawnOptions } from "node:child_process";
import { openSync, closeSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { setTimeout as delay } from "node:timers/promises";
import { trackDirectory, trackProcess } from "./lifecycle.js";

export class HarnessError extends Error {
  readonly code = "ERR_HARNESS";
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "HarnessError";
  }
}

/** Runs a command to completion; rejects with its output when it fails. */
export function run(command: string, args: readonly string[], options: SpawnOptions = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { ...options, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.once("error", reject);
    child.once("exit", (code, signal) => {
      if (code === 0) resolve(output);
      else reject(new HarnessError(`${command} ${args.join(" ")} failed (${code ?? signal}):\n${output}`));
    });
  });
}

/**
 * Directories to remove when this process ends without cleaning up (a crashed or interrupted test run);
 * lifecycle.ts runs the removal on exit and on SIGINT/SIGTERM/SIGHUP, and records it for the next run's sweep.
 */
const directoryReleases = new Map<string, () => void>();

/** Removes `directory` when this process ends, unless forgetDirectory() was called first. */
export function removeOnExit(directory: string): void {
  if (!directoryReleases.has(directory)) directoryReleases.set(directory, trackDirectory(directory));
}

export function forgetDirectory(directory: string): void {
  directoryReleases.get(directory)?.();
  directoryReleases.delete(directory);
}

/** A server process started in its own process group, its output appended to `logFile`. */
export class ServerProcess {
  readonly #child: ChildProcess;
  readonly #exited: Promise<void>;
  #running = true;

  constructor(command: string, args: readonly string[], logFile: string, options: SpawnOptions = {}) {
    const log = openSync(logFile, "a");
    try {
      this.#child = spawn(command, args, { ...options, detached: true, stdio: ["ignore", log, log] });
    } finally {
      closeSync(log);
    }
    // Its own process group: nothing stops it when this process ends, unless lifecycle.ts does.
    const release = trackProcess(this.#child.pid, { group: true });
    this.#exited = new Promise((resolve) => {
      const done = (): void => {
        this.#running = false;
        release();
        resolve();
      };
      this.#child.once("exit", done);
      this.#child.once("error", done);
    });
  }

  get pid(): number {
    return this.#child.pid ?? -1;
  }

  get running(): boolean {
    return this.#running;
  }

  /** Sends `signal` to the server's process group and waits for it to exit (SIGKILL after `timeoutMs`). */
  async signal(signal: NodeJS.Signals, timeoutMs = 30_000): Promise<void> {
    if (!this.#running) return;
    this.resume(); // a suspended server cannot act on the signal otherwise
    signalPid(-this.pid, signal);
    const timeout = new AbortController();
    const timer = delay(timeoutMs, "timeout" as const, { signal: timeout.signal }).catch(() => "cancelled" as const);
    const first = await Promise.race([this.#exited.then(() => "exited" as const), timer]);
    timeout.abort();
    if (first === "timeout") await this.kill();
  }

  /**
   * SIGSTOP to the server and every process it started: it keeps its sockets open but answers nothing
   * (a hung server). Descendants are signalled one by one because some servers (PostgreSQL's backends)
   * put each child in a process group of its own.
   */
  suspend(): void {
    if (!this.#running) return;
    signalPid(this.pid, "SIGSTOP");
    for (const pid of descendantsOf(this.pid)) signalPid(pid, "SIGSTOP");
  }

  /** SIGCONT to the server and its descendants after suspend(). */
  resume(): void {
    if (!this.#running) return;
    for (const pid of descendantsOf(this.pid)) signalPid(pid, "SIGCONT");
    signalPid(this.pid, "SIGCONT");
  }

  /** SIGKILL to the server and every process it started, as in a crash (or the OOM killer). */
  async kill(): Promise<void> {
    if (!this.#running) return;
    const children = descendantsOf(this.pid);
    signalPid(-this.pid, "SIGKILL");
    for (const pid of children) signalPid(pid, "SIGKILL");
    await this.#exited;
    // Wait until the children are gone too, so a restart does not meet their locks or shared memory.
    for (let i = 0; i < 400 && children.some((pid) => alive(pid)); i++) await delay(25);
  }
}

function signalPid(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // Already gone.
  }
}

function alive(pid: number): boolean {
  try {
    // A zombie still "exists" for kill(0); /proc tells them apart.
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
}

/** Every live process descended from `root`, from /proc (parents before children). */
export function descendantsOf(root: number): number[] {
  const parentOf = new Map<number, number>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      // pid (comm) state ppid ...; comm may contain spaces and parentheses, so split after the last ')'.
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      parentOf.set(Number(entry), Number(fields[1]));
    } catch {
      // The process ended while we looked.
    }
  }
  const found: number[] = [];
  let frontier = [root];
  while (frontier.length > 0) {
    const next: number[] = [];
    for (const [pid, ppid] of parentOf) if (frontier.includes(ppid)) next.push(pid);
    found.push(...next);
    frontier = next;
  }
  return found;
}

/**
 * Polls `probe` until it resolves, the server exits, or `timeoutMs` passes (each failure is the normal
 * "not ready yet"); the error names the last probe failure and the server's log.
 */
export async function waitUntilReady(
  server: ServerProcess,
  probe: () => Promise<void>,
  logFile: string,
  timeoutMs = 90_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    if (!server.running) {
      throw new HarnessError(`server exited before it was ready; log ${logFile}:\n${tail(logFile)}`);
    }
    try {
      await probe();
      return;
    } catch (error) {
      lastError = error;
    }
    await delay(100);
  }
  throw new HarnessError(`server not ready after ${timeoutMs} ms (${String(lastError)}); log ${logFile}:\n${tail(logFile)}`, {
    cause: lastError,
  });
}

function tail(file: string): string {
  try {
    return readFileSync(file, "utf8").split("\n").slice(-30).join("\n");
  } catch {
    return "(no log)";
  }
}

/** What a test may do to a throwaway database server over its life (postgres.ts, mariadb.ts). */
export interface ServerControls {
  /** A clean shutdown (PostgreSQL: fast shutdown, SIGINT; MariaDB: SIGTERM); the data stays. */
  stop(): Promise<void>;
  /** SIGKILL to the server and every process it started, as in a crash; the data stays. */
  kill(): Promise<void>;
  /** SIGSTOP to the server and its children: connections stay open, nothing answers (a hung server). */
  suspend(): void;
  /** SIGCONT after suspend(). */
  resume(): void;
  /** Starts the stopped or killed server again on the same port and waits until it accepts connections. */
  restart(): Promise<void>;
  /** Stops the server and removes its directory. */
  cleanup(): Promise<void>;
}

export interface RestartableServerOptions {
  /** For error messages ("PostgreSQL", "MariaDB"). */
  readonly name: string;
  /** The throwaway directory holding the data, sockets and log; removed by cleanup() and abandon(). */
  readonly root: string;
  readonly logFile: string;
  /** The signal of a clean shutdown. */
  readonly stopSignal: NodeJS.Signals;
  /** Spawns the server (the same arguments each time, so a restart finds the same data and port). */
  readonly launch: () => ServerProcess;
  /** Resolves once the server answers; polled by start(). */
  readonly probe: () => Promise<void>;
}

/**
 * One throwaway server in its own directory, started again on demand: the lifecycle the database
 * harnesses share, so that each of them only says how to launch and probe its server.
 */
export class RestartableServer {
  readonly #options: RestartableServerOptions;
  #process: ServerProcess | undefined;

  constructor(options: RestartableServerOptions) {
    this.#options = options;
  }

  /** Launches the server and waits until it is ready. */
  async start(): Promise<void> {
    this.#process = this.#options.launch();
    await waitUntilReady(this.#process, this.#options.probe, this.#options.logFile);
  }

  /** Kills the server and removes its directory, for a setup that failed after it was started. */
  async abandon(): Promise<void> {
    await this.#process?.kill();
    rmSync(this.#options.root, { recursive: true, force: true });
    forgetDirectory(this.#options.root);
  }

  /** The controls a harness hands to its tests, bound to this server. */
  controls(): ServerControls {
    const stop = async (): Promise<void> => {
      await this.#process?.signal(this.#options.stopSignal);
    };
    return {
      stop,
      kill: async () => {
        await this.#process?.kill();
      },
      suspend: () => {
        this.#process?.suspend();
      },
      resume: () => {
        this.#process?.resume();
      },
      restart: async () => {
        if (this.#process?.running) throw new HarnessError(`restart: the ${this.#options.name} server is still running`);
        await this.start();
      },
      cleanup: async () => {
        await stop();
        rmSync(this.#options.root, { recursive: true, force: true });
        forgetDirectory(this.#options.root);
      },
    };
  }
}

/** The uid and gid of a system user (the servers drop to it or must run as it). */
export function userIds(user: string): { uid: number; gid: number } {
  const uid = Number(execFileSync("id", ["-u", user]).toString().trim());
  const gid = Number(execFileSync("id", ["-g", user]).toString().trim());
  return { uid, gid };
}
