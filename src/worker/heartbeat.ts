// The worker's half of the heartbeat (native/mod/worker_heartbeat.h): every second, from the event loop,
// one 8-byte beat to the pipe httpd's parent gave it: CLOCK_MONOTONIC in milliseconds, big-endian. The
// beats stop when the loop does (a stopped process, a handler stuck in a synchronous loop), and the
// parent, reading the newest stamp, replaces the worker.
import { writeSync } from "node:fs";

export const HEARTBEAT_INTERVAL_MS = 1000;
export const HEARTBEAT_LEN = 8;

/** A beat stamped `monotonicNs` (process.hrtime.bigint(), which is CLOCK_MONOTONIC on Linux). */
export function heartbeatBeat(monotonicNs: bigint): Buffer {
  const beat = Buffer.alloc(HEARTBEAT_LEN);
  beat.writeBigUInt64BE(monotonicNs / 1_000_000n);
  return beat;
}

/**
 * Starts beating on `fd`. The timer does not keep the process alive. The pipe is non-blocking: a full
 * one (EAGAIN, a parent not reading) skips a beat, and a parent that is gone (EPIPE) ends the beats;
 * acting on silence is the parent's job. Returns a function that stops the beats.
 */
export function startHeartbeat(fd: number, intervalMs: number = HEARTBEAT_INTERVAL_MS): () => void {
  const beat = (): void => {
    try {
      writeSync(fd, heartbeatBeat(process.hrtime.bigint()));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "EPIPE") clearInterval(timer);
    }
  };
  const timer = setInterval(beat, intervalMs);
  timer.unref();
  beat();
  return () => clearInterval(timer);
}
