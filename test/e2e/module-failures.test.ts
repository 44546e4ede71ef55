// The module's failure cases in a real Apache with the real worker (issue 4, "Failure cases"):
// the worker killed while httpd runs, the worker hanging, a connection from a uid the worker does not
// trust, ten graceful restarts, and configurations that `apache2 -t` must refuse. Everything fails
// closed: a check that cannot be answered is a 500, never a 200.
//
// The handler is a script fixture (test/fixtures/module/handler.mjs), so no database is involved and
// every status below follows from that file alone.
import { describe, test, expect, beforeAll, afterAll } from "vitest";
import { spawnSync } from "node:child_process";
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  startApache,
  configTest,
  printErrorLogOnFailure,
  nodeModuleBuilt,
  NODE_MODULE_PATH,
  REPO_ROOT,
  type ApacheServer,
  type Mpm,
} from "../harness/apache.js";
import { moduleServerDirectives } from "../../src/demo/module-directives.js";
import { eventually } from "../support/eventually.js";
import { describeRequiring } from "../support/optional.js";
import { basicLocation } from "../support/httpd-conf.js";
import { PROTOCOL_VERSION } from "../../src/protocol/constants.js";
import { WORKER_LISTENING } from "../support/error-log.js";

const FIXTURES = join(REPO_ROOT, "test/fixtures/module");
const HANDLER = join(FIXTURES, "handler.mjs");
const HELLO_CLIENT = join(FIXTURES, "hello-client.mjs");
const IS_ROOT = process.getuid?.() === 0;
/** mod_authz_groupfile loaded after mod_authnz_node (the harness writes the module's LoadModule first). */
const GROUPFILE_AFTER = "LoadModule authz_groupfile_module /usr/lib/apache2/modules/mod_authz_groupfile.so";

const FILES = {
  "digest/index.html": "digest\n",
  "valid/index.html": "valid\n",
  "group/index.html": "group\n",
  "perm/index.html": "perm\n",
};

const DIGEST_LOCATION = [
  '<Location "/digest/">',
  "    AuthType Digest",
  '    AuthName "digest realm"',
  "    AuthDigestProvider node",
  `    NodeAuthUserScript "${HANDLER}"`,
  "    Require valid-user",
  "</Location>",
].join("\n");

/** The locations every server here has; `digest` adds one for AuthDigestProvider (needs mod_auth_digest). */
function moduleConf(serverLines: readonly string[] = [], options: { digest?: boolean } = {}): string {
  const handler = [`AuthBasicProvider node`, `NodeAuthUserScript "${HANDLER}"`, `NodeAuthGroupScript "${HANDLER}"`];
  return [
    moduleServerDirectives(REPO_ROOT, { logLevel: "debug" }),
    ...serverLines,
    basicLocation("/valid/", "failures", [...handler, "Require valid-user"]),
    basicLocation("/group/", "failures", [...handler, "Require group secret-agents"]),
    basicLocation("/perm/", "failures", [...handler, "Require node-permission files.view_file"]),
    options.digest === true ? DIGEST_LOCATION : "",
  ].join("\n");
}


/** Waits until the worker has said it listens (its start is not part of what the tests measure). */
async function workerListening(server: ApacheServer): Promise<void> {
  const ready = await eventually(async () => Promise.resolve(WORKER_LISTENING.test(server.errorLog())), 600);
  if (!ready) throw new Error("the worker never said it was listening");
}

function workerPids(server: ApacheServer): number[] {
  return server.workers().map((p) => p.pid);
}

/** The one worker's socket, found under the ServerRoot's DefaultRuntimeDir. */
function socketPath(server: ApacheServer): string {
  const run = join(server.root, "run");
  for (const dir of readdirSync(run)) {
    const candidate = join(run, dir, "worker.sock");
    try {
      if (statSync(candidate).isSocket()) return candidate;
    } catch {
      // not this one
    }
  }
  throw new Error(`no worker socket under ${run}`);
}

interface HelloResult {
  readonly answer?: string;
  readonly closed?: boolean;
  readonly error?: string;
}

