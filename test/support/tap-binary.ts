// Runs one of the C test binaries that CMakeLists.txt builds into build/Release (they print TAP: a
// "1..N" plan and one "ok"/"not ok" line per check) and says what it reported.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { expect } from "vitest";

export interface TapRun {
  /** The checks the plan announced (NaN when there was no plan line). */
  readonly planned: number;
  /** How many "ok" lines there were. */
  readonly passed: number;
}

/**
 * Runs build/Release/`name` (with `input` on its stdin, for binaries that read cases there), failing the
 * calling test on any "not ok", a non-zero exit, or a missing binary.
 */
export function runTapBinary(name: string, input?: string): TapRun {
  const binary = fileURLToPath(new URL(`../../build/Release/${name}`, import.meta.url));
  expect(existsSync(binary), `${binary} missing: run npm run build:native`).toBe(true);
  const run = spawnSync(binary, { encoding: "utf8", input: input ?? "", maxBuffer: 64 * 1024 * 1024 });
  const lines = run.stdout.split("\n");
  expect(lines.filter((line) => line.startsWith("not ok"))).toEqual([]);
  expect(run.status).toBe(0);
  const plan = /^1\.\.(\d+)$/m.exec(run.stdout);
  return { planned: Number(plan?.[1]), passed: lines.filter((line) => line.startsWith("ok ")).length };
}
