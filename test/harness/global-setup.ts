// vitest globalSetup, before any test starts a server:
// 1. remove what earlier runs left behind (servers and directories recorded by lifecycle.ts whose owner
//    process has gone: a run killed with SIGKILL, a machine that lost power). A run going on now keeps its
//    entries.
// 2. ask the module (apache2 -t, as httpd would start the tests' Apaches) whether the worker's user can
//    read this checkout. A clone under a 0700 home cannot be: then every Apache test would fail one by one
//    after its start timed out, so the run stops here, in seconds, with the module's own line (ANP0342).
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { sweepLeftovers } from "./lifecycle.js";
import { renderHttpdConfig } from "../../src/demo/httpd-config.js";
import { APACHE_BINARY, compiledInModules } from "../../src/demo/httpd-process.js";
import { moduleServerDirectives } from "../../src/demo/module-directives.js";

const REPO_ROOT = resolve(import.meta.dirname, "../..");
const MODULE = join(REPO_ROOT, "build/Release/mod_authnz_node.so");

/** The module's ANP0342 line when the worker's user (httpd's User) cannot read the checkout, else null. */
export function checkoutUnreadable(repoRoot = REPO_ROOT): string | null {
  if (process.getuid?.() !== 0 || !existsSync(MODULE) || !existsSync(APACHE_BINARY)) return null;
  const root = mkdtempSync(join(tmpdir(), "anp-checkout-check-"));
  try {
    mkdirSync(join(root, "htdocs"));
    mkdirSync(join(root, "run"));
    const conf = renderHttpdConfig({
      serverRoot: root,
      port: 1,
      mpm: "event",
      documentRoot: join(root, "htdocs"),
      nodeModulePath: MODULE,
      compiledIn: compiledInModules(),
      runAs: { user: "www-data", group: "www-data" },
      body: moduleServerDirectives(repoRoot),
    });
    writeFileSync(join(root, "httpd.conf"), conf);
    const run = spawnSync(APACHE_BINARY, ["-d", root, "-f", join(root, "httpd.conf"), "-t"], { encoding: "utf8" });
    const line = `${run.stdout}${run.stderr}`.split("\n").find((l) => l.includes("ANP0342"));
    return run.status !== 0 && line !== undefined ? line.trim() : null;
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

export default function setup(): void {
  const { swept } = sweepLeftovers();
  if (swept.length > 0) console.log(`swept ${swept.length} leftover(s) of earlier test runs: ${swept.join(", ")}`);
  const unreadable = checkoutUnreadable();
  if (unreadable !== null) {
    throw new Error(`the tests' Apaches cannot start a worker from this checkout:\n${unreadable}\nClone where httpd's User can read (e.g. /srv or /opt), or make the directories above the clone searchable (chmod o+x).`);
  }
}
