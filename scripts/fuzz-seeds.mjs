// Writes the fuzz targets' seed corpora from the shared wire vectors (test/vectors/protocol.json), so that
// libFuzzer starts from real frames rather than from nothing:
//   node scripts/fuzz-seeds.mjs <dir>   ->  <dir>/anp_decode_fuzz_target/*, <dir>/anp_answer_fuzz_target/*
// The decoder's seeds are the frames themselves (valid, malformed, short). The answer reader's seeds are
// each valid answer frame behind the 7 control bytes native/test/anp_answer_fuzz_target.c reads first:
// the request kind's index, a chunking seed, the asked-permission bits (and 0x10, WANT_USER_FLAGS, when the
// answer carries USER_FLAGS), and the frame's own request id.
// The grant payload's seeds are a few payloads as native/mod/grant_payload.c writes them.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const ANSWER_BIT = 0x80;
// The order of `kinds` in anp_answer_fuzz_target.c.
const ANSWER_KINDS = [0x02, 0x03, 0x04, 0x05, 0x06, 0x01, 0x07, 0x09];
const TAG_USER_FLAGS = 28;

const bytesOf = (frame) =>
  Buffer.concat(
    ("parts" in frame ? frame.parts : [frame.hex]).map((part) =>
      typeof part === "string" ? Buffer.from(part, "hex") : Buffer.alloc(part.length, Number.parseInt(part.fill, 16)),
    ),
  );

const out = process.argv[2];
if (!out) {
  console.error("usage: node scripts/fuzz-seeds.mjs <dir>");
  process.exit(2);
}
const vectors = JSON.parse(readFileSync(new URL("../test/vectors/protocol.json", import.meta.url), "utf8"));
const decodeDir = join(out, "anp_decode_fuzz_target");
const answerDir = join(out, "anp_answer_fuzz_target");
const payloadDir = join(out, "anp_grant_payload_fuzz_target");
for (const dir of [decodeDir, answerDir, payloadDir]) {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
}
let decodeSeeds = 0;
let answerSeeds = 0;
for (const group of ["valid", "malformed", "short"]) {
  for (const vector of vectors[group]) {
    const frame = bytesOf(vector.frame);
    writeFileSync(join(decodeDir, `${group}-${decodeSeeds++}`), frame);
    const kind = frame.length > 4 ? frame[4] : 0;
    const index = ANSWER_KINDS.indexOf(kind & ~ANSWER_BIT);
    if (group === "valid" && kind & ANSWER_BIT && index >= 0) {
      const wantsFlags = vector.message.fields.some((field) => field.tag === TAG_USER_FLAGS);
      const control = Buffer.from([index, answerSeeds, wantsFlags ? 0x1f : 0x0f, ...frame.subarray(5, 9)]);
      writeFileSync(join(answerDir, `answer-${answerSeeds++}`), Buffer.concat([control, frame]));
    }
  }
}
// Flags (0x01 renamed user, 0x02 groups), the user's NUL-terminated name, then each list as a
// little-endian u16 count and NUL-terminated names: groups (when flagged), then held permissions.
const names = (...list) => [list.length & 0xff, list.length >> 8, ...list.flatMap((n) => [...Buffer.from(`${n}\0`)])];
const payloads = [
  [0x00, ...names()],
  [0x00, ...names("blog.add_post")],
  [0x01, ...Buffer.from("alice@example.org\0"), ...names()],
  [0x03, ...Buffer.from("bob\0"), ...names("staff", "editors"), ...names("blog.add_post", "auth.view_user")],
  [0x02, ...names(""), ...names()],
];
payloads.forEach((payload, i) => writeFileSync(join(payloadDir, `payload-${i}`), Buffer.from(payload)));
console.log(
  `fuzz-seeds: ${decodeSeeds} decoder seeds, ${answerSeeds} answer seeds, ${payloads.length} payload seeds in ${out}`,
);
