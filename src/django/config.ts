// Turns a `type=django` handler spec (docs/protocol.md, "Handler specs") into DjangoHandler options.
// Every problem is a DjangoConfigError naming the key, which the worker sends back as the ERROR reason.
import type { HandlerSpec } from "../handlers/types.js";
import { djangoDefaults, type HasherOptions } from "./hashers/index.js";
import { parseDatabaseUrl, type DatabaseLocation } from "./database-url.js";
import { DjangoConfigError } from "../errors.js";
import { MAPPING_SPEC_KEYS, NULLABLE_COLUMNS, type UserModelMapping } from "./user-model.js";
import { AXES_KEYS, parseAxesSpec, type AxesSettings } from "./axes-settings.js";
import { DEFENDER_SPEC_KEYS, parseDefenderSpec, type DefenderSettings } from "../brute-force/defender-settings.js";
import { integerOption, onOffOption } from "../option-values.js";
import { parseSessionOptions, SESSION_KEYS, type SessionOptions } from "./session-options.js";

/** The Django release whose hasher settings apply when the spec names none: the newest, as the hashers' own default. */
export const DEFAULT_DJANGO_VERSION = "6.1";
export const DEFAULT_POOL_SIZE = 4;
export const MAX_POOL_SIZE = 64;
export const MAX_ROW_CACHE_SECONDS = 3600;
export const DEFAULT_QUERY_TIMEOUT_MS = 5000;
/** change_feed_poll_ms: how often MySQL's and SQLite's change table is read (PostgreSQL is told, not polled). */
export const DEFAULT_CHANGE_FEED_POLL_MS = 10;
export const MAX_CHANGE_FEED_POLL_MS = 1000;

export interface DjangoSettings {
  readonly database: DatabaseLocation;
  readonly mapping: Partial<UserModelMapping>;
  readonly hasherOptions: HasherOptions;
  readonly upgradeHashes: boolean;
  readonly poolSize: number;
  readonly rowCacheSeconds: number;
  /** Remember verified (stored hash, password) pairs (spec key verified_cache, default on); off: every check hashes. */
  readonly verifiedCache: boolean;
  /** django-defender's lockouts (the defender* keys); null when `defender` is off. */
  readonly defender: DefenderSettings | null;
  /** django-axes: whether and how the site's lockouts apply (the axes* keys, axes-settings.ts). */
  readonly axes: AxesSettings;
  /** Login sessions (the session keys, session-options.ts); the secret's content comes from the bootstrap. */
  readonly session: SessionOptions;
  /** The django_version option, or the default. */
  readonly djangoVersion: string;
  /** change_feed: subscribe to the database's change feed and give stamped grants (docs/change-feed.md). */
  readonly changeFeed: boolean;
  /** change_feed_poll_ms: the MySQL/SQLite feed's poll interval. */
  readonly changeFeedPollMs: number;
}

/** The spec keys besides the user-model mapping's (MAPPING_SPEC_KEYS); test/unit/django-options-c-ts.test.ts holds them to config.c. */
export const SETTINGS_KEYS = ["type", "database", "hashers", "django_version", "upgrade_hashes", "pool_size", "row_cache_seconds", "verified_cache", "change_feed", "change_feed_poll_ms", ...DEFENDER_SPEC_KEYS, ...AXES_KEYS, ...SESSION_KEYS];
const MAPPING_KEY_TO_FIELD = new Map(
  (Object.entries(MAPPING_SPEC_KEYS) as Array<[keyof UserModelMapping, string]>).map(([field, key]) => [key, field]),
);

export function parseDjangoSpec(spec: HandlerSpec): DjangoSettings {
  for (const key of Object.keys(spec)) {
    if (!SETTINGS_KEYS.includes(key) && !MAPPING_KEY_TO_FIELD.has(key)) {
      throw new DjangoConfigError(key, "unknown key for type=django");
    }
  }
  if (spec.type !== undefined && spec.type !== "django") throw new DjangoConfigError("type", `expected "django", got "${spec.type}"`);
  if (spec.database === undefined || spec.database === "") throw new DjangoConfigError("database", "required (a database URL)");

  const mapping: Partial<Record<keyof UserModelMapping, string | null>> = {};
  for (const [key, field] of MAPPING_KEY_TO_FIELD) {
    const value = spec[key];
    if (value === undefined) continue;
    if (value === "") {
      if (!NULLABLE_COLUMNS.has(field)) throw new DjangoConfigError(key, "must not be empty");
      mapping[field] = null;
    } else {
      mapping[field] = value;
    }
  }

  return {
    database: parseDatabaseUrl(spec.database),
    mapping: mapping as Partial<UserModelMapping>,
    hasherOptions: hasherOptionsFrom(spec.django_version, spec.hashers),
    upgradeHashes: onOffOption("upgrade_hashes", spec.upgrade_hashes, false),
    poolSize: integerOption("pool_size", spec.pool_size, DEFAULT_POOL_SIZE, 1, MAX_POOL_SIZE),
    rowCacheSeconds: integerOption("row_cache_seconds", spec.row_cache_seconds, 0, 0, MAX_ROW_CACHE_SECONDS),
    verifiedCache: onOffOption("verified_cache", spec.verified_cache, true),
    defender: parseDefenderSpec(spec),
    axes: parseAxesSpec(spec),
    session: parseSessionOptions(spec, spec.django_version ?? DEFAULT_DJANGO_VERSION),
    djangoVersion: spec.django_version ?? DEFAULT_DJANGO_VERSION,
    changeFeed: onOffOption("change_feed", spec.change_feed, false),
    changeFeedPollMs: integerOption("change_feed_poll_ms", spec.change_feed_poll_ms, DEFAULT_CHANGE_FEED_POLL_MS, 1, MAX_CHANGE_FEED_POLL_MS),
  };
}

/** Django's hasher settings for `version`, with PASSWORD_HASHERS replaced by `hashers` when given. */
export function hasherOptionsFrom(version: string | undefined, hashers: string | undefined): HasherOptions {
  let options: HasherOptions;
  try {
    options = djangoDefaults(version ?? DEFAULT_DJANGO_VERSION);
  } catch (error) {
    throw new DjangoConfigError("django_version", `unsupported Django version "${version}" (${(error as Error).message})`, { cause: error });
  }
  if (hashers === undefined) return options;
  const names = hashers.split(",").map((name) => name.trim());
  if (names.length === 0 || names.some((name) => !/^[a-z0-9_]+$/.test(name))) {
    throw new DjangoConfigError("hashers", "expected comma-separated algorithm names, first preferred (e.g. pbkdf2_sha256,argon2)");
  }
  // The hashers library checks the names themselves (HasherOptionError naming the unknown algorithm).
  return { ...options, hashers: names as unknown as HasherOptions["hashers"] };
}