/** Runs the HELLO client as uid:gid (root drops to them with setpriv, without supplementary groups). */
function helloAs(uid: number, gid: number, socket: string): HelloResult {
  const run = spawnSync("setpriv", [`--reuid=${uid}`, `--regid=${gid}`, "--clear-groups", process.execPath, HELLO_CLIENT, socket, String(PROTOCOL_VERSION)], {
    encoding: "utf8",
    timeout: 30_000,
  });
  const line = run.stdout.trim().split("\n").pop() ?? "";
  if (!line) throw new Error(`hello client printed nothing (status ${String(run.status)}): ${run.stderr}`);
  return JSON.parse(line) as HelloResult;
}

/** kind and STATUS of a HELLO answer frame given as hex. */
function parseHelloAnswer(hex: string): { kind: number; status: number | undefined } {
  const frame = Buffer.from(hex, "hex");
  const kind = frame[4] ?? 0;
  let status: number | undefined;
  let at = 11;
  const count = frame.readUInt16BE(9);
  for (let i = 0; i < count && at + 3 <= frame.length; i++) {
    const tag = frame[at] ?? 0;
    const len = frame.readUInt16BE(at + 1);
    if (tag === 11 && len === 1) status = frame[at + 3];
    at += 3 + len;
  }
  return { kind, status };
}

/** curl with HTTP Digest (the harness speaks Basic only); returns the status code. */
function digestStatus(server: ApacheServer, path: string, user: string, password: string): number {
  const run = spawnSync("curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "--digest", "-u", `${user}:${password}`, server.url(path)], {
    encoding: "utf8",
    timeout: 60_000,
  });
  return Number(run.stdout);
}

function uidOf(user: string): number {
  return Number(spawnSync("id", ["-u", user], { encoding: "utf8" }).stdout.trim());
}

function gidOf(user: string): number {
  return Number(spawnSync("id", ["-g", user], { encoding: "utf8" }).stdout.trim());
}

const servers: Array<ApacheServer | undefined> = [];
printErrorLogOnFailure(() => servers);

test("mod_authnz_node.so is built (npm run build:native)", () => {
  expect(nodeModuleBuilt(), `${NODE_MODULE_PATH} is missing`).toBe(true);
});

