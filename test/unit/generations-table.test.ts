// The generations table (native/anp_generations.c through the addon, src/cache/generations-table.ts): its
// layout checks, and the children's rule that decides whether a kept answer is current: the lease, the
// epoch, the slot's generation. Two mappings of one file in this process stand for the worker's (writable)
// and a child's (read-only), as the pages are shared the same way between processes.
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { GenerationsTable } from "../../src/cache/generations-table.js";
import { loadAddon } from "../../src/native/index.js";

const loaded = loadAddon();
if (loaded === null) throw new Error("build the addon first: npm run build:native");
const addon = loaded;

const HEADER_BYTES = 8 * 8;
const dir = mkdtempSync(join(tmpdir(), "anp-generations-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;

/** A new file of `bytes` zero bytes (or `content`), open with `flags`; returns its fd and path. */
function file(bytes: number, flags = "r+", content?: Buffer): { fd: number; path: string } {
  const path = join(dir, `t${String(files++)}`);
  writeFileSync(path, content ?? Buffer.alloc(bytes));
  return { fd: openSync(path, flags), path };
}

function pair(slots = 64): { worker: GenerationsTable; child: GenerationsTable } {
  const { fd, path } = file(HEADER_BYTES + slots * 8);
  const worker = GenerationsTable.open(addon, fd, true);
  const childFd = openSync(path, "r");
  const child = GenerationsTable.open(addon, childFd, false);
  closeSync(fd);
  closeSync(childFd);
  return { worker, child };
}

describe("the generations table's layout", () => {
  it("formats a new file of a valid size when mapped writable, and a read-only mapping then reads it", () => {
    const { worker, child } = pair(128);
    expect(worker.slots).toBe(128);
    expect(child.slots).toBe(128);
    expect(child.epoch).toBe(worker.epoch);
    expect(worker.epoch).toBeGreaterThan(0n);
  });

  it("refuses sizes that are no table: too small, not a power of two, not whole words", () => {
    for (const bytes of [0, HEADER_BYTES, HEADER_BYTES + 32 * 8, HEADER_BYTES + 100 * 8, HEADER_BYTES + 64 * 8 + 4]) {
      const { fd } = file(bytes);
      expect(() => addon.generationsMap(fd, true), `${String(bytes)} bytes`).toThrow(expect.objectContaining({ code: "EINVAL" }));
      closeSync(fd);
    }
  });

  it("a read-only mapping refuses a file not formatted, and one of another layout", () => {
    const blank = file(HEADER_BYTES + 64 * 8, "r");
    expect(() => addon.generationsMap(blank.fd, false)).toThrow(/layout/);
    const other = Buffer.alloc(HEADER_BYTES + 64 * 8);
    other.writeBigUInt64LE(0x314e45474e504e41n, 0);
    other.writeBigUInt64LE((2n << 32n) | 64n, 8);
    const foreign = file(0, "r", other);
    expect(() => addon.generationsMap(foreign.fd, false)).toThrow(/layout/);
    const writable = file(0, "r+", other);
    expect(() => addon.generationsMap(writable.fd, true), "nor is it reformatted by the worker").toThrow(/layout/);
  });

  it("a read-only mapping cannot be written through the addon either", () => {
    const { child } = pair();
    const { fd, path } = file(HEADER_BYTES + 64 * 8);
    GenerationsTable.open(addon, fd, true);
    const readOnly = addon.generationsMap(openSync(path, "r"), false);
    expect(() => addon.generationsBumpSlot(readOnly, 0)).toThrow(/read-only/);
    expect(() => addon.generationsBumpEpoch(readOnly)).toThrow(/read-only/);
    expect(() => addon.generationsSetLease(readOnly, 1n)).toThrow(/read-only/);
    expect(() => child.renewLease(1000)).toThrow(/read-only/);
    addon.generationsClose(readOnly);
    expect(() => addon.generationsSlot(readOnly, 0), "closed").toThrow(/closed/);
  });
});

describe("the children's rule: a kept answer is current while the lease runs, the epoch and the slot's generation are its own", () => {
  it("no lease, no current answer; a lease makes a fresh stamp current", () => {
    const { worker, child } = pair();
    const stamp = worker.stamp("42");
    expect(child.isCurrent(stamp), "the lease starts run out").toBe(false);
    worker.renewLease(10_000);
    expect(child.isCurrent(stamp)).toBe(true);
    worker.renewLease(0);
    expect(child.isCurrent(stamp), "a lease ended at once").toBe(false);
  });

  it("a lease that runs out by the clock ends current answers", async () => {
    const { worker, child } = pair();
    worker.renewLease(30);
    const stamp = worker.stamp("7");
    expect(child.isCurrent(stamp)).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(child.isCurrent(stamp)).toBe(false);
  });

  it("a change to the user moves its slot: its stamps are stale, a new stamp is current", () => {
    const { worker, child } = pair();
    worker.renewLease(10_000);
    const before = worker.stamp("42");
    const slot = worker.slotOf("42");
    const generation = worker.changed("42");
    expect(generation).toBe(before.generation + 1n);
    expect(child.generation(slot)).toBe(generation);
    expect(child.isCurrent(before)).toBe(false);
    expect(child.isCurrent(worker.stamp("42"))).toBe(true);
  });

  it("a change to another user leaves this one's stamp current unless they share a slot", () => {
    const { worker, child } = pair(1024);
    worker.renewLease(10_000);
    const alice = worker.stamp("1");
    const other = Array.from({ length: 50 }, (_, i) => String(i + 2)).find((key) => worker.slotOf(key) !== alice.slot) ?? "";
    worker.changed(other);
    expect(child.isCurrent(alice)).toBe(true);
  });

  it("a change to all (a gap in the feed) moves the epoch: every stamp is stale", () => {
    const { worker, child } = pair();
    worker.renewLease(10_000);
    const stamps = ["1", "2", "3"].map((key) => worker.stamp(key));
    worker.changedAll();
    for (const stamp of stamps) expect(child.isCurrent(stamp)).toBe(false);
  });

  it("a worker that maps the table again (a restart) starts a new epoch with the lease run out", () => {
    const { fd, path } = file(HEADER_BYTES + 64 * 8);
    const first = GenerationsTable.open(addon, fd, true);
    first.renewLease(10_000);
    const stamp = first.stamp("42");
    first.close();
    const again = GenerationsTable.open(addon, openSync(path, "r+"), true);
    const child = GenerationsTable.open(addon, openSync(path, "r"), false);
    expect(again.epoch).toBe(stamp.epoch + 1n);
    expect(again.lease).toBe(0n);
    again.renewLease(10_000);
    expect(child.isCurrent(stamp)).toBe(false);
    closeSync(fd);
  });

  it("a stamp naming a slot the table does not have is refused", () => {
    const { worker, child } = pair(64);
    worker.renewLease(10_000);
    expect(() => child.isCurrent({ ...worker.stamp("1"), slot: 64 })).toThrow(RangeError);
  });
});

describe("slots", () => {
  it("a key has one slot in a table; keys spread over the slots", () => {
    const { worker } = pair(64);
    expect(worker.slotOf("alice")).toBe(worker.slotOf("alice"));
    const used = new Set(Array.from({ length: 640 }, (_, i) => worker.slotOf(String(i))));
    expect(used.size).toBeGreaterThan(56);
  });

  it("each table draws its own key, so the users that share a slot differ from table to table", () => {
    const a = pair(1 << 16).worker;
    const b = pair(1 << 16).worker;
    const keys = Array.from({ length: 32 }, (_, i) => `user${String(i)}`);
    expect(keys.filter((key) => a.slotOf(key) === b.slotOf(key)).length).toBeLessThan(4);
  });
});
