// `npm run demo`: Apache httpd on a local port, mod_authnz_node protecting two pages against a
// Django SQLite database made by real Django, and a real Django site (its login page) on the same
// origin under mod_wsgi daemon mode, until Ctrl-C. With --check (or DEMO_CHECK=1) it
// asks every demo login's status itself, compares it with what Django says, and exits.
//
// Environment: DEMO_PORT (default: a free port), DEMO_CHECK=1, DEMO_STATE_DIR (kept afterwards).
import { mkdtempSync, mkdirSync, chmodSync, rmSync, existsSync, readFileSync, readdirSync, writeFileSync, statSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join, resolve, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { renderHttpdConfig } from "./httpd-config.js";
import { startHttpd, compiledInModules, type HttpdProcess } from "./httpd-process.js";
import { freePort } from "./free-port.js";
import { runOracle } from "./django-oracle.js";
import { DEMO_LOGINS, DEMO_GROUP, DEMO_PAGES, DEMO_MEMBERS_FILE, DEMO_WORKER_USER, writeDemoSite, demoAuthConfig } from "./site.js";
import { DEMO_SITE_USER, DJANGO_LOGIN_URL, djangoSiteConfig, lockDjangoSite, writeDjangoSite, type DjangoSite } from "./django-site.js";
import { moduleServerDirectives } from "./module-directives.js";
import { stageWorker, lockStagedWorker } from "./stage-worker.js";
import { expectationsFromDjango, runChecks, formatChecks, type Expectation } from "./checks.js";

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const modulePath = join(repoRoot, "build/Release/mod_authnz_node.so");

function say(line = ""): void {
  process.stdout.write(`${line}\n`);
}

/** Django's own migrate and seed_demo make the database; what Django says each demo login should see. */
async function seedDjango(databaseUrl: string): Promise<{ djangoVersion: ReturnType<typeof djangoSeries>; expectations: ReturnType<typeof expectationsFromDjango> }> {
  say("demo: creating the Django database with Django's own migrate and seed_demo ...");
  const logins = DEMO_LOGINS;
  const answers = await runOracle(repoRoot, databaseUrl, [
    { cmd: "version" },
    { cmd: "migrate" },
    { cmd: "seed_demo" },
    ...logins.flatMap((login) => [
      { cmd: "check_password", username: login.user, password: login.password },
      { cmd: "groups_for_user", username: login.user },
    ]),
  ]);
  return { djangoVersion: djangoSeries(answers[0]?.django), expectations: expectationsFromDjango(logins, answers.slice(3), DEMO_GROUP) };
}

interface SiteFiles {
  readonly stateDir: string;
  readonly serverRoot: string;
  readonly docRoot: string;
  readonly dataDir: string;
  readonly port: number;
  readonly runAs: { user: string; group: string } | null;
  /** NodeAuthWorkerUser: the only user that can read dataDir (null: the worker runs as we do). */
  readonly workerUser: string | null;
  /** The package NodeAuthWorker is taken from: the checkout, or the worker's staged copy when workerUser is set. */
  readonly workerRoot: string;
  readonly databaseUrl: string;
  readonly djangoVersion: ReturnType<typeof djangoSeries>;
  readonly django: DjangoSite;
}

/** Writes the pages and httpd.conf, opens the pages to Apache's user and the database to the worker's only; returns the config's path. */
function writeSite(site: SiteFiles): string {
  const { stateDir, serverRoot, docRoot, dataDir, port, runAs, workerUser, workerRoot } = site;
  writeDemoSite(docRoot);
  const conf = renderHttpdConfig({
    serverRoot,
    port,
    mpm: "event",
    documentRoot: docRoot,
    nodeModulePath: modulePath,
    compiledIn: compiledInModules(),
    runAs,
    logLevel: "info",
    extraModules: ["wsgi"],
    body: [
      moduleServerDirectives(workerRoot),
      ...(workerUser ? [`NodeAuthWorkerUser ${workerUser}`] : []),
      djangoSiteConfig(site.django, serverRoot, workerUser ? DEMO_SITE_USER : null),
      demoAuthConfig(site.databaseUrl, site.djangoVersion, site.django.secretKeyFile, DJANGO_LOGIN_URL),
    ].join("\n"),
  });
  const confPath = join(serverRoot, "httpd.conf");
  writeFileSync(confPath, conf);
  // Apache's children run as www-data when we are root: they must read the pages (and find the
  // site's wsgi.py). Never the SECRET_KEY's directory, not even for a moment.
  for (const name of readdirSync(stateDir)) if (join(stateDir, name) !== dirname(site.django.secretKeyFile)) execFileSync("chmod", ["-R", "a+rX", join(stateDir, name)]);
  chmodSync(stateDir, 0o755);
  if (workerUser) {
    // The password hashes and the key are not www-data's (Apache's children, and whatever PHP or CGI
    // the server has): the database is the Django site's to write and the worker's group's to read.
    lockDjangoSite(site.django, dataDir, DEMO_SITE_USER, workerUser);
    // The chmod above opened the staged worker to all: it is for the worker's user again.
    lockStagedWorker(workerRoot, workerUser);
  } else {
    for (const name of readdirSync(dataDir)) chmodSync(join(dataDir, name), 0o600);
    chmodSync(dataDir, 0o700);
  }
  return confPath;
}

function printIntro(base: string, expectations: ReturnType<typeof expectationsFromDjango>, serverRoot: string, errorLogPath: string, workerUser: string | null): void {
  say();
  say(`mod_authnz_node demo: ${base}/`);
  say(`  ${base}${DEMO_PAGES.members.path}  AuthType DjangoSession, Require valid-user  (logged in to the Django site)`);
  say(`  ${base}${DEMO_PAGES.secret.path}   AuthType Basic, Require group ${DEMO_GROUP}   (Django group)`);
  say(`  ${base}${DJANGO_LOGIN_URL}  the Django site's login page (mod_wsgi daemon mode, same origin)`);
  say();
  if (workerUser) {
    say(`The worker runs as ${workerUser} (NodeAuthWorkerUser), not as Apache's User www-data, and the Django`);
    say(`site as ${DEMO_SITE_USER} (its mod_wsgi daemon): www-data can read neither the database nor the SECRET_KEY.`);
    say();
  }
  say("Demo logins (made by Django in a SQLite database) and what Django says each should see:");
  for (const expectation of expectations) say(`  ${describeExpectation(expectation)}`);
  say();
  say("Try:");
  say(`  a browser: ${base}${DEMO_MEMBERS_FILE.path} (the login page, then the file)`);
  say(`  curl -i -u alice:wonderland ${base}${DEMO_PAGES.secret.path}`);
  say(`  curl -i -u bob:builder ${base}${DEMO_PAGES.secret.path}`);
  say();
  say(`Server root ${serverRoot}, error log ${errorLogPath}`);
}

/** --check: every demo login against Apache; true when all answered as Django says they should. */
async function checkAll(port: number, expectations: ReturnType<typeof expectationsFromDjango>, errorLogPath: string): Promise<boolean> {
  const results = await runChecks(port, expectations);
  say();
  say(formatChecks(results));
  const failed = results.filter((result) => !result.ok);
  say(failed.length === 0 ? `demo --check: all ${results.length} checks passed` : `demo --check: ${failed.length} of ${results.length} checks FAILED`);
  if (failed.length > 0) process.stderr.write(`--- error log ---\n${readFileSync(errorLogPath, "utf8")}`);
  return failed.length === 0;
}

async function main(argv: readonly string[]): Promise<number> {
  const unknown = argv.filter((arg) => arg !== "--check");
  if (unknown.length > 0) {
    process.stderr.write(`demo: unknown argument ${unknown[0]}\nusage: npm run demo [-- --check]   (env DEMO_PORT, DEMO_CHECK=1, DEMO_STATE_DIR)\n`);
    return 2;
  }
  const check = argv.includes("--check") || process.env.DEMO_CHECK === "1";
  // From here on Ctrl-C must not kill the demo outright: Apache runs in its own process group and
  // would outlive it. A signal during start-up is acted on as soon as the current step is done.
  const interruption = listenForInterruption();
  if (!existsSync(modulePath)) {
    process.stderr.write(`demo: ${modulePath} is missing; build with: npm run build\n`);
    return 1;
  }
  const keepState = Boolean(process.env.DEMO_STATE_DIR);
  const stateDir = process.env.DEMO_STATE_DIR ? resolve(process.env.DEMO_STATE_DIR) : mkdtempSync(join(tmpdir(), "mod-authnz-node-demo-"));
  mkdirSync(stateDir, { recursive: true });

  let httpd: HttpdProcess | undefined;
  let cleaned = false;
  const cleanup = async () => {
    if (cleaned) return;
    cleaned = true;
    if (httpd) await httpd.stop();
    if (!keepState) rmSync(stateDir, { recursive: true, force: true });
  };

  try {
    const port = process.env.DEMO_PORT ? Number(process.env.DEMO_PORT) : await freePort();
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`DEMO_PORT must be a TCP port, got ${process.env.DEMO_PORT}`);
    // As root, Apache's children run as www-data and the worker as DEMO_WORKER_USER.
    const runAs = process.getuid?.() === 0 ? { user: "www-data", group: "www-data" } : null;
    const workerUser = runAs ? DEMO_WORKER_USER : null;
    if (runAs) refuseUnreachable(stateDir);
    // The worker's user may not reach this checkout (a clone in root's 0700 home): it runs a copy.
    const workerRoot = workerUser ? stageWorker(repoRoot, join(stateDir, "worker"), workerUser) : repoRoot;
    const serverRoot = join(stateDir, "httpd");
    const docRoot = join(serverRoot, "htdocs");
    const dataDir = join(stateDir, "django");
    mkdirSync(docRoot, { recursive: true });
    mkdirSync(join(serverRoot, "run"), { recursive: true });
    mkdirSync(dataDir, { recursive: true });

    say(`demo: files in ${stateDir}`);
    const databaseUrl = `sqlite://${join(dataDir, "demo.sqlite3")}`;
    const { djangoVersion, expectations } = await seedDjango(databaseUrl);
    say("demo: setting up the Django site (its own migrate adds the session table) ...");
    const django = writeDjangoSite(repoRoot, stateDir, join(dataDir, "demo.sqlite3"));
    if (interruption.received) return await stopEarly(interruption.received, cleanup);

    const confPath = writeSite({ stateDir, serverRoot, docRoot, dataDir, port, runAs, workerUser, workerRoot, databaseUrl, djangoVersion, django });

    const errorLogPath = join(serverRoot, "error.log");
    httpd = await startHttpd({ serverRoot, confPath, errorLogPath, port, readyPath: "/" });
    if (interruption.received) return await stopEarly(interruption.received, cleanup);
    const base = `http://127.0.0.1:${port}`;

    printIntro(base, expectations, serverRoot, errorLogPath, workerUser);

    if (check) {
      const passed = await checkAll(port, expectations, errorLogPath);
      await cleanup();
      return passed ? 0 : 1;
    }

    say("Press Ctrl-C to stop Apache and the worker and remove the demo's files.");
    const exited = httpd.exited.then((status) => `apache2 exited (${String(status)})`);
    const stopSignal = await Promise.race([interruption.next(), exited]);
    say(`\ndemo: ${stopSignal}; stopping Apache and the worker ...`);
    const exitedOnItsOwn = stopSignal.startsWith("apache2");
    if (exitedOnItsOwn && existsSync(errorLogPath)) process.stderr.write(readFileSync(errorLogPath, "utf8"));
    await cleanup();
    say(keepState ? `demo: stopped; files kept in ${stateDir}` : "demo: stopped and cleaned up");
    return exitedOnItsOwn ? 1 : 0;
  } catch (err) {
    process.stderr.write(`demo: ${err instanceof Error ? err.message : String(err)}\n`);
    await cleanup();
    return 1;
  }
}

