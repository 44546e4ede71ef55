// The doctor's database check: each section of httpd's DUMP_CONFIG that configures the Django handler, with
// the settings httpd and the module merge for it (djangoSections), probed as the worker's user (NodeAuthWorkerUser, else User)
// by doctor-probe.js under runuser (the user's own primary and supplementary groups, as httpd's). A `file:`
// value is read here, by root, as httpd's parent reads it, and goes to the probe on stdin.
import { spawnSync } from "node:child_process";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { allSections, parseDumpConfig, type ConfigSection } from "./config-tree.js";
import { directiveValues } from "./doctor-node.js";
import { isLocation, literalLocation, locationWalk, ownSettings, setsHandler } from "./location.js";
import type { Finding } from "./doctor-checks.js";
import { secretOrValue } from "./settings.js";
import { parseDatabaseUrl } from "../django/database-url.js";
import type { GrantProblem, GrantReport } from "./doctor-grants.js";

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
  readonly grants?: GrantReport;
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
      const grants = answer.grants ? [grantsFinding(section, who, resolved.database as string, answer.grants)] : [];
      return [ok, ...grants, ...(answer.hashes ? [djangoVersionFinding(section, spec, answer.hashes)] : [])];
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

/** What the probe found of the stored hashes (doctor-probe.ts, costsAgainst); costs as formatCosts writes them. */
export interface HashCounts {
  readonly users: number;
  readonly preferred: string;
  readonly configured: string | null;
  /** "iterations" for PBKDF2, else "cost parameters". */
  readonly costName: string;
  readonly above: number;
  readonly highest: string | null;
  readonly notAccepted: number;
  readonly upgradeHashes: boolean;
}

/** django_version against the preferred hasher's stored costs, and the hashes the configured hashers refuse. */
export function djangoVersionFinding(section: string, spec: Readonly<Record<string, string>>, hashes: HashCounts): Finding {
  const check = "django-version";
  const version = spec.django_version ?? "the newest known";
  if (hashes.above > 0) {
    const fewer = hashes.costName === "iterations" ? "fewer iterations" : "lower costs";
    const weaker = hashes.upgradeHashes ? `, and upgrade_hashes on rewrites them at the next login with ${fewer}` : "";
    return {
      check,
      status: hashes.upgradeHashes ? "fail" : "warn",
      detail: `${section}: ${String(hashes.above)} of ${String(hashes.users)} ${hashes.preferred} hashes have ${hashes.costName === "iterations" ? "more iterations" : "higher cost parameters"} (up to ${String(hashes.highest)}) than django_version ${version} gives (${String(hashes.configured)})${weaker}`,
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

/** The statement or command that gives `who` (on the server: `account`) what `problem` lacks. */
function grantFix(problem: GrantProblem, who: string, url: string, account: string | null): string {
  const location = parseDatabaseUrl(url);
  const tables = problem.tables.join(", ");
  if (!problem.denied) return `${tables}: create what is missing (Django's migrate) or correct the section's *_table / *_column options`;
  switch (location.driver) {
    case "postgres":
      return `GRANT ${problem.privilege} ON ${tables} TO "${account ?? location.user ?? who}";`;
    case "mysql": {
      // CURRENT_USER() is `user@host`, the account the server matched, host pattern and all.
      const at = account?.lastIndexOf("@") ?? -1;
      const grantee = account !== null && at > 0 ? `'${account.slice(0, at)}'@'${account.slice(at + 1)}'` : `'${location.user ?? who}'@'<host>'`;
      return problem.tables.map((table) => `GRANT ${problem.privilege} ON \`${location.database}\`.\`${table}\` TO ${grantee};`).join(" ");
    }
    case "sqlite":
      return `chown ${who} ${location.path} ${dirname(location.path)} (or chgrp ${who} and chmod g+w both): SQLite writes the file and its journal beside it`;
  }
}

/** The grants the worker needs beyond the user table (doctor-grants.ts): one finding per section. */
export function grantsFinding(section: string, who: string, url: string, report: GrantReport): Finding {
  const check = "database-grants";
  if (report.problems.length === 0) return { check, status: "ok", detail: `${section}: ${who} may run ${report.checked.join(", ")}` };
  return {
    check,
    status: "fail",
    detail: `${section}: as ${who}: ${report.problems.map((p) => `${p.what}: ${p.privilege} on ${p.tables.join(", ")} refused (${p.error})`).join("; ")}`,
    fix: [...new Set(report.problems.map((p) => grantFix(p, who, url, report.account)))].join(" "),
  };
}
