// Test harness: a real Debian apache2 in a throwaway ServerRoot on a free port, with
// mod_authnz_node loaded from build/Release (or not, for reference runs with Apache's own
// providers). Every failing test gets the error log: see printErrorLogOnFailure.
import { mkdtempSync, mkdirSync, writeFileSync, readFileSync, existsSync, rmSync, chmodSync } from "node:fs";
import { execFileSync, spawnSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join, dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach } from "vitest";
import { renderHttpdConfig, type Mpm } from "../../src/demo/httpd-config.js";
import { startHttpd, compiledInModules, descendants, APACHE_BINARY, type ProcessInfo } from "../../src/demo/httpd-process.js";
import { httpRequest, basicAuthorization, type HeaderValue, type HttpResponse } from "../../src/demo/http-request.js";
import { freePort } from "./ports.js";
import { trackDirectory, trackProcess } from "./lifecycle.js";

export type { Mpm } from "../../src/demo/httpd-config.js";
export { basicAuthorization } from "../../src/demo/http-request.js";

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
export const NODE_MODULE_PATH = join(REPO_ROOT, "build/Release/mod_authnz_node.so");
export const WORKER_ENTRY = join(REPO_ROOT, "dist/worker.js");

/** Paths a configuration may refer to; `conf` can be a function of them. */
export interface ApacheLayout {
  readonly root: string;
  readonly docRoot: string;
  readonly port: number;
}

export interface StartApacheOptions {
  /** Directives after the base configuration (Locations, module directives). */
  readonly conf: string | ((layout: ApacheLayout) => string);
  readonly mpm?: Mpm;
  /** Apache modules to load besides the base set, by short name ("authn_file", "authz_groupfile"). */
  readonly modules?: readonly string[];
  /** Load build/Release/mod_authnz_node.so (default true). */
  readonly nodeModule?: boolean;
  /** Files written under the DocumentRoot (relative path -> content). */
  readonly files?: Readonly<Record<string, string>>;
  readonly logLevel?: string;
  readonly env?: NodeJS.ProcessEnv;
  /**
   * Brute-force settings for tests whose subject is not brute force (default true): the tests' own client
   * addresses (127.0.0.1, ::1) exempt from the worker's native throttle, and room for 1024 waiting hashes
   * per address (NodeAuthHashQueue). Both are on by default and keyed by address, and most tests send many
   * failures, or many checks at once, from 127.0.0.1 on purpose. A test's own NodeAuthHashQueue wins (it
   * comes later); the throttle's own tests use 127.0.0.2 and up, or set this false.
   */
  readonly throttleTestDefaults?: boolean;
}

export interface RequestOptions {
  readonly authorization?: HeaderValue | null;
  readonly headers?: ReadonlyArray<readonly [string, HeaderValue]>;
  readonly method?: string;
}

export interface ApacheServer extends ApacheLayout {
  readonly pid: number;
  readonly mpm: Mpm;
  readonly confPath: string;
  url(path: string): string;
  request(path: string, options?: RequestOptions): Promise<HttpResponse>;
  /** The status for `path` with this Authorization header (null: none sent). */
  status(path: string, authorization?: HeaderValue | null): Promise<number>;
  /** The status for `path` with Basic credentials `user:password` sent as UTF-8. */
  statusAs(path: string, user: string, password: string): Promise<number>;
  errorLog(): string;
  accessLog(): string;
  /** Live processes under the httpd parent: its children and anything they or the module started. */
  processes(): ProcessInfo[];
  /** The live Node workers under httpd (command line runs dist/worker.js). */
  workers(): ProcessInfo[];
  /** httpd's own children (MPM processes), with their resident memory in KiB. */
  children(): Array<ProcessInfo & { rssKb: number }>;
  graceful(): Promise<void>;
  /**
   * Stops httpd, kills leftovers, removes the ServerRoot (set ANP_KEEP_SERVER_ROOT=1 to keep it);
   * returns the leftovers it had to kill. The logs stay readable through errorLog()/accessLog().
   */
  stop(): Promise<ProcessInfo[]>;
}

let compiledIn: Set<string> | undefined;

/**
 * httpd runs in its own process group and the worker in its own session, so nothing else stops them
 * when a test process ends without calling stop() (a crash, an interrupted run): lifecycle.ts kills
 * them and removes their ServerRoots on exit and on SIGINT/SIGTERM/SIGHUP, and the next run's sweep
 * does it for a run that was SIGKILLed. The ServerRoot is tracked from its creation, so an httpd
 * interrupted while starting (its command line names the ServerRoot) goes too.
 */
const forgotten = new Set<ApacheServer>();

// A test file that forgets stop() still gets its servers stopped when the file is done.
afterAll(async () => {
  for (const server of forgotten) await server.stop();
});

/** VmRSS of a process in KiB (0 when it has gone). */
export function residentKb(pid: number): number {
  try {
    const match = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return match ? Number(match[1]) : 0;
  } catch {
    return 0;
  }
}

function runAs(): { user: string; group: string } | null {
  return process.getuid?.() === 0 ? { user: "www-data", group: "www-data" } : null;
}

export function nodeModuleBuilt(): boolean {
  return existsSync(NODE_MODULE_PATH);
}

