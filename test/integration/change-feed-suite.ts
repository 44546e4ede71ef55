// The change feed (src/django/change-feed/) against a real database: install-triggers and remove-triggers
// run as the real CLI, --print's script through the database's own client, Django itself (the oracle) as
// the writer of every change kind, and the subscriber's events checked one by one. It also measures the
// time from an UPDATE sent to its event (printed; no timed assertion) and takes the feed's connection or
// the database away. Used by change-feed-postgres, change-feed-mariadb and change-feed-sqlite.
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseDatabaseUrl } from "../../src/django/database-url.js";
import { sessionKeyHash, type ChangeEvent } from "../../src/django/change-feed/events.js";
import { startChangeFeed, type ChangeFeed, type FeedHealth } from "../../src/django/change-feed/index.js";
import { CliHarness } from "../harness/cli.js";
import { startDjango, type DjangoOracle } from "../harness/django.js";
import { eventually } from "../support/eventually.js";

/** A connection of the test's own that writes with plain SQL (`?` placeholders). */
export interface Writer {
  exec(sql: string, params: readonly unknown[]): Promise<void>;
  close(): Promise<void>;
}

export interface ChangeFeedSuiteOptions {
  readonly label: string;
  readonly databaseUrl: () => string;
  /** Every object named anp_feed* in the database's catalog, one line each with its definition, sorted. */
  readonly catalog: () => Promise<string[]>;
  /** Runs a script with the database's own client (psql, mysql, sqlite3). */
  readonly applyScript: (sql: string) => Promise<void>;
  readonly openWriter: () => Promise<Writer>;
  /** How many objects install-triggers makes. */
  readonly installedObjects: number;
  /** Takes the feed's connection away (or the file it reads) while the database stays up. */
  readonly loseFeed: (feed: ChangeFeed) => Promise<void>;
  /** Stops and starts the database server; absent for SQLite, which has none. */
  readonly restartDatabase?: () => Promise<void>;
}

interface Seen {
  readonly event: ChangeEvent;
  readonly at: number;
}

const PASSWORD = "change-feed-pw";

