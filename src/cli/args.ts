// The CLI's command line: `mod-authnz-node <command> [flags] [arguments]`. Each command declares its
// flags; anything else is a CliUsageError (exit 64). No flag takes a password: check-login and
// make-password read it from the terminal or stdin (src/cli/password.ts).
import { CliUsageError } from "../errors.js";

export interface FlagSpec {
  /** Takes a value (`--flag value` or `--flag=value`); otherwise a switch. */
  readonly value: boolean;
  /** May be given more than once (values collected in order). */
  readonly repeat?: boolean;
}

export interface ParsedArgs {
  readonly positionals: readonly string[];
  /** Switches as "true"; repeated flags as all their values. */
  readonly flags: ReadonlyMap<string, readonly string[]>;
}

/** Parses `argv` (after the command name) against `flags`; `--` ends the flags. */
export function parseArgs(argv: readonly string[], flags: Readonly<Record<string, FlagSpec>>): ParsedArgs {
  const positionals: string[] = [];
  const seen = new Map<string, string[]>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === "--") {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith("--") || arg === "--") {
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf("=");
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    const spec = flags[name];
    if (spec === undefined) throw new CliUsageError(`unknown flag --${name}`);
    let value = "true";
    if (spec.value) {
      const next = eq < 0 ? argv[++i] : arg.slice(eq + 1);
      if (next === undefined) throw new CliUsageError(`--${name} needs a value`);
      value = next;
    } else if (eq >= 0) {
      throw new CliUsageError(`--${name} takes no value`);
    }
    const values = seen.get(name) ?? [];
    if (values.length > 0 && !spec.repeat) throw new CliUsageError(`--${name} given twice`);
    values.push(value);
    seen.set(name, values);
  }
  return { positionals, flags: seen };
}

export function flag(args: ParsedArgs, name: string): string | undefined {
  return args.flags.get(name)?.[0];
}

export function has(args: ParsedArgs, name: string): boolean {
  return args.flags.has(name);
}

/** Exactly `names.length` positionals, or a CliUsageError naming what is missing or extra. */
export function positionals(args: ParsedArgs, names: readonly string[]): string[] {
  if (args.positionals.length < names.length) throw new CliUsageError(`missing ${names.slice(args.positionals.length).join(" ")}`);
  if (args.positionals.length > names.length) throw new CliUsageError(`unexpected argument ${JSON.stringify(args.positionals[names.length])}`);
  return [...args.positionals];
}
