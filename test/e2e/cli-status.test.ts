// `mod-authnz-node status` against real Apache, the real module and the real worker (a Django SQLite
// database): the worker's pid as ps sees it, counters that move (verified-credential cache hits after
// repeated logins, throttle failures after wrong passwords), the start count after the module restarts a
// killed worker, CRITICAL once httpd is stopped, Nagios exit codes for the thresholds. And admin.sock against
// www-data (hostile code running as httpd's User): no connect (EACCES); with the socket chmod 0666 by the
// test the worker still closes without a byte and logs a warning; the STATUS frame on the request socket
// gets no status.
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { nodeModuleBuilt, printErrorLogOnFailure, REPO_ROOT, startApache, type ApacheServer } from "../harness/apache.js";
import { CliHarness, type CliResult } from "../harness/cli.js";
import { trackDirectory } from "../harness/lifecycle.js";
import { seedDjango } from "../fixtures/use-cases/django.js";
import { requestFrom } from "../support/client-address.js";
import { describeRequiring } from "../support/optional.js";
import { eventually } from "../support/eventually.js";
import { basicLocation } from "../support/httpd-conf.js";
import { moduleServerDirectives } from "../../src/demo/module-directives.js";
import { ADMIN_KIND_STATUS, ANSWER_BIT, encodeAdminRequest } from "../../src/protocol/index.js";

const IS_ROOT = process.getuid?.() === 0;
const ATTACKER = join(REPO_ROOT, "test/fixtures/module/admin-attacker.mjs");
const PAIR_LIMIT = 100;

let server: ApacheServer | undefined;
printErrorLogOnFailure(() => server);

function idOf(flag: "-u" | "-g", user: string): number {
  return Number(spawnSync("id", [flag, user], { encoding: "utf8" }).stdout.trim());
}

/** The part of the worker's STATUS answer these tests read (src/worker/status.ts). */
interface StatusJson {
  readonly pid: number;
  readonly handlers: ReadonlyArray<{ readonly description: string; readonly status?: { readonly verifiedCache?: { readonly hits: number } } }>;
  readonly throttle: { readonly failures: number };
}

interface AttackResult {
  readonly error: string | null;
  readonly bytes: string;
  readonly closed: boolean;
}

/** The STATUS frame sent to `path` by a process of `user` (its own uid and primary group, nothing else). */
function attackAs(path: string, user = "www-data"): AttackResult {
  const run = spawnSync(
    "setpriv",
    [`--reuid=${idOf("-u", user)}`, `--regid=${idOf("-g", user)}`, "--clear-groups", process.execPath, ATTACKER, path, encodeAdminRequest(7).toString("hex")],
    { encoding: "utf8", timeout: 30_000 },
  );
  const line = run.stdout.trim().split("\n").pop() ?? "";
  if (!line) throw new Error(`attacker printed nothing (status ${String(run.status)}): ${run.stderr}`);
  return JSON.parse(line) as AttackResult;
}

