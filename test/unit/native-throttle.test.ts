// The native throttle on an injected clock: limits per address, pair and user, the back-off doubling up
// to its cap, expiry, a grant resetting the pair only, exempt networks of both families, the IPv6 /64 key,
// and the bound on its maps.
import { describe, expect, it } from "vitest";
import { addressKey, inAnyCidr, parseAddress, parseCidr, type Cidr } from "../../src/brute-force/cidr.js";
import { DEFAULT_THROTTLE_SETTINGS, NativeThrottle, type BlockEvent, type ThrottleSettings } from "../../src/brute-force/native-throttle.js";
import type { ClientInfo } from "../../src/brute-force/types.js";

function client(ip: string): ClientInfo {
  return { ip, userAgent: null, accept: null, path: null };
}

function cidrs(...texts: string[]): Cidr[] {
  return texts.map((t) => {
    const c = parseCidr(t);
    if (c === null) throw new Error(`bad cidr ${t}`);
    return c;
  });
}

function setup(overrides: Partial<ThrottleSettings> = {}, maxEntries?: number) {
  let now = 1_000_000;
  const events: BlockEvent[] = [];
  const settings: ThrottleSettings = { ...DEFAULT_THROTTLE_SETTINGS, addressLimit: 5, pairLimit: 3, backoffFirstSeconds: 10, backoffMaxSeconds: 35, windowSeconds: 60, ...overrides };
  const throttle = new NativeThrottle(settings, { now: () => now, onBlock: (e) => events.push(e), ...(maxEntries === undefined ? {} : { maxEntries }) });
  const fail = (ip: string, user: string, times = 1): void => {
    for (let i = 0; i < times; i++) throttle.record(client(ip), user, "denied");
  };
  return {
    throttle,
    events,
    fail,
    advance: (seconds: number) => (now += seconds * 1000),
    check: (ip: string, user: string) => throttle.check(client(ip), user),
  };
}

