// The environ a handler receives: ENV fields (`KEY=VALUE`, split at the first `=`) decoded like user names.
import { RequestError } from "./errors.js";
import { wireString as decodeText } from "../protocol/fields.js";

/**
 * Keys never handed to a handler, even if a module sent them: credentials other than the ones being
 * checked must not reach scripts (mod_wsgi strips Authorization and Proxy-Authorization; the issue adds Cookie).
 */
const WITHHELD_KEYS: ReadonlySet<string> = new Set(["HTTP_AUTHORIZATION", "HTTP_PROXY_AUTHORIZATION", "HTTP_COOKIE"]);

const EQUALS = 0x3d;

export function decodeEnviron(entries: readonly Uint8Array[]): Record<string, string> {
  const environ: Record<string, string> = {};
  for (const entry of entries) {
    const buf = Buffer.from(entry.buffer, entry.byteOffset, entry.byteLength);
    const eq = buf.indexOf(EQUALS);
    if (eq <= 0) throw new RequestError(eq === 0 ? "ENV entry with an empty key" : "ENV entry without '='");
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
