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
