// The native throttle through real Apache and the real worker (a handler script's users, no database):
// clients on distinct loopback addresses (curl --interface 127.0.0.N), short windows and back-offs
// set by the NodeAuthThrottle* directives. What is checked is what a client and an operator see: 429 with
// Retry-After and the ANP0522 line for the flooding address, 200 for everyone else throughout, the right
// password refused from the locked pair until the back-off ends, counters that expire, challenges that
// never count, exempt addresses and NodeAuthThrottle Off never throttled, and 401 (not 429) where node is
// not the first AuthBasicProvider. 127.0.0.1 stays exempt (the harness's default), so each case has an
// address of its own and none depends on another's counters.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { nodeModuleBuilt, NODE_MODULE_PATH, printErrorLogOnFailure, REPO_ROOT, startApache, type ApacheServer } from "../harness/apache.js";
import { moduleServerDirectives } from "../../src/demo/module-directives.js";
import { requestFrom, type AddressAnswer } from "../support/client-address.js";
import { eventually } from "../support/eventually.js";
import { basicLocation } from "../support/httpd-conf.js";

const HANDLER = join(REPO_ROOT, "test/fixtures/module/handler.mjs");
const ALICE = { user: "alice", password: "wonderland" };
const PAIR_LIMIT = 3;
const ADDRESS_LIMIT = 6;
const BACKOFF = 2;
const WINDOW = 3;

/** One request with curl from `address` (a loopback address), with Basic credentials unless user is null. */
function get(httpd: ApacheServer, address: string, path: string, user: string | null, password = ""): Promise<AddressAnswer> {
  return requestFrom(httpd.url(path), address, user === null ? null : { user, password });
}

const sha = (password: string): string => `{SHA}${createHash("sha1").update(password).digest("base64")}`;

function conf(throttle: readonly string[]) {
  return (layout: { root: string }): string =>
    [
      moduleServerDirectives(REPO_ROOT),
      ...throttle,
      basicLocation("/secret/", "throttle", ["AuthBasicProvider node", `NodeAuthUserScript "${HANDLER}"`, "Require valid-user"]),
      basicLocation("/file-node/", "throttle", [
        "AuthBasicProvider file node",
        `AuthUserFile "${join(layout.root, "htpasswd")}"`,
        `NodeAuthUserScript "${HANDLER}"`,
        "Require valid-user",
      ]),
    ].join("\n");
}

const FILES = { "secret/index.html": "secret\n", "file-node/index.html": "file node\n", "../htpasswd": `someone:${sha("else")}\n` };

let server: ApacheServer | undefined;
printErrorLogOnFailure(() => server);

test("mod_authnz_node.so is built (npm run build:native)", () => {
  expect(nodeModuleBuilt(), `${NODE_MODULE_PATH} is missing`).toBe(true);
});

