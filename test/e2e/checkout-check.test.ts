// The test run's first step (test/harness/global-setup.ts) asks the module, through apache2 -t, whether the
// worker's user can read the checkout, so a clone under a 0700 home stops the run in seconds with the
// module's ANP0342 line instead of failing every Apache test after its start timed out.
import { afterAll, expect, test } from "vitest";
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { checkoutUnreadable } from "../harness/global-setup.js";
import { REPO_ROOT, nodeModuleBuilt } from "../harness/apache.js";
import { describeRequiring } from "../support/optional.js";

const dir = mkdtempSync(join(tmpdir(), "anp-checkout-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describeRequiring(process.getuid?.() === 0 && nodeModuleBuilt(), "needs root (to become www-data) and the built module")("the checkout check before any test", () => {
  test("a checkout under a 0700 directory is refused with the module's line naming the directory; an open one passes", () => {
    const checkout = join(dir, "clone");
    mkdirSync(join(checkout, "dist"), { recursive: true });
    copyFileSync(join(REPO_ROOT, "package.json"), join(checkout, "package.json"));
    copyFileSync(join(REPO_ROOT, "dist/worker.js"), join(checkout, "dist/worker.js"));
    chmodSync(dir, 0o755);
    chmodSync(checkout, 0o700);
    expect(checkoutUnreadable(checkout)).toMatch(new RegExp(`ANP0342: .*www-data .*cannot read NodeAuthWorker ${checkout}/dist/worker.js: ${checkout} is not searchable by that user`));
    chmodSync(checkout, 0o755);
    expect(checkoutUnreadable(checkout)).toBeNull();
  });
});
