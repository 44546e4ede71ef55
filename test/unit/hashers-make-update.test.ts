// makePassword's formats (checked against each format's definition computed here with node:crypto, and by
// round trips), Django's must_update rules, presets and option validation.
import { createHash, pbkdf2Sync, scryptSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  DJANGO_VERSIONS,
  djangoDefaults,
  HasherOptionError,
  makePassword,
  resolveOptions,
  UnhashablePasswordError,
  verifyPassword,
  type AlgorithmName,
  type HasherOptions,
} from "../../src/index.js";

const LETMEIN = "lètmein";
const SALT22 = "abcdefghijklmnopqrstuv";

/** Cheap parameters for round trips; argon2 keeps Django's defaults except where a test says otherwise. */
const CHEAP: HasherOptions = {
  hashers: ["pbkdf2_sha256", "pbkdf2_sha1", "argon2", "bcrypt_sha256", "bcrypt", "scrypt", "md5", "sha1", "unsalted_md5", "unsalted_sha1"],
  params: {
    pbkdf2_sha256: { iterations: 1000 },
    pbkdf2_sha1: { iterations: 1000 },
    bcrypt_sha256: { rounds: 4 },
    bcrypt: { rounds: 4 },
    scrypt: { workFactor: 1024 },
  },
};

describe("makePassword formats", () => {
  it("pbkdf2_sha256 and pbkdf2_sha1: <alg>$<iter>$<salt>$<padded b64 of the derived key>", async () => {
    const dk256 = pbkdf2Sync(Buffer.from(LETMEIN), Buffer.from(SALT22), 1000, 32, "sha256").toString("base64");
    expect(await makePassword(LETMEIN, { ...CHEAP, hasher: "pbkdf2_sha256", salt: SALT22 })).toBe(`pbkdf2_sha256$1000$${SALT22}$${dk256}`);
    const dk1 = pbkdf2Sync(Buffer.from(LETMEIN), Buffer.from(SALT22), 1000, 20, "sha1").toString("base64");
    expect(await makePassword(LETMEIN, { ...CHEAP, hasher: "pbkdf2_sha1", salt: SALT22 })).toBe(`pbkdf2_sha1$1000$${SALT22}$${dk1}`);
  });

  it("salted md5/sha1 hash salt then password; unsalted forms are bare md5 and sha1$$", async () => {
    const md5 = createHash("md5").update(SALT22 + LETMEIN).digest("hex");
    expect(await makePassword(LETMEIN, { hasher: "md5", salt: SALT22 })).toBe(`md5$${SALT22}$${md5}`);
    const sha1 = createHash("sha1").update(SALT22 + LETMEIN).digest("hex");
    expect(await makePassword(LETMEIN, { hasher: "sha1", salt: SALT22 })).toBe(`sha1$${SALT22}$${sha1}`);
    expect(await makePassword(LETMEIN, { hasher: "unsalted_md5" })).toBe(createHash("md5").update(LETMEIN).digest("hex"));
    expect(await makePassword(LETMEIN, { hasher: "unsalted_sha1" })).toBe(`sha1$$${createHash("sha1").update(LETMEIN).digest("hex")}`);
  });

  it("scrypt: scrypt$N$salt$r$p$<padded b64 of 64 bytes>", async () => {
    const key = scryptSync(Buffer.from(LETMEIN), Buffer.from(SALT22), 64, { N: 1024, r: 8, p: 5 }).toString("base64");
    expect(await makePassword(LETMEIN, { ...CHEAP, hasher: "scrypt", salt: SALT22 })).toBe(`scrypt$1024$${SALT22}$8$5$${key}`);
  });

  it("argon2: argon2$argon2id$v=19$m=,t=,p=$<b64 of the salt text>$<hash>, Django's default costs", async () => {
    const encoded = await makePassword(LETMEIN, { hasher: "argon2", salt: SALT22 });
    const b64salt = Buffer.from(SALT22).toString("base64").replace(/=+$/, "");
    expect(encoded).toMatch(new RegExp(`^argon2\\$argon2id\\$v=19\\$m=102400,t=2,p=8\\$${b64salt}\\$[A-Za-z0-9+/]{43}$`));
    // 6.1's preset writes 32-byte hashes; 3.2's (argon2-cffi 21.1) 16-byte ones.
    const old = await makePassword(LETMEIN, { ...djangoDefaults("3.2"), hasher: "argon2", salt: SALT22 });
    expect(old).toMatch(/\$[A-Za-z0-9+/]{22}$/);
  });

  it("bcrypt and bcrypt_sha256 take a bcrypt salt string; bcrypt_sha256 is bcrypt over hex(sha256)", async () => {
    const salt = "$2b$04$abcdefghijklmnopqrstuu";
    const plain = await makePassword(LETMEIN, { hasher: "bcrypt", salt });
    expect(plain).toMatch(/^bcrypt\$\$2b\$04\$abcdefghijklmnopqrstuu[./A-Za-z0-9]{31}$/);
    const viaSha = await makePassword(LETMEIN, { hasher: "bcrypt_sha256", salt });
    const hex = createHash("sha256").update(LETMEIN).digest("hex");
    // bcrypt_sha256(pw) == "bcrypt_sha256$" + bcrypt(hex(sha256(pw))), i.e. plain bcrypt of the hex digits.
    expect(viaSha).toBe("bcrypt_sha256$" + (await makePassword(hex, { hasher: "bcrypt", salt })).slice("bcrypt$".length));
    // A generated salt is $2b$ with the configured rounds.
    expect(await makePassword(LETMEIN, { ...CHEAP, hasher: "bcrypt" })).toMatch(/^bcrypt\$\$2b\$04\$[./A-Za-z0-9]{53}$/);
  });

  it("generated salts are 22 characters of [a-zA-Z0-9] and differ", async () => {
    const a = await makePassword(LETMEIN, { ...CHEAP, hasher: "pbkdf2_sha256" });
    const b = await makePassword(LETMEIN, { ...CHEAP, hasher: "pbkdf2_sha256" });
    expect(a.split("$")[2]).toMatch(/^[a-zA-Z0-9]{22}$/);
    expect(a).not.toBe(b);
  });

  it("without options: the newest preset (6.1), pbkdf2_sha256 at 1,500,000 iterations", async () => {
    const encoded = await makePassword(LETMEIN);
    expect(encoded).toMatch(/^pbkdf2_sha256\$1500000\$[a-zA-Z0-9]{22}\$[A-Za-z0-9+/]{43}=$/);
    expect(await verifyPassword(LETMEIN, encoded)).toEqual({ valid: true, mustUpdate: false });
  });

  it("refuses what Django refuses, with typed errors", async () => {
    await expect(makePassword(LETMEIN, { hasher: "pbkdf2_sha256", salt: "a$b" })).rejects.toThrow(HasherOptionError);
    await expect(makePassword(LETMEIN, { hasher: "md5", salt: "" })).rejects.toThrow(HasherOptionError);
    await expect(makePassword(LETMEIN, { hasher: "bcrypt", salt: "nope" })).rejects.toThrow(HasherOptionError);
    await expect(makePassword(LETMEIN, { hasher: "crypt", salt: "abc" })).rejects.toThrow(HasherOptionError);
    await expect(makePassword("a\0b", { ...CHEAP, hasher: "bcrypt" })).rejects.toThrow(UnhashablePasswordError);
    await expect(makePassword("x".repeat(73), { ...CHEAP, hasher: "bcrypt", bcryptOverlongPasswords: "reject" })).rejects.toThrow(UnhashablePasswordError);
    await expect(makePassword(LETMEIN, { hasher: "nope" as AlgorithmName })).rejects.toThrow(HasherOptionError);
  });
});