describe("the native throttle, on (short window and back-off)", () => {
  let httpd: ApacheServer;
  const lockouts = (address: string, user: string, answered: number): number =>
    (httpd.errorLog().match(new RegExp(`ANP0522: client ${address.replace(/\./g, "\\.")} locked out: user '${user}', reason '[^']*pair[^']*', until \\S+ \\(Retry-After \\d+\\), answered ${answered}`, "g")) ?? []).length;

  beforeAll(async () => {
    httpd = await startApache({
      files: FILES,
      modules: ["authn_file"],
      conf: conf([
        `NodeAuthThrottlePairLimit ${PAIR_LIMIT}`,
        `NodeAuthThrottleAddressLimit ${ADDRESS_LIMIT}`,
        `NodeAuthThrottleBackoff ${BACKOFF} ${BACKOFF}`,
        `NodeAuthThrottleWindow ${WINDOW}`,
        "NodeAuthThrottleExempt 127.0.0.4",
      ]),
    });
    server = httpd;
    if (!(await eventually(async () => (await get(httpd, "127.0.0.1", "/secret/", ALICE.user, ALICE.password)).status === 200))) {
      throw new Error("the worker never answered");
    }
  });
  afterAll(async () => {
    await httpd?.stop();
  });

  test("the worker runs with the flags of the directives", () => {
    const [worker] = httpd.workers();
    expect(worker).toBeDefined();
    const argv = readFileSync(`/proc/${String(worker!.pid)}/cmdline`, "utf8").split("\0");
    const flag = (name: string): string | undefined => argv[argv.indexOf(name) + 1];
    expect(flag("--throttle-pair-limit")).toBe(String(PAIR_LIMIT));
    expect(flag("--throttle-backoff")).toBe(`${BACKOFF},${BACKOFF}`);
    expect(flag("--throttle-window")).toBe(String(WINDOW));
    expect(argv).toEqual(expect.arrayContaining(["--throttle-exempt", "127.0.0.4"]));
  });

  test("a flooding address gets 429 with Retry-After past the pair limit; another address logs in with 200 throughout", async () => {
    for (let i = 0; i < PAIR_LIMIT; i++) {
      expect((await get(httpd, "127.0.0.2", "/secret/", ALICE.user, `wrong-${i}`)).status).toBe(401);
      expect((await get(httpd, "127.0.0.3", "/secret/", ALICE.user, ALICE.password)).status).toBe(200);
    }
    const throttled = await get(httpd, "127.0.0.2", "/secret/", ALICE.user, "wrong-again");
    expect(throttled.status).toBe(429);
    expect(Number(throttled.retryAfter)).toBeGreaterThanOrEqual(1);
    expect(Number(throttled.retryAfter)).toBeLessThanOrEqual(BACKOFF);
    expect(lockouts("127.0.0.2", "alice", 429)).toBeGreaterThanOrEqual(1);
    expect((await get(httpd, "127.0.0.3", "/secret/", ALICE.user, ALICE.password)).status).toBe(200);
    // The right password from the locked pair: refused until the back-off ends, then granted.
    expect((await get(httpd, "127.0.0.2", "/secret/", ALICE.user, ALICE.password)).status).toBe(429);
    expect(await eventually(async () => (await get(httpd, "127.0.0.2", "/secret/", ALICE.user, ALICE.password)).status === 200)).toBe(true);
    expect(httpd.errorLog()).not.toContain("wonderland");
  });

  test("the worker's lock scope reaches the child's memo: an address lock refuses another user there with no trip; a pair lock spares the address's other users", async () => {
    const remembered = (address: string, user: string): number =>
      (httpd.errorLog().match(new RegExp(`ANP0522: client ${address.replace(/\./g, "\\.")} locked out: user '${user}', reason 'throttled \\(remembered\\)'`, "g")) ?? []).length;
    // Failures for as many different users as the address limit (none reaches the pair limit) block the address.
    for (let i = 0; i < ADDRESS_LIMIT; i++) expect((await get(httpd, "127.0.0.8", "/secret/", `ghost-${i}`, "wrong")).status).toBe(401);
    // Each attempt: a check the worker refuses, address-scoped (or, once the block ended, one more failure
    // that blocks the address again), then at once one for another user, which the child answers itself.
    let n = 0;
    const addressRemembered = async (): Promise<boolean> => {
      n++;
      await get(httpd, "127.0.0.8", "/secret/", `prime-${n}`, "wrong");
      const probe = await get(httpd, "127.0.0.8", "/secret/", `probe-${n}`, "wrong");
      return probe.status === 429 && remembered("127.0.0.8", `probe-${n}`) === 1;
    };
    expect(await eventually(addressRemembered)).toBe(true);
    // A pair lock is user-scoped: the same user is remembered, another user from the address still asks.
    for (let i = 0; i < PAIR_LIMIT; i++) expect((await get(httpd, "127.0.0.9", "/secret/", ALICE.user, `wrong-${i}`)).status).toBe(401);
    const pairRemembered = async (): Promise<boolean> => {
      const before = remembered("127.0.0.9", "alice");
      await get(httpd, "127.0.0.9", "/secret/", ALICE.user, "wrong-again");
      const probe = await get(httpd, "127.0.0.9", "/secret/", ALICE.user, "wrong-again");
      return probe.status === 429 && remembered("127.0.0.9", "alice") > before;
    };
    expect(await eventually(pairRemembered)).toBe(true);
    expect((await get(httpd, "127.0.0.9", "/secret/", "bob", "builder")).status).toBe(200);
    expect(remembered("127.0.0.9", "bob")).toBe(0);
  });

  test("counters expire: failures below the limit, a quiet window, and as many again do not lock", async () => {
    for (let i = 0; i < PAIR_LIMIT - 1; i++) expect((await get(httpd, "127.0.0.6", "/secret/", "bob", `wrong-${i}`)).status).toBe(401);
    // Past the window with no failure, the pair's count is forgotten (the wait is the configured window,
    // not an assertion on time).
    await sleep((WINDOW + 1) * 1000);
    for (let i = 0; i < PAIR_LIMIT - 1; i++) expect((await get(httpd, "127.0.0.6", "/secret/", "bob", `wrong-${i}`)).status).toBe(401);
    expect((await get(httpd, "127.0.0.6", "/secret/", "bob", "builder")).status).toBe(200);
  });

  test("the plain 401 challenge (no credentials) is never counted", async () => {
    for (let i = 0; i < ADDRESS_LIMIT * 2; i++) expect((await get(httpd, "127.0.0.5", "/secret/", null)).status).toBe(401);
    expect((await get(httpd, "127.0.0.5", "/secret/", ALICE.user, ALICE.password)).status).toBe(200);
  });

  test("an exempt address is never throttled", async () => {
    for (let i = 0; i < ADDRESS_LIMIT + PAIR_LIMIT; i++) {
      expect((await get(httpd, "127.0.0.4", "/secret/", ALICE.user, `wrong-${i}`)).status).toBe(401);
    }
    expect((await get(httpd, "127.0.0.4", "/secret/", ALICE.user, ALICE.password)).status).toBe(200);
  });

  test("where node is not the first AuthBasicProvider, a throttled check is 401 (no 429), with the same line", async () => {
    for (let i = 0; i < PAIR_LIMIT; i++) expect((await get(httpd, "127.0.0.7", "/file-node/", ALICE.user, `wrong-${i}`)).status).toBe(401);
    const refused = await get(httpd, "127.0.0.7", "/file-node/", ALICE.user, ALICE.password);
    expect(refused.status).toBe(401);
    expect(refused.retryAfter).toBeNull();
    expect(lockouts("127.0.0.7", "alice", 401)).toBeGreaterThanOrEqual(1);
  });
});

describe("the native throttle, off", () => {
  let httpd: ApacheServer;

  beforeAll(async () => {
    httpd = await startApache({ files: FILES, modules: ["authn_file"], conf: conf(["NodeAuthThrottle Off", `NodeAuthThrottlePairLimit ${PAIR_LIMIT}`]) });
    server = httpd;
    if (!(await eventually(async () => (await get(httpd, "127.0.0.1", "/secret/", ALICE.user, ALICE.password)).status === 200))) {
      throw new Error("the worker never answered");
    }
  });
  afterAll(async () => {
    await httpd?.stop();
  });

  test("NodeAuthThrottle Off never throttles", async () => {
    for (let i = 0; i < PAIR_LIMIT * 3; i++) {
      expect((await get(httpd, "127.0.0.2", "/secret/", ALICE.user, `wrong-${i}`)).status).toBe(401);
    }
    expect((await get(httpd, "127.0.0.2", "/secret/", ALICE.user, ALICE.password)).status).toBe(200);
    expect(httpd.errorLog()).not.toMatch(/ANP0522/);
  });
});
