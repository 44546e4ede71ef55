// The mod-authnz-node CLI built from src/ into a scratch directory of its own (as the worker harness
// builds the worker, so no test races a rebuild of dist/), and run as a real process: a password goes
// to its stdin, never to its argv or environment.
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { trackDirectory, trackProcess } from "./lifecycle.js";
import { buildPackage } from "./worker.js";

export interface CliResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export class CliHarness {
  private constructor(
    readonly scratch: string,
    /** dist/cli.js of the scratch build. */
    readonly cliJs: string,
    private readonly untrack: () => void,
  ) {}

  static create(): CliHarness {
    const scratch = mkdtempSync(join(tmpdir(), "anp-cli-it-"));
    const untrack = trackDirectory(scratch);
    chmodSync(scratch, 0o755);
    return new CliHarness(scratch, buildPackage(join(scratch, "pkg"), "cli.js"), untrack);
  }

  /** Starts `mod-authnz-node args...` with piped stdio; the caller writes stdin and waits. */
  spawn(args: readonly string[], env: NodeJS.ProcessEnv = process.env): ChildProcessWithoutNullStreams {
    const child = spawn(process.execPath, [this.cliJs, ...args], { env, stdio: "pipe" });
    const untrack = trackProcess(child.pid, { group: false });
    child.once("exit", untrack);
    return child;
  }

  /** Runs `mod-authnz-node args...` with `stdin` (null: stdin closed at once) and collects its output. */
  run(args: readonly string[], stdin: string | Buffer | null = null): Promise<CliResult> {
    const child = this.spawn(args);
    return collect(child, stdin);
  }

  cleanup(): void {
    rmSync(this.scratch, { recursive: true, force: true });
    this.untrack();
  }
}

export function collect(child: ChildProcessWithoutNullStreams, stdin: string | Buffer | null): Promise<CliResult> {
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdin.on("error", () => {});
  child.stdin.end(stdin ?? undefined);
  return new Promise((resolve) => child.once("close", (status) => resolve({ status, stdout, stderr })));
}