describe("round trips", () => {
  const passwords = [LETMEIN, "", "p".repeat(200), "日本語パスワード", "  spaces  "];
  for (const algorithm of CHEAP.hashers!) {
    it(`${algorithm}: every password verifies against its own hash and no other`, async () => {
      const options = { ...CHEAP, hashers: [algorithm] };
      const list = algorithm === "argon2" ? passwords.slice(0, 2) : passwords;
      for (const password of list) {
        const encoded = await makePassword(password, { ...options, hasher: algorithm });
        // Made with the only enabled hasher and its parameters, so nothing to update.
        expect(await verifyPassword(password, encoded, options), password).toEqual({ valid: true, mustUpdate: false });
        expect((await verifyPassword(password + "!", encoded, options)).valid).toBe(algorithm === "bcrypt" && password.length >= 72);
      }
    });
  }

  it("raw non-UTF-8 bytes round-trip as bytes", async () => {
    const bytes = Buffer.from([0xff, 0xfe, 0x80, 0x41]);
    const encoded = await makePassword(bytes, { ...CHEAP, hasher: "pbkdf2_sha256" });
    expect((await verifyPassword(bytes, encoded, CHEAP)).valid).toBe(true);
    expect((await verifyPassword(bytes.toString("latin1"), encoded, CHEAP)).valid).toBe(false);
  });
});

