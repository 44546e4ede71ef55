// The doctor's database probe, run as the worker's user (setpriv) so that it meets the same file modes,
// peer authentication and grants as the worker. It reads one location's Django spec as JSON on stdin (the
// database URL never goes to argv or the environment), asks the user table for a name no user has (SELECT
// on every mapped column) and counts its rows, and prints one JSON line: {"ok":true} or {"ok":false,"error"}.
import { parseDjangoSpec } from "../django/config.js";
import { UserTable } from "../django/user-table.js";
import type { HandlerSpec } from "../handlers/types.js";

async function readStdin(): Promise<string> {
  let text = "";
  for await (const chunk of process.stdin) text += (chunk as Buffer).toString("utf8");
  return text;
}

async function probe(): Promise<void> {
  let table: UserTable | undefined;
  let spec: HandlerSpec = {};
  try {
    spec = JSON.parse(await readStdin()) as HandlerSpec;
    const settings = parseDjangoSpec(spec);
    table = new UserTable(settings.database, settings.mapping);
    await table.findUser("\u0000anp-doctor-probe");
    await table.count();
    process.stdout.write(`${JSON.stringify({ ok: true, table: table.description })}\n`);
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
