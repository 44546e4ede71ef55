// apache2 -t and the brute-force directives (native/mod/throttle_config.c): every case of
// test/vectors/throttle-options.json goes through real configtest, as the directive that sets its worker
// flag. The accepted ones all in one configuration, which must say "Syntax OK" (a later directive wins, an
// exemption adds up); each refused one alone, whose output must name the directive. The worker's CLI test
// holds its flag parser to the same cases, so the module never starts a worker with a value it refuses.
// Then what is refused however it is written: the directives outside the main server, and their flags
// through NodeAuthWorkerArgs.
import { readFileSync } from "node:fs";
import { describe, expect, test } from "vitest";
import { configTest, REPO_ROOT } from "../harness/apache.js";
import { moduleServerDirectives } from "../../src/demo/module-directives.js";

interface ThrottleCase {
  readonly flag: string;
  readonly value: string;
  readonly ok: boolean;
}

const vectors = JSON.parse(readFileSync(new URL("../vectors/throttle-options.json", import.meta.url), "utf8")) as {
  directives: Record<string, string>;
  cases: ThrottleCase[];
};

/** The directive line for a case: the value's comma-separated parts as quoted arguments, --throttle as On/Off. */
function directiveLine(c: ThrottleCase): string {
  const directive = vectors.directives[c.flag];
  if (directive === undefined) throw new Error(`no directive for ${c.flag}`);
  const value = c.flag === "--throttle" && (c.value === "on" || c.value === "off") ? (c.value === "on" ? "On" : "Off") : c.value;
  const words = value.split(",").map((part) => `'${part}'`);
  return `${directive} ${words.join(" ")}`;
}

function conf(...lines: readonly string[]): string {
  return [moduleServerDirectives(REPO_ROOT, {}), ...lines].join("\n");
}

describe("apache2 -t and the brute-force directives: test/vectors/throttle-options.json", () => {
  const accepted = vectors.cases.filter((c) => c.ok);
  const refused = vectors.cases.filter((c) => !c.ok);

  test("the vectors cover every directive, each with values accepted and refused", () => {
    for (const flag of Object.keys(vectors.directives)) {
      expect(accepted.some((c) => c.flag === flag), flag).toBe(true);
      expect(refused.some((c) => c.flag === flag), flag).toBe(true);
    }
  });

  test(`accepts every accepted value (${accepted.length}, in one configuration)`, async () => {
    const result = await configTest({ conf: conf(...accepted.map(directiveLine)) });
    expect(result.output).toMatch(/Syntax OK/);
    expect(result.ok).toBe(true);
  });

  test.each(refused.map((c) => [c.flag, c.value, c] as const))("refuses %s %j, naming the directive", async (_flag, _value, c) => {
    const result = await configTest({ conf: conf(directiveLine(c)) });
    expect(result.output).toContain(vectors.directives[c.flag]);
    expect(result.output).not.toContain("Syntax OK");
    expect(result.ok).toBe(false);
  });
});

describe("apache2 -t and the brute-force directives: where and how they are written", () => {
  test("gives the range in the message", async () => {
    const result = await configTest({ conf: conf("NodeAuthThrottlePairLimit 0") });
    expect(result.output).toContain("NodeAuthThrottlePairLimit: '0' is not a whole number from 1 to 1000000");
    const backoff = await configTest({ conf: conf("NodeAuthThrottleBackoff 900 10") });
    expect(backoff.output).toContain("NodeAuthThrottleBackoff: '900 10' must be FIRST MAX whole seconds with 1 <= FIRST <= MAX <= 86400");
  });

  test.each(["NodeAuthThrottle Off", "NodeAuthThrottlePairLimit 5", "NodeAuthThrottleExempt 10.0.0.0/8", "NodeAuthHashQueue 4"])(
    "refuses %s inside a virtual host (one worker, one throttle)",
    async (line) => {
      const result = await configTest({ conf: conf("<VirtualHost *:80>", `    ${line}`, "</VirtualHost>") });
      expect(result.output).toMatch(/cannot occur within <VirtualHost> section/);
      expect(result.ok).toBe(false);
    },
  );

  test.each([
    ["--throttle-pair-limit=3", "NodeAuthThrottlePairLimit"],
    ["--throttle", "NodeAuthThrottle"],
    ["--throttle-exempt", "NodeAuthThrottleExempt"],
    ["--hash-queue=2", "NodeAuthHashQueue"],
  ])("refuses the worker flag %s through NodeAuthWorkerArgs (use %s)", async (arg, directive) => {
    const result = await configTest({ conf: conf(`NodeAuthWorkerArgs ${arg}`) });
    expect(result.output).toContain(`is set by the module (use ${directive})`);
    expect(result.ok).toBe(false);
  });
});
