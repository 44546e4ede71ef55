// Every case of every section of both Django session vector files (3.2.25 and 5.2.8, made by real
// Django) through the TypeScript session library. Each test names the Django that made its vector.
//
// The `parse_cookie` section is not fed here: Cookie header parsing belongs to the C module
// (native/mod/session_cookie.c), which has its own test against that section; the worker never sees a
// Cookie header. The last test counts what was consumed against the files, so no case is skipped silently.
import { inflateSync } from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import {
  DB_SESSION_SALT,
  SESSION_AUTH_HASH_SALT,
  SIGNED_COOKIES_SALT,
  backendAdmits,
  base62Encode,
  decodeSessionData,
  dumps,
  loadSignedCookieSession,
  loads,
  pythonJsonDumps,
  saltedHmac,
  sessionAuthHash,
  sessionHashMatches,
  sessionLogin,
  sign,
  signatureCheck,
  timestampSign,
  unsign,
  type LoadsFailure,
  type SessionDecodeResult,
  type SessionSettings,
} from "../../src/django/session/index.js";
import { SESSION_VECTOR_VERSIONS, loadSessionVectors, vectorSettings, type GetUserCase, type SessionVectorFile } from "../support/django-session-vectors.js";

/** Cases consumed, per file and section, checked against the files by the last test. */
const consumed = new Map<string, number>();
function consume(series: string, section: string): void {
  const key = `${series} ${section}`;
  consumed.set(key, (consumed.get(key) ?? 0) + 1);
}

/** What Django decoded to: the dict, or {} for a refusal. */
function decodedOf(result: SessionDecodeResult): Record<string, unknown> {
  return result.ok ? { ...result.session } : {};
}

/** The JSON text a signed dumps() value carries, inflated when it is compressed. */
function signedJson(signed: string): { compressed: boolean; json: string; timestamp: string } {
  const [payload = "", timestamp = ""] = signed.split(":");
  const compressed = payload.startsWith(".");
  const bytes = Buffer.from(compressed ? payload.slice(1) : payload, "base64url");
  return { compressed, json: (compressed ? inflateSync(bytes) : bytes).toString("latin1"), timestamp };
}

/**
 * Our dumps() against Django's: byte for byte when uncompressed. Node's zlib (Chromium's) may choose other
 * deflate blocks than Python's for the same input, so compressed values are held to the same JSON, the same
 * compression choice and the same timestamp, and Django's own value must load.
 */
function expectSameDumps(ours: string, djangos: string): void {
  if (!djangos.startsWith(".")) {
    expect(ours).toBe(djangos);
    return;
  }
  expect(signedJson(ours)).toEqual(signedJson(djangos));
}

const DJANGO_ERRORS: Record<"BadSignature" | "SignatureExpired" | "ValueError", LoadsFailure> = {
  BadSignature: "bad signature",
  SignatureExpired: "expired",
  ValueError: "malformed",
};

