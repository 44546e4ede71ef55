// `mod-authnz-node hash-audit`: every stored password value of the user table, counted by hasher and
// iterations, with how many are unusable, how many Django would upgrade at the next right login, and how
// many the configured hashers no longer accept. The table is read page by page in primary-key order
// (UserTable.passwordPages), and the counts are kept per distinct (hasher, iterations, state), so memory
// stays bounded whatever the table's size.
import { HashInspector, type HashState } from "../django/hashers/index.js";
import { DEFAULT_PAGE_SIZE } from "../django/user-table.js";
import { CliUsageError } from "../errors.js";
import { djangoSettings, DATABASE_FLAGS, DATABASE_USAGE } from "./settings.js";
import { flag, has, positionals, type ParsedArgs } from "./args.js";
import { cliUserTable, COMMON_FLAGS, EXIT, type CliIo, type Command } from "./command.js";
import { formatTable, ProgressBar, writeJson } from "./output.js";

const HELP = `usage: mod-authnz-node hash-audit (--database URL [--option KEY=VALUE]... | --location PATH [--host NAME[:PORT]]) [--json] [--page-size N]

Reads every row of the user table and counts the stored password values: per hasher, per hasher and
iterations (PBKDF2 iterations, bcrypt's work factor, argon2's time cost, scrypt's N, as Django's decode()
names them), unusable ones (set_unusable_password), how many Django would upgrade at the next right login
(must_update), and how many the configured hashers (django_version, hashers) no longer accept: a
disabled hasher, or a value that names no hasher. Those users cannot log in until their password is reset.
A progress bar goes to stderr when it is a terminal.

${DATABASE_USAGE}  --page-size N         rows per query (default ${DEFAULT_PAGE_SIZE})
  --json                the counts as one JSON object
  --help                this text

exit status: 0 counted, 3 error (database), 64 usage
`;

/** Distinct (hasher, iterations, state) rows kept; the rest are summed into one "other" row. */
const MAX_GROUPS = 1000;

interface Group {
  hasher: string;
  iterations: number | null;
  state: HashState | "null";
  users: number;
}

export interface AuditReport {
  readonly django_version: string;
  readonly accepted_hashers: readonly string[];
  readonly users: number;
  readonly unusable: number;
  readonly would_upgrade: number;
  readonly not_accepted: number;
  readonly names_no_hasher: number;
  readonly malformed: number;
  readonly by_hasher: ReadonlyArray<{ hasher: string; users: number }>;
  readonly by_iterations: ReadonlyArray<Group>;
}

class Tally {
  readonly groups = new Map<string, Group>();
  users = 0;
  wouldUpgrade = 0;

  add(hasher: string, iterations: number | null, state: Group["state"], mustUpdate: boolean): void {
    this.users++;
    if (mustUpdate) this.wouldUpgrade++;
    let key = `${hasher}\u0000${iterations ?? ""}\u0000${state}`;
    if (!this.groups.has(key) && this.groups.size >= MAX_GROUPS) key = "other";
    const group = this.groups.get(key) ?? { hasher: key === "other" ? "(other)" : hasher, iterations: key === "other" ? null : iterations, state, users: 0 };
    group.users++;
    this.groups.set(key, group);
  }

  count(state: Group["state"]): number {
    let n = 0;
    for (const group of this.groups.values()) if (group.state === state) n += group.users;
    return n;
  }
}

async function run(args: ParsedArgs, io: CliIo): Promise<number> {
  positionals(args, []);
  const settings = djangoSettings(args);
  const pageSizeText = flag(args, "page-size");
  const pageSize = pageSizeText === undefined ? DEFAULT_PAGE_SIZE : Number(pageSizeText);
  if (!Number.isSafeInteger(pageSize) || pageSize < 1 || pageSize > 100_000) throw new CliUsageError("--page-size must be an integer from 1 to 100000");
  const inspector = new HashInspector(settings.hasherOptions);
  const table = cliUserTable(settings);
  const tally = new Tally();
  try {
    const progress = new ProgressBar(io.stderr, io.stderr.isTTY ? await table.count() : 0);
    for await (const page of table.passwordPages(pageSize)) {
      for (const encoded of page) {
        if (encoded === null) tally.add("(null)", null, "null", false);
        else {
          const s = inspector.summarize(encoded);
          tally.add(s.algorithm ?? (s.state === "unusable" ? "(unusable)" : "(no hasher)"), s.iterations, s.state, s.mustUpdate);
        }
      }
      progress.update(tally.users);
    }
    progress.update(tally.users, true);
    progress.done();
  } finally {
    await table.close();
  }
  const report = reportOf(tally, settings.djangoVersion, inspector.options.hashers);
  if (has(args, "json")) writeJson(io.stdout, report);
  else io.stdout.write(text(report));
  return EXIT.OK;
}

function reportOf(tally: Tally, version: string, accepted: readonly string[]): AuditReport {
  const groups = [...tally.groups.values()].sort((a, b) => b.users - a.users || a.hasher.localeCompare(b.hasher));
  const byHasher = new Map<string, number>();
  for (const group of groups) byHasher.set(group.hasher, (byHasher.get(group.hasher) ?? 0) + group.users);
  return {
    django_version: version,
    accepted_hashers: accepted,
    users: tally.users,
    unusable: tally.count("unusable"),
    would_upgrade: tally.wouldUpgrade,
    not_accepted: tally.count("disabled") + tally.count("unknown") + tally.count("null"),
    names_no_hasher: tally.count("unknown") + tally.count("null"),
    malformed: tally.count("malformed"),
    by_hasher: [...byHasher].map(([hasher, users]) => ({ hasher, users })).sort((a, b) => b.users - a.users),
    by_iterations: groups,
  };
}

function text(r: AuditReport): string {
  const summary = formatTable(
    ["", "users"],
    [
      ["users", r.users],
      ["unusable passwords", r.unusable],
      ["Django would upgrade", r.would_upgrade],
      [`not accepted (Django ${r.django_version}: ${r.accepted_hashers.join(",")})`, r.not_accepted],
      ["  of which name no hasher", r.names_no_hasher],
      ["malformed (cannot verify)", r.malformed],
    ],
  );
  const hashers = formatTable(["hasher", "users"], r.by_hasher.map((h) => [h.hasher, h.users]));
  const iterations = formatTable(
    ["hasher", "iterations", "state", "users"],
    r.by_iterations.map((g) => [g.hasher, g.iterations === null ? "-" : g.iterations, g.state, g.users]),
  );
  return `${summary}\n\n${hashers}\n\n${iterations}\n`;
}

export const hashAudit: Command = {
  name: "hash-audit",
  summary: "count the user table's password hashes by hasher and iterations",
  help: HELP,
  flags: { ...COMMON_FLAGS, ...DATABASE_FLAGS, "page-size": { value: true } },
  run,
};
