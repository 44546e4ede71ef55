// Which fields each message kind carries (the tables of docs/protocol.md), and the value checks the
// codec applies to every frame it reads or writes. native/anp_protocol.c holds the same table;
// test/vectors/protocol.json pins both to the same behaviour.
import { ANSWER_BIT, Kind, MAX_FIELDS, Status, Tag } from "./constants.js";
import { ProtocolError } from "./errors.js";
import type { Message } from "./message.js";

/** How often a tag may appear: exactly once, at most once, any number, at least once. */
export type Cardinality = "required" | "optional" | "repeated" | "oneOrMore";

type KindRules = Readonly<Partial<Record<number, Cardinality>>>;

const ENV_AND_TIMEOUT = { [Tag.ENV]: "repeated", [Tag.TIMEOUT_MS]: "optional" } as const;

const REQUEST_RULES: Readonly<Record<number, KindRules>> = {
  [Kind.HELLO]: { [Tag.VERSION]: "required" },
  [Kind.CHECK_PASSWORD]: {
    [Tag.HANDLER]: "required",
    [Tag.USER]: "required",
    [Tag.PASSWORD]: "required",
    [Tag.GROUP_HANDLER]: "optional",
    [Tag.GROUP]: "repeated",
    [Tag.PERMISSION]: "repeated",
    ...ENV_AND_TIMEOUT,
  },
  [Kind.GROUPS_FOR_USER]: { [Tag.HANDLER]: "required", [Tag.USER]: "required", [Tag.GROUP]: "repeated", ...ENV_AND_TIMEOUT },
  [Kind.HAS_PERMISSION]: {
    [Tag.HANDLER]: "required",
    [Tag.USER]: "required",
    [Tag.PERMISSION]: "oneOrMore",
    ...ENV_AND_TIMEOUT,
  },
  [Kind.GET_REALM_HASH]: { [Tag.HANDLER]: "required", [Tag.USER]: "required", [Tag.REALM]: "required", ...ENV_AND_TIMEOUT },
  [Kind.ALLOW_ACCESS]: { [Tag.HANDLER]: "required", [Tag.HOST]: "required", ...ENV_AND_TIMEOUT },
};

const ANSWER_COMMON = { [Tag.STATUS]: "required", [Tag.REASON]: "optional" } as const;

const ANSWER_RULES: Readonly<Record<number, KindRules>> = {
  [Kind.HELLO | ANSWER_BIT]: { ...ANSWER_COMMON, [Tag.VERSION]: "optional" },
  [Kind.CHECK_PASSWORD | ANSWER_BIT]: { ...ANSWER_COMMON, [Tag.USER]: "optional", [Tag.GROUP]: "repeated", [Tag.PERMISSION]: "repeated" },
  [Kind.GROUPS_FOR_USER | ANSWER_BIT]: { ...ANSWER_COMMON, [Tag.GROUP]: "repeated" },
  [Kind.HAS_PERMISSION | ANSWER_BIT]: { ...ANSWER_COMMON },
  [Kind.GET_REALM_HASH | ANSWER_BIT]: { ...ANSWER_COMMON, [Tag.HASH]: "optional" },
  [Kind.ALLOW_ACCESS | ANSWER_BIT]: { ...ANSWER_COMMON },
};

const RULES: Readonly<Record<number, KindRules>> = { ...REQUEST_RULES, ...ANSWER_RULES };

/** Fixed-width integer fields: their value length in bytes. */
const FIXED_WIDTH: Readonly<Partial<Record<number, number>>> = {
  [Tag.VERSION]: 2,
  [Tag.TIMEOUT_MS]: 4,
  [Tag.STATUS]: 1,
};

const HASH_LEN = 32;

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

function isLowerHex(value: Buffer): boolean {
  for (const byte of value) {
    const digit = byte >= 0x30 && byte <= 0x39;
    const lower = byte >= 0x61 && byte <= 0x66;
    if (!digit && !lower) return false;
  }
  return true;
}

/**
 * Throws ProtocolError E_MALFORMED unless `msg` is a valid message of its kind: a known kind, only tags
 * allowed there, each as often as its cardinality says, fixed-width values of the right length, a
 * STATUS of 1..4 and a HASH of 32 lowercase hex digits. Limits (E_TOO_LARGE) are the codec's job.
 */
export function validateMessage(msg: Message): void {
  const malformed = (what: string): ProtocolError =>
    new ProtocolError("E_MALFORMED", `${what} (kind 0x${msg.kind.toString(16).padStart(2, "0")})`, msg.requestId);
  const rules = RULES[msg.kind];
  if (rules === undefined) throw malformed("unknown message kind");
  if (msg.fields.length > MAX_FIELDS) {
    throw new ProtocolError("E_TOO_LARGE", `too many fields: ${msg.fields.length}`, msg.requestId);
  }
  const counts = new Map<number, number>();
  for (const field of msg.fields) {
    const cardinality = rules[field.tag];
    if (cardinality === undefined) {
      throw malformed(isKnownTag(field.tag) ? `tag ${field.tag} not allowed` : `unknown tag ${field.tag}`);
    }
    const count = (counts.get(field.tag) ?? 0) + 1;
    counts.set(field.tag, count);
    if (count > 1 && (cardinality === "required" || cardinality === "optional")) {
      throw malformed(`tag ${field.tag} repeated`);
    }
    const width = FIXED_WIDTH[field.tag];
    if (width !== undefined && field.value.length !== width) {
      throw malformed(`tag ${field.tag} must be ${width} bytes, got ${field.value.length}`);
    }
    if (field.tag === Tag.STATUS) {
      const status = field.value[0] ?? 0;
      if (status < Status.GRANTED || status > Status.ERROR) throw malformed(`unknown status ${status}`);
    }
    if (field.tag === Tag.HASH && (field.value.length !== HASH_LEN || !isLowerHex(field.value))) {
      throw malformed("HASH must be 32 lowercase hex digits");
    }
  }
  for (const [tagText, cardinality] of Object.entries(rules)) {
    const tag = Number(tagText);
    if ((cardinality === "required" || cardinality === "oneOrMore") && !counts.has(tag)) {
      throw malformed(`missing required tag ${tag}`);
    }
  }
}
