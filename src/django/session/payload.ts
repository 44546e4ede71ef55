// django.core.signing.dumps / loads: a JSON payload, base64url, zlib-compressed when that is shorter
// (marked by a leading '.'), timestamp-signed. Only JSON is read: a PickleSerializer payload is
// recognised and refused, never unpickled.
import { deflateSync } from "node:zlib";
import { base64urlDecode, base64urlEncode, type HashAlgorithm } from "./crypto.js";
import { inflateBounded } from "./inflate.js";
import { isJsonObject, parseJsonSafe, pythonJsonDumps } from "./json.js";
import { timestampSign, timestampUnsign, type SignatureCheck, type UnsignFailure } from "./signer.js";

/** Why `loads` refused: the signer's failures, then what can go wrong with a validly signed payload. */
export type LoadsFailure = UnsignFailure | "bad payload" | "too large" | "pickled";
export type LoadsResult = { ok: true; value: unknown } | { ok: false; failure: LoadsFailure };

/** The most session data read at all (a db column, a file, a cookie), before any MAC is computed. */
export const MAX_ENCODED_SESSION_CHARS = 4 * 1024 * 1024;

/** The log text of each failure: short, and never a key or any session content. */
export const FAILURE_REASONS: Readonly<Record<LoadsFailure, string>> = {
  "bad signature": "bad signature",
  expired: "expired",
  malformed: "signed value without a timestamp",
  "bad payload": "unreadable session payload",
  "too large": "session data too large",
  pickled: "pickled session data refused",
};

export function dumps(obj: unknown, key: string, salt: string, compress: boolean, nowSeconds: number, algorithm: HashAlgorithm = "sha256"): string {
  let data = Buffer.from(pythonJsonDumps(obj), "latin1");
  let compressed = false;
  if (compress) {
    const deflated = deflateSync(data);
    if (deflated.length < data.length - 1) {
      data = deflated;
      compressed = true;
    }
  }
  return timestampSign((compressed ? "." : "") + base64urlEncode(data), key, salt, algorithm, nowSeconds);
}

// Python's pickle protocols 2 and up begin with PROTO (0x80) and the protocol number.
export function looksPickled(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x80 && bytes[1]! >= 2 && bytes[1]! <= 5;
}

/** The JSON value of a validly signed payload, or why it cannot be read. */
export function decodePayload(payload: string): LoadsResult {
  const compressed = payload.startsWith(".");
  const raw = base64urlDecode(compressed ? payload.slice(1) : payload);
  if (raw === null) return { ok: false, failure: "bad payload" };
  let bytes = raw;
  if (compressed) {
    const inflated = inflateBounded(raw);
    if (!inflated.ok) return { ok: false, failure: inflated.failure === "too large" ? "too large" : "bad payload" };
    bytes = inflated.bytes;
  }
  if (looksPickled(bytes)) return { ok: false, failure: "pickled" };
  // The serializer decodes the bytes as latin-1 before json.loads; Django writes ASCII only.
  const value = parseJsonSafe(bytes.toString("latin1"));
  return value === undefined ? { ok: false, failure: "bad payload" } : { ok: true, value };
}

/** signing.loads: the signature (and age, with `maxAge`) first, then the payload. */
export function loads(signed: string, check: SignatureCheck, maxAge: number | null, nowSeconds: number): LoadsResult {
  if (signed.length > MAX_ENCODED_SESSION_CHARS) return { ok: false, failure: "too large" };
  const unsigned = timestampUnsign(signed, check, maxAge, nowSeconds);
  if (!unsigned.ok) return unsigned;
  return decodePayload(unsigned.value);
}

/** loads for a session: the value must be a JSON object. */
export function loadsSession(signed: string, check: SignatureCheck, maxAge: number | null, nowSeconds: number): LoadsResult {
  const loaded = loads(signed, check, maxAge, nowSeconds);
  if (loaded.ok && !isJsonObject(loaded.value)) return { ok: false, failure: "bad payload" };
  return loaded;
}
