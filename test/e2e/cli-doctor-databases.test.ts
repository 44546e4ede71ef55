// `mod-authnz-node doctor`'s database checks on real PostgreSQL and MariaDB servers (and SQLite's file modes):
// one configuration per database with a section per case, so that one `apache2 -t` run answers them all,
// each finding naming its section. A role with no grant at all fails `database`; the others lack exactly one
// kind of grant each, and the doctor must name the table, the privilege and the GRANT that fixes it; a fully
// granted role passes. django-version is held to argon2's and scrypt's costs, not only PBKDF2 iterations.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describeRequiring, requireOrSkip } from "../support/optional.js";
import { standaloneHead } from "../support/httpd-conf.js";
import { nodeModuleBuilt, NODE_MODULE_PATH, REPO_ROOT } from "../harness/apache.js";
import { CliHarness } from "../harness/cli.js";
import { startPostgres, type PostgresServer } from "../harness/postgres.js";
import { startMariaDB, type MariaDBServer } from "../harness/mariadb.js";
import { userIds } from "../harness/server-process.js";
import { seedDjango } from "../fixtures/use-cases/django.js";
import { startDjango } from "../harness/django.js";
import { djangoDefaults, makePassword } from "../../src/django/hashers/index.js";

const AUTH = ["AuthType Basic", 'AuthName "doctor"', "AuthBasicProvider node"];
const READ_TABLES = ["auth_user", "auth_group", "auth_user_groups", "auth_permission", "auth_group_permissions", "auth_user_user_permissions", "django_content_type", "django_session", "axes_accessattempt"];
const asRoot = process.getuid?.() === 0;

interface Finding {
  readonly check: string;
  readonly status: string;
  readonly detail: string;
  readonly fix?: string;
}

/** django-axes' AccessAttempt table as its migrations leave it (the columns the worker reads and writes). */
function axesTable(driver: "postgres" | "mysql"): string {
  const id = driver === "postgres" ? "id serial PRIMARY KEY" : "id integer AUTO_INCREMENT PRIMARY KEY";
  const time = driver === "postgres" ? "timestamptz" : "datetime(6)";
  return (
    `CREATE TABLE axes_accessattempt (${id}, user_agent varchar(255) NOT NULL, ip_address varchar(39) NULL, username varchar(255) NULL, ` +
    `http_accept varchar(1025) NOT NULL, path_info varchar(255) NOT NULL, attempt_time ${time} NOT NULL, get_data text NOT NULL, ` +
    `post_data text NOT NULL, failures_since_start integer NOT NULL, UNIQUE (username, ip_address, user_agent))`
  );
}

