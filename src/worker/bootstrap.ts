// The bootstrap (docs/protocol.md, "Bootstrap"): httpd's parent, as root, writes one BOOTSTRAP frame on
// an inherited descriptor and closes its end. It carries this generation's key, every handler spec text
// httpd's configuration can produce, and the content of each `file:` secret the parent read. Nothing of
// it goes through argv, the environment or a file, where httpd's User could read it.
import { Socket } from "node:net";
import { WorkerConfigError } from "../errors.js";
import { decodeFrame, LENGTH_PREFIX_LEN } from "../protocol/codec.js";
import { Kind, MAX_FRAME_LEN, Tag } from "../protocol/constants.js";
import { fieldsOf, firstField, readText } from "../protocol/fields.js";
import type { Message } from "../protocol/message.js";

export interface Bootstrap {
  readonly generationKey: Buffer;
  readonly allowedSpecs: ReadonlySet<string>;
  readonly secretFiles: ReadonlyMap<string, string>;
}

/** The most bytes the descriptor may carry: one frame of the largest size. */
const MAX_BOOTSTRAP_BYTES = LENGTH_PREFIX_LEN + MAX_FRAME_LEN;
/**
 * The parent writes the frame before the worker's first instruction runs; a parent that keeps its end
 * open (so no end of file comes) is a bug, and the worker says so rather than hang unsupervised.
 */
const BOOTSTRAP_WAIT_MS = 10_000;

function refused(message: string): WorkerConfigError {
  return new WorkerConfigError("--bootstrap-fd", message);
}

/**
 * Reads descriptor `fd` to end of file (at most one frame's worth of bytes), closes it, and decodes the
 * one BOOTSTRAP frame it must hold. Throws WorkerConfigError (the worker exits 2) for a descriptor that
 * cannot be read, no frame, a bad frame, another kind, or bytes after the frame.
 */
export async function readBootstrap(fd: number): Promise<Bootstrap> {
  const bytes = await readToEnd(fd);
  let decoded: ReturnType<typeof decodeFrame>;
  try {
    decoded = decodeFrame(bytes);
  } catch (err) {
    throw refused(`bad BOOTSTRAP frame: ${(err as Error).message}`);
  }
  if (decoded === null) throw refused(bytes.length === 0 ? "no BOOTSTRAP frame (end of file at once)" : `truncated BOOTSTRAP frame (${bytes.length} bytes)`);
  if (decoded.size !== bytes.length) throw refused(`${bytes.length - decoded.size} bytes after the BOOTSTRAP frame`);
  if (decoded.message.kind !== Kind.BOOTSTRAP) throw refused(`expected a BOOTSTRAP frame, got kind 0x${decoded.message.kind.toString(16)}`);
  const bootstrap = fromMessage(decoded.message);
  // The key and the secrets now live in their own copies only.
  bytes.fill(0);
  return bootstrap;
}

/** The frame's fields; the codec's rules already checked the key's length and each SECRET_FILE's form. */
function fromMessage(msg: Message): Bootstrap {
  const key = firstField(msg, Tag.GENERATION_KEY);
  if (key === undefined) throw refused("BOOTSTRAP without GENERATION_KEY");
  // Copies: the frame's buffer is dropped, these live as long as the worker.
  const generationKey = Buffer.from(key.value);
  const allowedSpecs = new Set(fieldsOf(msg, Tag.ALLOWED_SPEC).map(readText));
  const secretFiles = new Map<string, string>();
  for (const field of fieldsOf(msg, Tag.SECRET_FILE)) {
    const value = Buffer.from(field.value);
    const nul = value.indexOf(0);
    const path = value.subarray(0, nul).toString("utf8");
    if (secretFiles.has(path)) throw refused(`SECRET_FILE ${path} given twice`);
    secretFiles.set(path, value.subarray(nul + 1).toString("utf8"));
    value.fill(0);
  }
  return { generationKey, allowedSpecs, secretFiles };
}

/** All bytes of `fd` until end of file, then closes it; refuses more than one frame's worth. */
function readToEnd(fd: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let socket: Socket;
    try {
      // A socketpair end (or a pipe): net.Socket reads it whether or not it is in non-blocking mode.
      socket = new Socket({ fd, readable: true, writable: false, allowHalfOpen: true });
    } catch (err) {
      reject(refused(`cannot read descriptor ${fd}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`));
      return;
    }
    const chunks: Buffer[] = [];
    let length = 0;
    const finish = (err: Error | null): void => {
      clearTimeout(timer);
      socket.removeAllListeners("data").removeAllListeners("end");
      socket.destroy();
      if (err === null) resolve(Buffer.concat(chunks, length));
      else reject(err);
    };
    const timer = setTimeout(() => finish(refused(`no end of file within ${BOOTSTRAP_WAIT_MS} ms (the parent kept its end open)`)), BOOTSTRAP_WAIT_MS);
    socket.on("data", (chunk: Buffer) => {
      length += chunk.length;
      if (length > MAX_BOOTSTRAP_BYTES) finish(refused(`more than ${MAX_BOOTSTRAP_BYTES} bytes: not one BOOTSTRAP frame`));
      else chunks.push(chunk);
    });
    socket.once("end", () => finish(null));
    socket.once("error", (err: NodeJS.ErrnoException) => finish(refused(`reading descriptor ${fd}: ${err.code ?? err.message}`)));
  });
}
