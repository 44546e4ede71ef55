// Runs the grant cache's C test (native/test/grant_cache_test.c, built by CMakeLists.txt with the module):
// grant_cache.c and grant_payload.c linked against APR and held to a reference model through random
// puts and lookups (bounds, expiry on the monotonic clock, eviction when full), plus a mutex that fails to
// lock, which must be a miss and never a grant.
import { expect, it } from "vitest";
import { runTapBinary } from "../support/tap-binary.js";

it("native/mod/grant_cache.c answers every lookup as the reference model says", () => {
  const run = runTapBinary("grant_cache_test");
  // Eight fixed cases and three random runs (no expiry, expiry alone, expiry with eviction).
  expect(run.planned).toBe(12);
  expect(run.passed).toBe(12);
});