export function defineChangeFeedSuite(options: ChangeFeedSuiteOptions): void {
  describe(`change feed on ${options.label}`, () => {
    let cli: CliHarness;
    let oracle: DjangoOracle;
    let feed: ChangeFeed | undefined;
    const seen: Seen[] = [];
    const health: FeedHealth[] = [];
    const ids = new Map<string, string>();

    const cliArgs = (): string[] => ["--database", options.databaseUrl()];
    const run = async (command: string, ...extra: string[]): Promise<string> => {
      const result = await cli.run([command, ...cliArgs(), ...extra]);
      expect(result.stderr).toBe("");
      expect(result.status).toBe(0);
      return result.stdout;
    };
    /** Waits for an event after index `from` that `match` accepts; returns its index. */
    const waitFor = async (from: number, match: (event: ChangeEvent) => boolean, what: string): Promise<number> => {
      let found = -1;
      const ok = await eventually(() => {
        found = seen.findIndex((entry, index) => index >= from && match(entry.event));
        return found >= 0;
      }, 2000, 5);
      if (!ok) throw new Error(`no ${what} event; seen: ${JSON.stringify(seen.slice(from).map((entry) => entry.event))}`);
      return found;
    };
    const userEvent = (username: string) => (event: ChangeEvent) => event.kind === "user" && event.key === ids.get(username);
    const isAll = (event: ChangeEvent): boolean => event.kind === "all";
    /** A change made on a fresh connection of the test's (Django's SQLite connection may hold a replaced file). */
    const writeAnn = async (password: string): Promise<void> => {
      const writer = await options.openWriter();
      try {
        await writer.exec("UPDATE auth_user SET password = ? WHERE id = ?", [password, ids.get("ann")]);
      } finally {
        await writer.close();
      }
    };

    beforeAll(async () => {
      cli = CliHarness.create();
      oracle = await startDjango({ databaseUrl: options.databaseUrl(), pbkdf2Iterations: 1000 });
      await oracle.createPermission("files", "file", "read_file");
      await oracle.createGroup("readers", ["files.read_file"]);
      for (const username of ["ann", "ben", "cid", "dot", "eve", "fay"]) {
        const { id } = await oracle.createUser({ username, password: PASSWORD, groups: ["readers"], permissions: ["files.read_file"] });
        ids.set(username, String(id));
      }
    }, 120_000);

    afterAll(async () => {
      await feed?.close();
      await oracle?.close();
      cli?.cleanup();
    });

    it("--print's script, applied by the database's own client, makes what install-triggers makes; remove leaves nothing", async () => {
      expect(await options.catalog()).toEqual([]);
      await options.applyScript(await run("install-triggers", "--print"));
      const printed = await options.catalog();
      expect(printed).toHaveLength(options.installedObjects);
      await options.applyScript(await run("remove-triggers", "--print"));
      expect(await options.catalog()).toEqual([]);
      expect(await run("install-triggers")).toBe("change feed triggers installed\n");
      expect(await options.catalog()).toEqual(printed);
      await run("remove-triggers");
      expect(await options.catalog()).toEqual([]);
    });

    it("installing twice is installing once", async () => {
      await run("install-triggers");
      const once = await options.catalog();
      await run("install-triggers");
      expect(await options.catalog()).toEqual(once);
    });

    it("the subscriber connects, and its first event is all", async () => {
      feed = startChangeFeed(parseDatabaseUrl(options.databaseUrl()), {
        onEvent: (event) => seen.push({ event, at: performance.now() }),
        onHealth: (state) => health.push(state),
      });
      await waitFor(0, isAll, "first all");
      expect(feed.health().state).toBe("connected");
    });

    it("one change is one event, however many times the triggers were installed", async () => {
      const from = seen.length;
      await oracle.setActive("fay", false);
      await waitFor(from, userEvent("fay"), "fay's user");
      // A second change, then nothing but its own event may follow the first.
      await oracle.setActive("fay", true);
      const second = await waitFor(from + 1, userEvent("fay"), "fay's second user");
      expect(seen.slice(from).map((entry) => entry.event)).toEqual([seen[from]?.event, seen[second]?.event]);
    });

    it.each([
      ["set_password", "ann", (o: DjangoOracle) => o.setPassword("ann", "new-password")],
      ["is_active = False", "ben", (o: DjangoOracle) => o.setActive("ben", false)],
      ["groups.remove", "cid", (o: DjangoOracle) => o.removeFromGroup("cid", "readers")],
      ["user_permissions.remove", "dot", (o: DjangoOracle) => o.removePermission("dot", "files.read_file")],
      ["user.delete", "eve", (o: DjangoOracle) => o.deleteUser("eve")],
    ])("Django's %s gives a user event with the user's id", async (_, username, change) => {
      const from = seen.length;
      await change(oracle);
      await waitFor(from, userEvent(username), `${username}'s user`);
    });

    it("group.permissions.remove gives a group event", async () => {
      const from = seen.length;
      await oracle.removeGroupPermission("readers", "files.read_file");
      await waitFor(from, (event) => event.kind === "group", "group");
    });

    it("a session login and logout give session events with the key's hash, and the login's last_login gives none", async () => {
      const from = seen.length;
      const cookie = await oracle.login("db", "fay", PASSWORD);
      const hash = sessionKeyHash(cookie);
      const login = await waitFor(from, (event) => event.kind === "session" && event.key === hash, "login's session");
      await oracle.logout("db", cookie);
      await waitFor(login + 1, (event) => event.kind === "session" && event.key === hash, "logout's session");
      expect(seen.slice(from).filter((entry) => userEvent("fay")(entry.event))).toEqual([]);
      expect(JSON.stringify(seen.map((entry) => entry.event))).not.toContain(cookie);
    });

    it("commit-to-event time over 200 UPDATEs (printed)", async () => {
      const writer = await options.openWriter();
      const times: number[] = [];
      try {
        for (let i = 0; i < 200; i++) {
          // A random pause, so the UPDATEs do not fall in step with a polling feed's reads.
          await sleep(Math.random() * 12);
          const from = seen.length;
          const start = performance.now();
          await writer.exec("UPDATE auth_user SET password = ? WHERE id = ?", [`x${i}`, ids.get("ann")]);
          const index = await waitFor(from, userEvent("ann"), "timed user");
          times.push((seen[index] as Seen).at - start);
        }
      } finally {
        await writer.close();
      }
      times.sort((a, b) => a - b);
      const at = (q: number): string => (times[Math.min(times.length - 1, Math.floor(q * times.length))] as number).toFixed(2);
      console.log(`change feed ${options.label}: UPDATE sent -> event, ms over ${times.length}: p50 ${at(0.5)} p99 ${at(0.99)} max ${at(1)}`);
      expect(times).toHaveLength(200);
    }, 120_000);

    it("an idle feed's CPU time over 3 s (printed)", async () => {
      const before = process.cpuUsage();
      const start = performance.now();
      await sleep(3000);
      const used = process.cpuUsage(before);
      const seconds = (performance.now() - start) / 1000;
      // The test process's whole CPU time, so an upper bound for the feed's.
      console.log(`change feed ${options.label}: idle, CPU ms per second ${((used.user + used.system) / 1000 / seconds).toFixed(2)}`);
      expect(feed!.health().state).toBe("connected");
    });

    it("a lost feed connection is reported, then an all event, then changes arrive again", async () => {
      const from = seen.length;
      const losses = feed!.health().losses;
      await options.loseFeed(feed!);
      await waitFor(from, isAll, "all after the loss");
      expect(await eventually(() => feed!.health().state === "connected", 400, 5)).toBe(true);
      expect(feed!.health().losses).toBe(losses + 1);
      expect(health.some((state) => state.state === "lost")).toBe(true);
      const after = seen.length;
      await writeAnn("after-loss");
      await waitFor(after, userEvent("ann"), "user after the loss");
    });

    // Defined only where there is a server (SQLite has none), rather than skipped.
    const restartDatabase = options.restartDatabase;
    if (restartDatabase !== undefined) it("a database restart is a loss, then all, then changes arrive again", async () => {
      const from = seen.length;
      const losses = feed!.health().losses;
      await restartDatabase();
      await waitFor(from, isAll, "all after the restart");
      expect(feed!.health().losses).toBe(losses + 1);
      const after = seen.length;
      await writeAnn("after-restart");
      await waitFor(after, userEvent("ann"), "user after the restart");
    }, 120_000);

    it("remove-triggers leaves no object of ours, and Django's writes go on", async () => {
      await feed!.close();
      await run("remove-triggers");
      expect(await options.catalog()).toEqual([]);
      await oracle.setPassword("ann", "after-remove");
      expect(await oracle.checkPassword("ann", "after-remove")).toBe(true);
    });
  });
}
