// Verification against stored hashes: vectors made by Django 3.2.25 (Debian's python3-django with
// python3-argon2 21.1 and python3-bcrypt 3.2.2, fixed salts, generated once and pasted here), plus what the
// issue demands around them: identify rules, unusable/unknown/disabled/corrupt values giving false without
// throwing, the timing-parity run and harden_runtime (observed as real PBKDF2 jobs through async_hooks).
import { describe, expect, it } from "vitest";
import {
  ALGORITHMS,
  checkPassword,
  DisabledHasherError,
  identifyHasher,
  isPasswordUsable,
  makeUnusablePassword,
  MalformedHashError,
  UnknownHasherError,
  UnhashablePasswordError,
  verifyPassword,
  type HasherOptions,
} from "../../src/index.js";
import { countJobs } from "../support/async-jobs.js";

const LETMEIN = "lètmein";
const PW72 = "a".repeat(70) + "è"; // 72 bytes in UTF-8
const PW73 = "b".repeat(73);

/** Django 3.2.25's output: check_password(password) was True and check_password(password + "x") False. */
const DJANGO_VECTORS: ReadonlyArray<{ name: string; password: string; encoded: string }> = [
  { name: "pbkdf2_sha256", password: LETMEIN, encoded: "pbkdf2_sha256$1000$seasalt$JgZryXe2Ga8ysg6XbzkLpTdyPQrHqsinbL9BnnhgX4A=" },
  { name: "pbkdf2_sha256 empty password", password: "", encoded: "pbkdf2_sha256$1000$seasalt$XHfRVmyEZRTCcSbqGP00JKv0fRwYHK0ogjPZdSJxCXk=" },
  { name: "pbkdf2_sha1", password: LETMEIN, encoded: "pbkdf2_sha1$1000$seasalt$ljleU4wBmTtz/MoG5YTwxpM0d7I=" },
  { name: "md5", password: LETMEIN, encoded: "md5$seasalt$3f86d0d3d465b7b458c231bf3555c0e3" },
  { name: "sha1", password: LETMEIN, encoded: "sha1$seasalt$cff36ea83f5706ce9aa7454e63e431fc726b2dc8" },
  { name: "unsalted_md5", password: LETMEIN, encoded: "88a434c88cca4e900f7874cd98123f43" },
  { name: "unsalted_md5 md5$$ form", password: LETMEIN, encoded: "md5$$88a434c88cca4e900f7874cd98123f43" },
  { name: "unsalted_sha1", password: LETMEIN, encoded: "sha1$$6d138ca3ae545631b3abd71a4f076ce759c5700b" },
  { name: "argon2id (Django defaults, 16-byte hash)", password: LETMEIN, encoded: "argon2$argon2id$v=19$m=102400,t=2,p=8$c2Vhc2FsdHNlYXNhbHQ$n/a6+o5lve5+w7Q7gx8Uuw" },
  { name: "argon2i v=16", password: LETMEIN, encoded: "argon2$argon2i$v=16$m=512,t=2,p=2$c2Vhc2FsdHNlYXNhbHQ$RwateQKOC6NBixh/4g2eO1nGM6t1xovwtfaeVdKbqus" },
  { name: "argon2i versionless (0x10)", password: LETMEIN, encoded: "argon2$argon2i$m=512,t=2,p=2$c2Vhc2FsdHNlYXNhbHQ$RwateQKOC6NBixh/4g2eO1nGM6t1xovwtfaeVdKbqus" },
  { name: "bcrypt_sha256", password: LETMEIN, encoded: "bcrypt_sha256$$2b$05$abcdefghijklmnopqrstuuaQz6CVhbgRiZmnmiNLc9bv5cauhFkti" },
  { name: "bcrypt $2b$", password: LETMEIN, encoded: "bcrypt$$2b$05$abcdefghijklmnopqrstuu2c1e4vZoCxDVRU9N6VCSSmNg4cQa1Ve" },
  { name: "bcrypt $2a$", password: LETMEIN, encoded: "bcrypt$$2a$05$abcdefghijklmnopqrstuu2c1e4vZoCxDVRU9N6VCSSmNg4cQa1Ve" },
  { name: "bcrypt $2y$", password: LETMEIN, encoded: "bcrypt$$2y$05$abcdefghijklmnopqrstuu2c1e4vZoCxDVRU9N6VCSSmNg4cQa1Ve" },
  { name: "bcrypt 72 bytes", password: PW72, encoded: "bcrypt$$2b$05$abcdefghijklmnopqrstuu1/yE0HBfQpr8UvpSSvgdU91TAIKGZKy" },
];
/** Django 3.2.25 + bcrypt 3.2.2: check_password of the 73-byte password and of its first 72 bytes were both True. */
const DJANGO_BCRYPT_73 = "bcrypt$$2b$05$abcdefghijklmnopqrstuuANo2D/0RygHrRNJnDB9bVrQ6P0Ljn/a";

