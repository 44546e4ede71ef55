// A short run of each libFuzzer target through `npm run fuzz`'s script (scripts/fuzz.sh): the C decoder,
// the module's answer reader with the fold rules, and the grant cache's payload codec
// (native/test/*_fuzz_target.c). It fails, never skips, when clang or libFuzzer is missing:
// `bash scripts/bootstrap.sh test` (npm test's pretest) installs them. A crash fails the run, and
// fuzz.sh names the saved input under build/fuzz/crashes/.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { expect, it } from "vitest";

const root = fileURLToPath(new URL("../..", import.meta.url));
const targets = ["anp_decode_fuzz_target", "anp_answer_fuzz_target", "anp_grant_payload_fuzz_target"];

// Generous: the build waits for the shared native build lock, which another build may hold a while.
it("the libFuzzer targets find no crash in a few seconds each", { timeout: 600_000 }, () => {
  const run = spawnSync("bash", ["scripts/fuzz.sh", "--seconds", "4"], { cwd: root, encoding: "utf8" });
  expect(run.status, run.stderr).toBe(0);
  for (const target of targets) {
    const ran = new RegExp(`fuzz: ${target}: (\\d+) inputs, no crash`).exec(run.stderr);
    expect(ran, run.stderr).not.toBeNull();
    // Proof that the target really ran rather than exiting at once.
    expect(Number(ran![1]), run.stderr).toBeGreaterThan(1000);
  }
});
