// django-axes' settings, as NodeAuthDjangoOption keys of a type=django spec, turned into the rules the
// axes lockout policy (axes.ts) follows. The keys mirror the site's AXES_* settings so an operator copies
// them over; the defaults are django-axes 5.39's (axes/conf.py). Every problem is a DjangoConfigError naming
// the key; native/mod/config.c refuses the same values in the same words at configtest
// (test/vectors/django-options.json holds both sides to them).
import { isIP } from "node:net";
import { DjangoConfigError } from "../errors.js";
import { integerOption, onOffOption } from "../option-values.js";

/** off: axes is not consulted; honour: its table locks clients out; record: and Apache's failures are written to it. */
export type AxesMode = "off" | "honour" | "record";

/** The columns a lockout parameter matches on (axes/helpers.py get_client_parameters). */
export type AxesField = "username" | "ip_address" | "user_agent";

export interface AxesSettings {
  readonly mode: AxesMode;
  /** AXES_FAILURE_LIMIT: locked once a parameter's failures reach this. */
  readonly failureLimit: number;
  /** AXES_COOLOFF_TIME in milliseconds; null: only rows' existence counts, a lock lasts until axes_reset. */
  readonly cooloffMs: number | null;
  /** One entry per lockout parameter: the fields a row must match, all of them, to count for it. */
  readonly parameters: readonly (readonly AxesField[])[];
  readonly onlyAdminSite: boolean;
  readonly resetOnSuccess: boolean;
  readonly neverLockoutWhitelist: boolean;
  readonly onlyWhitelist: boolean;
  /** AXES_IP_WHITELIST / AXES_IP_BLACKLIST, each address in the form Django stores (normalizeIp); null: unset. */
  readonly ipWhitelist: readonly string[] | null;
  readonly ipBlacklist: readonly string[] | null;
  /** AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT: in record mode, a locked client's attempt is a failure too. */
  readonly resetCoolOffOnFailureDuringLockout: boolean;
}

export const AXES_DEFAULT_FAILURE_LIMIT = 3;
export const AXES_MAX_FAILURE_LIMIT = 1_000_000;
export const AXES_MAX_COOLOFF_HOURS = 8760;

/** The 5.x flags, replaced by AXES_LOCKOUT_PARAMETERS in 6.0: a spec names one form or the other. */
export const AXES_5X_FLAG_KEYS = [
  "axes_only_user_failures",
  "axes_lock_out_by_combination_user_and_ip",
  "axes_lock_out_by_user_or_ip",
  "axes_use_user_agent",
] as const;

const OTHER_FLAG_KEYS = [
  "axes_only_admin_site",
  "axes_reset_on_success",
  "axes_never_lockout_whitelist",
  "axes_only_whitelist",
  "axes_reset_cool_off_on_failure_during_lockout",
] as const;

/** Every axes key of a type=django spec; config.ts adds them to the keys the Django handler reads. */
export const AXES_KEYS = [
  "axes",
  "axes_failure_limit",
  "axes_cooloff_time",
  "axes_lockout_parameters",
  ...AXES_5X_FLAG_KEYS,
  ...OTHER_FLAG_KEYS,
  "axes_ip_whitelist",
  "axes_ip_blacklist",
];

export const AXES_OFF: AxesSettings = Object.freeze({
  mode: "off",
  failureLimit: AXES_DEFAULT_FAILURE_LIMIT,
  cooloffMs: null,
  parameters: [["ip_address"]] as AxesField[][],
  onlyAdminSite: false,
  resetOnSuccess: false,
  neverLockoutWhitelist: false,
  onlyWhitelist: false,
  ipWhitelist: null,
  ipBlacklist: null,
  resetCoolOffOnFailureDuringLockout: true,
});

const FIELDS: readonly AxesField[] = ["ip_address", "username", "user_agent"];
const PARAMETERS_PROBLEM =
  "expected comma-separated entries, each ip_address, username or user_agent, or several joined by + (e.g. username+ip_address)";

export function parseAxesSpec(spec: Readonly<Record<string, string | undefined>>): AxesSettings {
  const mode = spec.axes ?? "off";
  if (mode !== "off" && mode !== "honour" && mode !== "record") {
    throw new DjangoConfigError("axes", `expected off, honour or record, got "${mode}"`);
  }
  const flag = (key: string, fallback: boolean) => onOffOption(key, spec[key], fallback);
  const legacy = Object.fromEntries(AXES_5X_FLAG_KEYS.map((key) => [key, flag(key, false)]));
  const parameters =
    spec.axes_lockout_parameters === undefined
      ? parametersFrom5xFlags(legacy)
      : parseLockoutParameters(spec.axes_lockout_parameters);
  const mixed = AXES_5X_FLAG_KEYS.find((key) => spec[key] !== undefined);
  if (spec.axes_lockout_parameters !== undefined && mixed !== undefined) {
    throw new DjangoConfigError(
      "axes_lockout_parameters",
      `is django-axes 6.x's form of the 5.x flag ${mixed}: set one or the other (the one the site's django-axes reads)`,
    );
  }
  return {
    mode,
    failureLimit: integerOption("axes_failure_limit", spec.axes_failure_limit, AXES_DEFAULT_FAILURE_LIMIT, 1, AXES_MAX_FAILURE_LIMIT),
    cooloffMs: cooloff(spec.axes_cooloff_time),
    parameters,
    onlyAdminSite: flag("axes_only_admin_site", false),
    resetOnSuccess: flag("axes_reset_on_success", false),
    neverLockoutWhitelist: flag("axes_never_lockout_whitelist", false),
    onlyWhitelist: flag("axes_only_whitelist", false),
    ipWhitelist: ipList("axes_ip_whitelist", spec.axes_ip_whitelist),
    ipBlacklist: ipList("axes_ip_blacklist", spec.axes_ip_blacklist),
    resetCoolOffOnFailureDuringLockout: flag("axes_reset_cool_off_on_failure_during_lockout", true),
  };
}

