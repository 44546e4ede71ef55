// What the worker sends back for one request, before encoding (docs/protocol.md, answer fields).
import { ANSWER_BIT, Status, Tag } from "../protocol/constants.js";
import { textField, u8Field } from "../protocol/fields.js";
import type { Field, Message } from "../protocol/message.js";

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
  return { kind: kind | ANSWER_BIT, requestId, fields };
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 3)}...`;
}

/**
 * Removes every occurrence of the password (as decoded, and as its raw bytes read as Latin-1 or UTF-8)
 * from text that is about to be logged or sent, in case a handler put it in an error message.
 */
export function scrubSecret(text: string, secret: { text: string; bytes: Buffer } | null): string {
  if (secret === null || secret.bytes.length === 0) return text;
  let out = text;
  const forms = new Set([secret.text, secret.bytes.toString("latin1"), secret.bytes.toString("utf8")]);
  for (const form of forms) if (form !== "") out = out.split(form).join("[password]");
  return out;
}
