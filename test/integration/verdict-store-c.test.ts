// Runs the shared verdict store's C test (native/test/verdict_store_test.c): native/anp_verdict_store.c on a
// region shared by forked processes, as httpd's children share it, with writers and readers racing; a torn
// answer (half of one write, half of another) must never be read as a hit.
import { expect, it } from "vitest";
import { runTapBinary } from "../support/tap-binary.js";

it("native/anp_verdict_store.c gives back only whole answers, also with writers and readers racing", () => {
  const run = runTapBinary("verdict_store_test");
  expect(run.planned).toBe(6);
  expect(run.passed).toBe(6);
});
