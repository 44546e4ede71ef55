// The worker's environment is an allowlist, whatever httpd's holds: PATH, LANG, LC_*, TZ, plus the names
// NodeAuthWorkerEnv lists. NODE_OPTIONS (which would have node load code before the worker's own, as the
// worker's user) and any other variable never pass.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startApache, printErrorLogOnFailure, REPO_ROOT, type ApacheServer } from "../harness/apache.js";
import { moduleServerDirectives } from "../../src/demo/module-directives.js";
import { eventually } from "../support/eventually.js";

const dir = mkdtempSync(join(tmpdir(), "anp-worker-env-"));
/** Loaded by node only if NODE_OPTIONS reaches the worker: it leaves a file behind. */
const PRELOAD = join(dir, "preload.cjs");
const LOADED = join(dir, "preload-ran");
const HANDLER = `${REPO_ROOT}/test/fixtures/module/handler.mjs`;

const servers: Array<ApacheServer | undefined> = [];
printErrorLogOnFailure(() => servers);

function environOf(pid: number): Map<string, string> {
  const entries = readFileSync(`/proc/${pid}/environ`, "utf8").split("\0").filter((entry) => entry !== "");
  return new Map(entries.map((entry) => [entry.slice(0, entry.indexOf("=")), entry.slice(entry.indexOf("=") + 1)]));
}

async function start(extra: readonly string[]): Promise<ApacheServer> {
  const server = await startApache({
    mpm: "prefork",
    conf: [
      moduleServerDirectives(REPO_ROOT, {}),
      ...extra,
      '<Location "/valid/">',
      "    AuthType Basic",
      '    AuthName "worker environment"',
      "    AuthBasicProvider node",
      `    NodeAuthUserScript "${HANDLER}"`,
      "    Require valid-user",
      "</Location>",
    ].join("\n"),
    files: { "valid/index.html": "valid\n" },
    env: {
      ...process.env,
      NODE_OPTIONS: `--require=${PRELOAD}`,
      NODE_PATH: dir,
      FOO: "bar",
      BAR: "baz",
      LANG: "C.UTF-8",
      LC_ALL: "C.UTF-8",
      TZ: "UTC",
    },
  });
  servers.push(server);
  return server;
}

function theWorker(server: ApacheServer): number {
  const [worker] = server.workers();
  if (worker === undefined) throw new Error("no worker under httpd");
  return worker.pid;
}

describe("the worker's environment", () => {
  beforeAll(() => {
    writeFileSync(PRELOAD, `require("node:fs").writeFileSync(${JSON.stringify(LOADED)}, String(process.pid));\n`);
    // Writable by the worker's user, so a preload that did run would leave its mark rather than crash it.
    chmodSync(dir, 0o777);
    chmodSync(PRELOAD, 0o644);
  });

  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  test("PATH, LANG, LC_*, TZ pass; NODE_OPTIONS, NODE_PATH and unlisted names do not; NODE_OPTIONS' code never runs", async () => {
    const server = await start([]);
    try {
      expect(await server.statusAs("/valid/", "alice", "wonderland")).toBe(200);
      const env = environOf(theWorker(server));
      expect(env.get("PATH")).toBe(process.env["PATH"]);
      expect(env.get("LANG")).toBe("C.UTF-8");
      expect(env.get("LC_ALL")).toBe("C.UTF-8");
      expect(env.get("TZ")).toBe("UTC");
      expect(env.has("NODE_OPTIONS")).toBe(false);
      expect(env.has("NODE_PATH")).toBe(false);
      expect(env.has("FOO")).toBe(false);
      expect(env.has("BAR")).toBe(false);
      expect(existsSync(LOADED)).toBe(false);
    } finally {
      await server.stop();
    }
  });

  test("NodeAuthWorkerEnv FOO lets FOO through, and only FOO", async () => {
    const server = await start(["NodeAuthWorkerEnv FOO"]);
    try {
      expect(await eventually(async () => (await server.statusAs("/valid/", "alice", "wonderland")) === 200)).toBe(true);
      const env = environOf(theWorker(server));
      expect(env.get("FOO")).toBe("bar");
      expect(env.has("BAR")).toBe(false);
      expect(env.has("NODE_OPTIONS")).toBe(false);
      expect(existsSync(LOADED)).toBe(false);
    } finally {
      await server.stop();
    }
  });
});
