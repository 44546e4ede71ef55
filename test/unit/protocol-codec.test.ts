import { describe, expect, it } from "vitest";
import {
  ANSWER_BIT,
  bytesField,
  decodeFrame,
  encodeFrame,
  encodeRawFrame,
  fieldsOf,
  firstField,
  FrameDecoder,
  FrameField,
  Kind,
  MAX_FIELD_LEN,
  MAX_FIELDS,
  MAX_FRAME_LEN,
  ProtocolError,
  readU16,
  readU32,
  readStamp,
  readU8,
  stampField,
  Status,
  Tag,
  textField,
  textOf,
  textsOf,
  u16Field,
  u16Of,
  u32Field,
  u32Of,
  u8Field,
  u8Of,
  validateMessage,
  valueByte,
  valueLength,
  wipePasswords,
  defineHandlerField,
  readDefineHandler,
  MAX_HANDLER_ID,
  wireString,
  type Message,
} from "../../src/protocol/index.js";

const checkPassword: Message = {
  kind: Kind.CHECK_PASSWORD,
  requestId: 0x01020304,
  fields: [
    u32Field(Tag.HANDLER_ID, 1),
    defineHandlerField(1, "type=django\ndatabase=sqlite:///tmp/db.sqlite3"),
    textField(Tag.USER, "alice"),
    textField(Tag.PASSWORD, "sécret"),
    textField(Tag.ENV, "REQUEST_METHOD=GET"),
    textField(Tag.ENV, "REQUEST_URI=/"),
    u32Field(Tag.TIMEOUT_MS, 5000),
  ],
};

function header(bodyLen: number, kind: number, requestId: number, fieldCount: number): Buffer {
  const buf = Buffer.alloc(11);
  buf.writeUInt32BE(bodyLen, 0);
  buf.writeUInt8(kind, 4);
  buf.writeUInt32BE(requestId, 5);
  buf.writeUInt16BE(fieldCount, 9);
  return buf;
}

function fieldBytes(tag: number, value: Buffer): Buffer {
  const head = Buffer.alloc(3);
  head.writeUInt8(tag, 0);
  head.writeUInt16BE(value.length, 1);
  return Buffer.concat([head, value]);
}

/** A frame built by hand, with a correct length prefix over whatever body bytes are given. */
function rawFrame(kind: number, requestId: number, fieldCount: number, ...parts: Buffer[]): Buffer {
  const rest = Buffer.concat(parts);
  return Buffer.concat([header(7 + rest.length, kind, requestId, fieldCount), rest]);
}

function protocolError(fn: () => unknown): ProtocolError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ProtocolError);
    return err as ProtocolError;
  }
  throw new Error("expected a ProtocolError");
}

function plain(msg: Message): unknown {
  return { kind: msg.kind, requestId: msg.requestId, fields: msg.fields.map((f) => [f.tag, f.value.toString("hex")]) };
}

