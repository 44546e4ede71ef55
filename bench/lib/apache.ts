// A throwaway Apache for the benches, built from the same pieces as the demo (src/demo): the test harness
// (test/harness/apache.ts) hooks into vitest, which cannot be loaded outside a test run.
import { execFileSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { renderHttpdConfig } from "../../src/demo/httpd-config.js";
import { compiledInModules, descendants, startHttpd, APACHE_BINARY, type HttpdProcess } from "../../src/demo/httpd-process.js";
import { freePort } from "../../src/demo/free-port.js";
import { djangoSessionLocation } from "../../test/support/httpd-conf.js";
import { processMemory, type ProcessMemory } from "./proc.js";

const REPO = resolve(import.meta.dirname, "../..");
export const NODE_MODULE = join(REPO, "build/Release/mod_authnz_node.so");

export interface BenchApache {
  readonly pid: number;
  readonly port: number;
  /** Its throwaway ServerRoot (httpd.conf, run/, error.log). */
  readonly root: string;
  url(path: string): string;
  /** Resident memory (KiB) of httpd's own children. */
  childrenRssKb(): number[];
  errorLog(): string;
  /** Resident memory (KiB) of the Node worker(s) httpd started. */
  workersRssKb(): number[];
  /** The pids of the Node worker(s) httpd started. */
  workerPids(): number[];
  /** The pids of httpd's own children (not the worker). */
  childPids(): number[];
  /** RSS, PSS and private memory of httpd's parent and of each of its children (not the worker). */
  memory(): { parent: ProcessMemory | null; children: ProcessMemory[] };
  stop(): Promise<void>;
}

export interface BenchApacheOptions {
  readonly body: string;
  readonly files: Record<string, string>;
  readonly nodeModule: boolean;
  /** Another build of the module than NODE_MODULE (bench/shared-store.ts: the shmcb variant). */
  readonly modulePath?: string;
  /** Apache modules loaded before it, by short name ("socache_shmcb"). */
  readonly extraModules?: readonly string[];
}

export async function startBenchApache(options: BenchApacheOptions): Promise<BenchApache> {
  const root = mkdtempSync(join(tmpdir(), "anp-bench-"));
  const docRoot = join(root, "htdocs");
  mkdirSync(join(root, "run"), { recursive: true });
  for (const [relative, content] of Object.entries({ "index.html": "<p>open</p>\n", ...options.files })) {
    mkdirSync(dirname(join(docRoot, relative)), { recursive: true });
    writeFileSync(join(docRoot, relative), content);
  }
  const port = await freePort();
  const confPath = join(root, "httpd.conf");
  writeFileSync(
    confPath,
    renderHttpdConfig({
      serverRoot: root,
      port,
      mpm: "event",
      documentRoot: docRoot,
      nodeModulePath: options.nodeModule ? (options.modulePath ?? NODE_MODULE) : null,
      extraModules: options.extraModules ?? [],
      compiledIn: compiledInModules(),
      runAs: process.getuid?.() === 0 ? { user: "www-data", group: "www-data" } : null,
      logLevel: "warn",
      body: options.body,
    }),
  );
  execFileSync("chmod", ["-R", "a+rX", root]);
  chmodSync(root, 0o755);
  let httpd: HttpdProcess;
  try {
    httpd = await startHttpd({ serverRoot: root, confPath, errorLogPath: join(root, "error.log"), port, readyPath: "/index.html" });
  } catch (error) {
    rmSync(root, { recursive: true, force: true });
    throw error;
  }
  const rss = (pid: number): number => Number(/^VmRSS:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0);
  const children = (): number[] => descendants(httpd.pid).filter((p) => p.ppid === httpd.pid && p.command.startsWith(APACHE_BINARY)).map((p) => p.pid);
  const workers = (): number[] => descendants(httpd.pid).filter((p) => p.command.includes("worker.js")).map((p) => p.pid);
  return {
    pid: httpd.pid,
    port,
    root,
    url: (path) => `http://127.0.0.1:${port}${path}`,
    errorLog: () => readFileSync(join(root, "error.log"), "utf8"),
    childrenRssKb: () => children().map(rss),
    workersRssKb: () => workers().map(rss),
    workerPids: workers,
    childPids: children,
    memory: () => ({
      parent: processMemory(httpd.pid),
      children: children()
        .map(processMemory)
        .filter((m): m is ProcessMemory => m !== null),
    }),
    stop: async () => {
      await httpd.stop();
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/** Mean resident memory in MiB of processes whose RSS is given in KiB. */
/** Fails the bench's setup unless `path` answers `expected` with these Basic credentials (null: none). */
export async function expectStatus(server: BenchApache, path: string, credentials: string | null, expected: number): Promise<void> {
  const headers: Record<string, string> = credentials ? { Authorization: `Basic ${Buffer.from(credentials, "utf8").toString("base64")}` } : {};
  const response = await fetch(server.url(path), { headers });
  if (response.status !== expected) {
    throw new Error(`bench setup: ${path} as ${credentials?.split(":")[0] ?? "nobody"} gave ${response.status}, expected ${expected}\n${server.errorLog()}`);
  }
}

/** As expectStatus with a Cookie header, without following redirects: a session location's 302 to a login page is not a 200. */
export async function expectCookieStatus(server: BenchApache, path: string, cookie: string | null, expected: number): Promise<void> {
  const response = await fetch(server.url(path), { headers: cookie ? { Cookie: cookie } : {}, redirect: "manual" });
  if (response.status !== expected) {
    throw new Error(`bench setup: ${path} ${cookie ? "with alice's session" : "without a session"} gave ${response.status}, expected ${expected}\n${server.errorLog()}`);
  }
}

export function meanMiB(kib: readonly number[]): number {
  return kib.length ? kib.reduce((sum, k) => sum + k, 0) / kib.length / 1024 : Number.NaN;
}

/** AuthType DjangoSession with the db engine, signed with the key in `keyFile` (the tests' own builder). */
export function sessionLocation(path: string, databaseUrl: string, keyFile: string, extra: string[] = []): string {
  return djangoSessionLocation(path, { databaseUrl, keyFile, engine: "db" }, [...extra, "Require valid-user"]);
}

/** A <Location> guarded by `AuthBasicProvider node` with the built-in Django handler (Django 5.2's hasher settings). */
export function djangoLocation(path: string, databaseUrl: string, extra: string[] = [], require = "Require valid-user"): string {
  return [
    `<Location "${path}">`,
    "    AuthType Basic",
    '    AuthName "Top Secret"',
    "    AuthBasicProvider node",
    `    NodeAuthDjangoDatabase "${databaseUrl}"`,
    "    NodeAuthDjangoOption django_version 5.2",
    ...extra.map((line) => `    ${line}`),
    `    ${require}`,
    "</Location>",
  ].join("\n");
}
