// The admin socket's frames (docs/protocol.md, "Admin socket"): the request socket's framing, with a kind of
// their own (ADMIN_KIND_STATUS) that the request socket's rules do not know. A request is the header alone;
// the answer's JSON is cut into ADMIN_TAG_JSON fields of at most MAX_FIELD_LEN bytes each.
import { ADMIN_KIND_STATUS, ADMIN_MAX_REQUEST_LEN, ADMIN_TAG_JSON, ANSWER_BIT, HEADER_LEN, MAX_FIELD_LEN } from "./constants.js";
import { LENGTH_PREFIX_LEN, decodeLayout, encodeRawFrame } from "./codec.js";
import { ProtocolError } from "../errors.js";
import type { Field } from "./message.js";

/** A STATUS request: the length prefix and the header, no field. */
export function encodeAdminRequest(requestId: number): Buffer {
  return encodeRawFrame({ kind: ADMIN_KIND_STATUS, requestId, fields: [] });
}

/**
 * The request id of a STATUS request at the start of `buf`; null while its bytes are incomplete. Anything
 * else (another kind, a field, more than ADMIN_MAX_REQUEST_LEN bytes) is a ProtocolError.
 */
export function parseAdminRequest(buf: Buffer): { readonly requestId: number } | null {
  if (buf.length > ADMIN_MAX_REQUEST_LEN) throw new ProtocolError("E_TOO_LARGE", `admin request over ${ADMIN_MAX_REQUEST_LEN} bytes`);
  if (buf.length < LENGTH_PREFIX_LEN) return null;
  const bodyLen = buf.readUInt32BE(0);
  if (bodyLen !== HEADER_LEN) throw new ProtocolError("E_MALFORMED", `admin request body is ${bodyLen} bytes, not ${HEADER_LEN}`);
  if (buf.length < LENGTH_PREFIX_LEN + bodyLen) return null;
  if (buf.length > LENGTH_PREFIX_LEN + bodyLen) throw new ProtocolError("E_MALFORMED", "bytes after the admin request");
  const msg = decodeLayout(buf.subarray(LENGTH_PREFIX_LEN));
  if (msg.kind !== ADMIN_KIND_STATUS) throw new ProtocolError("E_MALFORMED", `unknown admin kind 0x${msg.kind.toString(16)}`, msg.requestId);
  return { requestId: msg.requestId };
}

/** The STATUS answer: `json` (UTF-8) in as many ADMIN_TAG_JSON fields as it needs. */
export function encodeAdminAnswer(requestId: number, json: string): Buffer {
  const bytes = Buffer.from(json, "utf8");
  const fields: Field[] = [];
  for (let at = 0; at < bytes.length; at += MAX_FIELD_LEN) {
    fields.push({ tag: ADMIN_TAG_JSON, value: bytes.subarray(at, at + MAX_FIELD_LEN) });
  }
  return encodeRawFrame({ kind: ADMIN_KIND_STATUS | ANSWER_BIT, requestId, fields });
}

/** The answer at the start of `buf`: its request id and its JSON text; null while incomplete. */
export function decodeAdminAnswer(buf: Buffer): { readonly requestId: number; readonly json: string } | null {
  if (buf.length < LENGTH_PREFIX_LEN) return null;
  const size = LENGTH_PREFIX_LEN + buf.readUInt32BE(0);
  if (buf.length < size) return null;
  const msg = decodeLayout(buf.subarray(LENGTH_PREFIX_LEN, size));
  if (msg.kind !== (ADMIN_KIND_STATUS | ANSWER_BIT)) throw new ProtocolError("E_MALFORMED", "not a STATUS answer", msg.requestId);
  if (msg.fields.some((f) => f.tag !== ADMIN_TAG_JSON)) throw new ProtocolError("E_MALFORMED", "a STATUS answer carries JSON only", msg.requestId);
  return { requestId: msg.requestId, json: Buffer.concat(msg.fields.map((f) => f.value)).toString("utf8") };
}
