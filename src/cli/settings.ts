// Where the CLI gets a location's settings: `--database URL` and `--option key=value`, the same values as
// NodeAuthDjangoDatabase and NodeAuthDjangoOption, checked by the handler's own parser (src/django/config.ts)
// so a value the worker would refuse is refused here with the same words. A `file:/abs/path` value is
// read here, as httpd's parent reads it for the worker: the CLI runs as root or an admin who may read it.
import { readFileSync } from "node:fs";
import { CliUsageError, DjangoConfigError } from "../errors.js";
import { hasherOptionsFrom, parseDjangoSpec, type DjangoSettings } from "../django/config.js";
import type { HasherOptions } from "../django/hashers/index.js";
import { flag, type FlagSpec, type ParsedArgs } from "./args.js";

export const DATABASE_FLAGS: Readonly<Record<string, FlagSpec>> = {
  database: { value: true },
  option: { value: true, repeat: true },
};

export const DATABASE_USAGE =
  "  --database URL        the location's NodeAuthDjangoDatabase (postgres://, mysql://, sqlite:///abs/path, file:/abs/path)\n" +
  "  --option KEY=VALUE    a NodeAuthDjangoOption (django_version, hashers, user_table, ...), repeatable\n";

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
  const database = flag(args, "database");
  if (database === undefined) throw new CliUsageError("--database is required");
  return parseDjangoSpec({ type: "django", database: secretOrValue("database", database), ...Object.fromEntries(optionPairs(args)) });
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
