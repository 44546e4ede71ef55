// Drives the real worker (node dist/worker.js, compiled from src/ into a private directory) over its
// Unix socket with the protocol codec: handshake, every operation, hundreds of requests in flight,
// deadlines, broken handlers and clients, reloading, socket permissions, peer checks and SIGTERM.
// No timing is asserted: order is forced with gates in the handler fixture, never with sleeps.
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { chownSync, existsSync, mkdirSync, readFileSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encodeFrame, encodeRawFrame } from "../../src/protocol/codec.js";
import { ANSWER_BIT, Kind, PROTOCOL_VERSION, Status, Tag } from "../../src/protocol/constants.js";
import { defineHandlerField, textField, textOf, u16Of, u32Field } from "../../src/protocol/fields.js";
import type { Message } from "../../src/protocol/message.js";
import { Client, FIXTURES, WorkerHarness, check, env, group, groupHandler, groupsOf, handler, password, reason, status, user, type WorkerProcess } from "../harness/worker.js";
import { workerLine } from "../support/error-log.js";

const BASIC = `type=script\npath=${FIXTURES}/basic.mjs`;
const SNAKE = `type=script\npath=${FIXTURES}/snake.cjs`;
const FAULTY = `type=script\npath=${FIXTURES}/faulty.mjs`;

let harness: WorkerHarness;
beforeAll(() => {
  harness = WorkerHarness.create();
});
afterAll(() => harness.cleanup());

const startWorker = (args: string[] = [], socketPath?: string): Promise<WorkerProcess> => harness.startWorker(args, socketPath);
const spawnWorker = (args: string[], socketPath?: string): WorkerProcess => harness.spawnWorker(args, socketPath);
const socketDir = (mode?: number): string => harness.socketDir(mode);

