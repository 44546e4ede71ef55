// `mod-authnz-node groups USER` and `can USER app_label.codename`: what `Require node-group` and
// `Require node-permission` see, asked of the location's Django handler itself.
import { CliUsageError } from "../errors.js";
import { djangoSettings, DATABASE_FLAGS, DATABASE_USAGE } from "./settings.js";
import { has, positionals, type ParsedArgs } from "./args.js";
import { cliContext, cliHandler, cliUserTable, COMMON_FLAGS, EXIT, type CliIo, type Command } from "./command.js";
import { writeJson } from "./output.js";

const GROUPS_HELP = `usage: mod-authnz-node groups USER (--database URL [--option KEY=VALUE]... | --location PATH [--host NAME[:PORT]]) [--json]

Lists the groups \`Require node-group\` sees for USER (Django's modwsgi.groups_for_user), one per line.
An inactive user has none there, whatever the table holds.

${DATABASE_USAGE}  --json                {"user", "exists", "is_active", "groups": [...]}
  --help                this text

exit status: 0 listed, 1 the user is inactive (no groups apply), 2 no such user, 3 error, 64 usage
`;

const CAN_HELP = `usage: mod-authnz-node can USER APP_LABEL.CODENAME (--database URL [--option KEY=VALUE]... | --location PATH [--host NAME[:PORT]]) [--json]

Says whether USER holds the permission, as \`Require node-permission\` and Django's ModelBackend decide:
an inactive user holds none, an active superuser all, others their own and their groups' permissions.

${DATABASE_USAGE}  --json                {"user", "permission", "exists", "held"}
  --help                this text

exit status: 0 held, 1 not held (inactive users included), 2 no such user, 3 error, 64 usage
`;

async function groups(args: ParsedArgs, io: CliIo): Promise<number> {
  const [user] = positionals(args, ["USER"]) as [string];
  const settings = djangoSettings(args);
  const handler = cliHandler(settings, io.stderr);
  const table = cliUserTable(settings);
  try {
    const record = await table.findUser(user);
    const names = record === null ? [] : [...(await handler.groupsForUser(cliContext(user)))];
    if (has(args, "json")) writeJson(io.stdout, { user, exists: record !== null, is_active: record?.isActive ?? null, groups: names });
    else if (names.length > 0) io.stdout.write(`${names.join("\n")}\n`);
    if (record === null) return EXIT.NOT_FOUND;
    return record.isActive ? EXIT.OK : EXIT.NO;
  } finally {
    await Promise.allSettled([handler.close(), table.close()]);
  }
}

async function can(args: ParsedArgs, io: CliIo): Promise<number> {
  const [user, permission] = positionals(args, ["USER", "APP_LABEL.CODENAME"]) as [string, string];
  if (!/^[^.\s]+\.[^\s]+$/.test(permission)) throw new CliUsageError(`${JSON.stringify(permission)} is not app_label.codename`);
  const settings = djangoSettings(args);
  const handler = cliHandler(settings, io.stderr);
  const table = cliUserTable(settings);
  try {
    const record = await table.findUser(user);
    const held = record !== null && (await handler.hasPermission(cliContext(user), [permission]));
    if (has(args, "json")) writeJson(io.stdout, { user, permission, exists: record !== null, held });
    else io.stdout.write(record === null ? "USER_NOT_FOUND\n" : held ? "yes\n" : "no\n");
    if (record === null) return EXIT.NOT_FOUND;
    return held ? EXIT.OK : EXIT.NO;
  } finally {
    await Promise.allSettled([handler.close(), table.close()]);
  }
}

export const groupsCommand: Command = {
  name: "groups",
  summary: "list the groups Require node-group sees for USER",
  help: GROUPS_HELP,
  flags: { ...COMMON_FLAGS, ...DATABASE_FLAGS },
  run: groups,
};

export const canCommand: Command = {
  name: "can",
  summary: "whether USER holds app_label.codename (Require node-permission)",
  help: CAN_HELP,
  flags: { ...COMMON_FLAGS, ...DATABASE_FLAGS },
  run: can,
};
