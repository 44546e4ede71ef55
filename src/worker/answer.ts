// What the worker sends back for one request, before encoding (docs/protocol.md, answer fields).
import { encodeFrame, LENGTH_PREFIX_LEN } from "../protocol/codec.js";
import { ANSWER_BIT, HEADER_LEN, Kind, MAX_FIELD_LEN, MAX_FIELDS, MAX_FRAME_LEN, Status, Tag, THROTTLE_SCOPE_ADDRESS, THROTTLE_SCOPE_USER } from "../protocol/constants.js";
import { stampField, textField, u32Field, u8Field, type StampValue } from "../protocol/fields.js";
import type { Field, Message } from "../protocol/message.js";
import { isTagAllowed } from "../protocol/rules.js";

export interface Answer {
  readonly status: Status;
  /** For the error log; must never contain a password. */
  readonly reason?: string;
  /** CHECK_PASSWORD granted under another name. */
  readonly user?: string;
  readonly groups?: readonly string[];
  /** CHECK_PASSWORD: the folded permissions (PERMISSION fields of the request) the user holds. */
  readonly permissions?: readonly string[];
  readonly hash?: string;
  /** CHECK_PASSWORD THROTTLED: whole seconds the client should wait (RETRY_AFTER). */
  readonly retryAfter?: number;
  /** CHECK_PASSWORD THROTTLED: whom it refuses (THROTTLE_SCOPE), for the module's memo. */
  readonly throttleScope?: "address" | "user";
  /** GRANTED to a request with WANT_USER_FLAGS: the USER_FLAGS bit mask. */
  readonly userFlags?: number;
  /** GRANTED CHECK_PASSWORD / CHECK_SESSION: what the grant was read under (STAMP fields, at most MAX_STAMPS). */
  readonly stamps?: readonly StampValue[];
  /** GRANTED CHECK_SESSION with stamps, and only then: how long the grant may be kept at most, in ms (VALID_FOR). */
  readonly validForMs?: number;
}

/** Longest REASON sent, in characters; the module logs it on one line. */
export const MAX_REASON_CHARS = 400;

export function errorAnswer(reason: string): Answer {
  return { status: Status.ERROR, reason };
}

export function answerMessage(kind: number, requestId: number, answer: Answer): Message {
  const fields: Field[] = [u8Field(Tag.STATUS, answer.status)];
  if (answer.reason !== undefined && answer.reason !== "") {
    fields.push(textField(Tag.REASON, truncate(answer.reason, MAX_REASON_CHARS)));
  }
  if (answer.user !== undefined) fields.push(textField(Tag.USER, answer.user));
  for (const group of answer.groups ?? []) fields.push(textField(Tag.GROUP, group));
  for (const permission of answer.permissions ?? []) fields.push(textField(Tag.PERMISSION, permission));
  if (answer.hash !== undefined) fields.push(textField(Tag.HASH, answer.hash));
  if (answer.retryAfter !== undefined) fields.push(u32Field(Tag.RETRY_AFTER, answer.retryAfter));
  if (answer.throttleScope !== undefined) {
    fields.push(u8Field(Tag.THROTTLE_SCOPE, answer.throttleScope === "address" ? THROTTLE_SCOPE_ADDRESS : THROTTLE_SCOPE_USER));
  }
  if (answer.userFlags !== undefined) fields.push(u8Field(Tag.USER_FLAGS, answer.userFlags));
  // Only a grant is ever kept: a stamp beside another status would be a frame the module refuses.
  if (answer.status === Status.GRANTED) {
    for (const stamp of answer.stamps ?? []) fields.push(stampField(stamp));
    if (answer.validForMs !== undefined) fields.push(u32Field(Tag.VALID_FOR, answer.validForMs));
  }
  return { kind: kind | ANSWER_BIT, requestId, fields };
}

const FIELD_HEADER_LEN = 3;
const HASH_LEN = 32;
const U32_MAX = 0xffff_ffff;

function isLowerHex32(text: string): boolean {
  if (text.length !== HASH_LEN) return false;
  for (let i = 0; i < HASH_LEN; i++) {
    const c = text.charCodeAt(i);
    if (!((c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66))) return false;
  }
  return true;
}

/** Bytes of `texts` as text fields (3-byte header each), or -1 if one is over MAX_FIELD_LEN. */
function textFieldsLength(texts: readonly string[]): number {
  let total = 0;
  for (const text of texts) {
    const length = Buffer.byteLength(text, "utf8");
    if (length > MAX_FIELD_LEN) return -1;
    total += FIELD_HEADER_LEN + length;
  }
  return total;
}

