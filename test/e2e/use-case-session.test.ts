// The Debian site file of the session use case (httpd-conf/examples/session/django-session.conf) passes
// `apache2 -t` with mod_authnz_node and mod_wsgi, once its SECRET_KEY file exists with the owner and mode
// its header gives (root, the Django daemon's group, 0640): the module reads and checks that file at
// configtest. The walk-through is docs/use-cases/session.md; the browser proof is session-browser.test.ts.
import { readFileSync, writeFileSync, mkdtempSync, rmSync, chmodSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { configTest, REPO_ROOT } from "../harness/apache.js";
import { trackDirectory } from "../harness/lifecycle.js";
import { requireOrSkip } from "../support/optional.js";

const SITE = join(REPO_ROOT, "httpd-conf/examples/session/django-session.conf");
/** A system user that exists on a bootstrapped machine stands in for the example's "mysite". */
const DAEMON_USER = "mod_authnz_node_django";

/** The site file with the key's path and the daemon's user made real on this machine. */
function siteFor(keyFile: string): string {
  return readFileSync(SITE, "utf8").replaceAll("/etc/mysite/secret_key", keyFile).replace("user=mysite group=mysite", `user=${DAEMON_USER} group=${DAEMON_USER}`);
}

describe("the Debian site file session/django-session.conf", () => {
  it("passes apache2 -t with mod_authnz_node and mod_wsgi; a key file www-data could read fails it", async (context) => {
    requireOrSkip(context, process.getuid?.() === 0, "not root: the key file's owner and the daemon's user need root");
    const dir = mkdtempSync("/tmp/anp-session-site-");
    const untrack = trackDirectory(dir);
    try {
      chmodSync(dir, 0o755);
      const keyFile = join(dir, "secret_key");
      writeFileSync(keyFile, "an example SECRET_KEY of fifty characters, or so!!\n", { mode: 0o640 });
      execFileSync("chown", [`root:${DAEMON_USER}`, keyFile]);
      const good = await configTest({ conf: siteFor(keyFile), modules: ["wsgi"] });
      expect(good.ok, good.output).toBe(true);
      // The same file readable by all: the module refuses to start with it.
      chmodSync(keyFile, 0o644);
      const exposed = await configTest({ conf: siteFor(keyFile), modules: ["wsgi"] });
      expect(exposed.ok, exposed.output).toBe(false);
      expect(exposed.output).toContain(keyFile);
    } finally {
      rmSync(dir, { recursive: true, force: true });
      untrack();
    }
  });
});
