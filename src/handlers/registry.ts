// One handler instance per distinct spec text (docs/protocol.md, "Handler specs"), created on first use.
// `type=script` handlers come from script.ts; `type=django` from src/django/handler.ts, imported only
// when first needed so the worker runs (and scripts work) even where the Django handler cannot load.
import { createScriptHandler } from "./script.js";
import { SpecError, describeSpec, parseSpec, specType } from "./spec.js";
import type { Handler, HandlerSpec } from "./types.js";

/** The Django handler module could not be imported, or does not export createDjangoHandler. */
export class HandlerUnavailableError extends Error {
  readonly code = "ERR_ANP_HANDLER_UNAVAILABLE";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "HandlerUnavailableError";
  }
}

/** The registry is full: a misbehaving peer cannot make the worker keep handlers without bound. */
export class TooManyHandlersError extends Error {
  readonly code = "ERR_ANP_TOO_MANY_HANDLERS";
  constructor(limit: number) {
    super(`more than ${limit} distinct handler specs`);
    this.name = "TooManyHandlersError";
  }
}

export type HandlerFactory = (spec: HandlerSpec) => Handler | Promise<Handler>;

export interface HandlerRegistryOptions {
  /** Most distinct specs kept. Each Apache <Location> usually has one or two. Default 256. */
  readonly maxHandlers?: number;
  /** Factories by spec type; the defaults are the script and Django handlers. Tests may pass their own. */
  readonly factories?: Partial<Record<"script" | "django", HandlerFactory>>;
  /** Told about every handler created, for the log. */
  readonly onCreate?: (description: string) => void;
  /** Where the Django handler module is imported from; tests point it elsewhere to see the failure path. */
  readonly djangoHandlerModule?: string;
  /** Shared by every Django handler: the worker's log and one bound on concurrent hashing. */
  readonly djangoServices?: DjangoServices;
}

/** The second argument of createDjangoHandler (src/django/handler.ts). */
export type DjangoServices = NonNullable<Parameters<typeof import("../django/handler.js").createDjangoHandler>[1]>;

// A variable specifier: the module is loaded only when a Django spec is first used, and tests can
// point the registry at a module that does not exist.
const DJANGO_HANDLER_MODULE = "../django/handler.js";

async function createDjangoHandler(spec: HandlerSpec, from: string, services: DjangoServices): Promise<Handler> {
  let module: { createDjangoHandler?: unknown };
  try {
    module = (await import(from)) as { createDjangoHandler?: unknown };
  } catch (err) {
    throw new HandlerUnavailableError(`django handler unavailable: ${(err as Error).message}`, { cause: err });
  }
  if (typeof module.createDjangoHandler !== "function") {
    throw new HandlerUnavailableError("django handler unavailable (src/django/handler.ts exports no createDjangoHandler)");
  }
  return (module.createDjangoHandler as (spec: HandlerSpec, services: DjangoServices) => Handler | Promise<Handler>)(spec, services);
}

export class HandlerRegistry {
  readonly #handlers = new Map<string, Promise<Handler>>();
  readonly #maxHandlers: number;
  readonly #factories: Record<"script" | "django", HandlerFactory>;
  readonly #onCreate: ((description: string) => void) | undefined;
  #closed = false;

  constructor(options: HandlerRegistryOptions = {}) {
    this.#maxHandlers = options.maxHandlers ?? 256;
    this.#factories = {
      script: options.factories?.script ?? ((spec) => createScriptHandler(spec)),
      django:
        options.factories?.django ??
        ((spec) => createDjangoHandler(spec, options.djangoHandlerModule ?? DJANGO_HANDLER_MODULE, options.djangoServices ?? {})),
    };
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
    created.catch(() => {
      if (this.#handlers.get(specText) === created) this.#handlers.delete(specText);
    });
    return created;
  }

  async #create(specText: string): Promise<Handler> {
    const spec = parseSpec(specText);
    const factory = this.#factories[specType(spec)];
    const handler = await factory(spec);
    if (typeof handler?.close !== "function") throw new SpecError("type", "handler factory returned no handler");
    this.#onCreate?.(describeSpec(spec));
    return handler;
  }

  /** Closes every handler (pools, files); later get() calls reject. Errors are collected, not thrown one by one. */
  async closeAll(): Promise<Error[]> {
    this.#closed = true;
    const handlers = [...this.#handlers.values()];
    this.#handlers.clear();
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
