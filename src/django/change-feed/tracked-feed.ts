// A Django handler's change feed (change_feed on): the subscriber of its database, reporting to the worker's
// change tracker (src/cache/change-tracker.ts), which moves the generations table and holds the lease.
import type { ChangeTracker } from "../../cache/change-tracker.js";
import type { WorkerLogId } from "../../log.js";
import type { DatabaseLocation } from "../database-url.js";
import { DEFAULT_FEED_OPTIONS, startChangeFeed, type ChangeFeed } from "./index.js";

export interface TrackedFeed {
  close(): Promise<void>;
}

/**
 * Starts the feed of `location` under `tracker`. `name` names it in log lines (the database, password
 * masked: never a user's data). The contact bound is the feed's own interval of contact (a poll, or
 * PostgreSQL's heartbeat) plus the longest a statement may take before the feed gives the connection up.
 */
export function startTrackedFeed(
  location: DatabaseLocation,
  name: string,
  tracker: ChangeTracker,
  pollIntervalMs: number,
  log: (level: "warn" | "info", id: WorkerLogId, message: string) => void,
): TrackedFeed {
  const { heartbeatMs, timeoutMs } = DEFAULT_FEED_OPTIONS;
  const contactBoundMs = (location.driver === "postgres" ? heartbeatMs : pollIntervalMs) + timeoutMs;
  // Registered first (the tracker reads the view at once), so the feed's first report finds its line.
  const started: { feed?: ChangeFeed } = {};
  const registration = tracker.register(name, () => started.feed?.health() ?? { state: "connecting", lastContactAt: null }, contactBoundMs);
  const feed = startChangeFeed(
    location,
    { onEvent: (event) => registration.event(event), onHealth: (health) => registration.state(health.state) },
    { pollIntervalMs, log: (level, message) => log(level, "ANP0651", `${message} (${name})`) },
  );
  started.feed = feed;
  return {
    close: async () => {
      registration.close();
      await feed.close();
    },
  };
}
