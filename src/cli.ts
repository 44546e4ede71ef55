#!/usr/bin/env node
// The operators' command line, compiled to dist/cli.js and installed as `mod-authnz-node` (package.json
// "bin"). A composition root like worker.ts: it wires the Django handler, the hashers and the database
// adapters into commands and holds no rules of its own. Commands, flags and exit statuses: docs/cli.md.
import { AnpError, CliUsageError, DjangoConfigError, HasherOptionError } from "./errors.js";
import { parseArgs } from "./cli/args.js";
import { checkLogin } from "./cli/check-login.js";
import { EXIT, type CliIo, type Command } from "./cli/command.js";
import { doctorCommand } from "./cli/doctor.js";
import { hashAudit } from "./cli/hash-audit.js";
import { makePasswordCommand } from "./cli/make-password.js";
import { statusCommand } from "./cli/status.js";
import { installTriggersCommand, removeTriggersCommand } from "./cli/triggers.js";
import { canCommand, groupsCommand } from "./cli/user-queries.js";

const COMMANDS: readonly Command[] = [
  checkLogin, groupsCommand, canCommand, hashAudit, makePasswordCommand, doctorCommand, statusCommand, installTriggersCommand, removeTriggersCommand,
];

function usage(): string {
  const width = Math.max(...COMMANDS.map((command) => command.name.length));
  return (
    "usage: mod-authnz-node <command> [flags]\n\ncommands:\n" +
    COMMANDS.map((command) => `  ${command.name.padEnd(width)}  ${command.summary}`).join("\n") +
    "\n\n`mod-authnz-node <command> --help` for a command's flags and exit statuses (docs/cli.md).\n"
  );
}

/** Runs one command line; resolves with the exit status, never rejects. */
async function main(argv: readonly string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "help") {
    io.stdout.write(usage());
    return name === undefined ? EXIT.USAGE : EXIT.OK;
  }
  const command = COMMANDS.find((candidate) => candidate.name === name);
  if (command === undefined) {
    io.stderr.write(`mod-authnz-node: unknown command ${JSON.stringify(name)}\n${usage()}`);
    return EXIT.USAGE;
  }
  try {
    const args = parseArgs(rest, command.flags);
    if (args.flags.has("help")) {
      io.stdout.write(command.help);
      return EXIT.OK;
    }
    return await command.run(args, io);
  } catch (error) {
    return reportError(command, error, io);
  }
}

/** One line on stderr; usage and settings problems exit 64, everything else 3. No message quotes a password. */
function reportError(command: Command, error: unknown, io: CliIo): number {
  const usageProblem = error instanceof CliUsageError || error instanceof DjangoConfigError || error instanceof HasherOptionError;
  const message = error instanceof Error ? error.message : String(error);
  const code = error instanceof AnpError ? ` [${error.code}]` : "";
  io.stderr.write(`mod-authnz-node ${command.name}: ${message}${code}\n`);
  if (usageProblem) io.stderr.write(`see: mod-authnz-node ${command.name} --help\n`);
  if (command.usageExit !== undefined) return command.usageExit;
  return usageProblem ? EXIT.USAGE : EXIT.ERROR;
}

const io: CliIo = { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr };
main(process.argv.slice(2), io).then(
  (status) => {
    process.exitCode = status;
  },
  () => {
    process.exitCode = EXIT.ERROR;
  },
);
