// `mod-authnz-node install-triggers` and `remove-triggers`: the change feed's triggers (and, on MySQL and
// SQLite, its change table) in the location's database, or with --print the same SQL as a script for a
// DBA to apply. Both are idempotent; remove-triggers finds every object of ours by its fixed name, whatever
// user-model options installed it. They run with the --database URL's account: a DBA's, not the worker's.
import { feedScript, feedSql, runFeedSql } from "../django/change-feed/admin.js";
import { has, positionals, type ParsedArgs } from "./args.js";
import { EXIT, type CliIo, type Command } from "./command.js";
import { djangoSettings, DATABASE_FLAGS, DATABASE_USAGE } from "./settings.js";

const PRINT_FLAGS = { print: { value: false } } as const;

function help(name: string, what: string): string {
  return `usage: mod-authnz-node ${name} --database URL [--option KEY=VALUE]... [--print]

${what}
Run it as an account that may create triggers (docs/change-feed.md lists the privileges); the worker's
read-only account cannot, and needs none of them.

${DATABASE_USAGE}  --print               write the SQL to stdout instead of running it (psql, mysql or sqlite3 runs it as is)
  --help                this text

exit status: 0 done (or printed), 3 the database refused or failed, 64 usage
`;
}

async function apply(args: ParsedArgs, io: CliIo, which: "install" | "remove"): Promise<number> {
  positionals(args, []);
  const settings = djangoSettings(args);
  const sql = feedSql(settings.database.driver, settings.mapping);
  const statements = which === "install" ? sql.install : sql.remove;
  if (has(args, "print")) {
    io.stdout.write(feedScript(statements, sql.transactional));
    return EXIT.OK;
  }
  await runFeedSql(settings.database, statements);
  io.stdout.write(which === "install" ? "change feed triggers installed\n" : "change feed triggers removed\n");
  return EXIT.OK;
}

export const installTriggersCommand: Command = {
  name: "install-triggers",
  summary: "install the change feed's triggers (or --print their SQL)",
  help: help(
    "install-triggers",
    "Installs the triggers that report changes to users, groups, permissions and sessions (PostgreSQL: NOTIFY;\n" +
      "MySQL/MariaDB and SQLite: rows in the table anp_feed_change). Running it again replaces them.",
  ),
  flags: { help: { value: false }, ...DATABASE_FLAGS, ...PRINT_FLAGS },
  run: (args, io) => apply(args, io, "install"),
};

export const removeTriggersCommand: Command = {
  name: "remove-triggers",
  summary: "remove every trigger, function and table install-triggers made (or --print the SQL)",
  help: help("remove-triggers", "Drops every object install-triggers made (all named anp_feed_*); nothing else is touched."),
  flags: { help: { value: false }, ...DATABASE_FLAGS, ...PRINT_FLAGS },
  run: (args, io) => apply(args, io, "remove"),
};
