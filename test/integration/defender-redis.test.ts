// The django-defender policy against a real redis-server (test/harness/redis.ts), password-protected so the
// URL's credentials are used. django-defender itself is not packaged for Debian, so the keys a site's
// defender would hold are written here exactly as its defender/utils.py writes them:
// - increment_key: a MULTI of INCR <prefix>:failed:<ip|username>:<x> and EXPIRE of it by the cooloff;
// - block_ip / block_username: SET <prefix>:blocked:<ip|username>:<x> "blocked" with EX = the cooloff
//   (redis-py's set(key, value, ex)), no EX when the cooloff is 0;
// - user names lowercased (lower_username).
// Then what the policy writes in record mode is read back and compared with those same shapes.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { DefenderPolicy } from "../../src/brute-force/defender.js";
import { parseDefenderSpec, type DefenderSettings } from "../../src/brute-force/defender-settings.js";
import type { ClientInfo } from "../../src/brute-force/types.js";
import { DatabaseError } from "../../src/errors.js";
import { startRedis, type RedisServer } from "../harness/redis.js";
import { eventually } from "../support/eventually.js";

const PASSWORD = "p@ss:w/rd%";
const X: ClientInfo = { ip: "127.0.0.2", userAgent: "curl/8", accept: null, path: "/private/" };
const Y: ClientInfo = { ip: "127.0.0.3", userAgent: null, accept: null, path: null };
const never = new AbortController().signal;

let redis: RedisServer;
const policies: DefenderPolicy[] = [];

function policy(extra: Record<string, string> = {}): DefenderPolicy {
  const settings = parseDefenderSpec({ defender: "record", defender_redis_url: redis.url, ...extra }) as DefenderSettings;
  const made = new DefenderPolicy(settings, { commandTimeoutMs: 60_000 });
  policies.push(made);
  return made;
}

/** block_ip / block_username as django-defender runs them. */
async function blockAsDefender(kind: "ip" | "username", value: string, cooloff = 300, prefix = "defender"): Promise<void> {
  const key = `${prefix}:blocked:${kind}:${kind === "username" ? value.toLowerCase() : value}`;
  if (cooloff > 0) await redis.client.set(key, "blocked", "EX", cooloff);
  else await redis.client.set(key, "blocked");
}

beforeAll(async () => {
  redis = await startRedis({ password: PASSWORD });
});

afterAll(async () => {
  await Promise.all(policies.map((p) => p.close()));
  await redis?.cleanup();
});

beforeEach(async () => {
  await redis.client.flushall();
});

describe("honour: keys django-defender set lock Apache's clients out", () => {
  it("a blocked address is locked for every user, known or not, with the block's TTL as Retry-After", async () => {
    const p = policy();
    await blockAsDefender("ip", X.ip, 120);
    const alice = await p.check(X, "alice", never);
    const nobody = await p.check(X, "no-such-user", never);
    expect(alice).toMatchObject({ locked: true, reason: "defender" });
    // The same answer for an unknown user (Retry-After may have counted down a second between the two).
    expect(nobody).toMatchObject({ locked: true, reason: "defender" });
    if (!alice.locked || !nobody.locked) throw new Error("unreachable");
    expect(nobody.retryAfterSeconds).toBeLessThanOrEqual(alice.retryAfterSeconds);
    expect(nobody.retryAfterSeconds).toBeGreaterThanOrEqual(alice.retryAfterSeconds - 1);
    // The block's remaining time, read after the check: it only shrinks, so Retry-After is at least it.
    const remaining = await redis.client.ttl(`defender:blocked:ip:${X.ip}`);
    expect(remaining).toBeGreaterThan(0);
    expect(alice.retryAfterSeconds).toBeGreaterThanOrEqual(remaining);
    expect(alice.retryAfterSeconds).toBeLessThanOrEqual(120);
    expect(await p.check(Y, "alice", never)).toEqual({ locked: false });
  });

  it("a blocked user is locked from every address, the name compared lowercased and stripped as defender keys it", async () => {
    const p = policy();
    await blockAsDefender("username", "Alice");
    expect(await p.check(Y, "ALICE", never)).toMatchObject({ locked: true });
    expect(await p.check(X, " alice\u3000", never)).toMatchObject({ locked: true });
    expect(await p.check(X, "bob", never)).toEqual({ locked: false });
  });

  it("a block without TTL (cooloff 0) answers the longest Retry-After", async () => {
    const p = policy();
    await blockAsDefender("ip", X.ip, 0);
    expect(await p.check(X, "alice", never)).toEqual({ locked: true, retryAfterSeconds: 86_400, reason: "defender", scope: "address" });
  });

  it("the counters alone do not lock, as defender's is_already_locked reads only the blocked keys", async () => {
    const p = policy();
    await redis.client.set(`defender:failed:ip:${X.ip}`, "99", "EX", 300);
    await redis.client.set("defender:failed:username:alice", "99", "EX", 300);
    expect(await p.check(X, "alice", never)).toEqual({ locked: false });
  });

  it("lockout by address AND user: one side blocked is not enough", async () => {
    const p = policy({ defender_lockout_by_ip_and_username: "on" });
    await blockAsDefender("ip", X.ip);
    expect(await p.check(X, "alice", never)).toEqual({ locked: false });
    await blockAsDefender("username", "alice", 60);
    const both = await p.check(X, "alice", never);
    expect(both).toMatchObject({ locked: true });
    // The lock lifts when the first of the two blocks expires.
    if (both.locked) expect(both.retryAfterSeconds).toBeLessThanOrEqual(60);
  });

  it("disabled sides are never locked; another prefix reads other keys", async () => {
    await blockAsDefender("ip", X.ip);
    await blockAsDefender("username", "bob");
    expect(await policy({ defender_disable_ip_lockout: "on" }).check(X, "alice", never)).toEqual({ locked: false });
    expect(await policy({ defender_disable_username_lockout: "on" }).check(Y, "bob", never)).toEqual({ locked: false });
    expect(await policy({ defender_cache_prefix: "site2" }).check(X, "bob", never)).toEqual({ locked: false });
    await blockAsDefender("ip", X.ip, 300, "site2");
    expect(await policy({ defender_cache_prefix: "site2" }).check(X, "carol", never)).toMatchObject({ locked: true });
  });
});

