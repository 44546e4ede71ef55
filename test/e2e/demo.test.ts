// `npm run demo` for real: dist/demo/main.js (built by `npm run build`, which `npm test` runs first)
// with --check asks Apache every demo login's status and compares it with Django's answers; and
// without it the demo serves until SIGINT, then leaves no process and no file behind. As root the
// worker runs as mod_authnz_node and www-data (Apache's children, any PHP or CGI) cannot read the
// database's password hashes.
import { describe, test, expect, afterEach } from "vitest";
import { execFileSync, spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { REPO_ROOT, basicAuthorization } from "../harness/apache.js";
import { descendants, readProcess } from "../../src/demo/httpd-process.js";
import { httpRequest } from "../../src/demo/http-request.js";
import { inCi, requireOrSkip } from "../support/optional.js";
import { eventually } from "../support/eventually.js";

const DEMO = join(REPO_ROOT, "dist/demo/main.js");

interface Run {
  readonly child: ChildProcess;
  output(): string;
  readonly exited: Promise<number | null>;
}

/** Demos started by the running test: a failed assertion must not leave one (and its Apache) behind. */
const started: Run[] = [];
afterEach(async () => {
  for (const run of started.splice(0)) {
    if (run.child.exitCode !== null || run.child.signalCode !== null) continue;
    // SIGTERM lets the demo stop Apache and the worker itself; SIGKILL only if it does not exit.
    run.child.kill("SIGTERM");
    const forced = setTimeout(() => run.child.kill("SIGKILL"), 30_000);
    await run.exited;
    clearTimeout(forced);
  }
});

function startDemo(args: string[], env: NodeJS.ProcessEnv = {}): Run {
  const child = spawn(process.execPath, [DEMO, ...args], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout?.setEncoding("utf8").on("data", (text: string) => (output += text));
  child.stderr?.setEncoding("utf8").on("data", (text: string) => (output += text));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  const run = { child, output: () => output, exited };
  started.push(run);
  return run;
}

/** The real uid /proc/<pid>/status gives. */
function uidOf(pid: number): number {
  const uid = /^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
  if (uid === undefined) throw new Error(`no Uid line in /proc/${pid}/status`);
  return Number(uid);
}

/** As root: the worker runs as mod_authnz_node, and www-data, trying as an attacker would, cannot read the database. */
function expectWorkerUserAndClosedDatabase(tree: ReturnType<typeof descendants>, stateDir: string): void {
  if (process.getuid?.() !== 0) {
    // Only root can run the worker under a user of its own; CI runs as root, so there this is a failure.
    if (inCi()) throw new Error("not root: the worker's user and the database's permissions cannot be checked");
    console.log("not root: the worker's user and the database's permissions are not checked");
    return;
  }
  const workers = tree.filter((p) => p.command.includes("dist/worker.js"));
  expect(workers.length, JSON.stringify(tree)).toBe(1);
  const workerUid = Number(execFileSync("id", ["-u", "mod_authnz_node"], { encoding: "utf8" }).trim());
  expect(uidOf(workers[0]?.pid ?? -1)).toBe(workerUid);
  const database = join(stateDir, "django/demo.sqlite3");
  expect(existsSync(database), database).toBe(true);
  const read = spawnSync("runuser", ["-u", "www-data", "--", "cat", database], { encoding: "utf8" });
  expect(read.status, read.stdout.slice(0, 200)).not.toBe(0);
  expect(read.stderr).toContain("Permission denied");
  // The SECRET_KEY signs every session: neither www-data nor the worker's user reads it, only the
  // Django site's mod_wsgi daemon, which runs as a user of its own.
  const key = join(stateDir, "django-secret/secret_key");
  expect(existsSync(key), key).toBe(true);
  for (const user of ["www-data", "mod_authnz_node"]) {
    const attempt = spawnSync("runuser", ["-u", user, "--", "cat", key], { encoding: "utf8" });
    expect(attempt.status, `${user} read the key`).not.toBe(0);
    expect(attempt.stderr).toContain("Permission denied");
  }
  const daemons = tree.filter((p) => p.command.startsWith("(wsgi:demo-django"));
  expect(daemons.length, JSON.stringify(tree)).toBe(1);
  const siteUid = Number(execFileSync("id", ["-u", "mod_authnz_node_django"], { encoding: "utf8" }).trim());
  expect(uidOf(daemons[0]?.pid ?? -1)).toBe(siteUid);
}

async function waitFor(run: Run, text: string): Promise<void> {
  // The demo prints this once Apache answers; a demo that exits first fails at once, with its output.
  // It seeds a Django database and starts Apache first, so it gets more tries than the default.
  const printed = await eventually(() => {
    if (run.child.exitCode !== null) throw new Error(`demo exited (${run.child.exitCode}) before printing ${JSON.stringify(text)}:\n${run.output()}`);
    return run.output().includes(text);
  }, 1500);
  if (!printed) throw new Error(`demo did not print ${JSON.stringify(text)}:\n${run.output()}`);
}

describe("npm run demo", () => {
  test("dist/demo/main.js is built (npm run build)", () => {
    expect(existsSync(DEMO), `${DEMO} is missing`).toBe(true);
  });

  test("--check: every login gets what Django says, through Apache and the module", async () => {
    const run = startDemo(["--check"]);
    const code = await run.exited;
    const output = run.output();
    console.log(output);
    expect(code, output).toBe(0);
    expect(output).toMatch(/demo --check: all \d+ checks passed/);
    // The table the check printed: the seed's users land where the seed says.
    const row = (credentials: string, path: string) => new RegExp(`\\| ${credentials.replace(/[/]/g, "\\/")}\\s*\\| ${path}\\s*\\| (\\d{3})\\s*\\| (\\S+)\\s*\\| ok`);
    const expectRow = (credentials: string, path: string, status: number) => {
      const match = row(credentials, path).exec(output);
      expect(match?.slice(1, 3), `${credentials} ${path}`).toEqual([String(status), String(status)]);
    };
    expectRow("alice / wonderland", "/secret/", 200);
    expectRow("bob / builder", "/members/", 200);
    expectRow("bob / builder", "/secret/", 401);
    // /members/ is AuthType DjangoSession: carol's login is refused by Django's form, so no session,
    // and a browser without one is sent to the login page.
    expectRow("carol / inactive", "/members/", 302);
    expectRow("jürgen / pässwörd", "/members/", 200);
    expectRow("no credentials", "/members/", 302);
    expectRow("forged session cookie", "/members/", 302);
  });

  test("serves until SIGINT, then stops Apache and the worker and removes its files", async () => {
    const state = mkdtempSync(join(tmpdir(), "anp-demo-test-"));
    // Apache's children and the worker run as www-data: they must be able to enter the directory.
    chmodSync(state, 0o755);
    const stateDir = join(state, "demo");
    try {
      const run = startDemo([], { DEMO_STATE_DIR: stateDir });
      await waitFor(run, "Press Ctrl-C");
      const url = /mod_authnz_node demo: http:\/\/127\.0\.0\.1:(\d+)\//.exec(run.output());
      expect(url, run.output()).not.toBeNull();
      const port = Number(url?.[1]);
      const secret = await httpRequest({ port, path: "/secret/", headers: [["Authorization", basicAuthorization("alice", "wonderland")]] });
      expect(secret.status).toBe(200);
      expect(secret.body).toContain("secret-agents page");
      const bob = await httpRequest({ port, path: "/secret/", headers: [["Authorization", basicAuthorization("bob", "builder")]] });
      expect(bob.status).toBe(401);

      const tree = descendants(run.child.pid ?? -1);
      expect(tree.some((p) => p.command.includes("apache2")), JSON.stringify(tree)).toBe(true);
      expectWorkerUserAndClosedDatabase(tree, stateDir);
      run.child.kill("SIGINT");
      expect(await run.exited, run.output()).toBe(0);
      expect(run.output()).toContain("demo: SIGINT; stopping");
      const survivors = tree.filter((p) => readProcess(p.pid)?.startTime === p.startTime);
      expect(survivors.map((p) => p.command)).toEqual([]);
      await expect(httpRequest({ port, path: "/" })).rejects.toThrow();
      // DEMO_STATE_DIR is the user's: kept, as the demo says.
      expect(run.output()).toContain(`files kept in ${stateDir}`);
    } finally {
      rmSync(state, { recursive: true, force: true });
    }
  });

  test("a DEMO_STATE_DIR that www-data cannot enter is refused with the reason", async (context) => {
    requireOrSkip(context, process.getuid?.() === 0, "not root: www-data's view of a directory needs root to arrange");
    const state = mkdtempSync(join(tmpdir(), "anp-demo-closed-"));
    try {
      const run = startDemo(["--check"], { DEMO_STATE_DIR: join(state, "demo") });
      expect(await run.exited).toBe(1);
      expect(run.output()).toContain(`www-data cannot reach ${join(state, "demo")}: ${state} is not searchable by others`);
    } finally {
      rmSync(state, { recursive: true, force: true });
    }
  });

  test("Ctrl-C during start-up stops what was started and removes the files (exit 130)", async () => {
    const run = startDemo([]);
    await waitFor(run, "creating the Django database");
    const stateDir = /demo: files in (\S+)/.exec(run.output())?.[1];
    expect(stateDir, run.output()).toBeDefined();
    run.child.kill("SIGINT");
    expect(await run.exited, run.output()).toBe(130);
    expect(run.output()).toContain("SIGINT during start-up; stopping");
    expect(run.output()).not.toContain("Press Ctrl-C");
    expect(existsSync(stateDir as string)).toBe(false);
    // Nothing the demo started (Django, Apache, the worker) runs on with its files.
    expect(descendants(1).filter((p) => p.command.includes(stateDir as string)).map((p) => p.command)).toEqual([]);
  });

  test("without DEMO_STATE_DIR, Ctrl-C removes the demo's temporary directory", async () => {
    const run = startDemo([]);
    await waitFor(run, "Press Ctrl-C");
    const root = /Server root (\S+)\/httpd,/.exec(run.output())?.[1];
    expect(root, run.output()).toBeDefined();
    expect(existsSync(root as string)).toBe(true);
    run.child.kill("SIGTERM");
    expect(await run.exited, run.output()).toBe(0);
    expect(existsSync(root as string)).toBe(false);
  });
});
