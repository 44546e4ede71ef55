// The verified-credential cache through the real Django handler on a real PostgreSQL database written by
// real Django (issue 5): every change a Django admin makes - password, activation, groups, deletion, a hash
// upgrade - decides the very next check, even though the pair (stored hash, password) was verified and
// remembered a moment before. Django itself (the oracle) gives the expected answer each time, so the
// handler is compared with what mod_wsgi + Django would say, not with hard-coded verdicts.
//
// The hash limiter is a real ConcurrencyLimiter that also counts the hashes it ran: that count is what
// proves a check was answered from the cache (no hash) or really verified (one hash). No timing anywhere.
import { mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { DjangoHandler } from "../../src/django/handler.js";
import { ConcurrencyLimiter } from "../../src/cache/concurrency-limiter.js";
import { VerifiedCredentialCache } from "../../src/cache/verified-credentials.js";
import type { PasswordVerdict } from "../../src/handlers/types.js";
import type { HasherOptions } from "../../src/django/hashers/index.js";
import { HandlerRegistry } from "../../src/handlers/registry.js";
import { Dispatcher } from "../../src/worker/dispatcher.js";
import type { WorkerRequest } from "../../src/worker/request.js";
import { Kind, Status } from "../../src/protocol/constants.js";
import { startPostgres, type PostgresServer } from "../harness/postgres.js";
import { startDjango, type DjangoOracle } from "../harness/django.js";
import { asDjango, context, testHasherOptions, TEST_ITERATIONS } from "./django-compare.js";

/** A real limiter that counts the tasks (hashes) it was given. */
class CountingLimiter extends ConcurrencyLimiter {
  hashes = 0;
  override run<T>(task: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    this.hashes++;
    return super.run(task, signal);
  }
}

let pg: PostgresServer;
let oracle: DjangoOracle;

beforeAll(async () => {
  pg = await startPostgres();
  oracle = await startDjango({ databaseUrl: pg.url, pbkdf2Iterations: TEST_ITERATIONS, migrate: true });
}, 120_000);

afterAll(async () => {
  await oracle?.close();
  await pg?.cleanup();
});

describe("verified-credential cache on PostgreSQL, zero staleness", () => {
  let cache: VerifiedCredentialCache;
  let limiter: CountingLimiter;
  let handler: DjangoHandler;
  let serial = 0;

  beforeEach(async () => {
    await handler?.close();
    cache = new VerifiedCredentialCache();
    limiter = new CountingLimiter(2);
    handler = new DjangoHandler({ database: pg.url, hasherOptions: testHasherOptions(), credentialCache: cache, hashLimiter: limiter });
  });
  afterAll(async () => handler?.close());

  /** A fresh user name per test, so tests share the database without sharing users. */
  const fresh = (base: string): string => `${base}-${++serial}`;

  const check = (user: string, password: string): Promise<PasswordVerdict> => handler.checkPassword(context(user), password, Buffer.from(password, "utf8"));

  /** The handler's verdict and Django's (modwsgi.check_password) for the same credentials, side by side. */
  async function both(user: string, password: string): Promise<{ handler: boolean | null; django: boolean | null }> {
    return { handler: asDjango(await check(user, password)), django: await oracle.checkPassword(user, password) };
  }

  /** Checks once so that the pair is in the cache, and proves that a repeat is answered without a hash. */
  async function warm(user: string, password: string): Promise<void> {
    expect(await check(user, password)).toEqual({ kind: "granted" });
    const before = limiter.hashes;
    expect(await check(user, password)).toEqual({ kind: "granted" });
    expect(limiter.hashes).toBe(before); // the repeat came from the cache
  }

  it("a repeated right password is verified once, then answered from the cache", async () => {
    const user = fresh("repeat");
    await oracle.createUser({ username: user, password: "s3cret" });
    const sizeBefore = cache.size;
    expect(await check(user, "s3cret")).toEqual({ kind: "granted" });
    expect(limiter.hashes).toBe(1);
    expect(cache.size).toBe(sizeBefore + 1);
    for (let i = 0; i < 5; i++) expect(await check(user, "s3cret")).toEqual({ kind: "granted" });
    expect(limiter.hashes).toBe(1);
    expect(cache.size).toBe(sizeBefore + 1);
  });

  it("a password change decides the next check: the old password is denied, the new one granted", async () => {
    const user = fresh("changer");
    await oracle.createUser({ username: user, password: "old-password" });
    await warm(user, "old-password");
    await oracle.setPassword(user, "new-password");
    expect(await both(user, "old-password")).toEqual({ handler: false, django: false });
    expect(await both(user, "new-password")).toEqual({ handler: true, django: true });
    // Setting the same password again makes a new salt, so a new stored hash: verified again, still right.
    await oracle.setPassword(user, "new-password");
    const before = limiter.hashes;
    expect(await both(user, "new-password")).toEqual({ handler: true, django: true });
    expect(limiter.hashes).toBe(before + 1);
  });

  it("deactivation decides the next check (no such user, as Django says), reactivation grants again", async () => {
    const user = fresh("leaver");
    await oracle.createUser({ username: user, password: "pw-leaver" });
    await warm(user, "pw-leaver");
    await oracle.setActive(user, false);
    expect(await check(user, "pw-leaver")).toEqual({ kind: "not_found" });
    expect(await oracle.checkPassword(user, "pw-leaver")).toBeNull();
    expect(await handler.groupsForUser(context(user))).toEqual(await oracle.groupsForUser(user));
    await oracle.setActive(user, true);
    expect(await both(user, "pw-leaver")).toEqual({ handler: true, django: true });
  });

  it("group removal decides the next groups answer while the password stays cached", async () => {
    const user = fresh("member");
    await oracle.createUser({ username: user, password: "pw-member", groups: ["cache-staff", "cache-editors"] });
    await warm(user, "pw-member");
    expect([...(await handler.groupsForUser(context(user)))].sort()).toEqual((await oracle.groupsForUser(user)).sort());
    await pg.query(
      `DELETE FROM auth_user_groups WHERE user_id = (SELECT id FROM auth_user WHERE username = $1)
         AND group_id = (SELECT id FROM auth_group WHERE name = 'cache-editors')`,
      [user],
    );
    const before = limiter.hashes;
    expect(await check(user, "pw-member")).toEqual({ kind: "granted" });
    expect(limiter.hashes).toBe(before); // still cached: the stored hash did not change
    const groups = await handler.groupsForUser(context(user));
    expect(groups).toEqual(await oracle.groupsForUser(user));
    expect(groups).toEqual(["cache-staff"]);
  });

  it("user deletion decides the next check: no such user, never a cached grant", async () => {
    const user = fresh("deleted");
    await oracle.createUser({ username: user, password: "pw-deleted" });
    await warm(user, "pw-deleted");
    await oracle.deleteUser(user);
    expect(await check(user, "pw-deleted")).toEqual({ kind: "not_found" });
    expect(await oracle.checkPassword(user, "pw-deleted")).toBeNull();
    // Re-created with another password: the cached pair (same user name, old hash) must not grant it.
    await oracle.createUser({ username: user, password: "pw-other" });
    expect(await both(user, "pw-deleted")).toEqual({ handler: false, django: false });
    expect(await both(user, "pw-other")).toEqual({ handler: true, django: true });
  });

  it("a hash upgrade (upgrade_hashes on) stores a new hash; the next check verifies that one and agrees with Django", async () => {
    await handler.close();
    handler = new DjangoHandler({ database: pg.url, hasherOptions: testHasherOptions(), credentialCache: cache, hashLimiter: limiter, upgradeHashes: true });
    const user = fresh("upgraded");
    const created = await oracle.createUser({ username: user, password: "pw-upgrade", iterations: TEST_ITERATIONS / 2 });
    expect(await oracle.mustUpdate(created.encoded)).toBe(true);
    expect(await check(user, "pw-upgrade")).toEqual({ kind: "granted" });
    const stored = await oracle.getPassword(user);
    expect(stored).not.toBe(created.encoded);
    expect(await oracle.mustUpdate(stored)).toBe(false);
    // The next check reads the new hash: a miss in the cache, so it is verified (one hash), and granted.
    const before = limiter.hashes;
    expect(await both(user, "pw-upgrade")).toEqual({ handler: true, django: true });
    expect(limiter.hashes).toBe(before + 1);
    // A wrong password against the upgraded hash is still wrong, as is the right one put back as an old hash
    // that was changed to another password meanwhile.
    expect(await both(user, "not-it")).toEqual({ handler: false, django: false });
    await oracle.setRawPassword(user, created.encoded);
    await oracle.setPassword(user, "pw-after");
    expect(await both(user, "pw-upgrade")).toEqual({ handler: false, django: false });
  });

  it("two users with the same password are separate entries, and one's change leaves the other granted", async () => {
    const first = fresh("twin");
    const second = fresh("twin");
    await oracle.createUser({ username: first, password: "shared-pw" });
    await oracle.createUser({ username: second, password: "shared-pw" });
    const sizeBefore = cache.size;
    await warm(first, "shared-pw");
    await warm(second, "shared-pw");
    expect(cache.size).toBe(sizeBefore + 2); // different salts, so different stored hashes
    await oracle.setPassword(second, "changed-pw");
    expect(await both(second, "shared-pw")).toEqual({ handler: false, django: false });
    expect(await both(first, "shared-pw")).toEqual({ handler: true, django: true });
  });

  it("two users sharing one stored hash: a change of one's hash ends the other's cached grant for it", async () => {
    const first = fresh("copy");
    const second = fresh("copy");
    const { encoded } = await oracle.createUser({ username: first, password: "copied-pw" });
    await oracle.createUser({ username: second, password: null, encoded });
    await warm(first, "copied-pw");
    // The same (hash, password) pair verified for the first user is valid for the second: Django agrees.
    expect(await both(second, "copied-pw")).toEqual({ handler: true, django: true });
    await oracle.setPassword(second, "not-copied");
    expect(await both(second, "copied-pw")).toEqual({ handler: false, django: false });
    expect(await both(first, "copied-pw")).toEqual({ handler: true, django: true });
  });

  it("a wrong password after a right one is still wrong, is hashed every time and never cached", async () => {
    const user = fresh("typo");
    await oracle.createUser({ username: user, password: "right-pw" });
    await warm(user, "right-pw");
    const size = cache.size;
    for (const wrong of ["right-pw ", "Right-pw", "right-p", "", "right-pwright-pw"]) {
      const before = limiter.hashes;
      expect(await both(user, wrong)).toEqual({ handler: false, django: false });
      expect(await both(user, wrong)).toEqual({ handler: false, django: false });
      expect(limiter.hashes).toBe(before + 2); // each attempt ran the hasher
    }
    expect(cache.size).toBe(size);
    expect(await check(user, "right-pw")).toEqual({ kind: "granted" });
  });

  it("an unusable password is never granted, cached or not", async () => {
    const user = fresh("unusable");
    await oracle.createUser({ username: user, password: "was-usable" });
    await warm(user, "was-usable");
    await oracle.setPassword(user, null);
    expect(await both(user, "was-usable")).toEqual({ handler: false, django: false });
  });

  it("a cached check does not wait for the hashing pool, even when it is full and has a queue", async () => {
    await handler.close();
    const pool = new CountingLimiter(1);
    handler = new DjangoHandler({ database: pg.url, hasherOptions: testHasherOptions(), credentialCache: cache, hashLimiter: pool });
    const user = fresh("busy");
    await oracle.createUser({ username: user, password: "pw-busy" });
    expect(await check(user, "pw-busy")).toEqual({ kind: "granted" });

    // The pool's only slot is held by a "slow hash" that finishes only when released.
    let release = (): void => {};
    const slowHash = pool.run(() => new Promise<void>((resolve) => (release = resolve)));
    expect(pool.running).toBe(1);
    // A wrong password (needs a real hash) queues behind it...
    let wrongSettled = false;
    const wrong = check(user, "flood-1").then((verdict) => {
      wrongSettled = true;
      return verdict;
    });
    // ...and so does an unknown user (hashed for timing parity), once their rows are read.
    let unknownSettled = false;
    const unknown = check(fresh("nobody"), "x").then((verdict) => {
      unknownSettled = true;
      return verdict;
    });
    // Both reach the pool's queue, unless one is answered without a hash: the unknown user would then
    // settle (not_found) while the slot is still held, and the flags below say so.
    while (pool.queued < 2 && !wrongSettled && !unknownSettled) await new Promise((resolve) => setImmediate(resolve));
    expect(wrongSettled).toBe(false);
    expect(unknownSettled).toBe(false);
    expect(pool.queued).toBe(2);
    // The cached check completes while the slot is still held and the others still wait.
    expect(await check(user, "pw-busy")).toEqual({ kind: "granted" });
    expect(pool.running).toBe(1);
    expect(pool.queued).toBe(2);
    expect(wrongSettled).toBe(false);
    expect(unknownSettled).toBe(false);
    release();
    await slowHash;
    expect(await wrong).toEqual({ kind: "denied" });
    expect(await unknown).toEqual({ kind: "not_found" });
  });
});

/** The real Django handler, counting which of its operations the worker called. */
class CountedDjangoHandler extends DjangoHandler {
  readonly calls = { checkPassword: 0, groupsForUser: 0, checkPasswordAndAuthorize: 0 };
  override checkPassword(...args: Parameters<DjangoHandler["checkPassword"]>) {
    this.calls.checkPassword++;
    return super.checkPassword(...args);
  }
  override groupsForUser(...args: Parameters<DjangoHandler["groupsForUser"]>) {
    this.calls.groupsForUser++;
    return super.groupsForUser(...args);
  }
  override checkPasswordAndAuthorize(...args: Parameters<DjangoHandler["checkPasswordAndAuthorize"]>) {
    this.calls.checkPasswordAndAuthorize++;
    return super.checkPasswordAndAuthorize(...args);
  }
}

describe("groups folded into the password check (Require group: one trip, one query)", () => {
  const SPEC = "type=django\ndatabase=fold";
  let handler: CountedDjangoHandler;
  let rowReuse: CountedDjangoHandler;
  let registry: HandlerRegistry;

  beforeAll(async () => {
    handler = new CountedDjangoHandler({ database: pg.url, hasherOptions: testHasherOptions() });
    rowReuse = new CountedDjangoHandler({ database: pg.url, hasherOptions: testHasherOptions(), rowCacheSeconds: 60 });
    registry = new HandlerRegistry({ factories: { django: (spec) => (spec["database"] === "reuse" ? rowReuse : handler) } });
    await oracle.createUser({ username: "fold-member", password: "pw-fold", groups: ["fold-staff", "fold-readers"] });
    await oracle.createUser({ username: "fold-loner", password: "pw-loner" });
    await oracle.createUser({ username: "fold-inactive", password: "pw-inactive", is_active: false, groups: ["fold-staff"] });
  });
  afterAll(async () => {
    // Closes both handlers: each test above asked the registry for the ones it used.
    await registry?.closeAll();
  });

  const passwordCheck = (user: string, password: string, groups: string[], spec = SPEC): WorkerRequest => ({
    kind: Kind.CHECK_PASSWORD,
    requestId: 1,
    handlerId: spec === SPEC ? 1 : 2,
    groupHandlerId: spec === SPEC ? 1 : 2,
    definitions: [{ id: spec === SPEC ? 1 : 2, spec }],
    user: { text: user, bytes: Buffer.from(user, "utf8") },
    password: { text: password, bytes: Buffer.from(password, "utf8") },
    realm: null,
    host: null,
    groups,
    permissions: [],
    environ: {},
    timeoutMs: null,
    client: null,
    sessionKey: null,
    wantUserFlags: false,
  });

  it("answers as checkPassword then groupsForUser would, and as Django does, for every kind of user", async () => {
    const cases: Array<[string, string]> = [
      ["fold-member", "pw-fold"],
      ["fold-member", "wrong"],
      ["fold-loner", "pw-loner"],
      ["fold-inactive", "pw-inactive"],
      ["fold-nobody", "pw"],
    ];
    for (const [user, password] of cases) {
      const folded = await handler.checkPasswordAndAuthorize(context(user), password, Buffer.from(password), { groups: true, permissions: [] });
      const verdict = await handler.checkPassword(context(user), password, Buffer.from(password));
      expect(folded.verdict).toEqual(verdict);
      expect(asDjango(folded.verdict)).toBe(await oracle.checkPassword(user, password));
      const expectedGroups = verdict.kind === "granted" ? await oracle.groupsForUser(user) : [];
      expect([...(folded.groups ?? [])].sort()).toEqual([...expectedGroups].sort());
    }
  });

  it("the worker answers CHECK_PASSWORD with GROUP_HANDLER_ID = HANDLER_ID with one handler call, and the groups are fresh", async () => {
    const dispatcher = new Dispatcher(registry);
    const signal = new AbortController().signal;
    const before = { ...handler.calls };
    const granted = await dispatcher.dispatch(passwordCheck("fold-member", "pw-fold", ["FOLD-STAFF", "other"]), signal);
    expect(granted).toEqual({ status: Status.GRANTED, groups: ["fold-staff"] });
    expect(await dispatcher.dispatch(passwordCheck("fold-member", "wrong", ["fold-staff"]), signal)).toEqual({ status: Status.DENIED });
    expect(await dispatcher.dispatch(passwordCheck("fold-nobody", "x", ["fold-staff"]), signal)).toEqual({ status: Status.USER_NOT_FOUND });
    expect(await dispatcher.dispatch(passwordCheck("fold-inactive", "pw-inactive", ["fold-staff"]), signal)).toEqual({ status: Status.USER_NOT_FOUND });
    expect(handler.calls).toEqual({ ...before, checkPasswordAndAuthorize: before.checkPasswordAndAuthorize + 4 });

    // A group removed in Django: the very next request's groups no longer have it.
    await pg.query(
      `DELETE FROM auth_user_groups WHERE user_id = (SELECT id FROM auth_user WHERE username = 'fold-member')
         AND group_id = (SELECT id FROM auth_group WHERE name = 'fold-staff')`,
    );
    expect(await dispatcher.dispatch(passwordCheck("fold-member", "pw-fold", ["fold-staff"]), signal)).toEqual({ status: Status.GRANTED, groups: [] });
    expect(await dispatcher.dispatch(passwordCheck("fold-member", "pw-fold", []), signal)).toEqual({
      status: Status.GRANTED,
      groups: await oracle.groupsForUser("fold-member"),
    });
  });

  it("with row reuse (row_cache_seconds) the fold falls back to the two operations and still answers the same", async () => {
    const dispatcher = new Dispatcher(registry);
    const signal = new AbortController().signal;
    const answer = await dispatcher.dispatch(passwordCheck("fold-loner", "pw-loner", ["fold-staff"], "type=django\ndatabase=reuse"), signal);
    expect(answer).toEqual({ status: Status.GRANTED, groups: [] });
    expect(rowReuse.calls).toEqual({ checkPassword: 0, groupsForUser: 1, checkPasswordAndAuthorize: 1 });
  });
});

describe("verified-credential cache under a flood, on SQLite made by Django", () => {
  // Django's salted MD5 hasher (in the hashers list, as a site migrating old hashes would have it) makes a
  // million real verifications affordable; each check still reads the user's row from the database.
  const FLOOD = Number(process.env.VERIFIED_CACHE_FLOOD ?? 1_000_000);
  const dir = mkdtempSync("/tmp/anp-verified-cache-");
  const databaseUrl = `sqlite://${join(dir, "flood.sqlite3")}`;
  const hasherOptions: HasherOptions = { ...testHasherOptions(), hashers: ["pbkdf2_sha256", "md5"] };
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it(`${FLOOD.toLocaleString("en")} distinct wrong passwords: every one denied, the cache does not grow at all`, async () => {
    const django = await startDjango({ databaseUrl, hashers: ["pbkdf2_sha256", "md5"] });
    try {
      await django.createUser({ username: "target", password: "the-right-one", hasher: "md5" });
      expect(await django.checkPassword("target", "wrong-0")).toBe(false);
    } finally {
      await django.close();
    }
    const cache = new VerifiedCredentialCache({ maxEntries: 1_000, maxBytes: 128 * 1024 });
    const limiter = new CountingLimiter(2);
    const flooded = new DjangoHandler({ database: databaseUrl, hasherOptions, credentialCache: cache, hashLimiter: limiter });
    try {
      expect(await flooded.checkPassword(context("target"), "the-right-one", Buffer.from("the-right-one"))).toEqual({ kind: "granted" });
      const size = cache.size;
      const bytes = cache.bytes;
      expect(size).toBe(1);
      const hashesBefore = limiter.hashes;
      let granted = 0;
      // A few checks in flight at a time, as a flood over several connections would be.
      const lanes = 8;
      await Promise.all(
        Array.from({ length: lanes }, async (_, lane) => {
          for (let i = lane; i < FLOOD; i += lanes) {
            const wrong = `flood-${i}`;
            const verdict = await flooded.checkPassword(context("target"), wrong, Buffer.from(wrong));
            if (verdict.kind !== "denied") granted++;
          }
        }),
      );
      expect(granted).toBe(0);
      expect(limiter.hashes - hashesBefore).toBe(FLOOD); // each one really verified
      expect(cache.size).toBe(size);
      expect(cache.bytes).toBe(bytes);
      // The logged-in user's pair survived the flood: still answered without a hash.
      const before = limiter.hashes;
      expect(await flooded.checkPassword(context("target"), "the-right-one", Buffer.from("the-right-one"))).toEqual({ kind: "granted" });
      expect(limiter.hashes).toBe(before);
    } finally {
      await flooded.close();
    }
  }, 600_000);
});
