// The worker with the built-in Django handler, over its real socket: answers compared with real Django
// (Debian's 3.2 via scripts/django/oracle.py) on a SQLite file, and a PostgreSQL 15 server killed while
// checks are in flight and then restarted (every answer is GRANTED or ERROR, never a wrong "no").
import { mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Kind, Status } from "../../src/protocol/constants.js";
import { startDjango, type DjangoOracle } from "../harness/django.js";
import { startPostgres, type PostgresServer } from "../harness/postgres.js";
import { Client, WorkerHarness, check, group, groupHandler, groupsOf, handler, permission, reason, status, user, type WorkerProcess } from "../harness/worker.js";

const ITERATIONS = 1000; // cheap PBKDF2 for stored hashes; verification reads the count from each hash

let harness: WorkerHarness;
beforeAll(() => {
  harness = WorkerHarness.create();
});
afterAll(() => harness.cleanup());

const djangoSpec = (database: string): string => `type=django\ndatabase=${database}\ndjango_version=3.2`;

/** What Django's check_password answered, as the worker's status. */
const expectedStatus = (result: boolean | null): number => (result === true ? Status.GRANTED : result === false ? Status.DENIED : Status.USER_NOT_FOUND);

describe("worker with the Django handler on SQLite, compared with Django", () => {
  const GROUPS = ["editors", "Reviewers", "caf\u00e9"];
  const USERS = [
    { username: "alice", password: "alice-pw", groups: ["editors", "caf\u00e9"], permissions: ["auth.add_user"] },
    { username: "bob", password: "bob-pw", is_active: false, groups: ["editors"] },
    { username: "carol", password: null, groups: ["Reviewers"] },
    { username: "jos\u00e9", password: "s\u00e9same \u2603", groups: [] },
    { username: "root", password: "root-pw", is_superuser: true },
  ];
  const ATTEMPTS: [string, string][] = [
    ["alice", "alice-pw"],
    ["alice", "ALICE-PW"],
    ["alice", ""],
    ["bob", "bob-pw"],
    ["carol", "anything"],
    ["jos\u00e9", "s\u00e9same \u2603"],
    ["jos\u00e9", "sesame"],
    ["root", "root-pw"],
    ["nobody", "x"],
    ["ALICE", "alice-pw"],
  ];

  let dir: string;
  let oracle: DjangoOracle;
  let worker: WorkerProcess;
  let client: Client;
  let spec: string;

  beforeAll(async () => {
    dir = mkdtempSync("/tmp/anp-worker-django-");
    const url = `sqlite://${join(dir, "db.sqlite3")}`;
    spec = djangoSpec(url);
    oracle = await startDjango({ databaseUrl: url, pbkdf2Iterations: ITERATIONS });
    for (const name of GROUPS) await oracle.createGroup(name, name === "editors" ? ["auth.change_user"] : []);
    for (const u of USERS) await oracle.createUser(u);
    worker = await harness.startWorker(["--log-level", "debug"]);
    client = await Client.greeted(worker.socketPath);
  });
  afterAll(async () => {
    client?.close();
    await oracle?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("check_password answers as django.contrib.auth.handlers.modwsgi.check_password", async () => {
    for (const [name, pw] of ATTEMPTS) {
      const answer = await check(client, spec, name, pw);
      expect([name, pw, status(answer)]).toEqual([name, pw, expectedStatus(await oracle.checkPassword(name, pw))]);
    }
  });

  it("groups_for_user answers as modwsgi.groups_for_user", async () => {
    for (const u of [...USERS.map((x) => x.username), "nobody"]) {
      const answer = await client.request(Kind.GROUPS_FOR_USER, [handler(spec), user(u), ...GROUPS.map(group)]);
      const django = await oracle.groupsForUser(u);
      expect([u, status(answer)]).toEqual([u, django.length > 0 ? Status.GRANTED : Status.DENIED]);
      expect(groupsOf(answer).sort()).toEqual([...django].sort());
    }
  });

  it("has_permission answers as User.has_perm", async () => {
    for (const u of [...USERS.map((x) => x.username), "nobody"]) {
      for (const perm of ["auth.add_user", "auth.change_user", "auth.delete_user"]) {
        const answer = await client.request(Kind.HAS_PERMISSION, [handler(spec), user(u), permission(perm)]);
        expect([u, perm, status(answer)]).toEqual([u, perm, (await oracle.hasPerm(u, perm)) ? Status.GRANTED : Status.DENIED]);
      }
    }
  });

  it("folds Django groups into a granted check_password (GROUP_HANDLER)", async () => {
    const answer = await check(client, spec, "alice", "alice-pw", [groupHandler(spec), group("EDITORS"), group("reviewers")]);
    expect(status(answer)).toBe(Status.GRANTED);
    expect(groupsOf(answer)).toEqual(["editors"]);
  });

  it("sees a password changed through Django on the next check", async () => {
    expect(status(await check(client, spec, "alice", "alice-pw"))).toBe(Status.GRANTED);
    await oracle.setPassword("alice", "changed-pw", { iterations: ITERATIONS });
    expect(status(await check(client, spec, "alice", "alice-pw"))).toBe(Status.DENIED);
    expect(status(await check(client, spec, "alice", "changed-pw"))).toBe(Status.GRANTED);
  });

  it("answers ERROR naming the key for a bad Django spec, and logs no database password", async () => {
    const bad = await check(client, `${spec}\npool_size=many`, "alice", "x");
    expect(status(bad)).toBe(Status.ERROR);
    expect(reason(bad)).toMatch(/pool_size/);
    const secretUrl = "postgres://app:db-secret-123@127.0.0.1:1/none";
    const unreachable = await check(client, djangoSpec(secretUrl), "alice", "x");
    expect(status(unreachable)).toBe(Status.ERROR);
    expect(reason(unreachable)).not.toContain("db-secret-123");
    await check(client, spec, "log-flush-marker", "x");
    await worker.waitForLine(/user="log-flush-marker"/);
    expect(worker.log).not.toContain("db-secret-123");
  });
});

describe("worker with the Django handler on PostgreSQL killed mid-run", () => {
  let pg: PostgresServer;
  let oracle: DjangoOracle;
  let worker: WorkerProcess;
  let spec: string;

  beforeAll(async () => {
    pg = await startPostgres();
    spec = djangoSpec(pg.url);
    oracle = await startDjango({ databaseUrl: pg.url, pbkdf2Iterations: ITERATIONS });
    await oracle.createUser({ username: "dana", password: "dana-pw", groups: ["ops"] });
    await oracle.close();
    worker = await harness.startWorker(["--timeout-ms", "4000"]);
  });
  afterAll(async () => {
    await pg?.cleanup();
  });

  it("answers ERROR (never DENIED or USER_NOT_FOUND) while the database is down, and recovers after a restart", async () => {
    const client = await Client.greeted(worker.socketPath);
    expect(status(await check(client, spec, "dana", "dana-pw"))).toBe(Status.GRANTED);

    // Checks in flight while the server is killed: each is either answered from before the kill or ERROR.
    const inFlight = Array.from({ length: 40 }, (_, i) => check(client, spec, i % 2 ? "dana" : "nobody", "dana-pw"));
    await pg.kill();
    for (const [i, answer] of (await Promise.all(inFlight)).entries()) {
      expect([i % 2 ? Status.GRANTED : Status.USER_NOT_FOUND, Status.ERROR]).toContain(status(answer));
    }
    for (const name of ["dana", "nobody"]) {
      const down = await check(client, spec, name, "dana-pw");
      expect(status(down)).toBe(Status.ERROR);
      expect(reason(down)).not.toBe("");
    }
    const groupsDown = await client.request(Kind.GROUPS_FOR_USER, [handler(spec), user("dana"), group("ops")]);
    expect(status(groupsDown)).toBe(Status.ERROR);

    await pg.restart();
    // The pool may hand out one dead connection per slot before it notices; it must recover by itself.
    let answer = await check(client, spec, "dana", "dana-pw");
    for (let attempt = 0; attempt < 10 && status(answer) === Status.ERROR; attempt++) answer = await check(client, spec, "dana", "dana-pw");
    expect(status(answer)).toBe(Status.GRANTED);
    expect(status(await check(client, spec, "dana", "wrong"))).toBe(Status.DENIED);
    expect(status(await check(client, spec, "nobody", "dana-pw"))).toBe(Status.USER_NOT_FOUND);
    expect(worker.child.exitCode).toBeNull();
    client.close();
  });
});
