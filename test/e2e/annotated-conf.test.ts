// httpd-conf/authnz_node.conf with every directive it shows uncommented, the server-wide defaults and the
// per-directory <Location> example alike, passes `apache2 -t`: each value the file suggests is one the
// module accepts. Only what is specific to this machine is replaced: the node binary, the worker of this
// checkout, the handler scripts, the file: secret (a root-only file holding a SQLite URL, as the
// module checks it at configtest) and the session example's SECRET_KEY file (root-only too). test/unit/directives-doc.test.ts checks the file names every directive.
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { configTest, nodeModuleBuilt, REPO_ROOT } from "../harness/apache.js";
import { describeRequiring } from "../support/optional.js";

const CONF = join(REPO_ROOT, "httpd-conf/authnz_node.conf");
const SCRIPT = join(REPO_ROOT, "test/fixtures/handlers/basic.mjs");

/** The file with each commented directive line (once or twice, as alternatives are) made active. */
function uncommented(text: string): string {
  return text.replace(/^(\s*)#(\s*)(?:#\s*)?((?:<\/?Location\b|Auth\w+ |Require |NodeAuth\w+ ).*)$/gm, "$1$2$3");
}

describeRequiring(process.getuid?.() === 0 && nodeModuleBuilt(), "needs root (the file: secret is checked as root) and the built module")(
  "httpd-conf/authnz_node.conf, every directive uncommented",
  () => {
    let dir = "";
    let secret = "";
    let secretKey = "";

    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), "anp-annotated-conf-"));
      secret = join(dir, "mysite.url");
      writeFileSync(secret, `sqlite://${join(dir, "db.sqlite3")}\n`, { mode: 0o600 });
      secretKey = join(dir, "secret_key");
      writeFileSync(secretKey, "django-insecure-annotated-conf-test-key\n", { mode: 0o600 });
      chmodSync(dir, 0o755);
    });

    afterAll(() => {
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    function localized(text: string): string {
      return uncommented(text)
        .replaceAll("/etc/mod_authnz_node/mysite.url", secret)
        .replace("/etc/mysite/secret_key", secretKey)
        // A user every Debian system has, for the example's monitoring user.
        .replace(/^(\s*NodeAuthAdminUser) .*$/m, "$1 daemon")
        .replace(/^(\s*NodeAuthNodeBinary) .*$/m, `$1 "${process.execPath}"`)
        .replace(/^(\s*NodeAuthWorker(?:Script)?) .*$/gm, `$1 "${join(REPO_ROOT, "dist/worker.js")}"`)
        .replace(/\/srv\/auth\/(users|groups)\.mjs/g, SCRIPT);
    }

    test("uncommenting makes every directive of the file active (the rewrite itself works)", () => {
      const active = localized(readFileSync(CONF, "utf8")).split("\n").filter((line) => /^\s*NodeAuth\w+ /.test(line));
      expect(active.length).toBeGreaterThan(20);
      expect(active.some((line) => line.includes("NodeAuthCacheSeconds 5"))).toBe(true);
    });

    test("apache2 -t accepts it", async () => {
      const result = await configTest({ conf: localized(readFileSync(CONF, "utf8")), throttleTestDefaults: false });
      expect(result.output).toContain("Syntax OK");
      expect(result.ok).toBe(true);
    });
  },
);
