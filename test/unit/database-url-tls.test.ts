// The TLS parameters of database URLs: sslmode/sslrootcert (PostgreSQL) and ssl-mode/ssl-ca (MySQL,
// MariaDB) map onto one TlsSettings; unknown values and a CA file nothing checks against are refused,
// naming the key. The servers themselves are in test/integration/database-tls.test.ts.
import { describe, expect, it } from "vitest";
import { parseDatabaseUrl } from "../../src/django/database-url.js";
import { DjangoConfigError } from "../../src/errors.js";

function refusal(url: string): string {
  try {
    parseDatabaseUrl(url);
  } catch (error) {
    if (error instanceof DjangoConfigError) return error.message;
    throw error;
  }
  throw new Error(`${url} was accepted`);
}

describe("database URL TLS parameters", () => {
  it("maps each PostgreSQL sslmode and MySQL ssl-mode", () => {
    const tls = (url: string): unknown => (parseDatabaseUrl(url) as { tls?: unknown }).tls;
    expect(tls("postgres://h/db")).toBeUndefined();
    expect(tls("postgres://h/db?sslmode=disable")).toBeUndefined();
    expect(tls("postgres://h/db?sslmode=require")).toEqual({ verify: "none", caFile: undefined });
    expect(tls("postgres://h/db?sslmode=verify-ca&sslrootcert=/etc/ca.pem")).toEqual({ verify: "ca", caFile: "/etc/ca.pem" });
    expect(tls("postgres://h/db?sslmode=verify-full")).toEqual({ verify: "full", caFile: undefined });
    expect(tls("mysql://h/db?ssl-mode=DISABLED")).toBeUndefined();
    expect(tls("mysql://h/db?ssl-mode=REQUIRED")).toEqual({ verify: "none", caFile: undefined });
    expect(tls("mariadb://h/db?ssl-mode=VERIFY_CA&ssl-ca=/etc/ca.pem")).toEqual({ verify: "ca", caFile: "/etc/ca.pem" });
    expect(tls("mysql://db.example/db?ssl-mode=VERIFY_IDENTITY&ssl-ca=/etc/ca.pem")).toEqual({ verify: "full", caFile: "/etc/ca.pem" });
  });

  it("refuses unknown modes, other drivers' spellings, and a CA file nothing checks, naming the key", () => {
    expect(refusal("postgres://h/db?sslmode=prefer")).toMatch(/sslmode: unknown value "prefer"/);
    expect(refusal("postgres://h/db?sslmode=VERIFY-FULL")).toMatch(/sslmode: unknown value/);
    expect(refusal("mysql://h/db?ssl-mode=verify_ca")).toMatch(/ssl-mode: unknown value "verify_ca"/);
    expect(refusal("mysql://h/db?sslmode=require")).toMatch(/unknown URL parameter "sslmode"/);
    expect(refusal("postgres://h/db?ssl-ca=/x")).toMatch(/unknown URL parameter "ssl-ca"/);
    expect(refusal("postgres://h/db?sslrootcert=/etc/ca.pem")).toMatch(/sslrootcert: needs sslmode=verify-ca or verify-full/);
    expect(refusal("postgres://h/db?sslmode=require&sslrootcert=/etc/ca.pem")).toMatch(/sslrootcert: needs/);
    expect(refusal("mysql://h/db?ssl-mode=REQUIRED&ssl-ca=/etc/ca.pem")).toMatch(/ssl-ca: needs ssl-mode=VERIFY_CA or VERIFY_IDENTITY/);
    expect(refusal("postgres://h/db?sslmode=verify-full&sslrootcert=relative.pem")).toMatch(/sslrootcert: must be an absolute path/);
    expect(refusal("mysql://127.0.0.1/db?ssl-mode=VERIFY_IDENTITY")).toMatch(/VERIFY_IDENTITY: connect by the host name/);
    expect(refusal("mysql://[::1]/db?ssl-mode=VERIFY_IDENTITY")).toMatch(/VERIFY_IDENTITY: connect by the host name/);
    expect(refusal("postgres://u@/db?host=/run/postgresql&sslmode=require")).toMatch(/sslmode: TLS is for TCP connections/);
    expect(refusal("mysql://u@localhost/db?socket=/run/mysqld/mysqld.sock&ssl-mode=VERIFY_CA")).toMatch(/ssl-mode: TLS is for TCP connections/);
  });
});
