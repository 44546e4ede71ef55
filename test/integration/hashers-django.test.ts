// Differential test against real Django 3.2 (Debian's python3-django, python3-argon2, python3-bcrypt), driven
// through test/oracle/hashers_oracle.py: Django makes hashes that we must verify (and reject wrong passwords
// for), we make hashes that Django must verify, and for many (preferred settings, stored hash) pairs our
// mustUpdate must equal Django's must_update. Answers are compared with what Django says in the same run,
// never with hard-coded expectations.
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { fileURLToPath } from "node:url";
import { createInterface } from "node:readline";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { djangoDefaults, makePassword, verifyPassword, type AlgorithmName, type HasherOptions } from "../../src/index.js";
import { DEBIAN_PYTHON } from "../harness/django.js";
import { trackProcess } from "../harness/lifecycle.js";

const ORACLE = fileURLToPath(new URL("../oracle/hashers_oracle.py", import.meta.url));

type Answer = Record<string, unknown> & { error?: string };

/**
 * One long-lived oracle process; requests are answered in order, one JSON line each. Not the harness's
 * DjangoOracle: hashers_oracle.py reconfigures Django's hasher settings per request and needs no
 * database, where oracle.py is bound to one database for its life.
 */
class HashersOracle {
  readonly #child: ChildProcessWithoutNullStreams;
  readonly #waiting: Array<(answer: Answer) => void> = [];
  #stderr = "";

