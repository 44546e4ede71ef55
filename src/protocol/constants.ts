// Wire constants of protocol version 6; the single TypeScript copy of native/anp_protocol.h.
// docs/protocol.md specifies them; test/unit/protocol-constants.test.ts checks both files agree.

export const PROTOCOL_VERSION = 6;

export const HEADER_LEN = 7;
export const MAX_FRAME_LEN = 65536;
export const MAX_FIELDS = 256;
export const MAX_FIELD_LEN = 8192;
/** Handler ids run 1..MAX_HANDLER_ID; 0 is never valid. */
export const MAX_HANDLER_ID = 1024;

export const Kind = {
  HELLO: 0x01,
  CHECK_PASSWORD: 0x02,
  GROUPS_FOR_USER: 0x03,
  HAS_PERMISSION: 0x04,
  GET_REALM_HASH: 0x05,
  ALLOW_ACCESS: 0x06,
  /** Not answered: follows the HELLO answer on a connection. */
  AUTH: 0x07,
  /** Not answered: travels only on the bootstrap fd, from httpd's parent to the worker. */
  BOOTSTRAP: 0x08,
  /** A Django login session: is the session cookie's key a logged-in user, and which one? */
  CHECK_SESSION: 0x09,
} as const;
export type Kind = (typeof Kind)[keyof typeof Kind];

/** An answer's kind is its request's kind with this bit set. */
export const ANSWER_BIT = 0x80;

export const Tag = {
  VERSION: 1,
  HANDLER_ID: 2,
  USER: 3,
  PASSWORD: 4,
  REALM: 5,
  HOST: 6,
  GROUP: 7,
  PERMISSION: 8,
  ENV: 9,
  TIMEOUT_MS: 10,
  STATUS: 11,
  REASON: 12,
  HASH: 13,
  GROUP_HANDLER_ID: 14,
  DEFINE_HANDLER: 15,
  NONCE: 16,
  PROOF: 17,
  GENERATION_KEY: 18,
  ALLOWED_SPEC: 19,
  SECRET_FILE: 20,
  /** Who is asking (CHECK_PASSWORD, optional): the lockout policies' keys and what django-axes records. */
  CLIENT_IP: 21,
  USER_AGENT: 22,
  HTTP_ACCEPT: 23,
  PATH_INFO: 24,
  /** u32 seconds, MIN_RETRY_AFTER..MAX_RETRY_AFTER: how long a THROTTLED client waits. */
  RETRY_AFTER: 25,
  /** u8, THROTTLE_SCOPE_ADDRESS or THROTTLE_SCOPE_USER: what a THROTTLED answer refuses, for the module's memo. */
  THROTTLE_SCOPE: 26,
  /** CHECK_SESSION: the session cookie's value as the module parsed it, 1..MAX_SESSION_KEY_LEN bytes. */
  SESSION_KEY: 27,
  /** u8, USER_FLAG_* bits, in GRANTED answers to a CHECK_PASSWORD or CHECK_SESSION that carried WANT_USER_FLAGS. */
  USER_FLAGS: 28,
  /** Empty (0 bytes), CHECK_PASSWORD or CHECK_SESSION: answer USER_FLAGS with a grant. */
  WANT_USER_FLAGS: 29,
  /**
   * STAMP_LEN bytes (u64 epoch, u32 slot, u64 generation), only beside GRANTED in a CHECK_PASSWORD or CHECK_SESSION
   * answer, at most MAX_STAMPS: what the grant was read under (docs/protocol.md "Stamps").
   */
  STAMP: 30,
  /**
   * u32 milliseconds, at least 1, in a CHECK_SESSION answer with STAMP (and only there, and always there): how long
   * after the request was sent the grant may be kept at most, whatever the stamps say (the session's expiry).
   */
  VALID_FOR: 31,
} as const;
export type Tag = (typeof Tag)[keyof typeof Tag];

/** Fixed widths of the handshake's values (SipHash-2-4-128 keys and tags, docs/protocol.md). */
export const NONCE_LEN = 16;
export const PROOF_LEN = 16;
export const GENERATION_KEY_LEN = 16;

/** Lengths of the client fields: CLIENT_IP 1..64 bytes, the others 0..1024 (the module cuts longer ones). */
export const MAX_CLIENT_IP_LEN = 64;
export const MAX_CLIENT_TEXT_LEN = 1024;
export const MIN_RETRY_AFTER = 1;
export const MAX_RETRY_AFTER = 86400;
/** THROTTLE_SCOPE values: every check from the client's address is refused, whatever the user... */
export const THROTTLE_SCOPE_ADDRESS = 1;
/** ...or only this user name from this address. */
export const THROTTLE_SCOPE_USER = 2;
export const MAX_SESSION_KEY_LEN = 4096;
/** USER_FLAGS bits (Django's is_staff and is_superuser); any other bit set makes the frame malformed. */
export const USER_FLAG_STAFF = 0x01;
export const USER_FLAG_SUPERUSER = 0x02;
/** A STAMP's value: epoch (u64), slot (u32), generation (u64); a grant carries at most two (a session's and its user's). */
export const STAMP_LEN = 20;
export const MAX_STAMPS = 2;

/**
 * The admin socket (admin.sock, docs/protocol.md "Admin socket"): the same frames, kinds of their own that the
 * request socket's rule tables do not know (so it refuses them). A STATUS request has no fields; its answer
 * carries the status as JSON, cut into ADMIN_TAG_JSON fields. The module never sends either.
 */
export const ADMIN_KIND_STATUS = 0x40;
export const ADMIN_TAG_JSON = 1;
/** A request is header only: anything longer on the admin socket is refused. */
export const ADMIN_MAX_REQUEST_LEN = 64;

export const Status = {
  GRANTED: 1,
  DENIED: 2,
  USER_NOT_FOUND: 3,
  ERROR: 4,
  /** CHECK_PASSWORD answers only, always with RETRY_AFTER: a lockout policy refused the client unchecked. */
  THROTTLED: 5,
} as const;
export type Status = (typeof Status)[keyof typeof Status];
