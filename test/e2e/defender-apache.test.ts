// django-defender through real Apache (mpm_event), the real worker, a Django 3.2 SQLite database made by
// real Django and a real password-protected redis-server: clients on loopback addresses (curl
// --interface 127.0.0.x), so each request's r->useragent_ip is the address defender's keys name.
// Keys are set by hand as django-defender's defender/utils.py sets them (block_ip: SET <prefix>:blocked:ip:<ip>
// "blocked" EX <cooloff>). Each address here fails fewer times than the worker's own throttle allows
// (its defaults: 10 per user and address, 100 per address), so every 429 is defender's; the lockout
// line's reason says so.
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, expect, test } from "vitest";
import { moduleServerDirectives } from "../../src/demo/module-directives.js";
import { NODE_MODULE_PATH, REPO_ROOT, nodeModuleBuilt, printErrorLogOnFailure, startApache, type ApacheServer } from "../harness/apache.js";
import { startDjango, type DjangoOracle } from "../harness/django.js";
import { startRedis, type RedisServer } from "../harness/redis.js";
import { basicLocation } from "../support/httpd-conf.js";
import { requestFromSync, type AddressAnswer } from "../support/client-address.js";
import { eventually } from "../support/eventually.js";
import { describeRequiring } from "../support/optional.js";

const REDIS_PASSWORD = "apache-defender-pw";

/** One request with Basic credentials from `ip` (a loopback address), by curl: the status and Retry-After. */
function basicFrom(server: ApacheServer, ip: string, user: string, password: string, path = "/d/"): AddressAnswer {
  return requestFromSync(server.url(path), ip, { user, password });
}

describeRequiring(nodeModuleBuilt(), "the module built (npm run build)")(`django-defender through Apache (${NODE_MODULE_PATH})`, () => {
  let server: ApacheServer | undefined;
  let redis: RedisServer;
  let oracle: DjangoOracle;
  let dir = "";

  printErrorLogOnFailure(() => server);

  beforeAll(async () => {
    redis = await startRedis({ password: REDIS_PASSWORD });
    dir = mkdtempSync(join(tmpdir(), "anp-defender-e2e-"));
    const file = join(dir, "db.sqlite3");
    oracle = await startDjango({ databaseUrl: `sqlite://${file}`, pbkdf2Iterations: 1000 });
    await oracle.createUser({ username: "alice", password: "alice-pw" });
    chmodSync(dir, 0o755);
    chmodSync(file, 0o644);
    const handler = [
      "AuthBasicProvider node",
      `NodeAuthDjangoDatabase "sqlite://${file}"`,
      "NodeAuthDjangoOption django_version 3.2",
      "NodeAuthDjangoOption defender record",
      `NodeAuthDjangoOption defender_redis_url "${redis.url}"`,
      "NodeAuthDjangoOption defender_login_failure_limit 2",
      "Require valid-user",
    ];
    server = await startApache({
      files: { "d/index.html": "d\n" },
      conf: [moduleServerDirectives(REPO_ROOT, { logLevel: "debug" }), "LogLevel info authnz_node:debug", basicLocation("/d/", "defender", handler)].join("\n"),
    });
  }, 300_000);

  afterAll(async () => {
    try {
      await server?.stop();
    } finally {
      await oracle?.close();
      await redis?.cleanup();
      if (dir) rmSync(dir, { recursive: true, force: true });
    }
  });

  beforeEach(async () => {
    await redis.client.flushall();
  });

  test("an address the site's defender blocked gets 429 with Retry-After, for a right password and an unknown user alike; another address gets 200", async () => {
    await redis.client.set("defender:blocked:ip:127.0.0.2", "blocked", "EX", 120);
    const right = basicFrom(server!, "127.0.0.2", "alice", "alice-pw");
    const unknown = basicFrom(server!, "127.0.0.2", "nobody", "x");
    // The same answer (Retry-After counts down between the two, so each is checked against the block).
    for (const answer of [right, unknown]) {
      expect(answer.status).toBe(429);
      expect(Number(answer.retryAfter)).toBeGreaterThanOrEqual(1);
      expect(Number(answer.retryAfter)).toBeLessThanOrEqual(120);
    }
    expect(basicFrom(server!, "127.0.0.3", "alice", "alice-pw").status).toBe(200);
    // The module's lockout line names the client, fail2ban-style.
    expect(await eventually(() => /client 127\.0\.0\.2\b.*defender/.test(server!.errorLog()))).toBe(true);
  });

  test("record: failures through Apache past the limit block the address in Redis; the right password then gets 429", async () => {
    for (let i = 0; i < 3; i++) expect(basicFrom(server!, "127.0.0.4", "alice", `wrong-${i}`).status).toBe(401);
    expect(await redis.client.get("defender:blocked:ip:127.0.0.4")).toBe("blocked");
    expect(basicFrom(server!, "127.0.0.4", "alice", "alice-pw").status).toBe(429);
  });

  test("Redis stopped: 500, never a login; 200 again once it is back", async () => {
    await redis.stop();
    try {
      expect(basicFrom(server!, "127.0.0.5", "alice", "alice-pw").status).toBe(500);
    } finally {
      await redis.restart();
    }
    expect(await eventually(() => basicFrom(server!, "127.0.0.5", "alice", "alice-pw").status === 200)).toBe(true);
  });

  test("Redis hung (SIGSTOP): 500 by the request's deadline, never a login; 200 again once it resumes", async () => {
    redis.suspend();
    try {
      expect(basicFrom(server!, "127.0.0.6", "alice", "alice-pw").status).toBe(500);
    } finally {
      redis.resume();
    }
    expect(await eventually(() => basicFrom(server!, "127.0.0.6", "alice", "alice-pw").status === 200)).toBe(true);
  });

  test("the Redis password is in no log", () => {
    expect(server!.errorLog()).not.toContain(REDIS_PASSWORD);
  });
});