function writeServerRoot(options: StartApacheOptions, port: number): ApacheLayout & { confPath: string; untrack: () => void } {
  const mpm = options.mpm ?? "event";
  const root = mkdtempSync(join(tmpdir(), `anp-apache-${mpm}-`));
  const untrack = trackDirectory(root);
  const docRoot = join(root, "htdocs");
  mkdirSync(join(root, "run"), { recursive: true });
  mkdirSync(docRoot, { recursive: true });
  writeFileSync(join(docRoot, "index.html"), "<p>open</p>\n");
  for (const [relative, content] of Object.entries(options.files ?? {})) {
    const target = join(docRoot, relative);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, content);
  }
  const layout = { root, docRoot, port };
  const given = typeof options.conf === "function" ? options.conf(layout) : options.conf;
  const defaults = options.nodeModule !== false && options.throttleTestDefaults !== false;
  const body = defaults ? `NodeAuthThrottleExempt 127.0.0.1 ::1\nNodeAuthHashQueue 1024\n${given}` : given;
  compiledIn ??= compiledInModules();
  const conf = renderHttpdConfig({
    serverRoot: root,
    port,
    mpm,
    documentRoot: docRoot,
    extraModules: options.modules,
    nodeModulePath: options.nodeModule === false ? null : NODE_MODULE_PATH,
    compiledIn,
    runAs: runAs(),
    logLevel: options.logLevel,
    body,
  });
  const confPath = join(root, "httpd.conf");
  writeFileSync(confPath, conf);
  // www-data (httpd's children and the worker) must read the tree; mkdtemp made it 0700.
  execFileSync("chmod", ["-R", "a+rX", root]);
  chmodSync(root, 0o755);
  return { ...layout, confPath, untrack };
}

/** `apache2 -t` on a configuration: the result and everything it printed. Removes its ServerRoot. */
export async function configTest(options: StartApacheOptions): Promise<{ ok: boolean; output: string }> {
  const layout = writeServerRoot(options, await freePort());
  try {
    const run = spawnSync(APACHE_BINARY, ["-d", layout.root, "-f", layout.confPath, "-t"], { encoding: "utf8", env: options.env ?? process.env });
    return { ok: run.status === 0, output: `${run.stdout}${run.stderr}` };
  } finally {
    rmSync(layout.root, { recursive: true, force: true });
    layout.untrack();
  }
}

export async function startApache(options: StartApacheOptions): Promise<ApacheServer> {
  const mpm = options.mpm ?? "event";
  const port = await freePort();
  const { untrack: untrackRoot, ...layout } = writeServerRoot(options, port);
  const errorLogPath = join(layout.root, "error.log");
  const accessLogPath = join(layout.root, "access.log");
  let httpd;
  try {
    httpd = await startHttpd({ serverRoot: layout.root, confPath: layout.confPath, errorLogPath, port, env: options.env, readyPath: "/index.html" });
  } catch (err) {
    rmSync(layout.root, { recursive: true, force: true });
    untrackRoot();
    throw err;
  }
  const untrackHttpd = trackProcess(httpd.pid, { group: true });
  const readLog = (path: string) => (existsSync(path) ? readFileSync(path, "utf8") : "");

  const request = (path: string, requestOptions: RequestOptions = {}) => {
    const headers: Array<readonly [string, HeaderValue]> = [...(requestOptions.headers ?? [])];
    if (requestOptions.authorization != null) headers.push(["Authorization", requestOptions.authorization]);
    return httpRequest({ port, path, method: requestOptions.method, headers });
  };

  let stopping: Promise<ProcessInfo[]> | undefined;
  // The ServerRoot goes away on stop; failure reports still want the logs.
  let finalErrorLog: string | undefined;
  let finalAccessLog: string | undefined;
  const self: ApacheServer = {
    ...layout,
    pid: httpd.pid,
    mpm,
    url: (path) => `http://127.0.0.1:${port}${path}`,
    request,
    status: async (path, authorization = null) => (await request(path, { authorization })).status,
    statusAs: async (path, user, password) => (await request(path, { authorization: basicAuthorization(user, password) })).status,
    errorLog: () => finalErrorLog ?? readLog(errorLogPath),
    accessLog: () => finalAccessLog ?? readLog(accessLogPath),
    processes: () => descendants(httpd.pid),
    workers: () => descendants(httpd.pid).filter((p) => p.command.includes("worker.js")),
    children: () =>
      descendants(httpd.pid)
        .filter((p) => p.ppid === httpd.pid && p.command.startsWith(APACHE_BINARY))
        .map((p) => ({ ...p, rssKb: residentKb(p.pid) })),
    graceful: () => httpd.graceful(),
    stop: () =>
      (stopping ??= (async () => {
        const leftovers = await httpd.stop();
        untrackHttpd();
        forgotten.delete(self);
        finalErrorLog = readLog(errorLogPath);
        finalAccessLog = readLog(accessLogPath);
        if (process.env.ANP_KEEP_SERVER_ROOT) console.log(`kept ServerRoot ${layout.root}`);
        else rmSync(layout.root, { recursive: true, force: true });
        untrackRoot();
        return leftovers;
      })()),
  };
  forgotten.add(self);
  return self;
}

/**
 * Registers an afterEach that prints the error log of the server(s) `current()` returns when the
 * test just run failed, so a red test shows what Apache and the worker said.
 */
export function printErrorLogOnFailure(current: () => ApacheServer | ReadonlyArray<ApacheServer | undefined> | undefined): void {
  afterEach((context) => {
    if (context.task.result?.state !== "fail") return;
    const found = current();
    const servers = Array.isArray(found) ? found : [found];
    for (const server of servers) {
      if (!server) continue;
      console.error(`--- error log of apache2 (${server.mpm}, port ${server.port}, ${server.root}) ---\n${server.errorLog()}--- end of error log ---`);
    }
  });
}
