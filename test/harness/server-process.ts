// Shared helpers for the harnesses that run servers as child processes: run a command to completion,
// start a long-running server in its own process group (so kill() takes its children with it, by id),
// and wait for readiness by polling a probe instead of sleeping blindly.
import { spawn, type ChildProcess, type SpawnOptions } from "node:child_process";
import { openSync, closeSync, readFileSync } from "node:fs";
import { setTimeout as delay } from "node:timers/promises";

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
    this.#exited = new Promise((resolve) => {
      this.#child.once("exit", () => {
        this.#running = false;
        resolve();
      });
      this.#child.once("error", () => {
        this.#running = false;
        resolve();
      });
    });
  }

  get pid(): number {
    return this.#child.pid ?? -1;
  }

  get running(): boolean {
    return this.#running;
  }

  /** Sends `signal` to the server's whole process group and waits for the leader to exit. */
  async signal(signal: NodeJS.Signals, timeoutMs = 30_000): Promise<void> {
    if (!this.#running) return;
    try {
      process.kill(-this.pid, signal);
    } catch {
      // Already gone.
    }
    const timer = delay(timeoutMs).then(() => "timeout" as const);
    if ((await Promise.race([this.#exited.then(() => "exited" as const), timer])) === "timeout") {
      process.kill(-this.pid, "SIGKILL");
      await this.#exited;
    }
  }

  /** SIGKILL to the whole group (leader and children), as in a crash. */
  async kill(): Promise<void> {
    if (!this.#running) return;
    try {
      process.kill(-this.pid, "SIGKILL");
    } catch {
      // Already gone.
    }
    await this.#exited;
    // Children in the group (backends) may outlive the leader for a moment; wait until the group is empty.
    for (let i = 0; i < 200; i++) {
      try {
        process.kill(-this.pid, 0);
      } catch {
        return;
      }
      try {
        process.kill(-this.pid, "SIGKILL");
      } catch {
        return;
      }
      await delay(25);
    }
  }
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