describe("encodeFrame", () => {
  it("lays out a frame as docs/protocol.md says", () => {
    const msg: Message = { kind: Kind.HELLO, requestId: 0, fields: [u16Field(Tag.VERSION, 1), bytesField(Tag.NONCE, Buffer.alloc(16, 0xab))] };
    expect(encodeFrame(msg).toString("hex")).toBe("0000001f" + "01" + "00000000" + "0002" + "01" + "0002" + "0001" + "10" + "0010" + "ab".repeat(16));
  });

  it("round-trips every request and answer kind", () => {
    const messages: Message[] = [
      { kind: Kind.HELLO, requestId: 0, fields: [u16Field(Tag.VERSION, 1), bytesField(Tag.NONCE, Buffer.alloc(16, 1))] },
      { kind: Kind.AUTH, requestId: 0, fields: [bytesField(Tag.PROOF, Buffer.alloc(16, 2))] },
      checkPassword,
      { kind: Kind.GROUPS_FOR_USER, requestId: 7, fields: [u32Field(Tag.HANDLER_ID, 3), textField(Tag.USER, "bob"), textField(Tag.GROUP, "a"), textField(Tag.GROUP, "b")] },
      { kind: Kind.HAS_PERMISSION, requestId: 8, fields: [u32Field(Tag.HANDLER_ID, 1), textField(Tag.USER, "u"), textField(Tag.PERMISSION, "svn.commit")] },
      { kind: Kind.GET_REALM_HASH, requestId: 9, fields: [u32Field(Tag.HANDLER_ID, 1), textField(Tag.USER, "u"), textField(Tag.REALM, "r")] },
      { kind: Kind.ALLOW_ACCESS, requestId: 0xffffffff, fields: [u32Field(Tag.HANDLER_ID, 1), textField(Tag.HOST, "127.0.0.1")] },
      { kind: Kind.HELLO | ANSWER_BIT, requestId: 0, fields: [u8Field(Tag.STATUS, Status.GRANTED), u16Field(Tag.VERSION, 1), bytesField(Tag.NONCE, Buffer.alloc(16, 3)), bytesField(Tag.PROOF, Buffer.alloc(16, 4))] },
      { kind: Kind.CHECK_PASSWORD | ANSWER_BIT, requestId: 1, fields: [u8Field(Tag.STATUS, Status.GRANTED), textField(Tag.USER, "other"), textField(Tag.GROUP, "g")] },
      { kind: Kind.GROUPS_FOR_USER | ANSWER_BIT, requestId: 2, fields: [u8Field(Tag.STATUS, Status.DENIED)] },
      { kind: Kind.HAS_PERMISSION | ANSWER_BIT, requestId: 3, fields: [u8Field(Tag.STATUS, Status.ERROR), textField(Tag.REASON, "db down")] },
      { kind: Kind.GET_REALM_HASH | ANSWER_BIT, requestId: 4, fields: [u8Field(Tag.STATUS, Status.GRANTED), textField(Tag.HASH, "0123456789abcdef0123456789abcdef")] },
      { kind: Kind.ALLOW_ACCESS | ANSWER_BIT, requestId: 5, fields: [u8Field(Tag.STATUS, Status.USER_NOT_FOUND)] },
    ];
    for (const msg of messages) {
      const frame = encodeFrame(msg);
      const decoded = decodeFrame(frame);
      expect(decoded?.size).toBe(frame.length);
      expect(plain(decoded!.message)).toEqual(plain(msg));
    }
  });

  it("refuses over-limit input with E_TOO_LARGE", () => {
    const big = { ...checkPassword, fields: [...checkPassword.fields, { tag: Tag.ENV, value: Buffer.alloc(MAX_FIELD_LEN + 1, 0x41) }] };
    expect(protocolError(() => encodeFrame(big)).code).toBe("E_TOO_LARGE");
    const many = { ...checkPassword, fields: [...checkPassword.fields, ...Array.from({ length: MAX_FIELDS }, () => textField(Tag.ENV, "A=B"))] };
    expect(protocolError(() => encodeFrame(many)).code).toBe("E_TOO_LARGE");
    const env = Array.from({ length: 9 }, () => ({ tag: Tag.ENV, value: Buffer.alloc(MAX_FIELD_LEN, 0x41) }));
    const long = { ...checkPassword, fields: [...checkPassword.fields, ...env] };
    expect(protocolError(() => encodeFrame(long)).code).toBe("E_TOO_LARGE");
  });

  it("encodes a body of exactly MAX_FRAME_LEN and refuses one byte more", () => {
    const base = encodeFrame(checkPassword).length - 4;
    const fill = MAX_FRAME_LEN - base;
    const fields = [...checkPassword.fields];
    let left = fill;
    while (left > 0) {
      const len = Math.min(MAX_FIELD_LEN, left - 3);
      fields.push({ tag: Tag.ENV, value: Buffer.alloc(len, 0x3d) });
      left -= 3 + len;
    }
    const exact = encodeFrame({ ...checkPassword, fields });
    expect(exact.readUInt32BE(0)).toBe(MAX_FRAME_LEN);
    expect(decodeFrame(exact)?.size).toBe(MAX_FRAME_LEN + 4);
    const last = fields[fields.length - 1]!;
    fields[fields.length - 1] = { tag: last.tag, value: Buffer.alloc(last.value.length + 1, 0x3d) };
    expect(protocolError(() => encodeFrame({ ...checkPassword, fields })).code).toBe("E_TOO_LARGE");
  });

  it("refuses invalid messages with E_MALFORMED", () => {
    const noPassword = { ...checkPassword, fields: checkPassword.fields.filter((f) => f.tag !== Tag.PASSWORD) };
    expect(protocolError(() => encodeFrame(noPassword)).code).toBe("E_MALFORMED");
    expect(protocolError(() => encodeFrame({ ...checkPassword, kind: 0x07 })).code).toBe("E_MALFORMED");
    expect(protocolError(() => encodeFrame({ ...checkPassword, requestId: 2 ** 32 })).code).toBe("E_MALFORMED");
    expect(protocolError(() => encodeFrame({ ...checkPassword, requestId: -1 })).code).toBe("E_MALFORMED");
    // encodeRawFrame skips the message rules, so tests can make frames the decoder must reject.
    const raw = encodeRawFrame(noPassword);
    const err = protocolError(() => decodeFrame(raw));
    expect(err.code).toBe("E_MALFORMED");
    expect(err.requestId).toBe(checkPassword.requestId);
  });
});