describe("worker over its socket", () => {
  let worker: WorkerProcess;
  beforeAll(async () => {
    worker = await startWorker(["--log-level", "debug", "--timeout-ms", "3000"]);
  });

  it("creates the socket file with mode 0600", () => {
    const st = statSync(worker.socketPath);
    expect(st.isSocket()).toBe(true);
    expect(st.mode & 0o777).toBe(0o600);
  });

  it("answers HELLO with its version", async () => {
    const client = await Client.connect(worker.socketPath);
    const answer = await client.hello();
    expect(answer.kind).toBe(Kind.HELLO | ANSWER_BIT);
    expect(status(answer)).toBe(Status.GRANTED);
    expect(u16Of(answer, Tag.VERSION)).toBe(PROTOCOL_VERSION);
    client.close();
  });

  it("refuses another protocol version and closes", async () => {
    const client = await Client.connect(worker.socketPath);
    const answer = await client.hello(PROTOCOL_VERSION + 1);
    expect(status(answer)).toBe(Status.DENIED);
    expect(u16Of(answer, Tag.VERSION)).toBe(PROTOCOL_VERSION);
    await client.closed;
  });

  it("refuses protocol version 1 (handler spec text in every frame) and closes", async () => {
    const client = await Client.connect(worker.socketPath);
    const answer = await client.hello(1);
    expect(status(answer)).toBe(Status.DENIED);
    expect(reason(answer)).toMatch(/protocol version 1 not supported/);
    await client.closed;
  });

  it("handler ids: defined once per connection, refused with ERROR (the connection stays) when unknown, out of range or redefined", async () => {
    const client = await Client.greeted(worker.socketPath);
    const raw = async (fields: ReturnType<typeof u32Field>[]) => {
      const id = client.send(Kind.CHECK_PASSWORD, [...fields, user("alice"), password("wonderland")]);
      const answer = await client.answerTo(id);
      if (answer === null) throw new Error("connection closed");
      return answer;
    };
    const unknown = await raw([u32Field(Tag.HANDLER_ID, 7)]);
    expect([status(unknown), reason(unknown)]).toEqual([Status.ERROR, "handler id 7 is not defined on this connection"]);
    expect(status(await raw([defineHandlerField(7, BASIC), u32Field(Tag.HANDLER_ID, 7)]))).toBe(Status.GRANTED);
    // Defined now: the id alone is enough on this connection, and the same definition again is a no-op.
    expect(status(await raw([u32Field(Tag.HANDLER_ID, 7)]))).toBe(Status.GRANTED);
    expect(status(await raw([defineHandlerField(7, BASIC), u32Field(Tag.HANDLER_ID, 7)]))).toBe(Status.GRANTED);
    const redefined = await raw([defineHandlerField(7, SNAKE), u32Field(Tag.HANDLER_ID, 7)]);
    expect([status(redefined), reason(redefined)]).toEqual([Status.ERROR, "handler id 7 is already defined on this connection with another spec"]);
    const zero = await raw([defineHandlerField(8, BASIC), { tag: Tag.DEFINE_HANDLER, value: Buffer.concat([Buffer.alloc(4), Buffer.from(BASIC)]) }, u32Field(Tag.HANDLER_ID, 8)]);
    expect([status(zero), reason(zero)]).toEqual([Status.ERROR, "handler id 0 is out of range (1..1024)"]);
    // Neither definition of the refused frame was applied.
    expect(reason(await raw([u32Field(Tag.HANDLER_ID, 8)]))).toBe("handler id 8 is not defined on this connection");
    // Ids are per connection: another connection has none of them.
    const other = await Client.greeted(worker.socketPath);
    const elsewhere = await other.answerTo(other.send(Kind.CHECK_PASSWORD, [u32Field(Tag.HANDLER_ID, 7), user("alice"), password("wonderland")]));
    expect(elsewhere && reason(elsewhere)).toBe("handler id 7 is not defined on this connection");
    other.close();
    client.close();
  });

  it("answers ERROR and closes when a request comes before HELLO", async () => {
    const client = await Client.connect(worker.socketPath);
    const id = client.send(Kind.CHECK_PASSWORD, [handler(BASIC), user("alice"), password("wonderland")], 9);
    const answer = await client.answerTo(id);
    expect(answer && status(answer)).toBe(Status.ERROR);
    expect(answer && reason(answer)).toMatch(/expected HELLO first/);
    await client.closed;
  });

  it("checks passwords: granted, denied, no such user, renamed", async () => {
    const client = await Client.greeted(worker.socketPath);
    expect(status(await check(client, BASIC, "alice", "wonderland"))).toBe(Status.GRANTED);
    expect(status(await check(client, BASIC, "alice", "wrong"))).toBe(Status.DENIED);
    expect(status(await check(client, BASIC, "mallory", "x"))).toBe(Status.USER_NOT_FOUND);
    const renamed = await check(client, BASIC, "rename-me", "ok");
    expect(status(renamed)).toBe(Status.GRANTED);
    expect(textOf(renamed, Tag.USER)).toBe("renamed-user");
    expect(textOf(await check(client, BASIC, "alice", "wonderland"), Tag.USER)).toBeUndefined();
    client.close();
  });

  it("decodes user names and passwords as UTF-8, or Latin-1 when not UTF-8", async () => {
    const client = await Client.greeted(worker.socketPath);
    expect(status(await check(client, BASIC, "jos\u00e9", "s\u00e9same"))).toBe(Status.GRANTED);
    expect(status(await check(client, BASIC, Buffer.from("jos\u00e9", "latin1"), Buffer.from("s\u00e9same", "latin1")))).toBe(Status.GRANTED);
    expect(status(await check(client, BASIC, "jos\u00e9", Buffer.from("s\u00e9samE", "latin1")))).toBe(Status.DENIED);
    client.close();
  });

  it("passes environ, without Authorization", async () => {
    const client = await Client.greeted(worker.socketPath);
    const probe = (uri: string) => check(client, BASIC, "env-probe", "", [env(`REQUEST_URI=${uri}`), env("HTTP_AUTHORIZATION=Basic ZW52LXByb2JlOg==")]);
    expect(status(await probe("/probe"))).toBe(Status.GRANTED);
    expect(status(await probe("/elsewhere"))).toBe(Status.DENIED);
    client.close();
  });

  it("answers groups_for_user with the requested groups the user is in", async () => {
    const client = await Client.greeted(worker.socketPath);
    const granted = await client.request(Kind.GROUPS_FOR_USER, [handler(BASIC), user("alice"), group("readers"), group("admins")]);
    expect(status(granted)).toBe(Status.GRANTED);
    expect(groupsOf(granted)).toEqual(["Readers"]);
    expect(status(await client.request(Kind.GROUPS_FOR_USER, [handler(BASIC), user("alice"), group("admins")]))).toBe(Status.DENIED);
    expect(status(await client.request(Kind.GROUPS_FOR_USER, [handler(BASIC), user("alice")]))).toBe(Status.DENIED);
    expect(status(await client.request(Kind.GROUPS_FOR_USER, [handler(BASIC), user("mallory"), group("staff")]))).toBe(Status.DENIED);
    client.close();
  });

  it("folds groups into a granted check_password with GROUP_HANDLER", async () => {
    const client = await Client.greeted(worker.socketPath);
    const all = await check(client, BASIC, "alice", "wonderland", [groupHandler(BASIC)]);
    expect(status(all)).toBe(Status.GRANTED);
    expect(groupsOf(all)).toEqual(["staff", "Readers"]);
    const some = await check(client, BASIC, "alice", "wonderland", [groupHandler(SNAKE), group("nothing")]);
    expect(groupsOf(some)).toEqual([]);
    const denied = await check(client, BASIC, "alice", "nope", [groupHandler(BASIC)]);
    expect(status(denied)).toBe(Status.DENIED);
    expect(groupsOf(denied)).toEqual([]);
    client.close();
  });

  it("answers ERROR when the folded groups would not fit in one frame, and the matching ones when asked", async () => {
    const client = await Client.greeted(worker.socketPath);
    const tooMany = await check(client, BASIC, "many-groups", "x", [groupHandler(BASIC)]);
    expect(status(tooMany)).toBe(Status.ERROR);
    expect(reason(tooMany)).toMatch(/^answer too large/);
    const narrowed = await check(client, BASIC, "many-groups", "x", [groupHandler(BASIC), group("GROUP-299"), group("group-7")]);
    expect(status(narrowed)).toBe(Status.GRANTED);
    expect(groupsOf(narrowed)).toEqual(["group-7", "group-299"]);
    client.close();
  });

  it("answers has_permission, get_realm_hash and allow_access", async () => {
    const client = await Client.greeted(worker.socketPath);
    const perm = (name: string, p: string) => client.request(Kind.HAS_PERMISSION, [handler(BASIC), user(name), textField(Tag.PERMISSION, p)]);
    expect(status(await perm("alice", "docs.view_doc"))).toBe(Status.GRANTED);
    expect(status(await perm("bob", "docs.view_doc"))).toBe(Status.DENIED);

    const realm = (name: string) => client.request(Kind.GET_REALM_HASH, [handler(BASIC), user(name), textField(Tag.REALM, "Private Area")]);
    const hash = await realm("alice");
    expect(status(hash)).toBe(Status.GRANTED);
    expect(textOf(hash, Tag.HASH)).toBe(createHash("md5").update("alice:Private Area:wonderland").digest("hex"));
    expect(status(await realm("mallory"))).toBe(Status.USER_NOT_FOUND);

    const access = (spec: string, host: string) => client.request(Kind.ALLOW_ACCESS, [handler(spec), textField(Tag.HOST, host)]);
    expect(status(await access(BASIC, "10.0.0.1"))).toBe(Status.GRANTED);
    expect(status(await access(BASIC, "10.0.0.2"))).toBe(Status.DENIED);
    expect(status(await access(BASIC, "10.0.0.3"))).toBe(Status.USER_NOT_FOUND);
    expect(status(await access(SNAKE, "127.0.0.1"))).toBe(Status.GRANTED);
    client.close();
  });

  it("serves CommonJS scripts with mod_wsgi's snake_case names", async () => {
    const client = await Client.greeted(worker.socketPath);
    expect(status(await check(client, SNAKE, "snake", "hiss"))).toBe(Status.GRANTED);
    expect(status(await check(client, SNAKE, "snake", "bite"))).toBe(Status.DENIED);
    expect(status(await check(client, SNAKE, "alice", "wonderland"))).toBe(Status.USER_NOT_FOUND);
    const groups = await client.request(Kind.GROUPS_FOR_USER, [handler(SNAKE), user("snake"), group("CAF\u00e9"), group("reptiles")]);
    // ASCII case-insensitive, like httpd's tables: "CAF\u00e9" matches "caf\u00e9", and bytes were decoded as UTF-8.
    expect(groupsOf(groups)).toEqual(["reptiles", "caf\u00e9"]);
    client.close();
  });

  it("keeps hundreds of requests in flight and answers each correctly, out of order", async () => {
    const client = await Client.greeted(worker.socketPath);
    const expected = new Map<number, number>();
    const waiting: number[] = [];
    // 150 requests that cannot finish until "open-many" is checked, sent first...
    for (let i = 0; i < 150; i++) {
      const name = `wait-many-${i}`;
      const right = i % 3 !== 0;
      const id = client.send(Kind.CHECK_PASSWORD, [handler(BASIC), user(name), password(right ? `pw-${name}` : "wrong")]);
      expected.set(id, right ? Status.GRANTED : Status.DENIED);
      waiting.push(id);
    }
    // ...then 200 that finish on their own, in an order set by their delays, then the one that opens the gate.
    for (let i = 0; i < 200; i++) {
      const name = `slow-${(i * 7) % 23}-${i}`;
      const right = i % 2 === 0;
      const id = client.send(Kind.CHECK_PASSWORD, [handler(BASIC), user(name), password(right ? `pw-${name}` : "nope")]);
      expected.set(id, right ? Status.GRANTED : Status.DENIED);
    }
    const opener = client.send(Kind.CHECK_PASSWORD, [handler(BASIC), user("open-many"), password("")]);
    expected.set(opener, Status.GRANTED);

    const answers = await Promise.all([...expected.keys()].map((id) => client.answerTo(id)));
    for (const answer of answers) {
      expect(answer).not.toBeNull();
      expect(status(answer as Message)).toBe(expected.get((answer as Message).requestId));
    }
    const order = client.answers.filter((a) => a.kind !== (Kind.HELLO | ANSWER_BIT)).map((a) => a.requestId);
    expect(new Set(order).size).toBe(expected.size);
    const openerAt = order.indexOf(opener);
    for (const id of waiting) expect(order.indexOf(id)).toBeGreaterThan(openerAt);
    client.close();
  });

  it("serves many connections at once", async () => {
    const clients = await Promise.all(Array.from({ length: 20 }, () => Client.greeted(worker.socketPath)));
    const results = await Promise.all(
      clients.flatMap((client, c) =>
        Array.from({ length: 10 }, (_, i) => check(client, BASIC, `slow-${(c + i) % 5}-${c}x${i}`, `pw-slow-${(c + i) % 5}-${c}x${i}`).then(status)),
      ),
    );
    expect(results).toEqual(new Array(200).fill(Status.GRANTED));
    for (const client of clients) client.close();
  });

  it("answers ERROR for a hanging handler at the request's deadline, and the connection keeps working", async () => {
    const client = await Client.greeted(worker.socketPath);
    const hung = await check(client, FAULTY, "hangs", "x", [u32Field(Tag.TIMEOUT_MS, 300)]);
    expect(status(hung)).toBe(Status.ERROR);
    expect(reason(hung)).toBe("deadline exceeded");
    expect(status(await check(client, BASIC, "alice", "wonderland"))).toBe(Status.GRANTED);
    const overdue = await check(client, BASIC, "alice", "wonderland", [u32Field(Tag.TIMEOUT_MS, 1)]);
    expect(status(overdue)).toBe(Status.ERROR); // no time left for an answer: never a grant
    client.close();
  });

  it("answers ERROR when a handler throws, without the password in the reason or the log", async () => {
    const client = await Client.greeted(worker.socketPath);
    const secret = "Pa55-w0rd-\u00e9!";
    const thrown = await check(client, FAULTY, "throws", secret);
    expect(status(thrown)).toBe(Status.ERROR);
    // Only the function and the code: the thrown message held the password.
    expect(reason(thrown)).toBe("checkPassword threw Error (ERR_ANP_SCRIPT_THREW)");
    const thrownString = await check(client, FAULTY, "throws-string", secret);
    expect(status(thrownString)).toBe(Status.ERROR);
    for (const answer of [thrown, thrownString]) expect(reason(answer)).not.toContain(secret);
    // A line written after both answers proves they have been logged already.
    await check(client, BASIC, "log-flush-marker", "x");
    await worker.waitForLine(/user="log-flush-marker"/);
    expect(worker.log).toContain('check_password user="throws"');
    expect(worker.log).not.toContain(secret);
    client.close();
  });

  it.each([
    ["number", /returned a number/],
    ["object", /returned an object/],
    ["empty-string", /returned a string/],
    ["bytes", /returned a Buffer/],
    ["rejects", /^checkPassword threw TypeError \(ERR_ANP_SCRIPT_THREW\)$/],
  ])("answers ERROR for a checkPassword returning %s", async (name, message) => {
    const client = await Client.greeted(worker.socketPath);
    const answer = await check(client, FAULTY, name, "pw");
    expect(status(answer)).toBe(Status.ERROR);
    expect(reason(answer)).toMatch(message);
    client.close();
  });

  it("answers ERROR for wrong group, hash and access results, and for a missing function", async () => {
    const client = await Client.greeted(worker.socketPath);
    for (const name of ["string", "null", "bad-item", "generator-throws", "endless"]) {
      const answer = await client.request(Kind.GROUPS_FOR_USER, [handler(FAULTY), user(name), group("ok")]);
      expect(status(answer)).toBe(Status.ERROR);
    }
    expect(status(await client.request(Kind.GET_REALM_HASH, [handler(FAULTY), user("short"), textField(Tag.REALM, "r")]))).toBe(Status.ERROR);
    expect(status(await client.request(Kind.ALLOW_ACCESS, [handler(FAULTY), textField(Tag.HOST, "h")]))).toBe(Status.ERROR);
    const missing = await client.request(Kind.HAS_PERMISSION, [handler(SNAKE), user("snake"), textField(Tag.PERMISSION, "a.b")]);
    expect(status(missing)).toBe(Status.ERROR);
    expect(reason(missing)).toBe("script exports no hasPermission");
    client.close();
  });

  it("answers ERROR naming the bad key of a handler spec", async () => {
    const client = await Client.greeted(worker.socketPath);
    const unknownKey = await check(client, `${BASIC}\nrelaod=on`, "alice", "wonderland");
    expect(status(unknownKey)).toBe(Status.ERROR);
    expect(reason(unknownKey)).toBe("handler spec: relaod: unknown key");
    const noType = await check(client, `path=${FIXTURES}/basic.mjs`, "alice", "wonderland");
    expect(reason(noType)).toBe("handler spec: type: is required");
    const missingScript = await check(client, `type=script\npath=${FIXTURES}/no-such-file.mjs`, "alice", "wonderland");
    expect(status(missingScript)).toBe(Status.ERROR);
    expect(reason(missingScript)).toMatch(/no-such-file\.mjs/);
    client.close();
  });

  it("closes a connection that sends garbage, and keeps serving the others", async () => {
    const bystander = await Client.greeted(worker.socketPath);
    const garbage = await Client.greeted(worker.socketPath);
    garbage.socket.write(Buffer.from([0x00, 0x00, 0x00, 0x09, 0x99, 0, 0, 0, 5, 0, 0, 0, 0]));
    const answer = await garbage.answerTo(5);
    expect(answer && status(answer)).toBe(Status.ERROR);
    expect(answer && reason(answer)).toMatch(/protocol error/);
    await garbage.closed;

    const oversize = await Client.connect(worker.socketPath); // no HELLO, so the only answer with id 0 is the error
    oversize.socket.write(Buffer.from([0x00, 0x02, 0x00, 0x00]));
    const tooLarge = await oversize.answerTo(0);
    expect(tooLarge && reason(tooLarge)).toMatch(/E_TOO_LARGE/);
    await oversize.closed;

    const wrongTag = await Client.greeted(worker.socketPath);
    wrongTag.socket.write(encodeRawFrame({ kind: Kind.CHECK_PASSWORD, requestId: 77, fields: [u32Field(Tag.HANDLER_ID, 1), user("a"), password("b"), textField(Tag.HASH, "x")] }));
    const malformed = await wrongTag.answerTo(77);
    expect(malformed && status(malformed)).toBe(Status.ERROR);
    await wrongTag.closed;

    const badEnv = await Client.greeted(worker.socketPath);
    badEnv.send(Kind.CHECK_PASSWORD, [handler(BASIC), user("a"), password("b"), env("NO_EQUALS_SIGN")], 78);
    const rejected = await badEnv.answerTo(78);
    expect(rejected && reason(rejected)).toMatch(/ENV entry without '='/);
    await badEnv.closed;

    const duplicate = await Client.greeted(worker.socketPath);
    duplicate.send(Kind.CHECK_PASSWORD, [handler(BASIC), user("wait-dup-1"), password("x")], 50);
    duplicate.send(Kind.CHECK_PASSWORD, [handler(BASIC), user("alice"), password("wonderland")], 50);
    await duplicate.closed;
    expect(duplicate.answers.slice(1).map((a) => [a.kind, a.requestId, status(a), reason(a)])).toEqual([
      [Kind.HELLO | ANSWER_BIT, 50, Status.ERROR, "protocol error: request id 50 already in flight"],
    ]);

    expect(status(await check(bystander, BASIC, "alice", "wonderland"))).toBe(Status.GRANTED);
    bystander.close();
  });

  it("survives random bytes and random frames after HELLO (fast-check), answering the next client", async () => {
    /** Sends `bytes` after the handshake, half-closes, and waits until the worker has closed too. */
    const blast = async (bytes: Uint8Array): Promise<void> => {
      const client = await Client.greeted(worker.socketPath);
      client.socket.end(bytes);
      await client.closed;
      // Whatever it answered must be readable frames.
      expect(client.decodeError).toBeNull();
    };
    await fc.assert(fc.asyncProperty(fc.uint8Array({ maxLength: 400 }), blast), { numRuns: 150 });
    const frame = fc.record({
      kind: fc.integer({ min: 0, max: 255 }),
      requestId: fc.integer({ min: 0, max: 0xffffffff }),
      fields: fc.array(fc.record({ tag: fc.integer({ min: 0, max: 20 }), value: fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b)) }), { maxLength: 8 }),
    });
    await fc.assert(fc.asyncProperty(fc.array(frame, { minLength: 1, maxLength: 4 }), (frames) => blast(Buffer.concat(frames.map((f) => encodeRawFrame(f))))), {
      numRuns: 150,
    });
    expect(worker.child.exitCode).toBeNull();
    const client = await Client.greeted(worker.socketPath);
    expect(status(await check(client, BASIC, "alice", "wonderland"))).toBe(Status.GRANTED);
    client.close();
  });

  it("survives clients that disconnect mid-frame or with requests in flight", async () => {
    const halfFrame = await Client.greeted(worker.socketPath);
    const frame = encodeFrame({ kind: Kind.CHECK_PASSWORD, requestId: 1, fields: [defineHandlerField(1, BASIC), u32Field(Tag.HANDLER_ID, 1), user("alice"), password("wonderland")] });
    halfFrame.socket.write(frame.subarray(0, 10));
    halfFrame.close();

    const leaver = await Client.greeted(worker.socketPath);
    leaver.send(Kind.CHECK_PASSWORD, [handler(BASIC), user("wait-leaver-1"), password("pw-wait-leaver-1")]);
    leaver.close();

    const silent = await Client.connect(worker.socketPath);
    silent.socket.write(Buffer.from([0, 0]));
    silent.close();

    const client = await Client.greeted(worker.socketPath);
    // Opening the gate lets the abandoned request finish; its answer has nowhere to go and is dropped.
    expect(status(await check(client, BASIC, "open-leaver", ""))).toBe(Status.GRANTED);
    expect(status(await check(client, BASIC, "alice", "wonderland"))).toBe(Status.GRANTED);
    client.close();
    expect(worker.child.exitCode).toBeNull();
  });
});

