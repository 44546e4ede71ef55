// `NodeAuthDjangoOption defender_redis_url file:/path`: the Redis URL, with its password, lives in a file
// only root can read. httpd's parent reads it as root and passes it to the worker in the bootstrap, as it
// does NodeAuthDjangoDatabase's; the worker puts it in place of the file: value. Redis requires the
// password, so a lockout honoured here proves the worker used the file's URL.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { configTest, startApache, printErrorLogOnFailure, REPO_ROOT, type ApacheServer } from "../harness/apache.js";
import { startRedis, type RedisServer } from "../harness/redis.js";
import { seedDjango } from "../fixtures/use-cases/django.js";
import { moduleServerDirectives } from "../../src/demo/module-directives.js";

const REDIS_PASSWORD = "file-secret-redis-pw";
const servers: Array<ApacheServer | undefined> = [];
printErrorLogOnFailure(() => servers);

describe("defender_redis_url file: reaches the worker through the bootstrap only", () => {
  let server: ApacheServer;
  let redis: RedisServer;
  let dir = "";
  let secret = "";
  let conf = "";

  beforeAll(async () => {
    redis = await startRedis({ password: REDIS_PASSWORD });
    dir = mkdtempSync(join(tmpdir(), "anp-defender-secret-"));
    const databaseUrl = `sqlite://${join(dir, "db", "db.sqlite3")}`;
    mkdirSync(join(dir, "db"));
    await seedDjango(databaseUrl, { users: [{ username: "alice", password: "pw-Alice-1" }] });
    chmodSync(dir, 0o755);
    secret = join(dir, "defender-redis.url");
    writeFileSync(secret, `${redis.url}\n`, { mode: 0o600 });
    chmodSync(secret, 0o600);
    conf = [
      moduleServerDirectives(REPO_ROOT, { logLevel: "info" }),
      '<Location "/d/">',
      "    AuthType Basic",
      '    AuthName "defender secret"',
      "    AuthBasicProvider node",
      `    NodeAuthDjangoDatabase "${databaseUrl}"`,
      "    NodeAuthDjangoOption defender honour",
      `    NodeAuthDjangoOption defender_redis_url file:${secret}`,
      "    Require valid-user",
      "</Location>",
    ].join("\n");
    server = await startApache({ conf, files: { "d/index.html": "d\n" } });
    servers.push(server);
  }, 180_000);

  afterAll(async () => {
    await server?.stop();
    await redis?.cleanup();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test("apache2 -t accepts it; a right password is 200, and an address blocked in the password-protected Redis is 429", async () => {
    expect((await configTest({ conf })).ok).toBe(true);
    expect(await server.statusAs("/d/", "alice", "pw-Alice-1")).toBe(200);
    await redis.client.set("defender:blocked:ip:127.0.0.1", "blocked", "EX", 60);
    expect(await server.statusAs("/d/", "alice", "pw-Alice-1")).toBe(429);
    const asWwwData = spawnSync("runuser", ["-u", "www-data", "--", "cat", secret], { encoding: "utf8" });
    expect(asWwwData.status).not.toBe(0);
    expect(server.errorLog()).not.toContain(REDIS_PASSWORD);
  });

  test("a file httpd's User could read is refused at apache2 -t", async () => {
    chmodSync(secret, 0o644);
    try {
      const result = await configTest({ conf });
      expect(result.ok).toBe(false);
      expect(result.output).toContain("NodeAuthDjangoOption defender_redis_url: ");
      expect(result.output).not.toContain(REDIS_PASSWORD);
    } finally {
      chmodSync(secret, 0o600);
    }
  });

  test("a root-only file that does not hold a Redis URL is refused at apache2 -t, its content never quoted", async () => {
    const wrong = join(dir, "not-redis.url");
    writeFileSync(wrong, `postgres://u:${REDIS_PASSWORD}@127.0.0.1/db\n`, { mode: 0o600 });
    const result = await configTest({ conf: conf.replace(`file:${secret}`, `file:${wrong}`) });
    expect(result.ok).toBe(false);
    expect(result.output).toContain(`NodeAuthDjangoOption defender_redis_url: ${wrong} does not hold a Redis URL`);
    expect(result.output).not.toContain(REDIS_PASSWORD);
  });
});
