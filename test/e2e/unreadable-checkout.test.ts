// A worker its user cannot load (a checkout under root's 0700 home, say) stops `apache2 -t` and
// httpd's start with ANP0342, naming the user and the directory or file that blocks it, instead of
// a worker restarted forever while every check answers 500. The check is made as the worker's user
// (a child of httpd that drops to it), so these run as root: as anyone else there is no other user
// to be, and the suite says so instead of passing.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, cpSync, existsSync } from "node:fs";
import { execFileSync, spawnSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { configTest, startApache, REPO_ROOT, WORKER_ENTRY, type ApacheServer } from "../harness/apache.js";
import { eventually } from "../support/eventually.js";

const isRoot = process.getuid?.() === 0;
let base: string;

function workerCopyIn(dir: string, dirMode: number, fileMode = 0o644): string {
  mkdirSync(dir, { recursive: true });
  const script = join(dir, "worker.js");
  copyFileSync(WORKER_ENTRY, script);
  chmodSync(script, fileMode);
  chmodSync(dir, dirMode);
  return script;
}

beforeAll(() => {
  if (!isRoot) throw new Error("unreadable-checkout needs root: the module checks as the worker's user, which only root can become");
  base = mkdtempSync(join(tmpdir(), "anp-unreadable-"));
  chmodSync(base, 0o755);
});

afterAll(() => {
  if (base) rmSync(base, { recursive: true, force: true });
});

describe("a worker its user cannot read", () => {
  test("apache2 -t refuses a worker under a 0700 directory, naming the directory and httpd's User", async () => {
    const closed = join(base, "home-0700");
    const script = workerCopyIn(join(closed, "checkout", "dist"), 0o755);
    chmodSync(closed, 0o700);
    const result = await configTest({ conf: `NodeAuthWorker "${script}"` });
    expect(result.ok).toBe(false);
    expect(result.output).toContain(`ANP0342: httpd cannot start the worker: the worker's user www-data (uid 33) cannot read NodeAuthWorker ${script}: ${closed} is not searchable by that user (Permission denied)`);
    expect(result.output).not.toMatch(/Syntax OK/);
  });

  test("the same copy under directories others may search passes", async () => {
    const script = workerCopyIn(join(base, "open", "dist"), 0o755);
    const result = await configTest({ conf: `NodeAuthWorker "${script}"` });
    expect(result.output).not.toMatch(/ANP0342/);
    expect(result.ok).toBe(true);
  });

  test("apache2 -t refuses a worker script only root may read, naming the file", async () => {
    const script = workerCopyIn(join(base, "file-0600"), 0o755, 0o600);
    const result = await configTest({ conf: `NodeAuthWorker "${script}"` });
    expect(result.ok).toBe(false);
    expect(result.output).toContain(`cannot read NodeAuthWorker ${script}: ${script} itself is refused (Permission denied)`);
  });

  test("the check is made as NodeAuthWorkerUser, with its groups: a directory only that user's group may search", async () => {
    const groupOnly = join(base, "group-only");
    const script = workerCopyIn(join(groupOnly, "dist"), 0o755);
    execFileSync("chown", ["root:mod_authnz_node", groupOnly]);
    chmodSync(groupOnly, 0o750);
    const asWorkerUser = await configTest({ conf: `NodeAuthWorkerUser mod_authnz_node\nNodeAuthWorker "${script}"` });
    expect(asWorkerUser.output).not.toMatch(/ANP0342/);
    expect(asWorkerUser.ok).toBe(true);
    // httpd's User (www-data) is not in that group.
    const asHttpdUser = await configTest({ conf: `NodeAuthWorker "${script}"` });
    expect(asHttpdUser.ok).toBe(false);
    expect(asHttpdUser.output).toContain(`the worker's user www-data (uid 33) cannot read NodeAuthWorker ${script}: ${groupOnly} is not searchable`);
  });

  test("a node binary the worker's user cannot execute is refused", async () => {
    const closed = join(base, "node-0700");
    mkdirSync(closed, { recursive: true });
    const node = join(closed, "node");
    // A link is enough here: the directory holding it is what blocks.
    symlinkSync(process.execPath, node);
    chmodSync(closed, 0o700);
    const result = await configTest({ conf: `NodeAuthNodeBinary "${node}"` });
    expect(result.ok).toBe(false);
    expect(result.output).toContain(`cannot execute NodeAuthNodeBinary ${node}: ${closed} is not searchable by that user`);
  });

  test("httpd does not start with it either, and says the same", async () => {
    const closed = join(base, "start-0700");
    const script = workerCopyIn(join(closed, "dist"), 0o755);
    chmodSync(closed, 0o700);
    const started = startApache({ conf: `NodeAuthWorker "${script}"` });
    await expect(started).rejects.toThrow(/apache2 exited/);
    await expect(started).rejects.toThrow(`ANP0342: httpd cannot start the worker: the worker's user www-data (uid 33) cannot read NodeAuthWorker ${script}: ${closed} is not searchable by that user`);
  });
});

/**
 * A clone in a 0700 home directory, cheaply: what `npm run demo` runs (dist/, scripts/ for Django,
 * package.json, the built module and addon) copied, so the directories really are the clone's;
 * node_modules is a link to this checkout's, which only root follows (the demo copies from it as root).
 */
function cloneIn0700Home(): { home: string; clone: string } {
  const home = join(base, "root-home");
  const clone = join(home, "clone");
  mkdirSync(join(clone, "build/Release"), { recursive: true });
  for (const dir of ["dist", "scripts"]) cpSync(join(REPO_ROOT, dir), join(clone, dir), { recursive: true });
  cpSync(join(REPO_ROOT, "package.json"), join(clone, "package.json"));
  for (const file of ["anp_addon.node", "mod_authnz_node.so"]) cpSync(join(REPO_ROOT, "build/Release", file), join(clone, "build/Release", file));
  symlinkSync(join(REPO_ROOT, "node_modules"), join(clone, "node_modules"));
  chmodSync(home, 0o700);
  return { home, clone };
}

function canRead(user: string, path: string): boolean {
  return spawnSync("runuser", ["-u", user, "--", "cat", path], { stdio: "ignore" }).status === 0;
}

describe("npm run demo from a clone in a 0700 home directory", () => {
  test("the module refuses the clone's own worker for the demo's worker user, and the demo's --check passes with a staged copy only that user reads", async () => {
    const { home, clone } = cloneIn0700Home();
    const refused = await configTest({ conf: `NodeAuthWorkerUser mod_authnz_node\nNodeAuthWorker "${join(clone, "dist/worker.js")}"` });
    expect(refused.ok).toBe(false);
    expect(refused.output).toContain(`the worker's user mod_authnz_node (uid ${execFileSync("id", ["-u", "mod_authnz_node"], { encoding: "utf8" }).trim()}) cannot read NodeAuthWorker ${join(clone, "dist/worker.js")}: ${home} is not searchable`);

    const stateDir = join(base, "demo-state");
    const demo = spawnSync(process.execPath, [join(clone, "dist/demo/main.js"), "--check"], {
      encoding: "utf8",
      env: { ...process.env, DEMO_STATE_DIR: stateDir },
      // A bound on a hung demo, not an assertion: the result is read from its output.
      timeout: 240_000,
    });
    expect(`${demo.stdout}${demo.stderr}`).toMatch(/demo --check: all \d+ checks passed/);
    expect(demo.status).toBe(0);
    const staged = join(stateDir, "worker", "dist/worker.js");
    expect(existsSync(staged)).toBe(true);
    expect(canRead("mod_authnz_node", staged)).toBe(true);
    expect(canRead("www-data", staged)).toBe(false);
    expect(canRead("mod_authnz_node", join(stateDir, "worker", "node_modules/pg/package.json"))).toBe(true);
  }, 300_000);
});

// What node prints for an uncaught error at start, with the line that says why in the middle.
const DIES_AT_START = [
  "process.stderr.write([",
  "  'file:///fixture/dies.mjs:9',",
  "  '    throw new Error(\"the fixture worker cannot start\");',",
  "  '    ^',",
  "  '',",
  "  'Error: the fixture worker cannot start',",
  "  '    at file:///fixture/dies.mjs:9:11',",
  "  '',",
  "  'Node.js v20.0.0',",
  "  '',",
  "].join('\\n'));",
  "process.exit(1);",
].join("\n");

describe("a worker that dies at start, again and again", () => {
  let server: ApacheServer | undefined;
  afterAll(async () => {
    await server?.stop();
  });

  test("is logged at crit after five deaths in a row, with the line it wrote that names the error", async () => {
    server = await startApache({
      files: { "dies.mjs": DIES_AT_START },
      conf: (layout) => `NodeAuthWorker "${join(layout.docRoot, "dies.mjs")}"`,
    });
    const running = server;
    expect(await eventually(() => /ANP0343/.test(running.errorLog()))).toBe(true);
    const log = running.errorLog();
    expect(log).toMatch(/\[authnz_node:crit\].*ANP0343: the worker died at start 5 times in a row \(last pid \d+\); checks fail with 500 until it can run; its last error line: Error: the fixture worker cannot start$/m);
    // Once per run of deaths, not at every one.
    expect(log.match(/ANP0343/g)).toHaveLength(1);
    expect(log.match(/ANP0304/g)?.length).toBeGreaterThanOrEqual(5);
  }, 120_000);
});
