// django-axes' settings as spec keys (src/django/axes-settings.ts), the time and address forms the axes
// queries bind (axes-queries.ts), and the lock rule's arithmetic (axes.ts) with a clock of the test's own
// over a database stand-in that answers what the statements would. The rules themselves are compared with a
// real django-axes 5.39 site in test/integration/axes-*.test.ts; here what needs no site.
import { describe, expect, it } from "vitest";
import {
  AXES_KEYS,
  parseAxesSpec,
  parametersFrom5xFlags,
  parseLockoutParameters,
  normalizeIp,
} from "../../src/django/axes-settings.js";
import { buildAxesStatements, parseUtcText, utcText } from "../../src/django/axes-queries.js";
import { AxesPolicy, AXES_RETRY_AFTER_MAX_SECONDS, axesLockScope } from "../../src/django/axes.js";
import { SQLITE_DIALECT, POSTGRES_DIALECT, MYSQL_DIALECT, type Database, type Row, type SqlValue } from "../../src/django/database/types.js";
import { SETTINGS_KEYS } from "../../src/django/config.js";
import type { ClientInfo } from "../../src/brute-force/types.js";

const signal = new AbortController().signal;

describe("axes settings", () => {
  it("defaults to django-axes 5.39's (axes/conf.py): off, 3 failures, no cooloff, by address", () => {
    expect(parseAxesSpec({ axes: "honour" })).toEqual({
      mode: "honour",
      failureLimit: 3,
      cooloffMs: null,
      parameters: [["ip_address"]],
      onlyAdminSite: false,
      resetOnSuccess: false,
      neverLockoutWhitelist: false,
      onlyWhitelist: false,
      ipWhitelist: null,
      ipBlacklist: null,
      resetCoolOffOnFailureDuringLockout: true,
    });
    expect(parseAxesSpec({}).mode).toBe("off");
  });

  it("every axes key is a key of the Django handler's spec", () => {
    for (const key of AXES_KEYS) expect(SETTINGS_KEYS).toContain(key);
  });

  it("turns the 5.x flags into parameters as axes/helpers.py get_client_parameters does", () => {
    const f = (...on: string[]) => parametersFrom5xFlags(Object.fromEntries(on.map((k) => [k, true])));
    expect(f()).toEqual([["ip_address"]]);
    expect(f("axes_only_user_failures", "axes_use_user_agent", "axes_lock_out_by_user_or_ip")).toEqual([["username"]]);
    expect(f("axes_lock_out_by_user_or_ip", "axes_lock_out_by_combination_user_and_ip")).toEqual([["username"], ["ip_address"]]);
    expect(f("axes_lock_out_by_combination_user_and_ip")).toEqual([["username", "ip_address"]]);
    expect(f("axes_use_user_agent")).toEqual([["ip_address"], ["user_agent"]]);
    expect(f("axes_lock_out_by_combination_user_and_ip", "axes_use_user_agent")).toEqual([["username", "ip_address"], ["user_agent"]]);
    expect(parseAxesSpec({ axes_lock_out_by_user_or_ip: "on" }).parameters).toEqual([["username"], ["ip_address"]]);
  });

  it("reads the 6.x list form: entries by commas, fields of one entry by +", () => {
    expect(parseLockoutParameters("username+ip_address, user_agent")).toEqual([["username", "ip_address"], ["user_agent"]]);
    expect(parseAxesSpec({ axes_lockout_parameters: "username" }).parameters).toEqual([["username"]]);
  });

  it("refuses the 6.x list together with any 5.x flag, even one set off", () => {
    for (const flag of ["axes_only_user_failures", "axes_lock_out_by_combination_user_and_ip", "axes_lock_out_by_user_or_ip", "axes_use_user_agent"]) {
      expect(() => parseAxesSpec({ axes_lockout_parameters: "ip_address", [flag]: "off" })).toThrow(
        `django handler: axes_lockout_parameters: is django-axes 6.x's form of the 5.x flag ${flag}: set one or the other`,
      );
    }
  });

  it("reads the cooloff as hours, a fraction allowed (0.0003 hours is 1.08 s)", () => {
    expect(parseAxesSpec({ axes_cooloff_time: "0.5" }).cooloffMs).toBe(1_800_000);
    expect(parseAxesSpec({ axes_cooloff_time: "0.0003" }).cooloffMs).toBeCloseTo(1080, 6);
    expect(parseAxesSpec({ axes_cooloff_time: "2" }).cooloffMs).toBe(7_200_000);
  });

  it("keeps list addresses in the form Django stores them", () => {
    expect(parseAxesSpec({ axes_ip_whitelist: "10.0.0.1, 2001:DB8:0:0:0:0:0:1" }).ipWhitelist).toEqual(["10.0.0.1", "2001:db8::1"]);
  });
});