describe("decodeFrame", () => {
  const frame = encodeFrame(checkPassword);

  it("asks for more bytes until the whole frame is there", () => {
    for (let n = 0; n < frame.length; n++) expect(decodeFrame(frame.subarray(0, n))).toBeNull();
    expect(decodeFrame(Buffer.concat([frame, frame]))?.size).toBe(frame.length);
  });

  it("rejects bad length prefixes at once, with request id 0", () => {
    const short = Buffer.from("00000006", "hex");
    expect(protocolError(() => decodeFrame(short))).toMatchObject({ code: "E_MALFORMED", requestId: 0 });
    const long = Buffer.from("00010001", "hex");
    expect(protocolError(() => decodeFrame(long))).toMatchObject({ code: "E_TOO_LARGE", requestId: 0 });
  });

  const hello = fieldBytes(Tag.VERSION, Buffer.from("0001", "hex"));
  const nonce = fieldBytes(Tag.NONCE, Buffer.alloc(16, 1));
  const cases: Array<[string, Buffer, "E_TOO_LARGE" | "E_MALFORMED"]> = [
    ["too many fields", rawFrame(Kind.HELLO, 5, MAX_FIELDS + 1, hello), "E_TOO_LARGE"],
    ["HELLO without NONCE", rawFrame(Kind.HELLO, 5, 1, hello), "E_MALFORMED"],
    ["a NONCE of 15 bytes", rawFrame(Kind.HELLO, 5, 2, hello, fieldBytes(Tag.NONCE, Buffer.alloc(15, 1))), "E_MALFORMED"],
    ["AUTH without PROOF", rawFrame(Kind.AUTH, 5, 0), "E_MALFORMED"],
    ["a field longer than MAX_FIELD_LEN", rawFrame(Kind.HELLO, 5, 1, Buffer.from([Tag.VERSION, 0x20, 0x01])), "E_TOO_LARGE"],
    ["a field header past the end", rawFrame(Kind.HELLO, 5, 2, hello, Buffer.from([Tag.VERSION, 0])), "E_MALFORMED"],
    ["a field value past the end", rawFrame(Kind.HELLO, 5, 1, Buffer.from([Tag.VERSION, 0, 3, 0, 1])), "E_MALFORMED"],
    ["bytes after the last field", rawFrame(Kind.HELLO, 5, 2, hello, nonce, Buffer.from([0])), "E_MALFORMED"],
    ["an unknown kind", rawFrame(0x09, 5, 1, hello), "E_MALFORMED"],
    ["an answer bit on an unknown kind", rawFrame(0x80, 5, 0), "E_MALFORMED"],
    ["an unknown tag", rawFrame(Kind.HELLO, 5, 3, hello, nonce, fieldBytes(21, Buffer.alloc(0))), "E_MALFORMED"],
    ["tag 0", rawFrame(Kind.HELLO, 5, 3, hello, nonce, fieldBytes(0, Buffer.alloc(0))), "E_MALFORMED"],
    ["a tag not allowed for the kind", rawFrame(Kind.HELLO, 5, 3, hello, nonce, fieldBytes(Tag.PASSWORD, Buffer.from("x"))), "E_MALFORMED"],
    ["a required field twice", rawFrame(Kind.HELLO, 5, 3, hello, nonce, hello), "E_MALFORMED"],
    ["a missing required field", rawFrame(Kind.HELLO, 5, 0), "E_MALFORMED"],
    ["a u16 of 3 bytes", rawFrame(Kind.HELLO, 5, 1, fieldBytes(Tag.VERSION, Buffer.from("000001", "hex"))), "E_MALFORMED"],
    ["a u8 status of 2 bytes", rawFrame(Kind.HELLO | ANSWER_BIT, 5, 1, fieldBytes(Tag.STATUS, Buffer.from("0001", "hex"))), "E_MALFORMED"],
    ["status 0", rawFrame(Kind.HELLO | ANSWER_BIT, 5, 1, fieldBytes(Tag.STATUS, Buffer.from([0]))), "E_MALFORMED"],
    ["status 5", rawFrame(Kind.HELLO | ANSWER_BIT, 5, 1, fieldBytes(Tag.STATUS, Buffer.from([5]))), "E_MALFORMED"],
    ["an answer without STATUS", rawFrame(Kind.HELLO | ANSWER_BIT, 5, 1, hello), "E_MALFORMED"],
    ["a hash in upper case", rawFrame(Kind.GET_REALM_HASH | ANSWER_BIT, 5, 2, fieldBytes(Tag.STATUS, Buffer.from([1])), fieldBytes(Tag.HASH, Buffer.from("0123456789ABCDEF0123456789abcdef"))), "E_MALFORMED"],
    ["a hash of 31 digits", rawFrame(Kind.GET_REALM_HASH | ANSWER_BIT, 5, 2, fieldBytes(Tag.STATUS, Buffer.from([1])), fieldBytes(Tag.HASH, Buffer.from("0123456789abcdef0123456789abcde"))), "E_MALFORMED"],
    ["HAS_PERMISSION without a permission", rawFrame(Kind.HAS_PERMISSION, 5, 2, fieldBytes(Tag.HANDLER_ID, Buffer.from("00000001", "hex")), fieldBytes(Tag.USER, Buffer.from("u"))), "E_MALFORMED"],
  ];
  for (const [name, bytes, code] of cases) {
    it(`rejects ${name} with ${code} and the frame's request id`, () => {
      expect(protocolError(() => decodeFrame(bytes))).toMatchObject({ code, requestId: 5 });
      expect(protocolError(() => new FrameDecoder().push(bytes))).toMatchObject({ code, requestId: 5 });
    });
  }

  it("accepts the maximum field length and field count", () => {
    const env = fieldBytes(Tag.ENV, Buffer.alloc(MAX_FIELD_LEN, 0x3d));
    const base = [fieldBytes(Tag.HANDLER_ID, Buffer.from("00000001", "hex")), ...[Tag.USER, Tag.PASSWORD].map((tag) => fieldBytes(tag, Buffer.from("x")))];
    const maxLen = rawFrame(Kind.CHECK_PASSWORD, 1, 4, ...base, env);
    expect(decodeFrame(maxLen)?.message.fields[3]?.value.length).toBe(MAX_FIELD_LEN);
    const envs = Array.from({ length: MAX_FIELDS - 3 }, () => fieldBytes(Tag.ENV, Buffer.from("A=")));
    const maxCount = rawFrame(Kind.CHECK_PASSWORD, 1, MAX_FIELDS, ...base, ...envs);
    expect(decodeFrame(maxCount)?.message.fields.length).toBe(MAX_FIELDS);
  });
});

