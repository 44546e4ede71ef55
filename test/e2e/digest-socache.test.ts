// mod_authn_socache can cache the module's Digest answers (AuthnCacheProvideFor node): the module hands
// each HA1 it gets from the worker to mod_authn_socache's store, as mod_authn_file and mod_authn_dbd do.
// Against a real Apache and the real worker, with a script handler that counts its getRealmHash calls in
// a file: the second request with the same credentials is answered from the cache, the handler not asked.
import { describe, test, expect, beforeAll, afterAll } from "vitest";
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { startApache, printErrorLogOnFailure, nodeModuleBuilt, NODE_MODULE_PATH, REPO_ROOT, type ApacheServer } from "../harness/apache.js";
import { moduleServerDirectives } from "../../src/demo/module-directives.js";
import { eventually } from "../support/eventually.js";
import { WORKER_LISTENING } from "../support/error-log.js";

const REALM = "cached realm";

/** getRealmHash for alice / wonderland, appending a line to `calls` on each call. */
function countingHandler(calls: string): string {
  return `
import { appendFileSync } from "node:fs";
import { createHash } from "node:crypto";
export function checkPassword() { return null; }
export function getRealmHash(environ, user, realm) {
  appendFileSync(${JSON.stringify(calls)}, user + "\\n");
  if (user !== "alice") return null;
  return createHash("md5").update(user + ":" + realm + ":wonderland").digest("hex");
}
`;
}

/** curl with HTTP Digest (the harness speaks Basic only); returns the status code. */
function digestStatus(server: ApacheServer, path: string, user: string, password: string): number {
  const run = spawnSync("curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "--digest", "-u", `${user}:${password}`, server.url(path)], {
    encoding: "utf8",
    timeout: 60_000,
  });
  return Number(run.stdout);
}


let server: ApacheServer | undefined;
printErrorLogOnFailure(() => server);

test("mod_authnz_node.so is built (npm run build:native)", () => {
  expect(nodeModuleBuilt(), `${NODE_MODULE_PATH} is missing`).toBe(true);
});

describe("Digest answers cached by mod_authn_socache (AuthnCacheProvideFor node)", () => {
  let httpd: ApacheServer;
  let calls = "";
  const callCount = () => (existsSync(calls) ? readFileSync(calls, "utf8").split("\n").filter(Boolean).length : 0);

  beforeAll(async () => {
    httpd = await startApache({
      modules: ["auth_digest", "socache_shmcb", "authn_socache"],
      files: { "digest/index.html": "digest\n" },
      logLevel: "info authnz_node:debug",
      conf: (layout) => {
        calls = join(layout.root, "calls.txt");
        return [
          moduleServerDirectives(REPO_ROOT, { logLevel: "debug" }),
          "AuthnCacheSOCache shmcb",
          '<Location "/digest/">',
          "    AuthType Digest",
          `    AuthName "${REALM}"`,
          "    AuthDigestProvider socache node",
          "    AuthnCacheProvideFor node",
          "    AuthnCacheTimeout 300",
          `    NodeAuthUserScript "${join(layout.root, "handler.mjs")}"`,
          "    Require valid-user",
          "</Location>",
        ].join("\n");
      },
    });
    server = httpd;
    // Written once the ServerRoot (and so the calls file's path) is known; the worker loads it on first use.
    writeFileSync(join(httpd.root, "handler.mjs"), countingHandler(calls));
    // The worker may run as another user (httpd's User when the tests run as root).
    writeFileSync(calls, "");
    chmodSync(calls, 0o666);
    const listening = await eventually(async () => Promise.resolve(WORKER_LISTENING.test(httpd.errorLog())));
    if (!listening) throw new Error("the worker never said it was listening");
  });
  afterAll(async () => {
    await httpd?.stop();
  });

  test("the first request asks the handler, the next ones are answered from mod_authn_socache", () => {
    expect(digestStatus(httpd, "/digest/", "alice", "wonderland")).toBe(200);
    expect(callCount()).toBe(1);
    expect(digestStatus(httpd, "/digest/", "alice", "wonderland")).toBe(200);
    expect(digestStatus(httpd, "/digest/", "alice", "wonderland")).toBe(200);
    expect(callCount()).toBe(1);
    // A wrong password still fails: the cache holds the HA1, not a verdict.
    expect(digestStatus(httpd, "/digest/", "alice", "not-it")).toBe(401);
  });
});
