// mod_wsgi's auth-script contract in JavaScript (docs/handlers.md). A script exports any of
//   checkPassword(environ, user, password)  -> true | false | null/undefined | string (granted as that user)
//   groupsForUser(environ, user)            -> iterable of group names (strings, or UTF-8 bytes)
//   getRealmHash(environ, user, realm)      -> hex MD5 of "user:realm:password" | null
//   allowAccess(environ, host)              -> true | false | null
//   hasPermission(environ, user, perms)     -> boolean   (no mod_wsgi counterpart; for `Require node-perm`)
// or mod_wsgi's snake_case names; each may return a promise. Results are checked strictly, as mod_wsgi
// does with identity comparisons: anything outside the contract is an error, never a guess.
import { wireString } from "../protocol/fields.js";
import { ScriptMissingFunctionError, ScriptResultError, ScriptThrewError, SpecError } from "../errors.js";
import {
  fingerprint,
  forgetScript,
  importScript,
  resolveScript,
  sameFingerprint,
  type FileFingerprint,
  type ScriptTarget,
} from "./script-loader.js";
import { assertOnlyKeys, flagValue } from "./spec.js";
import type { CheckContext, Handler, HandlerSpec, PasswordVerdict } from "./types.js";

/** Script functions by their camelCase name, with mod_wsgi's name as the alternative. */
const FUNCTION_NAMES = {
  checkPassword: "check_password",
  groupsForUser: "groups_for_user",
  getRealmHash: "get_realm_hash",
  allowAccess: "allow_access",
  hasPermission: "has_permission",
} as const;
type FunctionName = keyof typeof FUNCTION_NAMES;
type ScriptFunction = (...args: unknown[]) => unknown;

/** More group names than any real user has; stops an endless generator from blocking the worker. */
export const MAX_GROUPS = 4096;
const HEX_MD5 = /^[0-9a-f]{32}$/i;

const SCRIPT_KEYS = ["path", "reload"] as const;

interface LoadedScript {
  readonly exports: Record<string, unknown>;
  readonly fingerprint: FileFingerprint;
}

/** Options for tests and the registry; none are needed in production. */
export interface ScriptHandlerOptions {
  /** Called after a changed script was evaluated again. */
  readonly onReload?: (file: string) => void;
}

/**
 * Validates the spec and makes the handler. The script itself is evaluated on first use (or by load()),
 * so a script that fails to load answers ERROR per request, and is tried again once its file changes.
 */
export function createScriptHandler(spec: HandlerSpec, options: ScriptHandlerOptions = {}): ScriptHandler {
  assertOnlyKeys(spec, SCRIPT_KEYS);
  const path = spec["path"];
  if (path === undefined || path.trim() === "") throw new SpecError("path", "is required");
  const reload = flagValue(spec, "reload", false);
  let target: ScriptTarget;
  try {
    target = resolveScript(path);
  } catch (err) {
    throw new SpecError("path", (err as Error).message);
  }
  return new ScriptHandler(target, reload, options);
}

interface FailedLoad {
  readonly error: Error;
  /** The file as it was when loading failed; null when it could not even be stat()ed. */
  readonly fingerprint: FileFingerprint | null;
}

export class ScriptHandler implements Handler {
  readonly #target: ScriptTarget;
  readonly #reload: boolean;
  readonly #options: ScriptHandlerOptions;
  #loaded: LoadedScript | null = null;
  #failed: FailedLoad | null = null;
  /** The evaluation in progress, shared by every request that noticed the same change. */
  #loading: Promise<LoadedScript> | null = null;
  #evaluations = 0;

  constructor(target: ScriptTarget, reload: boolean, options: ScriptHandlerOptions) {
    this.#target = target;
    this.#reload = reload;
    this.#options = options;
  }

  get file(): string {
    return this.#target.file;
  }

  /** Evaluates the script now (if not yet loaded); rejects with the reason it cannot be used. */
  async load(): Promise<void> {
    await this.#current();
  }