describe("mustUpdate (Django's must_update)", () => {
  async function mustUpdate(encoded: string, password: string, options: HasherOptions): Promise<boolean> {
    const result = await verifyPassword(password, encoded, options);
    expect(result.valid).toBe(true);
    return result.mustUpdate;
  }
  const pbkdf2 = (iterations: number): HasherOptions => ({ hashers: ["pbkdf2_sha256", "pbkdf2_sha1", "md5", "bcrypt", "scrypt", "unsalted_md5"], params: { pbkdf2_sha256: { iterations } } });

  it("pbkdf2: iterations differ, or the salt is weak (12 characters), or the hasher is not the preferred one", async () => {
    const current = await makePassword(LETMEIN, { ...pbkdf2(1000), hasher: "pbkdf2_sha256" });
    expect(await mustUpdate(current, LETMEIN, pbkdf2(1000))).toBe(false);
    expect(await mustUpdate(current, LETMEIN, pbkdf2(1001))).toBe(true);
    const weak = await makePassword(LETMEIN, { ...pbkdf2(1000), hasher: "pbkdf2_sha256", salt: "abcdefghijkl" });
    expect(await mustUpdate(weak, LETMEIN, pbkdf2(1000))).toBe(true);
    // 22 characters reach 128 bits (22 * log2 62 = 131); 21 do not (127.9).
    const edge = await makePassword(LETMEIN, { ...pbkdf2(1000), hasher: "pbkdf2_sha256", salt: "a".repeat(21) });
    expect(await mustUpdate(edge, LETMEIN, pbkdf2(1000))).toBe(true);
    const sha1 = await makePassword(LETMEIN, { ...pbkdf2(1000), hasher: "pbkdf2_sha1", params: { pbkdf2_sha1: { iterations: 1000 } } });
    expect(await mustUpdate(sha1, LETMEIN, { ...pbkdf2(1000), params: { pbkdf2_sha256: { iterations: 1000 }, pbkdf2_sha1: { iterations: 1000 } } })).toBe(true);
  });

  it("salted md5: only the salt strength counts; unsalted forms only through the hasher change", async () => {
    const options: HasherOptions = { hashers: ["md5", "unsalted_md5"] };
    expect(await mustUpdate(await makePassword(LETMEIN, { hasher: "md5", salt: SALT22 }), LETMEIN, options)).toBe(false);
    expect(await mustUpdate(await makePassword(LETMEIN, { hasher: "md5", salt: "short" }), LETMEIN, options)).toBe(true);
    expect(await mustUpdate(await makePassword(LETMEIN, { hasher: "unsalted_md5" }), LETMEIN, { hashers: ["unsalted_md5"] })).toBe(false);
    expect(await mustUpdate(await makePassword(LETMEIN, { hasher: "unsalted_md5" }), LETMEIN, options)).toBe(true);
  });

  it("bcrypt: the work factor differs", async () => {
    const encoded = await makePassword(LETMEIN, { hasher: "bcrypt", params: { bcrypt: { rounds: 4 } } });
    expect(await mustUpdate(encoded, LETMEIN, { hashers: ["bcrypt"], params: { bcrypt: { rounds: 4 } } })).toBe(false);
    expect(await mustUpdate(encoded, LETMEIN, { hashers: ["bcrypt"], params: { bcrypt: { rounds: 5 } } })).toBe(true);
  });

  it("scrypt: N, r or p differ", async () => {
    const base = { workFactor: 1024, blockSize: 8, parallelism: 1 };
    const encoded = await makePassword(LETMEIN, { hasher: "scrypt", params: { scrypt: base } });
    expect(await mustUpdate(encoded, LETMEIN, { hashers: ["scrypt"], params: { scrypt: base } })).toBe(false);
    expect(await mustUpdate(encoded, LETMEIN, { hashers: ["scrypt"], params: { scrypt: { ...base, workFactor: 2048 } } })).toBe(true);
    expect(await mustUpdate(encoded, LETMEIN, { hashers: ["scrypt"], params: { scrypt: { ...base, blockSize: 4 } } })).toBe(true);
    expect(await mustUpdate(encoded, LETMEIN, { hashers: ["scrypt"], params: { scrypt: { ...base, parallelism: 2 } } })).toBe(true);
  });

  it("argon2: type, version, hash length and costs all count", async () => {
    const small = { timeCost: 1, memoryCost: 64, parallelism: 1, hashLength: 32 };
    const options: HasherOptions = { hashers: ["argon2"], params: { argon2: small } };
    const encoded = await makePassword(LETMEIN, { ...options, hasher: "argon2" });
    expect(await mustUpdate(encoded, LETMEIN, options)).toBe(false);
    for (const change of [{ timeCost: 2 }, { memoryCost: 128 }, { parallelism: 2 }, { hashLength: 16 }]) {
      expect(await mustUpdate(encoded, LETMEIN, { hashers: ["argon2"], params: { argon2: { ...small, ...change } } }), JSON.stringify(change)).toBe(true);
    }
    // Same costs but argon2i, or version 0x10 (with or without v=): must update.
    const argon2iV16 = "argon2$argon2i$v=16$m=512,t=2,p=2$c2Vhc2FsdHNlYXNhbHQ$RwateQKOC6NBixh/4g2eO1nGM6t1xovwtfaeVdKbqus";
    const same = { hashers: ["argon2"] as AlgorithmName[], params: { argon2: { timeCost: 2, memoryCost: 512, parallelism: 2, hashLength: 32 } } };
    expect(await mustUpdate(argon2iV16, LETMEIN, same)).toBe(true);
    expect(await mustUpdate(argon2iV16.replace("$v=16", ""), LETMEIN, same)).toBe(true);
  });
});

