// Django's CryptPasswordHasher through the system's crypt(3) (the addon's crypt_rn on libuv's pool).
// The first block is Django's own crypt test: tests/auth_tests/test_hashers.py in django/django,
// TestUtilsHashPass.test_crypt (the same from stable/3.2.x to stable/4.2.x; the test went with the hasher in
// 5.0), with test_crypt_encode_invalid_salt and test_crypt_encode_invalid_hash of 4.2.x. The other method
// vectors were made with Python's crypt.crypt (what Django calls) on Debian 12's libxcrypt 4.4.33;
// test/integration/hashers-django.test.ts compares with Django itself, live.
import { describe, expect, it } from "vitest";
import {
  DJANGO_VERSIONS,
  djangoDefaults,
  HasherOptionError,
  identifyHasher,
  isPasswordUsable,
  makePassword,
  MalformedHashError,
  UnhashablePasswordError,
  UnsupportedHasherError,
  verifyPassword,
  checkPassword,
  type HasherOptions,
} from "../../src/index.js";
import { CryptHasher } from "../../src/django/hashers/crypt.js";
import { countJobs } from "../support/async-jobs.js";

/** Django's @override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.CryptPasswordHasher"]). */
const CRYPT_ONLY: HasherOptions = { hashers: ["crypt"] };
/** crypt enabled behind a cheap preferred PBKDF2, so that timing-parity runs are countable and cheap. */
const BEHIND_PBKDF2: HasherOptions = { hashers: ["pbkdf2_sha256", "crypt"], params: { pbkdf2_sha256: { iterations: 1000 } } };

/** Made by Django 3.2.25 (make_password("lètmein", "ab", "crypt")). */
const DJANGO_LETMEIN = "crypt$$abprj99vCww4M";

/** crypt.crypt("lètmein", setting) for the methods libxcrypt offers besides DES. */
const METHOD_VECTORS: ReadonlyArray<{ method: string; encoded: string }> = [
  { method: "md5 $1$", encoded: "crypt$$$1$abcdefgh$gxOQ/exEyaqQ/0yO5CDWM0" },
  { method: "sha256 $5$ rounds=1000", encoded: "crypt$$$5$rounds=1000$abcdefgh$ZDKXSr9d987k6/IXfMrcOD19cK0.P98ifi7pP9NboCB" },
  { method: "sha512 $6$", encoded: "crypt$$$6$saltsalt$F.Sl7yZBDrBmc.yHz45ohIXtT6jBaT.71P/v.Ggg.4pOrYQ5XL.RSnlcbeJAROmC7KlQWZFY4ZuTfEzVOiCAe." },
  { method: "yescrypt $y$", encoded: "crypt$$$y$j9T$kM5..zSzyqhUmLOtqjsrM/$yp.iXZFLKHQjRwgVlAJaZlKmm05pZn9K6A6jp9pff6." },
  { method: "bcrypt $2b$", encoded: "crypt$$$2b$04$abcdefghijklmnopqrstuuanVo7Xut1CH8VGIGlz1JovQh9GJbbtG" },
  { method: "BSDi extended DES", encoded: "crypt$$_J9..CCCCHr4yv49Tjp6" },
];

describe("crypt: Django's test_crypt", () => {
  it("make_password('lètmei', 'ab', 'crypt') is crypt$$ab1Hv2Lg7ltQo, usable and identified as crypt", async () => {
    const encoded = await makePassword("lètmei", { ...CRYPT_ONLY, hasher: "crypt", salt: "ab" });
    expect(encoded).toBe("crypt$$ab1Hv2Lg7ltQo");
    expect(isPasswordUsable(encoded)).toBe(true);
    expect(identifyHasher(encoded)).toBe("crypt");
  });

  it("check_password: lètmei is right, lètmeiz is wrong", async () => {
    expect(await checkPassword("lètmei", "crypt$$ab1Hv2Lg7ltQo", CRYPT_ONLY)).toBe(true);
    expect(await checkPassword("lètmeiz", "crypt$$ab1Hv2Lg7ltQo", CRYPT_ONLY)).toBe(false);
  });

  it("blank passwords: '' verifies against its own hash, ' ' does not", async () => {
    const blank = await makePassword("", { ...CRYPT_ONLY, hasher: "crypt", salt: "ab" });
    expect(blank.startsWith("crypt$")).toBe(true);
    expect(isPasswordUsable(blank)).toBe(true);
    expect(await checkPassword("", blank, CRYPT_ONLY)).toBe(true);
    expect(await checkPassword(" ", blank, CRYPT_ONLY)).toBe(false);
  });

  it("a salt that is not 2 characters is refused (test_crypt_encode_invalid_salt)", async () => {
    for (const salt of ["a", "abc", ""]) {
      await expect(makePassword("password", { hasher: "crypt", salt }), salt).rejects.toThrow(HasherOptionError);
    }
  });

  it("a salt crypt(3) refuses is never written as a hash (test_crypt_encode_invalid_hash: Django raises)", async () => {
    for (const salt of ["$$", "é1", "*0", "!x"]) {
      await expect(makePassword("password", { hasher: "crypt", salt }), salt).rejects.toThrow(HasherOptionError);
    }
  });

  it("a fresh salt is 2 characters of [a-zA-Z0-9], and the hash verifies", async () => {
    const encoded = await makePassword("lètmein", { ...CRYPT_ONLY, hasher: "crypt" });
    expect(encoded).toMatch(/^crypt\$\$[a-zA-Z0-9]{2}[./0-9A-Za-z]{11}$/);
    expect(await checkPassword("lètmein", encoded, CRYPT_ONLY)).toBe(true);
  });
});

