// Handler spec text (docs/protocol.md, "Handler specs"): UTF-8 lines `key=value`, split at the first `=`.
// Parsing is shared by every handler type; each type then checks its own keys with the helpers below.
import type { HandlerSpec } from "./types.js";
import { SpecError } from "../errors.js";

export const HANDLER_TYPES = ["script", "django"] as const;
export type HandlerType = (typeof HANDLER_TYPES)[number];

const KEY_PATTERN = /^[a-z][a-z0-9_]*$/;

/** Parses spec text into its keys. Blank lines are ignored; a repeated key, a bad key or a missing `type` is an error. */
export function parseSpec(text: string): HandlerSpec {
  const spec: Record<string, string> = {};
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] as string).replace(/\r$/, "");
    if (line.trim() === "") continue;
    const eq = line.indexOf("=");
    if (eq < 0) throw new SpecError(`line ${i + 1}`, "expected key=value");
    const key = line.slice(0, eq).trim();
    if (!KEY_PATTERN.test(key)) throw new SpecError(`line ${i + 1}`, `bad key ${JSON.stringify(key)}`);
    if (Object.hasOwn(spec, key)) throw new SpecError(key, "given twice");
    spec[key] = line.slice(eq + 1);
  }
  const type = spec["type"];
  if (type === undefined) throw new SpecError("type", "is required");
  if (!(HANDLER_TYPES as readonly string[]).includes(type)) {
    throw new SpecError("type", `must be one of ${HANDLER_TYPES.join(", ")}, not ${JSON.stringify(type)}`);
  }
  return spec;
}

export function specType(spec: HandlerSpec): HandlerType {
  return spec["type"] as HandlerType;
}

/** Throws naming the first key that is not in `allowed`. */
export function assertOnlyKeys(spec: HandlerSpec, allowed: readonly string[]): void {
  for (const key of Object.keys(spec)) {
    if (key !== "type" && !allowed.includes(key)) throw new SpecError(key, "unknown key");
  }
}

/** An `on|off` switch (true/false, yes/no, 1/0 accepted too, as httpd's flags do). */
export function flagValue(spec: HandlerSpec, key: string, fallback: boolean): boolean {
  const value = spec[key];
  if (value === undefined) return fallback;
  switch (value.trim().toLowerCase()) {
    case "on":
    case "true":
    case "yes":
    case "1":
      return true;
    case "off":
    case "false":
    case "no":
    case "0":
      return false;
    default:
      throw new SpecError(key, `must be on or off, not ${JSON.stringify(value)}`);
  }
}

/**
 * A short description of a spec for logs: never the whole text, because a `database=` URL may carry
 * a password. URLs lose their userinfo password.
 */
export function describeSpec(spec: HandlerSpec): string {
  const type = spec["type"] ?? "?";
  if (type === "script") return `script:${spec["path"] ?? "?"}`;
  if (type === "django") return `django:${redactUrl(spec["database"] ?? "?")}`;
  return type;
}

export function redactUrl(url: string): string {
  // Up to the last "@": a raw password may itself hold "/" or "@"; redacting too much is harmless.
  const m = /^([a-z][a-z0-9+.-]*:\/\/)(.*)@/i.exec(url);
  if (!m) return url;
  const userinfo = m[2] as string;
  const colon = userinfo.indexOf(":");
  if (colon < 0) return url;
  return `${m[1]}${userinfo.slice(0, colon)}:***@${url.slice(m[0].length)}`;
}
