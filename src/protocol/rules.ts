// Which fields each message kind carries (the tables of docs/protocol.md), and the value checks the
// codec applies to every frame it reads or writes. native/anp_protocol.c holds the same table;
// test/vectors/protocol.json pins both to the same behaviour.
import {
  ANSWER_BIT,
  GENERATION_KEY_LEN,
  Kind,
  MAX_CLIENT_IP_LEN,
  MAX_CLIENT_TEXT_LEN,
  MAX_FIELDS,
  MAX_RETRY_AFTER,
  MAX_SESSION_KEY_LEN,
  MAX_STAMPS,
  MIN_RETRY_AFTER,
  NONCE_LEN,
  PROOF_LEN,
  STAMP_LEN,
  Status,
  Tag,
  THROTTLE_SCOPE_ADDRESS,
  THROTTLE_SCOPE_USER,
  USER_FLAG_STAFF,
  USER_FLAG_SUPERUSER,
} from "./constants.js";
import { ProtocolError } from "../errors.js";
import { valueByte, valueLength, type Field, type Message } from "./message.js";

/** How often a tag may appear: exactly once, at most once, any number, at least once. */
export type Cardinality = "required" | "optional" | "repeated" | "oneOrMore";

type KindRules = Readonly<Partial<Record<number, Cardinality>>>;

/** What every request but HELLO may carry: handler definitions, its environ, its deadline. */
const REQUEST_COMMON = {
  [Tag.DEFINE_HANDLER]: "repeated",
  [Tag.ENV]: "repeated",
  [Tag.TIMEOUT_MS]: "optional",
} as const;

const REQUEST_RULES: Readonly<Record<number, KindRules>> = {
  [Kind.HELLO]: { [Tag.VERSION]: "required", [Tag.NONCE]: "required" },
  [Kind.CHECK_PASSWORD]: {
    [Tag.HANDLER_ID]: "required",
    [Tag.USER]: "required",
    [Tag.PASSWORD]: "required",
    [Tag.GROUP_HANDLER_ID]: "optional",
    [Tag.GROUP]: "repeated",
    [Tag.PERMISSION]: "repeated",
    [Tag.CLIENT_IP]: "optional",
    [Tag.USER_AGENT]: "optional",
    [Tag.HTTP_ACCEPT]: "optional",
    [Tag.PATH_INFO]: "optional",
    [Tag.WANT_USER_FLAGS]: "optional",
    ...REQUEST_COMMON,
  },
  [Kind.GROUPS_FOR_USER]: { [Tag.HANDLER_ID]: "required", [Tag.USER]: "required", [Tag.GROUP]: "repeated", ...REQUEST_COMMON },
  [Kind.HAS_PERMISSION]: {
    [Tag.HANDLER_ID]: "required",
    [Tag.USER]: "required",
    [Tag.PERMISSION]: "oneOrMore",
    ...REQUEST_COMMON,
  },
  [Kind.GET_REALM_HASH]: { [Tag.HANDLER_ID]: "required", [Tag.USER]: "required", [Tag.REALM]: "required", ...REQUEST_COMMON },
  [Kind.ALLOW_ACCESS]: { [Tag.HANDLER_ID]: "required", [Tag.HOST]: "required", ...REQUEST_COMMON },
  [Kind.AUTH]: { [Tag.PROOF]: "required" },
  [Kind.BOOTSTRAP]: { [Tag.GENERATION_KEY]: "required", [Tag.ALLOWED_SPEC]: "repeated", [Tag.SECRET_FILE]: "repeated" },
  // No ENV: a session is checked by the built-in Django handler only, never by a script.
  [Kind.CHECK_SESSION]: {
    [Tag.HANDLER_ID]: "required",
    [Tag.SESSION_KEY]: "required",
    [Tag.DEFINE_HANDLER]: "repeated",
    [Tag.GROUP_HANDLER_ID]: "optional",
    [Tag.GROUP]: "repeated",
    [Tag.PERMISSION]: "repeated",
    [Tag.WANT_USER_FLAGS]: "optional",
    [Tag.TIMEOUT_MS]: "optional",
  },
};

const ANSWER_COMMON = { [Tag.STATUS]: "required", [Tag.REASON]: "optional" } as const;