describe("NativeThrottle", () => {
  it("blocks the pair at its limit, for FIRST seconds, with Retry-After counting down", () => {
    const t = setup();
    t.fail("192.0.2.1", "alice", 2);
    expect(t.check("192.0.2.1", "alice")).toEqual({ locked: false });
    t.fail("192.0.2.1", "alice");
    expect(t.check("192.0.2.1", "alice")).toEqual({ locked: true, retryAfterSeconds: 10, reason: "pair", scope: "user" });
    // Another user from the same address, and the same user from another address, are not blocked.
    expect(t.check("192.0.2.1", "bob").locked).toBe(false);
    expect(t.check("192.0.2.2", "alice").locked).toBe(false);
    t.advance(4.5);
    expect(t.check("192.0.2.1", "alice")).toMatchObject({ locked: true, retryAfterSeconds: 6 });
    t.advance(5.5);
    expect(t.check("192.0.2.1", "alice").locked).toBe(false);
    expect(t.events).toEqual([{ kind: "pair", ip: "192.0.2.1", user: "alice", until: 1_000_000 + 10_000, seconds: 10 }]);
  });

  it("blocks the address after failures spread over many users, and names both rules when both lock", () => {
    const t = setup();
    for (const user of ["a", "b", "c", "d"]) t.fail("192.0.2.1", user);
    expect(t.check("192.0.2.1", "zed").locked).toBe(false);
    t.fail("192.0.2.1", "e");
    expect(t.check("192.0.2.1", "zed")).toEqual({ locked: true, retryAfterSeconds: 10, reason: "address", scope: "address" });
    expect(t.check("192.0.2.9", "zed").locked).toBe(false);
    // USER_NOT_FOUND counts as a failure too.
    const u = setup({ addressLimit: 3 });
    u.throttle.record(client("192.0.2.1"), "ghost", "not_found");
    u.throttle.record(client("192.0.2.1"), "ghost", "not_found");
    u.throttle.record(client("192.0.2.1"), "ghost", "not_found");
    expect(u.check("192.0.2.1", "ghost")).toMatchObject({ locked: true, reason: "address,pair", scope: "address" });
  });

  it("doubles the block for each failure after a block ended, capped at MAX", () => {
    const t = setup({ addressLimit: 100 });
    t.fail("192.0.2.1", "alice", 3);
    const seconds = [10];
    for (let i = 0; i < 4; i++) {
      t.advance(seconds[seconds.length - 1] as number);
      expect(t.check("192.0.2.1", "alice").locked).toBe(false);
      t.fail("192.0.2.1", "alice");
      const decision = t.check("192.0.2.1", "alice");
      expect(decision.locked).toBe(true);
      seconds.push(decision.locked ? decision.retryAfterSeconds : 0);
    }
    expect(seconds).toEqual([10, 20, 35, 35, 35]);
    expect(t.events.map((e) => e.seconds)).toEqual([10, 20, 35, 35, 35]);
  });

  it("a failure recorded while the block runs does not extend it", () => {
    const t = setup();
    t.fail("192.0.2.1", "alice", 3);
    t.advance(5);
    t.fail("192.0.2.1", "alice");
    expect(t.check("192.0.2.1", "alice")).toMatchObject({ locked: true, retryAfterSeconds: 5 });
    expect(t.events).toHaveLength(1);
  });

  it("forgets a key after `window` seconds without a failure, and not while its block runs", () => {
    const t = setup({ windowSeconds: 60, backoffFirstSeconds: 100, backoffMaxSeconds: 100 });
    t.fail("192.0.2.1", "bob", 2);
    t.advance(59);
    t.fail("192.0.2.1", "bob"); // within the window: the third failure blocks
    expect(t.check("192.0.2.1", "bob").locked).toBe(true);
    t.advance(70); // past the window, but the block (100 s) still runs
    expect(t.check("192.0.2.1", "bob").locked).toBe(true);
    t.advance(31);
    expect(t.check("192.0.2.1", "bob").locked).toBe(false);
    // The entry is gone: the next failure starts from one, not a doubled re-block.
    t.fail("192.0.2.1", "bob");
    expect(t.check("192.0.2.1", "bob").locked).toBe(false);

    const u = setup({ windowSeconds: 60 });
    u.fail("192.0.2.1", "carol", 2);
    u.advance(60);
    u.fail("192.0.2.1", "carol"); // the first two were forgotten
    expect(u.check("192.0.2.1", "carol").locked).toBe(false);
    expect(u.throttle.sizes.pair).toBe(1);
  });

  it("a grant resets the pair, not the address", () => {
    const t = setup({ addressLimit: 5, pairLimit: 3 });
    t.fail("192.0.2.1", "alice", 2);
    t.throttle.record(client("192.0.2.1"), "alice", "granted");
    t.fail("192.0.2.1", "alice", 2);
    expect(t.check("192.0.2.1", "alice").locked).toBe(false); // the pair counts 2, not 4
    t.fail("192.0.2.1", "bob"); // ...but the address counted all five
    expect(t.check("192.0.2.1", "carol")).toMatchObject({ locked: true, reason: "address" });
    // A grant does not lift a running pair block either way: it is never asked while blocked.
  });

  it("counts per user across addresses only when the user limit is on", () => {
    const off = setup({ pairLimit: 100, addressLimit: 100 });
    for (let i = 1; i <= 20; i++) off.fail(`192.0.2.${i}`, "owner");
    expect(off.check("198.51.100.7", "owner").locked).toBe(false);
    expect(off.throttle.sizes.user).toBe(0);

    const on = setup({ pairLimit: 100, addressLimit: 100, userLimit: 4 });
    for (let i = 1; i <= 4; i++) on.fail(`192.0.2.${i}`, "owner");
    expect(on.check("198.51.100.7", "owner")).toMatchObject({ locked: true, reason: "user", scope: "user" });
    expect(on.check("198.51.100.7", "other").locked).toBe(false);
  });

  it("never counts nor blocks exempt networks, IPv4 and IPv6", () => {
    const t = setup({ exempt: cidrs("10.0.0.0/8", "2001:db8:1::/48", "192.0.2.77") });
    for (const ip of ["10.1.2.3", "2001:db8:1:ffff::5", "192.0.2.77", "::ffff:10.9.9.9"]) {
      t.fail(ip, "alice", 50);
      expect(t.check(ip, "alice").locked).toBe(false);
    }
    expect(t.throttle.sizes).toEqual({ address: 0, pair: 0, user: 0 });
    t.fail("192.0.2.78", "alice", 3);
    expect(t.check("192.0.2.78", "alice").locked).toBe(true);
    t.fail("2001:db8:2::1", "alice", 3);
    expect(t.check("2001:db8:2::1", "alice").locked).toBe(true);
  });

  it("keys IPv6 clients by their /64", () => {
    const t = setup();
    t.fail("2001:db8:0:1::1", "alice");
    t.fail("2001:db8:0:1:aaaa::2", "alice");
    t.fail("2001:0db8:0000:0001:ffff:ffff:ffff:ffff", "alice");
    expect(t.check("2001:db8:0:1::99", "alice")).toMatchObject({ locked: true, reason: "pair" });
    expect(t.check("2001:db8:0:2::1", "alice").locked).toBe(false);
  });

  it("tells long user names apart by their digest, and a long name from a short one", () => {
    const t = setup({ addressLimit: 1_000, pairLimit: 2, userLimit: 2 });
    const long = "x".repeat(5000);
    t.fail("192.0.2.1", long, 2);
    expect(t.check("192.0.2.1", long)).toMatchObject({ locked: true, reason: "pair,user", scope: "user" });
    expect(t.check("192.0.2.1", `${long}y`).locked).toBe(false);
    expect(t.check("192.0.2.1", "x").locked).toBe(false);
    // The block event still names the user as sent (for the log), not the digest.
    expect(t.events[0]?.user).toBe(long);
    // However long the names a flood sends, each key stays short.
    for (let i = 0; i < 50; i++) t.fail("192.0.2.2", `${i}${long}`);
    expect(t.throttle.keyChars).toBeLessThan(50 * 3 * 100);
  });

  it("keeps at most maxEntries per map, dropping the least recently failed", () => {
    const t = setup({ addressLimit: 1_000, pairLimit: 2 }, 50);
    t.fail("192.0.2.1", "alice", 2);
    expect(t.check("192.0.2.1", "alice").locked).toBe(true);
    for (let i = 0; i < 200; i++) t.fail(`198.51.100.${i % 250}`, `u${i}`);
    expect(t.throttle.sizes.address).toBeLessThanOrEqual(50);
    expect(t.throttle.sizes.pair).toBeLessThanOrEqual(50);
    // The oldest entry was the blocked pair: it was dropped to keep the bound.
    expect(t.check("192.0.2.1", "alice").locked).toBe(false);
  });
});