describe("FrameDecoder", () => {
  const frames = [encodeFrame(checkPassword), encodeFrame({ kind: Kind.HELLO, requestId: 0, fields: [u16Field(Tag.VERSION, 1), bytesField(Tag.NONCE, Buffer.alloc(16, 1))] })];
  const stream = Buffer.concat([...frames, ...frames]);

  it("decodes frames fed one byte at a time", () => {
    const decoder = new FrameDecoder();
    const out: Message[] = [];
    for (const byte of stream) out.push(...decoder.push(Buffer.from([byte])));
    expect(out.map((m) => m.requestId)).toEqual([0x01020304, 0, 0x01020304, 0]);
    expect(plain(out[2]!)).toEqual(plain(checkPassword));
    expect(decoder.buffered).toBe(0);
  });

  it("decodes several frames in one chunk, and split at every offset", () => {
    for (let cut = 0; cut <= stream.length; cut++) {
      const decoder = new FrameDecoder();
      const out = [...decoder.push(stream.subarray(0, cut)), ...decoder.push(stream.subarray(cut))];
      expect(out.length).toBe(4);
    }
  });

  it("returns messages that own their bytes", () => {
    const chunk = Buffer.from(frames[0]!);
    const [msg] = new FrameDecoder().push(chunk);
    chunk.fill(0);
    expect(textOf(msg!, Tag.USER)).toBe("alice");
  });

  it("fails on an over-long prefix before the body arrives, and stays failed", () => {
    const decoder = new FrameDecoder();
    expect(decoder.push(Buffer.from("0001", "hex"))).toEqual([]);
    const err = protocolError(() => decoder.push(Buffer.from("0001", "hex")));
    expect(err).toMatchObject({ code: "E_TOO_LARGE", requestId: 0 });
    expect(protocolError(() => decoder.push(frames[1]!))).toBe(err);
    expect(decoder.buffered).toBe(0);
  });

  it("never holds more than one maximum frame", () => {
    const decoder = new FrameDecoder();
    const prefix = Buffer.alloc(4);
    prefix.writeUInt32BE(MAX_FRAME_LEN);
    decoder.push(prefix);
    decoder.push(Buffer.alloc(MAX_FRAME_LEN - 1));
    expect(decoder.buffered).toBe(MAX_FRAME_LEN + 3);
    // The last body byte completes the frame, which is then judged (all zero fields: kind 0 is unknown).
    expect(protocolError(() => decoder.push(Buffer.alloc(1)))).toMatchObject({ code: "E_MALFORMED" });
  });
});