  /**
   * The exports to use for one request. With reload on, a changed file is evaluated before the request
   * runs; a request already running keeps the function it started with. A script that failed to load is
   * not evaluated again until its file changes (so a broken ES module does not leak one module per request).
   */
  async #current(): Promise<Record<string, unknown>> {
    const loaded = this.#loaded;
    if (loaded !== null && !this.#reload) return loaded.exports;
    if (loaded !== null || this.#failed !== null) {
      const now = await fingerprint(this.#target.file);
      if (loaded !== null && sameFingerprint(now, loaded.fingerprint)) return loaded.exports;
      const failed = this.#failed;
      if (failed !== null && failed.fingerprint !== null && sameFingerprint(now, failed.fingerprint)) throw failed.error;
    }
    if (this.#loading === null) {
      const loading = this.#evaluate();
      this.#loading = loading;
      const clear = (): void => {
        if (this.#loading === loading) this.#loading = null;
      };
      loading.then(clear, clear);
    }
    return (await this.#loading).exports;
  }

  async #evaluate(): Promise<LoadedScript> {
    // The fingerprint is taken before evaluating, so a write racing the import is seen next time.
    let before: FileFingerprint | null = null;
    try {
      before = await fingerprint(this.#target.file);
      const exports = await importScript(this.#target, this.#evaluations++ > 0);
      const reloaded = this.#loaded !== null;
      this.#loaded = { exports, fingerprint: before };
      this.#failed = null;
      if (reloaded) this.#options.onReload?.(this.#target.file);
      return this.#loaded;
    } catch (err) {
      // With reload on, a broken new version keeps failing (fail closed) rather than serving the old one.
      this.#loaded = null;
      this.#failed = { error: err as Error, fingerprint: before };
      throw err;
    }
  }

  async #call(name: FunctionName, args: unknown[]): Promise<unknown> {
    const fn = findFunction(await this.#current(), name);
    try {
      return await fn(...args);
    } catch (err) {
      throw new ScriptThrewError(name, err);
    }
  }

  async checkPassword(ctx: CheckContext, password: string): Promise<PasswordVerdict> {
    const result = await this.#call("checkPassword", [{ ...ctx.environ }, ctx.user, password]);
    if (result === true) return { kind: "granted" };
    if (result === false) return { kind: "denied" };
    if (result === null || result === undefined) return { kind: "not_found" };
    if (typeof result === "string" && result !== "") return result === ctx.user ? { kind: "granted" } : { kind: "granted", user: result };
    throw new ScriptResultError("checkPassword", "true, false, null or a non-empty user name", result);
  }

  async groupsForUser(ctx: CheckContext): Promise<readonly string[]> {
    const result = await this.#call("groupsForUser", [{ ...ctx.environ }, ctx.user]);
    return collectGroups(result);
  }

  async getRealmHash(ctx: CheckContext, realm: string): Promise<string | null> {
    const result = await this.#call("getRealmHash", [{ ...ctx.environ }, ctx.user, realm]);
    if (result === null || result === undefined) return null;
    const text = typeof result === "string" ? result : result instanceof Uint8Array ? Buffer.from(result).toString("latin1") : null;
    if (text === null || !HEX_MD5.test(text)) {
      throw new ScriptResultError("getRealmHash", "32 hex digits (MD5 of user:realm:password) or null", result);
    }
    return text.toLowerCase();
  }

  async allowAccess(environ: Readonly<Record<string, string>>, host: string): Promise<boolean | null> {
    const result = await this.#call("allowAccess", [{ ...environ }, host]);
    if (result === true || result === false) return result;
    if (result === null || result === undefined) return null;
    throw new ScriptResultError("allowAccess", "true, false or null", result);
  }

  async hasPermission(ctx: CheckContext, permissions: readonly string[]): Promise<boolean> {
    const result = await this.#call("hasPermission", [{ ...ctx.environ }, ctx.user, [...permissions]]);
    if (result === true || result === false) return result;
    throw new ScriptResultError("hasPermission", "true or false", result);
  }

  async close(): Promise<void> {
    forgetScript(this.#target);
    this.#loaded = null;
  }
}

function findFunction(exports: Record<string, unknown>, name: FunctionName): ScriptFunction {
  const snake = FUNCTION_NAMES[name];
  // A default export object covers `export default {...}` and CommonJS transpiled from ESM.
  const fallback = exports["default"];
  const sources = typeof fallback === "object" && fallback !== null ? [exports, fallback as Record<string, unknown>] : [exports];
  for (const source of sources) {
    for (const key of [name, snake]) {
      const value = source[key];
      if (typeof value === "function") return value as ScriptFunction;
    }
  }
  throw new ScriptMissingFunctionError(name);
}

/** Group names from what groupsForUser returned: an iterable (or async iterable) of strings or bytes. */
async function collectGroups(result: unknown): Promise<string[]> {
  // A lone string is iterable too (its characters); mod_wsgi would use them, but it is always a bug.
  if (typeof result === "string" || result === null || result === undefined || typeof result !== "object") {
    throw new ScriptResultError("groupsForUser", "an iterable of group names", result);
  }
  const iterable = result as Partial<Iterable<unknown> & AsyncIterable<unknown>>;
  const groups: string[] = [];
  const add = (item: unknown): void => {
    if (groups.length >= MAX_GROUPS) throw new ScriptResultError("groupsForUser", `at most ${MAX_GROUPS} group names`, result);
    if (typeof item === "string") groups.push(item);
    else if (item instanceof Uint8Array) groups.push(wireString(item));
    else throw new ScriptResultError("groupsForUser", "strings or bytes", item, "returned an item that is");
  };
  try {
    if (typeof iterable[Symbol.iterator] === "function") for (const item of iterable as Iterable<unknown>) add(item);
    else if (typeof iterable[Symbol.asyncIterator] === "function") for await (const item of iterable as AsyncIterable<unknown>) add(item);
    else throw new ScriptResultError("groupsForUser", "an iterable of group names", result);
  } catch (err) {
    if (err instanceof ScriptResultError) throw err;
    throw new ScriptThrewError("groupsForUser", err); // a generator that throws part-way
  }
  return groups;
}
