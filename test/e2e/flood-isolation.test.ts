// Flood isolation through real Apache, the real worker and a Django site on PostgreSQL, at the default
// django_version's hasher (PBKDF2 at Django's current rounds: each check a full hash). One address
// (127.0.0.2) floods wrong passwords for unknown users over many connections at once; a second address
// (127.0.0.3) meanwhile makes first logins with fresh users, one after another. The worker hashes at most
// one per CPU and serves waiting addresses in turn, and refuses an address with too many waiting at once
// (429 with Retry-After): so every first login is a 200, never a 500 at the deadline, and the flooder is
// told to back off instead of holding Apache's threads. Outcomes are counted; nothing is timed.
import { request } from "node:http";
import { afterAll, beforeAll, expect, test } from "vitest";
import { NODE_MODULE_PATH, REPO_ROOT, nodeModuleBuilt, printErrorLogOnFailure, startApache, type ApacheServer } from "../harness/apache.js";
import { startDjango } from "../harness/django.js";
import { startPostgres, type PostgresServer } from "../harness/postgres.js";
import { moduleServerDirectives } from "../../src/demo/module-directives.js";
import { describeRequiring } from "../support/optional.js";
import { location } from "../support/httpd-conf.js";

const FRESH_USERS = 6;
const FLOOD_LANES = 48;

interface Outcome {
  readonly status: number | "error";
  readonly retryAfter: string | null;
}

/** One GET from `localAddress` on a new connection, with Basic credentials. */
function getFrom(localAddress: string, url: string, user: string, password: string): Promise<Outcome> {
  return new Promise((resolve) => {
    const req = request(url, { agent: false, localAddress, headers: { Authorization: `Basic ${Buffer.from(`${user}:${password}`, "utf8").toString("base64")}` } }, (res) => {
      res.resume();
      res.on("end", () => resolve({ status: res.statusCode ?? 0, retryAfter: (res.headers["retry-after"] as string | undefined) ?? null }));
    });
    req.on("error", () => resolve({ status: "error", retryAfter: null }));
    req.end();
  });
}

describeRequiring(nodeModuleBuilt() && process.getuid?.() === 0, "the module built, and root (PostgreSQL runs as the postgres user)")(
  `flood isolation through Apache (${NODE_MODULE_PATH})`,
  () => {
    let server: ApacheServer | undefined;
    let pg: PostgresServer | undefined;
    const fresh = Array.from({ length: FRESH_USERS }, (_, i) => ({ user: `fresh${i}`, password: `fresh-Pw-${i}` }));

    beforeAll(async () => {
      pg = await startPostgres();
      const oracle = await startDjango({ databaseUrl: pg.url });
      try {
        for (const { user, password } of fresh) await oracle.createUser({ username: user, password });
      } finally {
        await oracle.close();
      }
      server = await startApache({
        // The module's brute-force defaults (NodeAuthHashQueue 8, the throttle on, nothing exempt): they are the subject.
        throttleTestDefaults: false,
        files: { "site/index.html": "site\n" },
        conf: [
          moduleServerDirectives(REPO_ROOT, { logLevel: "info" }),
          // Room for the whole flood and the second address at once: Apache's threads are not the bound here.
          "ServerLimit 10",
          "MaxRequestWorkers 80",
          // The handler's default django_version: its preferred hasher, at full cost, for every unknown user.
          location("/site/", ["AuthType Basic", 'AuthName "site"', "AuthBasicProvider node", `NodeAuthDjangoDatabase "${pg.url}"`, "Require valid-user"]),
        ].join("\n"),
      });
      // The handler is made and connected before the flood (its first request).
      expect((await getFrom("127.0.0.4", server.url("/site/"), "warm-up", "none")).status).toBe(401);
    }, 300_000);

    afterAll(async () => {
      try {
        await server?.stop();
      } finally {
        await pg?.cleanup();
      }
    });

    printErrorLogOnFailure(() => server);

    test("a second address's first logins are all 200 while another floods; the flooder gets 429 with Retry-After", async () => {
      const url = server!.url("/site/");
      let flooding = true;
      const flood: Outcome[] = [];
      let n = 0;
      const lanes = Array.from({ length: FLOOD_LANES }, async () => {
        while (flooding) {
          const i = n++;
          flood.push(await getFrom("127.0.0.2", url, `ghost${i}`, `wrong-${i}`));
        }
      });
      const logins: Outcome[] = [];
      try {
        // The first logins start once the flood is under way (its first answers are in).
        while (flood.length < FLOOD_LANES && flooding) await new Promise((r) => setImmediate(r));
        for (const { user, password } of fresh) logins.push(await getFrom("127.0.0.3", url, user, password));
      } finally {
        flooding = false;
        await Promise.all(lanes);
      }
      const count = (outcomes: Outcome[]) => outcomes.reduce<Record<string, number>>((acc, o) => ({ ...acc, [String(o.status)]: (acc[String(o.status)] ?? 0) + 1 }), {});
      expect({ logins: count(logins) }).toEqual({ logins: { "200": FRESH_USERS } });
      const throttled = flood.filter((o) => o.status === 429);
      expect(throttled.length, `flooder's answers: ${JSON.stringify(count(flood))}`).toBeGreaterThan(0);
      for (const o of throttled) expect(Number(o.retryAfter)).toBeGreaterThanOrEqual(1);
      // A wrong password is a 401 or a 429, never a grant.
      expect(flood.filter((o) => o.status === 200)).toEqual([]);
      // After the flood the second address still logs in.
      expect((await getFrom("127.0.0.3", url, "fresh0", "fresh-Pw-0")).status).toBe(200);
    });
  },
);
