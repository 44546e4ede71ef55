// The django-axes policy against a real Django 3.2 site with django-axes 5.39 (test/harness/django-axes.ts),
// on whichever database a test file gives: django-axes is the oracle. The site's AXES_* settings and the
// handler's axes_* keys are set alike for each case; the site's own authenticate() and is_allowed() are
// compared with the policy's check, and the rows the policy writes in record mode are read back through
// axes' model. Each case uses its own client addresses, so the cases share one migrated database.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDjangoHandler, type DjangoHandler } from "../../src/django/handler.js";
import type { ClientInfo, LockoutPolicy } from "../../src/brute-force/types.js";
import { startAxesSite, type AxesClient, type AxesSite, type AxesSiteSettings } from "../harness/django-axes.js";
import { eventually } from "../support/eventually.js";
import { TEST_ITERATIONS } from "./django-compare.js";

export interface AxesSuiteOptions {
  readonly label: string;
  readonly databaseUrl: () => string;
}

const signal = new AbortController().signal;

/** A client as the module describes it (no User-Agent or Accept header unless given). */
function client(ip: string, more: Partial<ClientInfo> = {}): ClientInfo {
  return { ip, userAgent: null, accept: null, path: "/private/", ...more };
}

/** The same client as the site's request sees it. */
function asSite(c: ClientInfo): AxesClient {
  return { ip: c.ip, userAgent: c.userAgent, accept: c.accept, path: c.path ?? "/login/" };
}

