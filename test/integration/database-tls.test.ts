// Database TLS with verification, against a real PostgreSQL 15 and a real MariaDB serving TLS with a
// certificate this file makes (openssl): its own CA signs a server certificate for DNS:localhost only.
// verify-full / VERIFY_IDENTITY with that CA answers GRANTED; with another self-made CA it is ERROR, and
// the worker's log names the reason; connecting to 127.0.0.1 (a name the certificate does not carry)
// fails under verify-full and passes under verify-ca (MariaDB: a certificate for another name, since
// mysql2 checks no name for an IP address). The ERROR's REASON carries only the codes.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startDjango } from "../harness/django.js";
import { startMariaDB, type MariaDBServer } from "../harness/mariadb.js";
import { startPostgres, type PostgresServer } from "../harness/postgres.js";
import { makeCa, makeServerCert, type TestCa } from "../harness/tls-certs.js";
import { Status } from "../../src/protocol/constants.js";
import { Client, WorkerHarness, check, reason, status, type WorkerProcess } from "../harness/worker.js";

const ITERATIONS = 1000;
const USER = "tess";
const PASSWORD = "tess-pw";

let harness: WorkerHarness;
let ca: TestCa;
let otherCa: TestCa;
let worker: WorkerProcess;
let client: Client;

beforeAll(async () => {
  harness = WorkerHarness.create();
  ca = makeCa("anp test CA");
  otherCa = makeCa("anp other CA");
  worker = await harness.startWorker(["--log-level", "debug", "--timeout-ms", "8000"]);
  client = await Client.greeted(worker.socketPath);
});
afterAll(async () => {
  client?.close();
  await harness?.cleanup();
});

const djangoSpec = (database: string): string => `type=django\ndatabase=${database}\ndjango_version=3.2`;

/** The worker's log lines since `from` (a line count), joined. */
const logSince = (from: number): string => worker.lines.slice(from).join("\n");

/** Checks `url` and returns the answer's status and reason, and the worker's log lines it caused. */
async function tryUrl(url: string): Promise<{ status: number | undefined; reason: string; log: string }> {
  const from = worker.lines.length;
  const answer = await check(client, djangoSpec(url), USER, PASSWORD);
  // The worker logs each ERROR answer with the user's name; wait for it so the lines before are all in.
  if (status(answer) === Status.ERROR) await worker.waitForLine(new RegExp(`user="${USER}".*-> ERROR`));
  const marker = `flush-${from}`;
  await check(client, djangoSpec("sqlite:///nonexistent/db.sqlite3"), marker, "x");
  await worker.waitForLine(new RegExp(`user="${marker}"`));
  return { status: status(answer), reason: reason(answer), log: logSince(from) };
}

const CHAIN_FAILURE = /SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT_LOCALLY/;
const CHAIN_FAILURE_TEXT = /self[- ]signed certificate|unable to (verify|get local issuer)/i;

describe("PostgreSQL over TLS (sslmode, sslrootcert)", () => {
  let pg: PostgresServer;
  const url = (host: string, query: string): string => `postgres://postgres@${host}:${pg.port}/django?${query}`;

  beforeAll(async () => {
    pg = await startPostgres({ tls: makeServerCert(ca, "pg-server", ["DNS:localhost"]) });
    const oracle = await startDjango({ databaseUrl: pg.url, pbkdf2Iterations: ITERATIONS });
    await oracle.createUser({ username: USER, password: PASSWORD });
    await oracle.close();
  }, 120_000);
  afterAll(async () => {
    await pg?.cleanup();
  });

  it("verify-full with the right CA answers GRANTED, over TLS", async () => {
    const answer = await tryUrl(url("localhost", `sslmode=verify-full&sslrootcert=${ca.certFile}`));
    expect(answer).toMatchObject({ status: Status.GRANTED });
    const rows = await pg.query<{ ssl: boolean }>(
      "SELECT s.ssl FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) WHERE a.application_name = 'mod_authnz_node'",
    );
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.every((row) => row.ssl)).toBe(true);
  });

  it("verify-full with another CA answers ERROR, and the worker's log names the reason", async () => {
    const answer = await tryUrl(url("localhost", `sslmode=verify-full&sslrootcert=${otherCa.certFile}`));
    expect(answer.status).toBe(Status.ERROR);
    expect(answer.reason).toMatch(/^database error \(ERR_DATABASE [A-Z_]+\)$/);
    expect(answer.reason).toMatch(CHAIN_FAILURE);
    expect(answer.log).toMatch(/django handler: database failed \([A-Z_]+\): postgres:\/\/postgres@localhost:\d+\/django: /);
    expect(answer.log).toMatch(CHAIN_FAILURE_TEXT);
  });

  it("a host name the certificate does not carry fails under verify-full and passes under verify-ca", async () => {
    const full = await tryUrl(url("127.0.0.1", `sslmode=verify-full&sslrootcert=${ca.certFile}`));
    expect(full.status).toBe(Status.ERROR);
    expect(full.reason).toBe("database error (ERR_DATABASE ERR_TLS_CERT_ALTNAME_INVALID)");
    expect(full.log).toMatch(/does not match certificate's altnames/);
    expect(await tryUrl(url("127.0.0.1", `sslmode=verify-ca&sslrootcert=${ca.certFile}`))).toMatchObject({ status: Status.GRANTED });
    const wrongCa = await tryUrl(url("127.0.0.1", `sslmode=verify-ca&sslrootcert=${otherCa.certFile}`));
    expect(wrongCa.status).toBe(Status.ERROR);
    expect(wrongCa.reason).toMatch(CHAIN_FAILURE);
  });

  it("refuses an unknown sslmode naming the key, and an unreadable sslrootcert naming the file", async () => {
    const unknown = await tryUrl(url("localhost", "sslmode=verify-everything"));
    expect(unknown.status).toBe(Status.ERROR);
    expect(unknown.reason).toMatch(/sslmode: unknown value "verify-everything"/);
    const missing = await tryUrl(url("localhost", "sslmode=verify-full&sslrootcert=/nonexistent/ca.pem"));
    expect(missing.status).toBe(Status.ERROR);
    expect(missing.reason).toMatch(/sslrootcert: cannot read \/nonexistent\/ca\.pem \(ENOENT\)/);
  });
});

