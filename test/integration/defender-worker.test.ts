// django-defender through the worker's socket, as httpd's children ask: a worker started with a bootstrap
// (the spec allowed, the Redis URL with its password passed as a `file:` secret, as httpd's parent passes
// secrets), a Django 3.2 SQLite database made by real Django, a real password-protected redis-server.
// Keys are set by hand as django-defender's defender/utils.py sets them (block_ip: SET ... "blocked" EX
// cooloff). The worker's own throttle is off, so every THROTTLED here is defender's.
import { mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { Writable } from "node:stream";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { encodeFrame } from "../../src/protocol/codec.js";
import { Kind, Status, Tag } from "../../src/protocol/constants.js";
import { bytesField, textField, u32Of } from "../../src/protocol/fields.js";
import type { Field } from "../../src/protocol/message.js";
import { startDjango, type DjangoOracle } from "../harness/django.js";
import { startRedis, type RedisServer } from "../harness/redis.js";
import { Client, WorkerHarness, check, provenClient, reason, status, type WorkerProcess } from "../harness/worker.js";
import { eventually } from "../support/eventually.js";
import { WORKER_LISTENING } from "../support/error-log.js";

const KEY = Buffer.alloc(16, 0x3c);
const REDIS_PASSWORD = "defender-redis-pw";
const SECRET_PATH = "/nonexistent/anp-defender/redis.url";
const from = (ip: string): Field[] => [textField(Tag.CLIENT_IP, ip), textField(Tag.USER_AGENT, "curl/8")];

let harness: WorkerHarness;
let redis: RedisServer;
let oracle: DjangoOracle;
let dir: string;
let worker: WorkerProcess;
let client: Client;
let spec: string;

function bootstrapFrame(specs: readonly string[], secrets: Readonly<Record<string, string>>): Buffer {
  return encodeFrame({
    kind: Kind.BOOTSTRAP,
    requestId: 0,
    fields: [
      bytesField(Tag.GENERATION_KEY, KEY),
      ...specs.map((s) => textField(Tag.ALLOWED_SPEC, s)),
      ...Object.entries(secrets).map(([path, content]) => bytesField(Tag.SECRET_FILE, Buffer.from(`${path}\0${content}`))),
    ],
  });
}

beforeAll(async () => {
  harness = WorkerHarness.create();
  redis = await startRedis({ password: REDIS_PASSWORD });
  dir = mkdtempSync("/tmp/anp-defender-worker-");
  const database = `sqlite://${join(dir, "db.sqlite3")}`;
  oracle = await startDjango({ databaseUrl: database, pbkdf2Iterations: 1000 });
  await oracle.createUser({ username: "alice", password: "alice-pw" });
  await oracle.createUser({ username: "bob", password: "bob-pw" });
  spec = [
    "type=django",
    `database=${database}`,
    "django_version=3.2",
    "defender=record",
    `defender_redis_url=file:${SECRET_PATH}`,
    "defender_login_failure_limit=2",
  ].join("\n");
  worker = await startWorker();
  client = await provenClient(worker.socketPath, KEY);
});

/** A worker as httpd's parent starts one, its own throttle off: another host, when called twice. */
async function startWorker(): Promise<WorkerProcess> {
  const started = harness.spawnWorker(["--bootstrap-fd", "3", "--throttle", "off", "--log-level", "debug"], undefined, 1);
  (started.child.stdio[3] as Writable).end(bootstrapFrame([spec], { [SECRET_PATH]: `${redis.url}\n` }));
  const ready = await Promise.race([started.waitForLine(WORKER_LISTENING), started.exited]);
  if (typeof ready !== "string") throw new Error(`worker exited before listening:\n${started.log}`);
  return started;
}

afterAll(async () => {
  client?.close();
  await harness?.cleanup();
  await oracle?.close();
  await redis?.cleanup();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

beforeEach(async () => {
  await redis.client.flushall();
});

describe("honour: a client django-defender blocked is THROTTLED before any check", () => {
  it("a blocked address: THROTTLED with the block's Retry-After for a known user, right password or not, and for an unknown one", async () => {
    await redis.client.set("defender:blocked:ip:127.0.0.2", "blocked", "EX", 120);
    const answers = [
      await check(client, spec, "alice", "alice-pw", from("127.0.0.2")),
      await check(client, spec, "alice", "wrong", from("127.0.0.2")),
      await check(client, spec, "nobody", "x", from("127.0.0.2")),
    ];
    expect(answers.map(status)).toEqual([Status.THROTTLED, Status.THROTTLED, Status.THROTTLED]);
    const retryAfter = answers.map((a) => u32Of(a, Tag.RETRY_AFTER) ?? 0);
    for (const seconds of retryAfter) expect(seconds).toBeGreaterThanOrEqual(1);
    for (const seconds of retryAfter) expect(seconds).toBeLessThanOrEqual(120);
    expect(reason(answers[0]!)).toContain("defender");
    expect(reason(answers[2]!)).toBe(reason(answers[0]!));
    // Another address is not blocked.
    expect(status(await check(client, spec, "alice", "alice-pw", from("127.0.0.3")))).toBe(Status.GRANTED);
  });

  it("a blocked user (keyed lowercased) is THROTTLED from every address", async () => {
    await redis.client.set("defender:blocked:username:bob", "blocked", "EX", 120);
    expect(status(await check(client, spec, "Bob", "bob-pw", from("127.0.0.5")))).toBe(Status.THROTTLED);
    expect(status(await check(client, spec, "alice", "alice-pw", from("127.0.0.5")))).toBe(Status.GRANTED);
  });
});

describe("record: Apache's answers written to the site's keys", () => {
  it("failures past the limit block the address and the user; the next try is THROTTLED", async () => {
    for (let i = 0; i < 3; i++) expect(status(await check(client, spec, "alice", `wrong-${i}`, from("127.0.0.4")))).toBe(Status.DENIED);
    expect(await redis.client.get("defender:failed:ip:127.0.0.4")).toBe("3");
    expect(await redis.client.get("defender:blocked:ip:127.0.0.4")).toBe("blocked");
    expect(await redis.client.get("defender:blocked:username:alice")).toBe("blocked");
    expect(status(await check(client, spec, "alice", "alice-pw", from("127.0.0.4")))).toBe(Status.THROTTLED);
  });

  it("a success resets the address's and the user's counters", async () => {
    expect(status(await check(client, spec, "nobody", "x", from("127.0.0.6")))).toBe(Status.USER_NOT_FOUND);
    expect(status(await check(client, spec, "bob", "wrong", from("127.0.0.6")))).toBe(Status.DENIED);
    expect(await redis.client.get("defender:failed:ip:127.0.0.6")).toBe("2");
    expect(status(await check(client, spec, "bob", "bob-pw", from("127.0.0.6")))).toBe(Status.GRANTED);
    expect(await redis.client.keys("defender:*")).toEqual(["defender:failed:username:nobody"]);
  });
});

describe("cluster-wide: the state is in the shared Redis, not in a worker", () => {
  it("failures recorded through one worker lock the client out of another (a second host)", async () => {
    const other = await startWorker();
    const otherClient = await provenClient(other.socketPath, KEY);
    try {
      for (let i = 0; i < 3; i++) await check(client, spec, "bob", `wrong-${i}`, from("127.0.0.8"));
      expect(status(await check(otherClient, spec, "bob", "bob-pw", from("127.0.0.8")))).toBe(Status.THROTTLED);
      expect(status(await check(otherClient, spec, "bob", "bob-pw", from("127.0.0.9")))).toBe(Status.THROTTLED);
      expect(status(await check(otherClient, spec, "alice", "alice-pw", from("127.0.0.9")))).toBe(Status.GRANTED);
    } finally {
      otherClient.close();
      await other.stop();
    }
  });
});

describe("fail closed", () => {
  it("Redis stopped: ERROR, never a verdict; answers again once Redis is back", async () => {
    await redis.stop();
    try {
      const answer = await check(client, spec, "alice", "alice-pw", from("127.0.0.7"));
      expect(status(answer)).toBe(Status.ERROR);
    } finally {
      await redis.restart();
    }
    expect(await eventually(async () => status(await check(client, spec, "alice", "alice-pw", from("127.0.0.7"))) === Status.GRANTED)).toBe(true);
  });

  it("the worker's log never holds the Redis password", () => {
    expect(worker.log).not.toContain(REDIS_PASSWORD);
  });
});
