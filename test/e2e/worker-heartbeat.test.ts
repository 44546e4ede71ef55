// A worker that is alive but not answering: stopped (SIGSTOP) or stuck in a handler's synchronous loop.
// Its process and socket stay, so only its heartbeat tells httpd's parent: the worker beats every second
// from its event loop, the parent's monitor hook (every 10 s) kills a worker silent for longer than
// NodeAuthWorkerHeartbeat, and a new one starts. Meanwhile checks fail closed (500). A healthy worker
// beside them, on the default setting, is left alone for the whole time.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { chmodSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startApache, printErrorLogOnFailure, REPO_ROOT, type ApacheServer } from "../harness/apache.js";
import { moduleServerDirectives } from "../../src/demo/module-directives.js";
import { eventually } from "../support/eventually.js";

const dir = mkdtempSync(join(tmpdir(), "anp-heartbeat-"));
const HANDLER = join(dir, "spinning-handler.mjs");
/** The longest a hang may last before the new worker answers: the silence allowed, one monitor period
 * (10 s) and a start; a worker that is never replaced fails the wait. */
const SILENCE_S = 2;
const REPLACED_WITHIN_MS = (SILENCE_S + 10 + 4) * 1000;

const servers: Array<ApacheServer | undefined> = [];
printErrorLogOnFailure(() => servers);

function start(heartbeat: string | null): Promise<ApacheServer> {
  return startApache({
    mpm: "event",
    conf: [
      moduleServerDirectives(REPO_ROOT),
      ...(heartbeat === null ? [] : [`NodeAuthWorkerHeartbeat ${heartbeat}`]),
      "NodeAuthTimeout 1",
      '<Location "/valid/">',
      "    AuthType Basic",
      '    AuthName "heartbeat"',
      "    AuthBasicProvider node",
      `    NodeAuthUserScript "${HANDLER}"`,
      "    Require valid-user",
      "</Location>",
    ].join("\n"),
    files: { "valid/index.html": "valid\n" },
  });
}

function workerPid(server: ApacheServer): number {
  const [worker, ...more] = server.workers();
  if (worker === undefined || more.length > 0) throw new Error(`expected one worker, found ${server.workers().length}`);
  return worker.pid;
}

/** Hangs the worker with `hang`, then measures until a new worker answers 200. */
async function hangAndMeasure(server: ApacheServer, hang: (pid: number) => Promise<void>): Promise<{ hung: number; ms: number }> {
  expect(await server.statusAs("/valid/", "alice", "wonderland")).toBe(200);
  const hung = workerPid(server);
  const since = Date.now();
  await hang(hung);
  // Fails closed while it hangs: NodeAuthTimeout, then 500.
  expect(await server.statusAs("/valid/", "alice", "wonderland")).toBe(500);
  const replaced = await eventually(
    async () => server.workers().some((w) => w.pid !== hung) && (await server.statusAs("/valid/", "alice", "wonderland")) === 200,
    Math.ceil(REPLACED_WITHIN_MS / 250),
    250,
  );
  const ms = Date.now() - since;
  expect(replaced).toBe(true);
  return { hung, ms };
}

describe("a worker that stops answering is replaced", () => {
  let stopped: ApacheServer;
  let spinning: ApacheServer;
  let healthy: ApacheServer;

  beforeAll(async () => {
    writeFileSync(
      HANDLER,
      [
        "export function checkPassword(environ, user, password) {",
        '  if (password === "spin") for (;;) {}',
        '  return user === "alice" && password === "wonderland";',
        "}",
        "",
      ].join("\n"),
    );
    chmodSync(dir, 0o755);
    chmodSync(HANDLER, 0o644);
    [stopped, spinning, healthy] = await Promise.all([start(`${SILENCE_S}s`), start(`${SILENCE_S}s`), start(null)]);
    servers.push(stopped, spinning, healthy);
  });

  afterAll(async () => {
    await Promise.all(servers.map((server) => server?.stop()));
    rmSync(dir, { recursive: true, force: true });
  });

  test("stopped (SIGSTOP) or stuck in a handler's loop: 500 meanwhile, a new worker within the silence allowed plus one monitor period, and the default leaves a healthy worker alone", async () => {
    const healthyPid = workerPid(healthy);
    const [onStop, onSpin] = await Promise.all([
      hangAndMeasure(stopped, async (pid) => {
        process.kill(pid, "SIGSTOP");
      }),
      hangAndMeasure(spinning, async () => {
        // The handler never returns: this check times out, and the worker's event loop is stuck in it.
        expect(await spinning.statusAs("/valid/", "alice", "spin")).toBe(500);
      }),
    ]);
    console.log(`heartbeat: stopped worker replaced after ${onStop.ms} ms, spinning worker after ${onSpin.ms} ms (NodeAuthWorkerHeartbeat ${SILENCE_S}s)`);
    for (const [server, { hung }] of [[stopped, onStop], [spinning, onSpin]] as const) {
      expect(server.errorLog()).toMatch(new RegExp(`ANP0340: worker pid ${hung} has not beaten for \\d+ ms \\(NodeAuthWorkerHeartbeat 2000 ms\\)`));
      expect(server.workers().map((w) => w.pid)).not.toContain(hung);
    }
    // The healthy worker, on the default, lived through all of it, beating.
    expect(workerPid(healthy)).toBe(healthyPid);
    expect(healthy.errorLog()).not.toMatch(/ANP0340/);
    expect(await healthy.statusAs("/valid/", "alice", "wonderland")).toBe(200);
  });

  test("only the worker holds the heartbeat pipe: httpd's children (code as httpd's User) cannot drain its beats", () => {
    const pid = workerPid(healthy);
    expect(readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0")).toEqual(expect.arrayContaining(["--heartbeat-fd", "5"]));
    const pipe = readlinkSync(`/proc/${pid}/fd/5`);
    expect(pipe).toMatch(/^pipe:\[\d+\]$/);
    const children = healthy.children();
    expect(children.length).toBeGreaterThan(0);
    for (const child of children) {
      const held = readdirSync(`/proc/${child.pid}/fd`).map((fd) => {
        try {
          return readlinkSync(`/proc/${child.pid}/fd/${fd}`);
        } catch {
          return "";
        }
      });
      expect(held).not.toContain(pipe);
    }
  });
});
