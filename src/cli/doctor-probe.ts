// The doctor's database probe, run as the worker's user (runuser) so that it meets the same file modes,
// peer authentication and grants as the worker. It reads one location's Django spec as JSON on stdin (the
// database URL never goes to argv or the environment), asks the user table for a name no user can have (SELECT
// on every mapped column) and counts its rows, runs the section's other statements with values no row has
// (doctor-grants.ts: groups, permissions, sessions, axes, the password upgrade), then reads every stored hash a
// page at a time (bounded memory, as hash-audit) to set the configured django_version against the costs
// stored. It prints one JSON line: {"ok":true,"grants":{...},"hashes":{...}} or {"ok":false,"error"}.
import { DEFAULT_QUERY_TIMEOUT_MS, parseDjangoSpec, type DjangoSettings } from "../django/config.js";
import { openDatabase } from "../django/database/index.js";
import type { AlgorithmName } from "../django/hashers/options.js";
import { HashInspector } from "../django/hashers/summary.js";
import { UserTable } from "../django/user-table.js";
import type { HandlerSpec } from "../handlers/types.js";
import { above, configuredCosts, formatCosts, highest, storedCosts, type Costs } from "./doctor-costs.js";
import { probeGrants, sectionWrites, type GrantReport } from "./doctor-grants.js";

async function readStdin(): Promise<string> {
  let text = "";
  for await (const chunk of process.stdin) text += (chunk as Buffer).toString("utf8");
  return text;
}

/**
 * The preferred hasher's configured costs against those stored (PBKDF2 iterations, bcrypt's work factor,
 * argon2's and scrypt's parameters): any above the configured ones means django_version is older than the
 * Django that stored them (upgrade_hashes would rewrite them weaker).
 */
async function costsAgainst(table: UserTable, settings: DjangoSettings): Promise<Record<string, unknown>> {
  const inspector = new HashInspector(settings.hasherOptions);
  const preferred = inspector.options.hashers[0] as AlgorithmName;
  const configured = configuredCosts(preferred, inspector.options.params);
  let users = 0;
  let aboveCount = 0;
  let top: Costs | null = null;
  let notAccepted = 0;
  for await (const page of table.passwordPages()) {
    for (const encoded of page) {
      users++;
      const summary = inspector.summarize(encoded ?? "");
      if (summary.state === "disabled" || summary.state === "unknown") notAccepted++;
      if (configured === null || summary.state !== "ok" || summary.algorithm !== preferred) continue;
      const stored = storedCosts(preferred, encoded ?? "");
      if (stored === null) continue;
      if (above(stored, configured)) aboveCount++;
      top = highest(top, stored);
    }
  }
  return {
    users,
    preferred,
    configured: configured === null ? null : formatCosts(configured),
    costName: preferred.startsWith("pbkdf2") ? "iterations" : "cost parameters",
    above: aboveCount,
    highest: top === null ? null : formatCosts(top),
    notAccepted,
    upgradeHashes: settings.upgradeHashes,
  };
}

/** The section's grants beyond the user table, on a connection that may write when the section writes. */
async function grantsOf(settings: DjangoSettings): Promise<GrantReport> {
  const database = openDatabase(settings.database, { poolSize: 1, queryTimeoutMs: DEFAULT_QUERY_TIMEOUT_MS, readOnly: !sectionWrites(settings) });
  try {
    return await probeGrants(database, settings, settings.database.driver === "sqlite" ? settings.database.path : null);
  } finally {
    await database.close().catch(() => {});
  }
}

async function probe(): Promise<void> {
  let table: UserTable | undefined;
  let spec: HandlerSpec = {};
  try {
    spec = JSON.parse(await readStdin()) as HandlerSpec;
    const settings = parseDjangoSpec(spec);
    table = new UserTable(settings.database, settings.mapping);
    // A name Django's username validators refuse (a space), so no user has it; no NUL, which PostgreSQL refuses.
    await table.findUser("anp doctor probe");
    await table.count();
    const grants = await grantsOf(settings);
    process.stdout.write(`${JSON.stringify({ ok: true, grants, hashes: await costsAgainst(table, settings) })}\n`);
  } catch (error) {
    // A driver's message could quote the URL, credentials and all: it is cut out.
    const message = error instanceof Error ? error.message : String(error);
    const safe = spec.database ? message.split(spec.database).join("<database>") : message;
    process.stdout.write(`${JSON.stringify({ ok: false, error: safe })}\n`);
  } finally {
    await table?.close().catch(() => {});
  }
}

void probe();