const ANSWER_RULES: Readonly<Record<number, KindRules>> = {
  [Kind.HELLO | ANSWER_BIT]: { ...ANSWER_COMMON, [Tag.VERSION]: "optional", [Tag.NONCE]: "optional", [Tag.PROOF]: "optional" },
  [Kind.CHECK_PASSWORD | ANSWER_BIT]: {
    ...ANSWER_COMMON,
    [Tag.USER]: "optional",
    [Tag.GROUP]: "repeated",
    [Tag.PERMISSION]: "repeated",
    [Tag.RETRY_AFTER]: "optional",
    [Tag.THROTTLE_SCOPE]: "optional",
    [Tag.USER_FLAGS]: "optional",
    [Tag.STAMP]: "repeated",
  },
  [Kind.CHECK_SESSION | ANSWER_BIT]: {
    ...ANSWER_COMMON,
    [Tag.USER]: "optional",
    [Tag.GROUP]: "repeated",
    [Tag.PERMISSION]: "repeated",
    [Tag.USER_FLAGS]: "optional",
    [Tag.STAMP]: "repeated",
    [Tag.VALID_FOR]: "optional",
  },
  [Kind.GROUPS_FOR_USER | ANSWER_BIT]: { ...ANSWER_COMMON, [Tag.GROUP]: "repeated" },
  [Kind.HAS_PERMISSION | ANSWER_BIT]: { ...ANSWER_COMMON },
  [Kind.GET_REALM_HASH | ANSWER_BIT]: { ...ANSWER_COMMON, [Tag.HASH]: "optional" },
  [Kind.ALLOW_ACCESS | ANSWER_BIT]: { ...ANSWER_COMMON },
};

const RULES: Readonly<Record<number, KindRules>> = { ...REQUEST_RULES, ...ANSWER_RULES };

/** Fixed-width integer fields: their value length in bytes. */
const FIXED_WIDTH: Readonly<Partial<Record<number, number>>> = {
  [Tag.VERSION]: 2,
  [Tag.HANDLER_ID]: 4,
  [Tag.GROUP_HANDLER_ID]: 4,
  [Tag.TIMEOUT_MS]: 4,
  [Tag.STATUS]: 1,
  [Tag.RETRY_AFTER]: 4,
  [Tag.THROTTLE_SCOPE]: 1,
  [Tag.USER_FLAGS]: 1,
  [Tag.NONCE]: NONCE_LEN,
  [Tag.PROOF]: PROOF_LEN,
  [Tag.GENERATION_KEY]: GENERATION_KEY_LEN,
  [Tag.STAMP]: STAMP_LEN,
  [Tag.VALID_FOR]: 4,
};

const HASH_LEN = 32;
/** DEFINE_HANDLER: a u32 id and at least one byte of spec text. */
export const DEFINE_HANDLER_MIN_LEN = 5;

const KNOWN_TAGS: ReadonlySet<number> = new Set(Object.values(Tag));

export function isKnownTag(tag: number): boolean {
  return KNOWN_TAGS.has(tag);
}

export function isKnownKind(kind: number): boolean {
  return RULES[kind] !== undefined;
}

export function isAnswerKind(kind: number): boolean {
  return (kind & ANSWER_BIT) !== 0 && isKnownKind(kind);
}

/** How often `tag` may appear in a message of `kind`, or undefined when it may not appear at all. */
export function tagCardinality(kind: number, tag: number): Cardinality | undefined {
  return RULES[kind]?.[tag];
}

export function isTagAllowed(kind: number, tag: number): boolean {
  return tagCardinality(kind, tag) !== undefined;
}

/** Per kind: the cardinality of each tag (by tag number), and the tags that must appear, in ascending order. */
interface CompiledRules {
  readonly byTag: readonly (Cardinality | undefined)[];
  readonly mustAppear: readonly number[];
}

const COMPILED: ReadonlyMap<number, CompiledRules> = new Map(
  Object.entries(RULES).map(([kindText, rules]): [number, CompiledRules] => {
    const byTag: (Cardinality | undefined)[] = new Array<Cardinality | undefined>(256).fill(undefined);
    const mustAppear: number[] = [];
    // Integer keys enumerate in ascending order, so a message missing several tags names the lowest.
    for (const [tagText, cardinality] of Object.entries(rules)) {
      byTag[Number(tagText)] = cardinality;
      if (cardinality === "required" || cardinality === "oneOrMore") mustAppear.push(Number(tagText));
    }
    return [Number(kindText), { byTag, mustAppear }];
  }),
);

/** FIXED_WIDTH by tag number (0 = any width). */
const WIDTH_BY_TAG: Uint8Array = (() => {
  const widths = new Uint8Array(256);
  for (const [tag, width] of Object.entries(FIXED_WIDTH)) widths[Number(tag)] = width ?? 0;
  return widths;
})();

/**
 * validateMessage's record of the tags seen in the message being checked: seen[tag] === pass. A new
 * pass number per call instead of a Map per message; the array is cleared when the number wraps.
 */
const seen = new Uint32Array(256);
let pass = 0;

