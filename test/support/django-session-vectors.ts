// The Django session vector files (test/vectors/django-sessions-{3.2,5.2}.json, made by real Django) as
// typed data, and the SessionSettings they were made under. Shared by the session library's tests.
import { readFileSync } from "node:fs";
import type { SessionSettings } from "../../src/django/session/index.js";

export interface SessionVectorFile {
  meta: {
    django_version: string;
    django_VERSION: [number, number, number, string, number];
    settings: { SECRET_KEY: string; SECRET_KEY_FALLBACKS: string[]; SESSION_COOKIE_AGE: number; AUTHENTICATION_BACKENDS: string[] };
    DEFAULT_HASHING_ALGORITHM: string;
    SECRET_KEY_FALLBACKS_supported: boolean;
    wrong_key: string;
    fixed_time: number;
  };
  salted_hmac: { cases: { input: { key_salt: string; value: string; secret: string; algorithm: "sha1" | "sha256" }; output: { hexdigest: string; digest_base64url: string } }[] };
  signer_sign: { cases: { id: string; input: { key: string | null; value: string; effective_salt: string; effective_algorithm: "sha1" | "sha256" }; output: string }[] };
  timestamp_signer_sign: { time: number; timestamp_base62: string; cases: { id: string; input: { key: string | null; value: string; effective_salt: string; effective_algorithm: "sha1" | "sha256"; time: number }; output: string }[] };
  dumps: {
    cases: {
      id: string;
      input: { obj: unknown; key: string | null; salt: string; compress: boolean; time: number };
      output: { signed: string; compressed: boolean; serialized_json: string; mac: { key_salt: string; value: string; algorithm: "sha1" | "sha256"; hexdigest: string } };
    }[];
  };
  loads: { cases: LoadsCase[] };
  session_db: {
    login_session_dict: Record<string, unknown>;
    login_user: { id: number; password: string };
    encode: { id: string; input: { session_dict: Record<string, unknown>; time: number }; output: string; compressed: boolean }[];
    decode: { id: string; made_by: string; input: { session_data: string }; expect: { decoded: Record<string, unknown>; ok: boolean } }[];
    legacy_format: { session_data: string; decodes_to: Record<string, unknown> };
  };
  session_signed_cookies: {
    salt: string;
    max_age: number;
    cookie: { id: string; input: { session_dict: Record<string, unknown>; time: number }; output: string }[];
    load: { id: string; made_by: string; input: { cookie_value: string; now: number; age_s: number }; expect: { loaded: Record<string, unknown>; ok: boolean } }[];
  };
  session_auth_hash: {
    key_salt: string;
    cases: {
      id: string;
      input: { password_field: string };
      output: { get_session_auth_hash: string; _legacy_get_session_auth_hash?: string; get_session_auth_fallback_hash?: { secret: string; hash: string }[] };
    }[];
  };
  get_user: { current_hash: string; cases: GetUserCase[] };
  parse_cookie: { cases: unknown[] };
}

export interface LoadsCase {
  id: string;
  made_by: string;
  input: { s: string; key: string | null; salt: string; max_age: number | null; now: number; fallback_keys?: string[]; settings_override?: { DEFAULT_HASHING_ALGORITHM: "sha1" | "sha256" } };
  expect: { ok: true; value: unknown } | { ok: false; error: "BadSignature" | "SignatureExpired" | "ValueError"; message: string };
}

export interface GetUserCase {
  id: string;
  input: { session: Record<string, unknown>; user_42_password_field: string };
  expect: { authenticated: boolean; user_id: number | null };
}

export const SESSION_VECTOR_VERSIONS = ["3.2", "5.2"] as const;

export function loadSessionVectors(series: (typeof SESSION_VECTOR_VERSIONS)[number]): SessionVectorFile {
  return JSON.parse(readFileSync(new URL(`../vectors/django-sessions-${series}.json`, import.meta.url), "utf8")) as SessionVectorFile;
}

/** The settings the file's Django ran under, as the worker would be told them (engine db unless said). */
export function vectorSettings(file: SessionVectorFile, overrides: Partial<SessionSettings> = {}): SessionSettings {
  const [major, minor] = file.meta.django_VERSION;
  const settings = file.meta.settings;
  return {
    secretKey: settings.SECRET_KEY,
    // Passed to both versions: 3.2 has no such setting, so the library must ignore them there.
    fallbackKeys: settings.SECRET_KEY_FALLBACKS,
    djangoVersion: `${major}.${minor}`,
    hashingAlgorithm: "sha256",
    engine: "db",
    cookieName: "sessionid",
    cookieAge: settings.SESSION_COOKIE_AGE,
    filePath: null,
    backends: settings.AUTHENTICATION_BACKENDS.map((path) => ({ path, allowsInactive: false })),
    ...overrides,
  };
}