/** Every hasher enabled, the preferred one cheap so that timing-parity runs cost little. */
const ALL: HasherOptions = { hashers: [...ALGORITHMS], params: { pbkdf2_sha256: { iterations: 1000 } } };

describe("Django 3.2 vectors", () => {
  for (const vector of DJANGO_VECTORS) {
    it(`${vector.name}: right password verifies, as string and as Buffer`, async () => {
      expect(await checkPassword(vector.password, vector.encoded, ALL)).toBe(true);
      expect(await checkPassword(Buffer.from(vector.password, "utf8"), vector.encoded, ALL)).toBe(true);
    });
    it(`${vector.name}: wrong passwords fail`, async () => {
      const wrong = [vector.password + "x", vector.password.toUpperCase() === vector.password ? "nope" : vector.password.toUpperCase()];
      // Truncating bcrypt keeps 72-byte passwords equal with anything appended; only test a real difference there.
      if (vector.name === "bcrypt 72 bytes") wrong.splice(0, 1, "a".repeat(71));
      if (vector.password !== "") wrong.push("");
      for (const password of wrong) {
        const result = await verifyPassword(password, vector.encoded, ALL);
        expect(result.valid, password).toBe(false);
        expect(result.failure, password).toBeUndefined();
      }
    });
  }

  it("lètmein as Latin-1 bytes is not lètmein (str passwords are UTF-8)", async () => {
    expect(await checkPassword(Buffer.from(LETMEIN, "latin1"), DJANGO_VECTORS[0]!.encoded, ALL)).toBe(false);
  });
});

describe("plain bcrypt over 72 bytes", () => {
  it("truncates like Django 3.2 with bcrypt 3.2 (default)", async () => {
    expect(await checkPassword(PW73, DJANGO_BCRYPT_73, ALL)).toBe(true);
    expect(await checkPassword(PW73.slice(0, 72), DJANGO_BCRYPT_73, ALL)).toBe(true);
    expect(await checkPassword(PW73.slice(0, 71), DJANGO_BCRYPT_73, ALL)).toBe(false);
  });

  it("rejects when asked to, like bcrypt >= 5 (false, never an exception)", async () => {
    const result = await verifyPassword(PW73, DJANGO_BCRYPT_73, { ...ALL, bcryptOverlongPasswords: "reject" });
    expect(result).toMatchObject({ valid: false, failure: "unhashable-password" });
    // 72 bytes are still fine.
    expect(await checkPassword(PW73.slice(0, 72), DJANGO_BCRYPT_73, { ...ALL, bcryptOverlongPasswords: "reject" })).toBe(true);
  });

  it("refuses NUL bytes as pyca/bcrypt does (Django would raise): false", async () => {
    const result = await verifyPassword(Buffer.from("lèt\0mein"), DJANGO_VECTORS[12]!.encoded, ALL);
    expect(result).toMatchObject({ valid: false, failure: "unhashable-password" });
    expect(result.error).toBeInstanceOf(UnhashablePasswordError);
  });
});