describe("worker back-pressure and --timeout-ms", () => {
  it("stops reading a connection with too many requests in flight, and bounds requests by --timeout-ms", async () => {
    const worker = await startWorker(["--timeout-ms", "1000"]);
    const client = await Client.greeted(worker.socketPath);
    // No TIMEOUT_MS field: --timeout-ms alone bounds the request.
    const hung = await check(client, FAULTY, "hangs", "x");
    expect([status(hung), reason(hung)]).toEqual([Status.ERROR, "deadline exceeded"]);

    // More waiting requests than the worker keeps in flight per connection, then the one that opens
    // their gate. Were the worker to read everything at once, all would be GRANTED. Because it stops
    // reading, the opener is read only after some waiting requests reached their deadline.
    const waiting = Array.from({ length: 600 }, (_, i) => {
      const name = `wait-bp-${i}`;
      return client.send(Kind.CHECK_PASSWORD, [handler(BASIC), user(name), password(`pw-${name}`)]);
    });
    const opener = client.send(Kind.CHECK_PASSWORD, [handler(BASIC), user("open-bp"), password("")]);
    const answers = await Promise.all(waiting.map((id) => client.answerTo(id)));
    const statuses = answers.map((a) => (a === null ? "closed" : status(a) === Status.ERROR ? reason(a) : status(a)));
    expect(new Set(statuses)).toEqual(new Set(["deadline exceeded", Status.GRANTED]));
    const openAnswer = await client.answerTo(opener);
    expect(openAnswer && status(openAnswer)).toBe(Status.GRANTED);
    expect(status(await check(client, BASIC, "alice", "wonderland"))).toBe(Status.GRANTED);
    client.close();
    await worker.stop();
  });
});

