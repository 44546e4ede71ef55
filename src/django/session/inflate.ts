// zlib inflation with a bound. Django inflates a signed payload only after its MAC checks, so a zip bomb
// needs the SECRET_KEY; the bound still keeps one request from taking the worker's memory.
import { inflateSync } from "node:zlib";

/**
 * The most a session may inflate to. Django sets no limit; sessions hold ids and small values, and one
 * this large is refused (the user is seen as anonymous) rather than read.
 */
export const MAX_INFLATED_SESSION_BYTES = 4 * 1024 * 1024;

export type InflateResult = { ok: true; bytes: Buffer } | { ok: false; failure: "too large" | "bad zlib" };

/** Inflates a zlib stream, stopping as soon as the output would pass `limit` bytes. */
export function inflateBounded(deflated: Uint8Array, limit: number = MAX_INFLATED_SESSION_BYTES): InflateResult {
  try {
    // maxOutputLength makes zlib stop and throw once the output passes the limit, chunk by chunk,
    // instead of inflating everything and checking afterwards.
    return { ok: true, bytes: inflateSync(deflated, { maxOutputLength: limit }) };
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    return { ok: false, failure: code === "ERR_BUFFER_TOO_LARGE" ? "too large" : "bad zlib" };
  }
}
