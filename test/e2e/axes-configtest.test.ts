// apache2 -t and django-axes' two ways of naming the lockout parameters: AXES_LOCKOUT_PARAMETERS (6.x and
// later) replaced the 5.x flags, so a spec names one form or the other. Within one section the module
// refuses the second at once (native/mod/config.c); across nested sections, where the spec is put together
// only per request, the worker's own check of every spec refuses it (ANP0344), in the same words.
import { describe, expect, test } from "vitest";
import { configTest, REPO_ROOT } from "../harness/apache.js";
import { moduleServerDirectives } from "../../src/demo/module-directives.js";
import { location } from "../support/httpd-conf.js";

const DATABASE = "NodeAuthDjangoDatabase sqlite:///var/lib/anp-configtest/db.sqlite3";
const conf = (...sections: string[]): string => [moduleServerDirectives(REPO_ROOT, {}), ...sections].join("\n");
const MIXED = (flag: string) =>
  `axes_lockout_parameters: is django-axes 6.x's form of the 5.x flag ${flag}: set one or the other (the one the site's django-axes reads)`;

describe("apache2 -t: axes_lockout_parameters and the 5.x flags", () => {
  test.each([
    ["parameters, then a flag", ["axes_lockout_parameters username+ip_address", "axes_use_user_agent on"], "axes_use_user_agent"],
    ["a flag, then parameters", ["axes_lock_out_by_user_or_ip off", "axes_lockout_parameters ip_address"], "axes_lock_out_by_user_or_ip"],
  ])("refuses both in one section (%s)", async (_name, options, flag) => {
    const result = await configTest({ conf: conf(location("/x/", [DATABASE, "NodeAuthDjangoOption axes honour", ...options.map((o) => `NodeAuthDjangoOption ${o}`)])) });
    expect(result.output).toContain(`NodeAuthDjangoOption: ${MIXED(flag)}`);
    expect(result.ok).toBe(false);
  });

  test("refuses both across nested sections, in the worker's words", async () => {
    const outer = location("/x/", [DATABASE, "NodeAuthDjangoOption axes record", "NodeAuthDjangoOption axes_only_user_failures on"]);
    const inner = location("/x/y/", ["NodeAuthDjangoOption axes_lockout_parameters username"]);
    const result = await configTest({ conf: conf(outer, inner) });
    expect(result.output).toMatch(/ANP0344: the handler configuration is refused: the worker refuses: /);
    expect(result.output).toContain(`django handler: ${MIXED("axes_only_user_failures")}`);
    expect(result.ok).toBe(false);
  });

  test("accepts either form alone, and sibling sections using different forms", async () => {
    const a = location("/a/", [DATABASE, "NodeAuthDjangoOption axes honour", "NodeAuthDjangoOption axes_lockout_parameters 'ip_address, username+user_agent'"]);
    const b = location("/b/", [DATABASE, "NodeAuthDjangoOption axes record", "NodeAuthDjangoOption axes_lock_out_by_combination_user_and_ip on", "NodeAuthDjangoOption axes_cooloff_time 0.5"]);
    const result = await configTest({ conf: conf(a, b) });
    expect(result.output).toMatch(/Syntax OK/);
    expect(result.ok).toBe(true);
  });
});
