// Stamped grants end to end on a real database (used by stamped-grants-postgres and -sqlite): a worker started
// with --generations-fd on a table this test made and sized, a Django handler with change_feed on, Django (the
// oracle) making each change. A read-only mapping of the same file stands for an httpd child and judges every
// STAMP with the children's C rule (anp_generations_current): a grant's stamp is current, and stops being so
// soon after the change is committed; a refusal never carries one; a lost feed moves the epoch.
import { spawn } from "node:child_process";
import { closeSync, openSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GenerationsTable } from "../../src/cache/generations-table.js";
import { loadAddon } from "../../src/native/index.js";
import { fieldsOf, readStamp, Status, Tag, type Message, type StampValue } from "../../src/protocol/index.js";
import { CliHarness } from "../harness/cli.js";
import { startDjango, type DjangoOracle } from "../harness/django.js";
import { check, Client, status, WorkerHarness, WorkerProcess } from "../harness/worker.js";
import { WORKER_LISTENING } from "../support/error-log.js";
import { eventually } from "../support/eventually.js";

export interface StampedGrantSuiteOptions {
  readonly label: string;
  readonly databaseUrl: () => string;
  /** Takes the feed's connection away (or the file it reads) while the database stays up. */
  readonly loseFeed: () => Promise<void>;
}

const PASSWORD = "stamped-pw";
const SLOTS = 65536;

const stampsOf = (m: Message): StampValue[] => fieldsOf(m, Tag.STAMP).map(readStamp);

export function defineStampedGrantSuite(options: StampedGrantSuiteOptions): void {
  describe(`stamped grants on ${options.label}`, () => {
    let cli: CliHarness;
    let oracle: DjangoOracle;
    let harness: WorkerHarness;
    let worker: WorkerProcess;
    let client: Client;
    let child: GenerationsTable;
    let spec: string;

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
      oracle = await startDjango({ databaseUrl: options.databaseUrl(), pbkdf2Iterations: 1000 });
      await oracle.createGroup("readers");
      for (const username of ["ann", "ben", "cid", "dot", "eve"]) await oracle.createUser({ username, password: PASSWORD, groups: ["readers"] });
      const installed = await cli.run(["install-triggers", "--database", options.databaseUrl()]);
      expect(installed.stderr).toBe("");
      harness = WorkerHarness.create();
      const tablePath = join(harness.scratch, "generations");
      writeFileSync(tablePath, Buffer.alloc(8 * 8 + SLOTS * 8), { mode: 0o600 });
      const fd = openSync(tablePath, "r+");
      const socketPath = join(harness.socketDir(), "worker.sock");
      const process_ = spawn(process.execPath, [harness.workerJs, "--socket", socketPath, "--no-bootstrap", "--generations-fd", "3"], {
        stdio: ["ignore", "pipe", "pipe", fd],
      });
      closeSync(fd);
      worker = new WorkerProcess(process_, socketPath);
      const ready = await Promise.race([worker.waitForLine(WORKER_LISTENING), worker.exited]);
      if (typeof ready !== "string") throw new Error(`worker exited:\n${worker.log}`);
      const childFd = openSync(tablePath, "r");
      child = GenerationsTable.open(loadAddon()!, childFd, false);
      closeSync(childFd);
      client = await Client.greeted(socketPath);
      spec = ["type=django", `database=${options.databaseUrl()}`, "change_feed=on", "change_feed_poll_ms=5"].join("\n");
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
