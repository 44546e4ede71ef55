// The comparison suite shared by django-sqlite/-postgres/-mariadb.test.ts: the same users, groups and
// permissions are created through real Django, then every answer of the Node DjangoHandler is compared
// with Django's own modwsgi.check_password / modwsgi.groups_for_user / User.has_perm for the same input.
// Nothing here hard-codes an expected answer where Django can be asked instead; the few fixed
// expectations (e.g. "jürgen is granted") check that the fixture is what it claims to be.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import fc from "fast-check";
import { DjangoHandler, type DjangoHandlerOptions } from "../../src/django/handler.js";
import { djangoDefaults, type HasherOptions } from "../../src/django/hashers/index.js";
import type { CheckContext, PasswordVerdict } from "../../src/handlers/types.js";
import type { UserModelMapping } from "../../src/django/user-model.js";
import { startDjango, type CreateUserArgs, type DjangoOracle } from "../harness/django.js";

/** Cheap PBKDF2 on both sides (Django via DJANGO_PBKDF2_ITERATIONS, Node via the hasher options). */
export const TEST_ITERATIONS = 1000;

/** Django 3.2's hasher settings (the oracle is Debian's Django 3.2) with cheap PBKDF2. */
export function testHasherOptions(iterations = TEST_ITERATIONS): HasherOptions {
  const defaults = djangoDefaults("3.2");
  return withPbkdf2Iterations(defaults, iterations);
}

function withPbkdf2Iterations(options: HasherOptions, iterations: number): HasherOptions {
  return { ...options, params: { ...options.params, pbkdf2_sha256: { iterations }, pbkdf2_sha1: { iterations } } };
}

export function context(user: string): CheckContext {
  return { environ: {}, user, userBytes: Buffer.from(user, "utf8"), signal: new AbortController().signal, client: null };
}

/** A verdict in Django's terms: true, false, or None (null). */
export function asDjango(verdict: PasswordVerdict): boolean | null {
  if (verdict.kind === "granted") return true;
  if (verdict.kind === "denied") return false;
  return null;
}

export const CUSTOM_USER_MAPPING: Partial<UserModelMapping> = {
  userTable: "accounts_emailuser",
  usernameColumn: "email",
  isActiveColumn: null,
  userGroupsTable: "accounts_emailuser_groups",
  userGroupsUserColumn: "emailuser_id",
  userPermissionsTable: "accounts_emailuser_user_permissions",
  userPermissionsUserColumn: "emailuser_id",
};

/** A user the suite creates through Django: always hashed by Django, never stored verbatim. */
type Fixture = Omit<CreateUserArgs, "encoded">;

// Only auth.Group/Permission and contenttypes permissions: with a custom user model auth.User is swapped
// out and has no permissions.
const GROUPS: ReadonlyArray<{ name: string; permissions: string[] }> = [
  { name: "secret-agents", permissions: ["auth.view_permission", "auth.change_group"] },
  { name: "readers", permissions: ["contenttypes.view_contenttype"] },
  { name: "Ünïcode group", permissions: ["repo.commit"] },
];

function fixtures(customUser: boolean): Fixture[] {
  const name = (local: string): string => (customUser ? `${local}@example.org` : local);
  const users: Fixture[] = [
    { username: name("alice"), password: "wonderland", groups: ["secret-agents", "readers"], permissions: ["auth.add_group"] },
    { username: name("Bob"), password: "builder", groups: ["Ünïcode group"] },
    { username: name("root"), password: "rootpw", is_superuser: true },
    { username: name("nopass"), password: null, groups: ["readers"] },
    { username: name("jürgen"), password: "pässwörd", groups: ["secret-agents", "Ünïcode group"] },
    { username: name("old"), password: "old-hash", iterations: 100, groups: ["readers"] },
    { username: name("argon"), password: "argon-pw", hasher: "argon2", permissions: ["auth.delete_permission"] },
    { username: name("bcrypt"), password: "bcrypt-pw", hasher: "bcrypt_sha256" },
    { username: name("sha1pw"), password: "pbkdf2-sha1", hasher: "pbkdf2_sha1" },
    { username: name("empty"), password: "" },
  ];
  if (!customUser) {
    // The custom model has no is_active: these only exist where the column does.
    users.push({ username: "carol", password: "inactive", is_active: false, groups: ["secret-agents"], permissions: ["auth.add_group"] });
    users.push({ username: "ghost", password: "boo", is_active: false, is_superuser: true });
  }
  return users;
}