describe("worker script reloading", () => {
  it("reloads a changed script before the next request only with reload=on", async () => {
    const dir = join(harness.scratch, "reload");
    mkdirSync(dir);
    const esm = join(dir, "auth.mjs");
    const cjs = join(dir, "auth.cjs");
    const writeScripts = (password: string, stamp: number) => {
      writeFileSync(esm, `export const checkPassword = (e, u, p) => p === ${JSON.stringify(password)};\n`);
      writeFileSync(cjs, `exports.check_password = (e, u, p) => p === ${JSON.stringify(password)};\n`);
      utimesSync(esm, stamp, stamp);
      utimesSync(cjs, stamp, stamp);
    };
    writeScripts("first", 1_000_000);
    const worker = await startWorker();
    const client = await Client.greeted(worker.socketPath);
    const specs = {
      esmReload: `type=script\npath=${esm}\nreload=on`,
      cjsReload: `type=script\npath=${cjs}\nreload=on`,
      esmFixed: `type=script\npath=${esm}`,
      cjsFixed: `type=script\npath=${cjs}`,
    };
    for (const spec of Object.values(specs)) expect(status(await check(client, spec, "u", "first"))).toBe(Status.GRANTED);
    writeScripts("second", 2_000_000);
    expect(status(await check(client, specs.esmReload, "u", "second"))).toBe(Status.GRANTED);
    expect(status(await check(client, specs.cjsReload, "u", "second"))).toBe(Status.GRANTED);
    expect(status(await check(client, specs.esmReload, "u", "first"))).toBe(Status.DENIED);
    expect(status(await check(client, specs.esmFixed, "u", "first"))).toBe(Status.GRANTED);
    expect(status(await check(client, specs.cjsFixed, "u", "first"))).toBe(Status.GRANTED);
    // A broken new version fails closed instead of serving the old one.
    writeFileSync(esm, "export const checkPassword = (;\n");
    utimesSync(esm, 3_000_000, 3_000_000);
    expect(status(await check(client, specs.esmReload, "u", "second"))).toBe(Status.ERROR);
    client.close();
    await worker.stop();
  });
});