interface Interruption {
  /** The first SIGINT/SIGTERM received so far, if any. */
  readonly received: string | null;
  /** Resolves with the signal's name once one has arrived (at once if one already has). */
  next(): Promise<string>;
}

function listenForInterruption(): Interruption {
  let received: string | null = null;
  const waiters: Array<(name: string) => void> = [];
  for (const name of ["SIGINT", "SIGTERM"] as const) {
    process.on(name, () => {
      received ??= name;
      for (const wake of waiters.splice(0)) wake(name);
    });
  }
  return {
    get received() {
      return received;
    },
    next: () => (received ? Promise.resolve(received) : new Promise((resolve) => waiters.push(resolve))),
  };
}

async function stopEarly(signal: string, cleanup: () => Promise<void>): Promise<number> {
  say(`demo: ${signal} during start-up; stopping ...`);
  await cleanup();
  return 130;
}

/**
 * "3.2" from Django's version "3.2.25": the handler's hasher parameters (PBKDF2 iterations and the
 * like) must be those of the Django that made the hashes, or a wrong password costs the newer,
 * larger work factor (Django's harden_runtime) while a right one costs the stored one.
 */
function djangoSeries(version: unknown): string {
  const match = typeof version === "string" ? /^(\d+\.\d+)/.exec(version) : null;
  if (!match?.[1]) throw new Error(`oracle.py reported no Django version (${JSON.stringify(version)})`);
  return match[1];
}

