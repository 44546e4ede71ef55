// The Debian package, end to end on this machine: scripts/package-deb.sh builds the .deb, lintian has no tag
// left that packaging/debian/lintian-overrides does not explain, apt-get installs it (the postinst makes
// the worker's user and enables the module through apache2-maintscript-helper), and the system Apache,
// with a site of the test's own on a free port, answers 200/401 as Django says for a SQLite database the
// Django oracle made. The package goes into a running Apache, as on a live server: the module is loaded by
// `apache2ctl graceful`. An Apache that already ran (a machine's own, on port 80) is left running; one the
// test started through apache2ctl is stopped again. The site sets neither NodeAuthNodeBinary nor
// NodeAuthWorker: the worker that answers is the installed one, by the module's compiled-in defaults.
// Then apt-get purge leaves no file of the package behind and apache2ctl configtest still passes.
// Other tests run their own httpd in throwaway ServerRoots, which this test does not touch.
import { afterAll, beforeAll, expect, test } from "vitest";
import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describeRequiring } from "../support/optional.js";
import { eventually } from "../support/eventually.js";
import { REPO_ROOT } from "../harness/apache.js";
import { freePort } from "../harness/ports.js";
import { startDjango } from "../harness/django.js";
import { trackDirectory, trackProcess } from "../harness/lifecycle.js";
import { userIds } from "../harness/server-process.js";
import { basicAuthorization, httpRequest } from "../../src/demo/http-request.js";

const PACKAGE = "libapache2-mod-authnz-node";
const SITE = "anp-package-deb-test";
const SITE_CONF = `/etc/apache2/conf-available/${SITE}.conf`;
const PID_FILE = "/var/run/apache2/apache2.pid";
const alice = { username: "alice", password: "pw-Alice-1" };

const has = (tool: string): boolean => spawnSync("sh", ["-c", `command -v ${tool}`]).status === 0;
const ready = process.getuid?.() === 0 && ["dpkg-deb", "lintian", "apt-get", "apache2ctl", "a2enmod"].every(has);

/** Runs a command, throwing with its output when it fails; returns its stdout. */
function sh(command: string, args: readonly string[]): string {
  const run = spawnSync(command, args, { encoding: "utf8", env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } });
  if (run.status !== 0) throw new Error(`${command} ${args.join(" ")} exited with ${String(run.status)}:\n${run.stdout}${run.stderr}`);
  return run.stdout;
}

const installed = (): boolean => spawnSync("dpkg-query", ["-W", "-f=${Status}", PACKAGE], { encoding: "utf8" }).stdout.includes("install ok installed");
const apachePid = (): number | null => (existsSync(PID_FILE) ? Number(readFileSync(PID_FILE, "utf8").trim()) : null);
const alive = (pid: number): boolean => existsSync(`/proc/${String(pid)}`);
const aptGet = (...args: string[]): string => sh("apt-get", ["-o", "DPkg::Lock::Timeout=300", "-y", "-q", ...args]);

async function status(port: number, path: string, user?: string, password?: string): Promise<number> {
  const headers: Array<readonly [string, string]> = [];
  if (user !== undefined && password !== undefined) headers.push(["Authorization", basicAuthorization(user, password)]);
  return (await httpRequest({ port, path, headers, idleLimitMs: 30_000 })).status;
}

/** Forgets the started Apache in the harness's registry of what to kill if this run dies. */
let untrackApache = (): void => {};
/** Whether the system Apache ran before the test: then it is reloaded, never stopped. */
let foundRunning = false;

const systemApacheRuns = (): boolean => {
  const pid = apachePid();
  return pid !== null && alive(pid);
};

/**
 * Makes sure the system Apache runs, as on a machine where the package is installed into a live server: a
 * running one is used as it is; else it is started now, with the module not yet installed, and stopped at
 * the end.
 */
async function startSystemApacheUnlessRunning(): Promise<void> {
  foundRunning = systemApacheRuns();
  if (foundRunning) return;
  sh("apache2ctl", ["start"]);
  expect(await eventually(() => apachePid() !== null)).toBe(true);
  untrackApache = trackProcess(apachePid() ?? undefined, { group: false });
}

