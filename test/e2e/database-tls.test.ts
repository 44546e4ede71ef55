// Database TLS through a real Apache and worker: a PostgreSQL 15 serving TLS with a certificate for
// DNS:localhost signed by a CA this file makes (openssl). A location whose URL says verify-full with that
// CA answers 200; one that trusts another self-made CA answers 500, and httpd's error log names the
// reason, in the module's line (the TLS code) and in the worker's (the driver's text).
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { moduleServerDirectives } from "../../src/demo/module-directives.js";
import { printErrorLogOnFailure, REPO_ROOT, startApache, type ApacheServer } from "../harness/apache.js";
import { startDjango } from "../harness/django.js";
import { eventually } from "../support/eventually.js";
import { startPostgres, type PostgresServer } from "../harness/postgres.js";
import { makeCa, makeServerCert } from "../harness/tls-certs.js";
import { basicLocation } from "../support/httpd-conf.js";
import { WORKER_LISTENING, workerLine } from "../support/error-log.js";

let pg: PostgresServer | undefined;
let server: ApacheServer | undefined;
printErrorLogOnFailure(() => server);

function location(path: string, database: string): string {
  return basicLocation(path, "database tls", ["AuthBasicProvider node", `NodeAuthDjangoDatabase "${database}"`, "Require valid-user"]);
}

beforeAll(async () => {
  const ca = makeCa("anp e2e CA");
  const otherCa = makeCa("anp e2e other CA");
  pg = await startPostgres({ tls: makeServerCert(ca, "pg-server", ["DNS:localhost"]) });
  const oracle = await startDjango({ databaseUrl: pg.url, pbkdf2Iterations: 1000 });
  await oracle.createUser({ username: "tess", password: "tess-pw" });
  await oracle.close();
  const url = (caFile: string): string => `postgres://postgres@localhost:${pg!.port}/django?sslmode=verify-full&sslrootcert=${caFile}`;
  server = await startApache({
    conf: [moduleServerDirectives(REPO_ROOT), location("/right/", url(ca.certFile)), location("/wrong/", url(otherCa.certFile))].join("\n"),
    files: { "right/index.html": "right\n", "wrong/index.html": "wrong\n" },
    logLevel: "info",
  });
  const ready = await eventually(async () => Promise.resolve(WORKER_LISTENING.test(server?.errorLog() ?? "")), 600);
  if (!ready) throw new Error("the worker never said it was listening");
}, 120_000);

afterAll(async () => {
  await server?.stop();
  await pg?.cleanup();
});

describe("PostgreSQL over verified TLS, through Apache", () => {
  test("verify-full with the right CA answers 200", async () => {
    expect(await server!.statusAs("/right/", "tess", "tess-pw")).toBe(200);
    expect(await server!.statusAs("/right/", "tess", "wrong")).toBe(401);
  });

  test("verify-full with another CA answers 500, and the error log names the reason", async () => {
    expect(await server!.statusAs("/wrong/", "tess", "tess-pw")).toBe(500);
    const logged = await eventually(async () => Promise.resolve(/django handler: database failed/.test(server!.errorLog())), 600);
    expect(logged).toBe(true);
    const log = server!.errorLog();
    // The server sends its certificate without the CA's: Node says it cannot verify the leaf.
    expect(log).toMatch(/ANP0\d+: [^\n]*user 'tess'[^\n]*: database error \(ERR_DATABASE (UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT_IN_CHAIN)\)$/m);
    expect(log).toMatch(
      workerLine("warn", /django handler: database failed \([A-Z_]+\): postgres:\/\/postgres@localhost:\d+\/django: (unable to verify the first certificate|self[- ]signed certificate in certificate chain)/),
    );
  });
});
