// Unit tests of the Django handler's configuration: database URLs, spec keys, the user-model mapping's
// identifier check, and the SQL each dialect gets (identifiers quoted, values only as placeholders).
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { parseDatabaseUrl, describeLocation } from "../../src/django/database-url.js";
import { parseDjangoSpec, DEFAULT_POOL_SIZE } from "../../src/django/config.js";
import { DjangoConfigError } from "../../src/errors.js";
import { resolveMapping, DJANGO_AUTH_USER, MAPPING_SPEC_KEYS } from "../../src/django/user-model.js";
import { buildStatements } from "../../src/django/queries.js";
import { MYSQL_DIALECT, POSTGRES_DIALECT, SQLITE_DIALECT } from "../../src/django/database/types.js";
import { createDjangoHandler } from "../../src/django/handler.js";

function configError(run: () => unknown): DjangoConfigError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(DjangoConfigError);
    return error as DjangoConfigError;
  }
  throw new Error("expected a DjangoConfigError");
}

describe("parseDatabaseUrl", () => {
  it("reads PostgreSQL URLs over TCP and through a socket directory", () => {
    expect(parseDatabaseUrl("postgres://app:s%40cret@db.example:6543/site")).toEqual({
      driver: "postgres", host: "db.example", port: 6543, user: "app", password: "s@cret", database: "site",
    });
    expect(parseDatabaseUrl("postgresql://app@/site?host=/run/postgresql&port=5433")).toEqual({
      driver: "postgres", host: "/run/postgresql", port: 5433, user: "app", password: undefined, database: "site",
    });
    expect(parseDatabaseUrl("postgres://[::1]/site")).toMatchObject({ host: "::1", port: 5432 });
  });

  it("reads MySQL and MariaDB URLs, with an optional socket", () => {
    expect(parseDatabaseUrl("mysql://u:p@127.0.0.1:3307/db")).toEqual({
      driver: "mysql", host: "127.0.0.1", port: 3307, socketPath: undefined, user: "u", password: "p", database: "db",
    });
    expect(parseDatabaseUrl("mariadb://u@localhost/db?socket=%2Frun%2Fmysqld%2Fmysqld.sock")).toMatchObject({
      driver: "mysql", socketPath: "/run/mysqld/mysqld.sock", port: 3306,
    });
  });

  it("reads absolute SQLite paths only", () => {
    expect(parseDatabaseUrl("sqlite:///var/lib/site/db.sqlite3")).toEqual({ driver: "sqlite", path: "/var/lib/site/db.sqlite3" });
    expect(parseDatabaseUrl("sqlite:///srv/with%20space.db")).toEqual({ driver: "sqlite", path: "/srv/with space.db" });
    for (const bad of ["sqlite://relative/db.sqlite3", "sqlite:///", "sqlite:///x.db?mode=ro"]) {
      expect(configError(() => parseDatabaseUrl(bad)).key).toBe("database");
    }
  });

  it("rejects what it cannot use, naming the database key", () => {
    for (const bad of [
      "", "not a url", "oracle://x/db", "postgres://host", "postgres://host/", "postgres://host/a/b",
      "postgres://h/db?sslmode=prefer", "postgres://h/db?host=relative", "postgres://h:99999/db", "mysql://h/db?socket=rel",
    ]) {
      expect(configError(() => parseDatabaseUrl(bad)).key).toBe("database");
    }
  });

  it("describes a location without its password", () => {
    const text = describeLocation(parseDatabaseUrl("postgres://app:topsecret@db:5432/site"));
    expect(text).toBe("postgres://app:***@db:5432/site");
    expect(describeLocation(parseDatabaseUrl("mysql://u:hunter2@h/db"))).not.toContain("hunter2");
  });
});

describe("user-model mapping", () => {
  it("defaults to Django's auth_user schema", () => {
    expect(resolveMapping()).toEqual(DJANGO_AUTH_USER);
  });

  it("accepts plain identifiers and null for the optional flag columns", () => {
    const mapping = resolveMapping({ userTable: "accounts_emailuser", usernameColumn: "email", isActiveColumn: null });
    expect(mapping).toMatchObject({ userTable: "accounts_emailuser", usernameColumn: "email", isActiveColumn: null });
  });

  it("refuses anything that is not a plain identifier, naming the spec key", () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 20 }), (name) => {
        const plain = /^[A-Za-z_][A-Za-z0-9_]*$/.test(name);
        try {
          resolveMapping({ userTable: name });
          return plain;
        } catch (error) {
          return !plain && error instanceof DjangoConfigError && error.key === "user_table";
        }
      }),
    );
    for (const bad of ['auth_user"; DROP TABLE x; --', "a b", "1abc", "a-b", "x".repeat(64), "`x`"]) {
      expect(configError(() => resolveMapping({ usernameColumn: bad })).key).toBe("username_column");
    }
  });
});

