// Where the CLI gets a location's settings: `--database URL` and `--option key=value`, the same values as
// NodeAuthDjangoDatabase and NodeAuthDjangoOption, checked by the handler's own parser (src/django/config.ts)
// so a value the worker would refuse is refused here with the same words. A `file:/abs/path` value is
// read here, as httpd's parent reads it for the worker: the CLI runs as root or an admin who may read it.
// Or `--location PATH`: the two directives' values as httpd's configuration gives them to that URL path
// (location.ts), read from httpd's own DUMP_CONFIG; then --database and --option are refused, not mixed in.
import { readFileSync } from "node:fs";
import { CliUsageError, DjangoConfigError } from "../errors.js";
import { hasherOptionsFrom, parseDjangoSpec, type DjangoSettings } from "../django/config.js";
import type { HasherOptions } from "../django/hashers/index.js";
import { flag, has, type FlagSpec, type ParsedArgs } from "./args.js";
import { parseDumpConfig } from "./config-tree.js";
import { DEFAULT_MODULES_DIR, DoctorRunError, HTTPD_FLAGS, httpdCommand, readDumpConfig } from "./httpd-run.js";
import { djangoSpecAt } from "./location.js";

export const DATABASE_FLAGS: Readonly<Record<string, FlagSpec>> = {
  database: { value: true },
  option: { value: true, repeat: true },
  location: { value: true },
  host: { value: true },
  ...HTTPD_FLAGS,
};

export const DATABASE_USAGE =
  "  --database URL        the location's NodeAuthDjangoDatabase (postgres://, mysql://, sqlite:///abs/path, file:/abs/path)\n" +
  "  --option KEY=VALUE    a NodeAuthDjangoOption (django_version, hashers, user_table, ...), repeatable\n" +
  "  --location PATH       instead of --database/--option: the settings httpd's configuration gives URL PATH\n" +
  "                        (its <Location>/<LocationMatch> sections merged as the module merges them)\n" +
  "  --host NAME[:PORT]    with --location: the <VirtualHost> of that ServerName/ServerAlias (default: the main server)\n" +
  "  --config FILE         with --location: run `apache2 -f FILE` instead of apache2ctl (--apache2 PATH, --modules-dir DIR)\n";

/** The `--option` pairs, each key once. */
export function optionPairs(args: ParsedArgs): Map<string, string> {
  const pairs = new Map<string, string>();
  for (const text of args.flags.get("option") ?? []) {
    const eq = text.indexOf("=");
    if (eq <= 0) throw new CliUsageError(`--option ${JSON.stringify(text)}: expected KEY=VALUE`);
    const key = text.slice(0, eq);
    if (pairs.has(key)) throw new CliUsageError(`--option ${key} given twice`);
    if (key === "type" || key === "database") throw new CliUsageError(`--option ${key}: not an option (use --database for the URL)`);
    pairs.set(key, secretOrValue(key, text.slice(eq + 1)));
  }
  return pairs;
}

/** The Django handler's settings for the location the flags describe. Throws CliUsageError or DjangoConfigError. */
export function djangoSettings(args: ParsedArgs): DjangoSettings {
  const location = flag(args, "location");
  if (location !== undefined) return parseDjangoSpec({ type: "django", ...locationSpec(args, location) });
  for (const name of ["host", "config", "apache2", "modules-dir"]) {
    if (has(args, name)) throw new CliUsageError(`--${name} goes with --location`);
  }
  const database = flag(args, "database");
  if (database === undefined) throw new CliUsageError("--database is required");
  return parseDjangoSpec({ type: "django", database: secretOrValue("database", database), ...Object.fromEntries(optionPairs(args)) });
}

/** The location's spec from httpd's DUMP_CONFIG, `file:` values read. Throws CliUsageError (64) or DoctorRunError (3). */
function locationSpec(args: ParsedArgs, location: string): Record<string, string> {
  if (has(args, "database") || has(args, "option")) throw new CliUsageError("--location takes the database and options from httpd's configuration: drop --database and --option");
  const read = readDumpConfig(httpdCommand(args), flag(args, "modules-dir") ?? DEFAULT_MODULES_DIR);
  if ("error" in read) throw new DoctorRunError(`--location: cannot read httpd's DUMP_CONFIG: ${read.error}`);
  const spec = djangoSpecAt(parseDumpConfig(read.dump), location, flag(args, "host"));
  return Object.fromEntries(Object.entries(spec).map(([key, value]) => [key, secretOrValue(key, value)]));
}

/** The hasher options of `--option django_version=` and `--option hashers=` alone (make-password). */
export function hasherSettings(args: ParsedArgs): HasherOptions {
  const pairs = optionPairs(args);
  for (const key of pairs.keys()) {
    if (key !== "django_version" && key !== "hashers") throw new CliUsageError(`--option ${key}: make-password takes only django_version and hashers`);
  }
  return hasherOptionsFrom(pairs.get("django_version"), pairs.get("hashers"));
}

/** A `file:/abs/path` value replaced by the file's one line; the message never quotes the content. */
export function secretOrValue(key: string, value: string): string {
  const match = /^file:(\/.*)$/.exec(value);
  if (match === null) return value;
  let content: string;
  try {
    content = readFileSync(match[1] as string, "utf8");
  } catch (error) {
    throw new DjangoConfigError(key, `cannot read ${match[1]}: ${(error as NodeJS.ErrnoException).code ?? "error"}`);
  }
  const line = content.replace(/\r?\n$/, "");
  if (/[\r\n]/.test(line)) throw new DjangoConfigError(key, `${match[1]} holds more than one line`);
  return line;
}
