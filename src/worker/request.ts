// A decoded request frame turned into what the dispatcher needs. The codec has already checked
// which tags the kind allows and how often; this module only decodes values.
import { Kind, Tag } from "../protocol/constants.js";
import { readDefineHandler, readU32, wireString, type HandlerDefinition } from "../protocol/fields.js";
import { FrameField, type Field, type Message } from "../protocol/message.js";
import type { CheckContext } from "../handlers/types.js";
import type { ClientInfo } from "../brute-force/types.js";
import { signalOf, type RequestSignal } from "./deadline.js";
import { decodeEnviron, envEntryProblem } from "./environ.js";
import { RequestError } from "../errors.js";

// HELLO and AUTH belong to the handshake, BOOTSTRAP to the bootstrap fd: none of them is an operation.
export type RequestKind = Exclude<Kind, typeof Kind.HELLO | typeof Kind.AUTH | typeof Kind.BOOTSTRAP>;

/** A name as handlers see it, and as the client sent it. */
export interface WireText {
  readonly text: string;
  readonly bytes: Buffer;
}

export interface WorkerRequest {
  readonly kind: RequestKind;
  readonly requestId: number;
  /** HANDLER_ID: the connection's id of the handler that answers. */
  readonly handlerId: number;
  /** CHECK_PASSWORD only: the id of the handler whose groups are folded into a granted answer. */
  readonly groupHandlerId: number | null;
  /** DEFINE_HANDLER fields, in frame order; applied to the connection's table before the request runs. */
  readonly definitions: readonly HandlerDefinition[];
  readonly user: WireText | null;
  readonly password: WireText | null;
  readonly realm: string | null;
  readonly host: string | null;
  /** GROUP fields: the groups a Require line asks for. */
  readonly groups: readonly string[];
  readonly permissions: readonly string[];
  /** ENV fields as a record; empty when the module sent none (it sends them only to script handlers). */
  readonly environ: Record<string, string>;
  /** The module's own deadline for this request, if it sent one. */
  readonly timeoutMs: number | null;
  /** CHECK_PASSWORD: who is trying (CLIENT_IP and the headers beside it); null when the module sent no CLIENT_IP. */
  readonly client: ClientInfo | null;
  /** CHECK_SESSION: the session cookie's value (SESSION_KEY). */
  readonly sessionKey: string | null;
  /** CHECK_PASSWORD, CHECK_SESSION: WANT_USER_FLAGS came, so a grant carries USER_FLAGS. */
  readonly wantUserFlags: boolean;
}

export const OPERATION_NAMES: Readonly<Record<RequestKind, string>> = {
  [Kind.CHECK_PASSWORD]: "check_password",
  [Kind.GROUPS_FOR_USER]: "groups_for_user",
  [Kind.HAS_PERMISSION]: "has_permission",
  [Kind.GET_REALM_HASH]: "get_realm_hash",
  [Kind.ALLOW_ACCESS]: "allow_access",
  [Kind.CHECK_SESSION]: "check_session",
};

export function isRequestKind(kind: number): kind is RequestKind {
  return kind in OPERATION_NAMES;
}

/** GROUP, PERMISSION and DEFINE_HANDLER when a request has none: one shared empty list, not arrays per request. */
const NONE: readonly never[] = Object.freeze([]);

function wireText(field: Field | undefined): WireText | null {
  if (field === undefined) return null;
  const bytes = field.value;
  return { text: wireString(bytes), bytes };
}

/** The ENV values of `msg`, in frame order. */
function envEntries(msg: Message): Buffer[] {
  const entries: Buffer[] = [];
  for (const field of msg.fields) if (field.tag === Tag.ENV) entries.push(field.value);
  return entries;
}

/** The client fields (and other single fields) of a request as read from the frame, by tag. */
type ClientFields = Partial<Record<number, Field>>;

/** Who is trying, or null without CLIENT_IP (the headers alone name nobody to count). */
function clientInfo(fields: ClientFields): ClientInfo | null {
  const ip = fields[Tag.CLIENT_IP];
  if (ip === undefined) return null;
  const text = (field: Field | undefined): string | null => (field === undefined ? null : wireString(field.value));
  return { ip: wireString(ip.value), userAgent: text(fields[Tag.USER_AGENT]), accept: text(fields[Tag.HTTP_ACCEPT]), path: text(fields[Tag.PATH_INFO]) };
}

/**
 * A decoded request, read in one pass over the frame's fields (the first of each single tag counts; the
 * codec allows only one). The environ is a getter: ENV entries are checked on arrival (a malformed one is
 * refused before any handler runs) but decoded only on first read, e.g. when a script handler looks at
 * it; a handler that never reads it costs nothing for it.
 */