describe("parseDjangoSpec", () => {
  const base = { type: "django", database: "sqlite:///tmp/x.sqlite3" };

  it("applies defaults", () => {
    const settings = parseDjangoSpec(base);
    expect(settings).toMatchObject({ upgradeHashes: false, poolSize: DEFAULT_POOL_SIZE, rowCacheSeconds: 0, mapping: {} });
    expect(settings.hasherOptions.hashers?.[0]).toBe("pbkdf2_sha256");
  });

  it("reads every mapping key, empty flag columns meaning no column", () => {
    const spec: Record<string, string> = { ...base };
    for (const key of Object.values(MAPPING_SPEC_KEYS)) spec[key] = `col_${key}`;
    spec.is_active_column = "";
    spec.is_superuser_column = "";
    const settings = parseDjangoSpec(spec);
    expect(settings.mapping.userTable).toBe("col_user_table");
    expect(settings.mapping.userPermissionsUserColumn).toBe("col_user_permissions_user_column");
    expect(settings.mapping.isActiveColumn).toBeNull();
    expect(settings.mapping.isSuperuserColumn).toBeNull();
  });

  it("reads the settings keys", () => {
    const settings = parseDjangoSpec({ ...base, upgrade_hashes: "on", pool_size: "9", row_cache_seconds: "30", django_version: "3.2", hashers: "argon2, pbkdf2_sha256" });
    expect(settings).toMatchObject({ upgradeHashes: true, poolSize: 9, rowCacheSeconds: 30 });
    expect(settings.hasherOptions.hashers).toEqual(["argon2", "pbkdf2_sha256"]);
    expect(settings.hasherOptions.params?.pbkdf2_sha256?.iterations).toBe(260_000);
  });

  it("names the key of every bad value", () => {
    const cases: Array<[Record<string, string>, string]> = [
      [{ ...base, colour: "blue" }, "colour"],
      [{ type: "script", database: base.database }, "type"],
      [{ type: "django" }, "database"],
      [{ ...base, database: "ftp://x/y" }, "database"],
      [{ ...base, upgrade_hashes: "yes" }, "upgrade_hashes"],
      [{ ...base, pool_size: "0" }, "pool_size"],
      [{ ...base, pool_size: "65" }, "pool_size"],
      [{ ...base, pool_size: "4.5" }, "pool_size"],
      [{ ...base, row_cache_seconds: "-1" }, "row_cache_seconds"],
      [{ ...base, django_version: "2.2" }, "django_version"],
      [{ ...base, hashers: "" }, "hashers"],
      [{ ...base, hashers: "pbkdf2_sha256,,argon2" }, "hashers"],
      [{ ...base, user_table: "" }, "user_table"],
    ];
    for (const [spec, key] of cases) expect(configError(() => parseDjangoSpec(spec)).key).toBe(key);
  });

  it("checks the hashers list when the handler is created from a spec", () => {
    expect(configError(() => createDjangoHandler({ ...base, hashers: "pbkdf2_sha256,rot13" })).key).toBe("hashers");
    expect(configError(() => createDjangoHandler({ ...base, hashers: "argon2,argon2" })).key).toBe("hashers");
  });

  it("checks identifiers when the handler is created from a spec", () => {
    expect(configError(() => createDjangoHandler({ ...base, username_column: "name' OR 1=1" })).key).toBe("username_column");
  });
});

describe("statements", () => {
  const custom = resolveMapping({
    userTable: "accounts_emailuser", usernameColumn: "email", isActiveColumn: null,
    userGroupsTable: "accounts_emailuser_groups", userGroupsUserColumn: "emailuser_id",
  });

  it("quotes identifiers per dialect and binds every value", () => {
    const pg = buildStatements(POSTGRES_DIALECT, resolveMapping());
    expect(pg.userByName).toBe(
      'SELECT u."id" AS "user_id", u."password" AS "password", u."is_active" AS "is_active", u."is_superuser" AS "is_superuser" ' +
        'FROM "auth_user" u WHERE u."username" = $1 LIMIT 2',
    );
    expect(pg.upgradePassword).toBe('UPDATE "auth_user" SET "password" = $1 WHERE "id" = $2 AND "password" = $3');
    const my = buildStatements(MYSQL_DIALECT, resolveMapping());
    expect(my.userByName).toContain("FROM `auth_user` u WHERE u.`username` = ? LIMIT 2");
    // MySQL collations are usually case-insensitive: the swap compares bytes.
    expect(my.upgradePassword).toBe("UPDATE `auth_user` SET `password` = ? WHERE `id` = ? AND `password` = BINARY ?");
    expect(buildStatements(SQLITE_DIALECT, resolveMapping()).permissions.match(/\?/g)).toHaveLength(2);
    expect(pg.permissions).toContain("$1");
    expect(pg.permissions).toContain("$2");
  });

  it("leaves out absent flag columns and uses the custom tables", () => {
    const statements = buildStatements(POSTGRES_DIALECT, custom);
    expect(statements.userByName).not.toContain("is_active");
    expect(statements.userByName).toContain('FROM "accounts_emailuser" u WHERE u."email" = $1');
    expect(statements.groupNames).toContain('"accounts_emailuser_groups" ug ON ug."group_id" = g."id" WHERE ug."emailuser_id" = $1');
    expect(statements.groupsByName).toBe(
      'SELECT u."id" AS "user_id", g."name" AS "name" FROM "accounts_emailuser" u ' +
        'LEFT JOIN "accounts_emailuser_groups" ug ON ug."emailuser_id" = u."id" ' +
        'LEFT JOIN "auth_group" g ON g."id" = ug."group_id" WHERE u."email" = $1',
    );
  });
});
