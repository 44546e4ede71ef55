// Creating the listening socket file safely: in a directory only the worker's user can write, replacing
// only a stale socket (never a regular file), with its mode set before anyone can connect.
import { lstatSync, statSync, unlinkSync } from "node:fs";
import { chmod, chown } from "node:fs/promises";
import { createServer, type Server, type Socket } from "node:net";
import { dirname } from "node:path";
import { WorkerConfigError } from "../errors.js";

export interface SocketFileOptions {
  readonly socketPath: string;
  readonly socketMode: 0o600 | 0o660;
  readonly socketGid: number | null;
}

/** Throws WorkerConfigError (exit 2) unless the socket's directory is owned by us and writable by nobody else. */
export function checkSocketDirectory(socketPath: string, uid: number): void {
  const dir = dirname(socketPath);
  let st;
  try {
    st = statSync(dir);
  } catch (err) {
    throw new WorkerConfigError("--socket", `directory ${dir}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  if (!st.isDirectory()) throw new WorkerConfigError("--socket", `${dir} is not a directory`);
  if (st.uid !== uid) throw new WorkerConfigError("--socket", `directory ${dir} is owned by uid ${st.uid}, not by the worker's uid ${uid}`);
  if ((st.mode & 0o022) !== 0) {
    throw new WorkerConfigError("--socket", `directory ${dir} is writable by others (mode ${(st.mode & 0o777).toString(8)}); use 0700 or 0750`);
  }
}

/** Removes a socket left by a previous worker; refuses to remove anything that is not a socket. */
export function removeStaleSocket(socketPath: string): boolean {
  let st;
  try {
    st = lstatSync(socketPath);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw new WorkerConfigError("--socket", `${socketPath}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  if (!st.isSocket()) throw new WorkerConfigError("--socket", `${socketPath} exists and is not a socket; not removing it`);
  unlinkSync(socketPath);
  return true;
}

/**
 * Listens on a fresh socket file. The umask is tightened while the file is created so its mode is never
 * wider than 0600, then it is set to the requested mode (and group).
 */
export async function listenOnSocketFile(options: SocketFileOptions, onConnection: (socket: Socket) => void): Promise<Server> {
  const server = createServer({ allowHalfOpen: false, pauseOnConnect: false }, onConnection);
  const previousUmask = process.umask(0o177);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen({ path: options.socketPath, exclusive: true }, () => {
        server.off("error", reject);
        resolve();
      });
    });
  } finally {
    process.umask(previousUmask);
  }
  if (options.socketGid !== null) await chown(options.socketPath, process.getuid?.() ?? 0, options.socketGid);
  await chmod(options.socketPath, options.socketMode);
  return server;
}

/** Accepts on a socket that httpd's parent already bound and listens on (--listen-fd). */
export async function listenOnInheritedSocket(fd: number, onConnection: (socket: Socket) => void): Promise<Server> {
  const server = createServer({ allowHalfOpen: false, pauseOnConnect: false }, onConnection);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen({ fd }, () => {
      server.off("error", reject);
      resolve();
    });
  });
  return server;
}
