// The worker's half of the heartbeat (native/mod/worker_heartbeat.h): one byte to the inherited pipe
// every interval, written from the event loop, so the beats stop when the loop does (a stopped process,
// a handler stuck in a synchronous loop) and httpd's parent replaces the worker.
import { writeSync } from "node:fs";

/** How often the worker beats; the parent's threshold (NodeAuthWorkerHeartbeat) is whole seconds above it. */
export const HEARTBEAT_INTERVAL_MS = 1000;

const BEAT = Buffer.from([0x2e]);

/**
 * Starts beating on `fd`. The timer does not keep the process alive, and a parent that is gone (EPIPE) or
 * a full pipe (EAGAIN) ends or skips a beat silently: the parent's own check is what acts on silence.
 * Returns a function that stops the beats.
 */
export function startHeartbeat(fd: number, intervalMs: number = HEARTBEAT_INTERVAL_MS): () => void {
  const beat = (): void => {
    try {
      writeSync(fd, BEAT);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "EPIPE") clearInterval(timer);
    }
  };
  const timer = setInterval(beat, intervalMs);
  timer.unref();
  beat();
  return () => clearInterval(timer);
}
