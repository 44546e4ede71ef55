// The mod-authnz-node CLI against a real Django database, every answer compared with Django's own
// (test/harness/django.ts): check-login with modwsgi.check_password, groups with groups_for_user, can with
// User.has_perm, hash-audit's counts with identify_hasher / must_update / decode() over the same table,
// make-password's hashes with check_password. Used by cli-sqlite, cli-postgres and cli-mariadb.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { djangoDefaults, makePassword } from "../../src/django/hashers/index.js";
import { CliHarness } from "../harness/cli.js";
import { DjangoOracleError, startDjango, type AuditRow, type DjangoOracle } from "../harness/django.js";

export interface CliSuiteOptions {
  readonly label: string;
  readonly databaseUrl: () => string;
}

/** One user of the fixture: how Django stores it, and the password a check-login tries. */
interface Fixture {
  readonly username: string;
  readonly tried: string;
  readonly create: () => Promise<unknown>;
}

/** The users, in creation (primary-key) order: every hasher state the audit tells apart. */
async function fixtures(oracle: DjangoOracle): Promise<Fixture[]> {
  const v32 = djangoDefaults("3.2");
  const current = await makePassword("current", v32);
  const cheap = (password: string, hasher: "bcrypt_sha256" | "argon2" | "scrypt") =>
    makePassword(password, {
      ...v32,
      hasher,
      params: { bcrypt_sha256: { rounds: 4 }, argon2: { timeCost: 1, memoryCost: 1024, parallelism: 1, hashLength: 16 }, scrypt: { workFactor: 1024 } },
    });
  const user = (username: string, tried: string, args: Omit<Parameters<DjangoOracle["createUser"]>[0], "username">): Fixture => ({
    username,
    tried,
    create: () => oracle.createUser({ username, ...args }),
  });
  return [
    user("alice", "wonderland", { password: "wonderland", iterations: 1000, groups: ["agents", "zeta"] }),
    user("bob", "builder", { password: "builder", encoded: await makePassword("builder", { hasher: "md5" }) }),
    user("carol", "inactive", { password: "inactive", iterations: 1000, is_active: false, groups: ["agents"] }),
    user("dave", "anything", { password: null }),
    user("root", "toor", { password: "toor", iterations: 1000, is_superuser: true }),
    user("erin", "current", { password: "current", encoded: current }),
    user("frank", "bcrypt", { password: "bcrypt", encoded: await cheap("bcrypt", "bcrypt_sha256") }),
    user("gina", "argon", { password: "argon", encoded: await cheap("argon", "argon2") }),
    user("henry", "sha1", { password: "sha1", hasher: "pbkdf2_sha1", iterations: 1000 }),
    user("ivan", "unsalted", { password: "unsalted", encoded: await makePassword("unsalted", { hasher: "unsalted_md5" }) }),
    user("judy", "", { password: "x", encoded: "" }),
    user("kim", "x", { password: "x", encoded: "garbage$abc" }),
    user("leo", "x", { password: "x", encoded: "pbkdf2_sha256$abc$salt$hash" }),
    user("mallory", "scrypt", { password: "scrypt", encoded: await cheap("scrypt", "scrypt") }),
    user("alice2", "wrong", { password: "right", iterations: 1000, groups: ["zeta"] }),
  ];
}

const VERDICT = new Map<boolean | null, string>([
  [true, "GRANTED"],
  [false, "DENIED"],
  [null, "USER_NOT_FOUND"],
]);
const VERDICT_EXIT: Record<string, number> = { GRANTED: 0, DENIED: 1, USER_NOT_FOUND: 2 };

/** Django's rows folded the way hash-audit counts them. */
function djangoCounts(rows: readonly AuditRow[]) {
  const byIterations: Record<string, number> = {};
  for (const row of rows.filter((r) => r.algorithm !== null)) {
    const key = `${row.algorithm}:${row.iterations ?? "-"}`;
    byIterations[key] = (byIterations[key] ?? 0) + 1;
  }
  return {
    users: rows.length,
    unusable: rows.filter((r) => !r.usable).length,
    would_upgrade: rows.filter((r) => r.must_update).length,
    not_accepted: rows.filter((r) => r.usable && r.algorithm === null).length,
    byIterations,
  };
}

