// The worker's memory guard, for the worker and for its spec check (check-specs.ts) alike: both receive
// the BOOTSTRAP frame, whose key and file: secrets must never sit in memory that httpd's User (who may
// also be the worker's user) can read through ptrace or /proc/<pid>/mem.
import type { Addon } from "../native/addon.js";

/**
 * Makes this process non-dumpable (no ptrace, no /proc/<pid>/mem, no core file for its own uid) and
 * checks that no tracer attached before that. Returns null, or why the memory is not protected.
 */
export function guardMemory(addon: Addon | null): string | null {
  if (addon === null) return "memory not protected: the native addon is not loaded";
  try {
    addon.setDumpable(false);
    const tracer = addon.tracerPid();
    return tracer === 0 ? null : `process ${tracer} traces the worker; refusing to receive secrets`;
  } catch (err) {
    return `memory not protected: ${(err as Error).message}`;
  }
}
