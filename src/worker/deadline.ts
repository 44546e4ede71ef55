// Per-request deadlines. The worker must answer before the module gives up, so a request's budget is
// the smaller of --timeout-ms and the module's TIMEOUT_MS less a margin for the answer's trip back.

/** Time kept back from the module's TIMEOUT_MS: a twentieth, at least 5 ms and at most 100 ms. */
export function answerMargin(moduleTimeoutMs: number): number {
  return Math.min(100, Math.max(5, Math.floor(moduleTimeoutMs / 20)));
}

/** Milliseconds the handler may take; 0 means the request is already overdue. */
export function requestBudget(workerTimeoutMs: number, moduleTimeoutMs: number | null): number {
  if (moduleTimeoutMs === null) return workerTimeoutMs;
  return Math.max(0, Math.min(workerTimeoutMs, moduleTimeoutMs - answerMargin(moduleTimeoutMs)));
}

/**
 * Runs `work` with an AbortSignal that fires after `budgetMs` or when `outer` aborts. Settles with the
 * work's result, or rejects with the abort reason as soon as the signal fires: a result arriving after
 * that is dropped, so an overdue handler can never grant.
 */
export function withDeadline<T>(
  budgetMs: number,
  outer: AbortSignal,
  makeReason: () => Error,
  work: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const controller = new AbortController();
  const signal = controller.signal;
  return new Promise<T>((resolve, reject) => {
    const onOuterAbort = (): void => controller.abort(outer.reason);
    const timer = setTimeout(() => controller.abort(makeReason()), budgetMs);
    const cleanup = (): void => {
      clearTimeout(timer);
      outer.removeEventListener("abort", onOuterAbort);
    };
    signal.addEventListener(
      "abort",
      () => {
        cleanup();
        reject(signal.reason);
      },
      { once: true },
    );
    if (outer.aborted) onOuterAbort();
    else outer.addEventListener("abort", onOuterAbort, { once: true });
    if (budgetMs <= 0) controller.abort(makeReason());
    if (signal.aborted) return;
    let running: Promise<T>;
    try {
      running = work(signal);
    } catch (err) {
      running = Promise.reject(err);
    }
    running.then(
      (value) => {
        if (signal.aborted) return;
        cleanup();
        resolve(value);
      },
      (err: unknown) => {
        if (signal.aborted) return;
        cleanup();
        reject(err);
      },
    );
  });
}
