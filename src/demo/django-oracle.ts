// Runs the project's Django oracle (scripts/django/oracle.py, on Debian's Python with Django) for
// a batch of commands: the demo makes its database with real Django, so every hash, group and
// flag in it is Django's own, and asks Django what each demo user should be allowed to see.
import { spawn } from "node:child_process";
import { join } from "node:path";
import { DjangoOracleError } from "../errors.js";

/** Debian's Python has Django; a `python3` earlier on PATH may not. */
export const DEBIAN_PYTHON = "/usr/bin/python3";

export type OracleCommand = { readonly cmd: string } & Readonly<Record<string, unknown>>;
export type OracleAnswer = Readonly<Record<string, unknown>>;

/**
 * Sends `commands` (one JSON object per line) to oracle.py with DJANGO_DB_URL=`databaseUrl` and
 * returns the answers in order; any answer with ok=false rejects, naming the command.
 */
export function runOracle(repoRoot: string, databaseUrl: string, commands: readonly OracleCommand[]): Promise<OracleAnswer[]> {
  const projectDir = join(repoRoot, "scripts/django");
  const env: NodeJS.ProcessEnv = { ...process.env, DJANGO_DB_URL: databaseUrl, PYTHONUNBUFFERED: "1" };
  delete env.PYTHONPATH;
  delete env.PYTHONHOME;
  delete env.DJANGO_CUSTOM_USER;
  return new Promise((resolve, reject) => {
    const child = spawn(DEBIAN_PYTHON, [join(projectDir, "oracle.py")], { cwd: projectDir, env, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (text: string) => (stdout += text));
    child.stderr.setEncoding("utf8").on("data", (text: string) => (stderr = (stderr + text).slice(-8000)));
    child.on("error", (err) => reject(new DjangoOracleError(`cannot run ${DEBIAN_PYTHON}: ${err.message}`)));
    child.on("exit", (code, signal) => {
      const lines = stdout.split("\n").filter((line) => line.trim() !== "");
      if (lines.length !== commands.length) {
        reject(new DjangoOracleError(`oracle.py exited (${code ?? signal}) after ${lines.length} of ${commands.length} answers:\n${stderr}`));
        return;
      }
      const answers: OracleAnswer[] = [];
      for (const [index, line] of lines.entries()) {
        const answer = JSON.parse(line) as OracleAnswer;
        if (answer.ok !== true) {
          reject(new DjangoOracleError(`oracle.py ${commands[index]?.cmd}: ${String(answer.error_type)}: ${String(answer.error)}`));
          return;
        }
        answers.push(answer);
      }
      resolve(answers);
    });
    child.stdin.end(commands.map((command) => `${JSON.stringify(command)}\n`).join(""));
  });
}