export interface ComparisonSuiteOptions {
  readonly label: string;
  /** DJANGO_DB_URL for the oracle and database= for the handler (each may point at a fresh database). */
  readonly databaseUrl: () => string;
  readonly customUser?: boolean;
  /** The database compares case-insensitively (MariaDB's utf8mb4_general_ci). */
  readonly caseInsensitive?: boolean;
  readonly handlerOptions?: Partial<DjangoHandlerOptions>;
  /** The handler shares statements between concurrent checks here (PostgreSQL). */
  readonly batched?: boolean;
}

/** Defines the comparison tests for one database inside the caller's describe(). */
export function defineComparisonSuite(options: ComparisonSuiteOptions): void {
  const customUser = options.customUser ?? false;
  const users = fixtures(customUser);
  let oracle: DjangoOracle;
  let handler: DjangoHandler;
  const probes = new Map<string, Set<string>>();

  describe(options.label, () => {
    beforeAll(async () => {
      oracle = await startDjango({ databaseUrl: options.databaseUrl(), customUser, pbkdf2Iterations: TEST_ITERATIONS });
      await oracle.createPermission("repo", "repository", "commit");
      for (const group of GROUPS) await oracle.createGroup(group.name, group.permissions);
      for (const user of users) await oracle.createUser(user);
      handler = new DjangoHandler({
        database: options.databaseUrl(),
        mapping: customUser ? CUSTOM_USER_MAPPING : undefined,
        hasherOptions: testHasherOptions(),
        ...options.handlerOptions,
      });
      // Each probe name with the passwords worth trying for it: nothing, a wrong one, and the password of
      // the user it was derived from (a case or space variant finds that user on case-insensitive databases).
      for (const user of users) {
        const passwords = ["", "wrong", ...(user.password === null ? [] : [user.password, user.password.toUpperCase()])];
        for (const variant of new Set([user.username, user.username.toUpperCase(), `${user.username} `, ` ${user.username}`])) {
          if (!probes.has(variant)) probes.set(variant, new Set());
          for (const password of passwords) probes.get(variant)?.add(password);
        }
      }
      for (const extra of ["nobody", "", "jurgen", "alice' OR '1'='1", "%", "_lice", "alice%"]) probes.set(extra, new Set(["", "wonderland"]));
    });

    afterAll(async () => {
      await handler?.close();
      await oracle?.close();
    });

    it("answers check_password exactly as Django's modwsgi handler for every user, case variant and password", async () => {
      let compared = 0;
      let granted = 0;
      for (const [name, passwords] of probes) {
        for (const password of passwords) {
          const mine = asDjango(await handler.checkPassword(context(name), password, Buffer.from(password)));
          const django = await oracle.checkPassword(name, password);
          expect({ name, password, answer: mine }).toEqual({ name, password, answer: django });
          compared++;
          if (mine === true) granted++;
        }
      }
      // The fixture really exercises all three answers.
      expect(granted).toBeGreaterThanOrEqual(users.filter((u) => u.password !== null && u.is_active !== false).length);
      expect(compared).toBeGreaterThan(probes.size * 2);
    });

    it("gives Django's answers when every probe is checked at once (PostgreSQL: many names per statement)", async () => {
      const outcome = <T>(promise: Promise<T>): Promise<{ answer: T } | { error: true }> =>
        promise.then((answer) => ({ answer }), () => ({ error: true as const }));
      // A NUL byte fails its own statement on PostgreSQL; in a batch it must fail only its own check.
      const cases = [...probes].flatMap(([name, passwords]) => [...passwords].map((password) => ({ name, password })));
      cases.push({ name: "alice\u0000", password: "wonderland" }, { name: "alice", password: "wonderland" });
      const expected: Array<{ answer: unknown } | { error: true }> = [];
      const expectedGroups: Array<{ answer: unknown } | { error: true }> = [];
      for (const { name, password } of cases) {
        const django = await outcome(oracle.checkPassword(name, password));
        expected.push(django);
        expectedGroups.push(
          "answer" in django ? { answer: { verdict: django.answer, groups: django.answer === true ? await oracle.groupsForUser(name) : [] } } : django,
        );
      }
      const before = handler.batchStats;
      const mine = await Promise.all(cases.map(({ name, password }) => outcome(handler.checkPassword(context(name), password, Buffer.from(password)).then(asDjango))));
      const mineWithGroups = await Promise.all(
        cases.map(({ name, password }) =>
          outcome(
            handler
              .checkPasswordAndAuthorize(context(name), password, Buffer.from(password), { groups: true, permissions: [] })
              .then(({ verdict, groups }) => ({ verdict: asDjango(verdict), groups: [...(groups ?? [])].sort() })),
          ),
        ),
      );
      const sortedGroups = expectedGroups.map((entry) =>
        "answer" in entry ? { answer: { ...(entry.answer as object), groups: [...(entry.answer as { groups: string[] }).groups].sort() } } : entry,
      );
      expect(cases.map((c, i) => ({ ...c, answer: mine[i] }))).toEqual(cases.map((c, i) => ({ ...c, answer: expected[i] })));
      expect(cases.map((c, i) => ({ ...c, answer: mineWithGroups[i] }))).toEqual(cases.map((c, i) => ({ ...c, answer: sortedGroups[i] })));
      const after = handler.batchStats;
      if (options.batched) {
        // Both operations really shared statements: fewer statements than names.
        expect(after.statements - before.statements).toBeGreaterThanOrEqual(2);
        expect(after.names - before.names).toBeGreaterThan(2 * (after.statements - before.statements));
      } else {
        expect(after).toEqual(before);
      }
    });

    it("matches Django on random spellings of the user names (case, spaces, Unicode normalisation, accents)", async () => {
      const known = users.filter((user) => user.password !== null);
      const spelling = fc.record({
        index: fc.nat({ max: known.length - 1 }),
        flips: fc.array(fc.boolean(), { minLength: 40, maxLength: 40 }),
        form: fc.constantFrom("NFC", "NFD", "NFKC", "strip-accents"),
        before: fc.constantFrom("", " ", "\t"),
        after: fc.constantFrom("", " ", "  ", "\u00a0"),
      });
      await fc.assert(
        fc.asyncProperty(spelling, async ({ index, flips, form, before, after }) => {
          const user = known[index] as Fixture;
          let name = [...user.username].map((c, i) => (flips[i % flips.length] ? c.toUpperCase() : c)).join("");
          name = form === "strip-accents" ? name.normalize("NFD").replace(/\p{M}/gu, "") : name.normalize(form);
          name = `${before}${name}${after}`;
          const password = user.password as string;
          const mine = asDjango(await handler.checkPassword(context(name), password, Buffer.from(password)));
          expect({ name, answer: mine }).toEqual({ name, answer: await oracle.checkPassword(name, password) });
        }),
        { numRuns: 120 },
      );
    });

    it("fails exactly where Django fails: a NUL byte in the user name", async () => {
      // PostgreSQL refuses NUL in text (psycopg2 raises, pg gets an error); SQLite and MariaDB just find nobody.
      const outcome = <T>(promise: Promise<T>): Promise<{ answer: T } | { error: true }> =>
        promise.then((answer) => ({ answer }), () => ({ error: true as const }));
      for (const name of ["alice\u0000", "\u0000"]) {
        const mine = await outcome(handler.checkPassword(context(name), "wonderland", Buffer.from("wonderland")).then(asDjango));
        expect(mine).toEqual(await outcome(oracle.checkPassword(name, "wonderland")));
        expect(await outcome(handler.groupsForUser(context(name)).then((groups) => [...groups]))).toEqual(await outcome(oracle.groupsForUser(name)));
      }
    });

    it("grants the non-ASCII user and denies the unusable password (fixture sanity)", async () => {
      const jurgen = customUser ? "jürgen@example.org" : "jürgen";
      const nopass = customUser ? "nopass@example.org" : "nopass";
      expect(await handler.checkPassword(context(jurgen), "pässwörd", Buffer.from("pässwörd"))).toEqual({ kind: "granted" });
      expect(await handler.checkPassword(context(nopass), "", Buffer.alloc(0))).toEqual({ kind: "denied" });
      expect(await handler.checkPassword(context("nobody"), "x", Buffer.from("x"))).toEqual({ kind: "not_found" });
    });

    it(
      options.caseInsensitive
        ? "finds users case-insensitively and ignoring trailing spaces, as Django does on this collation"
        : "matches user names exactly, as Django does on this database",
      async () => {
        const bob = customUser ? "bob@example.org" : "bob";
        const mine = asDjango(await handler.checkPassword(context(bob), "builder", Buffer.from("builder")));
        expect(mine).toBe(await oracle.checkPassword(bob, "builder"));
        expect(mine).toBe(options.caseInsensitive ? true : null);
      },
    );

    it("answers groups_for_user as Django's modwsgi handler for every probe name", async () => {
      let nonEmpty = 0;
      for (const name of probes.keys()) {
        const mine = [...(await handler.groupsForUser(context(name)))].sort();
        const django = (await oracle.groupsForUser(name)).sort();
        expect({ name, groups: mine }).toEqual({ name, groups: django });
        if (mine.length > 0) nonEmpty++;
      }
      expect(nonEmpty).toBeGreaterThan(0);
    });

    it("answers has_perm as Django's ModelBackend for every user and permission", async () => {
      const permissions = [
        "auth.add_group", "auth.view_permission", "auth.change_group", "auth.delete_permission", "contenttypes.view_contenttype",
        "repo.commit", "auth.no_such_perm", "auth.group.add_group", "", "auth",
      ];
      let yes = 0;
      for (const name of probes.keys()) {
        for (const permission of permissions) {
          const mine = await handler.hasPermission(context(name), [permission]);
          const django = await oracle.hasPerm(name, permission);
          expect({ name, permission, answer: mine }).toEqual({ name, permission, answer: django });
          if (mine) yes++;
        }
      }
      expect(yes).toBeGreaterThan(0);
      // Any one of several permissions is enough.
      const alice = customUser ? "alice@example.org" : "alice";
      expect(await handler.hasPermission(context(alice), ["repo.commit", "auth.view_permission"])).toBe(true);
      expect(await handler.hasPermission(context(alice), ["repo.commit", "auth.delete_group"])).toBe(false);
      // "At least one of none" is false, even for a superuser who has every permission.
      const root = customUser ? "root@example.org" : "root";
      expect(await handler.hasPermission(context(root), ["anything.at_all"])).toBe(true);
      expect(await handler.hasPermission(context(root), [])).toBe(false);
    });

    it("folds has_perm (and the groups) into check_password with Django's answers for every probe, and permissionsHeld agrees", async () => {
      const permissions = ["auth.add_group", "auth.view_permission", "repo.commit", "auth.no_such_perm", "auth.view_permission", ""];
      let held = 0;
      for (const [name, passwords] of probes) {
        const djangoHeld: string[] = [];
        for (const permission of new Set(permissions)) if (await oracle.hasPerm(name, permission)) djangoHeld.push(permission);
        expect({ name, held: [...(await handler.permissionsHeld(context(name), permissions))] }).toEqual({ name, held: djangoHeld });
        for (const password of passwords) {
          const django = await oracle.checkPassword(name, password);
          const asked = [...new Set(permissions)];
          const mine = await handler.checkPasswordAndAuthorize(context(name), password, Buffer.from(password), { groups: false, permissions: asked });
          const expected = { name, password, verdict: django, permissions: django === true ? djangoHeld : [] };
          expect({ name, password, verdict: asDjango(mine.verdict), permissions: [...(mine.permissions ?? [])] }).toEqual(expected);
          held += mine.permissions?.length ?? 0;
          if (django === true) {
            // Groups and permissions in one call: the same answers as Django's, groups included.
            const both = await handler.checkPasswordAndAuthorize(context(name), password, Buffer.from(password), { groups: true, permissions: asked });
            expect([...(both.permissions ?? [])]).toEqual(djangoHeld);
            expect([...(both.groups ?? [])].sort()).toEqual([...(await oracle.groupsForUser(name))].sort());
          }
        }
      }
      expect(held).toBeGreaterThan(0);
    });

    it("sees password changes and deactivation at once (no row cache by default)", async () => {
      const name = customUser ? "changer@example.org" : "changer";
      await oracle.createUser({ username: name, password: "first", groups: ["readers"] });
      expect(asDjango(await handler.checkPassword(context(name), "first", Buffer.from("first")))).toBe(true);
      await oracle.setPassword(name, "second");
      expect(asDjango(await handler.checkPassword(context(name), "first", Buffer.from("first")))).toBe(false);
      expect(asDjango(await handler.checkPassword(context(name), "second", Buffer.from("second")))).toBe(true);
      if (!customUser) {
        await oracle.setActive(name, false);
        expect(asDjango(await handler.checkPassword(context(name), "second", Buffer.from("second")))).toBe(await oracle.checkPassword(name, "second"));
        expect(await handler.groupsForUser(context(name))).toEqual([]);
      }
      await oracle.deleteUser(name);
      expect(await handler.checkPassword(context(name), "second", Buffer.from("second"))).toEqual({ kind: "not_found" });
    });
  });
}

