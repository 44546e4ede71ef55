// The worker's lockouts over its real socket (node dist/worker.js, the protocol codec as the module speaks
// it): the native throttle answers THROTTLED with RETRY_AFTER after its limits without calling the
// handler (a script that counts its calls), the same for an existing and an unknown user; a grant
// resets the (user, address) pair; a request without CLIENT_IP is never throttled; a block is logged with
// the address, user, rule and end, never a password; the answer's THROTTLE_SCOPE is the user for the pair
// rule and the address for the address rule; a handler's lockout policy that cannot answer
// (django-defender's Redis down) fails the check closed. No timing: blocks last an hour.
import { createServer } from "node:net";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Kind, Status, Tag, THROTTLE_SCOPE_ADDRESS, THROTTLE_SCOPE_USER } from "../../src/protocol/constants.js";
import { textField, u32Of, u8Of } from "../../src/protocol/fields.js";
import type { Message } from "../../src/protocol/message.js";
import { Client, FIXTURES, WorkerHarness, check, group, handler, reason, status, user, type WorkerProcess } from "../harness/worker.js";
import { workerLine } from "../support/error-log.js";

const COUNTING = `type=script\npath=${FIXTURES}/counting.mjs`;
const clientIp = (ip: string) => textField(Tag.CLIENT_IP, ip);
const WRONG = "Wr0ng-guess-zz9";

let harness: WorkerHarness;
beforeAll(() => {
  harness = WorkerHarness.create();
});
afterAll(() => harness.cleanup());

/** How many times the counting handler checked `name`'s password so far. */
async function callsOf(client: Client, name: string, expected: number): Promise<boolean> {
  const answer = await client.request(Kind.GROUPS_FOR_USER, [handler(COUNTING), user(name), group(`calls-${expected}`)]);
  return status(answer) === Status.GRANTED;
}

const throttled = (m: Message) => ({ status: status(m), reason: reason(m), retryAfterSet: (u32Of(m, Tag.RETRY_AFTER) ?? 0) >= 1 });

describe("native throttle over the socket", () => {
  let worker: WorkerProcess;
  let client: Client;
  beforeAll(async () => {
    worker = await harness.startWorker(["--throttle-pair-limit", "3", "--throttle-address-limit", "6", "--throttle-backoff", "3600,3600"]);
    client = await Client.greeted(worker.socketPath);
  });
  afterAll(() => client.close());

  it("answers THROTTLED (pair) after the limit, the right password included, without calling the handler", async () => {
    const from = clientIp("192.0.2.10");
    for (let i = 0; i < 3; i++) expect(status(await check(client, COUNTING, "alice", WRONG, [from]))).toBe(Status.DENIED);
    const locked = await check(client, COUNTING, "alice", "pw-alice", [from]);
    expect(throttled(locked)).toEqual({ status: Status.THROTTLED, reason: "throttled: pair", retryAfterSet: true });
    expect(u32Of(locked, Tag.RETRY_AFTER)).toBeLessThanOrEqual(3600);
    // The pair rule refuses this user from this address only: the module may remember it for that pair.
    expect(u8Of(locked, Tag.THROTTLE_SCOPE)).toBe(THROTTLE_SCOPE_USER);
    expect(await callsOf(client, "alice", 3)).toBe(true);
    // Another address, and the same address for another user, still reach the handler.
    expect(status(await check(client, COUNTING, "alice", "pw-alice", [clientIp("192.0.2.11")]))).toBe(Status.GRANTED);
    expect(status(await check(client, COUNTING, "bob", "pw-bob", [from]))).toBe(Status.GRANTED);
    expect(await callsOf(client, "alice", 4)).toBe(true);
  });

  it("gives an existing and an unknown user the same answer once the address is blocked", async () => {
    const from = clientIp("192.0.2.20");
    for (let i = 0; i < 6; i++) expect(status(await check(client, COUNTING, `ghost-${i}`, WRONG, [from]))).toBe(Status.USER_NOT_FOUND);
    const knownAnswer = await check(client, COUNTING, "carol", "pw-carol", [from]);
    const known = throttled(knownAnswer);
    const unknown = throttled(await check(client, COUNTING, "ghost-new", WRONG, [from]));
    // The address rule refuses every user from it: the module may remember the whole address.
    expect(u8Of(knownAnswer, Tag.THROTTLE_SCOPE)).toBe(THROTTLE_SCOPE_ADDRESS);
    expect(known).toEqual({ status: Status.THROTTLED, reason: "throttled: address", retryAfterSet: true });
    expect(unknown).toEqual(known);
    expect(await callsOf(client, "carol", 0)).toBe(true);
    expect(await callsOf(client, "ghost-new", 0)).toBe(true);
  });

  it("a grant resets the pair", async () => {
    const from = clientIp("192.0.2.30");
    for (let i = 0; i < 2; i++) await check(client, COUNTING, "dave", WRONG, [from]);
    expect(status(await check(client, COUNTING, "dave", "pw-dave", [from]))).toBe(Status.GRANTED);
    for (let i = 0; i < 2; i++) expect(status(await check(client, COUNTING, "dave", WRONG, [from]))).toBe(Status.DENIED);
    expect(status(await check(client, COUNTING, "dave", "pw-dave", [from]))).toBe(Status.GRANTED);
  });

  it("never throttles a request without CLIENT_IP", async () => {
    for (let i = 0; i < 10; i++) expect(status(await check(client, COUNTING, "erin", WRONG))).toBe(Status.DENIED);
    expect(status(await check(client, COUNTING, "erin", "pw-erin"))).toBe(Status.GRANTED);
    expect(await callsOf(client, "erin", 11)).toBe(true);
  });

  it("logs each block once with address, user, rule and end, and never a password", async () => {
    const line = await worker.waitForLine(/throttle: client 192\.0\.2\.10 /);
    expect(line).toMatch(workerLine("info", /throttle: client 192\.0\.2\.10 user "alice" blocked \(pair\) until \d{4}-\d\d-\d\dT[\d:.]+Z \(3600 s\)$/));
    await worker.waitForLine(/throttle: client 192\.0\.2\.20 user "ghost-5" blocked \(address\)/);
    expect(worker.lines.filter((l) => l.includes("throttle: client 192.0.2.10 "))).toHaveLength(1);
    expect(worker.log).not.toContain(WRONG);
    expect(worker.log).not.toContain("pw-");
  });
});