describe.each<Mpm>(["event", "worker", "prefork"])("mpm_%s", (mpm) => {
  let server: ApacheServer;

  beforeAll(async () => {
    server = await startApache({
      mpm,
      conf: moduleConf(["NodeAuthTimeout 1500ms"], { digest: true }),
      files: FILES,
      modules: ["auth_digest"],
      logLevel: "info authnz_node:debug",
    });
    servers.push(server);
    await workerListening(server);
  });
  afterAll(async () => {
    const leftovers = await server?.stop();
    // httpd's stop must take the worker with it: the harness kills and reports anything left behind.
    expect((leftovers ?? []).filter((p) => p.command.includes("worker.js"))).toEqual([]);
  });

  test("the handler script's answers come through (the baseline the failures are measured against)", async () => {
    expect(await server.statusAs("/valid/", "alice", "wonderland")).toBe(200);
    expect(await server.statusAs("/valid/", "alice", "wrong")).toBe(401);
    expect(await server.statusAs("/valid/", "nobody", "x")).toBe(401);
    expect(await server.statusAs("/group/", "alice", "wonderland")).toBe(200);
    expect(await server.statusAs("/group/", "bob", "builder")).toBe(401);
    expect(await server.statusAs("/perm/", "alice", "wonderland")).toBe(200);
    expect(await server.statusAs("/perm/", "bob", "builder")).toBe(401);
    expect(workerPids(server)).toHaveLength(1);
  });

  test("Require group takes the groups from the password check: one trip to the worker, same answers", async () => {
    const groupTrips = () => (server.errorLog().match(/groups_for_user user="(alice|bob)"/g) ?? []).length;
    const before = groupTrips();
    expect(await server.statusAs("/group/", "alice", "wonderland")).toBe(200);
    expect(await server.statusAs("/group/", "bob", "builder")).toBe(401);
    expect(server.errorLog()).toMatch(/ANP0516: Require group secret-agents: user 'bob' is in none of them \(groups from the password check\)/);
    expect(groupTrips()).toBe(before);
    // Permissions are folded the same way (the user and group scripts are the same file).
    expect(await server.statusAs("/perm/", "alice", "wonderland")).toBe(200);
    expect(await server.statusAs("/perm/", "bob", "builder")).toBe(401);
    expect(server.errorLog()).toMatch(/ANP0518: Require node-permission files.view_file: user 'bob' has none of them \(permissions from the password check\)/);
  });

  test("AuthDigestProvider node: the worker's HA1 lets the right password in and keeps others out", () => {
    expect(digestStatus(server, "/digest/", "alice", "wonderland")).toBe(200);
    expect(digestStatus(server, "/digest/", "alice", "wrong")).toBe(401);
    expect(digestStatus(server, "/digest/", "nobody", "x")).toBe(401);
  });

  test("the environ carries the request as CGI variables plus the location and AuthName", async () => {
    const expected = {
      REQUEST_METHOD: "GET",
      REQUEST_URI: "/valid/index.html?q=1&r=two",
      SCRIPT_NAME: "/valid/index.html",
      QUERY_STRING: "q=1&r=two",
      SERVER_NAME: "127.0.0.1",
      SERVER_PORT: String(server.port),
      REMOTE_ADDR: "127.0.0.1",
      AUTH_TYPE: "Basic",
      REMOTE_USER: "inspector",
      HTTP_X_PROBE_HEADER: "probe value",
      "mod_authnz_node.location": "/valid/",
      "mod_authnz_node.auth_name": "failures",
      PATH_INFO: null,
      HTTPS: null,
    };
    const authorization = `Basic ${Buffer.from("inspector:look-inside").toString("base64")}`;
    const withProbe = await server.request("/valid/index.html?q=1&r=two", {
      authorization,
      headers: [
        ["X-Probe-Header", "probe value"],
        ["X-Expect", JSON.stringify(expected)],
      ],
    });
    expect(withProbe.status).toBe(200);
    // The same expectation without the header it names: the script sees the difference (500, reason logged).
    const withoutProbe = await server.request("/valid/index.html?q=1&r=two", { authorization, headers: [["X-Expect", JSON.stringify(expected)]] });
    expect(withoutProbe.status).toBe(500);
    // What the script threw stays out of the log (it could hold the password): only the function and code.
    expect(server.errorLog()).toMatch(/user 'inspector'[^\n]*: checkPassword threw Error \(ERR_ANP_SCRIPT_THREW\)$/m);
  });

  test("credentials never reach the handler's environ (the script fails the check if they do)", async () => {
    const response = await server.request("/valid/", {
      authorization: `Basic ${Buffer.from("alice:wonderland").toString("base64")}`,
      headers: [
        ["Cookie", "sessionid=abc"],
        ["Proxy-Authorization", "Basic eDp5"],
      ],
    });
    expect(response.status).toBe(200);
  });

  test("headers beyond the frame's 64 KiB are left out of the environ, and the check still answers", async () => {
    const headers = Array.from({ length: 90 }, (_, i) => [`X-Filler-${String(i)}`, "f".repeat(1000)] as const);
    const response = await server.request("/valid/", { authorization: `Basic ${Buffer.from("alice:wonderland").toString("base64")}`, headers });
    expect(response.status).toBe(200);
    expect(server.errorLog()).toMatch(/ANP0402: \d+ environ entries did not fit in the request and were left out/);
    const wrong = await server.request("/valid/", { authorization: `Basic ${Buffer.from("alice:nope").toString("base64")}`, headers });
    expect(wrong.status).toBe(401);
  });

  test("a hanging worker: 500 after NodeAuthTimeout, httpd keeps serving, and 200 again once it answers", async () => {
    const [pid] = workerPids(server);
    expect(pid).toBeDefined();
    process.kill(pid as number, "SIGSTOP");
    try {
      // More checks at once than one child has threads under event, all stuck on the stopped worker...
      const stuck = Array.from({ length: mpm === "prefork" ? 6 : 12 }, () => server.statusAs("/valid/", "alice", "wonderland"));
      // ...while a page without auth is still served: the checks do not exhaust httpd's threads.
      expect(await server.status("/index.html")).toBe(200);
      expect(await Promise.all(stuck)).toEqual(Array.from({ length: stuck.length }, () => 500));
    } finally {
      process.kill(pid as number, "SIGCONT");
    }
    expect(server.errorLog()).toMatch(/ANP0502: checking the password of user 'alice' failed: no answer from the worker before the timeout/);
    expect(await eventually(async () => (await server.statusAs("/valid/", "alice", "wonderland")) === 200)).toBe(true);
    expect(await server.statusAs("/valid/", "alice", "wrong")).toBe(401);
    expect(workerPids(server)).toEqual([pid]);
  });

  test("a killed worker: checks fail closed (500) until the module has started a new one, then 200, no manual step", async () => {
    const [pid] = workerPids(server);
    expect(pid).toBeDefined();
    // Stopped first, so the checks below deterministically meet a worker that cannot answer...
    process.kill(pid as number, "SIGSTOP");
    expect(await server.statusAs("/valid/", "alice", "wonderland")).toBe(500);
    // ...then killed: the module must notice and start another without anyone's help.
    process.kill(pid as number, "SIGKILL");
    const seen = new Set<number>();
    const recovered = await eventually(async () => {
      const status = await server.statusAs("/group/", "alice", "wonderland");
      seen.add(status);
      return status === 200;
    });
    expect(recovered).toBe(true);
    // Nothing but "could not check" and the real answer, ever: no 401 for a good password, no grant by accident.
    expect([...seen].every((s) => s === 200 || s === 500)).toBe(true);
    expect(await server.statusAs("/group/", "bob", "builder")).toBe(401);
    const now = workerPids(server);
    expect(now).toHaveLength(1);
    expect(now[0]).not.toBe(pid);
    expect(server.errorLog()).toMatch(new RegExp(`ANP0304: worker pid ${String(pid)} died \\(exit status or signal 9\\)`));
  });

  test("ten graceful restarts leave exactly one worker, a new one each time, and checks keep working", async () => {
    const seen = new Set(workerPids(server));
    for (let i = 0; i < 10; i++) {
      await server.graceful();
      expect(await eventually(async () => (await server.statusAs("/valid/", "alice", "wonderland")) === 200)).toBe(true);
      const pids = workerPids(server);
      expect(pids).toHaveLength(1);
      seen.add(pids[0] as number);
    }
    // One worker per generation: the first one and ten replacements, each stopped by its generation's cleanup.
    expect(seen.size).toBe(11);
    expect((server.errorLog().match(/ANP0307: worker pid \d+ stopped/g) ?? []).length).toBeGreaterThanOrEqual(10);
    expect(await server.statusAs("/valid/", "alice", "wrong")).toBe(401);
  });
});