describe("identifyHasher", () => {
  it("follows Django's shape rules for the unsalted hashers", () => {
    expect(identifyHasher("0123456789abcdef0123456789abcdef")).toBe("unsalted_md5");
    // Any 32 characters without $ count, even non-hex (they will just never verify).
    expect(identifyHasher("z".repeat(32))).toBe("unsalted_md5");
    expect(identifyHasher("md5$$" + "a".repeat(32))).toBe("unsalted_md5");
    expect(identifyHasher("md5$$" + "a".repeat(31))).toBe("md5");
    expect(identifyHasher("sha1$$" + "a".repeat(40))).toBe("unsalted_sha1");
    expect(identifyHasher("sha1$$" + "a".repeat(39))).toBe("sha1");
    expect(() => identifyHasher("a".repeat(40))).toThrow(UnknownHasherError);
  });

  it("otherwise names the text before the first $", () => {
    expect(identifyHasher("pbkdf2_sha256$x")).toBe("pbkdf2_sha256");
    expect(identifyHasher("bcrypt$$2b$12$...")).toBe("bcrypt");
    expect(() => identifyHasher("")).toThrow(UnknownHasherError);
    expect(() => identifyHasher("foo$bar$baz")).toThrow(UnknownHasherError);
    expect(() => identifyHasher("PBKDF2_SHA256$1$a$b")).toThrow(UnknownHasherError);
  });

  it("never puts a value without $ (maybe a plaintext password) into the error", () => {
    for (const stored of ["hunter2-plaintext", "a".repeat(40), "my secret$"]) {
      let caught: unknown;
      try {
        identifyHasher(stored);
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(UnknownHasherError);
      expect((caught as Error).message).not.toContain(stored.replace("$", ""));
      expect((caught as UnknownHasherError).algorithm).toBeNull();
    }
    expect(() => identifyHasher("whirlpool$x")).toThrow("unknown password hashing algorithm 'whirlpool'");
  });

  it("with options, refuses algorithms that are not enabled", () => {
    expect(() => identifyHasher("md5$salt$abc", { hashers: ["pbkdf2_sha256"] })).toThrow(DisabledHasherError);
    expect(identifyHasher("md5$salt$abc", { hashers: ["pbkdf2_sha256", "md5"] })).toBe("md5");
  });
});

describe("values that never verify, and Django's timing parity", () => {
  const cheap: HasherOptions = { hashers: ["pbkdf2_sha256", "pbkdf2_sha1", "argon2", "bcrypt_sha256"], params: { pbkdf2_sha256: { iterations: 1000 } } };
  const cases: ReadonlyArray<[string, string, string]> = [
    ["unusable", makeUnusablePassword(), "unusable"],
    ["bare !", "!", "unusable"],
    ["empty", "", "unknown-algorithm"],
    ["garbage", "lètmein_badencoded", "unknown-algorithm"],
    ["unknown algorithm", "whirlpool$1$a$b", "unknown-algorithm"],
    ["disabled md5", "md5$seasalt$3f86d0d3d465b7b458c231bf3555c0e3", "disabled-algorithm"],
    ["disabled unsalted_md5", "88a434c88cca4e900f7874cd98123f43", "disabled-algorithm"],
  ];
  for (const [name, encoded, failure] of cases) {
    it(`${name}: false with reason ${failure}, after one run of the preferred hasher`, async () => {
      let result;
      const jobs = await countJobs("PBKDF2REQUEST", async () => {
        result = await verifyPassword(LETMEIN, encoded, cheap);
      });
      expect(result).toMatchObject({ valid: false, mustUpdate: false, failure });
      expect(jobs).toBe(1);
    });
  }

  it("the timing-parity run uses the preferred hasher, whatever it is", async () => {
    const jobs = await countJobs("bcrypt:EncryptAsyncWorker", () =>
      verifyPassword(LETMEIN, "", { hashers: ["bcrypt_sha256", "pbkdf2_sha256"], params: { bcrypt_sha256: { rounds: 4 } } }),
    );
    expect(jobs).toBe(1);
  });

  it("a disabled hasher gives false even for the right password", async () => {
    expect(await checkPassword(LETMEIN, "md5$seasalt$3f86d0d3d465b7b458c231bf3555c0e3", cheap)).toBe(false);
    expect(await checkPassword(LETMEIN, "md5$seasalt$3f86d0d3d465b7b458c231bf3555c0e3", { hashers: ["md5"] })).toBe(true);
  });

  it("isPasswordUsable is Django's: only a ! prefix is unusable", () => {
    expect(isPasswordUsable("!")).toBe(false);
    expect(isPasswordUsable(makeUnusablePassword())).toBe(false);
    expect(isPasswordUsable("")).toBe(true);
    expect(isPasswordUsable("lètmein_badencoded")).toBe(true);
    expect(isPasswordUsable(null)).toBe(true);
    expect(makeUnusablePassword()).toMatch(/^![a-zA-Z0-9]{40}$/);
    expect(makeUnusablePassword()).not.toBe(makeUnusablePassword());
  });
});

describe("corrupt and truncated encodings", () => {
  // Cheap vectors only: every prefix and many one-character changes of each are checked.
  const cheapVectors = DJANGO_VECTORS.filter((v) => !v.encoded.includes("m=102400"));

  it("every proper prefix of every vector gives false and never throws", async () => {
    for (const vector of cheapVectors) {
      for (let length = 0; length < vector.encoded.length; length++) {
        const truncated = vector.encoded.slice(0, length);
        const result = await verifyPassword(vector.password, truncated, ALL);
        expect(result.valid, `${vector.name} cut at ${length}`).toBe(false);
      }
    }
  });

  it("changing any one character of the digest or salt gives false", async () => {
    for (const vector of cheapVectors) {
      // Positions after the algorithm name; bcrypt's last base64 character carries padding bits, skip it.
      const start = vector.encoded.indexOf("$") + 1;
      const end = vector.encoded.startsWith("bcrypt") ? vector.encoded.length - 1 : vector.encoded.length;
      for (let i = start; i < end; i++) {
        const c = vector.encoded[i]!;
        if (c === "$") continue;
        const swapped = c === "A" ? "B" : "A";
        const corrupt = vector.encoded.slice(0, i) + swapped + vector.encoded.slice(i + 1);
        const result = await verifyPassword(vector.password, corrupt, ALL);
        expect(result.valid, `${vector.name} changed at ${i}`).toBe(false);
      }
    }
  });

  it("structural damage is reported as malformed", async () => {
    const malformed = [
      "pbkdf2_sha256$abc$seasalt$JgZryXe2Ga8ysg6XbzkLpTdyPQrHqsinbL9BnnhgX4A=",
      "pbkdf2_sha256$0$seasalt$JgZryXe2Ga8ysg6XbzkLpTdyPQrHqsinbL9BnnhgX4A=",
      "pbkdf2_sha256$1000$$JgZryXe2Ga8ysg6XbzkLpTdyPQrHqsinbL9BnnhgX4A=",
      "argon2$argon2x$v=19$m=512,t=2,p=2$c2Vhc2FsdHNlYXNhbHQ$RwateQKOC6NBixh/4g2eO1nGM6t1xovwtfaeVdKbqus",
      "argon2$argon2i$v=19$m=512,t=2,p=2$c2Vhc2FsdHNlYXNhbHQ=$RwateQKOC6NBixh/4g2eO1nGM6t1xovwtfaeVdKbqus",
      "argon2$argon2i$v=17$m=512,t=2,p=2$c2Vhc2FsdHNlYXNhbHQ$RwateQKOC6NBixh/4g2eO1nGM6t1xovwtfaeVdKbqus",
      "bcrypt$$2x$05$abcdefghijklmnopqrstuu2c1e4vZoCxDVRU9N6VCSSmNg4cQa1Ve",
      "bcrypt$$2b$03$abcdefghijklmnopqrstuu2c1e4vZoCxDVRU9N6VCSSmNg4cQa1Ve",
      "bcrypt$$2b$05$abcdéfghijklmnopqrstuu2c1e4vZoCxDVRU9N6VCSSmNg4cQa1Ve",
      "scrypt$16384$seasalt$8$1$" + "A".repeat(86) + "==$extra",
      "scrypt$32768$seasalt$8$1$" + "A".repeat(86) + "==",
      "md5$$3f86d0d3d465b7b458c231bf3555c0e3ab",
    ];
    for (const encoded of malformed) {
      let result;
      // Not computed, so the preferred hasher (pbkdf2_sha256 in ALL) runs instead: one PBKDF2 job each.
      const jobs = await countJobs("PBKDF2REQUEST", async () => {
        result = await verifyPassword(LETMEIN, encoded, ALL);
      });
      expect(result, encoded).toMatchObject({ valid: false, failure: "malformed" });
      expect(result!.error, encoded).toBeInstanceOf(MalformedHashError);
      expect(jobs, encoded).toBe(1);
    }
  });
});

describe("harden_runtime", () => {
  const stored = DJANGO_VECTORS[0]!.encoded; // pbkdf2_sha256, 1000 iterations

  it("a wrong password on an older PBKDF2 hash runs the missing iterations too", async () => {
    const options: HasherOptions = { hashers: ["pbkdf2_sha256"], params: { pbkdf2_sha256: { iterations: 2000 } } };
    expect(await countJobs("PBKDF2REQUEST", () => verifyPassword("wrong", stored, options))).toBe(2);
    // Not for a right password, nor when the iterations are current.
    expect(await countJobs("PBKDF2REQUEST", () => verifyPassword(LETMEIN, stored, options))).toBe(1);
    expect(await countJobs("PBKDF2REQUEST", () => verifyPassword("wrong", stored, { hashers: ["pbkdf2_sha256"], params: { pbkdf2_sha256: { iterations: 1000 } } }))).toBe(1);
  });

  it("not when the hasher changed (Django does not protect that case)", async () => {
    const options: HasherOptions = { hashers: ["pbkdf2_sha1", "pbkdf2_sha256"], params: { pbkdf2_sha1: { iterations: 2000 }, pbkdf2_sha256: { iterations: 2000 } } };
    expect(await countJobs("PBKDF2REQUEST", () => verifyPassword("wrong", stored, options))).toBe(1);
  });

  it("bcrypt re-runs 2^(configured - stored) - 1 times", async () => {
    const bcryptStored = DJANGO_VECTORS[12]!.encoded; // $2b$05$
    const options: HasherOptions = { hashers: ["bcrypt"], params: { bcrypt: { rounds: 7 } } };
    expect(await countJobs("bcrypt:EncryptAsyncWorker", () => verifyPassword("wrong", bcryptStored, options))).toBe(1 + 3);
    expect(await countJobs("bcrypt:EncryptAsyncWorker", () => verifyPassword(LETMEIN, bcryptStored, options))).toBe(1);
  });
});