/**
 * As root: what Apache's children (www-data) and the worker (DEMO_WORKER_USER, whose only group
 * is its own) must reach through directories others can enter: the state dir, which also holds the
 * worker's staged code. Refused before anything starts, naming the directory to open.
 */
function refuseUnreachable(stateDir: string): void {
  for (const [user, what] of [
    [DEMO_WORKER_USER, "the worker's user"],
    [DEMO_SITE_USER, "the Django site's user"],
  ] as const) {
    try {
      execFileSync("id", ["-u", user], { stdio: "ignore" });
    } catch {
      throw new Error(`${what} ${user} does not exist: npm run demo as root creates it (scripts/bootstrap.sh demo)`);
    }
  }
  const closed = closedAncestor(stateDir);
  if (closed) throw new Error(`www-data cannot reach ${stateDir}: ${closed} is not searchable by others (chmod o+x it, or pick another DEMO_STATE_DIR)`);
}

/** The first directory above `dir` that users other than its owner cannot enter, if any. */
function closedAncestor(dir: string): string | null {
  for (let current = dirname(dir); ; current = dirname(current)) {
    if ((statSync(current).mode & 0o001) === 0) return current;
    if (current === dirname(current)) return null;
  }
}

function describeExpectation(expectation: Expectation): string {
  const { login, members, secret } = expectation;
  const show = (status: number) => (status === 200 ? "200 (page)" : `${status} (asks again)`);
  return `${`${login.user} / ${login.password}`.padEnd(22)} ${login.about.padEnd(55)} ${DEMO_PAGES.members.path} ${show(members)}, ${DEMO_PAGES.secret.path} ${show(secret)}`;
}

process.exitCode = await main(process.argv.slice(2));
