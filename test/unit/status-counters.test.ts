// The counters the admin status reads (src/worker/status.ts): the caches' hits and misses, the native
// throttle's refusals, failures and blocks, the registry's snapshot of its handlers, and the status
// object itself, which holds numbers and handler descriptions only.
import { describe, expect, it } from "vitest";
import { FairHashQueue } from "../../src/brute-force/fair-hash-queue.js";
import { DEFAULT_THROTTLE_SETTINGS, NativeThrottle } from "../../src/brute-force/native-throttle.js";
import { VerifiedCredentialCache } from "../../src/cache/verified-credentials.js";
import { RowCache } from "../../src/django/row-cache.js";
import { HandlerRegistry } from "../../src/handlers/registry.js";
import type { Handler } from "../../src/handlers/types.js";
import { workerStatus } from "../../src/worker/status.js";

const client = { ip: "192.0.2.7", userAgent: null, accept: null, path: null };

describe("cache counters", () => {
  it("the row cache counts a hit, a miss, and an expired entry as a miss", () => {
    let now = 0;
    const rows = new RowCache<string>(1000, 10, () => now);
    rows.set("alice", "row");
    expect(rows.get("alice")).toEqual({ value: "row" });
    expect(rows.get("bob")).toBeUndefined();
    now = 2000;
    expect(rows.get("alice")).toBeUndefined();
    expect({ hits: rows.hits, misses: rows.misses }).toEqual({ hits: 1, misses: 2 });
  });

  it("the verified-credential cache counts lookups that found a verification and those that did not", () => {
    const cache = new VerifiedCredentialCache();
    const password = Buffer.from("pw");
    expect(cache.lookup("pbkdf2_sha256$1$s$h", password)).toBeUndefined();
    cache.remember("pbkdf2_sha256$1$s$h", password, false);
    expect(cache.lookup("pbkdf2_sha256$1$s$h", password)).toEqual({ mustUpdate: false });
    expect({ hits: cache.hits, misses: cache.misses }).toEqual({ hits: 1, misses: 1 });
  });
});

describe("throttle counters", () => {
  it("failures recorded, blocks begun, checks refused; a grant counts nothing", () => {
    const now = 1_000_000;
    const throttle = new NativeThrottle({ ...DEFAULT_THROTTLE_SETTINGS, pairLimit: 2 }, { now: () => now });
    throttle.record(client, "alice", "granted");
    expect(throttle.counters).toEqual({ refused: 0, failures: 0, blocks: 0 });
    throttle.record(client, "alice", "denied");
    throttle.record(client, "alice", "denied");
    expect(throttle.check(client, "alice").locked).toBe(true);
    expect(throttle.check(client, "bob").locked).toBe(false);
    expect(throttle.counters).toEqual({ refused: 1, failures: 2, blocks: 1 });
  });
});

describe("the status", () => {
  const handler: Handler = { close: () => Promise.resolve(), status: () => ({ verifiedCache: { size: 1, hits: 2, misses: 3 } }) };

  it("lists each handler asked for, made or not, with its counters; a handler's failing status() is null", async () => {
    let fail = false;
    const registry = new HandlerRegistry({
      factories: {
        script: (spec) => {
          if (spec["path"] === "/srv/throws.mjs") return { close: () => Promise.resolve(), status: () => { throw new Error("boom"); } };
          if (spec["path"] === "/srv/never.mjs") return new Promise<Handler>(() => {});
          if (fail) throw new Error("no");
          return handler;
        },
      },
    });
    await registry.get("type=script\npath=/srv/users.mjs");
    await registry.get("type=script\npath=/srv/throws.mjs");
    void registry.get("type=script\npath=/srv/never.mjs");
    fail = true;
    expect(registry.snapshot()).toEqual([
      { description: "script:/srv/users.mjs", created: true, status: { verifiedCache: { size: 1, hits: 2, misses: 3 } } },
      { description: "script:/srv/throws.mjs", created: true, status: null },
      { description: "script:/srv/never.mjs", created: false, status: null },
    ]);
  });

  it("holds the pid, uptime, start count and counters, and no user name", async () => {
    const registry = new HandlerRegistry({ factories: { script: () => handler } });
    await registry.get("type=script\npath=/srv/users.mjs");
    const throttle = new NativeThrottle(DEFAULT_THROTTLE_SETTINGS);
    throttle.record(client, "secret-user-name", "denied");
    const status = workerStatus({
      startedAt: 1_000,
      startCount: 3,
      registry,
      hashQueue: new FairHashQueue({ parallelism: 2, perAddress: 8 }),
      throttle,
      connections: () => 4,
      now: () => 11_500,
    });
    expect(status).toMatchObject({
      pid: process.pid,
      startedAt: new Date(1_000).toISOString(),
      uptimeSeconds: 10,
      startCount: 3,
      connections: 4,
      hashQueue: { running: 0, queued: 0, parallelism: 2, perAddress: 8 },
      throttle: { enabled: true, keys: { address: 1, pair: 1, user: 0 }, failures: 1, blocks: 0, refused: 0 },
    });
    expect(JSON.stringify(status)).not.toContain("secret-user-name");
  });
});