/**
 * django-axes 5.39's parameters from its flags (axes/helpers.py get_client_parameters): only-user wins
 * over everything; then user-or-IP (two parameters), user-and-IP (one), else the IP alone; the user agent,
 * when used, is a parameter of its own next to those (5.x does not combine it with the IP).
 */
export function parametersFrom5xFlags(flags: Readonly<Record<string, boolean>>): AxesField[][] {
  if (flags.axes_only_user_failures === true) return [["username"]];
  let parameters: AxesField[][];
  if (flags.axes_lock_out_by_user_or_ip === true) parameters = [["username"], ["ip_address"]];
  else if (flags.axes_lock_out_by_combination_user_and_ip === true) parameters = [["username", "ip_address"]];
  else parameters = [["ip_address"]];
  if (flags.axes_use_user_agent === true) parameters.push(["user_agent"]);
  return parameters;
}

/** AXES_LOCKOUT_PARAMETERS (6.x and later) written as `a,b+c`: the list ["a", ["b", "c"]]. */
export function parseLockoutParameters(value: string): AxesField[][] {
  const entries = value.split(",").map((entry) => entry.split("+").map(cutSpaces));
  const valid = entries.every((fields) => fields.every((field) => (FIELDS as readonly string[]).includes(field)));
  if (value === "" || !valid) throw new DjangoConfigError("axes_lockout_parameters", `${PARAMETERS_PROBLEM}, got "${value}"`);
  return entries as AxesField[][];
}

/**
 * AXES_COOLOFF_TIME as axes reads a number (axes/helpers.py get_cool_off): hours, with a fraction allowed
 * (a float is minutes * 60, the same length). Unset: no cooloff.
 */
function cooloff(value: string | undefined): number | null {
  if (value === undefined) return null;
  const hours = Number(value);
  if (!/^\d+(\.\d+)?$/.test(value) || !(hours > 0) || hours > AXES_MAX_COOLOFF_HOURS) {
    throw new DjangoConfigError(
      "axes_cooloff_time",
      `expected a number of hours greater than 0 and at most ${AXES_MAX_COOLOFF_HOURS} (e.g. 0.5), got "${value}"`,
    );
  }
  return hours * 3_600_000;
}

function ipList(key: string, value: string | undefined): string[] | null {
  if (value === undefined) return null;
  const addresses = value.split(",").map(cutSpaces);
  // isIP admits a zone index (fe80::1%eth0), which is no address Django stores (nor one inet_pton reads).
  if (addresses.some((address) => isIP(address) === 0 || address.includes("%"))) {
    throw new DjangoConfigError(key, `expected comma-separated IP addresses, got "${value}"`);
  }
  return addresses.map(normalizeIp);
}

/**
 * An address as Django stores it in a GenericIPAddressField (django/db/models/fields GenericIPAddressField
 * get_prep_value → django/utils/ipv6.py clean_ipv6_address): IPv4 as written; IPv6 lower-case with the
 * longest run of zero groups compressed, and an IPv4-mapped address as ::ffff:a.b.c.d. The lookups compare
 * with what Django wrote, so both must write the same text.
 */
export function normalizeIp(address: string): string {
  if (isIP(address) !== 6) return address;
  // WHATWG's IPv6 serializer (lower case, leading zeros dropped, the first longest run of two or more zero
  // groups compressed) writes what Python's ipaddress writes, except for IPv4-mapped addresses.
  let text: string;
  try {
    text = new URL(`http://[${address}]/`).hostname.slice(1, -1);
  } catch {
    // A zone index (fe80::1%eth0): Django's clean_ipv6_address refuses it too and stores the text as given.
    return address;
  }
  const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(text);
  if (mapped === null) return text;
  const [high, low] = [parseInt(mapped[1] as string, 16), parseInt(mapped[2] as string, 16)];
  return `::ffff:${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`;
}

/** Leading and trailing spaces (only those: config.c cuts the same). */
function cutSpaces(text: string): string {
  return text.replace(/^ +| +$/g, "");
}