  constructor() {
    this.#child = spawn(DEBIAN_PYTHON, [ORACLE], { stdio: ["pipe", "pipe", "pipe"] });
    const untrack = trackProcess(this.#child.pid, { group: false });
    this.#child.stderr.on("data", (chunk: Buffer) => (this.#stderr += chunk.toString()));
    createInterface({ input: this.#child.stdout }).on("line", (line) => this.#waiting.shift()?.(JSON.parse(line) as Answer));
    this.#child.on("exit", (code) => {
      untrack();
      for (const waiter of this.#waiting.splice(0)) waiter({ error: `oracle exited with ${code}: ${this.#stderr}` });
    });
  }

  request(command: Record<string, unknown>): Promise<Answer> {
    return new Promise((resolve) => {
      this.#waiting.push(resolve);
      this.#child.stdin.write(JSON.stringify(command) + "\n");
    });
  }

  async ok(command: Record<string, unknown>): Promise<Answer> {
    const answer = await this.request(command);
    if (answer.error) throw new Error(`oracle ${String(command.cmd)}: ${answer.error}`);
    return answer;
  }

  async close(): Promise<void> {
    this.#child.stdin.end();
    await new Promise((resolve) => this.#child.once("exit", resolve));
  }
}

/** A pair of equivalent settings: Django's (oracle `configure`) and ours. */
interface Settings {
  readonly name: string;
  readonly hashers: readonly AlgorithmName[];
  readonly pbkdf2Iterations: number;
  readonly bcryptRounds: number;
  readonly argon2?: { time_cost: number; memory_cost: number; parallelism: number };
}

function djangoSettings(s: Settings): Record<string, unknown> {
  return { cmd: "configure", hashers: s.hashers, pbkdf2_iterations: s.pbkdf2Iterations, bcrypt_rounds: s.bcryptRounds, ...(s.argon2 ? { argon2: s.argon2 } : {}) };
}

function ourOptions(s: Settings): HasherOptions {
  // Django 3.2's preset: its argon2 costs and argon2-cffi 21.1's 16-byte hashes.
  const preset = djangoDefaults("3.2");
  return {
    hashers: s.hashers,
    params: {
      pbkdf2_sha256: { iterations: s.pbkdf2Iterations },
      pbkdf2_sha1: { iterations: s.pbkdf2Iterations },
      bcrypt_sha256: { rounds: s.bcryptRounds },
      bcrypt: { rounds: s.bcryptRounds },
      argon2: s.argon2 ? { ...preset.params.argon2, timeCost: s.argon2.time_cost, memoryCost: s.argon2.memory_cost, parallelism: s.argon2.parallelism } : preset.params.argon2,
    },
  };
}

const ALL_HASHERS: readonly AlgorithmName[] = ["pbkdf2_sha256", "pbkdf2_sha1", "argon2", "bcrypt_sha256", "bcrypt", "md5", "sha1", "unsalted_md5", "unsalted_sha1", "crypt"];
/** Every Django 3.2 hasher enabled, cheap PBKDF2 and bcrypt, argon2 at Django's defaults. */
const EVERYTHING: Settings = { name: "everything", hashers: ALL_HASHERS, pbkdf2Iterations: 1000, bcryptRounds: 4 };

const PASSWORDS: readonly string[] = [
  "lètmein",
  "",
  "password",
  "p@ss w0rd! \"'\\",
  "日本語パスワード",
  "emoji 🔑 key",
  "a".repeat(70) + "è", // 72 bytes
  "b".repeat(73),
  "é".repeat(50), // 100 bytes
  "Long passphrase ".repeat(16),
];
/** argon2 at Django's defaults costs ~0.3 s per hash on each side: a subset. */
const ARGON2_PASSWORDS = PASSWORDS.slice(0, 3).concat(PASSWORDS[4]!, PASSWORDS[7]!);
/** crypt(3) settings of the methods Debian's libxcrypt offers besides traditional DES (cheap costs). */
const CRYPT_SETTINGS: readonly string[] = [
  "_J9..CCCC", // BSDi extended DES
  "$1$abcdefgh", // md5crypt
  "$5$rounds=1000$abcdefgh",
  "$6$rounds=1000$saltsalt",
  "$y$j75$kM5..zSzyqhUmLOtqjsrM/", // yescrypt, N=2^11
  "$2b$04$abcdefghijklmnopqrstuu",
  "$2y$04$abcdefghijklmnopqrstuu",
];

/** Wrong passwords near `password`: appended, cut, case-changed, empty. */
function wrongFor(password: string): string[] {
  const candidates = [password + "x", password.slice(0, -1), password.toUpperCase(), "", " " + password];
  return [...new Set(candidates)].filter((c) => c !== password);
}

const coverage = new Map<string, number>();
function count(kind: string, hasher: string, n = 1): void {
  const key = `${kind} ${hasher}`;
  coverage.set(key, (coverage.get(key) ?? 0) + n);
}

let oracle: HashersOracle;

beforeAll(async () => {
  oracle = new HashersOracle();
  const info = await oracle.ok({ cmd: "info" });
  expect(info.django).toMatch(/^3\.2\./);
  // The 3.2 preset's argon2 hash length must match the argon2-cffi Django runs with here.
  expect(info.argon2_hash_len).toBe(djangoDefaults("3.2").params.argon2.hashLength);
});

afterAll(async () => {
  await oracle?.close();
  const lines = [...coverage.entries()].sort().map(([key, n]) => `  ${key}: ${n}`);
  const total = [...coverage.values()].reduce((a, b) => a + b, 0);
  console.log(`hashers differential coverage (${total} comparisons):\n${lines.join("\n")}`);
});

/** Django's answer for (password, encoded) under the current oracle settings. */
async function djangoCheck(password: string, encoded: string): Promise<{ result: boolean | null; mustUpdate: boolean | null; error?: string }> {
  const answer = await oracle.request({ cmd: "check", password, encoded });
  if (answer.error) return { result: null, mustUpdate: null, error: answer.error };
  return { result: answer.result as boolean, mustUpdate: answer.must_update as boolean | null };
}

/** Ours must give Django's answer; where Django raises, ours must say false. */
async function expectSameAnswer(kind: string, hasher: string, password: string, encoded: string, options: HasherOptions): Promise<void> {
  const django = await djangoCheck(password, encoded);
  const ours = await verifyPassword(password, encoded, options);
  const label = `${kind} ${hasher} ${JSON.stringify(password.slice(0, 20))} ${encoded.slice(0, 40)}`;
  if (django.result === null) {
    expect(ours.valid, `${label} (Django raised ${django.error})`).toBe(false);
  } else {
    expect(ours.valid, label).toBe(django.result);
    // mustUpdate is Django's for every real verification (right or wrong password); when ours could not
    // verify at all (failure set: malformed, disabled...) it is false by contract, and valid is false above.
    if (django.mustUpdate !== null && ours.failure === undefined) expect(ours.mustUpdate, label).toBe(django.mustUpdate);
  }
  count(kind, hasher);
}

describe("Django makes, we verify", () => {
  beforeAll(async () => {
    await oracle.ok(djangoSettings(EVERYTHING));
  });

  // crypt: Django makes traditional DES with a random 2-character salt; its 8-byte limit makes some
  // "wrong" passwords right on both sides (compared with Django, not assumed).
  for (const hasher of ALL_HASHERS) {
    it(`${hasher}: right and wrong passwords give Django's answers`, async () => {
      const options = ourOptions(EVERYTHING);
      for (const password of hasher === "argon2" ? ARGON2_PASSWORDS : PASSWORDS) {
        const { encoded } = (await oracle.ok({ cmd: "make", password, hasher })) as { encoded: string };
        // The right password must verify on both sides (a Django that refused its own hash would be a bad oracle).
        expect((await djangoCheck(password, encoded)).result).toBe(true);
        await expectSameAnswer("django-made", hasher, password, encoded, options);
        for (const wrong of wrongFor(password)) await expectSameAnswer("django-made", hasher, wrong, encoded, options);
      }
    });
  }

  it("bcrypt $2a$ and $2y$ salts keep their prefix and verify", async () => {
    const options = ourOptions(EVERYTHING);
    for (const prefix of ["$2a$", "$2y$"]) {
      for (const hasher of ["bcrypt", "bcrypt_sha256"] as const) {
        for (const password of PASSWORDS) {
          const salt = `${prefix}04$abcdefghijklmnopqrstuu`;
          const { encoded } = (await oracle.ok({ cmd: "make", password, hasher, salt })) as { encoded: string };
          expect(encoded.startsWith(`${hasher}$${prefix}`)).toBe(true);
          expect(await makePassword(password, { ...options, hasher, salt })).toBe(encoded);
          await expectSameAnswer("django-made", `${hasher} ${prefix}`, password, encoded, options);
          await expectSameAnswer("django-made", `${hasher} ${prefix}`, password + "x", encoded, options);
        }
      }
    }
  });

  it("crypt: the other crypt(3) methods, stored as crypt$$<output>, give Django's answers", async () => {
    const options = ourOptions(EVERYTHING);
    for (const setting of CRYPT_SETTINGS) {
      for (const password of PASSWORDS) {
        const { hash } = (await oracle.ok({ cmd: "crypt", password, setting })) as { hash: string };
        // Over 511 bytes libxcrypt answers a failure token: stored, it is a value no password matches.
        const encoded = `crypt$$${hash}`;
        if (!hash.startsWith("*")) expect((await djangoCheck(password, encoded)).result, `${setting} ${password}`).toBe(true);
        for (const candidate of [password, ...wrongFor(password)]) await expectSameAnswer("crypt-method", setting.slice(0, 4), candidate, encoded, options);
      }
    }
  });

  it("crypt: traditional DES's limits (8 bytes, 7 bits each) and passwords crypt(3) refuses agree with Django", async () => {
    const options = ourOptions(EVERYTHING);
    const encoded = (await oracle.ok({ cmd: "make", password: "lètmei", hasher: "crypt", salt: "ab" })).encoded as string;
    expect(encoded).toBe("crypt$$ab1Hv2Lg7ltQo");
    const candidates = ["lètmei", "lC(tmei", "lètmeiz", "lètmeiz and more", "lètme", "LÈTMEI", "a".repeat(511), "a".repeat(512), "é".repeat(256)];
    for (const password of candidates) await expectSameAnswer("crypt-des", "crypt", password, encoded, options);
    // Python refuses a NUL before crypt(3) runs, so Django raises: false here.
    expect((await djangoCheck("lèt\u0000mei", encoded)).error).toMatch(/null/);
    expect(await verifyPassword("lèt\u0000mei", encoded, options)).toMatchObject({ valid: false, failure: "unhashable-password" });
    count("crypt-des", "crypt (Django raises)");
  });

  it("garbage, truncated and unusable values: where Django says false or raises, we say false", async () => {
    const options = ourOptions(EVERYTHING);
    const good = (await oracle.ok({ cmd: "make", password: "lètmein", hasher: "pbkdf2_sha256" })).encoded as string;
    const argon = (await oracle.ok({ cmd: "make", password: "lètmein", hasher: "argon2" })).encoded as string;
    const bcrypt = (await oracle.ok({ cmd: "make", password: "lètmein", hasher: "bcrypt" })).encoded as string;
    const values = [
      "", "!", "!abc", "lètmein_badencoded", "$", "$$$", "md5$", "md5$$", "sha1$$", "argon2$", "bcrypt$", "bcrypt$$2b$",
      "pbkdf2_sha256$", "pbkdf2_sha256$1000$", "pbkdf2_sha256$x$y$z", "a".repeat(40), "A".repeat(32),
      ...[10, 20, 30, 40, 60, 70].map((n) => good.slice(0, n)),
      ...[7, 20, 40, 60, 70, 80, 90].map((n) => argon.slice(0, n)),
      ...[8, 15, 30, 50, 60].map((n) => bcrypt.slice(0, n)),
      good.replace("$1000$", "$01000$"), good.replace("$1000$", "$+1000$"), good + "=",
      // crypt(3) settings libxcrypt refuses (it answers a failure token, so Django's comparison is False).
      "crypt$", "crypt$$", "crypt$abc", "crypt$$*0", "crypt$$*1", "crypt$$!xabcdefghijk", "crypt$$é1abcdefghijk", "crypt$$$y$j9T$short",
      "crypt$$$6$rounds=10$saltsalt$", "crypt$$$2b$03$abcdefghijklmnopqrstuu", "crypt$ab$ab1Hv2Lg7ltQo", "crypt$$ab1Hv2Lg7ltQo$",
    ];
    for (const encoded of values) await expectSameAnswer("garbage", "unusable, unknown or malformed", "lètmein", encoded, options);
  });
});

describe("enabled hashers and odd passwords", () => {
  it("a hash of a hasher missing from PASSWORD_HASHERS never verifies, on either side", async () => {
    await oracle.ok(djangoSettings(EVERYTHING));
    const made: Array<{ hasher: AlgorithmName; encoded: string }> = [];
    for (const hasher of ALL_HASHERS.filter((h) => h !== "argon2")) {
      made.push({ hasher, encoded: (await oracle.ok({ cmd: "make", password: "lètmein", hasher })).encoded as string });
    }
    for (const enabled of [["pbkdf2_sha256"], ["bcrypt_sha256", "md5"], ["unsalted_sha1", "pbkdf2_sha1"]] as AlgorithmName[][]) {
      const settings: Settings = { name: enabled.join(","), hashers: enabled, pbkdf2Iterations: 1000, bcryptRounds: 4 };
      await oracle.ok(djangoSettings(settings));
      for (const { hasher, encoded } of made) {
        const django = await djangoCheck("lètmein", encoded);
        expect(django.result, `${hasher} with ${enabled.join(",")}`).toBe(enabled.includes(hasher));
        await expectSameAnswer("enabled-subset", hasher, "lètmein", encoded, ourOptions(settings));
      }
    }
  });

  it("a NUL byte: plain bcrypt raises in Django and is false here; bcrypt_sha256 and the others agree", async () => {
    await oracle.ok(djangoSettings(EVERYTHING));
    const options = ourOptions(EVERYTHING);
    const password = "lèt\u0000mein";
    for (const hasher of ["bcrypt_sha256", "pbkdf2_sha256", "md5", "unsalted_sha1"] as const) {
      const { encoded } = (await oracle.ok({ cmd: "make", password, hasher })) as { encoded: string };
      const ours = await makePassword(password, { ...options, hasher });
      expect((await djangoCheck(password, ours)).result, hasher).toBe(true);
      expect((await djangoCheck("lèt", ours)).result, hasher).toBe(false);
      await expectSameAnswer("nul-byte", hasher, password, encoded, options);
      await expectSameAnswer("nul-byte", hasher, "lèt", encoded, options);
    }
    const plain = (await oracle.ok({ cmd: "make", password: "lètmein", hasher: "bcrypt" })).encoded as string;
    expect((await djangoCheck(password, plain)).error).toMatch(/NUL/);
    expect(await verifyPassword(password, plain, options)).toMatchObject({ valid: false, failure: "unhashable-password" });
    count("nul-byte", "bcrypt (Django raises)");
  });
});

describe("we make, Django verifies", () => {
  beforeAll(async () => {
    await oracle.ok(djangoSettings(EVERYTHING));
  });

  for (const hasher of ALL_HASHERS) {
    it(`${hasher}: Django accepts our hashes and rejects wrong passwords`, async () => {
      const options = ourOptions(EVERYTHING);
      for (const password of hasher === "argon2" ? ARGON2_PASSWORDS : PASSWORDS) {
        const encoded = await makePassword(password, { ...options, hasher });
        const right = await djangoCheck(password, encoded);
        expect(right.result, `${hasher} ${password}`).toBe(true);
        // Made with the current settings and a 22-character salt: Django sees nothing to update, unless
        // the hasher is not the preferred one.
        expect(right.mustUpdate).toBe(hasher !== "pbkdf2_sha256");
        count("ours-made", hasher);
        for (const wrong of wrongFor(password)) await expectSameAnswer("ours-made", hasher, wrong, encoded, options);
      }
    });
  }
});

describe("mustUpdate agrees with Django's must_update", () => {
  const CHEAP_ARGON2 = { time_cost: 1, memory_cost: 1024, parallelism: 2 };
  const configurations: Settings[] = [
    { name: "pbkdf2_sha256@1000", hashers: ALL_HASHERS, pbkdf2Iterations: 1000, bcryptRounds: 4 },
    { name: "pbkdf2_sha256@2000", hashers: ALL_HASHERS, pbkdf2Iterations: 2000, bcryptRounds: 4 },
    { name: "pbkdf2_sha1 first", hashers: ["pbkdf2_sha1", ...ALL_HASHERS.filter((h) => h !== "pbkdf2_sha1")], pbkdf2Iterations: 1000, bcryptRounds: 4 },
    { name: "argon2 defaults first", hashers: ["argon2", ...ALL_HASHERS.filter((h) => h !== "argon2")], pbkdf2Iterations: 1000, bcryptRounds: 4 },
    { name: "argon2 cheap first", hashers: ["argon2", ...ALL_HASHERS.filter((h) => h !== "argon2")], pbkdf2Iterations: 1000, bcryptRounds: 4, argon2: CHEAP_ARGON2 },
    { name: "bcrypt_sha256 r4 first", hashers: ["bcrypt_sha256", ...ALL_HASHERS.filter((h) => h !== "bcrypt_sha256")], pbkdf2Iterations: 1000, bcryptRounds: 4 },
    { name: "bcrypt r5 first", hashers: ["bcrypt", ...ALL_HASHERS.filter((h) => h !== "bcrypt")], pbkdf2Iterations: 1000, bcryptRounds: 5 },
    { name: "md5 first", hashers: ["md5", ...ALL_HASHERS.filter((h) => h !== "md5")], pbkdf2Iterations: 1000, bcryptRounds: 4 },
    { name: "unsalted_md5 first", hashers: ["unsalted_md5", ...ALL_HASHERS.filter((h) => h !== "unsalted_md5")], pbkdf2Iterations: 1000, bcryptRounds: 4 },
    { name: "unsalted_sha1 first", hashers: ["unsalted_sha1", ...ALL_HASHERS.filter((h) => h !== "unsalted_sha1")], pbkdf2Iterations: 1000, bcryptRounds: 4 },
    { name: "crypt first", hashers: ["crypt", ...ALL_HASHERS.filter((h) => h !== "crypt")], pbkdf2Iterations: 1000, bcryptRounds: 4 },
  ];
  const PASSWORD = "lètmein";
  /** Stored hashes made by Django under various settings, plus old argon2 forms. */
  const corpus: Array<{ label: string; encoded: string }> = [];

  beforeAll(async () => {
    const made = async (label: string, settings: Settings, hasher: AlgorithmName, salt?: string): Promise<void> => {
      await oracle.ok(djangoSettings(settings));
      const { encoded } = (await oracle.ok({ cmd: "make", password: PASSWORD, hasher, ...(salt ? { salt } : {}) })) as { encoded: string };
      corpus.push({ label, encoded });
    };
    const at = (iterations: number, bcryptRounds = 4, argon2?: Settings["argon2"]): Settings => ({ name: "", hashers: ALL_HASHERS, pbkdf2Iterations: iterations, bcryptRounds, ...(argon2 ? { argon2 } : {}) });
    await made("pbkdf2_sha256@1000", at(1000), "pbkdf2_sha256");
    await made("pbkdf2_sha256@2000", at(2000), "pbkdf2_sha256");
    await made("pbkdf2_sha256@1000 12-char salt", at(1000), "pbkdf2_sha256", "abcdefghijkl");
    await made("pbkdf2_sha1@1000", at(1000), "pbkdf2_sha1");
    await made("argon2 defaults", at(1000), "argon2");
    await made("argon2 cheap", at(1000, 4, CHEAP_ARGON2), "argon2");
    await made("argon2 cheap 12-char salt", at(1000, 4, CHEAP_ARGON2), "argon2", "abcdefghijkl");
    await made("bcrypt_sha256 r4", at(1000, 4), "bcrypt_sha256");
    await made("bcrypt r4", at(1000, 4), "bcrypt");
    await made("bcrypt r5", at(1000, 5), "bcrypt");
    await made("md5", at(1000), "md5");
    await made("md5 12-char salt", at(1000), "md5", "abcdefghijkl");
    await made("sha1", at(1000), "sha1");
    await made("unsalted_md5", at(1000), "unsalted_md5");
    await made("unsalted_sha1", at(1000), "unsalted_sha1");
    await made("crypt", at(1000), "crypt");
    const unsalted = corpus.find((c) => c.label === "unsalted_md5")!.encoded;
    corpus.push({ label: "unsalted_md5 md5$$ form", encoded: `md5$$${unsalted}` });
    // argon2i with v=16 and without v= (what argon2-cffi before 16.0 wrote): made by hand from the same
    // low-level call Django uses, so only the version field differs.
    corpus.push({ label: "argon2i v=16", encoded: "argon2$argon2i$v=16$m=512,t=2,p=2$c2Vhc2FsdHNlYXNhbHQ$RwateQKOC6NBixh/4g2eO1nGM6t1xovwtfaeVdKbqus" });
    corpus.push({ label: "argon2i versionless", encoded: "argon2$argon2i$m=512,t=2,p=2$c2Vhc2FsdHNlYXNhbHQ$RwateQKOC6NBixh/4g2eO1nGM6t1xovwtfaeVdKbqus" });
  });

  for (const settings of configurations) {
    it(`preferred settings: ${settings.name}`, async () => {
      await oracle.ok(djangoSettings(settings));
      const options = ourOptions(settings);
      for (const { label, encoded } of corpus) {
        await expectSameAnswer("must_update", `${settings.name} / ${label}`.split(" / ")[1]!, PASSWORD, encoded, options);
        await expectSameAnswer("must_update-wrong", label, PASSWORD + "x", encoded, options);
      }
    });
  }
});

describe("Django 3.2's real defaults (PBKDF2 at 260000 iterations)", () => {
  it("hashes from default Django verify with the 3.2 preset and need no update; ours verify in Django", async () => {
    await oracle.ok({ cmd: "configure", hashers: ["pbkdf2_sha256", "pbkdf2_sha1", "argon2", "bcrypt_sha256"] });
    const { encoded } = (await oracle.ok({ cmd: "make", password: "lètmein", hasher: "pbkdf2_sha256" })) as { encoded: string };
    expect(encoded.startsWith("pbkdf2_sha256$260000$")).toBe(true);
    expect(await verifyPassword("lètmein", encoded, djangoDefaults("3.2"))).toEqual({ valid: true, mustUpdate: false });
    expect((await verifyPassword("lètmein", encoded, djangoDefaults("4.0"))).mustUpdate).toBe(true);
    count("defaults", "pbkdf2_sha256@260000", 2);

    const ours = await makePassword("lètmein", djangoDefaults("3.2"));
    expect(ours.startsWith("pbkdf2_sha256$260000$")).toBe(true);
    expect(await djangoCheck("lètmein", ours)).toEqual({ result: true, mustUpdate: false });
    await expectSameAnswer("defaults", "pbkdf2_sha256@260000", "lètmeiN", ours, djangoDefaults("3.2"));
    count("defaults", "pbkdf2_sha256@260000");
  });
});

describe("scrypt (Django 3.2 has none): the format cross-checked with Python's hashlib.scrypt", () => {
  for (const [n, r, p] of [[16384, 8, 1], [16384, 8, 5], [1024, 4, 2]] as const) {
    it(`N=${n} r=${r} p=${p}`, async () => {
      for (const password of PASSWORDS.slice(0, 5)) {
        const salt = "abcdefghijklmnopqrstuv";
        const encoded = await makePassword(password, { hasher: "scrypt", salt, params: { scrypt: { workFactor: n, blockSize: r, parallelism: p } } });
        const { key_b64 } = (await oracle.ok({ cmd: "scrypt", password, salt, n, r, p })) as { key_b64: string };
        expect(encoded).toBe(`scrypt$${n}$${salt}$${r}$${p}$${key_b64}`);
        count("hashlib-scrypt", "scrypt");
      }
    });
  }
});
