// The doctor's database probe, run as the worker's user (runuser) so that it meets the same file modes,
// peer authentication and grants as the worker. It reads one location's Django spec as JSON on stdin (the
// database URL never goes to argv or the environment), asks the user table for a name no user can have (SELECT
// on every mapped column) and counts its rows, then reads every stored hash a page at a time (bounded memory,
// as hash-audit) to set the configured django_version against the PBKDF2 iterations stored. It prints one
// JSON line: {"ok":true,"hashes":{...}} or {"ok":false,"error"}.
import { parseDjangoSpec, type DjangoSettings } from "../django/config.js";
import { HashInspector } from "../django/hashers/summary.js";
import { UserTable } from "../django/user-table.js";
import type { HandlerSpec } from "../handlers/types.js";

async function readStdin(): Promise<string> {
  let text = "";
  for await (const chunk of process.stdin) text += (chunk as Buffer).toString("utf8");
  return text;
}

/**
 * The preferred PBKDF2 hasher's configured iterations against those stored: a count above the configured one
 * means django_version is older than the Django that stored it (upgrade_hashes would rewrite them weaker).
 */
async function iterationsAgainst(table: UserTable, settings: DjangoSettings): Promise<Record<string, unknown>> {
  const inspector = new HashInspector(settings.hasherOptions);
  const preferred = inspector.options.hashers[0];
  const configured = preferred === "pbkdf2_sha256" || preferred === "pbkdf2_sha1" ? inspector.options.params[preferred].iterations : null;
  let users = 0;
  let above = 0;
  let highest = 0;
  let notAccepted = 0;
  for await (const page of table.passwordPages()) {
    for (const encoded of page) {
      users++;
      const summary = inspector.summarize(encoded ?? "");
      if (summary.state === "disabled" || summary.state === "unknown") notAccepted++;
      if (configured === null || summary.algorithm !== preferred || summary.iterations === null) continue;
      if (summary.iterations > configured) above++;
      highest = Math.max(highest, summary.iterations);
    }
  }
  return { users, preferred, configured, above, highest, notAccepted, upgradeHashes: settings.upgradeHashes };
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
    process.stdout.write(`${JSON.stringify({ ok: true, hashes: await iterationsAgainst(table, settings) })}\n`);
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
