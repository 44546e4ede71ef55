// What every subscriber shares: the listener it reports to, its health, and the reconnect loop. A
// subscriber owns one connection of its own; when it fails, the feed is "lost" at once (whoever keeps state
// from the feed must stop trusting it), and after it is back, the first thing delivered is an "all" event,
// because whatever changed in between was not seen.
import { ALL_EVENT, type ChangeEvent } from "./events.js";

export type FeedState = "connecting" | "connected" | "lost" | "closed";

export interface FeedHealth {
  readonly state: FeedState;
  /** Date.now() of the last event delivered, null before the first. */
  readonly lastEventAt: number | null;
  /** Date.now() of the last time the database answered (a poll, a heartbeat, a notification). */
  readonly lastContactAt: number | null;
  /** "all" events delivered for a (re)connect or a gap in the change table. */
  readonly gaps: number;
  /** Connections lost since the start. */
  readonly losses: number;
  /** The last failure's message (database errors name the location, password masked), null when none. */
  readonly lastError: string | null;
  /** While lost: how long until the next attempt; null otherwise. */
  readonly retryInMs: number | null;
}

export interface FeedListener {
  /** One change; called in commit order, never concurrently. */
  onEvent(event: ChangeEvent): void;
  /** The state moved (connected, lost, closed). */
  onHealth?(health: FeedHealth): void;
}

export type FeedLog = (level: "warn" | "info", message: string) => void;

export interface ChangeFeed {
  health(): FeedHealth;
  /** Stops the subscriber and ends its connection; no event follows. */
  close(): Promise<void>;
}

/** Reconnect backoff: the first retry at once-ish, doubling up to the ceiling. */
export const BACKOFF_MIN_MS = 50;
export const BACKOFF_MAX_MS = 5_000;

export abstract class FeedBase implements ChangeFeed {
  #health: FeedHealth = { state: "connecting", lastEventAt: null, lastContactAt: null, gaps: 0, losses: 0, lastError: null, retryInMs: null };
  #backoffMs = BACKOFF_MIN_MS;
  /** When the current connection was made (Date.now()). */
  #connectedAt = 0;
  #retry: NodeJS.Timeout | undefined;
  protected readonly listener: FeedListener;
  protected readonly log: FeedLog;

  constructor(listener: FeedListener, log: FeedLog | undefined) {
    this.listener = listener;
    this.log = log ?? (() => {});
  }

  health(): FeedHealth {
    return this.#health;
  }

  get closed(): boolean {
    return this.#health.state === "closed";
  }

  /** Opens the connection and subscribes; resolves once changes from now on will be seen. */
  protected abstract connect(): Promise<void>;
  /** Ends the connection, whatever state it is in; never rejects. */
  protected abstract disconnect(): Promise<void>;

  /** Starts the first connection attempt (later ones follow failures by themselves). */
  start(): this {
    void this.#attempt();
    return this;
  }

  async #attempt(): Promise<void> {
    this.#retry = undefined;
    if (this.closed) return;
    try {
      await this.connect();
    } catch (error) {
      await this.disconnect();
      if (!this.closed) this.lost(error);
      return;
    }
    // A failure reported while connecting has already scheduled the next attempt.
    if (this.closed || this.#retry !== undefined) return;
    this.#connectedAt = Date.now();
    this.#set({ state: "connected", lastError: null, retryInMs: null });
    this.contact();
    this.gap();
  }

  /** The connection failed: report it, drop it, try again after the backoff. */
  protected lost(error: unknown): void {
    if (this.closed || this.#retry !== undefined) return;
    const message = error instanceof Error ? error.message : String(error);
    const wasConnected = this.#health.state === "connected";
    // The backoff starts over only after a connection that lasted: one that fails again at once (a read
    // the database keeps refusing) must not reconnect, and deliver "all", fifty times a second.
    if (wasConnected && Date.now() - this.#connectedAt > BACKOFF_MAX_MS) this.#backoffMs = BACKOFF_MIN_MS;
    const delay = this.#backoffMs;
    this.#backoffMs = Math.min(BACKOFF_MAX_MS, this.#backoffMs * 2);
    this.#set({ state: "lost", lastError: message, losses: this.#health.losses + (wasConnected ? 1 : 0), retryInMs: delay });
    if (wasConnected) this.log("warn", `change feed: connection lost (${message}); reconnecting`);
    void this.disconnect();
    this.#retry = setTimeout(() => void this.#attempt(), delay);
  }

  /** Delivers one event (unless closed). */
  protected deliver(event: ChangeEvent): void {
    if (this.closed) return;
    this.#health = { ...this.#health, lastEventAt: Date.now() };
    this.listener.onEvent(event);
  }

  /** Something may have been missed: "all". */
  protected gap(): void {
    if (this.closed) return;
    this.#health = { ...this.#health, gaps: this.#health.gaps + 1 };
    this.deliver(ALL_EVENT);
  }

  protected contact(): void {
    this.#health = { ...this.#health, lastContactAt: Date.now() };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    clearTimeout(this.#retry);
    this.#set({ state: "closed", retryInMs: null });
    await this.disconnect();
  }

  #set(change: Partial<FeedHealth>): void {
    this.#health = { ...this.#health, ...change };
    this.listener.onHealth?.(this.#health);
  }
}
