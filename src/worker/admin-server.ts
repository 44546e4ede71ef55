// The admin socket (admin.sock, --admin-fd): httpd's parent binds it as root, 0600, owned by root or
// NodeAuthAdminUser, and hands it over; the worker never binds it. Every connection is checked with
// SO_PEERCRED: only root and the admin uid are answered, not httpd's User nor the worker's own uid (file
// modes are the first lock; this one still holds when someone loosens them). One STATUS request per
// connection, bounded in size and time; it answers admin operations only, and the request socket none.
import type { Server, Socket } from "node:net";
import { socketPeerCredentials, type Addon } from "../native/addon.js";
import type { Logger } from "../log.js";
import { encodeAdminAnswer, parseAdminRequest } from "../protocol/admin.js";
import { describePeer } from "./peer.js";
import { listenOnInheritedSocket } from "./socket-file.js";

/** An admin peer that has not sent its request by then is dropped. */
const ADMIN_IDLE_MS = 5000;
/** Admin connections open at once; more are closed at once (the status is for a person or a monitor). */
const MAX_ADMIN_CONNECTIONS = 8;

export interface AdminServerOptions {
  readonly fd: number;
  /** NodeAuthAdminUser's uid, or null for root alone. */
  readonly adminUid: number | null;
  /** For SO_PEERCRED; without it no peer can be identified, so none is answered. */
  readonly addon: Addon | null;
  readonly logger: Logger;
  /** The status to answer with, read when a request arrives. */
  readonly status: () => unknown;
}

/**
 * The dispatcher: the answer to what an admin peer sent so far (`received`), or null while the request is
 * incomplete. Throws ProtocolError for anything but one whole STATUS request.
 */
export function adminAnswer(received: Buffer, status: () => unknown): Buffer | null {
  const request = parseAdminRequest(received);
  if (request === null) return null;
  return encodeAdminAnswer(request.requestId, JSON.stringify(status()));
}

export class AdminServer {
  readonly #options: AdminServerOptions;
  readonly #allowed: ReadonlySet<number>;
  readonly #sockets = new Set<Socket>();
  #server: Server | null = null;

  constructor(options: AdminServerOptions) {
    this.#options = options;
    this.#allowed = new Set(options.adminUid === null ? [0] : [0, options.adminUid]);
  }

  get connectionCount(): number {
    return this.#sockets.size;
  }

  async start(): Promise<void> {
    this.#server = await listenOnInheritedSocket(this.#options.fd, (socket) => this.#accept(socket));
    this.#server.on("error", (err) => this.#options.logger.error("ANP0636", `admin socket: ${err.message}`));
  }

  stop(): void {
    this.#server?.close();
    for (const socket of this.#sockets) socket.destroy();
  }

  /** Null when the peer may ask; else why not. Closed without a byte either way it is refused. */
  #refusal(socket: Socket): string | null {
    const { addon } = this.#options;
    if (addon === null) return "no native addon to read peer credentials";
    try {
      const peer = socketPeerCredentials(addon, socket);
      return this.#allowed.has(peer.uid) ? null : `${describePeer(peer)} is not root or NodeAuthAdminUser`;
    } catch (err) {
      return `cannot read peer credentials: ${(err as Error).message}`;
    }
  }

  #accept(socket: Socket): void {
    const { logger } = this.#options;
    const refusal = this.#sockets.size >= MAX_ADMIN_CONNECTIONS ? "too many admin connections" : this.#refusal(socket);
    if (refusal !== null) {
      logger.warn("ANP0637", `admin socket: refused connection: ${refusal}`);
      socket.destroy();
      return;
    }
    this.#sockets.add(socket);
    socket.on("close", () => this.#sockets.delete(socket));
    socket.on("error", () => socket.destroy());
    socket.setTimeout(ADMIN_IDLE_MS, () => socket.destroy());
    let received = Buffer.alloc(0);
    socket.on("data", (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      let answer: Buffer | null;
      try {
        answer = adminAnswer(received, this.#options.status);
      } catch (err) {
        logger.warn("ANP0638", `admin socket: ${(err as Error).message}`);
        socket.destroy();
        return;
      }
      if (answer === null) return;
      socket.removeAllListeners("data");
      socket.end(answer);
    });
  }
}
