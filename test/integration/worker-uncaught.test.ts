// A script that throws outside any check (from a timer) takes the worker down: it logs the exception's
// class and stack frames and exits 1, and the module starts a new one. The exception's own text never
// reaches the log: not its message, not lines of a message with newlines in it (which a stack repeats),
// not a `name` the script set.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chmodSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Client, WorkerHarness, check } from "../harness/worker.js";
import { workerLine } from "../support/error-log.js";

const SECRET = "hunter2-uncaught";
let harness: WorkerHarness;

beforeAll(() => {
  harness = WorkerHarness.create();
});

afterAll(async () => {
  await harness.cleanup();
});

describe("an uncaught exception in a script", () => {
  it.each([
    ["a message with the password on its second line", `const e = new Error("failed\\n" + password); setTimeout(() => { throw e; }, 0);`, "Error"],
    ["a name set to the password", `class Custom extends Error {} const e = new Custom("x"); e.name = password; setTimeout(() => { throw e; }, 0);`, "exception"],
  ])("%s: exit 1, the class and frames logged, nothing of the text", async (_name, body, logged) => {
    const script = join(harness.scratch, `throws-${logged}.mjs`);
    writeFileSync(script, `export function checkPassword(environ, user, password) { ${body} return false; }\n`);
    chmodSync(script, 0o644);
    const worker = await harness.startWorker();
    const client = await Client.greeted(worker.socketPath);
    await check(client, `type=script\npath=${script}`, "alice", SECRET);
    expect((await worker.exited).code).toBe(1);
    const line = worker.lines.find((l) => l.includes(": uncaught "));
    expect(line).toMatch(workerLine("error", `uncaught ${logged} at `));
    expect(worker.log).not.toContain(SECRET);
    client.close();
  });

  it("a rejection nobody handles, with a name set to the password: ignored, logged by kind only", async () => {
    const script = join(harness.scratch, "rejects.mjs");
    writeFileSync(
      script,
      `export function checkPassword(environ, user, password) { class Custom extends Error {} const e = new Custom("x\\n" + password); e.name = password; Promise.reject(e); return false; }\n`,
    );
    chmodSync(script, 0o644);
    const worker = await harness.startWorker();
    const client = await Client.greeted(worker.socketPath);
    await check(client, `type=script\npath=${script}`, "alice", SECRET);
    await worker.waitForLine(/unhandled rejection/);
    expect(worker.lines.find((l) => l.includes("unhandled rejection"))).toMatch(workerLine("error", /unhandled rejection \(ignored\): exception$/));
    expect(worker.log).not.toContain(SECRET);
    client.close();
  });
});