describe("worker start-up and permissions", () => {
  it("exits 2 naming the flag for bad flags", async () => {
    const cases: [string[], RegExp][] = [
      [["--socket-mode", "0644"], /--socket-mode: must be 0600 or 0660/],
      [["--frobnicate"], /--frobnicate: unknown flag/],
      [["--timeout-ms", "-1"], /--timeout-ms: must be an integer/],
    ];
    for (const [args, message] of cases) {
      const worker = spawnWorker(args);
      const exit = await worker.exited;
      expect(exit.code).toBe(2);
      expect(worker.log).toMatch(workerLine("error", message));
    }
  });

  it("exits 2 when the socket directory does not exist", async () => {
    const worker = spawnWorker([], join(harness.scratch, "no-such-dir", "w.sock"));
    expect((await worker.exited).code).toBe(2);
    expect(worker.log).toMatch(/--socket: directory .*no-such-dir: ENOENT/);
  });

  it("refuses a socket directory others can write to, and a path that is not a socket", async () => {
    const open = socketDir(0o777);
    const worker = spawnWorker([], join(open, "w.sock"));
    expect((await worker.exited).code).toBe(2);
    expect(worker.log).toMatch(/--socket: directory .* is writable by others/);

    const dir = socketDir();
    writeFileSync(join(dir, "w.sock"), "not a socket");
    const second = spawnWorker([], join(dir, "w.sock"));
    expect((await second.exited).code).toBe(2);
    expect(second.log).toMatch(/exists and is not a socket/);
    expect(readFileSync(join(dir, "w.sock"), "utf8")).toBe("not a socket");
  });

  it("replaces a stale socket file", async () => {
    const dir = socketDir();
    const path = join(dir, "w.sock");
    const old = createServer();
    await new Promise<void>((r) => old.listen(path, r));
    // Simulate a crashed worker: the file stays, nobody will accept on it again.
    const oldIno = statSync(path).ino;
    const worker = await startWorker([], path);
    expect(worker.log).toContain(`removed stale socket ${path}`);
    expect(statSync(path).ino).not.toBe(oldIno);
    const client = await Client.greeted(path);
    client.close();
    old.close();
    await worker.stop();
  });

  it("loads the handlers of a config file at start and exits 2 if one is broken", async () => {
    const config = join(harness.scratch, "config.json");
    writeFileSync(config, JSON.stringify({ logLevel: "info", handlers: [{ type: "script", path: `${FIXTURES}/basic.mjs` }] }));
    const worker = await startWorker(["--config", config]);
    expect(worker.log).toMatch(workerLine("info", `loaded handler script:${FIXTURES}/basic\\.mjs`));
    await worker.stop();

    const broken = join(harness.scratch, "broken.json");
    writeFileSync(broken, JSON.stringify({ handlers: [`type=script\npath=${FIXTURES}/no-such.mjs`] }));
    const failing = spawnWorker(["--config", broken]);
    expect((await failing.exited).code).toBe(2);
    expect(failing.log).toMatch(/config:handlers\[0\]: .*no-such\.mjs/);
  });

  it("makes a 0660 socket for a group", async () => {
    const worker = await startWorker(["--socket-mode", "0660", "--socket-group", "nogroup"]);
    const st = statSync(worker.socketPath);
    expect(st.mode & 0o777).toBe(0o660);
    expect(st.gid).toBe(Number(spawnSync("getent", ["group", "nogroup"], { encoding: "utf8" }).stdout.split(":")[2]));
    await worker.stop();
  });
});

