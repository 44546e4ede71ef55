import { describe, expect, it } from "vitest";
import { VerifiedCredentialCache } from "../../src/cache/verified-credentials.js";

const pw = (s: string): Buffer => Buffer.from(s, "utf8");

describe("VerifiedCredentialCache", () => {
  it("remembers a verified pair and nothing else", () => {
    const cache = new VerifiedCredentialCache();
    expect(cache.lookup("pbkdf2_sha256$1$salt$hash", pw("right"))).toBeUndefined();
    cache.remember("pbkdf2_sha256$1$salt$hash", pw("right"), false);
    expect(cache.lookup("pbkdf2_sha256$1$salt$hash", pw("right"))).toEqual({ mustUpdate: false });
    // A wrong password after a right one is still unknown (so the hasher runs and rejects it).
    expect(cache.lookup("pbkdf2_sha256$1$salt$hash", pw("wrong"))).toBeUndefined();
    // A changed stored hash (password change, hash upgrade) misses even with the old password.
    expect(cache.lookup("pbkdf2_sha256$2$salt$other", pw("right"))).toBeUndefined();
  });

  it("keeps the two halves of the key apart (no concatenation collisions)", () => {
    const cache = new VerifiedCredentialCache();
    cache.remember("abc", pw("def"), false);
    expect(cache.lookup("ab", pw("cdef"))).toBeUndefined();
    expect(cache.lookup("abcd", pw("ef"))).toBeUndefined();
    expect(cache.lookup("abc", pw("def"))).toBeDefined();
  });

  it("keeps mustUpdate as it was verified", () => {
    const cache = new VerifiedCredentialCache();
    cache.remember("h", pw("p"), true);
    expect(cache.lookup("h", pw("p"))).toEqual({ mustUpdate: true });
  });

  it("distinguishes passwords by bytes, not by their text", () => {
    const cache = new VerifiedCredentialCache();
    cache.remember("h", Buffer.from("lètmein", "utf8"), false);
    expect(cache.lookup("h", Buffer.from("lètmein", "latin1"))).toBeUndefined();
    expect(cache.lookup("h", Buffer.from("lètmein", "utf8"))).toBeDefined();
  });

  it("evicts the least recently used entry when over maxEntries", () => {
    const cache = new VerifiedCredentialCache({ maxEntries: 2 });
    cache.remember("a", pw("1"), false);
    cache.remember("b", pw("2"), false);
    expect(cache.lookup("a", pw("1"))).toBeDefined(); // a is now the most recent
    cache.remember("c", pw("3"), false);
    expect(cache.size).toBe(2);
    expect(cache.lookup("b", pw("2"))).toBeUndefined();
    expect(cache.lookup("a", pw("1"))).toBeDefined();
    expect(cache.lookup("c", pw("3"))).toBeDefined();
  });

  it("stays within maxBytes and maxEntries when a million distinct pairs are remembered", () => {
    const cache = new VerifiedCredentialCache({ maxEntries: 5_000, maxBytes: 256 * 1024 });
    for (let i = 0; i < 1_000_000; i++) {
      cache.remember("pbkdf2_sha256$1000000$salt$hash", pw(`password-${i}`), false);
      if (i % 100_000 === 0) expect(cache.bytes).toBeLessThanOrEqual(256 * 1024);
    }
    expect(cache.bytes).toBeLessThanOrEqual(256 * 1024);
    expect(cache.size).toBeLessThanOrEqual(5_000);
    expect(cache.size).toBeGreaterThan(1_000);
    // The newest entry survives, the first one is long gone.
    expect(cache.lookup("pbkdf2_sha256$1000000$salt$hash", pw("password-999999"))).toBeDefined();
    expect(cache.lookup("pbkdf2_sha256$1000000$salt$hash", pw("password-0"))).toBeUndefined();
  });

  it("re-remembering a pair does not count it twice", () => {
    const cache = new VerifiedCredentialCache();
    cache.remember("h", pw("p"), false);
    const bytes = cache.bytes;
    cache.remember("h", pw("p"), false);
    expect(cache.bytes).toBe(bytes);
    expect(cache.size).toBe(1);
  });

  it("rejects nonsense bounds", () => {
    expect(() => new VerifiedCredentialCache({ maxEntries: 0 })).toThrow(/maxEntries/);
    expect(() => new VerifiedCredentialCache({ maxBytes: 1.5 })).toThrow(/maxBytes/);
  });
});
