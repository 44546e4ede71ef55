// Hashing yields the CPU to serving. Every password hash the worker runs (crypto.pbkdf2/scrypt, argon2,
// bcrypt) runs on libuv's thread pool, while cached checks, the sockets and the database driver run on the
// main thread. Under a flood of wrong passwords the pool keeps every core busy; at the default niceness
// the serving path (this main thread, and Apache's children in the same scheduling group) would get only
// its share of the CPU next to it, and logged-in users would wait. Raising the pool threads' niceness once
// at startup lets the serving path run first whenever both want the CPU; with nothing else to run, hashing
// still gets every core, so first verifications keep crypto.pbkdf2's speed.
import type { Addon } from "../native/addon.js";

/**
 * The niceness given to the pool's threads: the lowest (CPU weight 15 against 1024 for the serving
 * threads), because a logged-in client's tail latency under a wrong-password flood is what it protects;
 * docs/performance.md has the measurements (bench/http stage e).
 */
export const HASHING_NICENESS = 19;

/** libuv's thread pool size: UV_THREADPOOL_SIZE, clamped to 1..1024 as libuv does, 4 when unset. */
export function threadPoolSize(env: NodeJS.ProcessEnv = process.env): number {
  const text = env.UV_THREADPOOL_SIZE;
  if (text === undefined || text === "") return 4;
  const value = Number.parseInt(text, 10);
  if (!Number.isFinite(value) || value <= 0) return 1;
  return Math.min(value, 1024);
}

/**
 * Lowers the priority of every thread of libuv's pool (needs the native addon). Resolves with the thread
 * ids changed; rejects with the addon's reason when it could not reach them all.
 */
export async function lowerHashingPriority(addon: Pick<Addon, "lowerPoolPriority">, env: NodeJS.ProcessEnv = process.env): Promise<readonly number[]> {
  return addon.lowerPoolPriority(threadPoolSize(env), HASHING_NICENESS);
}
