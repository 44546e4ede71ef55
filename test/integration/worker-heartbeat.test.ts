// The worker's heartbeat as httpd's parent reads it (native/mod/worker_heartbeat.c): 8 bytes each, the
// CLOCK_MONOTONIC time in milliseconds, big-endian, written whole to the pipe every interval.
import { describe, expect, it } from "vitest";
import { closeSync, constants, mkdtempSync, openSync, readSync, rmSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { HEARTBEAT_LEN, heartbeatBeat, startHeartbeat } from "../../src/worker/heartbeat.js";

/** CLOCK_MONOTONIC in ms as C reads it, from a separate process (python's time.monotonic is that clock). */
function monotonicMsFromC(): number {
  const out = spawnSync("python3", ["-c", "import time; print(int(time.clock_gettime(time.CLOCK_MONOTONIC) * 1000))"], { encoding: "utf8" });
  return Number(out.stdout.trim());
}

describe("heartbeat", () => {
  it("encodes the stamp as 8 big-endian bytes of milliseconds", () => {
    expect(heartbeatBeat(1_234_567_890_123_456_789n).toString("hex")).toBe("0000011f71fb04cb");
    expect(heartbeatBeat(999_999n)).toHaveLength(HEARTBEAT_LEN);
    expect(heartbeatBeat(999_999n).readBigUInt64BE()).toBe(0n);
  });

  it("stamps beats with the clock httpd's parent reads (CLOCK_MONOTONIC), and beats at once and every interval", async () => {
    // A FIFO opened read-write stands in for the pipe: one descriptor both ends, non-blocking like the module's.
    const dir = mkdtempSync(join(tmpdir(), "anp-heartbeat-"));
    const fifo = join(dir, "beats");
    expect(spawnSync("mkfifo", [fifo]).status).toBe(0);
    const fd = openSync(fifo, constants.O_RDWR | constants.O_NONBLOCK);
    const stop = startHeartbeat(fd, 50);
    await new Promise((r) => setTimeout(r, 180));
    stop();
    const buf = Buffer.alloc(HEARTBEAT_LEN * 16);
    const n = readSync(fd, buf);
    closeSync(fd);
    rmSync(dir, { recursive: true, force: true });
    expect(n % HEARTBEAT_LEN).toBe(0);
    expect(n / HEARTBEAT_LEN).toBeGreaterThanOrEqual(3);
    const newest = Number(buf.readBigUInt64BE(n - HEARTBEAT_LEN));
    const now = monotonicMsFromC();
    expect(now - newest).toBeGreaterThanOrEqual(0);
    expect(now - newest).toBeLessThan(5000);
  });
});
