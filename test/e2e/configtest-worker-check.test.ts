// apache2 -t asks the worker itself about every handler spec the configuration can produce (node
// <worker> --check-specs, as the worker's user, with the BOOTSTRAP frame a worker would get), so what the
// worker would refuse at the first request, a database URL it cannot parse, a script package it cannot
// resolve, is refused by configtest, in the worker's words (ANP0344). The list of specs follows how
// sections can nest, so many sibling locations do not multiply into every subset of them.
import { describe, expect, test } from "vitest";
import { configTest, REPO_ROOT } from "../harness/apache.js";
import { moduleServerDirectives } from "../../src/demo/module-directives.js";

import { basicLocation } from "../support/httpd-conf.js";

function location(path: string, lines: readonly string[]): string {
  return basicLocation(path, "check", ["AuthBasicProvider node", ...lines, "Require valid-user"]);
}

const conf = (...sections: string[]): string => [moduleServerDirectives(REPO_ROOT), ...sections].join("\n");

describe("apache2 -t and the worker's own check of the handler specs", () => {
  test("a database URL the worker cannot parse is refused, in the worker's words", async () => {
    const result = await configTest({ conf: conf(location("/a/", ["NodeAuthDjangoDatabase postgres://u@db:notaport/x"])) });
    expect(result.ok).toBe(false);
    expect(result.output).toMatch(/ANP0344: the handler configuration is refused: the worker refuses: django:postgres:\/\/u@db:notaport\/x: django handler: database: /);
  });

  test("a script package the worker cannot resolve is refused", async () => {
    const result = await configTest({ conf: conf(location("/b/", ["NodeAuthUserScript no-such-package-anp"])) });
    expect(result.ok).toBe(false);
    expect(result.output).toMatch(/ANP0344: .*script:no-such-package-anp: handler spec: path: cannot resolve package "no-such-package-anp"/);
  });

  test("a configuration the worker accepts says Syntax OK, 120 sibling locations with their own options included", async () => {
    const siblings = Array.from({ length: 120 }, (_, i) =>
      location(`/site${i}/`, ["NodeAuthDjangoDatabase sqlite:///var/lib/anp/db.sqlite3", `NodeAuthDjangoOption pool_size ${(i % 64) + 1}`, `NodeAuthDjangoOption row_cache_seconds ${i}`]),
    );
    const result = await configTest({ conf: conf(location("/", ["NodeAuthDjangoDatabase sqlite:///var/lib/anp/db.sqlite3"]), ...siblings) });
    expect(result.output).toMatch(/Syntax OK/);
    expect(result.ok).toBe(true);
  });
});
