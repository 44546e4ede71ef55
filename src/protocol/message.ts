// The decoded form of a frame (docs/protocol.md, "Frames").

export interface Field {
  /** A Tag value (u8). */
  readonly tag: number;
  readonly value: Buffer;
}

export interface Message {
  /** A Kind value, with ANSWER_BIT set on answers. */
  readonly kind: number;
  /** u32, chosen by the module; an answer repeats its request's id. */
  readonly requestId: number;
  readonly fields: readonly Field[];
}

/**
 * A field of a decoded frame. Its `value` is a view into the frame's buffer, made on first read: a
 * request carries ~20 ENV fields that the worker checks but rarely decodes, and a Buffer view per field
 * was a quarter of the worker's allocations per request. The helpers below read it without the view.
 */
export class FrameField implements Field {
  readonly tag: number;
  /** Length of the value in bytes. */
  readonly byteLength: number;
  readonly #frame: Buffer;
  readonly #start: number;
  #value: Buffer | null = null;

  constructor(tag: number, frame: Buffer, start: number, byteLength: number) {
    this.tag = tag;
    this.#frame = frame;
    this.#start = start;
    this.byteLength = byteLength;
  }

  get value(): Buffer {
    return (this.#value ??= this.#frame.subarray(this.#start, this.#start + this.byteLength));
  }

  /** The value from byte `offset` on as UTF-8 (invalid sequences become U+FFFD). */
  utf8(offset = 0): string {
    return this.#frame.toString("utf8", this.#start + offset, this.#start + this.byteLength);
  }

  /** Offset of the first `byte` in the value, or -1. */
  indexOf(byte: number): number {
    const frame = this.#frame;
    for (let i = this.#start, end = this.#start + this.byteLength; i < end; i++) if (frame[i] === byte) return i - this.#start;
    return -1;
  }

  /** The value's byte at `offset` (undefined past the end). */
  byteAt(offset: number): number | undefined {
    return offset >= 0 && offset < this.byteLength ? this.#frame[this.#start + offset] : undefined;
  }
}

/** Length of a field's value in bytes, without making a view of a decoded one. */
export function valueLength(field: Field): number {
  return field instanceof FrameField ? field.byteLength : field.value.length;
}

/** The byte at `offset` of a field's value (undefined past the end), without making a view of a decoded one. */
export function valueByte(field: Field, offset: number): number | undefined {
  return field instanceof FrameField ? field.byteAt(offset) : field.value[offset];
}
