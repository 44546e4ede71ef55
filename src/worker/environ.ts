// The environ a handler receives: ENV fields (`KEY=VALUE`, split at the first `=`) decoded like user names.
import { RequestError } from "../errors.js";
import { wireString as decodeText } from "../protocol/fields.js";

/**
 * Keys never handed to a handler, even if a module sent them: credentials other than the ones being
 * checked must not reach scripts (mod_wsgi strips Authorization and Proxy-Authorization; Cookie is withheld too, as another credential).
 */
const WITHHELD_KEYS: ReadonlySet<string> = new Set(["HTTP_AUTHORIZATION", "HTTP_PROXY_AUTHORIZATION", "HTTP_COOKIE"]);

const EQUALS = 0x3d;

/**
 * What is wrong with one ENV entry (no '=', or an empty key), or null. Cheap (one byte search), so a
 * request is checked when it arrives even though decodeEnviron runs only if a handler reads the environ;
 * it takes anything with indexOf, so the worker can check a frame's bytes without a view of them.
 */
export function envEntryProblem(entry: { indexOf(byte: number): number }): string | null {
  const eq = entry.indexOf(EQUALS);
  if (eq > 0) return null;
  return eq === 0 ? "ENV entry with an empty key" : "ENV entry without '='";
}

/** Throws a RequestError when an ENV entry has no '=' or an empty key. */
export function checkEnviron(entries: readonly Uint8Array[]): void {
  for (const entry of entries) {
    const problem = envEntryProblem(entry);
    if (problem !== null) throw new RequestError(problem);
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
