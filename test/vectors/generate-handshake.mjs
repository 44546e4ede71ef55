// Writes handshake.json, the vectors of protocol version 3's handshake proofs (docs/protocol.md,
// "Connection life"): `node test/vectors/generate-handshake.mjs` after `npm run build:native`.
// The proofs are computed by the addon's siphash128 (native/anp_siphash.c) over the labels exactly as the
// spec writes them, independently of both sides' proof code; test/integration/handshake-vectors.test.ts holds
// the module's native/mod/handshake_proof.c and the worker's src/worker/handshake.ts to them.
import { writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

const addon = createRequire(import.meta.url)(fileURLToPath(new URL("../../build/Release/anp_addon.node", import.meta.url)));
const WORKER_LABEL = Buffer.from("mod_authnz_node worker proof", "ascii");
const MODULE_LABEL = Buffer.from("mod_authnz_node module proof", "ascii");
const run = (start, step) => Buffer.from(Array.from({ length: 16 }, (_, i) => (start + i * step) & 0xff));

const inputs = [
  { name: "counting key, constant nonces", key: run(0x00, 1), n_m: Buffer.alloc(16, 0x11), n_w: Buffer.alloc(16, 0x22) },
  { name: "all-zero key and nonces", key: Buffer.alloc(16, 0), n_m: Buffer.alloc(16, 0), n_w: Buffer.alloc(16, 0) },
  { name: "all-ones key, nonces swapped from the first case", key: Buffer.alloc(16, 0xff), n_m: Buffer.alloc(16, 0x22), n_w: Buffer.alloc(16, 0x11) },
  { name: "mixed bytes", key: run(0xf0, 7), n_m: run(0x5a, 13), n_w: run(0xa5, 29) },
];

const cases = inputs.map(({ name, key, n_m, n_w }) => ({
  name,
  key: key.toString("hex"),
  n_m: n_m.toString("hex"),
  n_w: n_w.toString("hex"),
  worker_proof: addon.siphash128(key, [WORKER_LABEL, n_m, n_w]).toString("hex"),
  module_proof: addon.siphash128(key, [MODULE_LABEL, n_w, n_m]).toString("hex"),
}));

const file = {
  about:
    "Handshake proofs of protocol version 3 (docs/protocol.md, Connection life): worker_proof = SipHash-2-4-128(key, 'mod_authnz_node worker proof' || n_m || n_w), module_proof = SipHash-2-4-128(key, 'mod_authnz_node module proof' || n_w || n_m); made by test/vectors/generate-handshake.mjs with the addon's siphash128.",
  cases,
};
writeFileSync(fileURLToPath(new URL("handshake.json", import.meta.url)), JSON.stringify(file, null, 2) + "\n");
