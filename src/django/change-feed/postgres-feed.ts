// PostgreSQL's subscriber: LISTEN on a connection of its own (a pool's connections come and go, and a
// LISTEN belongs to one session). NOTIFY delivers every payload committed while the session listens, in
// commit order; a session that ends is the one way to miss any, so its loss is reported at once and the
// reconnect delivers "all". A heartbeat query notices a connection that died silently (a host gone, a
// firewall's dropped state): a change is missed for at most heartbeatMs plus the query timeout.
import type pg from "pg";
import type { PostgresLocation } from "../database-url.js";
import { postgresClient } from "./connections.js";
import { eventFromPayload } from "./events.js";
import { FeedBase, type FeedListener, type FeedLog } from "./feed.js";
import { CHANNEL } from "./watched.js";

export interface PostgresFeedOptions {
  /** How often an idle connection is checked with a query. */
  readonly heartbeatMs: number;
  /** Longest a connection attempt or the heartbeat may take before the connection counts as lost. */
  readonly timeoutMs: number;
  readonly log?: FeedLog;
}

export class PostgresFeed extends FeedBase {
  readonly #location: PostgresLocation;
  readonly #options: PostgresFeedOptions;
  #client: pg.Client | undefined;
  #heartbeat: NodeJS.Timeout | undefined;

  constructor(location: PostgresLocation, listener: FeedListener, options: PostgresFeedOptions) {
    super(listener, options.log);
    this.#location = location;
    this.#options = options;
  }

  protected async connect(): Promise<void> {
    const client = postgresClient(this.#location, this.#options.timeoutMs);
    this.#client = client;
    client.on("error", (error) => this.#failed(client, error));
    client.on("end", () => this.#failed(client, new Error("connection ended")));
    client.on("notification", (message) => {
      if (client !== this.#client || message.channel !== CHANNEL) return;
      this.contact();
      this.deliver(eventFromPayload(message.payload));
    });
    await client.connect();
    await client.query(`LISTEN ${CHANNEL}`);
    this.#heartbeat = setInterval(() => {
      client.query("SELECT 1").then(
        () => this.contact(),
        (error: unknown) => this.#failed(client, error),
      );
    }, this.#options.heartbeatMs);
  }

  #failed(client: pg.Client, error: unknown): void {
    if (client === this.#client) this.lost(error);
  }

  protected async disconnect(): Promise<void> {
    clearInterval(this.#heartbeat);
    this.#heartbeat = undefined;
    const client = this.#client;
    this.#client = undefined;
    if (client === undefined) return;
    client.removeAllListeners("notification");
    client.on("error", () => {});
    await client.end().catch(() => {});
  }
}
