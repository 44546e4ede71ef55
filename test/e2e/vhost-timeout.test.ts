// NodeAuthTimeout may differ per virtual host, and the worker must let a check run as long as the
// longest of them: the module tells the worker its cap (--timeout-ms) once, at start, and each request
// carries its own server's TIMEOUT_MS under that cap. Against a real Apache and the real worker, with a
// script handler that takes longer than the main server's NodeAuthTimeout and less than the virtual
// host's: the virtual host's check succeeds (200), while the main server's own check times out (500).
import { describe, test, expect, beforeAll, afterAll } from "vitest";
import { request as httpRequest } from "node:http";
import { join } from "node:path";
import { startApache, printErrorLogOnFailure, nodeModuleBuilt, NODE_MODULE_PATH, REPO_ROOT, type ApacheServer } from "../harness/apache.js";
import { moduleServerDirectives } from "../../src/demo/module-directives.js";
import { eventually } from "../support/eventually.js";
import { basicLocation } from "../support/httpd-conf.js";
import { WORKER_LISTENING } from "../support/error-log.js";

/** How long the handler takes: well over the main server's NodeAuthTimeout, well under the virtual host's. */
const HANDLER_MS = 1500;
const MAIN_TIMEOUT = "300ms";
const VHOST_TIMEOUT = "10s";

const SLOW_HANDLER = `
import { setTimeout as sleep } from "node:timers/promises";
export async function checkPassword(environ, user, password) {
  if (user !== "slow") return null;
  await sleep(${HANDLER_MS});
  return password === "patience";
}
`;

const FILES = { "slow/index.html": "slow\n", "../slow-handler.mjs": SLOW_HANDLER };

function slowLocation(handler: string): string {
  return basicLocation("/slow/", "slow", ["AuthBasicProvider node", `NodeAuthUserScript "${handler}"`, "Require valid-user"]);
}

/** GET path with Basic slow:patience and this Host header (the harness always sends 127.0.0.1). */
function statusWithHost(port: number, host: string, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: "127.0.0.1", port, path, headers: { Host: host, Authorization: `Basic ${Buffer.from("slow:patience").toString("base64")}` } },
      (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode ?? 0));
      },
    );
    req.on("error", reject);
    req.end();
  });
}


let server: ApacheServer | undefined;
printErrorLogOnFailure(() => server);

test("mod_authnz_node.so is built (npm run build:native)", () => {
  expect(nodeModuleBuilt(), `${NODE_MODULE_PATH} is missing`).toBe(true);
});

describe("a virtual host with a longer NodeAuthTimeout than the main server's", () => {
  let httpd: ApacheServer;
  const slowIn = (host: string) => statusWithHost(httpd.port, host, "/slow/");

  beforeAll(async () => {
    httpd = await startApache({
      files: FILES,
      logLevel: "info authnz_node:debug",
      conf: (layout) => {
        const handler = join(layout.root, "slow-handler.mjs");
        return [
          moduleServerDirectives(REPO_ROOT, { logLevel: "debug" }),
          `NodeAuthTimeout ${MAIN_TIMEOUT}`,
          // The main server answers for 127.0.0.1 (the first virtual host of an address is its default,
          // so it repeats the main server's name and timeout); the second one has the longer timeout.
          `<VirtualHost 127.0.0.1:${layout.port}>`,
          "    ServerName 127.0.0.1",
          slowLocation(handler),
          "</VirtualHost>",
          `<VirtualHost 127.0.0.1:${layout.port}>`,
          "    ServerName patient.test",
          `    NodeAuthTimeout ${VHOST_TIMEOUT}`,
          slowLocation(handler),
          "</VirtualHost>",
        ].join("\n");
      },
    });
    server = httpd;
    const listening = await eventually(async () => Promise.resolve(WORKER_LISTENING.test(httpd.errorLog())));
    if (!listening) throw new Error("the worker never said it was listening");
  });
  afterAll(async () => {
    await httpd?.stop();
  });

  test("the virtual host's check may take its own NodeAuthTimeout: 200", async () => {
    expect(await slowIn("patient.test")).toBe(200);
  });

  test("the main server's check is still cut at the main server's NodeAuthTimeout: 500", async () => {
    expect(await slowIn("127.0.0.1")).toBe(500);
    expect(httpd.errorLog()).toMatch(/ANP0502: checking the password of user 'slow' failed|ANP0506: the worker could not check the password of user 'slow'/);
  });
});