describeRequiring(nodeModuleBuilt() && IS_ROOT, "the module built (npm run build), and root: httpd's parent binds admin.sock as root")("mod-authnz-node status", () => {
  let httpd: ApacheServer;
  let cli: CliHarness;
  let dir = "";
  let untrackDir = (): void => {};

  const status = (...args: string[]): Promise<CliResult> => cli.run(["status", "--config", httpd.confPath, ...args]);
  const json = async (...args: string[]): Promise<{ state: string; exitCode: number; status: StatusJson }> =>
    JSON.parse((await status("--json", ...args)).stdout) as { state: string; exitCode: number; status: StatusJson };
  const socketPath = (): string => {
    const match = /ANP0302: started worker pid \d+ \(.*?\) on (\S+) as /.exec(httpd.errorLog());
    if (!match?.[1]) throw new Error("no ANP0302 line in the error log");
    return match[1];
  };
  const adminPath = (): string => join(dirname(socketPath()), "admin.sock");

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "anp-status-"));
    untrackDir = trackDirectory(dir);
    chmodSync(dir, 0o755);
    const url = `sqlite://${join(dir, "users.sqlite3")}`;
    await seedDjango(url, { users: [{ username: "alice", password: "alice-Pw-1" }] });
    cli = CliHarness.create();
    httpd = await startApache({
      conf: [
        moduleServerDirectives(REPO_ROOT),
        `NodeAuthThrottlePairLimit ${PAIR_LIMIT}`,
        basicLocation("/django/", "status", ["AuthBasicProvider node", `NodeAuthDjangoDatabase "${url}"`, "Require valid-user"]),
      ].join("\n"),
      files: { "django/index.html": "django\n" },
    });
    server = httpd;
    expect(await eventually(async () => (await httpd.statusAs("/django/", "alice", "alice-Pw-1")) === 200)).toBe(true);
  });

  afterAll(async () => {
    await server?.stop();
    cli?.cleanup();
    if (dir) rmSync(dir, { recursive: true, force: true });
    untrackDir();
  });

  test("admin.sock sits beside the worker's socket, root's and 0600", () => {
    const st = statSync(adminPath());
    expect(st.isSocket()).toBe(true);
    expect({ uid: st.uid, mode: st.mode & 0o7777 }).toEqual({ uid: 0, mode: 0o600 });
  });

  test("found through httpd: OK, the worker's pid as ps sees it, start 1, exit 0", async () => {
    const result = await status();
    const pid = httpd.workers()[0]?.pid;
    expect(pid).toBeGreaterThan(0);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`^AUTHNZ_NODE OK - worker pid ${pid}, up \\w+, start 1, hash queue 0 \\| uptime=\\d+s `));
    const answer = await json();
    expect(answer.status).toMatchObject({ pid, startCount: 1, handlers: [{ created: true }] });
    expect(answer.status.handlers[0]?.description).toMatch(/^django:sqlite:/);
  });

  test("the verified-credential cache's hits and the throttle's failures move with requests; no user name in the answer", async () => {
    const before = (await json()).status;
    const hits = (s: StatusJson): number => s.handlers[0]?.status?.verifiedCache?.hits ?? -1;
    for (let i = 0; i < 3; i++) expect(await httpd.statusAs("/django/", "alice", "alice-Pw-1")).toBe(200);
    // From an address of its own: the harness exempts 127.0.0.1 from the throttle.
    for (let i = 0; i < 2; i++) expect((await requestFrom(httpd.url("/django/"), "127.0.0.9", { user: "alice", password: "wrong-password" })).status).toBe(401);
    const after = (await json()).status;
    expect(hits(after)).toBeGreaterThanOrEqual(hits(before) + 3);
    expect(after.throttle.failures).toBe(before.throttle.failures + 2);
    const text = JSON.stringify(after);
    expect(text).not.toContain("alice");
    expect(text).not.toContain("Pw-1");
  });

  test("a threshold not crossed is OK (0); a bad threshold is UNKNOWN (3); a socket nobody listens on is CRITICAL (2)", async () => {
    expect((await status("--warn-queue", "0")).status).toBe(0);
    const usage = await status("--warn-queue", "x");
    expect(usage.status).toBe(3);
    expect(usage.stderr).toMatch(/--warn-queue must be a whole number/);
    expect((await cli.run(["status", "--no-such-flag"])).status).toBe(3);
    expect((await status("--socket", join(dir, "nothing.sock"))).status).toBe(2);
  });

  test("www-data cannot connect to admin.sock (EACCES)", () => {
    expect(attackAs(adminPath())).toMatchObject({ error: "EACCES", bytes: "" });
  });

  test("with admin.sock chmod 0666, the worker still refuses uid 33: closed without a byte, a warning logged", async () => {
    const path = adminPath();
    chmodSync(path, 0o666);
    try {
      const result = attackAs(path);
      // Closed before or while the frame was written: nothing, EPIPE or ECONNRESET, never a byte back.
      expect({ bytes: result.bytes, closed: result.closed }).toEqual({ bytes: "", closed: true });
      expect([null, "EPIPE", "ECONNRESET"]).toContain(result.error);
      expect(await eventually(() => /admin socket: refused connection: uid 33 pid \d+ is not root or NodeAuthAdminUser/.test(httpd.errorLog()))).toBe(true);
    } finally {
      chmodSync(path, 0o600);
    }
  });

  test("www-data sending the STATUS frame on the request socket gets no status", () => {
    const result = attackAs(socketPath());
    expect(result.closed).toBe(true);
    // Whatever came back (nothing, or an ERROR frame), it is no STATUS answer.
    const kind = result.bytes.length >= 10 ? parseInt(result.bytes.slice(8, 10), 16) : -1;
    expect(kind).not.toBe(ADMIN_KIND_STATUS | ANSWER_BIT);
    expect(Buffer.from(result.bytes, "hex").toString("latin1")).not.toContain("uptimeSeconds");
  });

  test("a killed worker: the module starts another, status says start 2, and --warn-restarts 0 is WARNING", async () => {
    const first = httpd.workers()[0]?.pid ?? 0;
    process.kill(first, "SIGKILL");
    expect(await eventually(async () => (await status()).stdout.includes("start 2"), 400, 25)).toBe(true);
    const result = await status("--warn-restarts", "0");
    expect(result.status).toBe(1);
    expect(result.stdout).toMatch(/^AUTHNZ_NODE WARNING - worker pid \d+, up \w+, start 2, hash queue 0: restarts 1 > 0 \| /);
    expect((await status("--crit-restarts", "0")).status).toBe(2);
    expect((await json()).status.pid).not.toBe(first);
  });

  test("NodeAuthAdminUser nobody: admin.sock is nobody's and 0600, nobody is answered through a directory it may search but not list, www-data is not", async () => {
    const other = await startApache({
      conf: [moduleServerDirectives(REPO_ROOT), "NodeAuthAdminUser nobody", basicLocation("/django/", "status", ["AuthBasicProvider node", `NodeAuthDjangoDatabase "sqlite://${join(dir, "users.sqlite3")}"`, "Require valid-user"])].join("\n"),
      files: { "django/index.html": "django\n" },
    });
    try {
      const match = /ANP0302: started worker pid \d+ \(.*?\) on (\S+) as /.exec(other.errorLog());
      const path = join(dirname(match?.[1] ?? ""), "admin.sock");
      expect(await eventually(() => existsSync(path))).toBe(true);
      const st = statSync(path);
      expect({ uid: st.uid, mode: st.mode & 0o7777 }).toEqual({ uid: idOf("-u", "nobody"), mode: 0o600 });
      expect(statSync(dirname(path)).mode & 0o7777).toBe(0o711);
      const answered = attackAs(path, "nobody");
      expect(answered.error).toBeNull();
      const kind = answered.bytes.length >= 10 ? parseInt(answered.bytes.slice(8, 10), 16) : -1;
      expect(kind).toBe(ADMIN_KIND_STATUS | ANSWER_BIT);
      expect(Buffer.from(answered.bytes, "hex").toString("latin1")).toContain("uptimeSeconds");
      expect(attackAs(path)).toMatchObject({ error: "EACCES", bytes: "" });
      expect(attackAs(match?.[1] ?? "", "nobody")).toMatchObject({ error: "EACCES", bytes: "" });
    } finally {
      await other.stop();
    }
  });

  test("NodeAuthAdminUser naming httpd's User: httpd does not start (ANP0352)", async () => {
    const conf = [moduleServerDirectives(REPO_ROOT), "NodeAuthAdminUser www-data"].join("\n");
    await expect(startApache({ conf })).rejects.toThrow(/ANP0352: NodeAuthAdminUser www-data is httpd's User/);
  });

  test("httpd stopped: CRITICAL, exit 2", async () => {
    // Stopped by its own signal, not by stop(), which would remove the configuration status reads.
    process.kill(httpd.pid, "SIGTERM");
    expect(await eventually(() => httpd.workers().length === 0 && spawnSync("kill", ["-0", String(httpd.pid)]).status !== 0, 400, 25)).toBe(true);
    const result = await status();
    expect(result.status).toBe(2);
    expect(result.stdout).toMatch(/^AUTHNZ_NODE CRITICAL - /);
  });
});