describe("throttle off", () => {
  it("--throttle off answers every check", async () => {
    const worker = await harness.startWorker(["--throttle", "off"]);
    const client = await Client.greeted(worker.socketPath);
    const from = clientIp("192.0.2.40");
    for (let i = 0; i < 15; i++) expect(status(await check(client, COUNTING, "frank", WRONG, [from]))).toBe(Status.DENIED);
    expect(status(await check(client, COUNTING, "frank", "pw-frank", [from]))).toBe(Status.GRANTED);
    client.close();
    await worker.stop();
  });
});

describe("a handler's lockout policy that cannot answer", () => {
  it("fails the check closed (ERROR), before any hashing, with or without the right password", async () => {
    // A port nothing listens on: django-defender's Redis is down.
    const closed = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, "127.0.0.1", () => {
        const port = (server.address() as { port: number }).port;
        server.close(() => resolve(port));
      });
    });
    // Django's auth_user, empty: without defender the handler itself answers (USER_NOT_FOUND).
    const dbPath = join(harness.scratch, "auth.sqlite3");
    const db = new Database(dbPath);
    db.exec(
      "CREATE TABLE auth_user (id integer PRIMARY KEY, password varchar(128) NOT NULL, last_login datetime NULL, is_superuser bool NOT NULL, " +
        "username varchar(150) NOT NULL UNIQUE, first_name varchar(150) NOT NULL, last_name varchar(150) NOT NULL, email varchar(254) NOT NULL, " +
        "is_staff bool NOT NULL, is_active bool NOT NULL, date_joined datetime NOT NULL)",
    );
    db.close();
    const worker = await harness.startWorker([]);
    const client = await Client.greeted(worker.socketPath);
    const plain = `type=django\ndatabase=sqlite://${dbPath}`;
    const from = [clientIp("192.0.2.50")];
    expect(status(await check(client, plain, "alice", WRONG, from))).toBe(Status.USER_NOT_FOUND);
    const guarded = `${plain}\ndefender=honour\ndefender_redis_url=redis://127.0.0.1:${closed}/0`;
    for (const pw of ["right-or-not", WRONG]) {
      const answer = await check(client, guarded, "alice", pw, from);
      expect(status(answer)).toBe(Status.ERROR);
      expect(reason(answer)).not.toContain(pw);
    }
    client.close();
    await worker.stop();
  });
});