/** Writes one text field at `at`; returns the offset after it. */
function writeTextField(frame: Buffer, at: number, tag: number, text: string): number {
  const length = frame.write(text, at + FIELD_HEADER_LEN, "utf8");
  frame[at] = tag;
  frame.writeUInt16BE(length, at + 1);
  return at + FIELD_HEADER_LEN + length;
}

/**
 * The frame of `answer` to a request of `kind`: the bytes of encodeFrame(answerMessage(kind, requestId,
 * answer)), written straight into one buffer instead of through a field object and a Buffer per value
 * (this runs once per request). Anything unusual (a field this kind of answer does not carry, a bad
 * status or hash, a value or frame over the limits) takes that general path, which throws the codec's
 * ProtocolError (test/unit/worker-answer.test.ts compares the two).
 */
export function encodeAnswer(kind: number, requestId: number, answer: Answer): Buffer {
  const answerKind = kind | ANSWER_BIT;
  const { status, user, groups, permissions, hash } = answer;
  const reason = answer.reason !== undefined && answer.reason !== "" ? truncate(answer.reason, MAX_REASON_CHARS) : undefined;
  const general = (): Buffer => encodeFrame(answerMessage(kind, requestId, answer));
  if (!Number.isInteger(kind) || kind < 0 || kind > 0xff || !isTagAllowed(answerKind, Tag.STATUS)) return general();
  if (!Number.isInteger(requestId) || requestId < 0 || requestId > U32_MAX) return general();
  if (!(status >= Status.GRANTED && status <= Status.ERROR && Number.isInteger(status))) return general();
  // THROTTLED and its RETRY_AFTER take the general path: the codec checks they come together; so do
  // USER_FLAGS (their bits and their GRANTED), and a session answer (its GRANTED needs USER).
  if (answer.retryAfter !== undefined || answer.throttleScope !== undefined || answer.userFlags !== undefined) return general();
  if (answer.stamps !== undefined && answer.stamps.length > 0) return general();
  if (answerKind === (Kind.CHECK_SESSION | ANSWER_BIT)) return general();
  let fieldCount = 1;
  let bodyLen = HEADER_LEN + FIELD_HEADER_LEN + 1;
  if (reason !== undefined) {
    const length = Buffer.byteLength(reason, "utf8");
    if (length > MAX_FIELD_LEN) return general();
    fieldCount++;
    bodyLen += FIELD_HEADER_LEN + length;
  }
  if (user !== undefined) {
    const length = Buffer.byteLength(user, "utf8");
    if (!isTagAllowed(answerKind, Tag.USER) || length > MAX_FIELD_LEN) return general();
    fieldCount++;
    bodyLen += FIELD_HEADER_LEN + length;
  }
  if (groups !== undefined && groups.length > 0) {
    const length = textFieldsLength(groups);
    if (!isTagAllowed(answerKind, Tag.GROUP) || length < 0) return general();
    fieldCount += groups.length;
    bodyLen += length;
  }
  if (permissions !== undefined && permissions.length > 0) {
    const length = textFieldsLength(permissions);
    if (!isTagAllowed(answerKind, Tag.PERMISSION) || length < 0) return general();
    fieldCount += permissions.length;
    bodyLen += length;
  }
  if (hash !== undefined) {
    if (!isTagAllowed(answerKind, Tag.HASH) || !isLowerHex32(hash)) return general();
    fieldCount++;
    bodyLen += FIELD_HEADER_LEN + HASH_LEN;
  }
  if (fieldCount > MAX_FIELDS || bodyLen > MAX_FRAME_LEN) return general();

  const frame = Buffer.allocUnsafe(LENGTH_PREFIX_LEN + bodyLen);
  let at = frame.writeUInt32BE(bodyLen, 0);
  frame[at++] = answerKind;
  at = frame.writeUInt32BE(requestId, at);
  at = frame.writeUInt16BE(fieldCount, at);
  frame[at] = Tag.STATUS;
  frame.writeUInt16BE(1, at + 1);
  frame[at + 3] = status;
  at += FIELD_HEADER_LEN + 1;
  if (reason !== undefined) at = writeTextField(frame, at, Tag.REASON, reason);
  if (user !== undefined) at = writeTextField(frame, at, Tag.USER, user);
  if (groups !== undefined) for (const group of groups) at = writeTextField(frame, at, Tag.GROUP, group);
  if (permissions !== undefined) for (const permission of permissions) at = writeTextField(frame, at, Tag.PERMISSION, permission);
  if (hash !== undefined) writeTextField(frame, at, Tag.HASH, hash);
  return frame;
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 3)}...`;
}