describeRequiring(nodeModuleBuilt(), "the module built (npm run build)")("mod-authnz-node doctor: grants and hasher costs per database", () => {
  let dir = "";
  let cli: CliHarness;
  let secretKey = "";

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "anp-doctor-db-"));
    chmodSync(dir, 0o755);
    cli = CliHarness.create();
    secretKey = join(dir, "secret_key");
    writeFileSync(secretKey, "not-a-real-key\n", { mode: 0o600 });
  });
  afterAll(() => {
    cli.cleanup();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** A configuration of its own ServerRoot with the module and `body`; the doctor's JSON findings. */
  async function doctor(name: string, body: readonly string[]): Promise<{ status: number | null; findings: Finding[] }> {
    const root = join(dir, name);
    mkdirSync(root, { mode: 0o755 });
    const lines = [
      ...standaloneHead(root, 65011),
      `LoadModule authnz_node_module ${NODE_MODULE_PATH}`,
      `NodeAuthNodeBinary "${process.execPath}"`,
      `NodeAuthWorker "${join(REPO_ROOT, "dist/worker.js")}"`,
      ...body,
    ];
    const conf = join(root, "httpd.conf");
    writeFileSync(conf, `${lines.join("\n")}\n`, { mode: 0o600 });
    const result = await cli.run(["doctor", "--config", conf, "--json"]);
    return { status: result.status, findings: (JSON.parse(result.stdout || "{}") as { findings?: Finding[] }).findings ?? [] };
  }

  const location = (path: string, url: string, options: readonly string[]): string[] => [
    `<Location "${path}">`,
    ...AUTH,
    `NodeAuthDjangoDatabase "${url}"`,
    ...options.map((option) => `NodeAuthDjangoOption ${option}`),
    "Require valid-user",
    "</Location>",
  ];
  /** The findings of `check` by section path: `<Location "/x">: ...` -> "/x". */
  const bySection = (findings: readonly Finding[], check: string): Map<string, Finding> =>
    new Map(findings.filter((f) => f.check === check).map((f) => [/^<Location "([^"]+)">/.exec(f.detail)?.[1] ?? f.detail, f]));

  /** Users whose stored hashes a newer Django made: scrypt with 5.1's parallelism, argon2 with a higher time cost. */
  async function newerHashes(): Promise<{ scrypt: string; argon2: string }> {
    const scrypt = await makePassword("pw-Alice-1", { ...djangoDefaults("5.1"), hasher: "scrypt" });
    const argon2 = await makePassword("pw-Bob-2", { ...djangoDefaults("5.1"), hasher: "argon2", params: { argon2: { timeCost: 3 } } });
    return { scrypt, argon2 };
  }

  /** The sections every server is checked with; `url(role)` is the database URL as that role. */
  function sections(url: (role: string) => string): string[] {
    const session = `secret_key_file ${secretKey}`;
    const costs = ["hashers scrypt,argon2,pbkdf2_sha256"];
    return [
      ...location("/none", url("anp_none"), []),
      ...location("/users-only", url("anp_users"), [session]),
      ...location("/read", url("anp_read"), [session, "axes honour", "axes_cooloff_time 1"]),
      ...location("/upgrade", url("anp_read"), ["upgrade_hashes on"]),
      ...location("/axes-record", url("anp_read"), ["axes record"]),
      ...location("/full", url("anp_full"), [session, "upgrade_hashes on", "axes record", "django_version 5.1", ...costs]),
      ...location("/scrypt-old", url("anp_full"), ["django_version 4.2", ...costs]),
      ...location("/argon2-upgrade", url("anp_full"), ["django_version 5.1", "hashers argon2,scrypt,pbkdf2_sha256", "upgrade_hashes on"]),
    ];
  }

  function expectFindings(findings: readonly Finding[], grantFix: (privilege: string, table: string, role: string) => string): void {
    const database = bySection(findings, "database");
    expect([...database.values()].map((f) => f.status)).toEqual(["fail", ...Array<string>(7).fill("ok")]);
    expect(database.get("/none")?.detail).toMatch(/as www-data: .*(permission denied for table auth_user|denied for user 'anp_none')/);
    const grants = bySection(findings, "database-grants");
    expect(grants.has("/none")).toBe(false);
    expect(grants.get("/users-only")).toMatchObject({ status: "fail", detail: expect.stringMatching(/groups: SELECT on auth_(user_)?groups? refused/) as unknown });
    expect(grants.get("/users-only")?.detail).toMatch(/permissions: SELECT on auth_\w+ refused/);
    expect(grants.get("/users-only")?.detail).toMatch(/sessions: SELECT on django_session refused/);
    expect(grants.get("/users-only")?.fix).toContain(grantFix("SELECT", "django_session", "anp_users"));
    expect(grants.get("/read")).toMatchObject({ status: "ok", detail: expect.stringMatching(/groups \(SELECT\), permissions \(SELECT\), sessions \(SELECT\), axes \(SELECT\)$/) as unknown });
    expect(grants.get("/upgrade")).toMatchObject({ status: "fail", detail: expect.stringMatching(/upgrade_hashes: UPDATE on auth_user refused/) as unknown, fix: grantFix("UPDATE", "auth_user", "anp_read") });
    const axes = grants.get("/axes-record");
    expect(axes?.status).toBe("fail");
    for (const privilege of ["INSERT", "UPDATE", "DELETE"]) expect(axes?.fix).toContain(grantFix(privilege, "axes_accessattempt", "anp_read"));
    expect(grants.get("/full")?.status).toBe("ok");
    for (const path of ["/scrypt-old", "/argon2-upgrade"]) expect(grants.get(path)?.status).toBe("ok");

    const versions = bySection(findings, "django-version");
    expect(versions.get("/full")?.status).toBe("ok");
    expect(versions.get("/scrypt-old")).toMatchObject({
      status: "warn",
      detail: expect.stringMatching(/1 of 3 scrypt hashes have higher cost parameters \(up to work_factor=16384, block_size=8, parallelism=5\) than django_version 4\.2 gives \(work_factor=16384, block_size=8, parallelism=1\)$/) as unknown,
    });
    expect(versions.get("/argon2-upgrade")).toMatchObject({ status: "fail", detail: expect.stringMatching(/1 of 3 argon2 hashes have higher cost parameters \(up to time_cost=3, .*rewrites them at the next login with lower costs$/) as unknown });
  }

  /** Django's own tables through Django (migrate, users), three users, two of them with a newer Django's hashes. */
  async function seed(url: string): Promise<void> {
    const oracle = await startDjango({ databaseUrl: url });
    try {
      await oracle.createGroup("agents");
      for (const [username, password] of [["alice", "pw-Alice-1"], ["bob", "pw-Bob-2"], ["carol", "pw-Carol-3"]] as const) await oracle.createUser({ username, password });
      const { scrypt, argon2 } = await newerHashes();
      await oracle.setRawPassword("alice", scrypt);
      await oracle.setRawPassword("bob", argon2);
    } finally {
      await oracle.close();
    }
  }

  describe("PostgreSQL", () => {
    let server: PostgresServer;
    beforeAll(async () => {
      server = await startPostgres();
    }, 120_000);
    afterAll(async () => {
      await server?.cleanup();
    });

    test("each missing grant fails with its table, privilege and GRANT; a fully granted role passes; argon2/scrypt costs", async () => {
      const q = (sql: string) => server.query(sql);
      await seed(server.url);
      await q(axesTable("postgres"));
      for (const role of ["anp_none", "anp_users", "anp_read", "anp_full"]) await q(`CREATE ROLE ${role} LOGIN`);
      await q("GRANT SELECT ON auth_user TO anp_users");
      await q(`GRANT SELECT ON ${READ_TABLES.join(", ")} TO anp_read, anp_full`);
      await q("GRANT UPDATE ON auth_user TO anp_full");
      await q("GRANT INSERT, UPDATE, DELETE ON axes_accessattempt TO anp_full");
      await q("GRANT USAGE ON SEQUENCE axes_accessattempt_id_seq TO anp_full");
      const url = (role: string) => `postgres://${role}@127.0.0.1:${String(server.port)}/${server.database}`;
      const { status, findings } = await doctor("postgres", sections(url));
      expectFindings(findings, (privilege, table, role) => `GRANT ${privilege} ON ${table} TO "${role}";`);
      expect(status).toBe(2);
    }, 180_000);
  });

  describe("MariaDB", () => {
    let server: MariaDBServer;
    beforeAll(async () => {
      server = await startMariaDB();
    }, 120_000);
    afterAll(async () => {
      await server?.cleanup();
    });

    test("each missing grant fails with its table, privilege and GRANT; a fully granted role passes; argon2/scrypt costs", async () => {
      const q = (sql: string) => server.query(sql);
      await seed(server.url);
      await q(axesTable("mysql"));
      const db = server.database;
      for (const role of ["anp_none", "anp_users", "anp_read", "anp_full"]) await q(`CREATE USER '${role}'@'%'`);
      await q(`GRANT SELECT ON \`${db}\`.auth_user TO 'anp_users'@'%'`);
      for (const table of READ_TABLES) await q(`GRANT SELECT ON \`${db}\`.${table} TO 'anp_read'@'%', 'anp_full'@'%'`);
      await q(`GRANT UPDATE ON \`${db}\`.auth_user TO 'anp_full'@'%'`);
      await q(`GRANT INSERT, UPDATE, DELETE ON \`${db}\`.axes_accessattempt TO 'anp_full'@'%'`);
      const url = (role: string) => `mysql://${role}@127.0.0.1:${String(server.port)}/${db}`;
      const { status, findings } = await doctor("mariadb", sections(url));
      expectFindings(findings, (privilege, table, role) => `GRANT ${privilege} ON \`${db}\`.\`${table}\` TO '${role}'@'%';`);
      expect(status).toBe(2);
    }, 180_000);
  });

  test("SQLite writes (upgrade_hashes): a file the worker's user cannot write, or its directory, fails with the chown; owned by it, ok", async (context) => {
    requireOrSkip(context, asRoot, "root: the files are given to www-data, the worker's user, with chown");
    const { uid, gid } = userIds("www-data");
    const make = async (name: string): Promise<string> => {
      const data = join(dir, name);
      mkdirSync(data, { mode: 0o755 });
      const file = join(data, "db.sqlite3");
      await seedDjango(`sqlite://${file}`, { groups: [], users: [{ username: "alice", password: "pw-Alice-1" }], checks: [] });
      return file;
    };
    const readOnly = await make("sqlite-ro");
    const dirLocked = await make("sqlite-dir");
    chmodSync(dirLocked, 0o666);
    const owned = await make("sqlite-owned");
    chownSync(owned, uid, gid);
    chownSync(join(owned, ".."), uid, gid);
    const body = [readOnly, dirLocked, owned].flatMap((file, i) => location(`/s${String(i)}`, `sqlite://${file}`, ["upgrade_hashes on"]));
    const { findings } = await doctor("sqlite", body);
    const grants = bySection(findings, "database-grants");
    expect(grants.get("/s0")).toMatchObject({ status: "fail", detail: expect.stringMatching(/upgrade_hashes: UPDATE on auth_user refused \(.*readonly database\)/) as unknown, fix: expect.stringContaining(`chown www-data ${readOnly}`) as unknown });
    expect(grants.get("/s1")).toMatchObject({ status: "fail", detail: expect.stringMatching(/sqlite journal: WRITE on .*sqlite-dir refused/) as unknown });
    expect(grants.get("/s2")?.status).toBe("ok");
  }, 120_000);
});