describe("presets and options", () => {
  it("djangoDefaults gives each version's PBKDF2 iterations, scrypt p and hasher list", () => {
    const iterations = [260000, 320000, 390000, 600000, 720000, 870000, 1000000, 1200000, 1500000];
    DJANGO_VERSIONS.forEach((version, i) => {
      const preset = djangoDefaults(version);
      expect(preset.params.pbkdf2_sha256.iterations, version).toBe(iterations[i]);
      expect(preset.params.pbkdf2_sha1.iterations, version).toBe(iterations[i]);
      expect(preset.params.bcrypt_sha256.rounds).toBe(12);
      expect(preset.params.argon2).toMatchObject({ timeCost: 2, memoryCost: 102400, parallelism: 8 });
      expect(preset.params.scrypt.workFactor).toBe(16384);
      expect(preset.params.scrypt.parallelism, version).toBe(["5.1", "5.2", "6.0", "6.1"].includes(version) ? 5 : 1);
      const list = ["pbkdf2_sha256", "pbkdf2_sha1", "argon2", "bcrypt_sha256"];
      expect(preset.hashers, version).toEqual(version === "3.2" ? list : [...list, "scrypt"]);
    });
    expect(() => djangoDefaults("3.1")).toThrow(HasherOptionError);
    expect(() => djangoDefaults("7.0")).toThrow(HasherOptionError);
  });

  it("a preset's output can be passed back as options, and changing the preset changes mustUpdate", async () => {
    const encoded = await makePassword(LETMEIN, { ...djangoDefaults("3.2"), params: { pbkdf2_sha256: { iterations: 260000 } } });
    expect(encoded.startsWith("pbkdf2_sha256$260000$")).toBe(true);
    expect((await verifyPassword(LETMEIN, encoded, djangoDefaults("3.2"))).mustUpdate).toBe(false);
    expect((await verifyPassword(LETMEIN, encoded, djangoDefaults("4.0"))).mustUpdate).toBe(true);
  });

  it("invalid options throw HasherOptionError naming the field", () => {
    const bad: Array<[HasherOptions, string]> = [
      [{ hashers: [] }, "hashers"],
      [{ hashers: ["pbkdf2_sha256", "whirlpool" as AlgorithmName] }, "hashers"],
      [{ hashers: ["md5", "md5"] }, "hashers"],
      [{ params: { pbkdf2_sha256: { iterations: 0 } } }, "params.pbkdf2_sha256.iterations"],
      [{ params: { pbkdf2_sha256: { iterations: 1.5 } } }, "params.pbkdf2_sha256.iterations"],
      [{ params: { bcrypt: { rounds: 3 } } }, "params.bcrypt.rounds"],
      [{ params: { bcrypt_sha256: { rounds: 32 } } }, "params.bcrypt_sha256.rounds"],
      [{ params: { scrypt: { workFactor: 1000 } } }, "params.scrypt.workFactor"],
      [{ params: { argon2: { memoryCost: 8, parallelism: 2 } } }, "params.argon2.memoryCost"],
      [{ bcryptOverlongPasswords: "drop" as "reject" }, "bcryptOverlongPasswords"],
    ];
    for (const [options, option] of bad) {
      let caught: unknown;
      try {
        resolveOptions(options);
      } catch (error) {
        caught = error;
      }
      expect(caught, option).toBeInstanceOf(HasherOptionError);
      expect((caught as HasherOptionError).option).toBe(option);
    }
  });

  it("verifyPassword rejects invalid options instead of answering", async () => {
    await expect(verifyPassword(LETMEIN, "md5$a$b", { hashers: [] })).rejects.toThrow(HasherOptionError);
  });
});
