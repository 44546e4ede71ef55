// Property tests of the codec with fast-check: round trips of arbitrary valid messages, a decoder that
// never crashes, hangs or over-buffers on arbitrary bytes split anywhere, and the TypeScript and C codecs
// (native/anp_protocol.c via the addon) agreeing on every input, valid or not.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  ANSWER_BIT,
  decodeFrame,
  encodeFrame,
  FrameDecoder,
  Kind,
  MAX_CLIENT_IP_LEN,
  MAX_FRAME_LEN,
  MAX_RETRY_AFTER,
  MAX_STAMPS,
  MIN_RETRY_AFTER,
  THROTTLE_SCOPE_ADDRESS,
  STAMP_LEN,
  THROTTLE_SCOPE_USER,
  ProtocolError,
  Status,
  Tag,
  tagCardinality,
  type Field,
  type Message,
} from "../../src/protocol/index.js";
import { loadAddon, type Addon } from "../../src/native/index.js";

const addon = loadAddon();
if (addon === null) throw new Error("build the addon first: npm run build:native");
const native: Addon = addon;

const NUM_RUNS = 300;
const REQUEST_KINDS = Object.values(Kind);
// AUTH and BOOTSTRAP are never answered, so their kinds with the answer bit are unknown.
const ANSWERED_KINDS = REQUEST_KINDS.filter((k) => k !== Kind.AUTH && k !== Kind.BOOTSTRAP);
const ALL_KINDS = [...REQUEST_KINDS, ...ANSWERED_KINDS.map((k) => k | ANSWER_BIT)];
const ALL_TAGS = Object.values(Tag);

const hexDigits = "0123456789abcdef";

/** A valid value for `tag`. */
function valueArb(tag: number): fc.Arbitrary<Buffer> {
  switch (tag) {
    case Tag.VERSION:
      return fc.integer({ min: 0, max: 0xffff }).map((n) => Buffer.from([n >> 8, n & 0xff]));
    case Tag.HANDLER_ID:
    case Tag.GROUP_HANDLER_ID:
    case Tag.TIMEOUT_MS:
      return fc.integer({ min: 0, max: 0xffffffff }).map((n) => {
        const b = Buffer.alloc(4);
        b.writeUInt32BE(n);
        return b;
      });
    case Tag.STATUS:
      return fc.integer({ min: Status.GRANTED, max: Status.ERROR }).map((n) => Buffer.from([n]));
    case Tag.DEFINE_HANDLER:
      return fc
        .tuple(fc.integer({ min: 0, max: 0xffffffff }), fc.uint8Array({ minLength: 1, maxLength: 40 }))
        .map(([id, spec]) => Buffer.concat([Buffer.from([id >>> 24, (id >>> 16) & 0xff, (id >>> 8) & 0xff, id & 0xff]), spec]));
    case Tag.NONCE:
    case Tag.PROOF:
    case Tag.GENERATION_KEY:
      return fc.uint8Array({ minLength: 16, maxLength: 16 }).map((a) => Buffer.from(a));
    case Tag.ALLOWED_SPEC:
      return fc.uint8Array({ minLength: 1, maxLength: 40 }).map((a) => Buffer.from(a));
    case Tag.SECRET_FILE:
      return fc
        .tuple(fc.uint8Array({ maxLength: 20 }), fc.uint8Array({ maxLength: 40 }))
        .map(([path, content]) => Buffer.concat([Buffer.from("/"), Buffer.from(path), Buffer.from([0]), Buffer.from(content)]));
    case Tag.RETRY_AFTER:
      return fc.integer({ min: MIN_RETRY_AFTER, max: MAX_RETRY_AFTER }).map((n) => {
        const b = Buffer.alloc(4);
        b.writeUInt32BE(n);
        return b;
      });
    case Tag.THROTTLE_SCOPE:
      return fc.constantFrom(THROTTLE_SCOPE_ADDRESS, THROTTLE_SCOPE_USER).map((n) => Buffer.from([n]));
    case Tag.CLIENT_IP:
      return fc.uint8Array({ minLength: 1, maxLength: MAX_CLIENT_IP_LEN }).map((a) => Buffer.from(a));
    case Tag.SESSION_KEY:
      return fc.uint8Array({ minLength: 1, maxLength: 60 }).map((a) => Buffer.from(a));
    case Tag.USER_FLAGS:
      return fc.integer({ min: 0, max: 3 }).map((n) => Buffer.from([n]));
    case Tag.STAMP:
      return fc.uint8Array({ minLength: STAMP_LEN, maxLength: STAMP_LEN }).map((a) => Buffer.from(a));
    case Tag.VALID_FOR:
      return fc.integer({ min: 1, max: 0xffffffff }).map((n) => {
        const b = Buffer.alloc(4);
        b.writeUInt32BE(n);
        return b;
      });
    case Tag.WANT_USER_FLAGS:
      return fc.constant(Buffer.alloc(0));
    case Tag.HASH:
      return fc.array(fc.constantFrom(...hexDigits), { minLength: 32, maxLength: 32 }).map((d) => Buffer.from(d.join("")));
    default:
      return fc.oneof(
        fc.uint8Array({ maxLength: 40 }).map((a) => Buffer.from(a)),
        fc.string({ unit: "grapheme", maxLength: 20 }).map((s) => Buffer.from(s, "utf8")),
      );
  }
}