export function defineCliSuite(options: CliSuiteOptions): void {
  describe(`mod-authnz-node CLI, ${options.label}`, () => {
    let cli: CliHarness;
    let oracle: DjangoOracle;
    let users: Fixture[];
    const db = (): string[] => ["--database", options.databaseUrl(), "--option", "django_version=3.2"];

    beforeAll(async () => {
      cli = CliHarness.create();
      // Django 3.2's own PASSWORD_HASHERS and iterations: the settings django_version=3.2 stands for.
      oracle = await startDjango({ databaseUrl: options.databaseUrl() });
      await oracle.createGroup("agents", ["auth.view_user"]);
      users = await fixtures(oracle);
      for (const fixture of users) await fixture.create();
    }, 120_000);
    afterAll(async () => {
      await oracle?.close();
      cli?.cleanup();
    });

    it("check-login's text answer names the groups and the flags", async () => {
      const result = await cli.run(["check-login", "alice", ...db()], "wonderland\n");
      expect(result.status).toBe(0);
      expect(result.stdout).toMatch(/^GRANTED\nhasher: +pbkdf2_sha256\niterations: +1000\nwould upgrade: +yes\ngroups: +agents, zeta\nis_active: +yes\nis_staff: +no\nis_superuser: +no\n$/);
      expect(result.stdout + result.stderr).not.toContain("wonderland");
    });

    it("check-login answers as modwsgi.check_password, with the hasher and must_update Django reads", async () => {
      // Django's check upgrades a hash it accepts (its setter), so the CLI, which never writes, goes first.
      const rows = await oracle.auditHashes();
      for (const [index, fixture] of [...users, { username: "nobody", tried: "x" }].entries()) {
        const result = await cli.run(["check-login", fixture.username, ...db(), "--json"], `${fixture.tried}\n`);
        // Django raises on a malformed stored value; the handler answers DENIED there (docs/hashers.md, "Never an exception").
        const django = await oracle.checkPassword(fixture.username, fixture.tried).catch((error: unknown) => {
          if (error instanceof DjangoOracleError && fixture.username === "leo") return false;
          throw error;
        });
        const answer = JSON.parse(result.stdout) as { result: string; hasher: string | null; would_upgrade: boolean; is_active: boolean | null };
        expect([fixture.username, answer.result]).toEqual([fixture.username, VERDICT.get(django)]);
        expect(result.status).toBe(VERDICT_EXIT[answer.result]);
        const row = rows[index];
        if (row === undefined) continue;
        expect([fixture.username, answer.would_upgrade]).toEqual([fixture.username, row.must_update]);
        if (row.algorithm !== null) expect([fixture.username, answer.hasher]).toEqual([fixture.username, row.algorithm]);
      }
    }, 120_000);

    it("groups lists what groups_for_user gives; exit 0 active, 1 inactive, 2 unknown", async () => {
      for (const name of ["alice", "alice2", "bob", "carol", "nobody"]) {
        const result = await cli.run(["groups", name, ...db(), "--json"]);
        const answer = JSON.parse(result.stdout) as { groups: string[]; exists: boolean };
        expect([name, [...answer.groups].sort()]).toEqual([name, (await oracle.groupsForUser(name)).sort()]);
        expect([name, result.status]).toEqual([name, name === "nobody" ? 2 : name === "carol" ? 1 : 0]);
      }
    });

    it("can answers as User.has_perm; exit 0 held, 1 not, 2 unknown", async () => {
      for (const [name, perm] of [["alice", "auth.view_user"], ["bob", "auth.view_user"], ["root", "auth.delete_group"], ["carol", "auth.view_user"], ["alice", "auth.nope"], ["nobody", "auth.view_user"]] as const) {
        const django = await oracle.hasPerm(name, perm);
        const result = await cli.run(["can", name, perm, ...db()]);
        expect([name, perm, result.stdout.trim()]).toEqual([name, perm, name === "nobody" ? "USER_NOT_FOUND" : django ? "yes" : "no"]);
        expect(result.status).toBe(name === "nobody" ? 2 : django ? 0 : 1);
      }
    });

    it("hash-audit's counts are Django's, read across pages", async () => {
      const django = djangoCounts(await oracle.auditHashes());
      const result = await cli.run(["hash-audit", ...db(), "--json", "--page-size", "4"]);
      expect(result.status).toBe(0);
      const report = JSON.parse(result.stdout) as {
        users: number;
        unusable: number;
        would_upgrade: number;
        not_accepted: number;
        by_iterations: Array<{ hasher: string; iterations: number | null; state: string; users: number }>;
      };
      const byIterations: Record<string, number> = {};
      for (const group of report.by_iterations.filter((g) => g.state === "ok" || g.state === "malformed")) {
        byIterations[`${group.hasher}:${group.iterations ?? "-"}`] = group.users;
      }
      expect({ users: report.users, unusable: report.unusable, would_upgrade: report.would_upgrade, not_accepted: report.not_accepted, byIterations }).toEqual(django);
      // The fixture has each kind at least once, so the comparison above is not vacuous.
      expect(django.unusable).toBeGreaterThan(0);
      expect(django.would_upgrade).toBeGreaterThan(0);
      expect(django.not_accepted).toBeGreaterThan(3);
    });

    it("make-password's hashes are accepted by Django's check_password", async () => {
      for (const args of [[], ["--hasher", "pbkdf2_sha256", "--iterations", "1000"], ["--hasher", "bcrypt_sha256", "--iterations", "4"], ["--hasher", "pbkdf2_sha1"]]) {
        const result = await cli.run(["make-password", "--option", "django_version=3.2", ...args], "pässwörd\n");
        expect(result.status).toBe(0);
        const encoded = result.stdout.trim();
        if (args[0] === "--hasher") expect(encoded.startsWith(`${args[1]}$`)).toBe(true);
        expect(await oracle.checkEncoded("pässwörd", encoded)).toBe(true);
        expect(await oracle.checkEncoded("passwörd", encoded)).toBe(false);
      }
    }, 60_000);
  });
}
