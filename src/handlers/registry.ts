// One handler instance per distinct spec text (docs/protocol.md, "Handler specs"), created on first use
// by the factory of its type. The factories are given by the composition root, so the registry imports
// no handler type: `type=script` and the Django plug-in both sit on top of it.
import { describeSpec, parseSpec, specType, type HandlerType } from "./spec.js";
import type { Handler, HandlerSpec, HandlerStatus } from "./types.js";
import { HandlerUnavailableError, SpecError, TooManyHandlersError } from "../errors.js";

/** One handler as the admin status shows it: its spec described (passwords masked), made or not, its counters. */
export interface HandlerSnapshot {
  readonly description: string;
  readonly created: boolean;
  readonly status: HandlerStatus | null;
}

export type HandlerFactory = (spec: HandlerSpec) => Handler | Promise<Handler>;

export interface HandlerRegistryOptions {
  /**
   * Factories by spec type, given by the composition root (src/worker/factories.ts): the registry knows
   * no handler type itself, so a plug-in such as the Django handler sits above it, not below. A spec of a
   * type without a factory answers ERROR.
   */
  readonly factories: Partial<Record<HandlerType, HandlerFactory>>;
  /** Most distinct specs kept. Each Apache <Location> usually has one or two. Default 256. */
  readonly maxHandlers?: number;
  /** Told about every handler created, for the log. */
  readonly onCreate?: (description: string) => void;
}

/**
 * A factory whose code is imported on first use (`load`), so a worker whose Django handler cannot load
 * (a missing driver) still runs script handlers. A failed import is HandlerUnavailableError, and is tried
 * again on the next use.
 */
export function lazyFactory(type: HandlerType, load: () => Promise<HandlerFactory>): HandlerFactory {
  let loading: Promise<HandlerFactory> | null = null;
  return async (spec) => {
    let factory: HandlerFactory;
    try {
      factory = await (loading ??= load());
    } catch (err) {
      loading = null;
      throw new HandlerUnavailableError(`${type} handler unavailable: ${(err as Error).message}`, { cause: err });
    }
    return factory(spec);
  };
}

export class HandlerRegistry {
  readonly #handlers = new Map<string, Promise<Handler>>();
  /** The handlers made so far, by spec text: read by snapshot() without waiting on one still being made. */
  readonly #made = new Map<string, Handler>();
  readonly #maxHandlers: number;
  readonly #factories: Partial<Record<HandlerType, HandlerFactory>>;
  readonly #onCreate: ((description: string) => void) | undefined;
  #closed = false;

  constructor(options: HandlerRegistryOptions) {
    this.#maxHandlers = options.maxHandlers ?? 256;
    this.#factories = options.factories;
    this.#onCreate = options.onCreate;
  }

  get size(): number {
    return this.#handlers.size;
  }

  /**
   * The handler for `specText`. A spec that fails to parse or construct is not remembered, so a fixed
   * script or a database that comes back is picked up by the next request.
   */
  get(specText: string): Promise<Handler> {
    if (this.#closed) return Promise.reject(new Error("handler registry closed"));
    const existing = this.#handlers.get(specText);
    if (existing) return existing;
    if (this.#handlers.size >= this.#maxHandlers) return Promise.reject(new TooManyHandlersError(this.#maxHandlers));
    const created = this.#create(specText);
    this.#handlers.set(specText, created);
    created.then(
      (handler) => {
        if (this.#handlers.get(specText) === created) this.#made.set(specText, handler);
      },
      () => {
        if (this.#handlers.get(specText) === created) this.#handlers.delete(specText);
      },
    );
    return created;
  }

  async #create(specText: string): Promise<Handler> {
    const spec = parseSpec(specText);
    const type = specType(spec);
    const factory = this.#factories[type];
    if (factory === undefined) throw new HandlerUnavailableError(`${type} handler unavailable: this worker has no ${type} factory`);
    const handler = await factory(spec);
    if (typeof handler?.close !== "function") throw new SpecError("type", "handler factory returned no handler");
    this.#onCreate?.(describeSpec(spec));
    return handler;
  }

  /** Every handler asked for, for the admin status; a handler's own status() failing leaves it null. */
  snapshot(): HandlerSnapshot[] {
    return [...this.#handlers.keys()].map((specText) => {
      const handler = this.#made.get(specText);
      let status: HandlerStatus | null;
      try {
        status = handler?.status?.() ?? null;
      } catch {
        status = null;
      }
      return { description: describeSpec(parseSpec(specText)), created: handler !== undefined, status };
    });
  }

  /** Closes every handler (pools, files); later get() calls reject. Errors are collected, not thrown one by one. */
  async closeAll(): Promise<Error[]> {
    this.#closed = true;
    const handlers = [...this.#handlers.values()];
    this.#handlers.clear();
    this.#made.clear();
    const errors: Error[] = [];
    await Promise.all(
      handlers.map(async (pending) => {
        const handler = await pending.catch(() => null); // a handler that never got made has nothing to close
        if (handler === null) return;
        try {
          await handler.close();
        } catch (err) {
          errors.push(err as Error);
        }
      }),
    );
    return errors;
  }
}
