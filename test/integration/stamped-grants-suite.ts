// Stamped grants end to end on a real database (used by stamped-grants-postgres and -sqlite): a worker started
// with --generations-fd on a table this test made and sized, a Django handler with change_feed on, Django (the
// oracle) making each change. A read-only mapping of the same file stands for an httpd child and judges every
// STAMP with the children's C rule (anp_generations_current): a grant's stamp is current, and stops being so
// soon after the change is committed; a refusal never carries one; a lost feed moves the epoch. Session checks
// (db and signed_cookies, sessions made by Django's own login) carry the session's and the user's stamps with a
// VALID_FOR that ends before the session does.
import { spawn } from "node:child_process";
import { closeSync, openSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GenerationsTable } from "../../src/cache/generations-table.js";
import { loadAddon } from "../../src/native/index.js";
import { fieldsOf, Kind, readStamp, Status, Tag, textField, type Message, type StampValue } from "../../src/protocol/index.js";
import { CliHarness } from "../harness/cli.js";
import { startDjango, type DjangoOracle } from "../harness/django.js";
import { bootstrapFrame, check, handler, provenClient, status, WorkerHarness, WorkerProcess, type Client } from "../harness/worker.js";
import { WORKER_LISTENING } from "../support/error-log.js";
import { eventually } from "../support/eventually.js";
import { setSessionExpiry } from "../support/session-expiry.js";

export interface StampedGrantSuiteOptions {
  readonly label: string;
  readonly databaseUrl: () => string;
  /** Takes the feed's connection away (or the file it reads) while the database stays up. */
  readonly loseFeed: () => Promise<void>;
}

const PASSWORD = "stamped-pw";
const SLOTS = 65536;
const KEY = Buffer.alloc(16, 0x5e);
const SECRET = "stamped-grants test key: not a secret, only for this test";
const SECRET_PATH = "/nonexistent/anp-stamped-grants/secret_key";
/** Django's default SESSION_COOKIE_AGE. */
const COOKIE_AGE = 1209600;

const stampsOf = (m: Message): StampValue[] => fieldsOf(m, Tag.STAMP).map(readStamp);
const validForOf = (m: Message): number | undefined => fieldsOf(m, Tag.VALID_FOR)[0]?.value.readUInt32BE(0);

