// Test harness: Debian's headless Chromium (/usr/bin/chromium, scripts/bootstrap.sh installs it), driven
// through playwright-core, which never downloads a browser of its own. The harness starts Chromium itself,
// in a process group of its own, and records it with lifecycle.ts, so neither the browser nor its
// renderer and GPU processes outlive the test run however it ends; playwright-core only attaches to it
// over the DevTools protocol. Its profile lives in a throwaway /tmp/anp-* directory, tracked the same way.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { chromium, type Browser } from "playwright-core";
import { HarnessError } from "./server-process.js";
import { trackDirectory, trackProcess } from "./lifecycle.js";

export const CHROMIUM_BINARY = "/usr/bin/chromium";

export interface HeadlessBrowser {
  readonly browser: Browser;
  readonly pid: number;
  /** Closes the connection, stops Chromium and what it started, removes its profile. */
  close(): Promise<void>;
}

export function chromiumInstalled(): boolean {
  return existsSync(CHROMIUM_BINARY);
}

/** Chromium's flags: headless, no first-run or background chatter, a free DevTools port it reports on stderr. */
function chromiumArgs(profile: string): string[] {
  const args = [
    "--headless=new",
    `--user-data-dir=${profile}`,
    "--remote-debugging-port=0",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--password-store=basic",
    "about:blank",
  ];
  // Chromium refuses to start as root with its sandbox on ("Running as root without --no-sandbox is not
  // supported"); the tests run as root in CI. The pages it loads are the test's own, on 127.0.0.1.
  if (process.getuid?.() === 0) args.unshift("--no-sandbox");
  return args;
}

/** The ws:// endpoint Chromium prints ("DevTools listening on ws://..."), or a rejection with what it printed. */
function devToolsEndpoint(child: ReturnType<typeof spawn>): Promise<string> {
  return new Promise((resolve, reject) => {
    let printed = "";
    const timer = setTimeout(() => reject(new HarnessError(`chromium printed no DevTools endpoint within 60 s:\n${printed}`)), 60_000);
    const lines = createInterface({ input: child.stderr! });
    lines.on("line", (line) => {
      printed = (printed + line + "\n").slice(-8000);
      const match = /DevTools listening on (ws:\/\/\S+)/.exec(line);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      reject(new HarnessError(`chromium exited (${code ?? signal}) before it listened:\n${printed}`));
    });
  });
}

export async function launchBrowser(): Promise<HeadlessBrowser> {
  const profile = mkdtempSync(join(tmpdir(), "anp-chromium-"));
  const untrackProfile = trackDirectory(profile);
  const child = spawn(CHROMIUM_BINARY, chromiumArgs(profile), { stdio: ["ignore", "ignore", "pipe"], detached: true });
  const untrackChromium = trackProcess(child.pid, { group: true });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const stopChromium = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      try {
        process.kill(-(child.pid ?? 0), "SIGTERM");
      } catch {
        // gone already
      }
      const forced = setTimeout(() => child.pid && process.kill(-child.pid, "SIGKILL"), 10_000);
      await exited;
      clearTimeout(forced);
    }
    untrackChromium();
    rmSync(profile, { recursive: true, force: true });
    untrackProfile();
  };
  let browser: Browser;
  try {
    browser = await chromium.connectOverCDP(await devToolsEndpoint(child));
  } catch (error) {
    await stopChromium();
    throw error;
  }
  return {
    browser,
    pid: child.pid ?? -1,
    close: async () => {
      await browser.close().catch(() => undefined);
      await stopChromium();
    },
  };
}
