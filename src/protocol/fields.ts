// Building and reading field values. Readers check fixed widths themselves, so a caller holding a
// Message that did not come from the decoder still gets a ProtocolError, never a wrong number.
import { MAX_HANDLER_ID, STAMP_LEN, Tag } from "./constants.js";
import { ProtocolError } from "../errors.js";
import { FrameField, valueByte, valueLength, type Field, type Message } from "./message.js";
import { DEFINE_HANDLER_MIN_LEN } from "./rules.js";

export function bytesField(tag: number, value: Uint8Array): Field {
  return { tag, value: Buffer.from(value) };
}

/** UTF-8 text. */
export function textField(tag: number, value: string): Field {
  return { tag, value: Buffer.from(value, "utf8") };
}

function checkedInt(value: number, max: number, what: string): number {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new ProtocolError("E_MALFORMED", `${what} out of range: ${value}`);
  }
  return value;
}

export function u8Field(tag: number, value: number): Field {
  const buf = Buffer.alloc(1);
  buf.writeUInt8(checkedInt(value, 0xff, "u8"));
  return { tag, value: buf };
}

export function u16Field(tag: number, value: number): Field {
  const buf = Buffer.alloc(2);
  buf.writeUInt16BE(checkedInt(value, 0xffff, "u16"));
  return { tag, value: buf };
}

export function u32Field(tag: number, value: number): Field {
  const buf = Buffer.alloc(4);
  buf.writeUInt32BE(checkedInt(value, 0xffff_ffff, "u32"));
  return { tag, value: buf };
}

/**
 * DEFINE_HANDLER: the id (u32, big-endian) followed by the spec text. The id must be 1..MAX_HANDLER_ID
 * and the text at least one byte, so the field is never one the other side must refuse.
 */
export function defineHandlerField(id: number, spec: string): Field {
  if (!Number.isInteger(id) || id < 1 || id > MAX_HANDLER_ID) {
    throw new ProtocolError("E_MALFORMED", `handler id out of range: ${id}`);
  }
  const text = Buffer.from(spec, "utf8");
  if (text.length === 0) throw new ProtocolError("E_MALFORMED", "DEFINE_HANDLER needs a spec text");
  const value = Buffer.allocUnsafe(4 + text.length);
  value.writeUInt32BE(id, 0);
  text.copy(value, 4);
  return { tag: Tag.DEFINE_HANDLER, value };
}

/** A STAMP's value: the generations table's epoch, a slot and that slot's generation (docs/protocol.md "Stamps"). */
export interface StampValue {
  readonly epoch: bigint;
  readonly slot: number;
  readonly generation: bigint;
}

const U64_MAX = 0xffff_ffff_ffff_ffffn;

/** STAMP: u64 epoch, u32 slot, u64 generation, big-endian. */
export function stampField(stamp: StampValue): Field {
  if (stamp.epoch < 0n || stamp.epoch > U64_MAX || stamp.generation < 0n || stamp.generation > U64_MAX) {
    throw new ProtocolError("E_MALFORMED", "STAMP epoch or generation out of range");
  }
  const value = Buffer.alloc(STAMP_LEN);
  value.writeBigUInt64BE(stamp.epoch, 0);
  value.writeUInt32BE(checkedInt(stamp.slot, 0xffff_ffff, "STAMP slot"), 8);
  value.writeBigUInt64BE(stamp.generation, 12);
  return { tag: Tag.STAMP, value };
}

export function readStamp(field: Field): StampValue {
  if (field.tag !== Tag.STAMP || valueLength(field) !== STAMP_LEN) throw new ProtocolError("E_MALFORMED", "not a STAMP field");
  const value = field.value;
  return { epoch: value.readBigUInt64BE(0), slot: value.readUInt32BE(8), generation: value.readBigUInt64BE(12) };
}

/** A handler definition as read from the wire; the id is not range-checked here (that is the table's job). */
export interface HandlerDefinition {
  readonly id: number;
  readonly spec: string;
}

