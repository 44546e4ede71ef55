// The skip policy of .ci/run (scripts/check-skips.mjs): a skipped test fails a CI run unless
// test/support/optional.ts marked it optional, and the optional ones are listed by name with their reason.
// The reports checked are real: vitest runs the fixtures in test/fixtures/skip-policy/ with the JSON
// reporter, so the mark is proven to reach the report, not only the checker to read it.
import { describe, test, expect, beforeAll, afterAll } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { checkSkips, type SkipReport } from "../../scripts/check-skips.mjs";

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const CHECK = join(REPO_ROOT, "scripts/check-skips.mjs");

let work = "";
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), "anp-skip-policy-"));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Runs one fixture file in a vitest of its own (CI set or not); its exit status, output and JSON report. */
function runFixture(fixture: "marked" | "unmarked", ci: boolean): { status: number | null; output: string; report: string } {
  const report = join(work, `${fixture}-${ci ? "ci" : "local"}.json`);
  const env: NodeJS.ProcessEnv = { ...process.env, ANP_SKIP_FIXTURE: fixture };
  for (const key of Object.keys(env)) if (key.startsWith("VITEST") || key === "NODE_OPTIONS" || key === "CI") delete env[key];
  if (ci) env.CI = "true";
  const vitest = join(REPO_ROOT, "node_modules/vitest/vitest.mjs");
  const args = [vitest, "run", "--config", "test/fixtures/skip-policy/vitest.config.ts", "--reporter=default", "--reporter=json", `--outputFile.json=${report}`];
  const run = spawnSync(process.execPath, args, { cwd: REPO_ROOT, env, encoding: "utf8" });
  return { status: run.status, output: `${run.stdout}${run.stderr}`, report };
}

/** A run outside CI, which passes (skips are not failures there); its JSON report's path. */
function report(fixture: "marked" | "unmarked"): string {
  const run = runFixture(fixture, false);
  expect(run.status, run.output).toBe(0);
  return run.report;
}

function check(reportPath: string): { status: number | null; output: string } {
  const run = spawnSync(process.execPath, [CHECK, reportPath], { encoding: "utf8" });
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

describe("scripts/check-skips.mjs on vitest's own JSON reports", () => {
  test("accepts a run whose only skip is marked optional, and names it with its reason", () => {
    const path = report("marked");
    const result = check(path);
    expect(result.output).toContain("optional skip: ");
    expect(result.output).toContain("lacks something by design (this machine has no such thing)");
    expect(result.status, result.output).toBe(0);
    const sorted = checkSkips(JSON.parse(readFileSync(path, "utf8")) as SkipReport);
    expect(sorted.refused).toEqual([]);
    expect(sorted.optional.map((s) => s.reason)).toEqual(["this machine has no such thing"]);
  });

  test("refuses a run with a plain skip or a missing requirement, naming each", () => {
    const result = check(report("unmarked"));
    expect(result.status, result.output).toBe(1);
    expect(result.output).toContain("skip not marked optional (skipped): ");
    expect(result.output).toContain("skipped without a word");
    expect(result.output).toContain("needs what CI always has");
    expect(result.output).toContain("a suite that needs it requires: a suite requirement this run lacks");
    expect(result.output).toContain("3 skipped test(s) not marked optional");
    expect(result.output).toContain("lacks something by design (this machine has no such thing)");
  });
});

describe("test/support/optional.ts with CI=true", () => {
  test("a missing requirement fails the test, with its reason; an optional skip stays a skip", () => {
    const run = runFixture("unmarked", true);
    expect(run.status, run.output).toBe(1);
    expect(run.output).toContain("cannot run in CI: a requirement this run lacks");
    expect(run.output).toContain("cannot run in CI: a suite requirement this run lacks");
    expect(run.output).not.toContain("the hook of a suite whose requirement is missing ran");
    const sorted = checkSkips(JSON.parse(readFileSync(run.report, "utf8")) as SkipReport);
    expect(sorted.optional.map((s) => s.reason)).toEqual(["this machine has no such thing"]);
  });
});

describe("checkSkips on a report written by hand", () => {
  const file = (tests: Array<{ status: string; meta?: Record<string, unknown> }>): SkipReport => ({
    testResults: [{ name: "/x.test.ts", assertionResults: tests.map((t, i) => ({ fullName: `t${i}`, ...t })) }],
  });

  test("a skip marked with an empty reason, or a reason that is not text, is refused", () => {
    const sorted = checkSkips(file([{ status: "skipped", meta: { optionalSkip: " " } }, { status: "skipped", meta: { optionalSkip: true } }]));
    expect(sorted.refused.map((r) => r.name)).toEqual(["/x.test.ts > t0", "/x.test.ts > t1"]);
  });

  test("todo and pending tests count as skips; passed and failed ones do not", () => {
    const sorted = checkSkips(file([{ status: "todo" }, { status: "pending" }, { status: "passed" }, { status: "failed" }]));
    expect(sorted.refused.map((r) => r.status)).toEqual(["todo", "pending"]);
  });
});