describeRequiring(IS_ROOT, "root, to run the worker as nobody")("a worker under its own user (NodeAuthWorkerUser nobody)", () => {
  let server: ApacheServer;

  beforeAll(async () => {
    server = await startApache({ mpm: "event", conf: moduleConf(["NodeAuthWorkerUser nobody"]), files: FILES, logLevel: "info authnz_node:debug" });
    servers.push(server);
    await workerListening(server);
  });
  afterAll(async () => {
    await server?.stop();
  });

  test("runs as that user with only that user's groups, and httpd's children still reach it", async () => {
    const [pid] = workerPids(server);
    expect(pid).toBeDefined();
    const status = spawnSync("cat", [`/proc/${String(pid)}/status`], { encoding: "utf8" }).stdout;
    const nobody = uidOf("nobody");
    expect(status).toMatch(new RegExp(`^Uid:\\s+${String(nobody)}\\s`, "m"));
    const groups = (status.match(/^Groups:\s*(.*)$/m)?.[1] ?? "").trim().split(/\s+/).filter(Boolean).map(Number);
    // root's supplementary groups (0 among them) must not leak into the worker.
    expect(groups).not.toContain(0);
    expect(await server.statusAs("/group/", "alice", "wonderland")).toBe(200);
  });

  test("a connection from an untrusted uid is refused; httpd's uid is answered", () => {
    const socket = socketPath(server);
    const wwwData = uidOf("www-data");
    const daemonUid = uidOf("daemon");
    // daemon with httpd's group reaches the socket through the directory's group, and the worker refuses it.
    const refused = helloAs(daemonUid, wwwData, socket);
    expect(refused.answer).toBeUndefined();
    expect(refused.closed === true || refused.error === "ECONNRESET" || refused.error === "EPIPE").toBe(true);
    expect(server.errorLog()).toMatch(new RegExp(`refused connection from uid ${String(daemonUid)}`));
    // The same client as httpd's user gets a HELLO answer: the refusal is about the uid, not the client.
    const answered = helloAs(wwwData, wwwData, socket);
    expect(answered.answer).toBeDefined();
    expect(parseHelloAnswer(answered.answer as string)).toEqual({ kind: 0x81, status: 1 });
    // Without httpd's group the socket's directory keeps it out altogether.
    expect(helloAs(daemonUid, daemonUid, socket).error).toBe("EACCES");
  });
});