describe("record: Apache's failures and successes written as django-defender writes them", () => {
  it("counts failures with the cooloff as TTL and blocks once a count EXCEEDS the limit", async () => {
    const p = policy({ defender_login_failure_limit: "3", defender_cooloff_time: "200" });
    for (let i = 0; i < 3; i++) await p.record(X, "Alice", i === 0 ? "not_found" : "denied", never);
    expect(await redis.client.get(`defender:failed:ip:${X.ip}`)).toBe("3");
    expect(await redis.client.get("defender:failed:username:alice")).toBe("3");
    const counterTtl = await redis.client.ttl("defender:failed:username:alice");
    expect(counterTtl).toBeGreaterThan(0);
    expect(counterTtl).toBeLessThanOrEqual(200);
    // The limit-th failure is still allowed.
    expect(await redis.client.exists(`defender:blocked:ip:${X.ip}`, "defender:blocked:username:alice")).toBe(0);
    expect(await p.check(X, "alice", never)).toEqual({ locked: false });

    await p.record(X, "alice", "denied", never);
    expect(await redis.client.get(`defender:blocked:ip:${X.ip}`)).toBe("blocked");
    expect(await redis.client.get("defender:blocked:username:alice")).toBe("blocked");
    const blockTtl = await redis.client.ttl(`defender:blocked:ip:${X.ip}`);
    expect(blockTtl).toBeGreaterThan(0);
    expect(blockTtl).toBeLessThanOrEqual(200);
    expect(await p.check(X, "someone-else", never)).toMatchObject({ locked: true, reason: "defender" });
    expect(await p.check(Y, "ALICE", never)).toMatchObject({ locked: true });
  });

  it("logs each block with the address and the user (quoted), never the Redis credentials", async () => {
    const lines: string[] = [];
    const settings = parseDefenderSpec({ defender: "record", defender_redis_url: redis.url, defender_login_failure_limit: "0" }) as DefenderSettings;
    const p = new DefenderPolicy(settings, { log: (level, id, message) => lines.push(`${level}: ${id}: ${message}`) });
    policies.push(p);
    await p.record(X, "Al\nice", "denied", never);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^info: ANP0645: django-defender: blocked address 127\.0\.0\.2 and user "Al\\nice" until \d{4}-\d\d-\d\dT/);
    expect(lines[0]).not.toContain(PASSWORD);
  });

  it("cooloff 0: counters and blocks without expiry", async () => {
    const p = policy({ defender_login_failure_limit: "0", defender_cooloff_time: "0" });
    await p.record(X, "alice", "denied", never);
    expect(await redis.client.ttl(`defender:failed:ip:${X.ip}`)).toBe(-1);
    expect(await redis.client.ttl(`defender:blocked:ip:${X.ip}`)).toBe(-1);
  });

  it("a success deletes the address's and the user's counters and blocks (reset_failed_attempts)", async () => {
    const p = policy({ defender_login_failure_limit: "1" });
    await p.record(X, "alice", "denied", never);
    await p.record(X, "alice", "denied", never);
    await redis.client.set(`defender:approx_lockouts:ip:${X.ip}:user:alice`, "1", "EX", 60);
    expect(await redis.client.keys("defender:*")).toHaveLength(5);
    await p.record(X, "Alice", "granted", never);
    expect(await redis.client.keys("defender:*")).toEqual([]);
  });

  it("by address AND user, a success keeps the shared address's counter and block", async () => {
    const p = policy({ defender_login_failure_limit: "1", defender_lockout_by_ip_and_username: "on" });
    await p.record(X, "alice", "denied", never);
    await p.record(X, "alice", "denied", never);
    await p.record(X, "alice", "granted", never);
    expect((await redis.client.keys("defender:*")).sort()).toEqual([`defender:blocked:ip:${X.ip}`, `defender:failed:ip:${X.ip}`]);
  });

  it("disabled sides are not counted; an empty user name counts the address only", async () => {
    await policy({ defender_disable_ip_lockout: "on" }).record(X, "alice", "denied", never);
    expect(await redis.client.keys("defender:*")).toEqual(["defender:failed:username:alice"]);
    await redis.client.flushall();
    await policy({ defender_disable_username_lockout: "on" }).record(X, "alice", "denied", never);
    expect(await redis.client.keys("defender:*")).toEqual([`defender:failed:ip:${X.ip}`]);
    await redis.client.flushall();
    await policy().record(X, "  ", "denied", never);
    expect(await redis.client.keys("defender:*")).toEqual([`defender:failed:ip:${X.ip}`]);
  });

  it("honour mode reads the keys and never writes them", async () => {
    const p = policy({ defender: "honour", defender_login_failure_limit: "0" });
    await p.record(X, "alice", "denied", never);
    await p.record(X, "alice", "granted", never);
    expect(await redis.client.keys("*")).toEqual([]);
  });

  it("a short cooloff re-admits the client once the block expires", async () => {
    const p = policy({ defender_login_failure_limit: "0", defender_cooloff_time: "1" });
    await p.record(X, "alice", "denied", never);
    expect(await p.check(X, "alice", never)).toMatchObject({ locked: true, retryAfterSeconds: 1 });
    expect(await eventually(async () => !(await p.check(X, "alice", never)).locked)).toBe(true);
    expect(await redis.client.exists(`defender:failed:ip:${X.ip}`)).toBe(0);
  });
});

