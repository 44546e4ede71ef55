// Reads a password for check-login and make-password: from the terminal with echo off when stdin is
// one, otherwise the whole of stdin less one trailing newline (as `htpasswd -i`). Never from argv or the
// environment, where other users' `ps` or /proc could read it. The bytes are returned in a Buffer the
// caller wipes.
import { CliPasswordError } from "../errors.js";

/** Longest password accepted, in bytes: far above any real one, and a bound on what is held. */
export const MAX_PASSWORD_BYTES = 4096;

export interface PasswordInput {
  readonly stdin: NodeJS.ReadStream;
  /** Where the prompt goes (stderr: stdout stays the command's answer). */
  readonly prompt: NodeJS.WritableStream;
}

/** The password; with `confirm` on a terminal, asked twice and refused when the two differ. */
export async function readPassword(input: PasswordInput, confirm = false): Promise<Buffer> {
  if (!input.stdin.isTTY) return readPiped(input.stdin);
  const first = await readFromTerminal(input, "Password: ");
  if (!confirm) return first;
  const second = await readFromTerminal(input, "Password again: ");
  try {
    if (!first.equals(second)) {
      first.fill(0);
      throw new CliPasswordError("the two passwords differ");
    }
    return first;
  } finally {
    second.fill(0);
  }
}

async function readPiped(stdin: NodeJS.ReadStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let length = 0;
  try {
    for await (const chunk of stdin) {
      const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk), "utf8");
      chunks.push(bytes);
      length += bytes.length;
      if (length > MAX_PASSWORD_BYTES + 2) throw new CliPasswordError(`the password on stdin is longer than ${MAX_PASSWORD_BYTES} bytes`);
    }
    if (length === 0) throw new CliPasswordError("no password on stdin (pipe one in, or run on a terminal)");
    const all = Buffer.concat(chunks, length);
    const end = all[length - 1] === 0x0a ? (all[length - 2] === 0x0d ? length - 2 : length - 1) : length;
    const password = Buffer.from(all.subarray(0, end));
    all.fill(0);
    return password;
  } finally {
    for (const chunk of chunks) chunk.fill(0);
  }
}

/** One line from the terminal in raw mode, nothing echoed; Enter ends it, Backspace erases, Ctrl-C or Ctrl-D on empty gives up. */
function readFromTerminal(input: PasswordInput, prompt: string): Promise<Buffer> {
  const { stdin } = input;
  const bytes = Buffer.alloc(MAX_PASSWORD_BYTES);
  let length = 0;
  return new Promise<Buffer>((resolve, reject) => {
    const finish = (error: Error | null): void => {
      stdin.off("data", onData);
      stdin.setRawMode(false);
      stdin.pause();
      input.prompt.write("\n");
      if (error === null) resolve(Buffer.from(bytes.subarray(0, length)));
      else reject(error);
      bytes.fill(0);
    };
    const onData = (chunk: Buffer): void => {
      for (const byte of chunk) {
        if (byte === 0x0d || byte === 0x0a) return finish(null);
        if (byte === 0x03 || (byte === 0x04 && length === 0)) return finish(new CliPasswordError("interrupted"));
        if (byte === 0x7f || byte === 0x08) {
          // Erase one UTF-8 character: its continuation bytes (10xxxxxx) and its lead byte.
          while (length > 0 && ((bytes[--length] as number) & 0xc0) === 0x80);
          continue;
        }
        if (length === MAX_PASSWORD_BYTES) return finish(new CliPasswordError(`the password is longer than ${MAX_PASSWORD_BYTES} bytes`));
        bytes[length++] = byte;
      }
      chunk.fill(0);
    };
    // Echo off before the prompt shows: what is typed as soon as it appears must not be echoed.
    stdin.setRawMode(true);
    input.prompt.write(prompt);
    stdin.on("data", onData);
    stdin.resume();
  });
}
