// A real browser against the real demo: headless Chromium (Debian's, through playwright-core) opens a file
// under /members/ (AuthType DjangoSession), is sent to the demo's Django login page (Django's LoginView under
// mod_wsgi daemon mode, same origin), logs in with the form, lands back on the file, logs out, and is sent
// to the login page again. A wrong password stays on the login page. One demo, one browser.
// The screenshot goes to <the test's temp dir>/screenshots/members-file.png, removed with the temp dir at
// the end (ANP_KEEP_SCREENSHOT=1 copies it to the working directory's test-output/ first).
import { describe, test, expect, beforeAll, afterAll } from "vitest";
import { spawn, type ChildProcess } from "node:child_process";
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { REPO_ROOT } from "../harness/apache.js";
import { chromiumInstalled, launchBrowser, type HeadlessBrowser } from "../harness/browser.js";
import { trackDirectory, trackProcess } from "../harness/lifecycle.js";
import { eventually } from "../support/eventually.js";
import { requireOrSkip } from "../support/optional.js";
import { DEMO_MEMBERS_FILE } from "../../src/demo/site.js";

const DEMO = join(REPO_ROOT, "dist/demo/main.js");

let temp: string;
let untrackTemp: () => void = () => {};
let demo: ChildProcess | undefined;
let demoOutput = "";
let base = "";
let headless: HeadlessBrowser | undefined;

beforeAll(async () => {
  if (!chromiumInstalled() || !existsSync(DEMO)) return;
  // Apache's children and the Django daemon run as users of their own: they must enter the directory.
  temp = mkdtempSync("/tmp/anp-session-browser-");
  untrackTemp = trackDirectory(temp);
  chmodSync(temp, 0o755);
  demo = spawn(process.execPath, [DEMO], { env: { ...process.env, DEMO_STATE_DIR: join(temp, "demo") }, stdio: ["ignore", "pipe", "pipe"] });
  trackProcess(demo.pid, { group: false });
  demo.stdout?.setEncoding("utf8").on("data", (text: string) => (demoOutput += text));
  demo.stderr?.setEncoding("utf8").on("data", (text: string) => (demoOutput += text));
  const ready = await eventually(() => {
    if (demo?.exitCode !== null) throw new Error(`demo exited (${demo?.exitCode}):\n${demoOutput}`);
    return demoOutput.includes("Press Ctrl-C");
  }, 1500);
  if (!ready) throw new Error(`demo did not start:\n${demoOutput}`);
  base = /mod_authnz_node demo: (http:\/\/127\.0\.0\.1:\d+)\//.exec(demoOutput)?.[1] ?? "";
  headless = await launchBrowser();
}, 180_000);

afterAll(async () => {
  await headless?.close();
  if (demo && demo.exitCode === null) {
    // SIGTERM: the demo stops Apache, the worker and the Django daemon itself.
    const exited = new Promise((resolve) => demo?.once("exit", resolve));
    demo.kill("SIGTERM");
    await exited;
  }
  if (temp) rmSync(temp, { recursive: true, force: true });
  untrackTemp();
}, 60_000);

const loginUrl = (next: string) => `${base}/accounts/login/?next=${next}`;

async function logIn(page: Page, user: string, password: string): Promise<void> {
  await page.fill("#id_username", user);
  await page.fill("#id_password", password);
  await Promise.all([page.waitForNavigation(), page.click("#login-submit")]);
}

describe("a browser logged in to the demo's Django site opens /members/ files (AuthType DjangoSession)", () => {
  test("login page, the file, logout, refused; a wrong password stays on the login page", async (context) => {
    requireOrSkip(context, chromiumInstalled(), "no /usr/bin/chromium (scripts/bootstrap.sh test installs it)");
    requireOrSkip(context, existsSync(DEMO), `${DEMO} is missing (npm run build)`);
    const browser = headless!.browser;
    const page = await (browser.contexts()[0] ?? (await browser.newContext())).newPage();
    try {
      // No session: the module sends the browser to Django's login page with next= the file.
      await page.goto(`${base}${DEMO_MEMBERS_FILE.path}`);
      expect(page.url()).toBe(loginUrl(DEMO_MEMBERS_FILE.path));

      // A wrong password: Django shows its form again; the file is still refused.
      await logIn(page, "alice", "not-wonderland");
      expect(page.url()).toBe(`${base}/accounts/login/`);
      expect(await page.textContent("#login-error")).toContain("didn't match");
      await page.goto(`${base}${DEMO_MEMBERS_FILE.path}`);
      expect(page.url()).toBe(loginUrl(DEMO_MEMBERS_FILE.path));

      // The right one: LoginView follows next= back to the file, which Apache now serves.
      await logIn(page, "alice", "wonderland");
      expect(page.url()).toBe(`${base}${DEMO_MEMBERS_FILE.path}`);
      expect(await page.textContent("body")).toContain(DEMO_MEMBERS_FILE.content.trim());
      const shot = join(temp, "screenshots", "members-file.png");
      mkdirSync(join(temp, "screenshots"), { recursive: true });
      await page.screenshot({ path: shot });
      expect(readFileSync(shot).subarray(1, 4).toString()).toBe("PNG");
      if (process.env.ANP_KEEP_SCREENSHOT === "1") {
        mkdirSync("test-output", { recursive: true });
        copyFileSync(shot, join("test-output", "members-file.png"));
      }

      // Log out with the home page's form (a POST with Django's CSRF token): the same file is refused.
      await page.goto(`${base}/accounts/`);
      expect(await page.textContent("#username")).toBe("alice");
      await Promise.all([page.waitForNavigation(), page.click("#logout-submit")]);
      await page.goto(`${base}${DEMO_MEMBERS_FILE.path}`);
      expect(page.url()).toBe(loginUrl(DEMO_MEMBERS_FILE.path));
      expect(await page.textContent("body")).not.toContain(DEMO_MEMBERS_FILE.content.trim());
    } finally {
      await page.close();
    }
  }, 120_000);
});
