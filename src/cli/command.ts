// What every CLI command is: its flags, its help, and a run that returns the exit status. The exit
// statuses shared by all commands are here; each command's own are in its help and in docs/cli.md.
import type { CheckContext } from "../handlers/types.js";
import { DjangoHandler } from "../django/handler.js";
import type { DjangoSettings } from "../django/config.js";
import { UserTable } from "../django/user-table.js";
import type { FlagSpec, ParsedArgs } from "./args.js";

export const EXIT = {
  /** The command did its job (check-login: GRANTED; can: held). */
  OK: 0,
  /** check-login: DENIED; can: not held; groups: the user is inactive. */
  NO: 1,
  /** check-login, groups, can: no such user. */
  NOT_FOUND: 2,
  /** A failure while working: database, hashing, the password could not be read. */
  ERROR: 3,
  /** The command line or a setting is wrong; nothing was asked of the database. */
  USAGE: 64,
} as const;

export interface CliIo {
  readonly stdin: NodeJS.ReadStream;
  readonly stdout: NodeJS.WriteStream;
  readonly stderr: NodeJS.WriteStream;
}

export interface Command {
  readonly name: string;
  /** One line for the command list. */
  readonly summary: string;
  /** The full --help text. */
  readonly help: string;
  readonly flags: Readonly<Record<string, FlagSpec>>;
  /** The exit status for bad usage and errors when the command has its own scheme (status: Nagios's UNKNOWN). */
  readonly usageExit?: number;
  run(args: ParsedArgs, io: CliIo): Promise<number>;
}

/** A request context for a handler call made by hand (no client, no deadline). */
export function cliContext(user: string): CheckContext {
  return { environ: {}, user, userBytes: Buffer.from(user, "utf8"), signal: new AbortController().signal, client: null };
}

/**
 * The location's Django handler as the worker would build it, minus what only a live worker has: no
 * verified-credential cache (each check hashes), no hash upgrades, and no lockout policies (django-axes and
 * django-defender are the worker's to consult before the check; the CLI reports the password check alone).
 */
export function cliHandler(settings: DjangoSettings, stderr: NodeJS.WritableStream): DjangoHandler {
  return new DjangoHandler({
    database: settings.database,
    mapping: settings.mapping,
    hasherOptions: settings.hasherOptions,
    upgradeHashes: false,
    poolSize: 1,
    credentialCache: null,
    log: (level, message) => {
      if (level === "warn") stderr.write(`mod-authnz-node: ${message}\n`);
    },
  });
}

export function cliUserTable(settings: DjangoSettings): UserTable {
  return new UserTable(settings.database, settings.mapping);
}

export const COMMON_FLAGS: Readonly<Record<string, FlagSpec>> = {
  help: { value: false },
  json: { value: false },
};
