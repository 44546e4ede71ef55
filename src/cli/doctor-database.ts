// The doctor's database check: each section of httpd's DUMP_CONFIG that configures the Django handler, with
// the settings httpd and the module merge for it (djangoSections), probed as the worker's user (NodeAuthWorkerUser, else User)
// by doctor-probe.js under runuser (the user's own primary and supplementary groups, as httpd's). A `file:`
// value is read here, by root, as httpd's parent reads it, and goes to the probe on stdin.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { allSections, parseDumpConfig, type ConfigSection } from "./config-tree.js";
import { directiveValues } from "./doctor-node.js";
import { isLocation, literalLocation, locationWalk, ownSettings, setsHandler } from "./location.js";
import type { Finding } from "./doctor-checks.js";
import { secretOrValue } from "./settings.js";

export interface DjangoSection {
  /** The section's opening line, e.g. `<Location "/secret">`. */
  readonly section: string;
  readonly spec: Record<string, string>;
  /** The configuration file of its own NodeAuthDjangoDatabase line (DUMP_CONFIG's `# In file:`); null if inherited or unnamed. */
  readonly file: string | null;
}

/**
 * Each section that sets a NodeAuth handler directive, with the settings it runs with: for a <Location> of a
 * plain path, what httpd's location walk merges for that path (the enclosing and overlapping sections'
 * values included, location.ts); for any other section (<Directory>, <Files>, <If>, a regular expression)
 * its own lines only. Those that end up with a NodeAuthDjangoDatabase are returned.
 */
export function djangoSections(dump: string): DjangoSection[] {
  const tree = parseDumpConfig(dump);
  const found: DjangoSection[] = [];
  for (const section of allSections(tree)) {
    if (section === tree || !setsHandler(section) || /^(virtualhost|limit|limitexcept|require(all|any|none))$/i.test(section.kind)) continue;
    const own = ownSettings(section);
    const path = section.parent !== null && (section.parent === tree || section.parent.parent === tree) && isLocation(section) ? literalLocation(section) : null;
    const servers = section.parent === tree ? [tree] : [tree, section.parent as ConfigSection];
    const settings = path === null ? own : locationWalk(servers, path).settings;
    if (settings.database === null) continue;
    const spec = { database: settings.database.value, ...Object.fromEntries([...settings.options].map(([key, option]) => [key, option.value])) };
    const databaseLine = own.database === null ? undefined : section.directives.find((d) => /^NodeAuthDjangoDatabase$/i.test(d.name));
    found.push({ section: section.header, spec, file: databaseLine?.file ?? null });
  }
  return found;
}

/** The user the worker runs as: NodeAuthWorkerUser, else httpd's User. */
export function workerUser(dump: string): string | null {
  return directiveValues(dump, "NodeAuthWorkerUser")[0] ?? directiveValues(dump, "User")[0] ?? null;
}

interface ProbeAnswer {
  readonly ok: boolean;
  readonly error?: string;
  readonly hashes?: HashCounts;
}

function probeAs(user: string | null, spec: Record<string, string>): ProbeAnswer {
  const script = fileURLToPath(new URL("./doctor-probe.js", import.meta.url));
  const asRoot = process.getuid?.() === 0 && user !== null;
  const [file, ...args] = asRoot ? ["runuser", "-u", user, "--", process.execPath, script] : [process.execPath, script];
  const run = spawnSync(file as string, args, { input: JSON.stringify(spec), encoding: "utf8", timeout: 30_000, stdio: ["pipe", "pipe", "pipe"] });
  try {
    return JSON.parse(run.stdout.trim().split("\n").pop() ?? "") as ProbeAnswer;
  } catch {
    return { ok: false, error: `the probe did not answer (${run.error?.message ?? `exit ${String(run.status)}`}): ${run.stderr.trim().split("\n")[0] ?? ""}` };
  }
}

export function databaseFindings(dump: string | null): Finding[] {
  const check = "database";
  if (dump === null) return [];
  const user = workerUser(dump);
  return djangoSections(dump).flatMap(({ section, spec }): Finding[] => {
    let resolved: Record<string, string>;
    try {
      resolved = Object.fromEntries(Object.entries(spec).map(([key, value]) => [key, secretOrValue(key, value)]));
    } catch (error) {
      return [{ check, status: "fail", detail: `${section}: ${(error as Error).message}`, fix: "make the file: path readable by root and one line long" }];
    }
    const answer = probeAs(user, { type: "django", ...resolved });
    const who = user ?? "the current user";
    if (answer.ok) {
      const ok: Finding = { check, status: "ok", detail: `${section}: the user table answers ${who}` };
      return answer.hashes ? [ok, djangoVersionFinding(section, spec, answer.hashes)] : [ok];
    }
    return [
      {
        check,
        status: "fail",
        detail: `${section}: as ${who}: ${answer.error ?? "no answer"}`,
        fix: `let ${who} SELECT the user model's tables (file modes for SQLite, GRANT SELECT for PostgreSQL/MariaDB), and check user_table / *_column options against the model`,
      },
    ];
  });
}

/** What the probe found of the stored hashes (doctor-probe.ts, iterationsAgainst). */
export interface HashCounts {
  readonly users: number;
  readonly preferred: string;
  readonly configured: number | null;
  readonly above: number;
  readonly highest: number;
  readonly notAccepted: number;
  readonly upgradeHashes: boolean;
}

/** django_version against the stored PBKDF2 iterations, and the hashes the configured hashers refuse. */
export function djangoVersionFinding(section: string, spec: Readonly<Record<string, string>>, hashes: HashCounts): Finding {
  const check = "django-version";
  const version = spec.django_version ?? "the newest known";
  if (hashes.above > 0) {
    const weaker = hashes.upgradeHashes ? ", and upgrade_hashes on rewrites them at the next login with fewer iterations" : "";
    return {
      check,
      status: hashes.upgradeHashes ? "fail" : "warn",
      detail: `${section}: ${String(hashes.above)} of ${String(hashes.users)} ${hashes.preferred} hashes have more iterations (up to ${String(hashes.highest)}) than django_version ${version} gives (${String(hashes.configured)})${weaker}`,
      fix: "set NodeAuthDjangoOption django_version to the Django release the site runs",
    };
  }
  if (hashes.notAccepted > 0) {
    return {
      check,
      status: "warn",
      detail: `${section}: ${String(hashes.notAccepted)} of ${String(hashes.users)} stored hashes name a hasher that django_version ${version} / hashers do not accept: those users cannot log in`,
      fix: "match django_version and hashers to the site's PASSWORD_HASHERS (mod-authnz-node hash-audit lists them)",
    };
  }
  return { check, status: "ok", detail: `${section}: the ${String(hashes.users)} stored hashes fit django_version ${version}` };
}
