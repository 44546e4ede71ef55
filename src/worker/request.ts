// A decoded request frame turned into what the dispatcher needs. The codec has already checked
// which tags the kind allows and how often; this module only decodes values.
import { Kind, Tag } from "../protocol/constants.js";
import { fieldsOf, firstField, readText, u32Of, wireString } from "../protocol/fields.js";
import type { Message } from "../protocol/message.js";
import { lazyEnviron } from "./environ.js";
import { RequestError } from "./errors.js";

export type RequestKind = Exclude<Kind, typeof Kind.HELLO>;

/** A name as handlers see it, and as the client sent it. */
export interface WireText {
  readonly text: string;
  readonly bytes: Buffer;
}

export interface WorkerRequest {
  readonly kind: RequestKind;
  readonly requestId: number;
  /** Spec text of HANDLER (UTF-8, produced by the module). */
  readonly handlerSpec: string;
  /** CHECK_PASSWORD only: spec of the handler whose groups are folded into a granted answer. */
  readonly groupHandlerSpec: string | null;
  readonly user: WireText | null;
  readonly password: WireText | null;
  readonly realm: string | null;
  readonly host: string | null;
  /** GROUP fields: the groups a Require line asks for. */
  readonly groups: readonly string[];
  readonly permissions: readonly string[];
  readonly environ: Record<string, string>;
  /** The module's own deadline for this request, if it sent one. */
  readonly timeoutMs: number | null;
}

export const OPERATION_NAMES: Readonly<Record<RequestKind, string>> = {
  [Kind.CHECK_PASSWORD]: "check_password",
  [Kind.GROUPS_FOR_USER]: "groups_for_user",
  [Kind.HAS_PERMISSION]: "has_permission",
  [Kind.GET_REALM_HASH]: "get_realm_hash",
  [Kind.ALLOW_ACCESS]: "allow_access",
};

export function isRequestKind(kind: number): kind is RequestKind {
  return kind in OPERATION_NAMES;
}

function wireText(msg: Message, tag: number): WireText | null {
  const field = firstField(msg, tag);
  return field === undefined ? null : { text: wireString(field.value), bytes: field.value };
}

function optionalText(msg: Message, tag: number): string | null {
  const field = firstField(msg, tag);
  return field === undefined ? null : wireString(field.value);
}

export function decodeRequest(msg: Message): WorkerRequest {
  if (!isRequestKind(msg.kind)) throw new RequestError(`kind 0x${msg.kind.toString(16)} is not a request`);
  const handler = firstField(msg, Tag.HANDLER);
  if (handler === undefined) throw new RequestError("missing HANDLER");
  const groupHandler = firstField(msg, Tag.GROUP_HANDLER);
  const environ = lazyEnviron(fieldsOf(msg, Tag.ENV).map((f) => f.value));
  return {
    kind: msg.kind,
    requestId: msg.requestId,
    handlerSpec: readText(handler),
    groupHandlerSpec: groupHandler === undefined ? null : readText(groupHandler),
    user: wireText(msg, Tag.USER),
    password: wireText(msg, Tag.PASSWORD),
    realm: optionalText(msg, Tag.REALM),
    host: optionalText(msg, Tag.HOST),
    groups: fieldsOf(msg, Tag.GROUP).map((f) => wireString(f.value)),
    permissions: fieldsOf(msg, Tag.PERMISSION).map((f) => wireString(f.value)),
    // A getter: decoded on first read (see lazyEnviron), e.g. when a script handler looks at it.
    get environ() {
      return environ();
    },
    timeoutMs: u32Of(msg, Tag.TIMEOUT_MS) ?? null,
  };
}