/** How many times a tag appears, by its cardinality in the kind. */
function countArb(kind: number, tag: number): fc.Arbitrary<number> {
  switch (tagCardinality(kind, tag)) {
    case "required":
      return fc.constant(1);
    case "optional":
      return fc.integer({ min: 0, max: 1 });
    case "repeated":
      return fc.integer({ min: 0, max: tag === Tag.STAMP ? MAX_STAMPS : 4 });
    case "oneOrMore":
      return fc.integer({ min: 1, max: 4 });
    default:
      return fc.constant(0);
  }
}

/** Tags that may only ride on a GRANTED answer. */
const GRANTED_ONLY = new Set<number>([Tag.USER_FLAGS, Tag.STAMP, Tag.VALID_FOR]);

/** THROTTLED in place of the STATUS of a CHECK_PASSWORD answer that carries RETRY_AFTER, when `throttle`. */
function maybeThrottled(kind: number, fields: Field[], throttle: boolean): Field[] {
  if (!throttle || kind !== (Kind.CHECK_PASSWORD | ANSWER_BIT) || !fields.some((f) => f.tag === Tag.RETRY_AFTER)) return fields;
  return fields.map((f) => (f.tag === Tag.STATUS ? { tag: Tag.STATUS, value: Buffer.from([Status.THROTTLED]) } : f));
}

/**
 * Version 6's rules across fields: USER_FLAGS, STAMP and VALID_FOR only beside GRANTED (else dropped), a GRANTED
 * CHECK_SESSION answer without USER becomes DENIED (and loses them), and a CHECK_SESSION answer keeps its STAMPs
 * and VALID_FOR only together.
 */
function sessionRules(kind: number, fields: Field[]): Field[] {
  const status = fields.find((f) => f.tag === Tag.STATUS)?.value[0];
  if (status === Status.GRANTED && kind === (Kind.CHECK_SESSION | ANSWER_BIT) && !fields.some((f) => f.tag === Tag.USER)) {
    return fields.filter((f) => !GRANTED_ONLY.has(f.tag)).map((f) => (f.tag === Tag.STATUS ? { tag: Tag.STATUS, value: Buffer.from([Status.DENIED]) } : f));
  }
  const kept = status === Status.GRANTED ? fields : fields.filter((f) => !GRANTED_ONLY.has(f.tag));
  if (kind !== (Kind.CHECK_SESSION | ANSWER_BIT) || kept.some((f) => f.tag === Tag.STAMP) === kept.some((f) => f.tag === Tag.VALID_FOR)) return kept;
  return kept.filter((f) => f.tag !== Tag.STAMP && f.tag !== Tag.VALID_FOR);
}

/** An arbitrary valid message: any kind, each allowed tag as often as allowed, fields in any order. */
const validMessageArb: fc.Arbitrary<Message> = fc
  .record({ kind: fc.constantFrom(...ALL_KINDS), requestId: fc.integer({ min: 0, max: 0xffffffff }), throttle: fc.boolean() })
  .chain(({ kind, requestId, throttle }) =>
    fc
      .tuple(...ALL_TAGS.map((tag) => countArb(kind, tag).chain((n) => fc.array(valueArb(tag), { minLength: n, maxLength: n }).map((values) => values.map((value): Field => ({ tag, value }))))))
      .chain((groups) => fc.shuffledSubarray(groups.flat(), { minLength: groups.flat().length, maxLength: groups.flat().length }))
      .map((fields): Message => ({ kind, requestId, fields: sessionRules(kind, maybeThrottled(kind, fields, throttle)) })),
  );

/** Possibly invalid messages: random kinds and tags, random lengths. */
const anyMessageArb: fc.Arbitrary<Message> = fc.record({
  kind: fc.oneof(fc.constantFrom(...ALL_KINDS), fc.integer({ min: 0, max: 0xff })),
  requestId: fc.integer({ min: 0, max: 0xffffffff }),
  fields: fc.array(
    fc.record({
      tag: fc.oneof(fc.constantFrom(...ALL_TAGS), fc.integer({ min: 0, max: 0xff })),
      value: fc.oneof(fc.uint8Array({ maxLength: 40 }), fc.constant(new Uint8Array(9000))).map((a) => Buffer.from(a)),
    }),
    { maxLength: 12 },
  ),
});

function plain(msg: { kind: number; requestId: number; fields: readonly { tag: number; value: Buffer }[] }): unknown {
  return { kind: msg.kind, requestId: msg.requestId, fields: msg.fields.map((f) => [f.tag, f.value.toString("hex")]) };
}

/** The TS one-shot decoder's verdict, in the addon's shape. */
function tsDecode(buf: Buffer): unknown {
  try {
    const result = decodeFrame(buf);
    if (result === null) return { error: "E_SHORT" };
    return { size: result.size, message: plain(result.message) };
  } catch (err) {
    if (!(err instanceof ProtocolError)) throw err;
    return { error: err.code, requestId: err.requestId };
  }
}

