// Runs SipHash's known-answer test (native/test/anp_siphash_test.c, built by CMakeLists.txt): the grant
// cache's keys are SipHash-2-4-128 tags, and a wrong implementation would still "work", only weaker.
import { expect, it } from "vitest";
import { runTapBinary } from "../support/tap-binary.js";

it("native/anp_siphash.c gives the reference implementation's 128-bit tags for messages of 0..63 bytes", () => {
  const run = runTapBinary("anp_siphash_test");
  // 64 lengths, whole and in pieces, and the wiped state.
  expect(run.planned).toBe(129);
  expect(run.passed).toBe(129);
});
