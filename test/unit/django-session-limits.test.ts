// What the session library refuses and why, beyond the vectors: zip bombs (bounded inflate), pickled
// payloads, keys such as __proto__ in session JSON, session keys, get_user's backend rules, settings no
// Django version has, and 3.2's DEFAULT_HASHING_ALGORITHM = 'sha1'.
import { constants as zlibConstants, deflateRawSync, deflateSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { DjangoConfigError } from "../../src/errors.js";
import {
  DB_SESSION_SALT,
  LEGACY_SESSION_KEY_SALT,
  MAX_ENCODED_SESSION_CHARS,
  MAX_INFLATED_SESSION_BYTES,
  backendAdmits,
  checkSessionSettings,
  decodeSessionData,
  dumps,
  inflateBounded,
  isValidSessionKey,
  saltedHmac,
  sessionAuthHash,
  sessionHashMatches,
  sessionLogin,
  timestampSign,
  type SessionSettings,
} from "../../src/django/session/index.js";
import { MODEL_BACKEND, defaultSessionSettings } from "../support/session-settings.js";

const SECRET = "limits-secret-key";
const NOW = 1_735_689_600;
const ALLOW_ALL = { path: "django.contrib.auth.backends.AllowAllUsersModelBackend", allowsInactive: true };

function settings(overrides: Partial<SessionSettings> = {}): SessionSettings {
  return defaultSessionSettings(SECRET, overrides);
}

/** session_data whose payload is these bytes, validly signed (as if by someone holding the key). */
function signedPayload(bytes: Buffer, compress: boolean): string {
  const payload = compress ? "." + deflateSync(bytes).toString("base64url") : bytes.toString("base64url");
  return timestampSign(payload, SECRET, DB_SESSION_SALT, "sha256", NOW);
}

/**
 * A zlib stream that inflates to `mebibytes` MiB of zeros, made without ever holding them: one deflate
 * block of 1 MiB of zeros, repeated (each is byte-aligned by a full flush and refers only to itself),
 * then an empty final block and the Adler-32 of that many zeros.
 */
function zlibBomb(mebibytes: number): Buffer {
  const block = deflateRawSync(Buffer.alloc(1 << 20), { finishFlush: zlibConstants.Z_FULL_FLUSH });
  const total = mebibytes * (1 << 20);
  const adler = Buffer.alloc(4);
  adler.writeUInt32BE((((total % 65521) << 16) | 1) >>> 0);
  return Buffer.concat([Buffer.from([0x78, 0x9c]), ...Array<Buffer>(mebibytes).fill(block), Buffer.from([0x03, 0x00]), adler]);
}

describe("bounded inflate", () => {
  it("inflates what stays within the bound", () => {
    const data = Buffer.alloc(1000, 0x61);
    expect(inflateBounded(deflateSync(data), 1000)).toEqual({ ok: true, bytes: data });
  });

  it("stops one byte past the bound", () => {
    expect(inflateBounded(deflateSync(Buffer.alloc(1001)), 1000)).toEqual({ ok: false, failure: "too large" });
  });

  it("refuses what is not zlib", () => {
    expect(inflateBounded(Buffer.from("not zlib"))).toEqual({ ok: false, failure: "bad zlib" });
  });

  it("the bomb helper makes what it says", () => {
    const inflated = inflateBounded(zlibBomb(3), 3 << 20);
    expect(inflated.ok && inflated.bytes.equals(Buffer.alloc(3 << 20))).toBe(true);
  });

  it("refuses a signed zip bomb of 1 GiB without inflating it whole", () => {
    const session = timestampSign("." + zlibBomb(1024).toString("base64url"), SECRET, DB_SESSION_SALT, "sha256", NOW);
    // Short enough to be read: the refusal below is the inflate bound's, not the length check's.
    expect(session.length).toBeLessThan(MAX_ENCODED_SESSION_CHARS);
    const before = process.resourceUsage().maxRSS;
    expect(decodeSessionData(session, settings())).toEqual({ ok: false, reason: "session data too large" });
    // Inflating it whole would have raised the peak resident size by a gibibyte or more.
    expect((process.resourceUsage().maxRSS - before) * 1024).toBeLessThan(256 * 1024 * 1024);
  });

  it("refuses session data longer than the bound before computing any MAC", () => {
    expect(decodeSessionData("a".repeat(MAX_ENCODED_SESSION_CHARS + 1), settings())).toEqual({ ok: false, reason: "session data too large" });
  });

  it("reads a compressed session just under the inflate bound", () => {
    const filler = "x".repeat(MAX_INFLATED_SESSION_BYTES - 100);
    const data = dumps({ _auth_user_id: "42", filler }, SECRET, DB_SESSION_SALT, true, NOW);
    expect(decodeSessionData(data, settings()).ok).toBe(true);
  });
});

describe("pickled sessions are refused, never unpickled", () => {
  // What PickleSerializer writes begins with PROTO 0x80 and the protocol (2 to 5).
  const pickle = Buffer.concat([Buffer.from([0x80, 0x04, 0x95]), Buffer.from("}q\u0000(X\r\u0000\u0000\u0000_auth_user_id", "latin1")]);

  it.each([["plain", false], ["compressed", true]])("refuses a validly signed %s pickle", (_name, compress) => {
    expect(decodeSessionData(signedPayload(pickle, compress as boolean), settings())).toEqual({ ok: false, reason: "pickled session data refused" });
  });

  it("refuses a pickle in 3.2's pre-3.1 format", () => {
    const mac = saltedHmac(LEGACY_SESSION_KEY_SALT, pickle, SECRET, "sha1").toString("hex");
    const data = Buffer.concat([Buffer.from(mac + ":"), pickle]).toString("base64");
    expect(decodeSessionData(data, settings({ djangoVersion: "3.2" }))).toEqual({ ok: false, reason: "pickled session data refused" });
  });
});

describe("session JSON cannot reach a prototype", () => {
  const json = '{"__proto__":{"_auth_user_id":"1","polluted":true},"constructor":{"prototype":{"polluted":true}},"_auth_user_backend":"django.contrib.auth.backends.ModelBackend","_auth_user_hash":"h"}';
  const decoded = decodeSessionData(signedPayload(Buffer.from(json), false), settings());

  it("keeps __proto__ and constructor as plain keys of a null-prototype object", () => {
    expect(decoded.ok).toBe(true);
    if (!decoded.ok) return;
    expect(Object.getPrototypeOf(decoded.session)).toBeNull();
    expect(Object.keys(decoded.session)).toContain("__proto__");
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect((decoded.session as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("does not find _auth_user_id through a __proto__ key", () => {
    expect(decoded.ok && sessionLogin(decoded.session, settings())).toBe(null);
  });

  it("does not find the login keys on an object's prototype", () => {
    const inherited = Object.create({ _auth_user_id: "42", _auth_user_backend: MODEL_BACKEND.path, _auth_user_hash: sessionAuthHash("pw", SECRET, "sha256") });
    expect(sessionLogin(inherited, settings())).toBeNull();
    expect(sessionHashMatches(inherited, "pw", settings())).toBe(false);
  });

  it("refuses JSON that is not an object, and Python's NaN", () => {
    for (const text of ["[1,2]", '"s"', "null", '{"a":NaN}']) {
      expect(decodeSessionData(signedPayload(Buffer.from(text), false), settings())).toEqual({ ok: false, reason: "unreadable session payload" });
    }
  });
});

describe("session keys", () => {
  it.each([
    ["db", "abcdefgh", true],
    ["db", "abcdefg", false],
    ["db", "a".repeat(40), true],
    ["db", "a".repeat(41), false],
    ["db", "abcdefgh\u0000", false],
    ["db", "abcdéfgh", false],
    ["cached_db", "ABCDEFGH-_.", true],
    ["file", "abcdefgh0123", true],
    ["file", "ABCDEFGH", false],
    ["file", "abcd/efgh", false],
    ["file", "abcd..efgh", false],
    ["signed_cookies", "abcdefgh", true],
    ["signed_cookies", "abcdefg", false],
  ] as const)("%s: %j is %s", (engine, key, valid) => {
    expect(isValidSessionKey(key, engine)).toBe(valid);
  });
});

describe("get_user's rules", () => {
  const login = { _auth_user_id: "42", _auth_user_backend: ALLOW_ALL.path, _auth_user_hash: "h" };

  it("finds the login only when its backend is listed", () => {
    expect(sessionLogin(login, settings())).toBeNull();
    expect(sessionLogin(login, settings({ backends: [MODEL_BACKEND, ALLOW_ALL] }))).toEqual({ userId: "42", backend: ALLOW_ALL });
  });

  it.each([
    ["no user id", { _auth_user_backend: MODEL_BACKEND.path }],
    ["no backend", { _auth_user_id: "42" }],
    ["a number for the user id", { _auth_user_id: 42, _auth_user_backend: MODEL_BACKEND.path }],
    ["an empty user id", { _auth_user_id: "", _auth_user_backend: MODEL_BACKEND.path }],
  ])("finds no login with %s", (_name, d) => {
    expect(sessionLogin(d, settings())).toBeNull();
  });

  it.each([
    [MODEL_BACKEND, true, true],
    [MODEL_BACKEND, false, false],
    [MODEL_BACKEND, null, true],
    [ALLOW_ALL, false, true],
    [ALLOW_ALL, true, true],
    [ALLOW_ALL, null, true],
  ] as const)("%o admits is_active=%s: %s", (backend, isActive, admits) => {
    expect(backendAdmits(backend, isActive)).toBe(admits);
  });

  it("refuses a stored hash that is not a string", () => {
    expect(sessionHashMatches({ _auth_user_hash: 1 }, "pw", settings())).toBe(false);
  });
});

describe("3.2's DEFAULT_HASHING_ALGORITHM", () => {
  const field = "pbkdf2_sha256$260000$salt$hash";

  it("sha1: the sha1 hash matches and the sha256 one does not", () => {
    const s = settings({ djangoVersion: "3.2", hashingAlgorithm: "sha1" });
    expect(sessionHashMatches({ _auth_user_hash: sessionAuthHash(field, SECRET, "sha1") }, field, s)).toBe(true);
    expect(sessionHashMatches({ _auth_user_hash: sessionAuthHash(field, SECRET, "sha256") }, field, s)).toBe(false);
  });

  it("sha1: session data signed with sha256 is refused, with sha1 read", () => {
    const s = settings({ djangoVersion: "3.2", hashingAlgorithm: "sha1" });
    expect(decodeSessionData(dumps({ a: 1 }, SECRET, DB_SESSION_SALT, false, NOW, "sha256"), s)).toEqual({ ok: false, reason: "bad signature" });
    expect(decodeSessionData(dumps({ a: 1 }, SECRET, DB_SESSION_SALT, false, NOW, "sha1"), s)).toEqual({ ok: true, session: { a: 1 } });
  });

  it("4.0 on: a sha1 session auth hash is refused", () => {
    expect(sessionHashMatches({ _auth_user_hash: sessionAuthHash(field, SECRET, "sha1") }, field, settings({ djangoVersion: "4.0" }))).toBe(false);
  });

  it("4.0: fallback keys are not honoured yet; 4.1: they are", () => {
    const d = { _auth_user_hash: sessionAuthHash(field, "old-key", "sha256") };
    expect(sessionHashMatches(d, field, settings({ djangoVersion: "4.0", fallbackKeys: ["old-key"] }))).toBe(false);
    expect(sessionHashMatches(d, field, settings({ djangoVersion: "4.1", fallbackKeys: ["old-key"] }))).toBe(true);
  });
});

describe("settings no Django has", () => {
  it.each([
    ["sha1 outside 3.2", { djangoVersion: "4.2", hashingAlgorithm: "sha1" as const }, "hashing_algorithm"],
    ["a version before 3.2", { djangoVersion: "3.1" }, "django_version"],
    ["a version that is not MAJOR.MINOR", { djangoVersion: "5" }, "django_version"],
    ["an empty SECRET_KEY", { secretKey: "" }, "secret_key_file"],
    ["the file engine without a path", { engine: "file" as const }, "session_file_path"],
    ["no backend", { backends: [] }, "authentication_backends"],
  ])("refuses %s", (_name, overrides, key) => {
    expect(() => checkSessionSettings(settings(overrides))).toThrow(DjangoConfigError);
    try {
      checkSessionSettings(settings(overrides));
    } catch (error) {
      expect((error as DjangoConfigError).key).toBe(key);
    }
  });

  it("accepts every series from 3.2 to 6.1", () => {
    for (const djangoVersion of ["3.2", "4.0", "4.1", "4.2", "5.0", "5.1", "5.2", "6.0", "6.1"]) {
      expect(() => checkSessionSettings(settings({ djangoVersion }))).not.toThrow();
    }
  });
});