describe("addresses as Django's GenericIPAddressField stores them (django/utils/ipv6.py clean_ipv6_address)", () => {
  // The right-hand sides are Django 3.2's own answers for the left-hand sides.
  it.each([
    ["127.0.0.1", "127.0.0.1"],
    ["2001:DB8:0:0:1:0:0:1", "2001:db8::1:0:0:1"],
    ["::ffff:1.2.3.4", "::ffff:1.2.3.4"],
    ["::FFFF:102:304", "::ffff:1.2.3.4"],
    ["0:0:0:0:0:0:0:1", "::1"],
    ["1:0:0:2:0:0:0:3", "1:0:0:2::3"],
    ["fe80:0:0:0:0:0:0:0", "fe80::"],
    ["2001:db8:0:0:0:0:2:1", "2001:db8::2:1"],
    ["0:0:0:0:0:0:0:0", "::"],
    ["2001:db8::0:1", "2001:db8::1"],
    ["fe80::1%eth0", "fe80::1%eth0"],
  ])("%s -> %s", (address, stored) => {
    expect(normalizeIp(address)).toBe(stored);
  });
});

describe("axes times", () => {
  it("writes UTC as Django writes it for SQLite (no fraction when it is zero) and reads it back", () => {
    const whole = new Date(Date.UTC(2026, 11, 5, 12, 0, 7, 0));
    const frac = new Date(Date.UTC(2026, 11, 5, 12, 0, 7, 5));
    expect(utcText(whole)).toBe("2026-12-05 12:00:07");
    expect(utcText(frac)).toBe("2026-12-05 12:00:07.005000");
    expect(parseUtcText(utcText(frac))?.getTime()).toBe(frac.getTime());
    expect(parseUtcText("2026-12-05 12:00:07.123456")?.getTime()).toBe(Date.UTC(2026, 11, 5, 12, 0, 7, 123));
    expect(parseUtcText("2026-12-05 12:00:07")?.getTime()).toBe(whole.getTime());
    expect(parseUtcText("yesterday")).toBeNull();
  });

  it("binds as many values as each statement has placeholders", () => {
    for (const dialect of [SQLITE_DIALECT, MYSQL_DIALECT]) {
      const s = buildAxesStatements(dialect, [["username", "ip_address"], ["user_agent"]], true);
      expect(s.failures.split("?").length - 1).toBe(2 + 1 + 1 + 1);
      expect(s.reset.split("?").length - 1).toBe(3);
      expect(s.recordFailure.split("?").length - 1).toBe(6);
    }
    const pg = buildAxesStatements(POSTGRES_DIALECT, [["username", "ip_address"], ["user_agent"]], false);
    expect(pg.failures.match(/\$\d+/g)).toEqual(["$1", "$2", "$3"]);
  });
});

/** A database stand-in answering the failures statement with `rows`, recording every statement it gets. */
function database(rows: Row[]): Database & { readonly calls: Array<{ sql: string; values: readonly SqlValue[] }> } {
  const calls: Array<{ sql: string; values: readonly SqlValue[] }> = [];
  return {
    dialect: SQLITE_DIALECT,
    description: "stand-in",
    calls,
    async query(sql, values) {
      calls.push({ sql, values });
      return rows;
    },
    async execute(sql, values) {
      calls.push({ sql, values });
      return 1;
    },
    async close() {},
  };
}

