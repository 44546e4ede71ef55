// Properties over generated inputs (fast-check): any password round-trips through every cheap hasher, a
// different password never verifies (outside bcrypt's 72-byte window), and verifyPassword never throws,
// whatever string is stored.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ALGORITHMS, checkPassword, makePassword, verifyPassword, type AlgorithmName, type HasherOptions } from "../../src/index.js";

const CHEAP: HasherOptions = {
  hashers: [...ALGORITHMS],
  params: {
    pbkdf2_sha256: { iterations: 10 },
    pbkdf2_sha1: { iterations: 10 },
    bcrypt_sha256: { rounds: 4 },
    bcrypt: { rounds: 4 },
    scrypt: { workFactor: 16, blockSize: 1, parallelism: 1 },
    argon2: { timeCost: 1, memoryCost: 8, parallelism: 1 },
  },
};
const FAST: readonly AlgorithmName[] = ["pbkdf2_sha256", "pbkdf2_sha1", "scrypt", "md5", "sha1", "unsalted_md5", "unsalted_sha1", "argon2", "bcrypt_sha256"];

const password = fc.oneof(fc.string({ unit: "grapheme", maxLength: 40 }), fc.string({ unit: "binary", maxLength: 40 }));

describe("properties", () => {
  for (const hasher of FAST) {
    it(`${hasher}: a password verifies against its own hash, another one does not`, async () => {
      await fc.assert(
        fc.asyncProperty(password, password, async (a, b) => {
          const encoded = await makePassword(a, { ...CHEAP, hasher });
          expect(await checkPassword(a, encoded, CHEAP)).toBe(true);
          expect(await checkPassword(Buffer.from(a, "utf8"), encoded, CHEAP)).toBe(true);
          if (Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8")) !== 0) {
            expect(await checkPassword(b, encoded, CHEAP)).toBe(false);
          }
        }),
        { numRuns: 40 },
      );
    });
  }

  it("raw byte passwords (any bytes, not UTF-8) round-trip through pbkdf2 and argon2", async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 64 }), fc.constantFrom<AlgorithmName>("pbkdf2_sha256", "argon2", "bcrypt_sha256"), async (bytes, hasher) => {
        const encoded = await makePassword(Buffer.from(bytes), { ...CHEAP, hasher });
        expect(await checkPassword(Buffer.from(bytes), encoded, CHEAP)).toBe(true);
      }),
      { numRuns: 40 },
    );
  });

  it("verifyPassword never throws and never grants for arbitrary stored strings", async () => {
    const stored = fc.oneof(
      fc.string({ unit: "binary", maxLength: 80 }),
      fc.constantFrom(...ALGORITHMS).chain((name) => fc.string({ maxLength: 60 }).map((rest) => `${name}$${rest}`)),
      fc.constantFrom("pbkdf2_sha256$10$", "argon2$argon2id$v=19$m=8,t=1,p=1$", "bcrypt$$2b$04$", "scrypt$16$").chain((head) =>
        fc.string({ maxLength: 40 }).map((rest) => head + rest),
      ),
    );
    await fc.assert(
      fc.asyncProperty(password, stored, async (pw, encoded) => {
        const result = await verifyPassword(pw, encoded, CHEAP);
        // A random string is astronomically unlikely to be a valid hash of a random password.
        expect(result.valid).toBe(false);
      }),
      { numRuns: 300 },
    );
  });
});