/** Puts the system Apache back as the test found it: stopped if the test started it, else reloaded. */
async function releaseSystemApache(): Promise<void> {
  const pid = apachePid();
  if (pid === null || !alive(pid)) return;
  if (foundRunning) {
    spawnSync("apache2ctl", ["graceful"]);
    return;
  }
  spawnSync("apache2ctl", ["stop"]);
  await eventually(() => !alive(pid));
  untrackApache();
}

/** The site: a free port, a protected location checked against the SQLite database by the installed worker. */
function siteConf(port: number, docroot: string, databaseUrl: string): string {
  return [
    "# Written by test/e2e/package-deb.test.ts and removed by it.",
    "NodeAuthWorkerUser mod_authnz_node",
    `Listen 127.0.0.1:${String(port)}`,
    `<VirtualHost 127.0.0.1:${String(port)}>`,
    `    DocumentRoot ${docroot}`,
    `    <Directory ${docroot}>`,
    "        Require all granted",
    "    </Directory>",
    '    <Location "/secret/">',
    "        AuthType Basic",
    '        AuthName "packaged"',
    "        AuthBasicProvider node",
    `        NodeAuthDjangoDatabase "${databaseUrl}"`,
    "        NodeAuthDjangoOption django_version 3.2",
    "        Require valid-user",
    "    </Location>",
    "</VirtualHost>",
    "",
  ].join("\n");
}