for (const series of SESSION_VECTOR_VERSIONS) {
  const file = loadSessionVectors(series);
  const django = `Django ${file.meta.django_version}`;
  const settings = vectorSettings(file);
  const secret = file.meta.settings.SECRET_KEY;

  describe(`${django}: signing primitives`, () => {
    it.each(file.salted_hmac.cases.map((c, i) => [`${c.input.algorithm} #${i}`, c] as const))(`${django}: salted_hmac %s`, (_n, c) => {
      consume(series, "salted_hmac");
      const digest = saltedHmac(c.input.key_salt, c.input.value, c.input.secret, c.input.algorithm);
      expect(digest.toString("hex")).toBe(c.output.hexdigest);
      expect(digest.toString("base64url")).toBe(c.output.digest_base64url);
    });

    it.each(file.signer_sign.cases.map((c) => [c.id, c] as const))(`${django}: Signer.sign %s`, (_n, c) => {
      consume(series, "signer_sign");
      const key = c.input.key ?? secret;
      expect(sign(c.input.value, key, c.input.effective_salt, c.input.effective_algorithm)).toBe(c.output);
      const check = { keys: [key], salt: c.input.effective_salt, algorithm: c.input.effective_algorithm, legacySha1: false };
      expect(unsign(c.output, check)).toEqual({ ok: true, value: c.input.value });
    });

    it.each(file.timestamp_signer_sign.cases.map((c) => [c.id, c] as const))(`${django}: TimestampSigner.sign %s`, (_n, c) => {
      consume(series, "timestamp_signer_sign");
      expect(base62Encode(c.input.time)).toBe(file.timestamp_signer_sign.timestamp_base62);
      expect(timestampSign(c.input.value, c.input.key ?? secret, c.input.effective_salt, c.input.effective_algorithm, c.input.time)).toBe(c.output);
    });

    it.each(file.dumps.cases.map((c) => [c.id, c] as const))(`${django}: dumps %s`, (_n, c) => {
      consume(series, "dumps");
      const key = c.input.key ?? secret;
      expect(pythonJsonDumps(c.input.obj)).toBe(c.output.serialized_json);
      expectSameDumps(dumps(c.input.obj, key, c.input.salt, c.input.compress, c.input.time), c.output.signed);
      expect(c.output.signed.startsWith(".")).toBe(c.output.compressed);
      const mac = c.output.mac;
      expect(saltedHmac(mac.key_salt, mac.value, key, mac.algorithm).toString("hex")).toBe(mac.hexdigest);
      expect(loads(c.output.signed, signatureCheck(settings, c.input.salt, key), null, c.input.time)).toEqual({ ok: true, value: c.input.obj });
    });
  });

  describe(`${django}: signing.loads`, () => {
    it.each(file.loads.cases.map((c) => [`${c.id} (${c.made_by || "as named"})`, c] as const))(`${django}: loads %s`, (_n, c) => {
      consume(series, "loads");
      const algorithm = c.input.settings_override?.DEFAULT_HASHING_ALGORITHM ?? "sha256";
      const s: SessionSettings = { ...settings, hashingAlgorithm: algorithm };
      const check = signatureCheck(s, c.input.salt, c.input.key, c.input.fallback_keys ?? null);
      const result = loads(c.input.s, check, c.input.max_age, c.input.now);
      if (c.expect.ok) expect(result).toEqual({ ok: true, value: c.expect.value });
      else expect(result).toEqual({ ok: false, failure: DJANGO_ERRORS[c.expect.error] });
    });
  });

  describeSessions(series, file, settings, django);
  describeGetUser(series, file, settings, django);
}

function describeSessions(series: string, file: SessionVectorFile, settings: SessionSettings, django: string): void {
  const db = file.session_db;
  const cookies = file.session_signed_cookies;
  const secret = file.meta.settings.SECRET_KEY;

  describe(`${django}: db and cached_db session_data`, () => {
    it(`${django}: login() wrote the session auth hash of user 42's password field`, () => {
      expect(db.login_session_dict._auth_user_hash).toBe(sessionAuthHash(db.login_user.password, secret, "sha256"));
    });

    it.each(db.encode.map((c) => [c.id, c] as const))(`${django}: SessionStore.encode %s`, (_n, c) => {
      consume(series, "session_db.encode");
      expectSameDumps(dumps(c.input.session_dict, secret, DB_SESSION_SALT, true, c.input.time), c.output);
      expect(decodedOf(decodeSessionData(c.output, settings))).toEqual(c.input.session_dict);
    });

    it.each(db.decode.map((c) => [`${c.id} (${c.made_by || "as named"})`, c] as const))(`${django}: SessionStore.decode %s`, (_n, c) => {
      consume(series, "session_db.decode");
      const result = decodeSessionData(c.input.session_data, settings);
      expect(decodedOf(result)).toEqual(c.expect.decoded);
      expect(result.ok).toBe(c.expect.ok);
    });

    it(`${django}: the pre-3.1 session_data format decodes as this version does`, () => {
      consume(series, "session_db.legacy_format");
      expect(decodedOf(decodeSessionData(db.legacy_format.session_data, settings))).toEqual(db.legacy_format.decodes_to);
    });
  });

  describe(`${django}: signed_cookies`, () => {
    it(`${django}: the engine's salt and max_age`, () => {
      expect(cookies.salt).toBe(SIGNED_COOKIES_SALT);
      expect(cookies.max_age).toBe(settings.cookieAge);
    });

    it.each(cookies.cookie.map((c) => [c.id, c] as const))(`${django}: signed_cookies cookie %s`, (_n, c) => {
      consume(series, "session_signed_cookies.cookie");
      expectSameDumps(dumps(c.input.session_dict, secret, SIGNED_COOKIES_SALT, true, c.input.time), c.output);
      expect(decodedOf(loadSignedCookieSession(c.output, settings, c.input.time))).toEqual(c.input.session_dict);
    });

    it.each(cookies.load.map((c) => [`${c.id} (${c.made_by || "as named"})`, c] as const))(`${django}: signed_cookies load %s`, (_n, c) => {
      consume(series, "session_signed_cookies.load");
      const result = loadSignedCookieSession(c.input.cookie_value, { ...settings, engine: "signed_cookies" }, c.input.now);
      expect(decodedOf(result)).toEqual(c.expect.loaded);
      expect(result.ok).toBe(c.expect.ok);
    });
  });

  describe(`${django}: session auth hashes`, () => {
    it.each(file.session_auth_hash.cases.map((c) => [c.id, c] as const))(`${django}: get_session_auth_hash %s`, (_n, c) => {
      consume(series, "session_auth_hash");
      expect(file.session_auth_hash.key_salt).toBe(SESSION_AUTH_HASH_SALT);
      const field = c.input.password_field;
      const out = c.output;
      expect(sessionAuthHash(field, secret, "sha256")).toBe(out.get_session_auth_hash);
      expect(sessionHashMatches({ _auth_user_hash: out.get_session_auth_hash }, field, settings)).toBe(true);
      // 3.2 accepts its SHA-1 variant; 5.2 accepts the hash under each fallback key.
      if (out._legacy_get_session_auth_hash !== undefined) {
        expect(sessionAuthHash(field, secret, "sha1")).toBe(out._legacy_get_session_auth_hash);
        expect(sessionHashMatches({ _auth_user_hash: out._legacy_get_session_auth_hash }, field, settings)).toBe(true);
      }
      for (const fallback of out.get_session_auth_fallback_hash ?? []) {
        expect(sessionAuthHash(field, fallback.secret, "sha256")).toBe(fallback.hash);
        expect(sessionHashMatches({ _auth_user_hash: fallback.hash }, field, settings)).toBe(true);
      }
    });
  });
}

