// The skip policy .ci/run applies to vitest's JSON report: a skipped test fails the run unless it was
// marked optional (test/support/optional.ts puts the reason in its meta). Prints the optional skips by
// name with their reasons, and the refused ones.
// Usage: node scripts/check-skips.mjs <vitest JSON report>; exit 1 when a skip is refused.
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

export const OPTIONAL_META_KEY = "optionalSkip";
const SKIPPED = new Set(["skipped", "pending", "todo", "disabled"]);

/** Sorts the report's skipped tests into optional (with a reason) and refused. */
export function checkSkips(report) {
  const optional = [];
  const refused = [];
  for (const file of report.testResults ?? []) {
    for (const test of file.assertionResults ?? []) {
      if (!SKIPPED.has(test.status)) continue;
      const name = `${file.name} > ${test.fullName}`;
      const reason = test.meta?.[OPTIONAL_META_KEY];
      if (typeof reason === "string" && reason.trim() !== "") optional.push({ name, reason });
      else refused.push({ name, status: test.status });
    }
  }
  return { optional, refused };
}

function main(reportPath) {
  const { optional, refused } = checkSkips(JSON.parse(readFileSync(reportPath, "utf8")));
  for (const { name, reason } of optional) console.log(`optional skip: ${name} (${reason})`);
  for (const { name, status } of refused) console.log(`skip not marked optional (${status}): ${name}`);
  if (refused.length > 0) {
    console.log(`${refused.length} skipped test(s) not marked optional: a skip in CI is a failure (test/support/optional.ts)`);
    process.exitCode = 1;
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) main(process.argv[2]);
