// CHECK_SESSION through the worker's socket with the built-in Django handler, on SQLite, PostgreSQL 15 and
// MariaDB: sessions made by real Django's login (scripts/django/oracle.py, Debian's 3.2), each answer
// compared with Django's own get_user on the same session. The worker gets the SECRET_KEY the way httpd's
// parent hands it over (a bootstrap SECRET_FILE); the same key is the oracle's DJANGO_SECRET_KEY.
import { mkdtempSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Kind, Status, Tag, USER_FLAG_STAFF, USER_FLAG_SUPERUSER } from "../../src/protocol/constants.js";
import { bytesField, fieldsOf, textField, textOf, u8Of } from "../../src/protocol/fields.js";
import type { Field, Message } from "../../src/protocol/message.js";
import { openDatabase } from "../../src/django/database/index.js";
import { parseDatabaseUrl } from "../../src/django/database-url.js";
import { startDjango, type DjangoOracle, type DjangoSessionEngine } from "../harness/django.js";
import { startPostgres } from "../harness/postgres.js";
import { startMariaDB } from "../harness/mariadb.js";
import { WorkerHarness, check, group, groupHandler, handler, permission, provenClient, reason, startBootstrappedWorker, status, type Client, type WorkerProcess } from "../harness/worker.js";

const KEY = Buffer.alloc(16, 0x3c);
const SECRET = "worker-session test key: not a secret, only for this test";
const SECRET_PATH = "/nonexistent/anp-session-test/secret_key";
const MODEL = "django.contrib.auth.backends.ModelBackend";
const ALLOW_ALL = "django.contrib.auth.backends.AllowAllUsersModelBackend";
const UNKNOWN_KEY = "0123456789abcdefghijklmnopqrstuv";

let harness: WorkerHarness;
beforeAll(() => {
  harness = WorkerHarness.create();
});
afterAll(() => harness.cleanup());

interface Site {
  readonly url: string;
  /** Makes the database unreachable (server stopped, SQLite file moved away). */
  readonly takeDown: () => Promise<void>;
  readonly cleanup: () => Promise<void>;
}

function sqliteSite(): Site {
  const dir = mkdtempSync("/tmp/anp-worker-sessions-");
  const path = join(dir, "db.sqlite3");
  return {
    url: `sqlite://${path}`,
    takeDown: async () => renameSync(path, `${path}.gone`),
    cleanup: async () => rmSync(dir, { recursive: true, force: true }),
  };
}

async function postgresSite(): Promise<Site> {
  const server = await startPostgres();
  return { url: server.url, takeDown: () => server.stop(), cleanup: () => server.cleanup() };
}

async function mariadbSite(): Promise<Site> {
  const server = await startMariaDB();
  return { url: server.url, takeDown: () => server.stop(), cleanup: () => server.cleanup() };
}

const spec = (url: string, engine: DjangoSessionEngine, backends: readonly string[], extra = ""): string =>
  `type=django\ndatabase=${url}\ndjango_version=3.2\nsecret_key_file=${SECRET_PATH}\nsession_engine=${engine}\nauthentication_backends=${backends.join(",")}${extra}`;

const sessionKey = (cookie: string): Field => textField(Tag.SESSION_KEY, cookie);
const WANT_FLAGS = bytesField(Tag.WANT_USER_FLAGS, Buffer.alloc(0));
const flagsOf = (m: Message): number | undefined => u8Of(m, Tag.USER_FLAGS);
const userOf = (m: Message): string | undefined => textOf(m, Tag.USER);
const groupsIn = (m: Message): string[] => fieldsOf(m, Tag.GROUP).map((f) => f.value.toString("utf8"));
const permissionsIn = (m: Message): string[] => fieldsOf(m, Tag.PERMISSION).map((f) => f.value.toString("utf8"));

/** is_staff is not among the oracle's create_user arguments: set it through the project's own database adapter. */
async function setStaff(url: string, username: string): Promise<void> {
  const db = openDatabase(parseDatabaseUrl(url), { poolSize: 1, queryTimeoutMs: 5000, readOnly: false }, () => {});
  const p = (i: number): string => db.dialect.placeholder(i);
  try {
    await db.execute(`UPDATE ${db.dialect.quote("auth_user")} SET ${db.dialect.quote("is_staff")} = ${p(1)} WHERE ${db.dialect.quote("username")} = ${p(2)}`, [1, username]);
  } finally {
    await db.close();
  }
}

