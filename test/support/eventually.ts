// Polling for e2e tests: the worker's log reaches httpd's through a pipe, and Apache and the worker start
// in their own time, so a test waits for a condition rather than for a time. The bound is on work (how
// many tries), not a timed assertion: a slow machine only makes a failing test fail later.
import { setTimeout as sleep } from "node:timers/promises";

/** Polls `probe` until it holds; false when it still does not after `attempts` tries `pauseMs` apart. */
export async function eventually(probe: () => boolean | Promise<boolean>, attempts = 600, pauseMs = 100): Promise<boolean> {
  for (let i = 0; i < attempts; i++) {
    if (await probe()) return true;
    await sleep(pauseMs);
  }
  return probe();
}