export function defineStampedGrantSuite(options: StampedGrantSuiteOptions): void {
  describe(`stamped grants on ${options.label}`, () => {
    let cli: CliHarness;
    let oracle: DjangoOracle;
    let harness: WorkerHarness;
    let worker: WorkerProcess;
    let client: Client;
    let child: GenerationsTable;
    let spec: string;
    const sessionSpec = (engine: "db" | "signed_cookies"): string => `${spec}\nsecret_key_file=${SECRET_PATH}\nsession_engine=${engine}`;
    const askSession = (engine: "db" | "signed_cookies", cookie: string): Promise<Message> =>
      client.request(Kind.CHECK_SESSION, [handler(sessionSpec(engine)), textField(Tag.SESSION_KEY, cookie)]);
    /** A session grant carrying stamps, once the feed is connected. */
    const stampedSession = async (engine: "db" | "signed_cookies", cookie: string): Promise<Message> => {
      let answer: Message | undefined;
      const ok = await eventually(async () => {
        answer = await askSession(engine, cookie);
        expect(status(answer)).toBe(Status.GRANTED);
        return stampsOf(answer).length > 0;
      }, 100, 50);
      if (!ok || answer === undefined) throw new Error(`no stamped session grant:\n${worker.log}`);
      return answer;
    };

    /** A grant for `name` once the feed is connected (the first checks may come before it is). */
    const stampedGrant = async (name: string): Promise<StampValue> => {
      let stamps: StampValue[] = [];
      const ok = await eventually(async () => {
        const answer = await check(client, spec, name, PASSWORD);
        expect(status(answer)).toBe(Status.GRANTED);
        stamps = stampsOf(answer);
        return stamps.length === 1;
      }, 100, 50);
      if (!ok) throw new Error(`no stamped grant for ${name}:\n${worker.log}`);
      return stamps[0] as StampValue;
    };
    /** Whether the child stops taking `stamp` as current within 2 s of polling (40 tries, 50 ms apart). */
    const goesStale = (stamp: StampValue): Promise<boolean> => eventually(() => !child.isCurrent(stamp), 40, 50);

    beforeAll(async () => {
      cli = CliHarness.create();
      oracle = await startDjango({ databaseUrl: options.databaseUrl(), pbkdf2Iterations: 1000, env: { DJANGO_SECRET_KEY: SECRET } });
      await oracle.createGroup("readers");
      for (const username of ["ann", "ben", "cid", "dot", "eve", "sam", "sid", "sue"]) await oracle.createUser({ username, password: PASSWORD, groups: ["readers"] });
      const installed = await cli.run(["install-triggers", "--database", options.databaseUrl()]);
      expect(installed.stderr).toBe("");
      harness = WorkerHarness.create();
      const tablePath = join(harness.scratch, "generations");
      writeFileSync(tablePath, Buffer.alloc(8 * 8 + SLOTS * 8), { mode: 0o600 });
      const fd = openSync(tablePath, "r+");
      const socketPath = join(harness.socketDir(), "worker.sock");
      spec = ["type=django", `database=${options.databaseUrl()}`, "django_version=3.2", "change_feed=on", "change_feed_poll_ms=5"].join("\n");
      // As httpd's parent starts it: the bootstrap (key, specs, the SECRET_KEY file) on fd 3, the table on fd 4.
      const process_ = spawn(process.execPath, [harness.workerJs, "--socket", socketPath, "--bootstrap-fd", "3", "--generations-fd", "4"], {
        stdio: ["ignore", "pipe", "pipe", "pipe", fd],
      });
      closeSync(fd);
      (process_.stdio[3] as NodeJS.WritableStream).end(bootstrapFrame({ key: KEY, specs: [spec, sessionSpec("db"), sessionSpec("signed_cookies")], secrets: { [SECRET_PATH]: `${SECRET}\n` } }));
      worker = new WorkerProcess(process_, socketPath);
      const ready = await Promise.race([worker.waitForLine(WORKER_LISTENING), worker.exited]);
      if (typeof ready !== "string") throw new Error(`worker exited:\n${worker.log}`);
      const childFd = openSync(tablePath, "r");
      child = GenerationsTable.open(loadAddon()!, childFd, false);
      closeSync(childFd);
      client = await provenClient(socketPath, KEY);
    }, 180_000);

    afterAll(async () => {
      client?.close();
      await worker?.stop();
      child?.close();
      await oracle?.close();
      await harness?.cleanup();
      cli?.cleanup();
    });

    it("a granted CHECK_PASSWORD carries one STAMP that the child's rule finds current, and the lease runs", async () => {
      const stamp = await stampedGrant("ann");
      expect(child.isCurrent(stamp)).toBe(true);
      expect(child.lease).toBeGreaterThan(0n);
      expect(stamp.epoch).toBe(child.epoch);
      expect(worker.log).toMatch(/ANP0648: change feed of .*: connected/);
    });

    it("a wrong password and an unknown user never carry a stamp", async () => {
      await stampedGrant("ann");
      const denied = await check(client, spec, "ann", "wrong");
      expect(status(denied)).toBe(Status.DENIED);
      expect(stampsOf(denied)).toEqual([]);
      const unknown = await check(client, spec, "nobody-here", PASSWORD);
      expect(status(unknown)).toBe(Status.USER_NOT_FOUND);
      expect(stampsOf(unknown)).toEqual([]);
    });

    it("a password changed in Django makes the stamp stale within 2 s", async () => {
      const bystander = await stampedGrant("ann");
      const stamp = await stampedGrant("ben");
      expect(child.isCurrent(stamp)).toBe(true);
      await oracle.setPassword("ben", "another-pw");
      expect(await goesStale(stamp)).toBe(true);
      // Only ben's slot moved: the lease runs and another user's grant is still current.
      expect(child.isCurrent(bystander)).toBe(true);
      const denied = await check(client, spec, "ben", PASSWORD);
      expect(stampsOf(denied)).toEqual([]);
    });

    it("is_active set to False makes the stamp stale within 2 s", async () => {
      const stamp = await stampedGrant("cid");
      await oracle.setActive("cid", false);
      expect(await goesStale(stamp)).toBe(true);
    });

    it("a group removal makes the stamp stale within 2 s", async () => {
      const stamp = await stampedGrant("dot");
      await oracle.removeFromGroup("dot", "readers");
      expect(await goesStale(stamp)).toBe(true);
    });

    it("a db session's grant carries its session's and its user's STAMPs and VALID_FOR 60000; a logout stales the first, a password change the second", async () => {
      const kept = await oracle.login("db", "sam", PASSWORD);
      const answer = await stampedSession("db", kept);
      const [session, user] = stampsOf(answer) as [StampValue, StampValue];
      expect(stampsOf(answer)).toHaveLength(2);
      expect(validForOf(answer)).toBe(60000);
      expect(child.isCurrent(session) && child.isCurrent(user)).toBe(true);
      // Django's logout deletes the row: the session's slot moves, the user's does not.
      await oracle.logout("db", kept);
      expect(await goesStale(session)).toBe(true);
      expect(child.isCurrent(user)).toBe(true);
      const other = await stampedSession("db", await oracle.login("db", "sam", PASSWORD));
      const [, userAgain] = stampsOf(other) as [StampValue, StampValue];
      await oracle.setPassword("sam", "sam-new-pw");
      expect(await goesStale(userAgain)).toBe(true);
      expect(stampsOf(await askSession("db", kept))).toEqual([]);
    });

    it("a db session ending in 3 s is kept at most until just before then; an expired one is refused unstamped", async () => {
      const cookie = await oracle.login("db", "sid", PASSWORD);
      await stampedSession("db", cookie);
      const ends = Date.now() + 3000;
      await setSessionExpiry(options.databaseUrl(), cookie, new Date(ends));
      const asked = Date.now();
      const answer = await stampedSession("db", cookie);
      const validFor = validForOf(answer) as number;
      expect(validFor).toBeGreaterThan(1000);
      // Counted from before the request was sent, it ends before the row does.
      expect(asked + validFor).toBeLessThan(ends);
      await setSessionExpiry(options.databaseUrl(), cookie, new Date(Date.now() - 1000));
      const expired = await askSession("db", cookie);
      expect([status(expired), stampsOf(expired), validForOf(expired)]).toEqual([Status.DENIED, [], undefined]);
    });

    it("a signed cookie carries its user's STAMP only, and none when it runs out within VALID_FOR", async () => {
      const cookie = await oracle.login("signed_cookies", "sue", PASSWORD);
      const answer = await stampedSession("signed_cookies", cookie);
      expect(stampsOf(answer)).toHaveLength(1);
      expect(validForOf(answer)).toBe(60000);
      const ending = await oracle.login("signed_cookies", "sue", PASSWORD, { signedAt: Math.floor(Date.now() / 1000) - COOKIE_AGE + 30 });
      const late = await askSession("signed_cookies", ending);
      expect([status(late), stampsOf(late), validForOf(late)]).toEqual([Status.GRANTED, [], undefined]);
    });

    it("a lost feed ends the lease and moves the epoch: a stamp given before never holds again", async () => {
      const stamp = await stampedGrant("eve");
      const epoch = child.epoch;
      await options.loseFeed();
      expect(await goesStale(stamp)).toBe(true);
      expect(await eventually(() => child.epoch > epoch, 40, 50)).toBe(true);
      // Back after the reconnect: a new grant is stamped under the new epoch, the old stamp stays stale.
      const again = await stampedGrant("eve");
      expect(again.epoch).toBeGreaterThan(stamp.epoch);
      expect(child.isCurrent(stamp)).toBe(false);
    });
  });
}