describe("MariaDB over TLS (ssl-mode, ssl-ca)", () => {
  let db: MariaDBServer;
  const url = (host: string, query: string): string => `mysql://django@${host}:${db.port}/django?${query}`;

  beforeAll(async () => {
    db = await startMariaDB({ tls: makeServerCert(ca, "mariadb-server", ["DNS:localhost"]) });
    const oracle = await startDjango({ databaseUrl: db.url, pbkdf2Iterations: ITERATIONS });
    await oracle.createUser({ username: USER, password: PASSWORD });
    await oracle.close();
  }, 120_000);
  afterAll(async () => {
    await db?.cleanup();
  });

  it("VERIFY_IDENTITY with the right CA answers GRANTED", async () => {
    expect(await tryUrl(url("localhost", `ssl-mode=VERIFY_IDENTITY&ssl-ca=${ca.certFile}`))).toMatchObject({ status: Status.GRANTED });
  });

  it("VERIFY_IDENTITY with another CA answers ERROR, and the worker's log names the reason", async () => {
    const answer = await tryUrl(url("localhost", `ssl-mode=VERIFY_IDENTITY&ssl-ca=${otherCa.certFile}`));
    expect(answer.status).toBe(Status.ERROR);
    // mysql2 gives every TLS failure the code HANDSHAKE_SSL_ERROR; the log line has the driver's text.
    expect(answer.reason).toBe("database error (ERR_DATABASE HANDSHAKE_SSL_ERROR)");
    expect(answer.log).toMatch(/django handler: database failed \(HANDSHAKE_SSL_ERROR\): mysql:\/\/django@localhost:\d+\/django: /);
    expect(answer.log).toMatch(CHAIN_FAILURE_TEXT);
  });

  it("refuses VERIFY_IDENTITY to an IP address, whose name mysql2 would not check", async () => {
    const answer = await tryUrl(url("127.0.0.1", `ssl-mode=VERIFY_IDENTITY&ssl-ca=${ca.certFile}`));
    expect(answer.status).toBe(Status.ERROR);
    expect(answer.reason).toMatch(/ssl-mode=VERIFY_IDENTITY: connect by the host name the certificate carries/);
  });

  it("a certificate for another host name fails under VERIFY_IDENTITY and passes under VERIFY_CA", async () => {
    await db.replaceTls(makeServerCert(ca, "mariadb-other-name", ["DNS:db.anp.test"]));
    const full = await tryUrl(url("localhost", `ssl-mode=VERIFY_IDENTITY&ssl-ca=${ca.certFile}`));
    expect(full.status).toBe(Status.ERROR);
    expect(full.reason).toBe("database error (ERR_DATABASE HANDSHAKE_SSL_ERROR)");
    expect(full.log).toMatch(/does not match certificate's altnames/);
    expect(await tryUrl(url("localhost", `ssl-mode=VERIFY_CA&ssl-ca=${ca.certFile}`))).toMatchObject({ status: Status.GRANTED });
    const wrongCa = await tryUrl(url("localhost", `ssl-mode=VERIFY_CA&ssl-ca=${otherCa.certFile}`));
    expect(wrongCa.status).toBe(Status.ERROR);
    expect(wrongCa.log).toMatch(CHAIN_FAILURE_TEXT);
  });

  it("refuses an unknown ssl-mode naming the key", async () => {
    const unknown = await tryUrl(url("localhost", "ssl-mode=PREFERRED"));
    expect(unknown.status).toBe(Status.ERROR);
    expect(unknown.reason).toMatch(/ssl-mode: unknown value "PREFERRED"/);
  });
});
