// Runs the throttle memo's C test (native/test/throttle_memo_test.c, built by CMakeLists.txt with the
// module): throttle_memo.c linked against APR, its scopes, expiry at the 1-second cap and at the worker's
// Retry-After, the bound and eviction order, and keys that must not collide.
import { expect, it } from "vitest";
import { runTapBinary } from "../support/tap-binary.js";

it("native/mod/throttle_memo.c keeps, expires and evicts throttled clients as specified", () => {
  const run = runTapBinary("throttle_memo_test");
  expect(run.planned).toBe(11);
  expect(run.passed).toBe(11);
});
