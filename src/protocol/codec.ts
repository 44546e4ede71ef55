// Frames to bytes and back (docs/protocol.md, "Frames"). The decoder checks a frame in two steps, in
// the same order as native/anp_protocol.c so both report the same error code for the same bytes:
// first the layout (length prefix, field count, each field's bounds, trailing bytes), then the
// message rules of rules.ts (kind, tags, cardinality, value checks).
import { HEADER_LEN, MAX_FIELD_LEN, MAX_FIELDS, MAX_FRAME_LEN } from "./constants.js";
import { ProtocolError } from "../errors.js";
import { FrameField, type Field, type Message } from "./message.js";
import { validateMessage } from "./rules.js";

/** Bytes before the body: the u32 length prefix. */
export const LENGTH_PREFIX_LEN = 4;
const FIELD_HEADER_LEN = 3;
const U32_MAX = 0xffff_ffff;

function isByte(n: number): boolean {
  return Number.isInteger(n) && n >= 0 && n <= 0xff;
}

/**
 * Encodes `msg` after checking only the limits and integer ranges, not the message rules. For tests
 * that need a well-sized but invalid frame; everything else uses encodeFrame.
 */
export function encodeRawFrame(msg: Message): Buffer {
  const requestId = msg.requestId;
  if (!isByte(msg.kind)) throw new ProtocolError("E_MALFORMED", `kind must be a byte, got ${msg.kind}`);
  if (!Number.isInteger(requestId) || requestId < 0 || requestId > U32_MAX) {
    throw new ProtocolError("E_MALFORMED", `request id must be a u32, got ${requestId}`);
  }
  if (msg.fields.length > MAX_FIELDS) {
    throw new ProtocolError("E_TOO_LARGE", `too many fields: ${msg.fields.length} > ${MAX_FIELDS}`, requestId);
  }
  let bodyLen = HEADER_LEN;
  for (const field of msg.fields) {
    if (!isByte(field.tag)) throw new ProtocolError("E_MALFORMED", `tag must be a byte, got ${field.tag}`, requestId);
    if (field.value.length > MAX_FIELD_LEN) {
      throw new ProtocolError("E_TOO_LARGE", `field ${field.tag} is ${field.value.length} bytes > ${MAX_FIELD_LEN}`, requestId);
    }
    bodyLen += FIELD_HEADER_LEN + field.value.length;
  }
  if (bodyLen > MAX_FRAME_LEN) {
    throw new ProtocolError("E_TOO_LARGE", `frame body is ${bodyLen} bytes > ${MAX_FRAME_LEN}`, requestId);
  }
  const frame = Buffer.allocUnsafe(LENGTH_PREFIX_LEN + bodyLen);
  let at = frame.writeUInt32BE(bodyLen, 0);
  at = frame.writeUInt8(msg.kind, at);
  at = frame.writeUInt32BE(requestId, at);
  at = frame.writeUInt16BE(msg.fields.length, at);
  for (const field of msg.fields) {
    at = frame.writeUInt8(field.tag, at);
    at = frame.writeUInt16BE(field.value.length, at);
    at += field.value.copy(frame, at);
  }
  return frame;
}

/** Encodes a valid message; throws ProtocolError (E_TOO_LARGE or E_MALFORMED) otherwise. */
export function encodeFrame(msg: Message): Buffer {
  const frame = encodeRawFrame(msg);
  validateMessage(msg);
  return frame;
}

/** Checks a length prefix; errors carry request id 0 because the header has not been read. */
function checkBodyLength(bodyLen: number): void {
  if (bodyLen < HEADER_LEN) throw new ProtocolError("E_MALFORMED", `frame length ${bodyLen} < ${HEADER_LEN}`);
  if (bodyLen > MAX_FRAME_LEN) throw new ProtocolError("E_TOO_LARGE", `frame length ${bodyLen} > ${MAX_FRAME_LEN}`);
}

/**
 * Decodes one body (the bytes after the length prefix). Field values are views into `body` (FrameField:
 * made when first read), so the caller must hand over a buffer it will not reuse.
 */
export function decodeBody(body: Buffer): Message {
  const msg = decodeLayout(body);
  validateMessage(msg);
  return msg;
}

/**
 * The layout step of decodeBody alone (length, header, each field's bounds), without the request socket's
 * message rules: for the admin socket's frames (./admin.ts), whose kinds those rules do not know.
 */
