// Issue 16, change-driven invalidation, in real Apache: with NodeAuthDjangoOption change_feed on, httpd's
// parent makes the generations table and the shared store of stamped grants, and a child answers a repeated
// Basic login from the store (ANP0540) for as long as the worker's change feed says the user is unchanged.
// Real Apache (mpm_event), the real worker under its own user (nobody, so the table is not httpd's User's), a
// SQLite database made and changed by real Django, the feed's triggers installed by `mod-authnz-node
// install-triggers`. What reached the worker is counted from its own debug lines, what the store answered from
// the module's ANP0540 lines; a barrier request (an unknown user) makes sure the worker's log has caught up.
import { spawnSync } from "node:child_process";
import { chownSync, mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, expect, test } from "vitest";
import { moduleServerDirectives } from "../../src/demo/module-directives.js";
import { configTest, nodeModuleBuilt, NODE_MODULE_PATH, printErrorLogOnFailure, REPO_ROOT, startApache, type ApacheServer } from "../harness/apache.js";
import { CliHarness } from "../harness/cli.js";
import { startDjango, type DjangoOracle } from "../harness/django.js";
import { eventually } from "../support/eventually.js";
import { location } from "../support/httpd-conf.js";
import { describeRequiring } from "../support/optional.js";
import { escapeRegExp as escape, WorkerTrips } from "../support/error-log.js";

const IS_ROOT = process.getuid?.() === 0;
const hasPython = spawnSync("/usr/bin/python3", ["-c", "import os"]).status === 0;
const idOf = (flag: string, name: string): number => Number(spawnSync("id", [flag, name], { encoding: "utf8" }).stdout.trim());

interface Login {
  readonly username: string;
  readonly password: string;
}
const ann: Login = { username: "ann", password: "pw-Ann-1" };
const ben: Login = { username: "ben", password: "pw-Ben-2" };
const cid: Login = { username: "cid", password: "pw-Cid-3" };
const dot: Login = { username: "dot", password: "pw-Dot-4" };
const USERS = [ann, ben, cid, dot];

function djangoSection(databaseUrl: string, extra: readonly string[] = []): string[] {
  return ["AuthType Basic", 'AuthName "stamped"', "AuthBasicProvider node", `NodeAuthDjangoDatabase "${databaseUrl}"`,
    "NodeAuthDjangoOption change_feed on", "NodeAuthDjangoOption change_feed_poll_ms 5",
    ...extra, "Require valid-user"];
}

function conf(databaseUrl: string, serverExtra: readonly string[] = []): string {
  return [
    moduleServerDirectives(REPO_ROOT, { logLevel: "debug" }),
    "NodeAuthWorkerUser nobody",
    ...serverExtra,
    "LogLevel info authnz_node:debug",
    location("/stamped/", djangoSection(databaseUrl)),
    location("/fresh/", ["AuthType Basic", 'AuthName "fresh"', "AuthBasicProvider node", `NodeAuthDjangoDatabase "${databaseUrl}"`,
      "Require valid-user"]),
  ].join("\n");
}


