// The line httpd's forked child writes for the worker when a step before the worker runs fails (here exec
// of a "node" that is not a program: it passes the configuration's execute check, and exec says ENOEXEC):
// written by the child itself, before exec, so its time stamp is computed there, and it has the shape of
// every other line of the error log, so fail2ban, logwatch and people read it beside httpd's.
import { afterAll, expect, test } from "vitest";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { nodeModuleBuilt, printErrorLogOnFailure, REPO_ROOT, startApache, type ApacheServer } from "../harness/apache.js";
import { HTTPD_LINE, HTTPD_TIME } from "../support/error-log.js";
import { eventually } from "../support/eventually.js";
import { describeRequiring } from "../support/optional.js";

describeRequiring(nodeModuleBuilt(), "the module built (npm run build)")("a worker that cannot be started", () => {
  const dir = mkdtempSync(join(tmpdir(), "anp-spawn-failure-"));
  let server: ApacheServer | undefined;
  printErrorLogOnFailure(() => server);

  afterAll(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test("the child's ANP0310 line is in httpd's default shape, with the child's pid and the time it failed", async () => {
    const started = Date.now();
    chmodSync(dir, 0o755);
    const node = join(dir, "node");
    writeFileSync(node, "not a program\n");
    chmodSync(node, 0o755);
    server = await startApache({ conf: [`NodeAuthNodeBinary "${node}"`, `NodeAuthWorker "${join(REPO_ROOT, "dist/worker.js")}"`].join("\n") });
    const failed = new RegExp(`^\\[${HTTPD_TIME}\\] \\[authnz_node:error\\] \\[pid \\d+\\] ANP0310: cannot start the worker: ${node}: Exec format error$`, "m");
    expect(await eventually(() => failed.test(server?.errorLog() ?? ""))).toBe(true);
    const line = failed.exec(server.errorLog())?.[0] ?? "";
    const [, time, module, level, pid] = HTTPD_LINE.exec(line) ?? [];
    expect([module, level]).toEqual(["authnz_node", "error"]);
    // Not httpd's parent: the child that forked for the worker and exited.
    expect(Number(pid)).not.toBe(server.pid);
    // The child did the calendar itself (localtime_r is not safe after fork): its local time lies between
    // this test's start and now, read back by JavaScript's own calendar.
    const [, weekday, month, day, clock, year] = /^(\w{3}) (\w{3}) (\d{2}) (\d{2}:\d{2}:\d{2})\.\d{6} (\d{4})$/.exec(time ?? "") ?? [];
    const at = new Date(`${month} ${day} ${year} ${clock}`);
    expect(at.getTime()).toBeGreaterThanOrEqual(Math.floor(started / 1000) * 1000);
    expect(at.getTime()).toBeLessThanOrEqual(Date.now());
    expect(weekday).toBe(["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"][at.getDay()]);
  });
});
