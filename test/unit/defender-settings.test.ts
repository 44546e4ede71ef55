// django-defender's options and rules that need no Redis: the spec keys' defaults (defender/config.py's),
// the Redis URL as redis-py's from_url reads it (credentials never in a message or description), the user
// name as defender keys it, the key names, and the lock decision over the blocked keys' states.
import { describe, expect, it } from "vitest";
import { defenderDecision, defenderKeys, defenderUsername } from "../../src/brute-force/defender.js";
import { describeRedis, parseDefenderSpec, parseRedisUrl, type DefenderSettings } from "../../src/brute-force/defender-settings.js";
import { DjangoConfigError } from "../../src/errors.js";

const SECRET = "s3cr3t/pw";

describe("parseDefenderSpec", () => {
  it("is null when defender is off or absent, and checks the other keys all the same", () => {
    expect(parseDefenderSpec({})).toBeNull();
    expect(parseDefenderSpec({ defender: "off", defender_cooloff_time: "5" })).toBeNull();
    expect(() => parseDefenderSpec({ defender: "off", defender_cooloff_time: "5m" })).toThrow(DjangoConfigError);
  });

  it("defaults as django-defender's config.py and README do", () => {
    expect(parseDefenderSpec({ defender: "honour" })).toEqual({
      mode: "honour",
      redis: { host: "localhost", port: 6379, username: undefined, password: undefined, db: 0, tls: false },
      failureLimit: 3,
      cooloffSeconds: 300,
      prefix: "defender",
      lockoutByIpAndUsername: false,
      disableIpLockout: false,
      disableUsernameLockout: false,
    });
  });

  it("reads every key", () => {
    const settings = parseDefenderSpec({
      defender: "record",
      defender_redis_url: "rediss://app:pw@redis.example:6380/4",
      defender_login_failure_limit: "5",
      defender_cooloff_time: "0",
      defender_cache_prefix: "site2",
      defender_lockout_by_ip_and_username: "on",
      defender_disable_ip_lockout: "on",
      defender_disable_username_lockout: "on",
    });
    expect(settings).toEqual({
      mode: "record",
      redis: { host: "redis.example", port: 6380, username: "app", password: "pw", db: 4, tls: true },
      failureLimit: 5,
      cooloffSeconds: 0,
      prefix: "site2",
      lockoutByIpAndUsername: true,
      disableIpLockout: true,
      disableUsernameLockout: true,
    });
  });
});

describe("parseRedisUrl", () => {
  it("decodes a percent-encoded password and an IPv6 host", () => {
    expect(parseRedisUrl(`redis://:${encodeURIComponent("p@ss:w/rd%")}@[::1]:7000/2`)).toEqual({
      host: "::1", port: 7000, username: undefined, password: "p@ss:w/rd%", db: 2, tls: false,
    });
  });

  it.each([
    ["redis://localhost/x", "database number"],
    ["redis://localhost/0?password=x", "takes no parameters"],
    [`redis://:${SECRET}@/0`, "expected a redis:// or rediss:// URL"],
    [`redis://:${SECRET}@localhost/0`, "expected a redis:// or rediss:// URL"],
    [`http://:${SECRET}@localhost/0`, "expected a redis:// or rediss:// URL"],
    [`redis://:${SECRET}@local host/0`, "expected a redis:// or rediss:// URL"],
  ])("refuses %s without quoting it", (url, problem) => {
    let message = "";
    try {
      parseRedisUrl(url);
    } catch (error) {
      expect(error).toBeInstanceOf(DjangoConfigError);
      message = (error as Error).message;
    }
    expect(message).toContain(`defender_redis_url: `);
    expect(message).toContain(problem);
    expect(message).not.toContain(SECRET);
  });

  it("describes the location without the user name or password", () => {
    const text = describeRedis(parseRedisUrl(`rediss://admin:${encodeURIComponent(SECRET)}@[::1]:6380/3`));
    expect(text).toBe("rediss://[::1]:6380/3");
  });
});