describeRequiring(nodeModuleBuilt() && IS_ROOT, "the module built and root (the worker runs as nobody)")(`the shared store of stamped grants (${NODE_MODULE_PATH})`, () => {
  let server: ApacheServer | undefined;
  let cli: CliHarness | undefined;
  let oracle: DjangoOracle | undefined;
  let dir = "";
  let databaseUrl = "";
  let barriers = 0;

  const { count, trips } = new WorkerTrips(() => server!.errorLog());
  const hits = (user: string): number => count(`ANP0540: user '${escape(user)}' granted from the shared store of stamped grants`);

  async function settle(): Promise<void> {
    const name = `barrier-${String(++barriers)}`;
    expect(await server!.statusAs("/fresh/", name, "none")).toBe(401);
    expect(await eventually(() => trips(name) === 1)).toBe(true);
  }

  /** Logs `user` in until a login is answered from the store (the feed connects a little after the worker starts). */
  async function kept(user: Login): Promise<void> {
    const before = hits(user.username);
    const ok = await eventually(async () => {
      expect(await server!.statusAs("/stamped/", user.username, user.password)).toBe(200);
      return hits(user.username) > before;
    }, 100, 50);
    expect(ok).toBe(true);
  }

  const generationsPath = (): string => {
    const run = join(server!.root, "run");
    const sub = readdirSync(run).find((name) => name.startsWith("authnz_node"));
    return join(run, sub ?? "", "generations");
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "anp-shared-store-"));
    databaseUrl = `sqlite://${join(dir, "db.sqlite3")}`;
    oracle = await startDjango({ databaseUrl, pbkdf2Iterations: 1000 });
    for (const user of USERS) await oracle.createUser(user);
    cli = CliHarness.create();
    const installed = await cli.run(["install-triggers", "--database", databaseUrl]);
    expect(installed.stderr).toBe("");
    // The worker (nobody) reads the database and its feed's table; Django (root) keeps changing it.
    for (const path of [dir, join(dir, "db.sqlite3")]) chownSync(path, idOf("-u", "nobody"), idOf("-g", "nobody"));
    server = await startApache({ mpm: "event", files: { "stamped/index.html": "s\n", "fresh/index.html": "f\n" }, conf: conf(databaseUrl) });
  }, 180_000);

  afterAll(async () => {
    await server?.stop();
    await oracle?.close();
    cli?.cleanup();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  printErrorLogOnFailure(() => server);

  test("the parent made the generations table: the worker's user's, mode 0600; the worker got --generations-fd 7", () => {
    const st = statSync(generationsPath());
    expect(st.uid).toBe(idOf("-u", "nobody"));
    expect(st.mode & 0o777).toBe(0o600);
    expect(st.size).toBe((8 + 65536) * 8);
    const [worker] = server!.workers();
    expect(worker?.command).toMatch(/--generations-fd 7\b/);
  });

  test("after the first stamped grant, the same credentials are answered from the store: no trip to the worker", async () => {
    await kept(ann);
    await settle();
    const tripsBefore = trips(ann.username);
    const hitsBefore = hits(ann.username);
    const N = 10;
    for (let i = 0; i < N; i++) expect(await server!.statusAs("/stamped/", ann.username, ann.password)).toBe(200);
    await settle();
    expect(trips(ann.username) - tripsBefore).toBe(0);
    expect(hits(ann.username) - hitsBefore).toBe(N);
  });

  test("a wrong password always reaches the worker and gets 401", async () => {
    await kept(ann);
    await settle();
    const deniedBefore = trips(ann.username, "DENIED");
    const hitsBefore = hits(ann.username);
    for (let i = 0; i < 4; i++) expect(await server!.statusAs("/stamped/", ann.username, `${ann.password}x`)).toBe(401);
    await settle();
    expect(trips(ann.username, "DENIED") - deniedBefore).toBe(4);
    expect(hits(ann.username)).toBe(hitsBefore);
  });

  test("a password changed in Django is refused within 2 s; the new one is granted", async () => {
    await kept(ben);
    const changed = { ...ben, password: "pw-Ben-new" };
    await oracle!.setPassword(ben.username, changed.password);
    expect(await eventually(async () => (await server!.statusAs("/stamped/", ben.username, ben.password)) === 401, 40, 50)).toBe(true);
    expect(await server!.statusAs("/stamped/", ben.username, changed.password)).toBe(200);
  });

  test("a user deactivated in Django is refused within 2 s", async () => {
    await kept(cid);
    await oracle!.setActive(cid.username, false);
    expect(await eventually(async () => (await server!.statusAs("/stamped/", cid.username, cid.password)) === 401, 40, 50)).toBe(true);
  });

  test("www-data cannot open, rename or replace the generations table", () => {
    if (!hasPython) return;
    const path = generationsPath();
    const script = String.raw`
import json, os, sys
path = sys.argv[1]
seen = {}
def attempt(name, fn):
    try:
        fn(); seen[name] = "done"
    except OSError as e:
        seen[name] = e.errno
attempt("openRead", lambda: os.close(os.open(path, os.O_RDONLY)))
attempt("openReadWrite", lambda: os.close(os.open(path, os.O_RDWR)))
attempt("rename", lambda: os.rename(path, path + ".x"))
attempt("unlink", lambda: os.unlink(path))
attempt("replace", lambda: os.close(os.open(path + ".new", os.O_CREAT | os.O_WRONLY, 0o644)))
print(json.dumps(seen))
`;
    const run = spawnSync("runuser", ["-u", "www-data", "--", "/usr/bin/python3", "-c", script, path], { encoding: "utf8" });
    expect(run.status).toBe(0);
    const seen = JSON.parse(run.stdout) as Record<string, unknown>;
    for (const key of ["openRead", "openReadWrite", "rename", "unlink", "replace"]) expect(seen[key], key).not.toBe("done");
    expect(statSync(path).uid).toBe(idOf("-u", "nobody"));
  });

  test("www-data finds no way to the store: no System V segment of httpd's, and the children's memory is closed to it", async () => {
    if (!hasPython) return;
    await kept(dot);
    // The store and the table's mapping are anonymous or read-only shared memory: nothing System V was made.
    const ipcs = spawnSync("ipcs", ["-m", "-p"], { encoding: "utf8" });
    const httpdPids = new Set([server!.pid, ...server!.processes().map((p) => p.pid)].map(String));
    const creators = ipcs.stdout.split("\n").map((line) => line.trim().split(/\s+/)[2]).filter((pid) => pid !== undefined && httpdPids.has(pid));
    expect(creators).toEqual([]);
    // What is in a child's memory (the store, its key) cannot be read by another www-data process.
    const script = String.raw`
import json, os, sys
seen = {}
for pid in sys.argv[1:]:
    for name in ("mem", "maps", "map_files"):
        path = "/proc/%s/%s" % (pid, name)
        try:
            if name == "map_files":
                os.listdir(path)
            else:
                with open(path, "rb") as f:
                    f.read(1)
            seen[path] = "read"
        except OSError as e:
            seen[path] = e.errno
print(json.dumps(seen))
`;
    const children = server!.children().map((c) => String(c.pid));
    expect(children.length).toBeGreaterThan(0);
    const run = spawnSync("runuser", ["-u", "www-data", "--", "/usr/bin/python3", "-c", script, ...children], { encoding: "utf8" });
    expect(run.status).toBe(0);
    const seen = JSON.parse(run.stdout) as Record<string, unknown>;
    expect(Object.keys(seen)).toHaveLength(children.length * 3);
    for (const [path, result] of Object.entries(seen)) expect(result, path).not.toBe("read");
  });

  test("after the worker is killed (SIGKILL), the next login is not answered from the store", async () => {
    await kept(dot);
    const [worker] = server!.workers();
    expect(worker).toBeDefined();
    const hitsBefore = hits(dot.username);
    process.kill(worker!.pid, "SIGKILL");
    // The dead worker renews no lease (250 ms); the parent ends it as soon as the MPM reaps the worker.
    await sleep(400);
    const status = await server!.statusAs("/stamped/", dot.username, dot.password);
    expect([200, 500]).toContain(status);
    expect(hits(dot.username)).toBe(hitsBefore);
    // A new worker answers again, and its grants are kept again.
    expect(await eventually(async () => (await server!.statusAs("/stamped/", dot.username, dot.password)) === 200, 100, 100)).toBe(true);
  });
});