function cDecode(buf: Buffer): unknown {
  const result = native.decode(buf);
  if ("error" in result) return result.error === "E_SHORT" ? { error: "E_SHORT" } : { error: result.error, requestId: result.requestId };
  return { size: result.size, message: plain(result.message) };
}

function encodeVerdict(encode: () => Buffer): string {
  try {
    return encode().toString("hex");
  } catch (err) {
    return (err as { code: string }).code;
  }
}

/** Valid frames with bytes flipped, cut, or inserted: inputs near the edge of validity. */
const mutatedFrameArb: fc.Arbitrary<Buffer> = fc
  .tuple(validMessageArb, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 0xff }), fc.constantFrom("flip", "cut", "insert")), { maxLength: 3 }))
  .map(([msg, edits]) => {
    let frame = encodeFrame(msg);
    for (const [pos, byte, edit] of edits) {
      const at = frame.length === 0 ? 0 : pos % frame.length;
      if (edit === "flip") {
        frame = Buffer.from(frame);
        frame[at] = byte;
      } else if (edit === "cut") frame = frame.subarray(0, at);
      else frame = Buffer.concat([frame.subarray(0, at), Buffer.from([byte]), frame.subarray(at)]);
    }
    return frame;
  });

describe("round trips", () => {
  it("decode(encode(m)) == m for arbitrary valid messages, in TypeScript and C", () => {
    fc.assert(
      fc.property(validMessageArb, (msg) => {
        const frame = encodeFrame(msg);
        const decoded = decodeFrame(frame);
        expect(decoded?.size).toBe(frame.length);
        expect(plain(decoded!.message)).toEqual(plain(msg));
        expect(native.encode(msg.kind, msg.requestId, msg.fields).equals(frame)).toBe(true);
        expect(cDecode(frame)).toEqual({ size: frame.length, message: plain(msg) });
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it("a stream of valid frames split anywhere decodes to the same messages", () => {
    fc.assert(
      fc.property(fc.array(validMessageArb, { minLength: 1, maxLength: 5 }), fc.array(fc.nat(), { maxLength: 8 }), (messages, cuts) => {
        const stream = Buffer.concat(messages.map(encodeFrame));
        const points = [...new Set(cuts.map((c) => c % (stream.length + 1)))].sort((a, b) => a - b);
        const decoder = new FrameDecoder();
        const out: Message[] = [];
        let from = 0;
        for (const point of [...points, stream.length]) {
          out.push(...decoder.push(stream.subarray(from, point)));
          from = point;
        }
        expect(out.map(plain)).toEqual(messages.map(plain));
        expect(decoder.buffered).toBe(0);
      }),
      { numRuns: NUM_RUNS },
    );
  });
});

describe("the decoder on arbitrary bytes", () => {
  const inputArb = fc.oneof(fc.uint8Array({ maxLength: 200 }).map((a) => Buffer.from(a)), mutatedFrameArb);

  it("only returns frames or throws ProtocolError, never holds more than one frame, wherever the bytes are split", () => {
    fc.assert(
      fc.property(fc.array(inputArb, { minLength: 1, maxLength: 6 }), (chunks) => {
        const decoder = new FrameDecoder();
        for (const chunk of chunks) {
          try {
            for (const msg of decoder.push(chunk)) expect(typeof msg.requestId).toBe("number");
          } catch (err) {
            expect(err).toBeInstanceOf(ProtocolError);
            expect(["E_TOO_LARGE", "E_MALFORMED"]).toContain((err as ProtocolError).code);
            return;
          }
          expect(decoder.buffered).toBeLessThanOrEqual(MAX_FRAME_LEN + 4);
        }
      }),
      { numRuns: NUM_RUNS * 2 },
    );
  });

  it("TypeScript and C give the same verdict (frame, more bytes, or error code and request id)", () => {
    fc.assert(
      fc.property(inputArb, (buf) => {
        expect(tsDecode(buf)).toEqual(cDecode(buf));
      }),
      { numRuns: NUM_RUNS * 3 },
    );
  });

  it("TypeScript and C encoders accept and refuse the same messages", () => {
    fc.assert(
      fc.property(anyMessageArb, (msg) => {
        const ts = encodeVerdict(() => encodeFrame(msg));
        const c = encodeVerdict(() => native.encode(msg.kind, msg.requestId, msg.fields));
        expect(c).toBe(ts);
      }),
      { numRuns: NUM_RUNS * 2 },
    );
  });

  it("the mutated inputs reach every verdict", () => {
    // Guards the generators: if they stopped producing errors or frames, the properties above would be weak.
    const verdicts = new Set(fc.sample(mutatedFrameArb, { numRuns: 400, seed: 42 }).map((b) => {
      const v = tsDecode(b) as { error?: string };
      return v.error ?? "frame";
    }));
    expect([...verdicts].sort()).toEqual(["E_MALFORMED", "E_SHORT", "E_TOO_LARGE", "frame"]);
  });
});