/** Hash upgrade on and off, compared with what Django itself stores and accepts. */
export function defineUpgradeSuite(options: ComparisonSuiteOptions): void {
  const customUser = options.customUser ?? false;
  const name = (local: string): string => (customUser ? `${local}@example.org` : local);
  let oracle: DjangoOracle;
  const handlers: DjangoHandler[] = [];
  const open = (extra: Partial<DjangoHandlerOptions>): DjangoHandler => {
    const handler = new DjangoHandler({
      database: options.databaseUrl(),
      mapping: customUser ? CUSTOM_USER_MAPPING : undefined,
      hasherOptions: testHasherOptions(),
      ...options.handlerOptions,
      ...extra,
    });
    handlers.push(handler);
    return handler;
  };

  describe(`${options.label}: hash upgrade`, () => {
    beforeAll(async () => {
      oracle = await startDjango({ databaseUrl: options.databaseUrl(), customUser, pbkdf2Iterations: TEST_ITERATIONS, migrate: false });
    });
    afterAll(async () => {
      for (const handler of handlers) await handler.close();
      await oracle?.close();
    });

    it("off (the default): a correct login leaves an outdated hash untouched", async () => {
      const handler = open({});
      const created = await oracle.createUser({ username: name("keep-old"), password: "pw", iterations: 100 });
      expect(await oracle.mustUpdate(created.encoded)).toBe(true);
      expect(await handler.checkPassword(context(name("keep-old")), "pw", Buffer.from("pw"))).toEqual({ kind: "granted" });
      expect(await oracle.getPassword(name("keep-old"))).toBe(created.encoded);
    });

    it("on: stores the preferred hash as Django's setter would; Django accepts it and wants no further upgrade", async () => {
      const handler = open({ upgradeHashes: true });
      for (const [local, creation] of [
        ["upgrade-iterations", { iterations: 100 }],
        ["upgrade-argon2", { hasher: "argon2" }],
        ["upgrade-sha1", { hasher: "pbkdf2_sha1" }],
      ] as const) {
        const created = await oracle.createUser({ username: name(local), password: "secret", ...creation });
        expect(await oracle.mustUpdate(created.encoded)).toBe(true);
        // A wrong password never writes.
        expect(await handler.checkPassword(context(name(local)), "nope", Buffer.from("nope"))).toEqual({ kind: "denied" });
        expect(await oracle.getPassword(name(local))).toBe(created.encoded);

        expect(await handler.checkPassword(context(name(local)), "secret", Buffer.from("secret"))).toEqual({ kind: "granted" });
        const stored = await oracle.getPassword(name(local));
        expect(stored).not.toBe(created.encoded);
        expect(stored.startsWith(`pbkdf2_sha256$${TEST_ITERATIONS}$`)).toBe(true);
        expect(await oracle.mustUpdate(stored)).toBe(false);
        expect(await oracle.checkEncoded("secret", stored)).toBe(true);
        expect(await oracle.checkPassword(name(local), "secret")).toBe(true);
        // And the handler keeps accepting the new hash, without rewriting it again.
        expect(await handler.checkPassword(context(name(local)), "secret", Buffer.from("secret"))).toEqual({ kind: "granted" });
        expect(await oracle.getPassword(name(local))).toBe(stored);
      }
    });

    it("on: a hash that is current is never rewritten", async () => {
      const handler = open({ upgradeHashes: true });
      const created = await oracle.createUser({ username: name("current"), password: "pw" });
      expect(await oracle.mustUpdate(created.encoded)).toBe(false);
      expect(await handler.checkPassword(context(name("current")), "pw", Buffer.from("pw"))).toEqual({ kind: "granted" });
      expect(await oracle.getPassword(name("current"))).toBe(created.encoded);
    });

    it("on: a password changed between the read and the upgrade is not overwritten (compare-and-swap)", async () => {
      // The row cache makes the interleaving deterministic: the handler verifies against the row it read
      // before Django changed the password, then tries to swap in its upgrade.
      const handler = open({ upgradeHashes: true, rowCacheSeconds: 3600 });
      await oracle.createUser({ username: name("racer"), password: "before", iterations: 100 });
      expect(await handler.hasPermission(context(name("racer")), ["auth.view_group"])).toBe(false); // reads and caches the row
      const changed = await oracle.setPassword(name("racer"), "after");
      expect(await handler.checkPassword(context(name("racer")), "before", Buffer.from("before"))).toEqual({ kind: "granted" });
      expect(await oracle.getPassword(name("racer"))).toBe(changed);
      expect(await oracle.checkPassword(name("racer"), "after")).toBe(true);
      expect(await oracle.checkPassword(name("racer"), "before")).toBe(false);
    });
  });
}
