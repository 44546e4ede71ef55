// `mod-authnz-node make-password`: the hashers library's makePassword as a command, for fixtures and
// migrations. The password comes from the terminal (asked twice) or stdin, never from the command line.
import { ALGORITHMS, isAlgorithmName, makePassword, type AlgorithmName, type HasherOptions } from "../django/hashers/index.js";
import { CliUsageError } from "../errors.js";
import { hasherSettings } from "./settings.js";
import { flag, positionals, type ParsedArgs } from "./args.js";
import { EXIT, type CliIo, type Command } from "./command.js";
import { readPassword } from "./password.js";

const HELP = `usage: mod-authnz-node make-password [--hasher NAME] [--iterations N] [--option django_version=V] [--option hashers=A,B]

Prints the Django-encoded hash of a password (Django's make_password), as the site's PASSWORD_HASHERS would
store it. The password is read from the terminal with echo off (asked twice), or from stdin (one trailing
newline dropped); never from the command line or the environment.

  --hasher NAME         one of ${ALGORITHMS.join(", ")} (default: the preferred, the first of hashers)
  --iterations N        the hasher's cost: PBKDF2 iterations, bcrypt's work factor (4..31), argon2's time cost,
                        scrypt's N (default: the Django version's)
  --option django_version=V   the Django release whose defaults apply (default: the newest known)
  --option hashers=A,B        PASSWORD_HASHERS by algorithm name, first preferred
  --help                this text

exit status: 0 printed, 3 error (password unreadable, the two entries differ, the hasher cannot run), 64 usage
`;

/** The options that give `hasher` the cost `iterations` (each hasher names its own cost differently). */
function withIterations(options: HasherOptions, hasher: AlgorithmName, iterations: number): HasherOptions {
  switch (hasher) {
    case "pbkdf2_sha256":
    case "pbkdf2_sha1":
      return { ...options, params: { ...options.params, [hasher]: { iterations } } };
    case "bcrypt_sha256":
    case "bcrypt":
      return { ...options, params: { ...options.params, [hasher]: { rounds: iterations } } };
    case "argon2":
      return { ...options, params: { ...options.params, argon2: { ...options.params?.argon2, timeCost: iterations } } };
    case "scrypt":
      return { ...options, params: { ...options.params, scrypt: { ...options.params?.scrypt, workFactor: iterations } } };
    default:
      throw new CliUsageError(`--iterations: ${hasher} has no iterations`);
  }
}

async function run(args: ParsedArgs, io: CliIo): Promise<number> {
  positionals(args, []);
  let options = hasherSettings(args);
  const hasherName = flag(args, "hasher") ?? options.hashers?.[0];
  if (hasherName === undefined || !isAlgorithmName(hasherName)) throw new CliUsageError(`--hasher: unknown algorithm ${JSON.stringify(hasherName)}`);
  const iterationsText = flag(args, "iterations");
  if (iterationsText !== undefined) {
    const iterations = Number(iterationsText);
    if (!/^[1-9][0-9]*$/.test(iterationsText) || !Number.isSafeInteger(iterations)) throw new CliUsageError("--iterations must be a positive integer");
    options = withIterations(options, hasherName, iterations);
  }
  const password = await readPassword({ stdin: io.stdin, prompt: io.stderr }, true);
  try {
    io.stdout.write(`${await makePassword(password, { ...options, hasher: hasherName })}\n`);
    return EXIT.OK;
  } finally {
    password.fill(0);
  }
}

export const makePasswordCommand: Command = {
  name: "make-password",
  summary: "hash a password (read from the terminal or stdin) as Django's make_password",
  help: HELP,
  flags: { help: { value: false }, hasher: { value: true }, iterations: { value: true }, option: { value: true, repeat: true } },
  run,
};
