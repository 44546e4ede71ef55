// A check whose connection dies while the worker runs it is not sent again (docs/protocol.md, "Connection
// life"; rpc.c): only a pooled connection found closed before any byte of the request was written is
// retried on a new one. The handler script here kills its own worker on a marker password and counts its
// calls in a file: with one httpd child (so the check goes out on a pooled connection), the marker check
// must run exactly once and answer 500, and the next worker then serves the usual checks again.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startApache, printErrorLogOnFailure, REPO_ROOT, type ApacheServer } from "../harness/apache.js";
import { moduleServerDirectives } from "../../src/demo/module-directives.js";
import { eventually } from "../support/eventually.js";
import { WORKER_LISTENING } from "../support/error-log.js";

const dir = mkdtempSync(join(tmpdir(), "anp-no-resend-"));
const COUNT = join(dir, "kill-calls");
const HANDLER = join(dir, "kill-handler.mjs");

const servers: Array<ApacheServer | undefined> = [];
printErrorLogOnFailure(() => servers);

describe("a request is not sent again once written", () => {
  let server: ApacheServer;

  beforeAll(async () => {
    chmodSync(dir, 0o777); // the worker (httpd's User when the tests run as root) appends to COUNT
    writeFileSync(
      HANDLER,
      [
        'import { appendFileSync } from "node:fs";',
        "export function checkPassword(environ, user, password) {",
        '  if (password === "kill-the-worker") {',
        `    appendFileSync(${JSON.stringify(COUNT)}, "x");`,
        '    process.kill(process.pid, "SIGKILL");',
        "  }",
        '  return user === "alice" && password === "wonderland";',
        "}",
        "",
      ].join("\n"),
    );
    chmodSync(HANDLER, 0o644);
    server = await startApache({
      mpm: "prefork",
      // One child: the second check takes the first one's pooled connection.
      conf: [
        "StartServers 1",
        "MinSpareServers 1",
        "MaxSpareServers 1",
        "ServerLimit 1",
        "MaxRequestWorkers 1",
        moduleServerDirectives(REPO_ROOT, { logLevel: "debug" }),
        '<Location "/valid/">',
        "    AuthType Basic",
        '    AuthName "no resend"',
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
  });
  afterAll(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test("the handler that kills its worker runs once, and the client gets 500", async () => {
    expect(await server.statusAs("/valid/", "alice", "wonderland")).toBe(200);
    expect(await server.statusAs("/valid/", "alice", "kill-the-worker")).toBe(500);
    expect(existsSync(COUNT) ? readFileSync(COUNT, "utf8") : "").toBe("x");
    expect(server.errorLog()).not.toMatch(/ANP0403/);
    // The supervisor starts the next worker, and checks pass again.
    expect(await eventually(async () => (await server.statusAs("/valid/", "alice", "wonderland")) === 200)).toBe(true);
    expect(readFileSync(COUNT, "utf8")).toBe("x");
  });
});
