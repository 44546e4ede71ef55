// django.utils.baseconv's base62 (3.2) / django.core.signing.b62_encode (4.0 on), for TimestampSigner.
const ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
/** Longer than any timestamp Django writes (a Unix time in base62 is 6 characters until the year 3700). */
const MAX_DIGITS = 8;

export function base62Encode(n: number): string {
  if (!Number.isSafeInteger(n)) throw new RangeError("base62Encode: not a safe integer");
  if (n === 0) return "0";
  let rest = Math.abs(n);
  let out = "";
  while (rest > 0) {
    out = ALPHABET[rest % 62] + out;
    rest = Math.floor(rest / 62);
  }
  return n < 0 ? `-${out}` : out;
}

/** The integer, or null where Python raises (empty, a character outside the alphabet) or too long to be a timestamp. */
export function base62Decode(text: string): number | null {
  const negative = text.startsWith("-");
  const digits = negative ? text.slice(1) : text;
  if (digits.length === 0 || digits.length > MAX_DIGITS) return null;
  let n = 0;
  for (const c of digits) {
    const d = ALPHABET.indexOf(c);
    if (d < 0) return null;
    n = n * 62 + d;
  }
  return negative ? -n : n;
}
