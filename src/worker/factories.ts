// The handler factories the worker gives its registry: script handlers, and the Django plug-in imported
// on first use, by a literal path, so a worker whose Django handler cannot load (a missing database
// driver) still serves script handlers, and answers ERROR "django handler unavailable" for Django specs.
import type { HashLimiter } from "../brute-force/fair-hash-queue.js";
import { lazyFactory, type HandlerFactory } from "../handlers/registry.js";
import { createScriptHandler } from "../handlers/script.js";
import type { HandlerType } from "../handlers/spec.js";
import type { Logger } from "../log.js";
import type { ChangeTracker } from "../cache/change-tracker.js";

/** What every Django handler of the worker shares. */
export interface SharedServices {
  readonly logger: Logger;
  /**
   * One bound on concurrent hashing for the whole worker, so many Django specs cannot multiply it, fair
   * across client addresses (src/brute-force/fair-hash-queue.ts).
   */
  readonly hashLimiter: HashLimiter;
  /** The bootstrap's file secrets by path (a Django spec's secret_key_file); null without a bootstrap. */
  readonly secretFiles: ReadonlyMap<string, string> | null;
  /**
   * The worker's change tracker (--generations-fd), or null without one (change_feed on is then refused).
   * Absent when specs are only checked (check-specs): nothing is started.
   */
  readonly changeTracker?: ChangeTracker | null;
}

export function handlerFactories(services: SharedServices): Record<HandlerType, HandlerFactory> {
  const { logger, hashLimiter, secretFiles, changeTracker } = services;
  return {
    script: (spec) => createScriptHandler(spec),
    django: lazyFactory("django", async () => {
      const { createDjangoHandler } = await import("../django/handler.js");
      return (spec) => createDjangoHandler(spec, { log: (level, id, message) => logger[level](id, message), hashLimiter, secretFiles, ...(changeTracker !== undefined && { changeTracker }) });
    }),
  };
}
