// test/vectors/handshake.json against both sides' proof code: the module's native/mod/handshake_proof.c
// (compiled here with native/test/anp_handshake_test.c, as it needs no APR) and the worker's
// src/worker/handshake.ts. The vectors come from the addon's SipHash over the spec's labels
// (test/vectors/generate-handshake.mjs), so a label, an order of nonces or a key use that differs fails.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { moduleProof, proofMatches, workerProof } from "../../src/worker/handshake.js";

interface HandshakeCase {
  readonly name: string;
  readonly key: string;
  readonly n_m: string;
  readonly n_w: string;
  readonly worker_proof: string;
  readonly module_proof: string;
}

const root = join(import.meta.dirname, "..", "..");
const { cases } = JSON.parse(readFileSync(join(root, "test", "vectors", "handshake.json"), "utf8")) as { cases: HandshakeCase[] };
const hex = (s: string): Buffer => Buffer.from(s, "hex");

describe("handshake vectors", () => {
  let dir = "";
  let binary = "";
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "anp-handshake-"));
    binary = join(dir, "anp_handshake_test");
    const n = (p: string): string => join(root, "native", p);
    execFileSync("cc", ["-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic", `-I${n("")}`, `-I${n("mod")}`, "-o", binary,
      n("test/anp_handshake_test.c"), n("mod/handshake_proof.c"), n("anp_siphash.c"), n("anp_protocol.c")]);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("has cases", () => expect(cases.length).toBeGreaterThanOrEqual(3));

  for (const c of cases) {
    it(`C module side: ${c.name}`, () => {
      const [worker, module, equal] = execFileSync(binary, [c.key, c.n_m, c.n_w], { encoding: "utf8" }).trim().split("\n");
      expect(worker).toBe(c.worker_proof);
      expect(module).toBe(c.module_proof);
      expect(equal).toBe("1 0");
    });
    it(`TypeScript worker side: ${c.name}`, () => {
      expect(workerProof(hex(c.key), hex(c.n_m), hex(c.n_w)).toString("hex")).toBe(c.worker_proof);
      expect(moduleProof(hex(c.key), hex(c.n_w), hex(c.n_m)).toString("hex")).toBe(c.module_proof);
      expect(proofMatches(hex(c.module_proof), hex(c.module_proof))).toBe(true);
      expect(proofMatches(hex(c.module_proof), hex(c.worker_proof))).toBe(false);
      expect(proofMatches(hex(c.module_proof), hex(c.module_proof).subarray(1))).toBe(false);
    });
  }
});
