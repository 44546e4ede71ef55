// A connection's handler ids (docs/protocol.md, "Handler ids"): the module defines an id once per
// connection with DEFINE_HANDLER(id, spec text), then names the handler of each request by that id. The
// table keeps each id's spec text and, after its first successful resolution through the registry, the
// Handler itself, so a request costs one array read, not a lookup by spec text.
import { HandlerIdError } from "../errors.js";
import type { HandlerRegistry } from "../handlers/registry.js";
import { describeSpec, parseSpec } from "../handlers/spec.js";
import type { Handler } from "../handlers/types.js";
import { MAX_HANDLER_ID } from "../protocol/constants.js";
import type { HandlerDefinition } from "../protocol/fields.js";

/** One defined id: its spec text, and its handler once resolved. */
class Entry {
  readonly spec: string;
  handler: Handler | null = null;
  #description: string | null = null;
  constructor(spec: string) {
    this.spec = spec;
  }

  /** For log lines: never the spec itself, which may hold a database password. */
  get description(): string {
    if (this.#description === null) {
      try {
        this.#description = describeSpec(parseSpec(this.spec));
      } catch {
        this.#description = "(bad spec)";
      }
    }
    return this.#description;
  }
}

function outOfRange(id: number): HandlerIdError {
  return new HandlerIdError(id, `handler id ${id} is out of range (1..${MAX_HANDLER_ID})`);
}

export class HandlerTable {
  readonly #registry: HandlerRegistry;
  /** Entries by id (index 0 is never used); grown on demand up to MAX_HANDLER_ID + 1. */
  readonly #entries: (Entry | undefined)[] = [];

  constructor(registry: HandlerRegistry) {
    this.#registry = registry;
  }

  /**
   * Applies a frame's definitions, all or none: an id of 0 or above MAX_HANDLER_ID, or an id already
   * defined with another spec text, throws HandlerIdError before any of them is applied. The same id
   * with the same text again is a no-op.
   */
  define(definitions: readonly HandlerDefinition[]): void {
    if (definitions.length === 0) return;
    for (let i = 0; i < definitions.length; i++) {
      const { id, spec } = definitions[i] as HandlerDefinition;
      if (!(id >= 1 && id <= MAX_HANDLER_ID)) throw outOfRange(id);
      const known = this.#entries[id];
      if (known !== undefined && known.spec !== spec) {
        throw new HandlerIdError(id, `handler id ${id} is already defined on this connection with another spec`);
      }
      // Two definitions of one id in one frame must agree too.
      for (let j = 0; j < i; j++) {
        const earlier = definitions[j] as HandlerDefinition;
        if (earlier.id === id && earlier.spec !== spec) {
          throw new HandlerIdError(id, `handler id ${id} is defined twice in one request with different specs`);
        }
      }
    }
    for (const { id, spec } of definitions) {
      while (this.#entries.length <= id) this.#entries.push(undefined);
      if (this.#entries[id] === undefined) this.#entries[id] = new Entry(spec);
    }
  }

  #entry(id: number): Entry {
    const entry = this.#entries[id];
    if (entry !== undefined) return entry;
    if (!(id >= 1 && id <= MAX_HANDLER_ID)) throw outOfRange(id);
    throw new HandlerIdError(id, `handler id ${id} is not defined on this connection`);
  }

  /** The handler of `id` if it has been resolved already, else null; throws HandlerIdError for an undefined id. */
  resolved(id: number): Handler | null {
    return this.#entry(id).handler;
  }

  /**
   * The handler of `id`, made by the registry on first use. A failed creation is not remembered (the
   * registry forgets it too), so a fixed script or a database that comes back is picked up next time.
   */
  async resolve(id: number): Promise<Handler> {
    const entry = this.#entry(id);
    if (entry.handler !== null) return entry.handler;
    const handler = await this.#registry.get(entry.spec);
    entry.handler = handler;
    return handler;
  }

  /** Short text naming the handler of `id`, for log lines. */
  describe(id: number): string {
    return this.#entries[id]?.description ?? `(handler id ${id} not defined)`;
  }
}
