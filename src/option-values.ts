// The value forms NodeAuthDjangoOption keys share, read as native/mod/config.c reads them (its check_on_off
// and check_count), so a value `apache2 -t` accepts is never refused by the worker, nor the reverse.
import { DjangoConfigError } from "./errors.js";

/** `on` or `off`; absent: the fallback. */
export function onOffOption(key: string, value: string | undefined, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (value === "on") return true;
  if (value === "off") return false;
  throw new DjangoConfigError(key, `expected on or off, got "${value}"`);
}

/** ASCII digits (leading zeros allowed) from min to max; absent: the fallback. */
export function integerOption(key: string, value: string | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  const number = Number(value);
  if (!/^\d+$/.test(value) || number < min || number > max) {
    throw new DjangoConfigError(key, `expected an integer from ${min} to ${max}, got "${value}"`);
  }
  return number;
}