describe("field helpers", () => {
  it("builds and reads a STAMP: u64 epoch, u32 slot, u64 generation, big-endian", () => {
    const field = stampField({ epoch: 0x0102030405060708n, slot: 0x0a0b0c0d, generation: 0xfffffffffffffffen });
    expect(field.value.toString("hex")).toBe("0102030405060708" + "0a0b0c0d" + "fffffffffffffffe");
    expect(readStamp(field)).toEqual({ epoch: 0x0102030405060708n, slot: 0x0a0b0c0d, generation: 0xfffffffffffffffen });
    const frame = encodeFrame({ kind: Kind.CHECK_PASSWORD | ANSWER_BIT, requestId: 3, fields: [u8Field(Tag.STATUS, Status.GRANTED), field] });
    expect(readStamp(firstField(decodeFrame(frame)!.message, Tag.STAMP)!)).toEqual(readStamp(field));
    expect(() => stampField({ epoch: -1n, slot: 0, generation: 0n })).toThrow(ProtocolError);
    expect(() => stampField({ epoch: 0n, slot: 0, generation: 1n << 64n })).toThrow(ProtocolError);
    expect(() => stampField({ epoch: 0n, slot: 2 ** 32, generation: 0n })).toThrow(ProtocolError);
    expect(() => readStamp({ tag: Tag.STAMP, value: Buffer.alloc(19) })).toThrow(ProtocolError);
  });

  it("builds and reads fixed-width integers", () => {
    const msg: Message = {
      kind: Kind.HELLO | ANSWER_BIT,
      requestId: 0,
      fields: [u8Field(Tag.STATUS, 4), u16Field(Tag.VERSION, 0xfffe), u32Field(Tag.TIMEOUT_MS, 0xfffffffe)],
    };
    expect(u8Of(msg, Tag.STATUS)).toBe(4);
    expect(u16Of(msg, Tag.VERSION)).toBe(0xfffe);
    expect(u32Of(msg, Tag.TIMEOUT_MS)).toBe(0xfffffffe);
    expect(u32Of(msg, Tag.HASH)).toBeUndefined();
    expect(() => u8Field(Tag.STATUS, 256)).toThrow(ProtocolError);
    expect(() => u16Field(Tag.VERSION, -1)).toThrow(ProtocolError);
    expect(() => u32Field(Tag.TIMEOUT_MS, 1.5)).toThrow(ProtocolError);
  });

  it("checks widths when reading", () => {
    const field = { tag: Tag.TIMEOUT_MS, value: Buffer.from("000001", "hex") };
    expect(() => readU32(field)).toThrow(ProtocolError);
    expect(() => readU16(field)).toThrow(ProtocolError);
    expect(() => readU8(field)).toThrow(ProtocolError);
    expect(readU16({ tag: Tag.VERSION, value: Buffer.from("0102", "hex") })).toBe(0x0102);
  });

  it("builds and reads DEFINE_HANDLER (id and spec text), refusing what the other side must refuse", () => {
    const field = defineHandlerField(1024, "type=script\npath=/é.mjs");
    expect(field.value.subarray(0, 4).toString("hex")).toBe("00000400");
    expect(readDefineHandler(field)).toEqual({ id: 1024, spec: "type=script\npath=/é.mjs" });
    expect(readDefineHandler(defineHandlerField(1, "x"))).toEqual({ id: 1, spec: "x" });
    expect(() => defineHandlerField(0, "x")).toThrow(ProtocolError);
    expect(() => defineHandlerField(MAX_HANDLER_ID + 1, "x")).toThrow(ProtocolError);
    expect(() => defineHandlerField(1.5, "x")).toThrow(ProtocolError);
    expect(() => defineHandlerField(1, "")).toThrow(ProtocolError);
    expect(() => readDefineHandler({ tag: Tag.DEFINE_HANDLER, value: Buffer.from("00000001", "hex") })).toThrow(ProtocolError);
    // The reader does not range-check the id: the per-connection table refuses it with a reason.
    expect(readDefineHandler({ tag: Tag.DEFINE_HANDLER, value: Buffer.from("0000000078", "hex") })).toEqual({ id: 0, spec: "x" });
  });

  it("finds first and all fields of a tag", () => {
    expect(textsOf(checkPassword, Tag.ENV)).toEqual(["REQUEST_METHOD=GET", "REQUEST_URI=/"]);
    expect(fieldsOf(checkPassword, Tag.GROUP)).toEqual([]);
    expect(firstField(checkPassword, Tag.PASSWORD)?.value.toString("utf8")).toBe("sécret");
    expect(textOf(checkPassword, Tag.REALM)).toBeUndefined();
  });

  it("decodes user input as UTF-8 when valid, else Latin-1", () => {
    expect(wireString(Buffer.from("Zoë", "utf8"))).toBe("Zoë");
    expect(wireString(Buffer.from([0x5a, 0x6f, 0xeb]))).toBe("Zoë");
    expect(wireString(Buffer.from([0xc3]))).toBe("Ã");
    expect(wireString(Buffer.alloc(0))).toBe("");
    const bytes = Buffer.from([0xef, 0xbb, 0xbf, 0x41]);
    expect(wireString(bytes)).toBe("\ufeffA");
  });

  it("wipePasswords zeroes the password bytes of a decoded frame and nothing else", () => {
    const [msg] = new FrameDecoder().push(encodeFrame(checkPassword));
    const password = firstField(msg!, Tag.PASSWORD)!.value;
    expect(password.toString("utf8")).toBe("sécret");
    wipePasswords(msg!);
    expect([...password]).toEqual(new Array(Buffer.byteLength("sécret")).fill(0));
    expect(textOf(msg!, Tag.USER)).toBe("alice");
    expect(textsOf(msg!, Tag.ENV)).toEqual(["REQUEST_METHOD=GET", "REQUEST_URI=/"]);
  });

  it("validateMessage accepts what encodeFrame accepts", () => {
    expect(() => validateMessage(checkPassword)).not.toThrow();
    expect(() => validateMessage({ ...checkPassword, fields: [...checkPassword.fields, u32Field(Tag.TIMEOUT_MS, 1)] })).toThrow(ProtocolError);
  });
});