describe("crypt: what crypt(3) computes, as Django sees it", () => {
  it("verifies Django 3.2's hash in one crypt(3) job on the pool, with Django's must_update", async () => {
    let result;
    expect(await countJobs("anp_crypt", async () => (result = await verifyPassword("lètmein", DJANGO_LETMEIN, CRYPT_ONLY)))).toBe(1);
    expect(result).toEqual({ valid: true, mustUpdate: false });
    // Another preferred hasher: the hasher changed, so Django would upgrade.
    expect(await verifyPassword("lètmein", DJANGO_LETMEIN, BEHIND_PBKDF2)).toEqual({ valid: true, mustUpdate: true });
  });

  it("traditional DES reads 8 bytes and 7 bits of each, as crypt(3) does", async () => {
    // "lètmein" is 8 bytes in UTF-8: what follows is ignored.
    expect(await checkPassword("lètmeinx", DJANGO_LETMEIN, CRYPT_ONLY)).toBe(true);
    // è is C3 A8; without the top bits that is "C(".
    expect(await checkPassword("lC(tmei", "crypt$$ab1Hv2Lg7ltQo", CRYPT_ONLY)).toBe(true);
    expect(await checkPassword("lètmei", DJANGO_LETMEIN, CRYPT_ONLY)).toBe(false);
  });

  for (const { method, encoded } of METHOD_VECTORS) {
    it(`${method}: the stored crypt(3) string is the setting`, async () => {
      expect(await checkPassword("lètmein", encoded, CRYPT_ONLY)).toBe(true);
      expect(await checkPassword("lètmeinx", encoded, CRYPT_ONLY)).toBe(false);
      expect(await checkPassword("", encoded, CRYPT_ONLY)).toBe(false);
    });
  }

  it("harden_runtime does nothing: a wrong password costs one crypt(3) call and no other hashing", async () => {
    const count = async (type: string): Promise<number> => countJobs(type, () => verifyPassword("wrong", DJANGO_LETMEIN, CRYPT_ONLY));
    expect(await count("anp_crypt")).toBe(1);
    expect(await count("PBKDF2REQUEST")).toBe(0);
  });

  it("concurrent checks on several pool threads each get their own answer", async () => {
    const checks = Array.from({ length: 48 }, (_, i) => {
      const { encoded } = METHOD_VECTORS[i % METHOD_VECTORS.length]!;
      const right = i % 3 !== 0;
      return checkPassword(right ? "lètmein" : `wrong${i}`, encoded, CRYPT_ONLY).then((valid) => expect(valid, `${i}`).toBe(right));
    });
    await Promise.all(checks);
  });
});

describe("crypt: what Django refuses or cannot compute gives false", () => {
  it("a setting crypt(3) refuses (failure token, empty, bad salt) is malformed, after the timing-parity run", async () => {
    for (const encoded of ["crypt$$*0", "crypt$$*1", "crypt$$", "crypt$$!xabcdefghijk", "crypt$$é1abcdefghijk", "crypt$$$y$j9T$short"]) {
      let result;
      const jobs = await countJobs("PBKDF2REQUEST", async () => (result = await verifyPassword("lètmein", encoded, BEHIND_PBKDF2)));
      expect(result, encoded).toMatchObject({ valid: false, mustUpdate: false, failure: "malformed" });
      expect(result!.error, encoded).toBeInstanceOf(MalformedHashError);
      expect(jobs, encoded).toBe(1);
    }
  });

  it("a value without the second $ is malformed (Django's decode raises)", async () => {
    expect(await verifyPassword("lètmein", "crypt$abprj99vCww4M", CRYPT_ONLY)).toMatchObject({ valid: false, failure: "malformed" });
  });

  it("a password with a NUL byte, or of 512 bytes or more, cannot be hashed (Django raises, or crypt(3) fails)", async () => {
    for (const password of ["lètm\0ein", "a".repeat(512), "é".repeat(300)]) {
      const result = await verifyPassword(password, DJANGO_LETMEIN, CRYPT_ONLY);
      expect(result, password.slice(0, 8)).toMatchObject({ valid: false, failure: "unhashable-password" });
      expect(result.error).toBeInstanceOf(UnhashablePasswordError);
    }
    // 511 bytes still go to crypt(3) (DES reads 8 of them).
    expect(await checkPassword("lètmein" + "a".repeat(503), DJANGO_LETMEIN, CRYPT_ONLY)).toBe(true);
  });

  it("without the native addon the hasher says unsupported, never true", async () => {
    const hasher = new CryptHasher(() => null);
    await expect(hasher.verify(Buffer.from("lètmein"), DJANGO_LETMEIN)).rejects.toThrow(UnsupportedHasherError);
    await expect(hasher.encode(Buffer.from("lètmein"), "ab")).rejects.toThrow(UnsupportedHasherError);
  });
});

describe("crypt and django_version", () => {
  for (const version of DJANGO_VERSIONS) {
    it(`${version}: refused unless PASSWORD_HASHERS names it (no Django default ever did)`, async () => {
      // The preset's hasher list; a cheap PBKDF2 for the timing-parity run of the refusal.
      const preset = { ...djangoDefaults(version), params: { pbkdf2_sha256: { iterations: 1000 } } };
      expect(await verifyPassword("lètmein", DJANGO_LETMEIN, preset)).toMatchObject({ valid: false, failure: "disabled-algorithm" });
      const named = { ...preset, hashers: [...preset.hashers, "crypt" as const] };
      expect(await verifyPassword("lètmein", DJANGO_LETMEIN, named)).toMatchObject({ valid: true, mustUpdate: true });
    });
  }
});
