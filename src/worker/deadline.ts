// Per-request deadlines. The worker must answer before the module gives up, so a request's budget is
// the smaller of --timeout-ms and the module's TIMEOUT_MS less a margin for the answer's trip back.
//
// A request is over when its budget runs out or its connection goes away, whichever comes first; its
// answer is then ERROR, sent at once, and whatever its handler returns later is dropped. This costs
// little per request, because most requests finish in well under a millisecond and nobody looks at
// their AbortSignal: a deadline is one object linked into its connection's two lists (by age and by
// time), the running deadlines of a connection share one timer, and the AbortSignal is made only when
// someone reads it (`RequestDeadline.signal`), rather than an AbortController, a timer and two abort
// listeners per request.
import { performance } from "node:perf_hooks";
import { DeadlineError } from "../errors.js";

/** Time kept back from the module's TIMEOUT_MS: a twentieth, at least 5 ms and at most 100 ms. */
export function answerMargin(moduleTimeoutMs: number): number {
  return Math.min(100, Math.max(5, Math.floor(moduleTimeoutMs / 20)));
}

/** Milliseconds the handler may take; 0 means the request is already overdue. */
export function requestBudget(workerTimeoutMs: number, moduleTimeoutMs: number | null): number {
  if (moduleTimeoutMs === null) return workerTimeoutMs;
  return Math.max(0, Math.min(workerTimeoutMs, moduleTimeoutMs - answerMargin(moduleTimeoutMs)));
}

/** What the dispatcher sees of a request's deadline. */
export interface RequestSignal {
  /** True once the request is over: its deadline passed or its connection went away. */
  readonly aborted: boolean;
  /** Why it is over (a DeadlineError, or the connection's reason); undefined while it runs. */
  readonly reason: unknown;
  /** Throws `reason` when the request is over. */
  throwIfAborted(): void;
  /** The request's AbortSignal for handlers; made on first read, and aborted then if the request is over. */
  readonly signal: AbortSignal;
}

/** The AbortSignal of `source`: itself when it is one (tests pass plain signals), else its lazy signal. */
export function signalOf(source: AbortSignal | RequestSignal): AbortSignal {
  return source instanceof AbortSignal ? source : source.signal;
}

/** Called once, asynchronously, when a deadline is over before `finish()`; `reason` is why. */
export type OverCallback = (deadline: RequestDeadline, reason: unknown) => void;

const RUNNING = 0;
const OVER = 1;
const FINISHED = 2;

/**
 * The deadline of one request, in a group (its connection). Create it when the request starts; call
 * `finish()` when its result is in: true means the request is still running and the caller answers it
 * with that result; false means it is over and its answer (ERROR) was or will be given through `onOver`.
 */
export class RequestDeadline implements RequestSignal {
  /** performance.now() at the start, and when the budget runs out. */
  readonly started: number;
  readonly at: number;
  #state = RUNNING;
  #reason: unknown = undefined;
  #controller: AbortController | null = null;
  #group: DeadlineGroup;
  #onOver: OverCallback;
  /** @internal Links of the connection's two lists: by time, and the group's list (newest first). */
  prevByTime: RequestDeadline | null = null;
  nextByTime: RequestDeadline | null = null;
  prevInGroup: RequestDeadline | null = null;
  nextInGroup: RequestDeadline | null = null;

  /**
   * `onOver` is called (asynchronously) if the deadline passes or the group is aborted before
   * `finish()`, including when the request starts over: a budget of 0 or less, or an aborted group.
   * Then `aborted` is true at once, and the work should not be started.
   */
  constructor(group: DeadlineGroup, budgetMs: number, onOver: OverCallback) {
    this.started = performance.now();
    this.at = this.started + budgetMs;
    this.#group = group;
    this.#onOver = onOver;
    if (group.aborted) this.#end(group.reason);
    else if (budgetMs <= 0) this.#end(new DeadlineError());
    else group.add(this);
  }

  get aborted(): boolean {
    this.#checkClock();
    return this.#state === OVER;
  }

  get reason(): unknown {
    this.#checkClock();
    return this.#reason;
  }

