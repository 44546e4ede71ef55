// Skips that say why, and that CI (CI=true) does not take as a pass. A test that cannot run here either
// needs something CI always has (root, the built module): then a missing one fails in CI and skips,
// with the reason printed, elsewhere; or it is optional (something a machine may lack by design): then
// it skips everywhere, marked in the task's meta with its reason, which .ci/run lists by name.
// scripts/check-skips.mjs fails a CI run on any skipped test without that mark.
import { describe, test, type TestContext } from "vitest";

/** vitest's JSON report carries task.meta; scripts/check-skips.mjs reads this key. */
export const OPTIONAL_META_KEY = "optionalSkip";

export function inCi(): boolean {
  return process.env.CI === "true" || process.env.CI === "1";
}

/** Skips the running test as optional, with `reason` printed and kept in its meta. */
export function optionalSkip(context: TestContext, reason: string): never {
  (context.task.meta as Record<string, unknown>)[OPTIONAL_META_KEY] = reason;
  console.log(`optional skip: ${context.task.name}: ${reason}`);
  context.skip();
  throw new Error("unreachable: context.skip() returned");
}

/** Skips the running test unless `condition` holds; in CI, fails it instead. */
export function requireOrSkip(context: TestContext, condition: boolean, reason: string): void {
  if (condition) return;
  if (inCi()) throw new Error(`cannot run in CI: ${reason}`);
  console.log(`skipped: ${context.task.name}: ${reason}`);
  context.skip();
}

type SuiteBody = () => void;

/**
 * describe() when `condition` holds. Otherwise the suite's body (and its hooks, which would start servers
 * that cannot start) is replaced by one test that says why: in CI a failure, elsewhere a skip.
 */
export function describeRequiring(condition: boolean, reason: string): (name: string, body: SuiteBody) => void {
  return (name, body) => {
    if (condition) return describe(name, body);
    describe(name, () => {
      test(`requires: ${reason}`, (context) => requireOrSkip(context, false, reason));
    });
  };
}

/** As describeRequiring, for what a machine may lack by design: an optional skip everywhere, CI included. */
export function describeOptional(condition: boolean, reason: string): (name: string, body: SuiteBody) => void {
  return (name, body) => {
    if (condition) return describe(name, body);
    describe(name, () => {
      test(`optional: ${reason}`, (context) => optionalSkip(context, reason));
    });
  };
}
