// Runs every vector of test/vectors/protocol.json through the TypeScript codec and through the C codec
// (native/anp_protocol.c, via the addon), in both directions, so the module and the worker read and
// write the same bytes and reject the same frames with the same error code.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { decodeFrame, encodeFrame, FrameDecoder, ProtocolError, type Message } from "../../src/protocol/index.js";
import { loadAddon, type Addon, type AddonDecodeResult } from "../../src/native/index.js";

type Bytes = { hex: string } | { fill: string; length: number };
type FrameSpec = { hex: string } | { parts: Array<string | { fill: string; length: number }> };
interface VectorMessage {
  kind: number;
  requestId: number;
  fields: Array<{ tag: number; value: Bytes }>;
}
interface Vectors {
  valid: Array<{ name: string; frame: FrameSpec; message: VectorMessage }>;
  malformed: Array<{ name: string; frame: FrameSpec; error: "E_TOO_LARGE" | "E_MALFORMED"; requestId: number }>;
  short: Array<{ name: string; frame: FrameSpec }>;
  encodeErrors: Array<{ name: string; error: "E_TOO_LARGE" | "E_MALFORMED"; message: VectorMessage }>;
}

const vectors = JSON.parse(readFileSync(new URL("../vectors/protocol.json", import.meta.url), "utf8")) as Vectors;

const addon = loadAddon();
if (addon === null) throw new Error("build the addon first: npm run build:native");
const native: Addon = addon;

function bytes(value: Bytes): Buffer {
  return "fill" in value ? Buffer.alloc(value.length, Buffer.from(value.fill, "hex")) : Buffer.from(value.hex, "hex");
}

function frameBytes(spec: FrameSpec): Buffer {
  if ("hex" in spec) return Buffer.from(spec.hex, "hex");
  return Buffer.concat(spec.parts.map((part) => (typeof part === "string" ? Buffer.from(part, "hex") : bytes(part))));
}

function toMessage(vector: VectorMessage): Message {
  return { kind: vector.kind, requestId: vector.requestId, fields: vector.fields.map((f) => ({ tag: f.tag, value: bytes(f.value) })) };
}

/** Comparable form: hex values. */
function plain(msg: { kind: number; requestId: number; fields: readonly { tag: number; value: Buffer }[] }): unknown {
  return { kind: msg.kind, requestId: msg.requestId, fields: msg.fields.map((f) => ({ tag: f.tag, value: f.value.toString("hex") })) };
}

function tsError(fn: () => unknown): { code: string; requestId: number } {
  try {
    fn();
  } catch (err) {
    if (!(err instanceof ProtocolError)) throw err;
    return { code: err.code, requestId: err.requestId };
  }
  throw new Error("the TypeScript codec accepted it");
}

function cError(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    return (err as { code: string }).code;
  }
  throw new Error("the C codec accepted it");
}

function expectDecoded(result: AddonDecodeResult): { size: number; message: Message } {
  if ("error" in result) throw new Error(`the C codec rejected it: ${result.error}`);
  return result;
}

it("has vectors of every section", () => {
  expect(vectors.valid.length).toBeGreaterThanOrEqual(20);
  expect(vectors.malformed.length).toBeGreaterThanOrEqual(40);
  expect(vectors.short.length).toBeGreaterThan(0);
  expect(vectors.encodeErrors.length).toBeGreaterThan(0);
});

describe("valid frames", () => {
  for (const vector of vectors.valid) {
    const frame = frameBytes(vector.frame);
    const message = toMessage(vector.message);

    it(`${vector.name}: TypeScript decodes and encodes it`, () => {
      const decoded = decodeFrame(frame);
      expect(decoded?.size).toBe(frame.length);
      expect(plain(decoded!.message)).toEqual(plain(message));
      expect(encodeFrame(message).equals(frame)).toBe(true);
      // Streamed in three uneven pieces, then twice in one chunk.
      const decoder = new FrameDecoder();
      const a = Math.floor(frame.length / 3);
      const out = [...decoder.push(frame.subarray(0, a)), ...decoder.push(frame.subarray(a, a + 5)), ...decoder.push(frame.subarray(a + 5))];
      out.push(...decoder.push(Buffer.concat([frame, frame])));
      expect(out.map(plain)).toEqual([plain(message), plain(message), plain(message)]);
    });

    it(`${vector.name}: C decodes and encodes it`, () => {
      const decoded = expectDecoded(native.decode(frame));
      expect(decoded.size).toBe(frame.length);
      expect(plain(decoded.message)).toEqual(plain(message));
      expect(native.encode(message.kind, message.requestId, message.fields).equals(frame)).toBe(true);
      // Followed by more bytes, the size still names only the first frame.
      expect(expectDecoded(native.decode(Buffer.concat([frame, frame.subarray(0, 5)]))).size).toBe(frame.length);
    });
  }
});

describe("malformed frames", () => {
  for (const vector of vectors.malformed) {
    const frame = frameBytes(vector.frame);
    it(`${vector.name}: ${vector.error} in TypeScript and C`, () => {
      const expected = { code: vector.error, requestId: vector.requestId };
      expect(tsError(() => decodeFrame(frame))).toEqual(expected);
      expect(tsError(() => new FrameDecoder().push(frame))).toEqual(expected);
      const result = native.decode(frame);
      expect(result).toMatchObject({ error: vector.error, requestId: vector.requestId });
    });
  }
});

describe("incomplete frames", () => {
  for (const vector of vectors.short) {
    const frame = frameBytes(vector.frame);
    it(`${vector.name}: both ask for more bytes`, () => {
      expect(decodeFrame(frame)).toBeNull();
      expect(native.decode(frame)).toMatchObject({ error: "E_SHORT" });
      const decoder = new FrameDecoder();
      expect(decoder.push(frame)).toEqual([]);
      expect(decoder.buffered).toBe(frame.length);
    });
  }
});

describe("messages the encoders refuse", () => {
  for (const vector of vectors.encodeErrors) {
    const message = toMessage(vector.message);
    it(`${vector.name}: ${vector.error} in TypeScript and C`, () => {
      expect(tsError(() => encodeFrame(message)).code).toBe(vector.error);
      expect(cError(() => native.encode(message.kind, message.requestId, message.fields))).toBe(vector.error);
    });
  }
});