export function defineAxesSuite(options: AxesSuiteOptions): void {
  describe(`django-axes 5.39 site on ${options.label}`, () => {
    const open: Array<{ close(): Promise<void> }> = [];

    /** The site with these AXES_* settings, and a Django handler whose spec has these axes_* keys. */
    async function setUp(axes: AxesSiteSettings, keys: Record<string, string>): Promise<{ site: AxesSite; handler: DjangoHandler; policy: LockoutPolicy }> {
      const site = await startAxesSite({ databaseUrl: options.databaseUrl(), pbkdf2Iterations: TEST_ITERATIONS, axes });
      open.push(site);
      const handler = createDjangoHandler({ type: "django", database: options.databaseUrl(), ...keys }, { log: () => {} });
      open.push(handler);
      const policy = handler.lockoutPolicies?.find((p) => p.name === "axes");
      if (policy === undefined) throw new Error("the handler has no axes policy");
      return { site, handler, policy };
    }

    beforeAll(async () => {
      const site = await startAxesSite({ databaseUrl: options.databaseUrl(), pbkdf2Iterations: TEST_ITERATIONS, axes: {} });
      await site.oracle.createUser({ username: "alice", password: "right" });
      await site.oracle.createUser({ username: "bob", password: "builder" });
      await site.close();
    });
    afterAll(async () => {
      for (const thing of open.splice(0).reverse()) await thing.close();
    });

    it("failed logins through Django's authenticate() from X lock X out; unknown users get the same answer; other addresses go on", async () => {
      const { site, policy } = await setUp({ AXES_FAILURE_LIMIT: 3 }, { axes: "honour" });
      const x = client("127.0.10.1");
      for (let i = 0; i < 2; i++) expect(await site.login("alice", "wrong", asSite(x))).toEqual({ granted: false, locked_out: false });
      expect(await policy.check(x, "alice", signal)).toEqual({ locked: false });
      expect(await site.login("alice", "wrong", asSite(x))).toEqual({ granted: false, locked_out: true });

      const known = await policy.check(x, "alice", signal);
      expect(known).toEqual({ locked: true, retryAfterSeconds: 86_400, reason: "axes", scope: "address" });
      expect(await policy.check(x, "no-such-user", signal)).toEqual(known);
      expect(await policy.check(client("127.0.10.1", { userAgent: "other" }), "bob", signal)).toEqual(known);
      expect(await policy.check(client("127.0.10.2"), "alice", signal)).toEqual({ locked: false });
      expect(await site.isLocked("no-such-user", asSite(x))).toBe(true);

      // Honour mode writes nothing: the site's row stays as the site wrote it.
      const before = await site.attempts();
      await policy.record(x, "alice", "denied", signal);
      await policy.record(x, "alice", "granted", signal);
      expect(await site.attempts()).toEqual(before);
    });

    it("record mode: failures through Apache are axes' rows (same keys, one row counted up), and lock X out of the Django login", async () => {
      const { site, policy } = await setUp({ AXES_FAILURE_LIMIT: 3 }, { axes: "record" });
      const x = client("127.0.11.1", { userAgent: "curl/8.5", accept: "*/*", path: "/dav/file" });
      await policy.record(x, "alice", "denied", signal);
      await policy.record(x, "alice", "denied", signal);
      const mine = (await site.attempts()).filter((row) => row.ip_address === "127.0.11.1");
      expect(mine).toEqual([
        expect.objectContaining({
          username: "alice",
          user_agent: "curl/8.5",
          http_accept: "*/*",
          path_info: "/dav/file",
          get_data: "",
          post_data: "",
          failures_since_start: 2,
        }),
      ]);
      expect(await site.isLocked("alice", asSite(x))).toBe(false);
      expect(await policy.check(x, "alice", signal)).toEqual({ locked: false });

      // An unknown user's failure counts for the address too (a row of its own: axes keys rows by user name).
      await policy.record(x, "ghost", "not_found", signal);
      expect((await site.attempts()).filter((row) => row.ip_address === "127.0.11.1")).toHaveLength(2);
      expect(await site.isLocked("alice", asSite(x))).toBe(true);
      expect(await site.login("alice", "right", asSite(x))).toEqual({ granted: false, locked_out: true });
      expect(await policy.check(x, "bob", signal)).toMatchObject({ locked: true, reason: "axes" });
    });

    it("a failure through Django and one through Apache from the same client count on the same row", async () => {
      const { site, policy } = await setUp({ AXES_FAILURE_LIMIT: 2 }, { axes: "record", axes_failure_limit: "2" });
      const x = client("127.0.12.1");
      await site.login("alice", "wrong", { ...asSite(x), path: "/private/" });
      await policy.record(x, "alice", "denied", signal);
      const mine = (await site.attempts()).filter((row) => row.ip_address === "127.0.12.1");
      expect(mine).toEqual([expect.objectContaining({ username: "alice", user_agent: "<unknown>", http_accept: "<unknown>", failures_since_start: 2 })]);
      // A User-Agent longer than axes' column: both sides cut it to the same 255 characters, so one row again.
      const long = client("127.0.12.2", { userAgent: `agent-${"é".repeat(300)}`, accept: "*/*" });
      await site.login("bob", "wrong", asSite(long));
      await policy.record(long, "bob", "denied", signal);
      const cut = (await site.attempts()).filter((row) => row.ip_address === "127.0.12.2");
      expect(cut.map((row) => [row.user_agent.length, row.failures_since_start])).toEqual([[255, 2]]);
      expect(await site.isLocked("alice", asSite(x))).toBe(true);
      expect(await policy.check(x, "alice", signal)).toMatchObject({ locked: true });
      // Locked and record mode: the refused attempt counts, as axes counts a refused login
      // (AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT, on by default).
      expect((await site.attempts()).find((row) => row.ip_address === "127.0.12.1")?.failures_since_start).toBe(3);
    });

    it("concurrent failures from two hosts (two handlers) on the same client all count, on one row", async () => {
      const one = await setUp({}, { axes: "record", axes_failure_limit: "1000" });
      const two = createDjangoHandler({ type: "django", database: options.databaseUrl(), axes: "record", axes_failure_limit: "1000" }, { log: () => {} });
      open.push(two);
      const policies = [one.policy, two.lockoutPolicies?.find((p) => p.name === "axes")];
      const x = client("127.0.15.1", { userAgent: "racer" });
      await Promise.all(Array.from({ length: 40 }, (_, i) => policies[i % 2]?.record(x, "alice", "denied", signal)));
      const mine = (await one.site.attempts()).filter((row) => row.ip_address === "127.0.15.1");
      expect(mine.map((row) => row.failures_since_start)).toEqual([40]);
    });

    it("a short cooloff (axes_cooloff_time 0.0003 hours, about a second) re-admits X, and old rows start over", async () => {
      const { site, policy } = await setUp({ AXES_COOLOFF_TIME: 0.0003 }, { axes: "record", axes_cooloff_time: "0.0003" });
      const x = client("127.0.13.1");
      for (let i = 0; i < 3; i++) await site.login("alice", "wrong", asSite(x));
      const locked = await policy.check(x, "alice", signal);
      expect(locked).toMatchObject({ locked: true, reason: "axes" });
      expect((locked as { retryAfterSeconds: number }).retryAfterSeconds).toBeLessThanOrEqual(2);
      expect(await eventually(async () => !(await site.isLocked("alice", asSite(x))))).toBe(true);
      expect(await policy.check(x, "alice", signal)).toEqual({ locked: false });
      expect(await policy.check(x, "no-such-user", signal)).toEqual({ locked: false });
      // axes deletes rows past the cooloff before counting a failure, so the next one starts a new row at 1.
      await policy.record(x, "alice", "denied", signal);
      expect((await site.attempts()).filter((row) => row.ip_address === "127.0.13.1").map((row) => row.failures_since_start)).toEqual([1]);
    });

    it("reset on success deletes the rows of the lockout parameters (the address's, every user's) only with axes_reset_on_success", async () => {
      const kept = await setUp({}, { axes: "record" });
      const x = client("127.0.14.1");
      await kept.policy.record(x, "alice", "denied", signal);
      await kept.policy.record(x, "alice", "granted", signal);
      expect((await kept.site.attempts()).filter((row) => row.ip_address === "127.0.14.1")).toHaveLength(1);

      const { site, policy } = await setUp({ AXES_RESET_ON_SUCCESS: true }, { axes: "record", axes_reset_on_success: "on" });
      const y = client("127.0.14.2");
      await policy.record(y, "alice", "denied", signal);
      await site.login("bob", "wrong", asSite(y));
      await site.login("bob", "wrong", asSite(client("127.0.14.3")));
      await policy.record(y, "alice", "granted", signal);
      const left = (await site.attempts()).filter((row) => row.ip_address?.startsWith("127.0.14."));
      expect(left.map((row) => row.ip_address).sort()).toEqual(["127.0.14.1", "127.0.14.3"]);
      // A success through Apache writes no AccessLog row (the site's own logins do).
      expect(await site.accessLogs()).toBe(0);
    });

    const flagCases: Array<{ name: string; axes: AxesSiteSettings; keys: Record<string, string> }> = [
      { name: "by address (default)", axes: {}, keys: {} },
      { name: "AXES_ONLY_USER_FAILURES", axes: { AXES_ONLY_USER_FAILURES: true }, keys: { axes_only_user_failures: "on" } },
      {
        name: "AXES_LOCK_OUT_BY_COMBINATION_USER_AND_IP",
        axes: { AXES_LOCK_OUT_BY_COMBINATION_USER_AND_IP: true },
        keys: { axes_lock_out_by_combination_user_and_ip: "on" },
      },
      { name: "the same as axes_lockout_parameters username+ip_address", axes: { AXES_LOCK_OUT_BY_COMBINATION_USER_AND_IP: true }, keys: { axes_lockout_parameters: "username+ip_address" } },
      { name: "AXES_LOCK_OUT_BY_USER_OR_IP", axes: { AXES_LOCK_OUT_BY_USER_OR_IP: true }, keys: { axes_lock_out_by_user_or_ip: "on" } },
      { name: "AXES_USE_USER_AGENT", axes: { AXES_USE_USER_AGENT: true }, keys: { axes_use_user_agent: "on" } },
      {
        name: "allow and deny lists (AXES_NEVER_LOCKOUT_WHITELIST)",
        axes: { AXES_IP_WHITELIST: ["127.0.20.1"], AXES_IP_BLACKLIST: ["127.0.20.3"], AXES_NEVER_LOCKOUT_WHITELIST: true },
        keys: { axes_ip_whitelist: "127.0.20.1", axes_ip_blacklist: "127.0.20.3", axes_never_lockout_whitelist: "on" },
      },
      { name: "AXES_ONLY_WHITELIST", axes: { AXES_IP_WHITELIST: ["127.0.20.1"], AXES_ONLY_WHITELIST: true }, keys: { axes_ip_whitelist: "127.0.20.1", axes_only_whitelist: "on" } },
    ];

    it.each(flagCases)("locks whom axes' is_allowed refuses: $name", async ({ axes, keys }) => {
      const { site, policy } = await setUp({ AXES_FAILURE_LIMIT: 2, ...axes }, { axes: "honour", axes_failure_limit: "2", ...keys });
      await site.reset();
      // alice fails twice from .1 with one browser; bob once from .2 with another.
      const a = client("127.0.20.1", { userAgent: "browser-a" });
      const b = client("127.0.20.2", { userAgent: "browser-b" });
      await site.login("alice", "wrong", asSite(a));
      await site.login("alice", "wrong", asSite(a));
      await site.login("bob", "wrong", asSite(b));
      const clients = [a, b, client("127.0.20.1", { userAgent: "browser-b" }), client("127.0.20.2", { userAgent: "browser-a" }), client("127.0.20.3")];
      const differences: string[] = [];
      for (const c of clients) {
        for (const user of ["alice", "bob", "carol"]) {
          const axesLocked = !(await site.isAllowed(user, asSite(c)));
          const mine = (await policy.check(c, user, signal)).locked;
          if (mine !== axesLocked) differences.push(`${user} from ${c.ip} (${c.userAgent}): axes ${axesLocked}, policy ${mine}`);
        }
      }
      expect(differences).toEqual([]);
    });

    it("an IPv6 client: the address is compared as Django stores it", async () => {
      const { site, policy } = await setUp({}, { axes: "honour" });
      for (let i = 0; i < 3; i++) await site.login("alice", "wrong", asSite(client("2001:db8::a:1")));
      expect((await site.attempts()).some((row) => row.ip_address === "2001:db8::a:1")).toBe(true);
      expect(await policy.check(client("2001:DB8:0:0:0:0:A:1"), "alice", signal)).toMatchObject({ locked: true });
      expect(await policy.check(client("2001:db8::a:2"), "alice", signal)).toEqual({ locked: false });
    });
  });
}