function isLowerHex(field: Field): boolean {
  for (let i = 0; i < HASH_LEN; i++) {
    const byte = valueByte(field, i) ?? 0;
    const digit = byte >= 0x30 && byte <= 0x39;
    const lower = byte >= 0x61 && byte <= 0x66;
    if (!digit && !lower) return false;
  }
  return true;
}

/** SECRET_FILE: an absolute path (first byte '/'), a NUL, then the file's content. */
function isSecretFileValue(field: Field): boolean {
  const length = valueLength(field);
  if (length < 2 || valueByte(field, 0) !== 0x2f) return false;
  for (let i = 1; i < length; i++) if (valueByte(field, i) === 0) return true;
  return false;
}

function u32Value(field: Field): number {
  return (((valueByte(field, 0) ?? 0) << 24) | ((valueByte(field, 1) ?? 0) << 16) | ((valueByte(field, 2) ?? 0) << 8) | (valueByte(field, 3) ?? 0)) >>> 0;
}

const KNOWN_USER_FLAGS = USER_FLAG_STAFF | USER_FLAG_SUPERUSER;

/**
 * The length and range checks of the client fields, RETRY_AFTER, THROTTLE_SCOPE and the session fields
 * (fixed widths are checked before).
 */
function clientFieldProblem(field: Field): string | undefined {
  const length = valueLength(field);
  switch (field.tag) {
    case Tag.SESSION_KEY:
      return length >= 1 && length <= MAX_SESSION_KEY_LEN ? undefined : `SESSION_KEY must be 1..${MAX_SESSION_KEY_LEN} bytes, got ${length}`;
    case Tag.USER_FLAGS: {
      const flags = valueByte(field, 0) ?? 0;
      return (flags & ~KNOWN_USER_FLAGS) === 0 ? undefined : `USER_FLAGS has unknown bits: 0x${flags.toString(16)}`;
    }
    case Tag.WANT_USER_FLAGS:
      return length === 0 ? undefined : `WANT_USER_FLAGS must be empty, got ${length} bytes`;
    case Tag.CLIENT_IP:
      return length >= 1 && length <= MAX_CLIENT_IP_LEN ? undefined : `CLIENT_IP must be 1..${MAX_CLIENT_IP_LEN} bytes, got ${length}`;
    case Tag.USER_AGENT:
    case Tag.HTTP_ACCEPT:
    case Tag.PATH_INFO:
      return length <= MAX_CLIENT_TEXT_LEN ? undefined : `tag ${field.tag} must be at most ${MAX_CLIENT_TEXT_LEN} bytes, got ${length}`;
    case Tag.RETRY_AFTER: {
      const seconds = u32Value(field);
      return seconds >= MIN_RETRY_AFTER && seconds <= MAX_RETRY_AFTER ? undefined : `RETRY_AFTER must be ${MIN_RETRY_AFTER}..${MAX_RETRY_AFTER} seconds, got ${seconds}`;
    }
    case Tag.VALID_FOR:
      return u32Value(field) >= 1 ? undefined : "VALID_FOR must be at least 1 ms";
    case Tag.THROTTLE_SCOPE: {
      const scope = valueByte(field, 0) ?? 0;
      return scope === THROTTLE_SCOPE_ADDRESS || scope === THROTTLE_SCOPE_USER ? undefined : `THROTTLE_SCOPE must be ${THROTTLE_SCOPE_ADDRESS} or ${THROTTLE_SCOPE_USER}, got ${scope}`;
    }
    default:
      return undefined;
  }
}

function malformed(msg: Message, what: string): ProtocolError {
  return new ProtocolError("E_MALFORMED", `${what} (kind 0x${msg.kind.toString(16).padStart(2, "0")})`, msg.requestId);
}

/**
 * Throws ProtocolError E_MALFORMED unless `msg` is a valid message of its kind: a known kind, only tags
 * allowed there, each as often as its cardinality says, fixed-width values of the right length, a
 * STATUS of 1..5 (THROTTLED only in a CHECK_PASSWORD answer that carries RETRY_AFTER), RETRY_AFTER of
 * 1..86400, THROTTLE_SCOPE of 1..2, client fields within their lengths, a DEFINE_HANDLER of at least 5 bytes, a HASH of 32
 * lowercase hex digits, a SESSION_KEY of 1..4096 bytes, USER_FLAGS of known bits only and beside GRANTED only, an empty
 * WANT_USER_FLAGS, USER in every GRANTED CHECK_SESSION answer, STAMP of 20 bytes, at most MAX_STAMPS and beside
 * GRANTED only, and VALID_FOR of at least 1 ms in a CHECK_SESSION answer exactly when it has STAMP. Limits (E_TOO_LARGE) are the codec's job.
 * It runs on every frame read and written, so it allocates nothing unless it throws.
 */
