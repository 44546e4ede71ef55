// A worker that crashes again and again soon after each start (a bad request that kills it, a signal) is
// restarted after a delay that doubles only up to 2 s, so the locations it serves are back within about
// that long; only a worker that cannot start at all (exit status 2) backs off up to 30 s.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { startApache, printErrorLogOnFailure, REPO_ROOT, type ApacheServer } from "../harness/apache.js";
import { moduleServerDirectives } from "../../src/demo/module-directives.js";
import { eventually } from "../support/eventually.js";

const HANDLER = `${REPO_ROOT}/test/fixtures/module/handler.mjs`;
const CRASHES = 4;

const servers: Array<ApacheServer | undefined> = [];
printErrorLogOnFailure(() => servers);

describe("a worker that keeps crashing", () => {
  let server: ApacheServer;

  beforeAll(async () => {
    server = await startApache({
      mpm: "event",
      conf: [
        moduleServerDirectives(REPO_ROOT),
        '<Location "/valid/">',
        "    AuthType Basic",
        '    AuthName "restart delay"',
        "    AuthBasicProvider node",
        `    NodeAuthUserScript "${HANDLER}"`,
        "    Require valid-user",
        "</Location>",
      ].join("\n"),
      files: { "valid/index.html": "valid\n" },
    });
    servers.push(server);
  });

  afterAll(async () => {
    await server?.stop();
  });

  test(`after ${CRASHES} crashes in a row, each soon after its start, the next worker answers within the 2 s cap and a start`, async () => {
    expect(await server.statusAs("/valid/", "alice", "wonderland")).toBe(200);
    let killedAt = 0;
    const killed: number[] = [];
    for (let i = 0; i < CRASHES; i++) {
      // The next worker, once it has exec'd (the restart delay is spent before exec), dies at once.
      let pid = 0;
      expect(
        await eventually(() => {
          pid = server.workers().find((w) => !killed.includes(w.pid))?.pid ?? 0;
          return pid !== 0;
        }, 400, 25),
      ).toBe(true);
      process.kill(pid, "SIGKILL");
      killed.push(pid);
      killedAt = Date.now();
    }
    expect(await eventually(async () => (await server.statusAs("/valid/", "alice", "wonderland")) === 200, 400, 25)).toBe(true);
    const backMs = Date.now() - killedAt;
    console.log(`restart delay: after ${CRASHES} quick crashes, 200 again ${backMs} ms after the last one`);
    // The delays so far: 1, 2, 2, 2 s (uncapped they would have been 1, 2, 4, 8).
    expect(server.errorLog()).toMatch(new RegExp(`ANP0304: worker pid ${killed.at(-1)} died \\(exit status or signal 9\\); starting a new one in 2 s`));
    expect(backMs).toBeLessThan(5000);
  });
});
