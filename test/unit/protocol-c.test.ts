// Runs the C codec's own test (native/test/anp_protocol_test.c, built by CMakeLists.txt), which covers
// the typed writer helpers, buffer capacity and field readers that the addon does not reach.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { expect, it } from "vitest";

const binary = fileURLToPath(new URL("../../build/Release/anp_protocol_test", import.meta.url));

it("native/test/anp_protocol_test passes every check", () => {
  expect(existsSync(binary), `${binary} missing: run npm run build:native`).toBe(true);
  const run = spawnSync(binary, { encoding: "utf8" });
  const failed = run.stdout.split("\n").filter((line) => line.startsWith("not ok"));
  expect(failed).toEqual([]);
  expect(run.status).toBe(0);
  const plan = /^1\.\.(\d+)$/m.exec(run.stdout);
  expect(Number(plan?.[1])).toBeGreaterThanOrEqual(30);
  expect(run.stdout.split("\n").filter((line) => line.startsWith("ok ")).length).toBe(Number(plan?.[1]));
});
