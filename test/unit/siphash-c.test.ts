// Runs SipHash's known-answer test (native/test/anp_siphash_test.c, built by CMakeLists.txt): the grant
// cache's keys are SipHash-2-4-128 tags, and a wrong implementation would still "work", only weaker.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { expect, it } from "vitest";

const binary = fileURLToPath(new URL("../../build/Release/anp_siphash_test", import.meta.url));

it("native/anp_siphash.c gives the reference implementation's 128-bit tags for messages of 0..63 bytes", () => {
  expect(existsSync(binary), `${binary} missing: run npm run build:native`).toBe(true);
  const run = spawnSync(binary, { encoding: "utf8" });
  const failed = run.stdout.split("\n").filter((line) => line.startsWith("not ok"));
  expect(failed).toEqual([]);
  expect(run.status).toBe(0);
  const plan = /^1\.\.(\d+)$/m.exec(run.stdout);
  // 64 lengths, whole and in pieces, and the wiped state.
  expect(Number(plan?.[1])).toBe(129);
  expect(run.stdout.split("\n").filter((line) => line.startsWith("ok ")).length).toBe(129);
});