describe("decoded fields (FrameField) and the decoder's output array", () => {
  it("a decoded value is a view of the frame made on first read, stable, and read without it by the helpers", () => {
    const [msg] = new FrameDecoder().push(encodeFrame(checkPassword));
    const fields = msg!.fields;
    expect(fields.every((f) => f instanceof FrameField)).toBe(true);
    const env = fields[4] as FrameField;
    expect(env.byteLength).toBe("REQUEST_METHOD=GET".length);
    expect(valueLength(env)).toBe(env.byteLength);
    expect(env.utf8()).toBe("REQUEST_METHOD=GET");
    expect(env.indexOf(0x3d)).toBe("REQUEST_METHOD".length);
    expect(env.indexOf(0x7e)).toBe(-1);
    expect(valueByte(env, 0)).toBe(0x52);
    expect(valueByte(env, env.byteLength)).toBeUndefined();
    expect(valueByte(env, -1)).toBeUndefined();
    expect(env.value).toBe(env.value);
    expect(env.value.toString("utf8")).toBe("REQUEST_METHOD=GET");
    expect(u32Of(msg!, Tag.TIMEOUT_MS)).toBe(5000);
    expect(u32Of(msg!, Tag.HANDLER_ID)).toBe(1);
    expect(readDefineHandler(fields[1]!)).toEqual({ id: 1, spec: "type=django\ndatabase=sqlite:///tmp/db.sqlite3" });
    // The view and the field's own readers see the same bytes: wiping through one shows in the other.
    const password = fields[3] as FrameField;
    const before = password.utf8();
    password.value.fill(0x41);
    expect(password.utf8()).toBe("A".repeat(Buffer.byteLength(before)));
  });

  it("push appends to the array it is given and returns it", () => {
    const out: Message[] = [{ kind: Kind.HELLO, requestId: 99, fields: [] }];
    const frame = encodeFrame(checkPassword);
    const decoder = new FrameDecoder();
    expect(decoder.push(frame.subarray(0, 10), out)).toBe(out);
    expect(out.length).toBe(1);
    decoder.push(Buffer.concat([frame.subarray(10), frame]), out);
    expect(out.map((m) => m.requestId)).toEqual([99, 0x01020304, 0x01020304]);
    expect(plain(out[2]!)).toEqual(plain(checkPassword));
  });

  it("a chunk that is a Uint8Array but not a Buffer decodes the same", () => {
    const frame = encodeFrame(checkPassword);
    const copy = new Uint8Array(frame.length + 6);
    copy.set(frame, 3);
    const [msg] = new FrameDecoder().push(copy.subarray(3, 3 + frame.length));
    expect(plain(msg!)).toEqual(plain(checkPassword));
  });
});

