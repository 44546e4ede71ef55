// The worker's brute-force flags over test/vectors/throttle-options.json, the cases httpd's configtest
// runs through the module's directives too (test/e2e/throttle-configtest.test.ts): each value accepted or
// refused as the vector says, a refusal naming its flag; and what accepted values become.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { WorkerConfigError } from "../../src/errors.js";
import { parseCommandLine, type WorkerOptions } from "../../src/worker/cli.js";

interface Case {
  readonly flag: string;
  readonly value: string;
  readonly ok: boolean;
}

const vectors = JSON.parse(readFileSync(join(import.meta.dirname, "../vectors/throttle-options.json"), "utf8")) as { cases: Case[] };

function parse(...args: string[]): WorkerOptions {
  const { options } = parseCommandLine(["--socket", "/run/anp/w.sock", ...args]);
  if (options === null) throw new Error("no options");
  return options;
}

describe("worker throttle flags (test/vectors/throttle-options.json)", () => {
  it("has cases for every flag", () => {
    const flags = new Set(vectors.cases.map((c) => c.flag));
    expect([...flags].sort()).toEqual(
      ["--hash-queue", "--throttle", "--throttle-address-limit", "--throttle-backoff", "--throttle-exempt", "--throttle-pair-limit", "--throttle-user-limit", "--throttle-window"].sort(),
    );
  });

  for (const c of vectors.cases) {
    it(`${c.flag} ${JSON.stringify(c.value)}: ${c.ok ? "accepted" : "refused"}`, () => {
      const run = () => parse(c.flag, c.value);
      if (c.ok) expect(run).not.toThrow();
      else {
        expect(run).toThrow(WorkerConfigError);
        expect(run).toThrow(new RegExp(`^${c.flag}: `));
      }
    });
  }

  it("turns accepted values into the throttle's settings", () => {
    const options = parse(
      "--throttle-address-limit=7",
      "--throttle-pair-limit",
      "3",
      "--throttle-user-limit",
      "50",
      "--throttle-backoff",
      "2,60",
      "--throttle-window",
      "30",
      "--throttle-exempt",
      "10.0.0.0/8",
      "--throttle-exempt",
      "2001:db8::/32",
      "--hash-queue",
      "4",
    );
    expect(options.throttle).toMatchObject({ addressLimit: 7, pairLimit: 3, userLimit: 50, backoffFirstSeconds: 2, backoffMaxSeconds: 60, windowSeconds: 30 });
    expect(options.throttle?.exempt.map((c) => c.text)).toEqual(["10.0.0.0/8", "2001:db8::/32"]);
    expect(options.hashQueue).toBe(4);
    expect(parse("--throttle", "off").throttle).toBeNull();
    // Still checked with the throttle off, so a typo shows at once.
    expect(() => parse("--throttle", "off", "--throttle-pair-limit", "0")).toThrow(/--throttle-pair-limit/);
    // Flags only: a config file cannot set them (httpd's module passes the directives as flags).
    expect(() => parseCommandLine(["--socket", "/run/anp/w.sock", "--config", "/c.json"], () => '{"hashQueue": 4}')).toThrow(/config:hashQueue: unknown key/);
  });
});