  throwIfAborted(): void {
    this.#checkClock();
    if (this.#state === OVER) throw this.#reason;
  }

  /**
   * The request's AbortSignal, made on first read. Read after the request is over, it comes already
   * aborted with the reason; read before, it is aborted when the request ends that way. It is never
   * aborted once the request finished normally.
   */
  get signal(): AbortSignal {
    if (this.#controller === null) {
      this.#controller = new AbortController();
      if (this.#state === OVER) this.#controller.abort(this.#reason);
      else this.#checkClock();
    }
    return this.#controller.signal;
  }

  /** The result is in: true if the request was still running (answer it), false if it is over (drop it). */
  finish(): boolean {
    if (this.#state !== RUNNING) return false;
    if (this.#checkClock()) return false;
    this.#state = FINISHED;
    this.#unlink();
    return true;
  }

  /** @internal Ends the request with `reason` unless it already ended; used by the timer and the group. */
  expire(reason: unknown): void {
    if (this.#state !== RUNNING) return;
    this.#unlink();
    this.#end(reason);
  }

  /** Ends the request now if its deadline has passed (the timer may run late on a busy event loop). */
  #checkClock(): boolean {
    if (this.#state === RUNNING && performance.now() >= this.at) this.expire(new DeadlineError());
    return this.#state === OVER;
  }

  #end(reason: unknown): void {
    this.#state = OVER;
    this.#reason = reason;
    // Handlers' abort listeners run now, as with a plain AbortController; the owner hears of it in a
    // promise job, so never inside a handler's call stack or the connection's own loops, and an exception
    // in it is an unhandled rejection (logged) rather than an uncaught exception (the worker's end).
    this.#controller?.abort(reason);
    const onOver = this.#onOver;
    void Promise.resolve().then(() => onOver(this, reason));
  }

  #unlink(): void {
    this.#group.remove(this);
  }
}

/**
 * The deadlines of one connection: `abort()` (the connection went away) ends all that still run. They are
 * also kept in time order under one timer for the whole connection, set for the earliest.
 */
export class DeadlineGroup {
  #aborted = false;
  #reason: unknown = undefined;
  /** Running deadlines, newest first (for abort). */
  #first: RequestDeadline | null = null;
  /** Running deadlines, earliest first (a doubly linked list through the deadlines). */
  #earliest: RequestDeadline | null = null;
  #latest: RequestDeadline | null = null;
  /** The one timer, set for `#timerAt` (Infinity when none is set). It may be set earlier than `#earliest.at`. */
  #timer: NodeJS.Timeout | undefined;
  #timerAt = Infinity;

  get aborted(): boolean {
    return this.#aborted;
  }

  get reason(): unknown {
    return this.#reason;
  }

  /** Ends every running deadline of the group with `reason`; deadlines made later start over. */
  abort(reason: unknown): void {
    if (this.#aborted) return;
    this.#aborted = true;
    this.#reason = reason;
    while (this.#first !== null) this.#first.expire(reason);
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#timerAt = Infinity;
  }

  /** @internal */
  add(d: RequestDeadline): void {
    d.nextInGroup = this.#first;
    if (this.#first !== null) this.#first.prevInGroup = d;
    this.#first = d;
    // Requests with the same budget arrive in deadline order, so this walk usually stops at once.
    let before = this.#latest;
    while (before !== null && before.at > d.at) before = before.prevByTime;
    d.prevByTime = before;
    d.nextByTime = before === null ? this.#earliest : before.nextByTime;
    if (d.nextByTime === null) this.#latest = d;
    else d.nextByTime.prevByTime = d;
    if (before === null) this.#earliest = d;
    else before.nextByTime = d;
    if (d.at < this.#timerAt) this.#setTimer(d.at);
  }

  /** @internal Takes `d` out of both lists; the timer stays (no clearTimeout per request). */
  remove(d: RequestDeadline): void {
    if (d.prevInGroup === null) {
      if (this.#first === d) this.#first = d.nextInGroup;
    } else d.prevInGroup.nextInGroup = d.nextInGroup;
    if (d.nextInGroup !== null) d.nextInGroup.prevInGroup = d.prevInGroup;
    d.prevInGroup = null;
    d.nextInGroup = null;
    if (d.prevByTime === null) {
      if (this.#earliest === d) this.#earliest = d.nextByTime;
    } else d.prevByTime.nextByTime = d.nextByTime;
    if (d.nextByTime === null) {
      if (this.#latest === d) this.#latest = d.prevByTime;
    } else d.nextByTime.prevByTime = d.prevByTime;
    d.prevByTime = null;
    d.nextByTime = null;
  }

  #setTimer(at: number): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timerAt = at;
    this.#timer = setTimeout(() => this.#onTimer(), Math.max(1, Math.ceil(at - performance.now())));
  }

  /**
   * Ends every deadline that has passed, then sets the timer for the next one. A deadline that finished
   * meanwhile left the list without touching the timer, so the timer may find nothing due: it then just
   * moves on to the earliest running one.
   */
  #onTimer(): void {
    this.#timer = undefined;
    this.#timerAt = Infinity;
    const now = performance.now();
    while (this.#earliest !== null && this.#earliest.at <= now) this.#earliest.expire(new DeadlineError());
    if (this.#earliest !== null) this.#setTimer(this.#earliest.at);
  }
}

/**
 * Runs `work` under a deadline of `budgetMs` in `group`. Settles with the work's result, or rejects
 * with the reason as soon as the request is over (DeadlineError, or the group's abort reason): a result
 * arriving after that is dropped, so an overdue handler can never grant. A request that starts over
 * never starts the work.
 */
export function withDeadline<T>(budgetMs: number, group: DeadlineGroup, work: (deadline: RequestDeadline) => Promise<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const deadline = new RequestDeadline(group, budgetMs, (_d, reason) => reject(reason));
    if (deadline.aborted) return;
    let running: Promise<T>;
    try {
      running = work(deadline);
    } catch (err) {
      running = Promise.reject(err);
    }
    running.then(
      (value) => {
        if (deadline.finish()) resolve(value);
      },
      (err: unknown) => {
        if (deadline.finish()) reject(err);
      },
    );
  });
}