export function validateMessage(msg: Message): void {
  const rules = COMPILED.get(msg.kind);
  if (rules === undefined) throw malformed(msg, "unknown message kind");
  const fields = msg.fields;
  if (fields.length > MAX_FIELDS) {
    throw new ProtocolError("E_TOO_LARGE", `too many fields: ${fields.length}`, msg.requestId);
  }
  let status = 0;
  let stamps = 0;
  pass = (pass + 1) >>> 0;
  if (pass === 0) {
    seen.fill(0);
    pass = 1;
  }
  for (let i = 0; i < fields.length; i++) {
    const field = fields[i] as Field;
    const tag = field.tag;
    const cardinality = rules.byTag[tag];
    if (cardinality === undefined) {
      throw malformed(msg, isKnownTag(tag) ? `tag ${tag} not allowed` : `unknown tag ${tag}`);
    }
    if (seen[tag] === pass && (cardinality === "required" || cardinality === "optional")) {
      throw malformed(msg, `tag ${tag} repeated`);
    }
    seen[tag] = pass;
    const width = WIDTH_BY_TAG[tag] ?? 0;
    if (width !== 0 && valueLength(field) !== width) {
      throw malformed(msg, `tag ${tag} must be ${width} bytes, got ${valueLength(field)}`);
    }
    if (tag === Tag.DEFINE_HANDLER && valueLength(field) < DEFINE_HANDLER_MIN_LEN) {
      throw malformed(msg, `DEFINE_HANDLER must be at least ${DEFINE_HANDLER_MIN_LEN} bytes, got ${valueLength(field)}`);
    }
    if (tag === Tag.ALLOWED_SPEC && valueLength(field) < 1) throw malformed(msg, "ALLOWED_SPEC must not be empty");
    if (tag === Tag.SECRET_FILE && !isSecretFileValue(field)) {
      throw malformed(msg, "SECRET_FILE must be an absolute path, a NUL byte, then the content");
    }
    if (tag === Tag.STAMP) stamps++;
    if (tag === Tag.STATUS) {
      status = valueByte(field, 0) ?? 0;
      if (status < Status.GRANTED || status > Status.THROTTLED) throw malformed(msg, `unknown status ${status}`);
    }
    if (tag >= Tag.CLIENT_IP) {
      const problem = clientFieldProblem(field);
      if (problem !== undefined) throw malformed(msg, problem);
    }
    if (tag === Tag.HASH && (valueLength(field) !== HASH_LEN || !isLowerHex(field))) {
      throw malformed(msg, "HASH must be 32 lowercase hex digits");
    }
  }
  for (const tag of rules.mustAppear) {
    if (seen[tag] !== pass) throw malformed(msg, `missing required tag ${tag}`);
  }
  // THROTTLED means "wait RETRY_AFTER seconds", and only a password check can be throttled.
  if (status === Status.THROTTLED) {
    if (msg.kind !== (Kind.CHECK_PASSWORD | ANSWER_BIT)) throw malformed(msg, "THROTTLED answers only CHECK_PASSWORD");
    if (seen[Tag.RETRY_AFTER] !== pass) throw malformed(msg, "THROTTLED without RETRY_AFTER");
  }
  // A session grant names its user (it becomes r->user); the user's flags only ever ride on a grant.
  if (status === Status.GRANTED && msg.kind === (Kind.CHECK_SESSION | ANSWER_BIT) && seen[Tag.USER] !== pass) {
    throw malformed(msg, "GRANTED CHECK_SESSION answer without USER");
  }
  if (seen[Tag.USER_FLAGS] === pass && status !== Status.GRANTED) throw malformed(msg, "USER_FLAGS beside a status other than GRANTED");
  // A stamp says when a grant stops being current: it means nothing on a refusal, and a grant has two reads at most.
  if (stamps > 0 && status !== Status.GRANTED) throw malformed(msg, "STAMP beside a status other than GRANTED");
  if (stamps > MAX_STAMPS) throw malformed(msg, `more than ${MAX_STAMPS} STAMP fields: ${stamps}`);
  // A session runs out with no change to report: its stamps come with how long they may be kept, and only with them.
  if (msg.kind === (Kind.CHECK_SESSION | ANSWER_BIT) && (stamps > 0) !== (seen[Tag.VALID_FOR] === pass)) {
    throw malformed(msg, stamps > 0 ? "STAMP in a CHECK_SESSION answer without VALID_FOR" : "VALID_FOR without STAMP");
  }
}