class DecodedRequest implements WorkerRequest {
  readonly kind: RequestKind;
  readonly requestId: number;
  readonly handlerId: number;
  readonly groupHandlerId: number | null;
  readonly definitions: readonly HandlerDefinition[];
  readonly user: WireText | null;
  readonly password: WireText | null;
  readonly realm: string | null;
  readonly host: string | null;
  readonly groups: readonly string[];
  readonly permissions: readonly string[];
  readonly timeoutMs: number | null;
  readonly client: ClientInfo | null;
  readonly sessionKey: string | null;
  readonly wantUserFlags: boolean;
  readonly #msg: Message;
  readonly #hasEnviron: boolean;
  #environ: Record<string, string> | undefined = undefined;

  constructor(kind: RequestKind, msg: Message) {
    let handler: Field | undefined;
    let groupHandler: Field | undefined;
    let user: Field | undefined;
    let password: Field | undefined;
    // The client fields and the other single tags the constructor only reads once, by tag.
    const single: ClientFields = {};
    let groups: string[] | undefined;
    let permissions: string[] | undefined;
    let definitions: HandlerDefinition[] | undefined;
    let hasEnviron = false;
    let badEnv: string | null = null;
    for (const field of msg.fields) {
      switch (field.tag) {
        case Tag.HANDLER_ID:
          handler ??= field;
          break;
        case Tag.GROUP_HANDLER_ID:
          groupHandler ??= field;
          break;
        case Tag.DEFINE_HANDLER:
          (definitions ??= []).push(readDefineHandler(field));
          break;
        case Tag.USER:
          user ??= field;
          break;
        case Tag.PASSWORD:
          password ??= field;
          break;
        case Tag.REALM:
        case Tag.HOST:
        case Tag.TIMEOUT_MS:
        case Tag.SESSION_KEY:
        case Tag.WANT_USER_FLAGS:
        case Tag.CLIENT_IP:
        case Tag.USER_AGENT:
        case Tag.HTTP_ACCEPT:
        case Tag.PATH_INFO:
          single[field.tag] ??= field;
          break;
        case Tag.GROUP:
          (groups ??= []).push(wireString(field.value));
          break;
        case Tag.PERMISSION:
          (permissions ??= []).push(wireString(field.value));
          break;
        case Tag.ENV:
          hasEnviron = true;
          badEnv ??= envEntryProblem(field instanceof FrameField ? field : field.value);
          break;
      }
    }
    if (handler === undefined) throw new RequestError("missing HANDLER_ID");
    if (badEnv !== null) throw new RequestError(badEnv);
    this.kind = kind;
    this.requestId = msg.requestId;
    this.handlerId = readU32(handler);
    this.groupHandlerId = groupHandler === undefined ? null : readU32(groupHandler);
    this.definitions = definitions ?? NONE;
    this.user = wireText(user);
    this.password = wireText(password);
    const realm = single[Tag.REALM];
    const host = single[Tag.HOST];
    const timeout = single[Tag.TIMEOUT_MS];
    const sessionKey = single[Tag.SESSION_KEY];
    this.realm = realm === undefined ? null : wireString(realm.value);
    this.host = host === undefined ? null : wireString(host.value);
    this.groups = groups ?? NONE;
    this.permissions = permissions ?? NONE;
    this.timeoutMs = timeout === undefined ? null : readU32(timeout);
    this.client = clientInfo(single);
    this.sessionKey = sessionKey === undefined ? null : wireString(sessionKey.value);
    this.wantUserFlags = single[Tag.WANT_USER_FLAGS] !== undefined;
    this.#msg = msg;
    this.#hasEnviron = hasEnviron;
  }

  get environ(): Record<string, string> {
    return (this.#environ ??= this.#hasEnviron ? decodeEnviron(envEntries(this.#msg)) : {});
  }
}

export function decodeRequest(msg: Message): WorkerRequest {
  if (!isRequestKind(msg.kind)) throw new RequestError(`kind 0x${msg.kind.toString(16)} is not a request`);
  return new DecodedRequest(msg.kind, msg);
}

/**
 * The CheckContext a handler gets. `environ` and `signal` read through to the request: the environ is
 * decoded, and the request's AbortSignal made, only when a handler reads them. A class rather than an
 * object literal with getters, which V8 makes a slow dictionary object for every request.
 */
export class RequestContext implements CheckContext {
  readonly user: string;
  readonly userBytes: Buffer;
  readonly #req: WorkerRequest;
  readonly #deadline: AbortSignal | RequestSignal;

  constructor(req: WorkerRequest, deadline: AbortSignal | RequestSignal, user: string, userBytes: Buffer) {
    this.#req = req;
    this.#deadline = deadline;
    this.user = user;
    this.userBytes = userBytes;
  }

  get environ(): Record<string, string> {
    return this.#req.environ;
  }

  get signal(): AbortSignal {
    return signalOf(this.#deadline);
  }

  get client(): ClientInfo | null {
    return this.#req.client;
  }
}
