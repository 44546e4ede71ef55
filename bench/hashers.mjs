#!/usr/bin/env node
// bench/hashers: verifications per second of pbkdf2_sha256 at 1,000,000 rounds (Django 5.2's default)
// through the library's verifyPassword, against the same derivation done directly with crypto.pbkdf2 in the
// same run, both with enough concurrency to keep every core busy. Prints both rates and their ratio
// (target: >= 0.95). Runs from dist/: `npm run bench:hashers` builds it first.
//
//   node bench/hashers.mjs [--ops N] [--rounds N] [--concurrency N] [--iterations N]
//
// The two modes alternate (direct, library, direct, library, ...) so that a slow phase of a shared machine
// affects both; each rate is the total work of its mode divided by its total time.
import { pbkdf2, timingSafeEqual } from "node:crypto";
import { availableParallelism, loadavg } from "node:os";
import { parseArgs } from "node:util";
import { promisify } from "node:util";
import { djangoDefaults, makePassword, verifyPassword } from "../dist/index.js";

const pbkdf2Async = promisify(pbkdf2);

const { values } = parseArgs({
  options: {
    ops: { type: "string", default: "8" },
    rounds: { type: "string", default: "8" },
    concurrency: { type: "string", default: String(Math.max(availableParallelism(), 2) * 2) },
    iterations: { type: "string", default: "1000000" },
  },
});
const ops = Number(values.ops);
const rounds = Number(values.rounds);
const concurrency = Number(values.concurrency);
const iterations = Number(values.iterations);
for (const [name, value] of Object.entries({ ops, rounds, concurrency, iterations })) {
  if (!Number.isSafeInteger(value) || value < 1) {
    console.error(`bench/hashers: --${name} must be a positive integer`);
    process.exit(2);
  }
}
// libuv runs crypto.pbkdf2 on its thread pool (4 threads unless UV_THREADPOOL_SIZE says otherwise): with 2
// cores, 4 jobs in flight keep both busy in either mode.

const options = { ...djangoDefaults("5.2"), params: { pbkdf2_sha256: { iterations } } };
const password = "correct horse battery staple";
const encoded = await makePassword(password, { ...options, hasher: "pbkdf2_sha256" });
const [, , salt, b64] = encoded.split("$");
const expected = Buffer.from(b64, "base64");

/** Runs `task` `count` times with at most `limit` in flight; returns elapsed seconds. */
async function timed(count, limit, task) {
  let next = 0;
  const start = process.hrtime.bigint();
  const lane = async () => {
    while (next < count) {
      next++;
      await task();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, count) }, lane));
  return Number(process.hrtime.bigint() - start) / 1e9;
}

const direct = async () => {
  const key = await pbkdf2Async(password, salt, iterations, 32, "sha256");
  if (!timingSafeEqual(key, expected)) throw new Error("direct derivation disagrees with the stored hash");
};
const library = async () => {
  const result = await verifyPassword(password, encoded, options);
  if (!result.valid || result.mustUpdate) throw new Error(`verifyPassword answered ${JSON.stringify(result)}`);
};

// One warm-up of each (thread pool start, JIT), not counted.
await timed(concurrency, concurrency, direct);
await timed(concurrency, concurrency, library);

let directSeconds = 0;
let librarySeconds = 0;
const roundRatios = [];
for (let round = 1; round <= rounds; round++) {
  const d = await timed(ops, concurrency, direct);
  const l = await timed(ops, concurrency, library);
  directSeconds += d;
  librarySeconds += l;
  roundRatios.push(d / l);
  console.log(`round ${round}: crypto.pbkdf2 ${(ops / d).toFixed(3)}/s, verifyPassword ${(ops / l).toFixed(3)}/s, ratio ${(d / l).toFixed(3)}`);
}
const directRate = (ops * rounds) / directSeconds;
const libraryRate = (ops * rounds) / librarySeconds;
const ratio = libraryRate / directRate;
const sorted = [...roundRatios].sort((a, b) => a - b);
const medianRatio = (sorted[Math.floor((sorted.length - 1) / 2)] + sorted[Math.ceil((sorted.length - 1) / 2)]) / 2;
console.log(
  `pbkdf2_sha256 ${iterations} rounds, ${ops * rounds} verifications per mode, concurrency ${concurrency}, ${availableParallelism()} cores, ` +
    `load average ${loadavg().map((l) => l.toFixed(2)).join(" ")} (other processes skew single rounds; the alternation shares the skew)\n` +
    `crypto.pbkdf2 direct: ${directRate.toFixed(3)} verifications/s\n` +
    `verifyPassword:       ${libraryRate.toFixed(3)} verifications/s\n` +
    `ratio: ${ratio.toFixed(3)} (target >= 0.95) ${ratio >= 0.95 ? "OK" : "BELOW TARGET"}; median of per-round ratios ${medianRatio.toFixed(3)}`,
);