const client: ClientInfo = { ip: "192.0.2.7", userAgent: null, accept: null, path: "/x" };
const NOW = Date.UTC(2026, 11, 5, 12, 0, 0);

describe("the scope of an axes lock", () => {
  const scope = (spec: Record<string, string>) => axesLockScope(parseAxesSpec({ axes: "honour", ...spec }));

  it("is the address only when the lockout parameters are the address alone (5.x flags and 6.x+ parameters)", () => {
    expect(scope({})).toBe("address");
    expect(scope({ axes_lockout_parameters: "ip_address" })).toBe("address");
    expect(scope({ axes_only_user_failures: "on" })).toBe("user");
    expect(scope({ axes_lock_out_by_combination_user_and_ip: "on" })).toBe("user");
    expect(scope({ axes_lock_out_by_user_or_ip: "on" })).toBe("user");
    expect(scope({ axes_use_user_agent: "on" })).toBe("user");
    expect(scope({ axes_lockout_parameters: "username" })).toBe("user");
    expect(scope({ axes_lockout_parameters: "ip_address+username" })).toBe("user");
    expect(scope({ axes_lockout_parameters: "ip_address,username" })).toBe("user");
    expect(scope({ axes_lockout_parameters: "ip_address+user_agent" })).toBe("user");
  });

  it("a lock by the combination is answered user-scoped by the policy itself", async () => {
    const settings = parseAxesSpec({ axes: "honour", axes_cooloff_time: "0.5", axes_lock_out_by_combination_user_and_ip: "on" });
    const policy = new AxesPolicy({ settings, database: database([{ entry: 0, failures: 3, latest: utcText(new Date(NOW - 600_000)) }]), now: () => NOW });
    expect(await policy.check(client, "alice", signal)).toMatchObject({ locked: true, scope: "user" });
  });
});

