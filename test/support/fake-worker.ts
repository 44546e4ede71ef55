// A fake worker for tests of the module's side of the wire: the source of an ES module that a test writes
// into its ServerRoot and names with NodeAuthWorker. It takes the module's command line (--socket,
// --socket-mode, --listen-fd, --bootstrap-fd), answers HELLO with the proof of the generation key it reads
// from the bootstrap fd (the module checks who listens and what it proves, so the fake must be the process
// httpd started, with httpd's key), refuses a HELLO of another protocol version than the current one (DENIED,
// then closes, as the real worker does), takes AUTH without checking it, and hands every other frame to the
// test's own `answer`. Frames are laid out by hand (docs/protocol.md); only the tag numbers come from
// src/protocol/constants.ts, which test/unit/protocol-constants.test.ts holds to the C header.
import { addonPath } from "../../src/native/addon.js";
import { PROTOCOL_VERSION, Tag } from "../../src/protocol/constants.js";

/**
 * The fake worker's source around `answer`: JavaScript that declares
 * `function answer(socket, kind, id, fields, defined, bytes)` and writes (or does not write) the answer to
 * `socket` itself. In scope: every tag as a constant (STATUS, USER, SESSION_KEY, ...), PROTOCOL_VERSION,
 * `frame(kind, id, [[tag, Buffer], ...])`, `fieldsOf(bytes)` ([tag, Buffer] pairs), `valueOf(fields, tag)`,
 * `u16(n)`, `u32(n)` and `connections` (how many the worker accepted). `fields` are the request's,
 * `defined` is the connection's own Set for handler ids (the answer keeps it), `bytes` the whole frame.
 * Every connection is logged as "fake worker: connection <n>", the listening as "fake worker: listening on <path>".
 */
export function fakeWorkerSource(answer: string): string {
  const tags = Object.entries(Tag).map(([name, value]) => `${name} = ${value}`).join(", ");
  return String.raw`
import { createServer } from "node:net";
import { chmodSync, readFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { createRequire } from "node:module";

const args = process.argv.slice(2);
// The module's check of the handler specs (at configtest and start): this worker runs whatever it is given.
if (args.includes("--check-specs")) process.exit(0);
const socketPath = args[args.indexOf("--socket") + 1];
const modeAt = args.indexOf("--socket-mode");
const listenAt = args.indexOf("--listen-fd");
const bootstrapAt = args.indexOf("--bootstrap-fd");
const ${tags};
const PROTOCOL_VERSION = ${PROTOCOL_VERSION};
const u16 = (n) => Buffer.from([n >> 8, n & 0xff]);
const u32 = (n) => { const b = Buffer.alloc(4); b.writeUInt32BE(n); return b; };
const addon = createRequire(import.meta.url)(${JSON.stringify(addonPath)});

function frame(kind, id, fields) {
  const body = Buffer.concat(fields.map(([tag, value]) => {
    const head = Buffer.alloc(3);
    head.writeUInt8(tag, 0);
    head.writeUInt16BE(value.length, 1);
    return Buffer.concat([head, value]);
  }));
  const head = Buffer.alloc(11);
  head.writeUInt32BE(7 + body.length, 0);
  head.writeUInt8(kind, 4);
  head.writeUInt32BE(id, 5);
  head.writeUInt16BE(fields.length, 9);
  return Buffer.concat([head, body]);
}

function fieldsOf(frameBytes) {
  const fields = [];
  let at = 11;
  for (let i = 0; i < frameBytes.readUInt16BE(9); i++) {
    const tag = frameBytes[at], len = frameBytes.readUInt16BE(at + 1);
    fields.push([tag, frameBytes.subarray(at + 3, at + 3 + len)]);
    at += 3 + len;
  }
  return fields;
}

const valueOf = (fields, tag) => fields.find(([t]) => t === tag)?.[1];

// The one BOOTSTRAP frame httpd's parent writes on the bootstrap fd, read to its end.
const key = bootstrapAt >= 0 ? valueOf(fieldsOf(readFileSync(Number(args[bootstrapAt + 1]))), GENERATION_KEY) : undefined;

function helloAnswer(id, fields) {
  const nM = valueOf(fields, NONCE) ?? Buffer.alloc(16);
  const nW = randomBytes(16);
  const proof = key ? addon.siphash128(key, [Buffer.from("mod_authnz_node worker proof"), nM, nW]) : Buffer.alloc(16);
  return frame(0x81, id, [[STATUS, Buffer.from([1])], [VERSION, u16(PROTOCOL_VERSION)], [NONCE, nW], [PROOF, proof]]);
}

// ---- the test's answer ----
${answer}
// ---- end of the test's answer ----

let connections = 0;
const server = createServer((socket) => {
  connections++;
  console.error("fake worker: connection " + connections);
  let pending = Buffer.alloc(0);
  const defined = new Set();
  socket.on("error", () => {});
  socket.on("data", (chunk) => {
    pending = Buffer.concat([pending, chunk]);
    while (pending.length >= 4 && pending.length >= 4 + pending.readUInt32BE(0)) {
      const size = 4 + pending.readUInt32BE(0);
      const bytes = pending.subarray(0, size);
      pending = pending.subarray(size);
      if (socket.writableEnded) continue; // shut down on purpose: read on, answer nothing
      const kind = bytes[4], id = bytes.readUInt32BE(5);
      if (kind === 0x07) continue; // AUTH: the module's proof, not answered
      if (kind !== 0x01) answer(socket, kind, id, fieldsOf(bytes), defined, bytes);
      else if (valueOf(fieldsOf(bytes), VERSION)?.readUInt16BE(0) === PROTOCOL_VERSION) socket.write(helloAnswer(id, fieldsOf(bytes)));
      else socket.end(frame(0x81, id, [[STATUS, Buffer.from([2])], [VERSION, u16(PROTOCOL_VERSION)]]));
    }
  });
});
const listening = () => {
  if (listenAt < 0 && modeAt >= 0) chmodSync(socketPath, parseInt(args[modeAt + 1], 8));
  console.error("fake worker: listening on " + socketPath);
};
if (listenAt >= 0) server.listen({ fd: Number(args[listenAt + 1]) }, listening);
else server.listen(socketPath, listening);
process.on("SIGTERM", () => process.exit(0));
`;
}