describe("django-defender's keys", () => {
  it("keys the user as username_from_request then lower_username do: 255 characters, stripped, lowercased", () => {
    expect(defenderUsername("Alice")).toBe("alice");
    expect(defenderUsername(" \u3000Alice\u00a0\t")).toBe("alice");
    expect(defenderUsername("\u001fbob\u001c")).toBe("bob");
    expect(defenderUsername("ÉMILE")).toBe("émile");
    expect(defenderUsername("x".repeat(300))).toBe("x".repeat(255));
    // 255 characters, not 255 UTF-16 units: an astral character counts once, as in Python.
    expect(defenderUsername("😀".repeat(300))).toBe("😀".repeat(255));
    expect(defenderUsername("   ")).toBeNull();
    expect(defenderUsername("")).toBeNull();
  });

  it("names the keys as defender's get_*_cache_key do", () => {
    expect(defenderKeys("defender", "2001:db8::1", "alice")).toEqual({
      failedIp: "defender:failed:ip:2001:db8::1",
      blockedIp: "defender:blocked:ip:2001:db8::1",
      failedUser: "defender:failed:username:alice",
      blockedUser: "defender:blocked:username:alice",
      approxIp: "defender:approx_lockouts:ip:2001:db8::1:user:",
      approxUser: "defender:approx_lockouts:ip::user:alice",
      approxBoth: "defender:approx_lockouts:ip:2001:db8::1:user:alice",
    });
    expect(defenderKeys("p", "10.0.0.1", null)).toMatchObject({ failedUser: null, blockedUser: null, approxUser: null, approxBoth: "p:approx_lockouts:ip:10.0.0.1:user:" });
  });
});

describe("defenderDecision (is_already_locked)", () => {
  const or = parseDefenderSpec({ defender: "honour" }) as DefenderSettings;
  const and = { ...or, lockoutByIpAndUsername: true };
  const blocked = (pttlMs: number) => ({ blocked: true, pttlMs });
  const free = { blocked: false, pttlMs: -2 };

  it("address OR user by default: the lock lasts until every blocking key expires", () => {
    expect(defenderDecision(or, free, free)).toEqual({ locked: false });
    expect(defenderDecision(or, blocked(10_500), free)).toEqual({ locked: true, retryAfterSeconds: 11, reason: "defender", scope: "address" });
    expect(defenderDecision(or, blocked(10_000), blocked(250_000))).toMatchObject({ retryAfterSeconds: 250 });
    expect(defenderDecision(or, null, blocked(1))).toMatchObject({ retryAfterSeconds: 1 });
  });

  it("address AND user: both blocked, lifted when the first expires", () => {
    expect(defenderDecision(and, blocked(10_000), free)).toEqual({ locked: false });
    expect(defenderDecision(and, blocked(10_000), null)).toEqual({ locked: false });
    expect(defenderDecision(and, blocked(10_000), blocked(250_000))).toMatchObject({ locked: true, retryAfterSeconds: 10 });
  });

  it("scope: a blocked address refuses every user unless address AND user; a blocked user name only that user", () => {
    expect(defenderDecision(or, blocked(10_000), free)).toMatchObject({ scope: "address" });
    expect(defenderDecision(or, blocked(10_000), blocked(10_000))).toMatchObject({ scope: "address" });
    expect(defenderDecision(or, free, blocked(10_000))).toMatchObject({ scope: "user" });
    expect(defenderDecision(or, null, blocked(10_000))).toMatchObject({ scope: "user" });
    expect(defenderDecision(and, blocked(10_000), blocked(10_000))).toMatchObject({ scope: "user" });
  });

  it("a block without expiry (cooloff 0) answers the protocol's longest Retry-After; a just-expired one 1 s", () => {
    expect(defenderDecision(or, blocked(-1), free)).toMatchObject({ retryAfterSeconds: 86_400 });
    expect(defenderDecision(or, blocked(-2), free)).toMatchObject({ retryAfterSeconds: 1 });
    expect(defenderDecision(or, blocked(999_999_000), free)).toMatchObject({ retryAfterSeconds: 86_400 });
  });
});