describe("a Redis ACL user limited to the prefix and the commands docs/django.md lists", () => {
  it("suffices for honour and record, and cannot touch other keys", async () => {
    await redis.client.call("ACL", "SETUSER", "apache", "reset", "on", ">apache-pw", "~defender:*", "+multi", "+exec", "+get", "+pttl", "+incr", "+expire", "+set", "+del", "+info");
    await redis.client.set("other:key", "x");
    const p = policy({ defender_redis_url: `redis://apache:apache-pw@127.0.0.1:${redis.port}/0`, defender_login_failure_limit: "0" });
    await p.record(X, "alice", "denied", never);
    expect(await p.check(X, "alice", never)).toMatchObject({ locked: true });
    await p.record(X, "alice", "granted", never);
    expect(await p.check(X, "alice", never)).toEqual({ locked: false });
    const limited = policy({ defender_redis_url: `redis://apache:apache-pw@127.0.0.1:${redis.port}/0`, defender_cache_prefix: "other" });
    await expect(limited.check(X, "alice", never)).rejects.toBeInstanceOf(DatabaseError);
  });
});

describe("fail closed: a Redis that cannot answer makes the check and the record fail", () => {
  it("stopped: check and record reject with a DatabaseError that names no credentials; back once it restarts", async () => {
    const p = policy();
    expect(await p.check(X, "alice", never)).toEqual({ locked: false });
    await redis.stop();
    try {
      const checked = await p.check(X, "alice", never).then(() => null, (error: unknown) => error);
      expect(checked).toBeInstanceOf(DatabaseError);
      expect((checked as Error).message).not.toContain(PASSWORD);
      expect((checked as Error).message).toContain("django-defender: Redis redis://127.0.0.1:");
      await expect(p.record(X, "alice", "denied", never)).rejects.toBeInstanceOf(DatabaseError);
    } finally {
      await redis.restart();
    }
    expect(await eventually(() => p.check(X, "alice", never).then(() => true, () => false))).toBe(true);
  });

  it("hung (SIGSTOP): the check rejects with the request's abort reason, not a verdict", async () => {
    const p = policy();
    expect(await p.check(X, "alice", never)).toEqual({ locked: false });
    redis.suspend();
    try {
      const request = new AbortController();
      const checking = p.check(X, "alice", request.signal).then(() => null, (error: unknown) => error);
      const reason = new Error("deadline exceeded (test)");
      request.abort(reason);
      expect(await checking).toBe(reason);
    } finally {
      redis.resume();
    }
  });

  it("a wrong password is refused by Redis: a DatabaseError, not an unlocked answer", async () => {
    const settings = parseDefenderSpec({ defender: "honour", defender_redis_url: `redis://:wrong@127.0.0.1:${redis.port}/0` }) as DefenderSettings;
    const p = new DefenderPolicy(settings);
    policies.push(p);
    await expect(p.check(X, "alice", never)).rejects.toBeInstanceOf(DatabaseError);
  });
});
