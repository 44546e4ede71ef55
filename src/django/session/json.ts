// JSON as Django's session serializer reads and writes it. Reading builds null-prototype objects, so a
// key such as `__proto__` or `constructor` is data and never reaches an object's prototype. Writing is
// Python's json.dumps(separators=(',', ':')) with ensure_ascii: the tests sign with it.

/** Parsed JSON, or undefined when the text is not JSON (Python's NaN and Infinity included: refused). */
export function parseJsonSafe(text: string): unknown {
  try {
    return JSON.parse(text, (_key, value: unknown) => {
      if (value !== null && typeof value === "object" && !Array.isArray(value)) Object.setPrototypeOf(value, null);
      return value;
    });
  } catch {
    return undefined;
  }
}

/** A plain JSON object (not an array, not null), as a session must be. */
export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** Python's compact json.dumps with ensure_ascii: every character from U+007F up as \uXXXX (lower-case hex). */
export function pythonJsonDumps(value: unknown): string {
  return JSON.stringify(value).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}
