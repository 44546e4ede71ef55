// A connection's handler ids (docs/protocol.md, "Handler ids"): the module defines an id once per
// connection with DEFINE_HANDLER(id, spec text), then names the handler of each request by that id. The
// table keeps each id's spec text and, after its first successful resolution through the registry, the
// Handler itself, so a request costs one array read, not a lookup by spec text.
// Started with a bootstrap, the worker admits only the spec texts httpd's configuration can produce
// (SpecPolicy): any other DEFINE_HANDLER is refused before anything is loaded, so a peer can neither make
// the worker import a script of its choosing nor grow the registry, which then holds at most that list.
import { HandlerIdError, SpecError } from "../errors.js";
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

/** A spec value naming a secret the parent read as root: `file:` and an absolute path. */
const SECRET_VALUE = /^file:(\/.*)$/;

/** Which spec texts may be defined, and the content of each `file:` secret (docs/protocol.md, "Bootstrap"). */
export class SpecPolicy {
  /** null: every text is allowed (--no-bootstrap). */
  readonly #allowed: ReadonlySet<string> | null;
  readonly #secretFiles: ReadonlyMap<string, string>;

  constructor(allowed: ReadonlySet<string> | null, secretFiles: ReadonlyMap<string, string>) {
    this.#allowed = allowed;
    this.#secretFiles = secretFiles;
  }

  allows(spec: string): boolean {
    return this.#allowed === null || this.#allowed.has(spec);
  }

  /**
   * The text the registry gets: each value `file:/path` replaced by that file's content as the parent
   * passed it (one trailing newline dropped). Throws SpecError naming the key for a path the parent did
   * not pass or a content of more than one line; the message never quotes the content.
   */
  materialize(spec: string): string {
    if (!spec.includes("=file:/")) return spec;
    return spec
      .split("\n")
      .map((line) => {
        const eq = line.indexOf("=");
        const match = eq < 0 ? null : SECRET_VALUE.exec(line.slice(eq + 1));
        if (match === null) return line;
        const key = line.slice(0, eq).trim();
        const path = match[1] as string;
        const content = this.#secretFiles.get(path);
        if (content === undefined) throw new SpecError(key, `file:${path} was not passed by httpd's parent`);
        const value = content.replace(/\r?\n$/, "");
        if (/[\r\n]/.test(value)) throw new SpecError(key, `file:${path} holds more than one line`);
        return `${line.slice(0, eq + 1)}${value}`;
      })
      .join("\n");
  }
}

/** What a worker without a bootstrap admits: every spec, no secrets. */
const OPEN_POLICY = new SpecPolicy(null, new Map());

/**
 * The policy of each registry. Every connection's table is made over the worker's one registry (by the
 * connection's dispatcher), so the policy is attached to the registry rather than passed down each layer.
 */
const policies = new WeakMap<HandlerRegistry, SpecPolicy>();

/** Makes every table made over `registry` from now on admit only what `policy` allows. */
export function restrictSpecs(registry: HandlerRegistry, policy: SpecPolicy): void {
  policies.set(registry, policy);
}

/** The policy tables over `registry` apply. */
export function specPolicyOf(registry: HandlerRegistry): SpecPolicy {
  return policies.get(registry) ?? OPEN_POLICY;
}

function outOfRange(id: number): HandlerIdError {
  return new HandlerIdError(id, `handler id ${id} is out of range (1..${MAX_HANDLER_ID})`);
}

export class HandlerTable {
  readonly #registry: HandlerRegistry;
  readonly #policy: SpecPolicy;
  /** Entries by id (index 0 is never used); grown on demand up to MAX_HANDLER_ID + 1. */
  readonly #entries: (Entry | undefined)[] = [];

  constructor(registry: HandlerRegistry, policy: SpecPolicy = specPolicyOf(registry)) {
    this.#registry = registry;
    this.#policy = policy;
  }

  /**
   * Applies a frame's definitions, all or none: an id of 0 or above MAX_HANDLER_ID, or an id already
   * defined with another spec text, or a text the policy does not allow, throws HandlerIdError before
   * any of them is applied. The same id with the same text again is a no-op.
   */
  define(definitions: readonly HandlerDefinition[]): void {
    if (definitions.length === 0) return;
    for (let i = 0; i < definitions.length; i++) {
      const { id, spec } = definitions[i] as HandlerDefinition;
      if (!(id >= 1 && id <= MAX_HANDLER_ID)) throw outOfRange(id);
      if (!this.#policy.allows(spec)) throw new HandlerIdError(id, "handler spec not in httpd's configuration");
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
    const handler = await this.#registry.get(this.#policy.materialize(entry.spec));
    entry.handler = handler;
    return handler;
  }

  /** Short text naming the handler of `id`, for log lines. */
  describe(id: number): string {
    return this.#entries[id]?.description ?? `(handler id ${id} not defined)`;
  }
}
