// `mod-authnz-node check-login USER`: the password check the location would make, with why: the verdict
// from the Django handler itself, then what the stored value and the row say.
import { HashInspector } from "../django/hashers/index.js";
import { djangoSettings, DATABASE_FLAGS, DATABASE_USAGE } from "./settings.js";
import { positionals, has, type ParsedArgs } from "./args.js";
import { cliContext, cliHandler, cliUserTable, COMMON_FLAGS, EXIT, type CliIo, type Command } from "./command.js";
import { readPassword } from "./password.js";
import { writeJson } from "./output.js";

const HELP = `usage: mod-authnz-node check-login USER (--database URL [--option KEY=VALUE]... | --location PATH [--host NAME[:PORT]]) [--json]

Checks USER's password as the location's Django handler does (Django's modwsgi.check_password) and says why.
The password is read from the terminal with echo off, or from stdin (one trailing newline dropped);
never from the command line or the environment.

Prints GRANTED, DENIED or USER_NOT_FOUND (an unknown or inactive user, as Django), then the stored hasher,
its iterations, whether Django would upgrade the hash after a right password, the groups Apache sees, and
is_active, is_staff and is_superuser. Lockouts (django-axes, django-defender, the worker's throttle) are not
consulted: this is the password check alone.

${DATABASE_USAGE}  --json                the answer as one JSON object
  --help                this text

exit status: 0 GRANTED, 1 DENIED, 2 USER_NOT_FOUND, 3 error (database, password unreadable), 64 usage
`;

type Verdict = "GRANTED" | "DENIED" | "USER_NOT_FOUND";
const VERDICT_EXIT: Record<Verdict, number> = { GRANTED: EXIT.OK, DENIED: EXIT.NO, USER_NOT_FOUND: EXIT.NOT_FOUND };

async function run(args: ParsedArgs, io: CliIo): Promise<number> {
  const [user] = positionals(args, ["USER"]) as [string];
  const settings = djangoSettings(args);
  const inspector = new HashInspector(settings.hasherOptions);
  const password = await readPassword({ stdin: io.stdin, prompt: io.stderr });
  const handler = cliHandler(settings, io.stderr);
  const table = cliUserTable(settings);
  try {
    const outcome = await handler.checkPassword(cliContext(user), password.toString("utf8"));
    password.fill(0);
    const verdict: Verdict = outcome.kind === "granted" ? "GRANTED" : outcome.kind === "denied" ? "DENIED" : "USER_NOT_FOUND";
    const record = await table.findUser(user);
    const summary = record === null ? null : inspector.summarize(record.password);
    const report = {
      result: verdict,
      user,
      exists: record !== null,
      hasher: summary?.algorithm ?? null,
      hash_state: summary?.state ?? null,
      iterations: summary?.iterations ?? null,
      would_upgrade: summary?.mustUpdate ?? false,
      groups: record === null ? [] : [...(await handler.groupsForUser(cliContext(user)))],
      is_active: record?.isActive ?? null,
      is_staff: record?.isStaff ?? null,
      is_superuser: record?.isSuperuser ?? null,
    };
    if (has(args, "json")) writeJson(io.stdout, report);
    else io.stdout.write(text(report));
    return VERDICT_EXIT[verdict];
  } finally {
    password.fill(0);
    await Promise.allSettled([handler.close(), table.close()]);
  }
}

function yesNo(value: boolean | null): string {
  return value === null ? "n/a" : value ? "yes" : "no";
}

function text(r: {
  result: string;
  exists: boolean;
  hasher: string | null;
  hash_state: string | null;
  iterations: number | null;
  would_upgrade: boolean;
  groups: string[];
  is_active: boolean | null;
  is_staff: boolean | null;
  is_superuser: boolean | null;
}): string {
  const lines = [r.result];
  if (!r.exists) return `${lines[0]}\n`;
  const state = r.hash_state === "ok" ? "" : ` (${r.hash_state})`;
  lines.push(`hasher:        ${r.hasher ?? "none"}${state}`);
  lines.push(`iterations:    ${r.iterations ?? "n/a"}`);
  lines.push(`would upgrade: ${yesNo(r.would_upgrade)}`);
  lines.push(`groups:        ${r.groups.length === 0 ? "(none)" : r.groups.join(", ")}`);
  lines.push(`is_active:     ${yesNo(r.is_active)}`);
  lines.push(`is_staff:      ${yesNo(r.is_staff)}`);
  lines.push(`is_superuser:  ${yesNo(r.is_superuser)}`);
  return `${lines.join("\n")}\n`;
}

export const checkLogin: Command = {
  name: "check-login",
  summary: "check USER's password (read from the terminal or stdin) and say why",
  help: HELP,
  flags: { ...COMMON_FLAGS, ...DATABASE_FLAGS },
  run,
};
