// The environ a handler receives: ENV fields (`KEY=VALUE`, split at the first `=`) decoded like user names.
import { RequestError } from "./errors.js";
import { wireString as decodeText } from "../protocol/fields.js";

/**
 * Keys never handed to a handler, even if a module sent them: credentials other than the ones being
 * checked must not reach scripts (mod_wsgi strips Authorization and Proxy-Authorization; the issue adds Cookie).
 */
const WITHHELD_KEYS: ReadonlySet<string> = new Set(["HTTP_AUTHORIZATION", "HTTP_PROXY_AUTHORIZATION", "HTTP_COOKIE"]);

const EQUALS = 0x3d;

/**
 * Throws a RequestError when an ENV entry has no '=' or an empty key. Cheap (one byte search per entry),
 * so a request is checked when it arrives even though decodeEnviron runs only if a handler reads the environ.
 */
export function checkEnviron(entries: readonly Uint8Array[]): void {
  for (const entry of entries) {
    const eq = entry.indexOf(EQUALS);
    if (eq <= 0) throw new RequestError(eq === 0 ? "ENV entry with an empty key" : "ENV entry without '='");
  }
}

export function decodeEnviron(entries: readonly Uint8Array[]): Record<string, string> {
  checkEnviron(entries);
  const environ: Record<string, string> = {};
  for (const entry of entries) {
    const buf = Buffer.from(entry.buffer, entry.byteOffset, entry.byteLength);
    const eq = buf.indexOf(EQUALS);
    const key = decodeText(buf.subarray(0, eq));
    if (WITHHELD_KEYS.has(key.toUpperCase())) continue;
    // defineProperty, not assignment: a key such as "__proto__" must stay a plain entry.
    Object.defineProperty(environ, key, {
      value: decodeText(buf.subarray(eq + 1)),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return environ;
}

/**
 * An environ decoded on first read and kept: the built-in Django handler never reads it, and decoding
 * every ENV field of every request was about 5-8 % of the worker's time on a cached check (bench/profile.ts).
 * The entries are checked now, so a malformed request is still refused before any handler runs.
 */
export function lazyEnviron(entries: readonly Uint8Array[]): () => Record<string, string> {
  checkEnviron(entries);
  let environ: Record<string, string> | undefined;
  return () => (environ ??= decodeEnviron(entries));
}