/** The two users the get_user vectors' database held, by primary key. */
function vectorUsers(c: GetUserCase): Map<string, { isActive: boolean; password: string }> {
  return new Map([
    ["42", { isActive: true, password: c.input.user_42_password_field }],
    ["43", { isActive: false, password: c.input.user_42_password_field }],
  ]);
}

/** get_user, read-only: login, the user row, the backend's admission, the session auth hash. */
function getUser(c: GetUserCase, settings: SessionSettings): number | null {
  const login = sessionLogin(c.input.session, settings);
  if (login === null) return null;
  const user = vectorUsers(c).get(login.userId);
  if (user === undefined || !backendAdmits(login.backend, user.isActive)) return null;
  return sessionHashMatches(c.input.session, user.password, settings) ? Number(login.userId) : null;
}

function describeGetUser(series: string, file: SessionVectorFile, settings: SessionSettings, django: string): void {
  describe(`${django}: get_user`, () => {
    it.each(file.get_user.cases.map((c) => [c.id, c] as const))(`${django}: get_user %s`, (_n, c) => {
      consume(series, "get_user");
      // Django also flushes or rotates the session in some cases; this check only reads it.
      expect(getUser(c, settings)).toBe(c.expect.authenticated ? c.expect.user_id : null);
      expect(c.expect.authenticated).toBe(c.expect.user_id !== null);
    });
  });
}

/** How many cases each section of a file holds, as the tests above consume them. */
function casesInFile(file: SessionVectorFile): Record<string, number> {
  return {
    salted_hmac: file.salted_hmac.cases.length,
    signer_sign: file.signer_sign.cases.length,
    timestamp_signer_sign: file.timestamp_signer_sign.cases.length,
    dumps: file.dumps.cases.length,
    loads: file.loads.cases.length,
    "session_db.encode": file.session_db.encode.length,
    "session_db.decode": file.session_db.decode.length,
    "session_db.legacy_format": 1,
    "session_signed_cookies.cookie": file.session_signed_cookies.cookie.length,
    "session_signed_cookies.load": file.session_signed_cookies.load.length,
    session_auth_hash: file.session_auth_hash.cases.length,
    get_user: file.get_user.cases.length,
  };
}

/** Sections of the files this test does not feed, each with where it is fed instead. */
const ELSEWHERE: Record<string, string> = { parse_cookie: "the C module's test (native/mod/session_cookie.c)" };

describe("Django session vectors: none skipped", () => {
  it("knows every section of both files", () => {
    for (const series of SESSION_VECTOR_VERSIONS) {
      const file = loadSessionVectors(series);
      const known = new Set([...Object.keys(casesInFile(file)).map((k) => k.split(".")[0]!), ...Object.keys(ELSEWHERE), "meta"]);
      expect(Object.keys(file).filter((section) => !known.has(section))).toEqual([]);
    }
  });

  afterAll(() => {
    // Runs after every test of the file: a test filtered out by -t would show up here as missing.
    for (const series of SESSION_VECTOR_VERSIONS) {
      for (const [section, count] of Object.entries(casesInFile(loadSessionVectors(series)))) {
        expect(consumed.get(`${series} ${section}`) ?? 0, `${series} ${section}`).toBe(count);
      }
    }
  });
});
