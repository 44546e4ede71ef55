// `NodeAuthDjangoDatabase file:/path`: the database URL lives in a file only root can read. httpd's parent
// reads it as root and passes the content to the worker in the bootstrap; the worker, running as httpd's
// User (www-data), replaces the `file:` value with it. httpd's User can read neither the file nor the URL
// from the worker's command line or environment.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startApache, printErrorLogOnFailure, REPO_ROOT, type ApacheServer } from "../harness/apache.js";
import { seedDjango } from "../fixtures/use-cases/django.js";
import { moduleServerDirectives } from "../../src/demo/module-directives.js";

const servers: Array<ApacheServer | undefined> = [];
printErrorLogOnFailure(() => servers);

describe("a file: secret reaches the worker through the bootstrap only", () => {
  let server: ApacheServer;
  let dir = "";
  let secret = "";
  let databaseUrl = "";

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "anp-secret-file-"));
    databaseUrl = `sqlite://${join(dir, "db", "db.sqlite3")}`;
    mkdirSync(join(dir, "db"));
    await seedDjango(databaseUrl, { users: [{ username: "alice", password: "pw-Alice-1" }] });
    // Root's own, mode 0600, in a directory httpd's User can enter: only the read itself is refused.
    chmodSync(dir, 0o755);
    secret = join(dir, "django-db.url");
    writeFileSync(secret, `${databaseUrl}\n`, { mode: 0o600 });
    chmodSync(secret, 0o600);
    server = await startApache({
      mpm: "prefork",
      conf: [
        moduleServerDirectives(REPO_ROOT, { logLevel: "info" }),
        '<Location "/valid/">',
        "    AuthType Basic",
        '    AuthName "secret file"',
        "    AuthBasicProvider node",
        `    NodeAuthDjangoDatabase file:${secret}`,
        "    Require valid-user",
        "</Location>",
      ].join("\n"),
      files: { "valid/index.html": "valid\n" },
    });
    servers.push(server);
  }, 180_000);

  afterAll(async () => {
    await server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test("checks use the database the file names, which www-data cannot read", async () => {
    expect(await server.statusAs("/valid/", "alice", "pw-Alice-1")).toBe(200);
    expect(await server.statusAs("/valid/", "alice", "wrong")).toBe(401);
    const asWwwData = spawnSync("runuser", ["-u", "www-data", "--", "cat", secret], { encoding: "utf8" });
    expect(asWwwData.status).not.toBe(0);
    expect(asWwwData.stderr).toMatch(/Permission denied/);
    const [worker] = server.workers();
    if (worker === undefined) throw new Error("no worker under httpd");
    // The worker's command line and environment never carry the URL (read here as root).
    for (const what of ["cmdline", "environ"]) {
      expect(readFileSync(`/proc/${worker.pid}/${what}`, "latin1")).not.toContain(databaseUrl);
    }
  });
});
