// django.core.signing's Signer and TimestampSigner, the checking side (and the signing side, which the
// tests use to make inputs). Which keys and algorithms count comes from VersionRules.
import { base62Decode, base62Encode } from "./base62.js";
import { base64Hmac, constantTimeEqualText, isWellFormedText, type HashAlgorithm } from "./crypto.js";
import { signingKeys, versionRules, type SessionSettings } from "./settings.js";

/** How a signature is checked: the keys in order, the salt, the algorithm, and 3.2's SHA-1 leniency. */
export interface SignatureCheck {
  keys: readonly string[];
  salt: string;
  algorithm: HashAlgorithm;
  legacySha1: boolean;
}

/**
 * Why a signed value was refused, with the class Django raises: `bad signature` is BadSignature,
 * `expired` is SignatureExpired, `malformed` is the ValueError of a validly signed value without a
 * readable timestamp.
 */
export type UnsignFailure = "bad signature" | "expired" | "malformed";
export type UnsignResult = { ok: true; value: string } | { ok: false; failure: UnsignFailure };

const SEP = ":";

export function sign(value: string, key: string, salt: string, algorithm: HashAlgorithm): string {
  return `${value}${SEP}${base64Hmac(salt + "signer", value, key, algorithm)}`;
}

export function timestampSign(value: string, key: string, salt: string, algorithm: HashAlgorithm, nowSeconds: number): string {
  return sign(`${value}${SEP}${base62Encode(Math.floor(nowSeconds))}`, key, salt, algorithm);
}

/** True when `sig` is a signature of `value` under one of the accepted keys and algorithms. */
function signatureMatches(value: string, sig: string, check: SignatureCheck): boolean {
  const salt = check.salt + "signer";
  let matched = false;
  // Every candidate is computed and compared, so the time taken does not say which one matched.
  for (const key of check.keys) {
    if (constantTimeEqualText(sig, base64Hmac(salt, value, key, check.algorithm))) matched = true;
    if (check.legacySha1 && constantTimeEqualText(sig, base64Hmac(salt, value, key, "sha1"))) matched = true;
  }
  return matched;
}

/** Signer.unsign: the value before the last ':' when the signature after it checks. */
export function unsign(signed: string, check: SignatureCheck): UnsignResult {
  const at = signed.lastIndexOf(SEP);
  if (at < 0 || !isWellFormedText(signed)) return { ok: false, failure: "bad signature" };
  const value = signed.slice(0, at);
  return signatureMatches(value, signed.slice(at + 1), check) ? { ok: true, value } : { ok: false, failure: "bad signature" };
}

/**
 * TimestampSigner.unsign: the signature first, then the timestamp; with `maxAge`, an age above it
 * (now - timestamp, in seconds) is expired. An age exactly equal passes, and so does a timestamp in the
 * future, as in Django.
 */
export function timestampUnsign(signed: string, check: SignatureCheck, maxAge: number | null, nowSeconds: number): UnsignResult {
  const outer = unsign(signed, check);
  if (!outer.ok) return outer;
  const at = outer.value.lastIndexOf(SEP);
  if (at < 0) return { ok: false, failure: "malformed" };
  const timestamp = base62Decode(outer.value.slice(at + 1));
  if (timestamp === null) return { ok: false, failure: "malformed" };
  if (maxAge !== null && nowSeconds - timestamp > maxAge) return { ok: false, failure: "expired" };
  return { ok: true, value: outer.value.slice(0, at) };
}

/** The check Django's TimestampSigner(key=, salt=, fallback_keys=) makes under these settings. */
export function signatureCheck(s: SessionSettings, salt: string, key: string | null = null, fallbackKeys: readonly string[] | null = null): SignatureCheck {
  const rules = versionRules(s);
  return { keys: signingKeys(s, key, fallbackKeys), salt, algorithm: rules.algorithm, legacySha1: rules.legacySha1 };
}
