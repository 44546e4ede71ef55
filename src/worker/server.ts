// The listening side: accepts module connections on the socket file, refuses untrusted peers, and
// stops gracefully (stop accepting, answer what is in flight, then close everything).
import type { Server, Socket } from "node:net";
import { lstatSync } from "node:fs";
import { Connection, type ConnectionOptions } from "./connection.js";
import type { Logger } from "../log.js";
import { describePeer, type PeerPolicy } from "./peer.js";
import { listenOnInheritedSocket, listenOnSocketFile, type SocketFileOptions } from "./socket-file.js";

export interface WorkerServerOptions extends SocketFileOptions {
  /**
   * A listening socket httpd's parent made (--listen-fd), in a directory only root can write; null: the
   * worker creates socketPath itself. The inherited socket's path is the parent's to create and remove.
   */
  readonly listenFd: number | null;
  readonly logger: Logger;
  readonly peers: PeerPolicy;
  readonly connection: Omit<ConnectionOptions, "peer">;
}

export class WorkerServer {
  readonly #options: WorkerServerOptions;
  readonly #connections = new Set<Connection>();
  #server: Server | null = null;
  #socketIno: number | null = null;
  #stopping = false;

  constructor(options: WorkerServerOptions) {
    this.#options = options;
  }

  get connectionCount(): number {
    return this.#connections.size;
  }

  async start(): Promise<void> {
    const accept = (socket: Socket): void => this.#accept(socket);
    const { listenFd } = this.#options;
    if (listenFd !== null) {
      // The parent's socket: closing it removes no file, so there is no socket file of ours to watch.
      this.#server = await listenOnInheritedSocket(listenFd, accept);
    } else {
      this.#server = await listenOnSocketFile(this.#options, accept);
      this.#socketIno = lstatSync(this.#options.socketPath).ino;
    }
    this.#server.on("error", (err) => this.#options.logger.error("ANP0628", `listening socket: ${err.message}`));
  }

  #accept(socket: Socket): void {
    const { logger, peers } = this.#options;
    if (this.#stopping) {
      socket.destroy();
      return;
    }
    const verdict = peers.check(socket);
    if (!verdict.allowed) {
      logger.warn("ANP0629", `refused connection from ${describePeer(verdict.peer)}: ${verdict.reason}`);
      socket.destroy();
      return;
    }
    const peer = describePeer(verdict.peer);
    logger.debug("ANP0630", `connection from ${peer}`);
    const connection = new Connection(socket, { ...this.#options.connection, peer });
    this.#connections.add(connection);
    void connection.closed.then(() => {
      this.#connections.delete(connection);
      logger.debug("ANP0631", `connection from ${peer} closed`);
    });
  }

  /**
   * Stops accepting, lets requests in flight finish for up to `graceMs`, then closes whatever is left.
   * Resolves when every connection is closed.
   */
  async stop(graceMs: number): Promise<void> {
    this.#stopping = true;
    const server = this.#server;
    if (server !== null) {
      // libuv unlinks the socket path on close. If a newer worker already replaced the file, that removes
      // the newer worker's socket; the module then restarts that worker. Say so, since it cannot be avoided.
      if (this.#socketIno !== null && !this.#stillOurSocketFile()) this.#options.logger.warn("ANP0632", "socket file was replaced by another process; closing removes it");
      server.close();
    }
    for (const connection of this.#connections) connection.stop();
    const allClosed = Promise.all([...this.#connections].map((c) => c.closed));
    let timer: NodeJS.Timeout | undefined;
    const graceOver = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), graceMs);
    });
    const outcome = await Promise.race([allClosed.then(() => "closed" as const), graceOver]);
    clearTimeout(timer);
    if (outcome === "timeout") {
      this.#options.logger.warn("ANP0633", `${this.#connections.size} connection(s) still busy after ${graceMs} ms; closing them`);
      for (const connection of this.#connections) connection.destroy();
      await allClosed;
    }
  }

  #stillOurSocketFile(): boolean {
    try {
      return lstatSync(this.#options.socketPath).ino === this.#socketIno;
    } catch {
      return false;
    }
  }
}