/** Bytes waiting unread in the worker's connections (ss -x): > 0 once a request reached the stopped worker. */
function unreadByWorker(pid: number): number {
  const lines = spawnSync("ss", ["-x", "-p", "-H"], { encoding: "utf8" }).stdout.split("\n");
  let total = 0;
  for (const line of lines) {
    if (!line.includes(`pid=${String(pid)},`)) continue;
    const recvQ = Number(line.trim().split(/\s+/)[2]);
    if (Number.isFinite(recvQ)) total += recvQ;
  }
  return total;
}

describe("a pooled connection the worker closes while a check waits on it", () => {
  let server: ApacheServer;

  beforeAll(async () => {
    // One prefork child: its one pooled connection is the one the second check must use.
    const oneChild = ["StartServers 1", "MinSpareServers 1", "MaxSpareServers 1", "MaxRequestWorkers 1", "NodeAuthTimeout 30s"];
    server = await startApache({ mpm: "prefork", conf: moduleConf(oneChild), files: FILES, logLevel: "info authnz_node:debug" });
    servers.push(server);
    await workerListening(server);
  });
  afterAll(async () => {
    await server?.stop();
  });

  // Every httpd child must hold a pooled connection, whichever of them takes the next request: the
  // worker logs (debug) each connection with the child's pid.
  const everyChildConnected = async () => {
    expect(await server.statusAs("/valid/", "alice", "wonderland")).toBe(200);
    const log = server.errorLog();
    return server.children().every((child) => new RegExp(`connection from uid \\d+ pid ${String(child.pid)}\\b`).test(log));
  };

  test("closed while idle: the check is sent once more on a new connection, to the new worker", async () => {
    expect(await eventually(everyChildConnected, 100, 50)).toBe(true);
    const [pid] = workerPids(server);
    expect(pid).toBeDefined();
    process.kill(pid as number, "SIGKILL");
    expect(await eventually(async () => Promise.resolve(workerPids(server).some((p) => p !== pid)))).toBe(true);
    expect(await server.statusAs("/valid/", "alice", "wonderland")).toBe(200);
    expect(server.errorLog()).toMatch(/ANP0403: a pooled connection was closed \(a pooled connection was closed while idle\); trying once on a new one/);
  });

  test("closed after the check was written to it: not sent again, 500", async () => {
    expect(await eventually(everyChildConnected, 100, 50)).toBe(true);
    const [pid] = workerPids(server);
    expect(pid).toBeDefined();
    process.kill(pid as number, "SIGSTOP");
    const pending = server.statusAs("/valid/", "alice", "wonderland");
    const arrived = await eventually(async () => Promise.resolve(unreadByWorker(pid as number) > 0));
    // Killing the stopped worker closes the pooled connection with the request unanswered on it: the
    // module cannot know whether the worker ran it, so it does not run it again.
    process.kill(pid as number, "SIGKILL");
    expect(arrived).toBe(true);
    expect(await pending).toBe(500);
    expect(server.errorLog()).not.toMatch(/ANP0403: a pooled connection was closed \(the worker closed the connection\)/);
    expect(await eventually(async () => (await server.statusAs("/valid/", "alice", "wonderland")) === 200)).toBe(true);
    expect(workerPids(server)).not.toContain(pid);
  });
});