describeRequiring(ready, "root, dpkg-deb, lintian, apt-get and apache2 (scripts/bootstrap.sh test installs them)")("the Debian package", () => {
  let dir = "";
  let deb = "";
  let port = 0;
  let packageFiles: string[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "anp-package-deb-"));
    trackDirectory(dir);
    chmodSync(dir, 0o755);
    deb = sh("bash", [join(REPO_ROOT, "scripts/package-deb.sh"), "--out", dir]).trim();
  }, 600_000);

  afterAll(async () => {
    if (existsSync(`/etc/apache2/conf-enabled/${SITE}.conf`)) spawnSync("a2disconf", ["-q", "-p", SITE]);
    rmSync(SITE_CONF, { force: true });
    if (installed()) aptGet("purge", PACKAGE);
    await releaseSystemApache();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 300_000);

  test("the .deb is named for its version and architecture, and lintian leaves no tag unexplained", () => {
    const version = (JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as { version: string }).version;
    const arch = execFileSync("dpkg", ["--print-architecture"], { encoding: "utf8" }).trim();
    expect(deb).toBe(join(dir, `${PACKAGE}_${version}-1_${arch}.deb`));
    const control = sh("dpkg-deb", ["--field", deb, "Depends"]);
    expect(control).toMatch(/^apache2-api-20120211, nodejs \(>= 20\), .*libc6/);
    const lintian = spawnSync("lintian", ["--tag-display-limit", "0", "-I", "--pedantic", deb], { encoding: "utf8" });
    const tags = `${lintian.stdout}${lintian.stderr}`.split("\n").filter((line) => /^[EWIPX]: /.test(line));
    expect(tags).toEqual([]);
    expect(lintian.status).toBe(0);
  }, 120_000);

  test("installed into a running Apache and loaded by a graceful restart, it answers 200/401 as Django does through the installed worker", async () => {
    await startSystemApacheUnlessRunning();
    aptGet("install", deb);
    packageFiles = sh("dpkg", ["-L", PACKAGE]).split("\n").filter((line) => line.startsWith("/") && line !== "/.");
    expect(packageFiles).toContain("/usr/lib/mod-authnz-node/dist/worker.js");
    // The postinst made the worker's user and enabled the module (a2query: 0 when enabled).
    expect(() => userIds("mod_authnz_node")).not.toThrow();
    expect(spawnSync("a2query", ["-q", "-m", "authnz_node"]).status).toBe(0);
    sh("a2enmod", ["-q", "authnz_node"]);
    // Each "bin" of package.json is a command in /usr/bin that runs from the installed tree.
    const bin = (JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as { bin?: Record<string, string> }).bin ?? {};
    for (const name of Object.keys(bin)) expect(sh(`/usr/bin/${name}`, ["--help"])).toMatch(/usage/i);

    // The database, made by Django, readable by the worker's user only.
    const data = join(dir, "data");
    mkdirSync(data, { mode: 0o750 });
    const databaseUrl = `sqlite://${join(data, "db.sqlite3")}`;
    const django = await startDjango({ databaseUrl });
    try {
      await django.createUser({ username: alice.username, password: alice.password });
      expect(await django.checkPassword(alice.username, alice.password)).toBe(true);
      expect(await django.checkPassword(alice.username, "wrong")).toBe(false);
    } finally {
      await django.close();
    }
    const worker = userIds("mod_authnz_node");
    for (const path of [data, join(data, "db.sqlite3")]) chownSync(path, 0, worker.gid);
    chmodSync(join(data, "db.sqlite3"), 0o640);

    const docroot = join(dir, "www");
    mkdirSync(join(docroot, "secret"), { recursive: true, mode: 0o755 });
    writeFileSync(join(docroot, "secret/index.html"), "secret\n", { mode: 0o644 });
    port = await freePort();
    writeFileSync(SITE_CONF, siteConf(port, docroot, databaseUrl), { mode: 0o644 });
    sh("a2enconf", ["-q", SITE]);
    // The module is loaded for the first time by this graceful restart, so its first configuration pass
    // is the only one it gets: the worker must start in it.
    sh("apache2ctl", ["configtest"]);
    sh("apache2ctl", ["graceful"]);
    // After a graceful restart the new port may take a moment to open.
    expect(await eventually(async () => (await status(port, "/").catch(() => 0)) !== 0)).toBe(true);
    expect(await status(port, "/secret/")).toBe(401);
    expect(await status(port, "/secret/", alice.username, "wrong")).toBe(401);
    expect(await status(port, "/secret/", "nobody", alice.password)).toBe(401);
    expect(await status(port, "/secret/", alice.username, alice.password)).toBe(200);
    const workers = sh("ps", ["-eo", "user:20,args"]).split("\n").filter((line) => line.includes("worker.js"));
    expect(workers.some((line) => /^mod_authnz_node\s+\/usr\/bin\/node .*\/usr\/lib\/mod-authnz-node\/dist\/worker\.js/.test(line))).toBe(true);
  }, 300_000);

  test("apt-get purge leaves no file of the package, and apache2ctl configtest still passes", async () => {
    expect(packageFiles.length).toBeGreaterThan(0);
    sh("a2disconf", ["-q", "-p", SITE]);
    rmSync(SITE_CONF);
    // Purged under a running Apache, which a graceful restart then brings up without the module.
    aptGet("purge", PACKAGE);
    sh("apache2ctl", ["configtest"]);
    sh("apache2ctl", ["graceful"]);
    expect(systemApacheRuns()).toBe(true);
    expect(installed()).toBe(false);
    // What is still there may only be a directory another package owns (/usr/lib, /etc/apache2, ...).
    const left = packageFiles.filter(present);
    const notShared = left.filter((path) => !lstatSync(path).isDirectory() || spawnSync("dpkg", ["-S", path]).status !== 0);
    expect(notShared).toEqual([]);
    for (const link of ["authnz_node.load", "authnz_node.conf"]) expect(present(`/etc/apache2/mods-enabled/${link}`)).toBe(false);
    // Nor does apache2-maintscript-helper keep a record of the module (nor a2disconf -p of the test's site).
    expect(sh("find", ["/var/lib/apache2", "-name", "authnz_node", "-o", "-name", SITE])).toBe("");
    sh("apache2ctl", ["configtest"]);
  }, 300_000);
});

/** Whether anything (a dangling symbolic link included) is at `path`. */
function present(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}