describe("validateMessage keeps nothing from one message to the next", () => {
  it("a tag seen in an earlier message is neither 'repeated' nor 'present' in the next", () => {
    const withoutPassword: Message = { ...checkPassword, fields: checkPassword.fields.filter((f) => f.tag !== Tag.PASSWORD) };
    for (let i = 0; i < 3; i++) {
      expect(() => validateMessage(checkPassword)).not.toThrow();
      expect(() => validateMessage(withoutPassword)).toThrow(/missing required tag 4/);
    }
  });

  it("names the lowest missing required tag, and the first bad field in frame order", () => {
    const bare: Message = { kind: Kind.GET_REALM_HASH, requestId: 1, fields: [textField(Tag.ENV, "A=1")] };
    expect(() => validateMessage(bare)).toThrow(/missing required tag 2 \(kind 0x05\)/);
    const twice: Message = {
      kind: Kind.CHECK_PASSWORD,
      requestId: 1,
      fields: [...checkPassword.fields, textField(Tag.USER, "b"), textField(Tag.HASH, "x")],
    };
    expect(() => validateMessage(twice)).toThrow(/tag 3 repeated/);
    const status: Message = { kind: Kind.HELLO | ANSWER_BIT, requestId: 1, fields: [{ tag: Tag.STATUS, value: Buffer.from([6]) }] };
    expect(() => validateMessage(status)).toThrow(/unknown status 6/);
    const hash: Message = {
      kind: Kind.GET_REALM_HASH | ANSWER_BIT,
      requestId: 1,
      fields: [u8Field(Tag.STATUS, Status.GRANTED), textField(Tag.HASH, "0123456789ABCDEF0123456789abcdef")],
    };
    expect(() => validateMessage(hash)).toThrow(/HASH must be 32 lowercase hex digits/);
    expect(() => validateMessage({ ...hash, fields: [u8Field(Tag.STATUS, Status.GRANTED), textField(Tag.HASH, "0123456789abcdef0123456789abcdef")] })).not.toThrow();
    expect(() => validateMessage({ kind: 0x7f, requestId: 1, fields: [] })).toThrow(/unknown message kind/);
    expect(() => validateMessage({ kind: Kind.HELLO, requestId: 1, fields: [{ tag: 200, value: Buffer.alloc(0) }] })).toThrow(/unknown tag 200/);
  });
});