describe("the axes lock rule's arithmetic", () => {
  it("locks at the limit, not before; Retry-After is when the newest counted row leaves the cooloff", async () => {
    const settings = parseAxesSpec({ axes: "honour", axes_cooloff_time: "0.5", axes_lockout_parameters: "ip_address,username" });
    const latest = utcText(new Date(NOW - 600_000));
    const under = new AxesPolicy({ settings, database: database([{ entry: 0, failures: "2", latest }, { entry: 1, failures: null, latest: null }]), now: () => NOW });
    expect(await under.check(client, "alice", signal)).toEqual({ locked: false });
    const db = database([{ entry: 0, failures: "3", latest }, { entry: 1, failures: 1, latest }]);
    const at = new AxesPolicy({ settings, database: db, now: () => NOW });
    // The newest row leaves the window 1200 s from now; it still counts at that very moment (>=), so 1201.
    // Locked by address or by user: only some names from the address may be locked, so the scope is the user.
    expect(await at.check(client, "alice", signal)).toEqual({ locked: true, retryAfterSeconds: 1201, reason: "axes", scope: "user" });
    // Values: each parameter's fields, then the threshold (now - cooloff) as Django's UTC text.
    expect(db.calls[0]?.values).toEqual(["192.0.2.7", utcText(new Date(NOW - 1_800_000)), "alice", utcText(new Date(NOW - 1_800_000))]);
  });

  it("record mode: a refused attempt is a failure written now, so Retry-After is a whole cooloff", async () => {
    const latest = utcText(new Date(NOW - 600_000));
    const db = database([{ entry: 0, failures: 3, latest }]);
    const policy = new AxesPolicy({ settings: parseAxesSpec({ axes: "record", axes_cooloff_time: "0.5" }), database: db, now: () => NOW });
    expect(await policy.check(client, "alice", signal)).toEqual({ locked: true, retryAfterSeconds: 1801, reason: "axes", scope: "address" });
    expect(db.calls.some((call) => call.sql.startsWith("INSERT INTO"))).toBe(true);
    // With AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT off, nothing is written and the rows' own time counts.
    const quiet = database([{ entry: 0, failures: 3, latest }]);
    const off = new AxesPolicy({
      settings: parseAxesSpec({ axes: "record", axes_cooloff_time: "0.5", axes_reset_cool_off_on_failure_during_lockout: "off" }),
      database: quiet,
      now: () => NOW,
    });
    expect(await off.check(client, "alice", signal)).toEqual({ locked: true, retryAfterSeconds: 1201, reason: "axes", scope: "address" });
    expect(quiet.calls).toHaveLength(1);
  });

  it("without a cooloff a lock lasts until axes_reset: the longest Retry-After", async () => {
    const policy = new AxesPolicy({ settings: parseAxesSpec({ axes: "honour" }), database: database([{ entry: 0, failures: 7, latest: "x" }]), now: () => NOW });
    expect(await policy.check(client, "alice", signal)).toEqual({ locked: true, retryAfterSeconds: AXES_RETRY_AFTER_MAX_SECONDS, reason: "axes", scope: "address" });
  });

  it("fails closed on an answer it cannot read", async () => {
    const settings = parseAxesSpec({ axes: "honour", axes_cooloff_time: "1" });
    const badTime = new AxesPolicy({ settings, database: database([{ entry: 0, failures: 9, latest: "soon" }]), now: () => NOW });
    await expect(badTime.check(client, "alice", signal)).rejects.toThrow(/unreadable/);
    const badCount = new AxesPolicy({ settings, database: database([{ entry: 0, failures: "many", latest: null }]), now: () => NOW });
    await expect(badCount.check(client, "alice", signal)).rejects.toThrow(/unreadable/);
  });

  it("AXES_ONLY_ADMIN_SITE: an Apache request is not the admin site, so axes never locks it (and nothing is read)", async () => {
    const db = database([{ entry: 0, failures: 99, latest: null }]);
    const policy = new AxesPolicy({ settings: parseAxesSpec({ axes: "honour", axes_only_admin_site: "on" }), database: db, now: () => NOW });
    expect(await policy.check(client, "alice", signal)).toEqual({ locked: false });
    expect(db.calls).toEqual([]);
  });

  it("a deny-listed address is locked without reading; an allow-listed one is neither locked nor recorded", async () => {
    const db = database([{ entry: 0, failures: 99, latest: null }]);
    const settings = parseAxesSpec({ axes: "record", axes_ip_blacklist: "192.0.2.7", axes_ip_whitelist: "192.0.2.8", axes_never_lockout_whitelist: "on", axes_reset_cool_off_on_failure_during_lockout: "off" });
    const policy = new AxesPolicy({ settings, database: db, now: () => NOW });
    expect(await policy.check(client, "alice", signal)).toEqual({ locked: true, retryAfterSeconds: AXES_RETRY_AFTER_MAX_SECONDS, reason: "axes", scope: "address" });
    const friend = { ...client, ip: "192.0.2.8" };
    expect(await policy.check(friend, "alice", signal)).toEqual({ locked: false });
    await policy.record(friend, "alice", "denied", signal);
    expect(db.calls).toEqual([]);
  });

  it("record mode writes the row axes would: '<unknown>' for absent headers, columns cut to axes' lengths", async () => {
    const db = database([]);
    const policy = new AxesPolicy({ settings: parseAxesSpec({ axes: "record" }), database: db, now: () => NOW });
    await policy.record({ ip: "2001:DB8::1", userAgent: "é".repeat(300), accept: null, path: null }, "alice", "not_found", signal);
    expect(db.calls).toHaveLength(1);
    expect(db.calls[0]?.values).toEqual(["alice", "2001:db8::1", "é".repeat(255), "<unknown>", "<unknown>", utcText(new Date(NOW))]);
    // Honour mode writes nothing, whatever the outcome.
    const honour = database([]);
    const reader = new AxesPolicy({ settings: parseAxesSpec({ axes: "honour", axes_reset_on_success: "on" }), database: honour, now: () => NOW });
    await reader.record(client, "alice", "denied", signal);
    await reader.record(client, "alice", "granted", signal);
    expect(honour.calls).toEqual([]);
  });
});