describeRequiring(nodeModuleBuilt(), "the module built")("configtest: the shared store's directives and change_feed", () => {
  const base = (lines: readonly string[]): string => [moduleServerDirectives(REPO_ROOT), ...lines].join("\n");
  const django = (extra: readonly string[]): string =>
    location("/x/", ["AuthType Basic", 'AuthName "x"', "AuthBasicProvider node", 'NodeAuthDjangoDatabase "sqlite:///nonexistent/db.sqlite3"', ...extra, "Require valid-user"]);

  test.each([
    ["an entry count not a power of two", "NodeAuthSharedCacheEntries 1000", /NodeAuthSharedCacheEntries: '1000' is not a power of two from 64 to 4194304/],
    ["an entry count too small", "NodeAuthSharedCacheEntries 32", /NodeAuthSharedCacheEntries: '32' is not a power of two/],
    ["an entry count too large", "NodeAuthSharedCacheEntries 8388608", /NodeAuthSharedCacheEntries: '8388608' is not a power of two/],
    ["a max age of 0", "NodeAuthSharedCacheMaxAge 0", /NodeAuthSharedCacheMaxAge: '0' is not a whole number of seconds from 1 to 3600/],
    ["a max age too long", "NodeAuthSharedCacheMaxAge 3601", /NodeAuthSharedCacheMaxAge: '3601' is not a whole number/],
    ["a max age with a unit", "NodeAuthSharedCacheMaxAge 60s", /NodeAuthSharedCacheMaxAge: '60s' is not a whole number/],
    ["the store's size in a virtual host", "<VirtualHost *:80>\nNodeAuthSharedCacheEntries 1024\n</VirtualHost>", /NodeAuthSharedCacheEntries cannot occur within <VirtualHost> section/],
    ["change_feed on with row_cache_seconds", django(["NodeAuthDjangoOption row_cache_seconds 5", "NodeAuthDjangoOption change_feed on"]), /change_feed: cannot be on with row_cache_seconds above 0/],
    ["row_cache_seconds after change_feed on", django(["NodeAuthDjangoOption change_feed on", "NodeAuthDjangoOption row_cache_seconds 5"]), /change_feed: cannot be on with row_cache_seconds above 0/],
    ["a poll interval out of range", django(["NodeAuthDjangoOption change_feed_poll_ms 0"]), /change_feed_poll_ms: expected an integer from 1 to 1000/],
  ])("refuses %s", async (_name, lines, message) => {
    const result = await configTest({ conf: base([lines]) });
    expect(result.ok).toBe(false);
    expect(result.output).toMatch(message);
  });

  test("accepts good values, and change_feed on with row_cache_seconds 0", async () => {
    const result = await configTest({ conf: base(["NodeAuthSharedCacheEntries 1024", "NodeAuthSharedCacheMaxAge 30",
      django(["NodeAuthDjangoOption change_feed on", "NodeAuthDjangoOption row_cache_seconds 0"])]) });
    expect(result.output).not.toMatch(/NodeAuthSharedCache|change_feed/);
  });
});