describeRequiring(IS_ROOT, "root, to own directories as other users")("the socket's directory", () => {
  test("an existing directory of another user is not taken over: httpd does not start, and says why", async () => {
    // A directory httpd's User made where it may (under /tmp): it could swap the socket in there.
    const parent = mkdtempSync(join(tmpdir(), "anp-sockdir-"));
    chmodSync(parent, 0o755);
    const theirs = join(parent, "theirs");
    mkdirSync(theirs, { mode: 0o700 });
    chownSync(theirs, uidOf("www-data"), gidOf("www-data"));
    try {
      const start = startApache({ mpm: "event", conf: moduleConf([`NodeAuthSocket ${theirs}/worker.sock`]) });
      await expect(start).rejects.toThrow(/ANP0332: the worker's socket directory \S+\/theirs exists with owner uid \d+ and mode 0700: it must belong to uid 0/);
    } finally {
      rmSync(parent, { recursive: true, force: true });
    }
  });

  test("a socket directory inside a directory httpd's User may write to is refused: httpd does not start, and says why", async () => {
    // www-data could rename the socket's directory away and put its own in its place.
    const parent = mkdtempSync(join(tmpdir(), "anp-sockparent-"));
    chmodSync(parent, 0o755);
    const writable = join(parent, "writable");
    mkdirSync(writable, { mode: 0o755 });
    chownSync(writable, uidOf("www-data"), gidOf("www-data"));
    try {
      const start = startApache({ mpm: "event", conf: moduleConf([`NodeAuthSocket ${writable}/anp/worker.sock`]) });
      await expect(start).rejects.toThrow(/ANP0333: \S+\/writable \(owner uid \d+, mode 0755\) may be written by others, who could rename the worker's socket directory/);
    } finally {
      rmSync(parent, { recursive: true, force: true });
    }
  });

  test("a directory of its own is made, root's, mode 0710 with httpd's Group", async () => {
    const server = await startApache({ mpm: "event", conf: moduleConf(["NodeAuthSocket anp/worker.sock"]), files: FILES });
    servers.push(server);
    try {
      await workerListening(server);
      const dir = statSync(join(server.root, "run", "anp"));
      expect(dir.uid).toBe(0);
      expect(dir.gid).toBe(gidOf("www-data"));
      expect(dir.mode & 0o7777).toBe(0o710);
      expect(statSync(join(server.root, "run", "anp", "worker.sock")).isSocket()).toBe(true);
      expect(await server.statusAs("/valid/", "alice", "wonderland")).toBe(200);
      // The next generation finds the directory it made before, exactly as it left it, and uses it.
      await server.graceful();
      expect(await eventually(async () => (await server.statusAs("/valid/", "alice", "wonderland")) === 200)).toBe(true);
      expect(workerPids(server)).toHaveLength(1);
    } finally {
      await server.stop();
    }
  });
});

/** Secret files for NodeAuthDjangoDatabase file:, each wrong in one way; made at load, as the table below names them. */
const secrets = mkdtempSync(join(tmpdir(), "anp-secret-files-"));
function secretFile(name: string, content: string, mode: number, owner = "root"): string {
  const path = join(secrets, name);
  writeFileSync(path, content, { mode });
  chmodSync(path, mode);
  chownSync(path, uidOf(owner), gidOf(owner));
  return path;
}
const SQLITE_URL = "sqlite:///var/lib/anp/db.sqlite3\n";
const WORLD_READABLE = secretFile("world-readable", SQLITE_URL, 0o644);
const WWW_DATA_OWNED = secretFile("www-data-owned", SQLITE_URL, 0o600, "www-data");
const NOT_A_URL = secretFile("not-a-url", "hello\n", 0o600);
afterAll(() => rmSync(secrets, { recursive: true, force: true }));

describe("apache2 -t", () => {
  const refuses: ReadonlyArray<readonly [string, string, RegExp]> = [
    ["a heartbeat that is not a duration", "NodeAuthWorkerHeartbeat soon", /NodeAuthWorkerHeartbeat: 'soon' is not a duration \(e.g. 5, 5s or 2500ms\) or off/],
    ["a heartbeat below its range", "NodeAuthWorkerHeartbeat 1", /NodeAuthWorkerHeartbeat: '1' is out of range \(2s to 3600s, or off\)/],
    ["a heartbeat in a virtual host", "<VirtualHost *:80>\nNodeAuthWorkerHeartbeat 5\n</VirtualHost>", /NodeAuthWorkerHeartbeat cannot occur within <VirtualHost> section/],
    ["NODE_OPTIONS for the worker", "NodeAuthWorkerEnv LANG NODE_OPTIONS", /NodeAuthWorkerEnv: NODE_OPTIONS is refused: NODE_\* variables/],
    ["a worker variable that is not a name", "NodeAuthWorkerEnv 1LANG", /NodeAuthWorkerEnv: '1LANG' is not a variable name/],
    ["a relative secret file", basicLocation("/x/", "failures", ["NodeAuthDjangoDatabase file:db.url"]), /NodeAuthDjangoDatabase: file: needs an absolute path/],
    ["a secret file others can read", basicLocation("/x/", "failures", [`NodeAuthDjangoDatabase file:${WORLD_READABLE}`]), /NodeAuthDjangoDatabase: \S+world-readable can be read or written by others \(chmod o-rw\)/],
    ["a secret file httpd's User owns", basicLocation("/x/", "failures", [`NodeAuthDjangoDatabase file:${WWW_DATA_OWNED}`]), /NodeAuthDjangoDatabase: \S+www-data-owned belongs to httpd's User, who could read it \(chown root\)/],
    ["a secret file that holds no database URL", basicLocation("/x/", "failures", [`NodeAuthDjangoDatabase file:${NOT_A_URL}`]), /NodeAuthDjangoDatabase: \S+not-a-url does not hold a database URL/],
    ["a secret file that is missing", basicLocation("/x/", "failures", [`NodeAuthDjangoDatabase file:${secrets}/missing`]), /NodeAuthDjangoDatabase: cannot (open|read) \S+missing/],
    ["an unknown Django option", basicLocation("/x/", "failures", ["AuthBasicProvider node", "NodeAuthDjangoDatabase sqlite:///tmp/x.sqlite3", "NodeAuthDjangoOption user_tabel x", "Require valid-user"]), /NodeAuthDjangoOption: user_tabel: unknown key for type=django/],
    ["a bad Django option value", basicLocation("/x/", "failures", ["NodeAuthDjangoOption upgrade_hashes maybe"]), /NodeAuthDjangoOption: upgrade_hashes: expected on or off, got "maybe"/],
    ["a pool size the Django handler would refuse", basicLocation("/x/", "failures", ["NodeAuthDjangoOption pool_size 0"]), /NodeAuthDjangoOption: pool_size: expected an integer from 1 to 64, got "0"/],
    ["a table name that is not an identifier", basicLocation("/x/", "failures", ["NodeAuthDjangoOption user_table auth_user;drop"]), /NodeAuthDjangoOption: user_table: must be a table or column name/],
    ["an unsupported database URL", basicLocation("/x/", "failures", ["NodeAuthDjangoDatabase oracle://db/x"]), /NodeAuthDjangoDatabase: the URL must start with postgres:\/\//],
    ["a relative SQLite path", basicLocation("/x/", "failures", ["NodeAuthDjangoDatabase sqlite://db.sqlite3"]), /NodeAuthDjangoDatabase: a SQLite URL needs an absolute path/],
    ["a bad script option", basicLocation("/x/", "failures", [`NodeAuthUserScript "${HANDLER}" reload=sometimes`]), /NodeAuthUserScript: unknown option 'reload=sometimes'/],
    ["a relative script path", basicLocation("/x/", "failures", ["NodeAuthUserScript ./auth.js"]), /NodeAuthUserScript: '.\/auth.js' is relative/],
    ["a bad timeout", "NodeAuthTimeout soon", /NodeAuthTimeout: 'soon' is not a duration/],
    ["a timeout out of range", "NodeAuthTimeout 10ms", /NodeAuthTimeout: '10ms' is out of range/],
    ["an unknown worker user", "NodeAuthWorkerUser no-such-user-here", /NodeAuthWorkerUser: no such user 'no-such-user-here'/],
    ["an unknown admin user", "NodeAuthAdminUser no-such-user-here", /NodeAuthAdminUser: no such user 'no-such-user-here'/],
    ["an admin user in a virtual host", "<VirtualHost *:80>\nNodeAuthAdminUser nobody\n</VirtualHost>", /NodeAuthAdminUser cannot occur within <VirtualHost> section/],
    ["a relative node binary", "NodeAuthNodeBinary bin/node", /NodeAuthNodeBinary: 'bin\/node' must be an absolute path/],
    ["a node binary that does not exist", "NodeAuthNodeBinary /no/such/node", /NodeAuthNodeBinary: '\/no\/such\/node' is not an executable file/],
    ["a node binary that is a directory", "NodeAuthNodeBinary /usr/bin", /NodeAuthNodeBinary: '\/usr\/bin' is not an executable file/],
    ["a bad worker log level", "NodeAuthWorkerLogLevel chatty", /NodeAuthWorkerLogLevel: 'chatty' is not one of/],
    ["a worker argument the module owns", "NodeAuthWorkerArgs --socket /tmp/x.sock", /NodeAuthWorkerArgs: --socket is set by the module/],
    ["a permission that is not app_label.codename", basicLocation("/x/", "failures", ["Require node-permission view_file"]), /Require node-permission: 'view_file' is not app_label.codename/],
    ["Require node-group with no group", basicLocation("/x/", "failures", ["Require node-group"]), /Require node-group needs at least one group name/],
    ["a worker setting in a virtual host", "<VirtualHost *:80>\nNodeAuthWorkerUser nobody\n</VirtualHost>", /NodeAuthWorkerUser cannot occur within <VirtualHost> section/],
  ];

  test.each(refuses)("refuses %s, naming the directive and the problem", async (_name, conf, message) => {
    const result = await configTest({ conf });
    expect(result.ok).toBe(false);
    expect(result.output).toMatch(message);
  });

  test.each([
    ["<Proxy>", `<Proxy "http://backend/">\nNodeAuthDjangoDatabase sqlite:///tmp/x.sqlite3\n</Proxy>`, /NodeAuthDjangoDatabase cannot be used inside <Proxy>: put the handler in a <Location>/],
    ["<ProxyMatch>", `<ProxyMatch "^http://backend/">\nNodeAuthUserScript "${HANDLER}"\n</ProxyMatch>`, /NodeAuthUserScript cannot be used inside <ProxyMatch>/],
  ])("refuses a handler inside %s, whose sections the worker's handler list cannot see", async (_name, conf, message) => {
    const result = await configTest({ conf: moduleConf([conf]), modules: ["proxy"] });
    expect(result.ok).toBe(false);
    expect(result.output).toMatch(message);
  });

  test("accepts a complete configuration, and starts no worker doing so", async () => {
    const result = await configTest({ conf: moduleConf(["NodeAuthTimeout 3", "NodeAuthWorkerLogLevel warn", "NodeAuthWorkerHeartbeat off", "NodeAuthWorkerEnv LANG TZ"]) });
    expect(result.output).toMatch(/Syntax OK/);
    expect(result.ok).toBe(true);
    // Under -t the error log is stderr: a worker start (post_config) would have said ANP0302 here.
    expect(result.output).not.toMatch(/ANP0302/);
  });

  test("says who answers Require group when mod_authz_groupfile is loaded too", async () => {
    // The harness loads extra modules before mod_authnz_node, so the module registers `group` last and wins.
    const result = await configTest({ conf: moduleConf(), modules: ["authz_groupfile"] });
    expect(result.ok).toBe(true);
    expect(result.output).toMatch(/ANP0101: Require group is answered by mod_authnz_node \(Django groups\), not by mod_authz_groupfile/);
    const without = await configTest({ conf: moduleConf() });
    expect(without.output).not.toMatch(/ANP0101|ANP0102/);
    // Loaded after mod_authnz_node (Debian's alphabetical order), mod_authz_groupfile owns the name.
    const after = await configTest({ conf: `${GROUPFILE_AFTER}\n${moduleConf()}` });
    expect(after.ok).toBe(true);
    expect(after.output).toMatch(/ANP0102: Require group is answered by mod_authz_groupfile, not by mod_authnz_node/);
  });

});

describe("Require group when mod_authz_groupfile is loaded too", () => {
  test("with mod_authz_groupfile loaded last, Require group is the group file's and Require node-group still asks Django's side", async () => {
    const conf = [
      GROUPFILE_AFTER,
      moduleConf(),
      basicLocation("/node-group/", "failures", ["AuthBasicProvider node", `NodeAuthUserScript "${HANDLER}"`, `NodeAuthGroupScript "${HANDLER}"`, "Require node-group secret-agents"]),
    ].join("\n");
    const server = await startApache({ mpm: "event", conf, files: { ...FILES, "node-group/index.html": "ng\n" } });
    servers.push(server);
    try {
      await workerListening(server);
      // No AuthGroupFile: mod_authz_groupfile denies everyone, as it would without this module.
      expect(await server.statusAs("/group/", "alice", "wonderland")).toBe(401);
      expect(server.errorLog()).toMatch(/AH01664: No group file was specified/);
      expect(await server.statusAs("/node-group/", "alice", "wonderland")).toBe(200);
      expect(await server.statusAs("/node-group/", "bob", "builder")).toBe(401);
    } finally {
      await server.stop();
    }
  });
});