describe("worker peer checks (SO_PEERCRED)", () => {
  const nobody = { uid: 65534, gid: 65534 };
  /** A client process running as nobody: prints "answered <status>" or "closed" for its HELLO. */
  function helloAsNobody(socketPath: string): Promise<string> {
    const script = `
      const net = require("node:net");
      const s = net.connect(${JSON.stringify(socketPath)}, () => {
        s.write(Buffer.from([0,0,0,31, 1, 0,0,0,0, 0,2, 1, 0,2, 0,${PROTOCOL_VERSION}, 16, 0,16, ...new Array(16).fill(7)]));
      });
      let got = Buffer.alloc(0);
      s.on("data", (d) => {
        got = Buffer.concat([got, d]);
        if (got.length >= 4 && got.length >= 4 + got.readUInt32BE(0)) s.destroy(); // one whole answer
      });
      s.on("error", () => {}); // a refused peer may see ECONNRESET or EPIPE; "close" follows either way
      s.on("close", () => { process.stdout.write(got.length >= 4 ? "answered " + got[14] : "closed"); });
    `;
    return new Promise((resolveOutput) => {
      const child = spawn(process.execPath, ["-e", script], { ...nobody, stdio: ["ignore", "pipe", "inherit"], cwd: "/" });
      let out = "";
      child.stdout.setEncoding("utf8").on("data", (d: string) => (out += d));
      child.once("exit", () => resolveOutput(out));
    });
  }

  it("closes connections from an untrusted uid, and accepts them once trusted", async () => {
    expect(process.getuid?.()).toBe(0); // the test runs as root, so it can be nobody too
    const dir = socketDir(0o750);
    chownSync(dir, 0, nobody.gid);
    const path = join(dir, "w.sock");
    const refusing = await startWorker(["--socket-mode", "0660", "--socket-group", String(nobody.gid)], path);
    expect(await helloAsNobody(path)).toBe("closed");
    await refusing.waitForLine(workerLine("warn", /refused connection from uid 65534 pid \d+: uid 65534 is not trusted/));
    // Our own uid (root) is still welcome.
    (await Client.greeted(path)).close();
    await refusing.stop();

    const trusting = await startWorker(["--socket-mode", "0660", "--socket-group", String(nobody.gid), "--trust-uid", "nobody"], path);
    // The HELLO answer's STATUS value sits at byte 14 of the frame: GRANTED.
    expect(await helloAsNobody(path)).toBe(`answered ${Status.GRANTED}`);
    await trusting.stop();
  });
});

describe("worker shutdown", () => {
  it("answers what is in flight after SIGTERM, refuses new work, and exits 0", async () => {
    const worker = await startWorker();
    const client = await Client.greeted(worker.socketPath);
    const inFlight = client.send(Kind.CHECK_PASSWORD, [handler(BASIC), user("until-sigterm"), password("late")]);
    // This answer comes only once the in-flight request's SIGTERM listener is in place.
    expect(status(await check(client, BASIC, "wait-sigready-1", "pw-wait-sigready-1"))).toBe(Status.GRANTED);
    worker.child.kill("SIGTERM");
    const answer = await client.answerTo(inFlight);
    expect(answer && status(answer)).toBe(Status.GRANTED);
    await client.closed;
    expect(await worker.exited).toEqual({ code: 0, signal: null });
    expect(worker.log).toMatch(workerLine("info", /SIGTERM: stopping/));
    expect(existsSync(worker.socketPath)).toBe(false);
  });

  it("exits 0 on SIGHUP with idle connections open", async () => {
    const worker = await startWorker();
    const client = await Client.greeted(worker.socketPath);
    worker.child.kill("SIGHUP");
    await client.closed;
    expect(await worker.exited).toEqual({ code: 0, signal: null });
  });
});
