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

/**
 * Runs `mod-authnz-node args...` on a pseudo-terminal (Python's pty, from Debian's python3): `typed` is
 * typed after each "Password" prompt, and everything the terminal showed comes back, echo included.
 */
export function runOnTerminal(cliJs: string, args: readonly string[], typed: string): Promise<{ status: number; output: string }> {
  const script = `
import base64, json, os, pty, select, sys
argv = json.loads(sys.argv[1]); typed = sys.argv[2].encode()
pid, fd = pty.fork()
if pid == 0:
    os.execv(argv[0], argv)
out, prompts = b"", 0
while True:
    ready, _, _ = select.select([fd], [], [], 30)
    if not ready:
        break
    try:
        data = os.read(fd, 4096)
    except OSError:
        break
    if not data:
        break
    out += data
    while out.count(b"Password") > prompts:
        prompts += 1
        os.write(fd, typed)
_, status = os.waitpid(pid, 0)
print(json.dumps({"status": os.waitstatus_to_exitcode(status), "output": base64.b64encode(out).decode()}))
`;
  // The password goes to the helper as an argument: the helper is the test's, the CLI under test never sees it there.
  const child = spawn("/usr/bin/python3", ["-c", script, JSON.stringify([process.execPath, cliJs, ...args]), typed], { stdio: "pipe" });
  const untrack = trackProcess(child.pid, { group: false });
  return collect(child, null).then((result) => {
    untrack();
    const answer = JSON.parse(result.stdout) as { status: number; output: string };
    return { status: answer.status, output: Buffer.from(answer.output, "base64").toString("utf8") };
  });
}
