// The doctor's django-version comparison (src/cli/doctor-costs.ts): each hasher's stored costs against the
// configured release's preset, read by the hashers library's own decoders, for hashes it made itself.
import { describe, expect, test } from "vitest";
import { above, configuredCosts, formatCosts, highest, storedCosts } from "../../src/cli/doctor-costs.js";
import { djangoDefaults, makePassword } from "../../src/django/hashers/index.js";

describe("doctor-costs", () => {
  test("bcrypt_sha256: a work factor above the preset's is above; the preset's own is not", async () => {
    const preset = djangoDefaults("4.2");
    const configured = configuredCosts("bcrypt_sha256", preset.params);
    expect(configured).toEqual({ work_factor: preset.params.bcrypt_sha256.rounds });
    const stronger = await makePassword("pw", { ...preset, hasher: "bcrypt_sha256", params: { bcrypt_sha256: { rounds: preset.params.bcrypt_sha256.rounds + 1 } } });
    const same = await makePassword("pw", { ...preset, hasher: "bcrypt_sha256" });
    expect(above(storedCosts("bcrypt_sha256", stronger) ?? {}, configured ?? {})).toBe(true);
    expect(above(storedCosts("bcrypt_sha256", same) ?? {}, configured ?? {})).toBe(false);
  });

  test("PBKDF2 against two releases: a newer Django's iterations are above an older one's, formatted as the number", async () => {
    const newer = await makePassword("pw", { ...djangoDefaults("5.1"), hasher: "pbkdf2_sha256" });
    const stored = storedCosts("pbkdf2_sha256", newer) ?? {};
    expect(above(stored, configuredCosts("pbkdf2_sha256", djangoDefaults("4.2").params) ?? {})).toBe(true);
    expect(above(stored, configuredCosts("pbkdf2_sha256", djangoDefaults("5.1").params) ?? {})).toBe(false);
    expect(formatCosts(stored)).toBe(String(djangoDefaults("5.1").params.pbkdf2_sha256.iterations));
  });

  test("argon2: any one parameter above is enough; highest keeps each parameter's maximum; no cost for MD5", () => {
    const configured = { time_cost: 2, memory_cost: 102400, parallelism: 8 };
    expect(above({ ...configured, memory_cost: 204800 }, configured)).toBe(true);
    expect(above({ ...configured, time_cost: 1 }, configured)).toBe(false);
    expect(highest({ time_cost: 3, memory_cost: 1, parallelism: 1 }, configured)).toEqual({ time_cost: 3, memory_cost: 102400, parallelism: 8 });
    expect(formatCosts(configured)).toBe("time_cost=2, memory_cost=102400, parallelism=8");
    expect(configuredCosts("md5", djangoDefaults("4.2").params)).toBeNull();
  });
});
