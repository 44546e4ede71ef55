// The environ a script handler gets cannot be steered by the client: through a real Apache and worker,
// the script fixture (test/fixtures/module/handler.mjs, user "inspector") grants only when the environ
// holds exactly what the X-Expect header names (null: the key is absent), and fails the check otherwise.
// - A header name with characters other than letters, digits and '-' is not exported (as httpd's own CGI
//   environ, ap_add_common_vars): X_Remote_User cannot stand in for X-Remote-User, in either order.
// - The module's own entries (REMOTE_USER, the location, AuthName, ...) come before the headers, so
//   8 headers of 8 KB that fill the frame cannot push them out; when the module's own entries alone do
//   not fit, the check fails (500, ANP0350) instead of reaching the script without them.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { join } from "node:path";
import { startApache, printErrorLogOnFailure, REPO_ROOT, type ApacheServer } from "../harness/apache.js";
import { moduleServerDirectives } from "../../src/demo/module-directives.js";
import { eventually } from "../support/eventually.js";
import { WORKER_LISTENING } from "../support/error-log.js";

const HANDLER = join(REPO_ROOT, "test/fixtures/module/handler.mjs");
const INSPECTOR = `Basic ${Buffer.from("inspector:look-inside").toString("base64")}`;

const servers: Array<ApacheServer | undefined> = [];
printErrorLogOnFailure(() => servers);

describe("the environ sent to script handlers", () => {
  let server: ApacheServer;

  beforeAll(async () => {
    server = await startApache({
      mpm: "prefork",
      conf: [
        moduleServerDirectives(REPO_ROOT, { logLevel: "info" }),
        // Long enough for a request URI that, with the module's other entries, cannot fit one frame.
        "LimitRequestLine 100000",
        "LimitRequestFields 300",
        '<Location "/valid/">',
        "    AuthType Basic",
        '    AuthName "environ"',
        "    AuthBasicProvider node",
        `    NodeAuthUserScript "${HANDLER}"`,
        "    Require valid-user",
        "</Location>",
      ].join("\n"),
      files: { "valid/index.html": "valid\n" },
      logLevel: "info authnz_node:debug",
    });
    servers.push(server);
    const ready = await eventually(async () => Promise.resolve(WORKER_LISTENING.test(server.errorLog())), 600);
    if (!ready) throw new Error("the worker never said it was listening");
  }, 180_000);

  afterAll(async () => {
    await server?.stop();
  });

  const expectHeader = (expected: Record<string, string | null>) => ["X-Expect", JSON.stringify(expected)] as const;

  test.each([
    ["underscore first", [["X_Remote_User", "mallory"], ["X-Remote-User", "proxy-set"]]],
    ["dash first", [["X-Remote-User", "proxy-set"], ["X_Remote_User", "mallory"]]],
  ] as const)("X_Remote_User and X-Remote-User (%s): only the dash form is exported", async (_, pair) => {
    const response = await server.request("/valid/", {
      authorization: INSPECTOR,
      headers: [expectHeader({ HTTP_X_REMOTE_USER: "proxy-set", REMOTE_USER: "inspector" }), ...pair, ["Remote_User", "mallory"]],
    });
    expect(response.status).toBe(200);
  });

  test("8 headers of 8 KB leave the module's own entries intact (the headers are what is left out)", async () => {
    // 8 headers of nearly 8 KB, then small ones to fill what is left of the frame to the last few bytes,
    // so that no entry after them fits: before the module's own entries came first, the location and
    // AuthName were such entries.
    const filler = Array.from({ length: 8 }, (_, i) => [`X-Filler-${String(i)}`, "f".repeat(7950)] as const);
    const tiny = Array.from({ length: 150 }, (_, i) => [`X-T${String(i).padStart(3, "0")}`, "t"] as const);
    const response = await server.request("/valid/", {
      authorization: INSPECTOR,
      headers: [
        expectHeader({
          REMOTE_USER: "inspector",
          AUTH_TYPE: "Basic",
          REQUEST_URI: "/valid/",
          "mod_authnz_node.location": "/valid/",
          "mod_authnz_node.auth_name": "environ",
        }),
        ...filler,
        ...tiny,
      ],
    });
    expect(response.status).toBe(200);
    expect(server.errorLog()).toMatch(/ANP0402: \d+ environ entries did not fit/);
  });

  test("when the module's own entries cannot fit, the check fails with 500 and ANP0350", async () => {
    const uri = `/valid/index.html?${"q".repeat(40_000)}`;
    const response = await server.request(uri, { authorization: INSPECTOR, headers: [expectHeader({ REMOTE_USER: "inspector" })] });
    expect(response.status).toBe(500);
    expect(server.errorLog()).toMatch(/ANP0350: the module's own environ entries/);
  });
});
