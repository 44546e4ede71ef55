// AuthType DjangoSession against hostile code running as httpd's User (www-data), with a real Apache, the
// real worker and sessions made by real Django 3.2 (the oracle's login). What www-data must not get:
//   (a) the SECRET_KEY file: it cannot read it, and configtest refuses a key file it (or others) could read;
//   (b) the key from the worker's process: not in its command line nor its environment (read here as root),
//       and its environment is closed to www-data (the worker is not dumpable); no fd of the worker is the file;
//       nor from httpd's children, which run as www-data: none holds the key in its memory (code running inside
//       a child, such as mod_php, could read that), and www-data cannot open their memory from outside;
//   (c) an oracle of sessions: talking to the worker's socket itself, a CHECK_SESSION for a live cookie gets
//       no byte back (it has no generation key), whatever AUTH it sends;
//   (d) cookie values or the key from the error log (at debug level on both sides) or the access log, after
//       valid, tampered and unknown cookies;
//   (e) a login by forging: a signed_cookies session that real Django signed under a guessed key is refused.
import { afterAll, beforeAll, expect, test } from "vitest";
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import {
  chmodSync,
  chownSync,
  closeSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  readSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { configTest, printErrorLogOnFailure, REPO_ROOT, startApache, type ApacheServer } from "../harness/apache.js";
import { startDjango, type DjangoOracle } from "../harness/django.js";
import { trackDirectory } from "../harness/lifecycle.js";
import { moduleServerDirectives } from "../../src/demo/module-directives.js";
import { addonPath } from "../../src/native/addon.js";
import { PROTOCOL_VERSION, Status } from "../../src/protocol/constants.js";
import { eventually } from "../support/eventually.js";
import { djangoSessionLocation } from "../support/httpd-conf.js";
import { describeRequiring } from "../support/optional.js";
import { WORKER_LISTENING } from "../support/error-log.js";

const IS_ROOT = process.getuid?.() === 0;
const ATTACKER = join(REPO_ROOT, "test/fixtures/module/handshake-attacker.mjs");
// Random, so that no 16 characters of them are in a log line by chance (the paths here say "session-attacker").
const SECRET_KEY = `k${randomBytes(36).toString("base64url")}`;
const FALLBACK_KEY = `f${randomBytes(36).toString("base64url")}`;
/** What an attacker would try first: the test project's default key (scripts/django/settings.py) and a placeholder. */
const GUESSED_KEYS = ["mod_authnz_node test project, not a secret", "django-insecure-change-me"];

const temp = mkdtempSync("/tmp/anp-session-attacker-");
const untrackTemp = trackDirectory(temp);
const keyFile = join(temp, "key", "secret_key");
const databaseUrl = `sqlite://${join(temp, "db", "db.sqlite3")}`;

function idOf(flag: "-u" | "-g", user: string): number {
  return Number(spawnSync("id", [flag, user], { encoding: "utf8" }).stdout.trim());
}

/** Runs `command` as www-data (setpriv keeps only www-data's group): its status and output. */
function asWwwData(command: string[]): { status: number | null; stdout: string; stderr: string } {
  const run = spawnSync("setpriv", [`--reuid=${idOf("-u", "www-data")}`, `--regid=${idOf("-g", "www-data")}`, "--clear-groups", ...command], {
    encoding: "utf8",
    timeout: 30_000,
  });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

function sessionLocation(path: string, engine: string): string {
  return djangoSessionLocation(path, { databaseUrl, keyFile, engine }, ["Require valid-user"]);
}

/** How many times `needle` is in the readable memory of process `pid` (read as root through /proc/<pid>/mem). */
function copiesInMemory(pid: number, needle: string): number {
  const wanted = Buffer.from(needle);
  const mem = openSync(`/proc/${pid}/mem`, "r");
  let copies = 0;
  try {
    for (const line of readFileSync(`/proc/${pid}/maps`, "utf8").split("\n")) {
      const match = /^([0-9a-f]+)-([0-9a-f]+) r/.exec(line);
      if (!match?.[1] || !match[2]) continue;
      const start = parseInt(match[1], 16);
      const length = parseInt(match[2], 16) - start;
      // [vsyscall] lies past 2^53, and a huge reservation is no heap: neither can hold a copy read from a file.
      if (!Number.isSafeInteger(start + length) || length > 1 << 30) continue;
      const region = Buffer.alloc(length);
      try {
        readSync(mem, region, 0, length, start);
      } catch {
        continue; // a guard page, or a mapping gone in between
      }
      for (let at = region.indexOf(wanted); at >= 0; at = region.indexOf(wanted, at + 1)) copies++;
    }
  } finally {
    closeSync(mem);
  }
  return copies;
}

/** Every 16-character piece of `value`: a log line holding part of a cookie or key holds one of them. */
function pieces(value: string): string[] {
  return Array.from({ length: Math.max(1, value.length - 15) }, (_, i) => value.slice(i, i + 16));
}

let server: ApacheServer | undefined;
printErrorLogOnFailure(() => server);

describeRequiring(IS_ROOT, "root, to play www-data against a root-owned key")("AuthType DjangoSession against hostile code running as www-data", () => {
  let httpd: ApacheServer;
  let oracle: DjangoOracle;
  let socket = "";
  const cookies = { db: "", signed: "" };

  beforeAll(async () => {
    chmodSync(temp, 0o755);
    mkdirSync(join(temp, "key"), { mode: 0o755 });
    // Root's own, mode 0600, in a directory www-data may enter: only the read itself is refused.
    writeFileSync(keyFile, `${SECRET_KEY}\n${FALLBACK_KEY}\n`, { mode: 0o600 });
    mkdirSync(join(temp, "db"), { mode: 0o777 });
    oracle = await startDjango({ databaseUrl, env: { DJANGO_SECRET_KEY: SECRET_KEY } });
    await oracle.createUser({ username: "alice", password: "alice-password" });
    // The worker (www-data) reads the database Django (root) made.
    chmodSync(join(temp, "db"), 0o755);
    chmodSync(join(temp, "db", "db.sqlite3"), 0o644);
    cookies.db = await oracle.login("db", "alice", "alice-password");
    cookies.signed = await oracle.login("signed_cookies", "alice", "alice-password");
    httpd = await startApache({
      logLevel: "debug",
      files: { "db/index.html": "db\n", "signed/index.html": "signed\n" },
      conf: [moduleServerDirectives(REPO_ROOT, { logLevel: "debug" }), sessionLocation("/db/", "db"), sessionLocation("/signed/", "signed_cookies")].join("\n"),
    });
    server = httpd;
    const listening = WORKER_LISTENING;
    if (!(await eventually(() => listening.test(httpd.errorLog())))) throw new Error("the worker never listened");
    socket = listening.exec(httpd.errorLog())?.[1] ?? "";
  }, 180_000);

  afterAll(async () => {
    await httpd?.stop();
    await oracle?.close();
    rmSync(temp, { recursive: true, force: true });
    untrackTemp();
  }, 60_000);

  const status = async (path: string, cookie: string) => (await httpd.request(path, { headers: [["Cookie", `sessionid=${cookie}`]] })).status;

  test("Django's sessions work through Apache (what the attacks below are measured against)", async () => {
    expect(await status("/db/", cookies.db)).toBe(200);
    expect(await status("/signed/", cookies.signed)).toBe(200);
  });

  test("(a) www-data cannot read the key file; configtest refuses one that others, httpd's User or its Group can read", async () => {
    const read = asWwwData(["cat", keyFile]);
    expect(read.status).not.toBe(0);
    expect(read.stderr).toMatch(/Permission denied/);
    expect(read.stdout).toBe("");
    const exposed: Array<[string, (path: string) => void, string]> = [
      ["world-readable", (path) => chmodSync(path, 0o644), "can be read or written by others"],
      ["www-data-owned", (path) => chownSync(path, idOf("-u", "www-data"), 0), "belongs to httpd's User"],
      ["www-data-group", (path) => (chownSync(path, 0, idOf("-g", "www-data")), chmodSync(path, 0o640)), "is readable or writable by a group httpd's User is in"],
    ];
    for (const [name, expose, message] of exposed) {
      const path = join(temp, "key", name);
      writeFileSync(path, `${SECRET_KEY}\n`, { mode: 0o600 });
      expose(path);
      // www-data can read each of them: that is why configtest must refuse them.
      expect(asWwwData(["cat", path]).stdout, name).toContain(SECRET_KEY);
      const result = await configTest({ conf: [moduleServerDirectives(REPO_ROOT), sessionLocation("/x/", "db").replace(keyFile, path)].join("\n") });
      expect(result.output, name).toContain(`${path} ${message}`);
      expect(result.output, name).not.toContain(SECRET_KEY);
      expect(result.ok, name).toBe(false);
    }
  });

  test("(b) the key is in neither the worker's command line nor its environment, which www-data cannot read; no fd is the file", () => {
    const [worker] = httpd.workers();
    if (worker === undefined) throw new Error("no worker under httpd");
    expect(statSync(`/proc/${worker.pid}`).uid).toBe(idOf("-u", "www-data"));
    for (const what of ["cmdline", "environ"]) {
      const seen = readFileSync(`/proc/${worker.pid}/${what}`, "latin1");
      expect(seen.length, what).toBeGreaterThan(0);
      for (const key of [SECRET_KEY, FALLBACK_KEY]) expect(seen, what).not.toContain(key);
    }
    const environ = asWwwData(["cat", `/proc/${worker.pid}/environ`]);
    expect(environ.status).not.toBe(0);
    expect(environ.stderr).toMatch(/Permission denied/);
    expect(environ.stdout).toBe("");
    const fds = readdirSync(`/proc/${worker.pid}/fd`).map((fd) => {
      try {
        return readlinkSync(`/proc/${worker.pid}/fd/${fd}`);
      } catch {
        return ""; // closed in between
      }
    });
    expect(fds).not.toContain(keyFile);
  });

  test("(b) no httpd child holds the key in its memory, nor can www-data open a child's memory", async () => {
    expect(await status("/db/", cookies.db)).toBe(200);
    const children = httpd.children();
    expect(children.length).toBeGreaterThan(0);
    const [worker] = httpd.workers();
    if (worker === undefined) throw new Error("no worker under httpd");
    // The worker must hold the key, so the scan finds a copy there: it is no scan that sees nothing.
    expect(copiesInMemory(worker.pid, SECRET_KEY)).toBeGreaterThan(0);
    for (const child of children) {
      expect(statSync(`/proc/${child.pid}`).uid).toBe(idOf("-u", "www-data"));
      for (const [name, key] of [["SECRET_KEY", SECRET_KEY], ["the fallback", FALLBACK_KEY]]) {
        expect(copiesInMemory(child.pid, key ?? ""), `${name} in child ${child.pid}`).toBe(0);
      }
      const open = asWwwData(["/usr/bin/python3", "-c", `open("/proc/${child.pid}/mem", "rb")`]);
      expect(open.status, `www-data opening /proc/${child.pid}/mem`).not.toBe(0);
      expect(open.stderr).toMatch(/Permission denied/);
    }
  });

  test("(c) a www-data client on the worker's socket gets no answer to a CHECK_SESSION of a live cookie", async () => {
    const spec = `type=django\ndatabase=${databaseUrl}\ndjango_version=3.2\nsecret_key_file=${keyFile}\nsession_engine=db`;
    for (const mode of ["none", "random", "reflect", "wrong-key"]) {
      const run = asWwwData([process.execPath, ATTACKER, socket, String(PROTOCOL_VERSION), spec, mode, addonPath, "", "", "", cookies.db]);
      const line = run.stdout.trim().split("\n").pop() ?? "";
      if (!line) throw new Error(`attacker printed nothing (status ${String(run.status)}): ${run.stderr}`);
      const result = JSON.parse(line) as { helloStatus: number | null; bytesAfterHello: number; closed: boolean };
      expect(result, mode).toMatchObject({ helloStatus: Status.GRANTED, helloProof: true, bytesAfterHello: 0, closed: true });
    }
    // The session is still good for httpd's own children.
    expect(await status("/db/", cookies.db)).toBe(200);
  });

  test("(d) the error log, at debug level, and the access log hold no cookie value and no key after valid, tampered and unknown cookies", async () => {
    const tamper = (cookie: string) => `${cookie.slice(0, -1)}${cookie.endsWith("A") ? "B" : "A"}`;
    const unknown = "unknownsessionkey0attacker0made1";
    const sent = [cookies.db, cookies.signed, tamper(cookies.db), tamper(cookies.signed), unknown];
    expect(await status("/db/", cookies.db)).toBe(200);
    expect(await status("/signed/", cookies.signed)).toBe(200);
    expect(await status("/db/", tamper(cookies.db))).toBe(401);
    expect(await status("/signed/", tamper(cookies.signed))).toBe(401);
    expect(await status("/db/", unknown)).toBe(401);
    expect(await status("/signed/", unknown)).toBe(401);
    const log = httpd.errorLog() + httpd.accessLog();
    // The checks did reach the worker and were logged at debug level: the log is not simply empty.
    expect(log).toMatch(/authnz_node:debug/);
    expect(httpd.accessLog()).toMatch(/"GET \/signed\/ HTTP\/1\.[01]" 401/);
    for (const secret of [...sent, SECRET_KEY, FALLBACK_KEY]) {
      const leaked = pieces(secret).filter((piece) => log.includes(piece));
      expect(leaked, secret).toEqual([]);
    }
  });

  test("(e) a signed_cookies session that real Django signed under a guessed key is refused", async () => {
    for (const guess of GUESSED_KEYS) {
      const forger = await startDjango({ databaseUrl, env: { DJANGO_SECRET_KEY: guess } });
      try {
        const forged = await forger.login("signed_cookies", "alice", "alice-password");
        // Django under the guessed key takes its own cookie: the forgery is a well-formed session.
        expect(await forger.sessionUser("signed_cookies", forged)).toBe("alice");
        expect(await status("/signed/", forged), guess).toBe(401);
      } finally {
        await forger.close();
      }
    }
    expect(await status("/signed/", cookies.signed)).toBe(200);
  });
});
