// Properties over generated inputs (fast-check): what dumps() signs, the session library reads back as it
// was; any one character changed anywhere in a signed session is refused; an age is accepted exactly up to
// SESSION_COOKIE_AGE; and decoding never throws, whatever text it is given.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DB_SESSION_SALT, SIGNED_COOKIES_SALT, decodeSessionData, dumps, loadSignedCookieSession, type SessionSettings } from "../../src/django/session/index.js";

const SECRET = "properties-secret-key";
const NOW = 1_735_689_600;

function settings(djangoVersion: string, overrides: Partial<SessionSettings> = {}): SessionSettings {
  return {
    secretKey: SECRET,
    fallbackKeys: ["properties-old-key"],
    djangoVersion,
    hashingAlgorithm: "sha256",
    engine: "db",
    cookieName: "sessionid",
    cookieAge: 1_209_600,
    filePath: null,
    backends: [{ path: "django.contrib.auth.backends.ModelBackend", allowsInactive: false }],
    ...overrides,
  };
}

const VERSIONS = ["3.2", "4.0", "4.2", "5.2", "6.1"];
const jsonLeaf = fc.oneof(fc.string({ unit: "grapheme" }), fc.integer(), fc.boolean(), fc.constant(null));
const sessionDict = fc.dictionary(fc.string({ unit: "grapheme", maxLength: 20 }), fc.oneof(jsonLeaf, fc.array(jsonLeaf, { maxLength: 5 }), fc.dictionary(fc.string(), jsonLeaf, { maxKeys: 3 })), { maxKeys: 8 });
/** What a signed value is made of: base64url, the compression dot, the separators. */
const SIGNED_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.:";

describe("properties of the session library", () => {
  it("a dumps()-signed session decodes to what was signed, compressed or not, in every version", () => {
    fc.assert(
      fc.property(sessionDict, fc.boolean(), fc.constantFrom(...VERSIONS), (d, compress, version) => {
        const decoded = decodeSessionData(dumps(d, SECRET, DB_SESSION_SALT, compress, NOW), settings(version));
        expect(decoded).toEqual({ ok: true, session: d });
      }),
    );
  });

  it("one character changed anywhere in signed session data is refused", () => {
    fc.assert(
      fc.property(sessionDict, fc.boolean(), fc.nat(), fc.constantFrom(...SIGNED_ALPHABET), fc.constantFrom(...VERSIONS), (d, compress, at, c, version) => {
        const data = dumps(d, SECRET, DB_SESSION_SALT, compress, NOW);
        const i = at % data.length;
        fc.pre(data[i] !== c);
        const tampered = data.slice(0, i) + c + data.slice(i + 1);
        expect(decodeSessionData(tampered, settings(version)).ok).toBe(false);
      }),
    );
  });

  it("one character changed anywhere in a signed cookie is refused", () => {
    fc.assert(
      fc.property(sessionDict, fc.nat(), fc.constantFrom(...SIGNED_ALPHABET), (d, at, c) => {
        const cookie = dumps(d, SECRET, SIGNED_COOKIES_SALT, true, NOW);
        const i = at % cookie.length;
        fc.pre(cookie[i] !== c);
        expect(loadSignedCookieSession(cookie.slice(0, i) + c + cookie.slice(i + 1), settings("5.2"), NOW).ok).toBe(false);
      }),
    );
  });

  it("a signed cookie is accepted up to SESSION_COOKIE_AGE seconds old, and refused after", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10_000_000 }), fc.integer({ min: -100_000, max: 20_000_000 }), (cookieAge, age) => {
        const cookie = dumps({ a: 1 }, SECRET, SIGNED_COOKIES_SALT, false, NOW);
        const loaded = loadSignedCookieSession(cookie, settings("5.2", { cookieAge }), NOW + age);
        expect(loaded.ok).toBe(age <= cookieAge);
      }),
    );
  });

  it("decoding never throws, whatever it is given, in every version", () => {
    const text = fc.oneof(fc.string({ unit: "binary" }), fc.string({ unit: fc.constantFrom(...SIGNED_ALPHABET) }), fc.base64String());
    fc.assert(
      fc.property(text, fc.constantFrom(...VERSIONS), (t, version) => {
        expect(decodeSessionData(t, settings(version)).ok).toBe(false);
        expect(loadSignedCookieSession(t, settings(version), NOW).ok).toBe(false);
      }),
    );
  });
});
