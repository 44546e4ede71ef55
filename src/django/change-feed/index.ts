// The change feed: a subscriber per database that turns the triggers' signals (install-triggers) into
// ChangeEvents; a handler with change_feed on reports them to the worker's change tracker (src/cache/change-tracker.ts).
import type { DatabaseLocation } from "../database-url.js";
import { SQLITE_BUSY_TIMEOUT_MS } from "../database/sqlite.js";
import type { ChangeFeed, FeedListener, FeedLog } from "./feed.js";
import { PollFeed } from "./poll-feed.js";
import { MysqlPollSource, SqlitePollSource } from "./poll-sources.js";
import { PostgresFeed } from "./postgres-feed.js";

export type { ChangeEvent, ChangeKind } from "./events.js";
export type { ChangeFeed, FeedHealth, FeedListener, FeedState } from "./feed.js";

export interface ChangeFeedOptions {
  /** MySQL, SQLite: how often the change table is read. */
  readonly pollIntervalMs: number;
  /** PostgreSQL: how often the listening connection is checked. */
  readonly heartbeatMs: number;
  /** Longest a connection attempt or a statement may take. */
  readonly timeoutMs: number;
  /** MySQL: change rows older than this are deleted (by any subscriber allowed to). */
  readonly retentionSeconds: number;
  /** MySQL: how long an id skipped over is waited for (an open transaction's) before it counts as a gap. */
  readonly holeWaitMs: number;
  readonly log?: FeedLog;
}

export const DEFAULT_FEED_OPTIONS: ChangeFeedOptions = Object.freeze({
  pollIntervalMs: 10,
  heartbeatMs: 1000,
  timeoutMs: 2000,
  retentionSeconds: 600,
  holeWaitMs: 30_000,
});

/** Starts the subscriber for `location`; it connects (and reconnects) by itself and reports to `listener`. */
export function startChangeFeed(location: DatabaseLocation, listener: FeedListener, options: Partial<ChangeFeedOptions> = {}): ChangeFeed {
  const o = { ...DEFAULT_FEED_OPTIONS, ...options };
  switch (location.driver) {
    case "postgres":
      return new PostgresFeed(location, listener, { heartbeatMs: o.heartbeatMs, timeoutMs: o.timeoutMs, log: o.log }).start();
    case "mysql":
      return new PollFeed(new MysqlPollSource(location, o.timeoutMs, o.retentionSeconds), listener, {
        intervalMs: o.pollIntervalMs, holeWaitMs: o.holeWaitMs, timeoutMs: o.timeoutMs, cleanupEveryMs: 60_000, log: o.log,
      }).start();
    case "sqlite":
      return new PollFeed(new SqlitePollSource(location, Math.min(SQLITE_BUSY_TIMEOUT_MS, o.timeoutMs)), listener, {
        intervalMs: o.pollIntervalMs, holeWaitMs: 0, timeoutMs: o.timeoutMs, cleanupEveryMs: 0, log: o.log,
      }).start();
  }
}