describe.each([
  ["SQLite", async () => sqliteSite(), ["db", "cached_db", "signed_cookies", "file"] as DjangoSessionEngine[]],
  ["PostgreSQL", postgresSite, ["db", "cached_db"] as DjangoSessionEngine[]],
  ["MariaDB", mariadbSite, ["db", "cached_db"] as DjangoSessionEngine[]],
])("CHECK_SESSION with the Django handler on %s, compared with Django's get_user", (_name, makeSite, engines) => {
  let site: Site;
  let fileDir: string;
  let oracle: DjangoOracle;
  let worker: WorkerProcess;
  let client: Client;
  const specs = new Map<string, string>();
  const specOf = (engine: DjangoSessionEngine, backends: readonly string[], extra = ""): string => {
    const text = spec(site.url, engine, backends, extra) + (engine === "file" ? `\nsession_file_path=${fileDir}` : "");
    specs.set(text, text);
    return text;
  };
  const ask = (s: string, cookie: string, extra: Field[] = []): Promise<Message> => client.request(Kind.CHECK_SESSION, [handler(s), sessionKey(cookie), ...extra]);

  beforeAll(async () => {
    site = await makeSite();
    fileDir = mkdtempSync("/tmp/anp-worker-session-files-");
    oracle = await startDjango({ databaseUrl: site.url, pbkdf2Iterations: 1000, env: { DJANGO_SECRET_KEY: SECRET, DJANGO_SESSION_FILE_PATH: fileDir } });
    await oracle.createGroup("editors", ["auth.change_user"]);
    await oracle.createUser({ username: "alice", password: "alice-pw", groups: ["editors"] });
    await oracle.createUser({ username: "root", password: "root-pw", is_superuser: true });
    await oracle.createUser({ username: "staffer", password: "staff-pw" });
    await setStaff(site.url, "staffer");
    for (const engine of engines) {
      specOf(engine, [MODEL]);
      specOf(engine, [MODEL, ALLOW_ALL]);
    }
    worker = await startBootstrappedWorker(harness, { key: KEY, specs: [...specs.values()], secrets: { [SECRET_PATH]: `${SECRET}\n` } }, ["--log-level", "debug"]);
    client = await provenClient(worker.socketPath, KEY);
  }, 120_000);
  afterAll(async () => {
    client?.close();
    await worker?.stop();
    await oracle?.close();
    await site?.cleanup();
    rmSync(fileDir, { recursive: true, force: true });
  });

  it.each(engines)("%s: a logged-in user is GRANTED with its name and flags, as Django's get_user sees it", async (engine) => {
    for (const [name, pw, flags] of [
      ["alice", "alice-pw", 0],
      ["root", "root-pw", USER_FLAG_SUPERUSER],
      ["staffer", "staff-pw", USER_FLAG_STAFF],
    ] as const) {
      const cookie = await oracle.login(engine, name, pw);
      expect(await oracle.sessionUser(engine, cookie, { keep: true })).toBe(name);
      const answer = await ask(specOf(engine, [MODEL]), cookie, [WANT_FLAGS]);
      expect([name, status(answer), userOf(answer), flagsOf(answer)]).toEqual([name, Status.GRANTED, name, flags]);
    }
  });

  it.each(engines)("%s: an unknown key and a logged-out or expired session are DENIED, as Django sees them", async (engine) => {
    const s = specOf(engine, [MODEL]);
    const unknown = engine === "signed_cookies" ? `${UNKNOWN_KEY}:bad:signature` : UNKNOWN_KEY;
    expect(await oracle.sessionUser(engine, unknown, { keep: true })).toBeNull();
    expect(status(await ask(s, unknown))).toBe(Status.DENIED);

    if (engine === "signed_cookies") {
      const old = await oracle.login(engine, "alice", "alice-pw", { signedAt: Math.floor(Date.now() / 1000) - 1209600 - 60 });
      expect(await oracle.sessionUser(engine, old, { keep: true })).toBeNull();
      const answer = await ask(s, old);
      expect([status(answer), reason(answer)]).toEqual([Status.DENIED, "expired"]);
      return;
    }
    const expiring = await oracle.login(engine, "alice", "alice-pw");
    expect(status(await ask(s, expiring))).toBe(Status.GRANTED);
    await oracle.expireSession(engine, expiring);
    expect(await oracle.sessionUser(engine, expiring, { keep: true })).toBeNull();
    expect(status(await ask(s, expiring))).toBe(Status.DENIED);

    const leaving = await oracle.login(engine, "alice", "alice-pw");
    await oracle.logout(engine, leaving);
    expect(status(await ask(s, leaving))).toBe(Status.DENIED);
  });

  it.each(engines)("%s: a deactivated user is DENIED under ModelBackend, GRANTED when AllowAllUsersModelBackend logged it in and is listed", async (engine) => {
    await oracle.createUser({ username: `gone-${engine}`, password: "gone-pw" });
    const viaModel = await oracle.login(engine, `gone-${engine}`, "gone-pw", MODEL);
    const viaAllowAll = await oracle.login(engine, `gone-${engine}`, "gone-pw", ALLOW_ALL);
    await oracle.setActive(`gone-${engine}`, false);
    expect(await oracle.sessionUser(engine, viaModel, { keep: true })).toBeNull();
    expect(await oracle.sessionUser(engine, viaAllowAll, { keep: true })).toBe(`gone-${engine}`);
    const both = specOf(engine, [MODEL, ALLOW_ALL]);
    expect(status(await ask(both, viaModel))).toBe(Status.DENIED);
    const granted = await ask(both, viaAllowAll);
    expect([status(granted), userOf(granted)]).toEqual([Status.GRANTED, `gone-${engine}`]);
    // The backend that logged the session in is not listed: anonymous, as in Django.
    expect(status(await ask(specOf(engine, [MODEL]), viaAllowAll))).toBe(Status.DENIED);
  });

  it.each(engines)("%s: a password change makes the session anonymous (session auth hash)", async (engine) => {
    const name = `changer-${engine}`;
    await oracle.createUser({ username: name, password: "first-pw" });
    const cookie = await oracle.login(engine, name, "first-pw");
    expect(status(await ask(specOf(engine, [MODEL]), cookie))).toBe(Status.GRANTED);
    await oracle.setPassword(name, "second-pw");
    expect(await oracle.sessionUser(engine, cookie, { keep: true })).toBeNull();
    const answer = await ask(specOf(engine, [MODEL]), cookie);
    expect([status(answer), reason(answer)]).toEqual([Status.DENIED, "session auth hash does not match (password changed or another key)"]);
  });

  it("folds the session user's groups and permissions in, as for a password check", async () => {
    const engine = engines[0] as DjangoSessionEngine;
    const s = specOf(engine, [MODEL]);
    const cookie = await oracle.login(engine, "alice", "alice-pw");
    const answer = await ask(s, cookie, [groupHandler(s), group("Editors"), group("nobody"), permission("auth.change_user"), permission("auth.delete_user")]);
    expect([status(answer), userOf(answer), groupsIn(answer), permissionsIn(answer)]).toEqual([Status.GRANTED, "alice", ["editors"], ["auth.change_user"]]);
    expect(await oracle.hasPerm("alice", "auth.change_user")).toBe(true);
    expect(await oracle.hasPerm("alice", "auth.delete_user")).toBe(false);
  });

  it("answers USER_FLAGS on a granted CHECK_PASSWORD that asks for them (Require node-staff with Basic)", async () => {
    const s = specOf(engines[0] as DjangoSessionEngine, [MODEL]);
    for (const [name, pw, flags] of [
      ["alice", "alice-pw", 0],
      ["root", "root-pw", USER_FLAG_SUPERUSER],
      ["staffer", "staff-pw", USER_FLAG_STAFF],
    ] as const) {
      const answer = await check(client, s, name, pw, [WANT_FLAGS]);
      expect([name, status(answer), flagsOf(answer)]).toEqual([name, Status.GRANTED, flags]);
    }
  });

  it("answers ERROR, never DENIED, while the database is down", async () => {
    const engine = engines[0] as DjangoSessionEngine;
    const s = specOf(engine, [MODEL]);
    const cookie = await oracle.login(engine, "alice", "alice-pw");
    await oracle.close();
    await site.takeDown();
    for (const key of [cookie, UNKNOWN_KEY]) {
      const answer = await ask(s, key);
      expect([status(answer), reason(answer)]).toEqual([Status.ERROR, expect.stringMatching(/^database error/)]);
    }
  });
});
