// Bounds how many password hashes run at once, so a flood of wrong passwords (each one a full
// PBKDF2/argon2/bcrypt run) queues here, in FIFO order, instead of filling libuv's thread pool, where it
// would delay everything else that needs a thread. Checks answered from the verified-credential cache
// never enter the limiter, so logged-in users are not slowed by the flood.
import { availableParallelism } from "node:os";

export class ConcurrencyLimiter {
  readonly limit: number;
  #running = 0;
  readonly #waiting: Array<() => void> = [];

  constructor(limit: number = availableParallelism()) {
    if (!Number.isSafeInteger(limit) || limit < 1) {
      throw new RangeError(`ConcurrencyLimiter: limit must be a positive integer, got ${limit}`);
    }
    this.limit = limit;
  }

  /** Tasks running now. */
  get running(): number {
    return this.#running;
  }

  /** Tasks waiting for a slot. */
  get queued(): number {
    return this.#waiting.length;
  }

  /**
   * Runs `task` when a slot is free. If `signal` aborts while the task is still waiting, it never runs and
   * the promise rejects with the signal's reason; a task already running is not interrupted.
   */
  async run<T>(task: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    signal?.throwIfAborted();
    if (this.#running >= this.limit) await this.#waitForSlot(signal);
    else this.#running++;
    try {
      return await task();
    } finally {
      this.#release();
    }
  }

  #waitForSlot(signal: AbortSignal | undefined): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const grant = (): void => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      };
      const onAbort = (): void => {
        const index = this.#waiting.indexOf(grant);
        if (index >= 0) this.#waiting.splice(index, 1);
        reject(signal?.reason);
      };
      this.#waiting.push(grant);
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  #release(): void {
    // Hand the slot straight to the next waiter, so #running never dips and a newcomer cannot jump the queue.
    const next = this.#waiting.shift();
    if (next) next();
    else this.#running--;
  }
}
