// Runs the C codec's own test (native/test/anp_protocol_test.c, built by CMakeLists.txt), which covers
// the typed writer helpers, buffer capacity and field readers that the addon does not reach.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { expect, it } from "vitest";
import { runTapBinary } from "../support/tap-binary.js";
import { optionalSkip } from "../support/optional.js";

it("native/test/anp_protocol_test passes every check", () => {
  const run = runTapBinary("anp_protocol_test");
  expect(run.planned).toBeGreaterThanOrEqual(30);
  expect(run.passed).toBe(run.planned);
});

const fuzzer = fileURLToPath(new URL("../../build/Release/anp_protocol_fuzz", import.meta.url));

// CMakeLists.txt builds the fuzz driver only when the compiler has ASan/UBSan (gcc on Debian does): a
// compiler without them is a machine lacking it by design, so an optional skip, listed by .ci/run.
it("the C decoder survives 2 million fuzzed frames under ASan and UBSan", (context) => {
  if (!existsSync(fuzzer)) optionalSkip(context, `${fuzzer} not built: the compiler has no ASan/UBSan`);
  const seed = String(1 + Math.floor(Math.random() * 1e9));
  const run = spawnSync(fuzzer, ["2000000", seed], { encoding: "utf8" });
  // The seed is in the summary line, so a failure can be replayed: anp_protocol_fuzz 2000000 <seed>.
  expect(run.stderr, `seed ${seed}`).toBe("");
  expect(run.status, `seed ${seed}: ${run.stdout}`).toBe(0);
  const summary = /writer accepted (\d+) refused (\d+); decoder: (\d+) frames, (\d+) short, (\d+) too large, (\d+) malformed; 0 failures/.exec(run.stdout);
  expect(summary, run.stdout).not.toBeNull();
  // Every kind of outcome must have happened many times, or the fuzzer would prove little.
  for (const count of summary!.slice(1)) expect(Number(count)).toBeGreaterThan(10_000);
});
