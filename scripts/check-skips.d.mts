// Types of scripts/check-skips.mjs for the tests that import it.
export declare const OPTIONAL_META_KEY: string;
export interface SkipReport {
  readonly testResults?: ReadonlyArray<{
    readonly name: string;
    readonly assertionResults?: ReadonlyArray<{ readonly fullName: string; readonly status: string; readonly meta?: Record<string, unknown> }>;
  }>;
}
export declare function checkSkips(report: SkipReport): {
  optional: Array<{ name: string; reason: string }>;
  refused: Array<{ name: string; status: string }>;
};