/** Reads a DEFINE_HANDLER value (at least 5 bytes, as the codec checks). */
export function readDefineHandler(field: Field): HandlerDefinition {
  const length = valueLength(field);
  if (length < DEFINE_HANDLER_MIN_LEN) {
    throw new ProtocolError("E_MALFORMED", `tag ${field.tag} must be at least ${DEFINE_HANDLER_MIN_LEN} bytes, got ${length}`);
  }
  const id = readUint(field, 4);
  const spec = field instanceof FrameField ? field.utf8(4) : field.value.toString("utf8", 4);
  return { id, spec };
}

/** The first field with `tag`, or undefined. */
export function firstField(msg: Message, tag: number): Field | undefined {
  const fields = msg.fields;
  for (let i = 0; i < fields.length; i++) if ((fields[i] as Field).tag === tag) return fields[i];
  return undefined;
}

/** Every field with `tag`, in frame order. */
export function fieldsOf(msg: Message, tag: number): Field[] {
  const out: Field[] = [];
  for (const field of msg.fields) if (field.tag === tag) out.push(field);
  return out;
}

/** The value as UTF-8 (invalid sequences become U+FFFD; use wireString for user input). */
export function readText(field: Field): string {
  return field instanceof FrameField ? field.utf8() : field.value.toString("utf8");
}

function checkWidth(field: Field, width: number): void {
  const length = valueLength(field);
  if (length !== width) {
    throw new ProtocolError("E_MALFORMED", `tag ${field.tag} must be ${width} bytes, got ${length}`);
  }
}

/** Big-endian unsigned integer of `width` bytes (the width already checked). */
function readUint(field: Field, width: number): number {
  let n = 0;
  for (let i = 0; i < width; i++) n = n * 256 + (valueByte(field, i) ?? 0);
  return n;
}

export function readU8(field: Field): number {
  checkWidth(field, 1);
  return readUint(field, 1);
}

export function readU16(field: Field): number {
  checkWidth(field, 2);
  return readUint(field, 2);
}

export function readU32(field: Field): number {
  checkWidth(field, 4);
  return readUint(field, 4);
}

/** Text of the first field with `tag`, or undefined. */
export function textOf(msg: Message, tag: number): string | undefined {
  const field = firstField(msg, tag);
  return field === undefined ? undefined : readText(field);
}

/** Texts of every field with `tag`. */
export function textsOf(msg: Message, tag: number): string[] {
  return fieldsOf(msg, tag).map(readText);
}

export function u8Of(msg: Message, tag: number): number | undefined {
  const field = firstField(msg, tag);
  return field === undefined ? undefined : readU8(field);
}

export function u16Of(msg: Message, tag: number): number | undefined {
  const field = firstField(msg, tag);
  return field === undefined ? undefined : readU16(field);
}

export function u32Of(msg: Message, tag: number): number | undefined {
  const field = firstField(msg, tag);
  return field === undefined ? undefined : readU32(field);
}

const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/**
 * A user name or password as handlers see it: UTF-8 when the bytes are valid UTF-8, otherwise Latin-1,
 * which maps every byte to one character (mod_wsgi's choice, docs/protocol.md "Frames").
 */
export function wireString(value: Uint8Array): string {
  try {
    return strictUtf8.decode(value);
  } catch {
    return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString("latin1");
  }
}

/**
 * Overwrites the PASSWORD values of `msg` with zeros. The decoder gives each frame its own buffer, so
 * this clears the password bytes the frame held once the check is done; strings already made from them
 * are the garbage collector's, which is why handlers get the bytes too.
 */
export function wipePasswords(msg: Message): void {
  // A session key is a bearer credential as much as a password is.
  for (const field of msg.fields) if (field.tag === Tag.PASSWORD || field.tag === Tag.SESSION_KEY) field.value.fill(0);
}
