// scripts/install-module.sh, run for real: into a staging directory (--destdir) and in --dry-run
// mode, so the live /etc/apache2 is never touched.
import { describe, test, expect, beforeAll, afterAll } from "vitest";
import { spawnSync, execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync, readFileSync, existsSync, statSync, rmSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const repo = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const script = join(repo, "scripts/install-module.sh");
const libexecdir = execFileSync("apxs", ["-q", "LIBEXECDIR"], { encoding: "utf8" }).trim();
const sysconfdir = execFileSync("apxs", ["-q", "SYSCONFDIR"], { encoding: "utf8" }).trim();

function install(args: string[]) {
  const run = spawnSync("bash", [script, ...args], { encoding: "utf8" });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

describe("scripts/install-module.sh", () => {
  let staging: string;
  let fakeModule: string;

  beforeAll(() => {
    staging = mkdtempSync(join(tmpdir(), "anp-install-"));
    fakeModule = join(staging, "built.so");
    writeFileSync(fakeModule, "not really an ELF file, only bytes to copy\n");
  });
  afterAll(() => rmSync(staging, { recursive: true, force: true }));

  test("--dry-run prints every step with apxs's directories and writes nothing", () => {
    const dest = join(staging, "dry");
    const run = install(["--dry-run", "--destdir", dest, "--module", fakeModule]);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toContain(`would run: install -m 0644 ${fakeModule} ${dest}${libexecdir}/mod_authnz_node.so`);
    expect(run.stdout).toContain(`${dest}${sysconfdir}/mods-available/authnz_node.conf`);
    expect(run.stdout).toContain(`LoadModule authnz_node_module ${libexecdir}/mod_authnz_node.so`);
    expect(existsSync(dest)).toBe(false);
  });

  test("--dry-run without --destdir plans a2enmod on the live tree", () => {
    const run = install(["--dry-run", "--module", fakeModule]);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^would run: a2enmod authnz_node$/m);
    expect(run.stdout).toContain(`${libexecdir}/mod_authnz_node.so`);
  });

  test("--destdir installs the module and the a2enmod files, the .load pointing at LIBEXECDIR", () => {
    const dest = join(staging, "root");
    const run = install(["--destdir", dest, "--module", fakeModule]);
    expect(run.status, run.stderr).toBe(0);
    const so = join(dest, libexecdir, "mod_authnz_node.so");
    expect(readFileSync(so, "utf8")).toBe(readFileSync(fakeModule, "utf8"));
    expect(statSync(so).mode & 0o777).toBe(0o644);
    const available = join(dest, sysconfdir, "mods-available");
    expect(readdirSync(available).sort()).toEqual(["authnz_node.conf", "authnz_node.load"]);
    const load = readFileSync(join(available, "authnz_node.load"), "utf8");
    const loadLines = load.split("\n").filter((line) => /^\s*LoadModule\b/.test(line));
    expect(loadLines).toEqual([`LoadModule authnz_node_module ${libexecdir}/mod_authnz_node.so`]);
    expect(readFileSync(join(available, "authnz_node.conf"), "utf8")).toBe(readFileSync(join(repo, "httpd-conf/authnz_node.conf"), "utf8"));
    // --destdir never enables: a2enmod would act on the live /etc/apache2.
    expect(existsSync(join(dest, sysconfdir, "mods-enabled"))).toBe(false);
    expect(run.stderr).toContain("not enabled");
  });

  test("a module that was not built stops a real install", () => {
    const run = install(["--destdir", join(staging, "none"), "--module", join(staging, "missing.so")]);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain("missing.so does not exist");
    expect(existsSync(join(staging, "none"))).toBe(false);
  });

  test("an unknown option is refused with the usage", () => {
    const run = install(["--frobnicate"]);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain("unknown option --frobnicate");
    expect(run.stderr).toContain("--dry-run");
  });
});