export function decodeLayout(body: Buffer): Message {
  checkBodyLength(body.length);
  const kind = body.readUInt8(0);
  const requestId = body.readUInt32BE(1);
  const fieldCount = body.readUInt16BE(5);
  if (fieldCount > MAX_FIELDS) {
    throw new ProtocolError("E_TOO_LARGE", `field count ${fieldCount} > ${MAX_FIELDS}`, requestId);
  }
  // Sized once (every slot is filled or the frame is refused), rather than grown field by field.
  const fields = new Array<Field>(fieldCount);
  let at = HEADER_LEN;
  for (let i = 0; i < fieldCount; i++) {
    if (at + FIELD_HEADER_LEN > body.length) {
      throw new ProtocolError("E_MALFORMED", `field ${i} header runs past the end of the frame`, requestId);
    }
    const tag = body.readUInt8(at);
    const len = body.readUInt16BE(at + 1);
    if (len > MAX_FIELD_LEN) {
      throw new ProtocolError("E_TOO_LARGE", `field ${i} (tag ${tag}) is ${len} bytes > ${MAX_FIELD_LEN}`, requestId);
    }
    at += FIELD_HEADER_LEN;
    if (at + len > body.length) {
      throw new ProtocolError("E_MALFORMED", `field ${i} (tag ${tag}) runs past the end of the frame`, requestId);
    }
    fields[i] = new FrameField(tag, body, at, len);
    at += len;
  }
  if (at !== body.length) {
    throw new ProtocolError("E_MALFORMED", `${body.length - at} bytes after the last field`, requestId);
  }
  return { kind, requestId, fields };
}

/**
 * One-shot decoding, the counterpart of anp_decode(): if `buf` starts with a whole frame, returns
 * its total size (prefix included) and the message; returns null when more bytes are needed; throws
 * ProtocolError when the frame is bad. The message's values are views into `buf`.
 */
export function decodeFrame(buf: Buffer): { size: number; message: Message } | null {
  if (buf.length < LENGTH_PREFIX_LEN) return null;
  const bodyLen = buf.readUInt32BE(0);
  checkBodyLength(bodyLen);
  const size = LENGTH_PREFIX_LEN + bodyLen;
  if (buf.length < size) return null;
  return { size, message: decodeBody(buf.subarray(LENGTH_PREFIX_LEN, size)) };
}

/**
 * Turns a byte stream into messages. It holds at most one frame (at most MAX_FRAME_LEN + 4 bytes),
 * allocated once its length prefix has been checked, and copies each frame out of the chunks so the
 * messages it returns own their bytes. After a ProtocolError it stays failed: every later push
 * throws the same error, because the stream can no longer be framed.
 */
export class FrameDecoder {
  readonly #prefix = Buffer.alloc(LENGTH_PREFIX_LEN);
  #prefixFilled = 0;
  #body: Buffer | null = null;
  #bodyFilled = 0;
  #failure: ProtocolError | null = null;

  /** Bytes of an unfinished frame held now. */
  get buffered(): number {
    return this.#prefixFilled + this.#bodyFilled;
  }

  /**
   * Feeds `chunk`; appends the messages it completed to `messages` (a new array by default), in order,
   * and returns that array. When it throws, frames before the bad one in the same chunk may already be
   * in `messages`: the caller should drop them with the stream.
   */
  push(chunk: Uint8Array, messages: Message[] = []): Message[] {
    if (this.#failure !== null) throw this.#failure;
    const src = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    let at = 0;
    try {
      while (at < src.length) {
        if (this.#body === null) {
          let bodyLen: number;
          if (this.#prefixFilled === 0 && src.length - at >= LENGTH_PREFIX_LEN) {
            bodyLen = src.readUInt32BE(at);
            at += LENGTH_PREFIX_LEN;
            this.#prefixFilled = LENGTH_PREFIX_LEN;
          } else {
            const take = Math.min(LENGTH_PREFIX_LEN - this.#prefixFilled, src.length - at);
            src.copy(this.#prefix, this.#prefixFilled, at, at + take);
            this.#prefixFilled += take;
            at += take;
            if (this.#prefixFilled < LENGTH_PREFIX_LEN) break;
            bodyLen = this.#prefix.readUInt32BE(0);
          }
          checkBodyLength(bodyLen);
          // Not zero-filled: every byte is copied in before the body is decoded. Small bodies come from
          // Node's shared pool (as Buffer.from does) instead of an allocation of their own.
          this.#body = Buffer.allocUnsafe(bodyLen);
          this.#bodyFilled = 0;
        }
        const body: Buffer = this.#body;
        const take = Math.min(body.length - this.#bodyFilled, src.length - at);
        src.copy(body, this.#bodyFilled, at, at + take);
        this.#bodyFilled += take;
        at += take;
        if (this.#bodyFilled < body.length) break;
        this.#body = null;
        this.#bodyFilled = 0;
        this.#prefixFilled = 0;
        messages.push(decodeBody(body));
      }
    } catch (err) {
      this.#body = null;
      this.#bodyFilled = 0;
      this.#prefixFilled = 0;
      this.#failure =
        err instanceof ProtocolError ? err : new ProtocolError("E_MALFORMED", `undecodable frame: ${String(err)}`);
      throw this.#failure;
    }
    return messages;
  }
}