describe("client address keys", () => {
  it("parses and keys both families", () => {
    expect(addressKey("192.0.2.1")).toBe("192.0.2.1");
    expect(addressKey("::ffff:192.0.2.1")).toBe("192.0.2.1");
    expect(addressKey("2001:db8::1")).toBe("2001:db8:0:0::/64");
    expect(addressKey("fe80::1%eth0")).toBe("fe80:0:0:0::/64");
    expect(addressKey("not an address")).toBe("?not an address");
    expect(parseAddress("01.2.3.4")).toBeNull();
    expect(parseAddress("1.2.3.256")).toBeNull();
    expect(parseAddress("1:2:3:4:5:6:7:8:9")).toBeNull();
    expect(parseAddress("1::2::3")).toBeNull();
    expect(parseAddress("::")).toEqual(new Uint8Array(16));
  });

  it("parses CIDRs and refuses bad ones", () => {
    expect(parseCidr("10.0.0.0/33")).toBeNull();
    expect(parseCidr("2001:db8::/129")).toBeNull();
    expect(parseCidr("10.0.0.0/")).toBeNull();
    expect(parseCidr("example.org")).toBeNull();
    expect(parseCidr("fe80::%eth0/64")).toBeNull();
    expect(inAnyCidr("10.255.0.1", cidrs("10.0.0.0/8"))).toBe(true);
    expect(inAnyCidr("11.0.0.1", cidrs("10.0.0.0/8"))).toBe(false);
    expect(inAnyCidr("192.0.2.130", cidrs("192.0.2.128/25"))).toBe(true);
    expect(inAnyCidr("192.0.2.127", cidrs("192.0.2.128/25"))).toBe(false);
    expect(inAnyCidr("0.0.0.1", cidrs("0.0.0.0/0"))).toBe(true);
    expect(inAnyCidr("::1", cidrs("0.0.0.0/0"))).toBe(false);
    expect(inAnyCidr("192.0.2.5", cidrs("::ffff:192.0.2.0/120"))).toBe(true);
  });
});
