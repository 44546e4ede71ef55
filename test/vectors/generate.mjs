// Writes protocol.json, the shared test vectors of the wire protocol, version 6 (docs/protocol.md), from frames
// laid out by hand here, independently of both codecs: `node test/vectors/generate.mjs`.
// test/unit/protocol-vectors.test.ts runs every vector through the TypeScript codec and the C codec.
//
// A frame or value is written as hex, or as "parts": a list of hex strings and {fill, length} runs,
// so the maximum-size frames stay short in the file.
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const K = { HELLO: 1, CHECK_PASSWORD: 2, GROUPS_FOR_USER: 3, HAS_PERMISSION: 4, GET_REALM_HASH: 5, ALLOW_ACCESS: 6, AUTH: 7, CHECK_SESSION: 9 };
const A = 0x80;
const T = { VERSION: 1, HANDLER_ID: 2, USER: 3, PASSWORD: 4, REALM: 5, HOST: 6, GROUP: 7, PERMISSION: 8, ENV: 9, TIMEOUT_MS: 10, STATUS: 11, REASON: 12, HASH: 13, GROUP_HANDLER_ID: 14, DEFINE_HANDLER: 15, NONCE: 16, PROOF: 17, CLIENT_IP: 21, USER_AGENT: 22, HTTP_ACCEPT: 23, PATH_INFO: 24, RETRY_AFTER: 25, THROTTLE_SCOPE: 26, SESSION_KEY: 27, USER_FLAGS: 28, WANT_USER_FLAGS: 29, STAMP: 30, VALID_FOR: 31 };
const THROTTLED = 5;

const hex = (n, bytes) => n.toString(16).padStart(bytes * 2, "0");
const text = (s) => Buffer.from(s, "utf8").toString("hex");

/** A value: {hex} or {fill, length}; `text` is only for readers of the file. */
const v = {
  text: (s) => ({ hex: text(s), text: s }),
  hex: (h) => ({ hex: h }),
  u8: (n) => ({ hex: hex(n, 1) }),
  u16: (n) => ({ hex: hex(n, 2) }),
  u32: (n) => ({ hex: hex(n, 4) }),
  fill: (byte, length) => ({ fill: byte, length }),
};

const valueLength = (value) => ("fill" in value ? value.length : value.hex.length / 2);

/** Frame parts for a message, laid out by hand: declared counts and lengths may be overridden to lie. */
function frame(kind, requestId, fields, { count = fields.length, extra = "", bodyLength } = {}) {
  const parts = [];
  let body = 7 + extra.length / 2;
  const fieldParts = [];
  for (const f of fields) {
    const len = f.len ?? valueLength(f.value);
    fieldParts.push(hex(f.tag, 1) + hex(len, 2));
    fieldParts.push("fill" in f.value ? { fill: f.value.fill, length: f.value.length } : f.value.hex);
    body += 3 + valueLength(f.value);
  }
  parts.push(hex(bodyLength ?? body, 4) + hex(kind, 1) + hex(requestId, 4) + hex(count, 2));
  parts.push(...fieldParts);
  if (extra) parts.push(extra);
  return compact(parts);
}

/** Joins adjacent hex strings; returns a hex string when there is no fill run. */
function compact(parts) {
  const out = [];
  for (const p of parts) {
    if (typeof p === "string" && typeof out[out.length - 1] === "string") out[out.length - 1] += p;
    else if (p !== "") out.push(p);
  }
  return out.length === 1 && typeof out[0] === "string" ? { hex: out[0] } : { parts: out };
}

const f = (tag, value) => ({ tag, value });
const spec = "type=django\ndatabase=sqlite:///srv/app/db.sqlite3";
const script = "type=script\npath=/srv/auth.mjs\nreload=on";
const nonce = (byte) => f(T.NONCE, v.hex(hex(byte, 1).repeat(16)));
const proof = (byte) => f(T.PROOF, v.hex(hex(byte, 1).repeat(16)));
const hello = [f(T.VERSION, v.u16(4)), nonce(0x11)];
/** HANDLER_ID or GROUP_HANDLER_ID: a u32. */
const hid = (id) => f(T.HANDLER_ID, v.u32(id));
const ghid = (id) => f(T.GROUP_HANDLER_ID, v.u32(id));
/** DEFINE_HANDLER: the id (u32) followed by the spec text. */
const define = (id, specText) => f(T.DEFINE_HANDLER, { hex: hex(id, 4) + text(specText), text: `${id}: ${specText}` });
const checkBase = [hid(1), f(T.USER, v.text("alice")), f(T.PASSWORD, v.text("s3cret"))];
const status = (s) => f(T.STATUS, v.u8(s));
const hashValue = "939e7578ed9e3c518a452acee763bce9";

const valid = [];
function ok(name, kind, requestId, fields) {
  valid.push({ name, frame: frame(kind, requestId, fields), message: { kind, requestId, fields } });
}

ok("HELLO request", K.HELLO, 0, hello);
ok("CHECK_PASSWORD, required fields only", K.CHECK_PASSWORD, 1, checkBase);
ok("CHECK_PASSWORD with environ, timeout, group handler id and groups", K.CHECK_PASSWORD, 0x01020304, [
  hid(2),
  f(T.USER, v.text("Zoë")),
  f(T.PASSWORD, v.text("pässwörd €")),
  f(T.ENV, v.text("REQUEST_METHOD=GET")),
  f(T.ENV, v.text("REQUEST_URI=/secret/")),
  f(T.ENV, v.text("mod_authnz_node.location=/secret")),
  f(T.TIMEOUT_MS, v.u32(5000)),
  ghid(1),
  f(T.GROUP, v.text("secret-agents")),
]);
ok("CHECK_PASSWORD with Latin-1 user and password bytes (not UTF-8)", K.CHECK_PASSWORD, 2, [
  hid(2),
  f(T.USER, v.hex("5a6feb")),
  f(T.PASSWORD, v.hex("e9e8ff00")),
]);
ok("CHECK_PASSWORD with empty user and password", K.CHECK_PASSWORD, 3, [hid(1), f(T.USER, v.hex("")), f(T.PASSWORD, v.hex(""))]);
ok("CHECK_PASSWORD, fields in any order", K.CHECK_PASSWORD, 4, [f(T.TIMEOUT_MS, v.u32(0xffffffff)), f(T.PASSWORD, v.text("p")), f(T.ENV, v.text("A=")), f(T.USER, v.text("u")), hid(1)]);
ok("GROUPS_FOR_USER without groups", K.GROUPS_FOR_USER, 5, [hid(1), f(T.USER, v.text("bob"))]);
ok("GROUPS_FOR_USER with groups and environ", K.GROUPS_FOR_USER, 6, [
  hid(1), f(T.USER, v.text("bob")), f(T.GROUP, v.text("a")), f(T.GROUP, v.text("b c")), f(T.ENV, v.text("HTTPS=on")), f(T.TIMEOUT_MS, v.u32(250)),
]);
ok("HAS_PERMISSION with one permission", K.HAS_PERMISSION, 7, [hid(1), f(T.USER, v.text("alice")), f(T.PERMISSION, v.text("svn.commit"))]);
ok("HAS_PERMISSION with several permissions", K.HAS_PERMISSION, 8, [
  hid(1), f(T.USER, v.text("alice")), f(T.PERMISSION, v.text("svn.commit")), f(T.PERMISSION, v.text("auth.view_user")), f(T.TIMEOUT_MS, v.u32(1)),
]);
ok("GET_REALM_HASH", K.GET_REALM_HASH, 9, [hid(2), f(T.USER, v.text("alice")), f(T.REALM, v.text("Secret Area")), f(T.ENV, v.text("X=a=b"))]);
ok("ALLOW_ACCESS", K.ALLOW_ACCESS, 0xffffffff, [hid(2), f(T.HOST, v.text("192.0.2.7"))]);
ok("HELLO answer granted with version", K.HELLO | A, 0, [status(1), f(T.VERSION, v.u16(4))]);
ok("HELLO answer granted with version, nonce and proof", K.HELLO | A, 0, [status(1), f(T.VERSION, v.u16(4)), nonce(0x22), proof(0x33)]);
ok("AUTH", K.AUTH, 0, [proof(0x44)]);
ok("HELLO answer denied with reason", K.HELLO | A, 0, [status(2), f(T.REASON, v.text("protocol version 3 not supported")), f(T.VERSION, v.u16(4))]);
ok("CHECK_PASSWORD answer granted", K.CHECK_PASSWORD | A, 1, [status(1)]);
ok("CHECK_PASSWORD answer granted under another name, with groups", K.CHECK_PASSWORD | A, 2, [status(1), f(T.USER, v.text("alice@example.com")), f(T.GROUP, v.text("g1")), f(T.GROUP, v.text("g2"))]);
ok("CHECK_PASSWORD answer denied", K.CHECK_PASSWORD | A, 3, [status(2)]);
ok("CHECK_PASSWORD answer user not found", K.CHECK_PASSWORD | A, 4, [status(3)]);
ok("CHECK_PASSWORD answer error with reason", K.CHECK_PASSWORD | A, 5, [f(T.REASON, v.text("database unreachable")), status(4)]);
ok("GROUPS_FOR_USER answer with groups", K.GROUPS_FOR_USER | A, 6, [status(1), f(T.GROUP, v.text("secret-agents"))]);
ok("GROUPS_FOR_USER answer denied, no groups", K.GROUPS_FOR_USER | A, 7, [status(2)]);
ok("HAS_PERMISSION answer granted", K.HAS_PERMISSION | A, 8, [status(1)]);
ok("GET_REALM_HASH answer with hash", K.GET_REALM_HASH | A, 9, [status(1), f(T.HASH, v.text(hashValue))]);
ok("GET_REALM_HASH answer user not found", K.GET_REALM_HASH | A, 10, [status(3)]);
ok("CHECK_PASSWORD with group handler id and folded permissions", K.CHECK_PASSWORD, 15, [
  ...checkBase, ghid(1), f(T.PERMISSION, v.text("svn.commit")), f(T.PERMISSION, v.text("auth.view_user")),
]);
ok("CHECK_PASSWORD with folded permissions, no group handler", K.CHECK_PASSWORD, 16, [...checkBase, f(T.PERMISSION, v.text("svn.commit"))]);
ok("CHECK_PASSWORD answer granted with groups and held permissions", K.CHECK_PASSWORD | A, 15, [status(1), f(T.GROUP, v.text("g1")), f(T.PERMISSION, v.text("svn.commit"))]);
ok("CHECK_PASSWORD answer granted, none of the permissions held", K.CHECK_PASSWORD | A, 16, [status(1)]);
// Handler definitions (DEFINE_HANDLER): the codec checks only the value's length (at least 5 bytes);
// the id's range and a redefinition are the worker's per-connection table's to refuse.
ok("CHECK_PASSWORD defining its handler", K.CHECK_PASSWORD, 17, [define(1, spec), ...checkBase]);
ok("CHECK_PASSWORD defining its handler and the group handler", K.CHECK_PASSWORD, 18, [
  define(2, script), define(1, spec), hid(2), f(T.USER, v.text("alice")), f(T.PASSWORD, v.text("s3cret")), ghid(1), f(T.ENV, v.text("A=B")), f(T.GROUP, v.text("staff")),
]);
ok("CHECK_PASSWORD whose group handler is its handler (one id)", K.CHECK_PASSWORD, 19, [...checkBase, ghid(1), f(T.PERMISSION, v.text("svn.commit"))]);
ok("GROUPS_FOR_USER defining its handler", K.GROUPS_FOR_USER, 20, [define(1024, spec), hid(1024), f(T.USER, v.text("bob"))]);
ok("HAS_PERMISSION defining its handler after the other fields", K.HAS_PERMISSION, 21, [hid(3), f(T.USER, v.text("u")), f(T.PERMISSION, v.text("svn.commit")), define(3, spec)]);
ok("GET_REALM_HASH defining its handler", K.GET_REALM_HASH, 22, [define(2, script), hid(2), f(T.USER, v.text("alice")), f(T.REALM, v.text("Secret Area"))]);
ok("ALLOW_ACCESS defining its handler", K.ALLOW_ACCESS, 23, [define(2, script), hid(2), f(T.HOST, v.text("192.0.2.7"))]);
ok("DEFINE_HANDLER of exactly 5 bytes (one byte of spec text)", K.ALLOW_ACCESS, 24, [define(9, "x"), hid(9), f(T.HOST, v.text("h"))]);
ok("DEFINE_HANDLER with a spec text that is not UTF-8 (bytes as sent)", K.ALLOW_ACCESS, 25, [f(T.DEFINE_HANDLER, v.hex("00000005ff00fe")), hid(5), f(T.HOST, v.text("h"))]);
ok("the same DEFINE_HANDLER twice (repeatable)", K.GROUPS_FOR_USER, 26, [define(1, spec), define(1, spec), hid(1), f(T.USER, v.text("bob"))]);
ok("handler ids 0 and 0xffffffff (the codec does not range-check ids)", K.CHECK_PASSWORD, 27, [
  define(0, spec), f(T.HANDLER_ID, v.u32(0)), f(T.USER, v.text("u")), f(T.PASSWORD, v.text("p")), f(T.GROUP_HANDLER_ID, v.u32(0xffffffff)),
]);
ok("ALLOW_ACCESS answer no opinion", K.ALLOW_ACCESS | A, 11, [status(3)]);
ok("CHECK_PASSWORD with a field of MAX_FIELD_LEN bytes", K.CHECK_PASSWORD, 12, [...checkBase, f(T.ENV, v.fill("41", 8192))]);
ok("CHECK_PASSWORD with MAX_FIELDS fields", K.CHECK_PASSWORD, 13, [...checkBase, ...Array.from({ length: 253 }, (_, i) => f(T.ENV, v.text(`K${i}=v`)))]);
{
  // A body of exactly MAX_FRAME_LEN bytes: 7 header + 8 fields of 3+8192 + one ENV field filling the rest.
  const envs = Array.from({ length: 7 }, () => f(T.ENV, v.fill("3d", 8192)));
  const used = 7 + 3 * 3 + 4 + 5 + 6 + 7 * (3 + 8192) + 3;
  const fields = [hid(7), f(T.USER, v.text("alice")), f(T.PASSWORD, v.text("s3cret")), ...envs, f(T.ENV, v.fill("3d", 65536 - used))];
  ok("a body of exactly MAX_FRAME_LEN bytes", K.CHECK_PASSWORD, 14, fields);
}

// Version 4: who is asking (CHECK_PASSWORD) and THROTTLED answers with RETRY_AFTER.
ok("CHECK_PASSWORD with the client's address, user agent, Accept and path", K.CHECK_PASSWORD, 110, [
  ...checkBase, f(T.CLIENT_IP, v.text("127.0.0.2")), f(T.USER_AGENT, v.text("curl/8.5.0")), f(T.HTTP_ACCEPT, v.text("*/*")), f(T.PATH_INFO, v.text("/secret/index.html")),
]);
ok("CHECK_PASSWORD with a 64-byte CLIENT_IP, a 1024-byte USER_AGENT and an empty HTTP_ACCEPT", K.CHECK_PASSWORD, 111, [
  ...checkBase, f(T.CLIENT_IP, v.fill("61", 64)), f(T.USER_AGENT, v.fill("4d", 1024)), f(T.HTTP_ACCEPT, v.hex("")), f(T.PATH_INFO, v.fill("2f", 1024)),
]);
ok("CHECK_PASSWORD with CLIENT_IP only (IPv6)", K.CHECK_PASSWORD, 112, [f(T.CLIENT_IP, v.text("2001:db8::7")), ...checkBase]);
ok("CHECK_PASSWORD answer throttled, RETRY_AFTER 1", K.CHECK_PASSWORD | A, 113, [status(THROTTLED), f(T.RETRY_AFTER, v.u32(1))]);
ok("CHECK_PASSWORD answer throttled with reason, RETRY_AFTER 86400", K.CHECK_PASSWORD | A, 114, [f(T.RETRY_AFTER, v.u32(86400)), f(T.REASON, v.text("throttled: pair")), status(THROTTLED)]);
ok("CHECK_PASSWORD answer denied with a RETRY_AFTER (allowed, unused)", K.CHECK_PASSWORD | A, 115, [status(2), f(T.RETRY_AFTER, v.u32(30))]);
// Version 5: a THROTTLED answer says whom it refuses (THROTTLE_SCOPE 1 address, 2 user).
ok("CHECK_PASSWORD answer throttled, address scope", K.CHECK_PASSWORD | A, 116, [status(THROTTLED), f(T.RETRY_AFTER, v.u32(10)), f(T.THROTTLE_SCOPE, v.hex("01"))]);
ok("CHECK_PASSWORD answer throttled, user scope", K.CHECK_PASSWORD | A, 117, [f(T.THROTTLE_SCOPE, v.hex("02")), status(THROTTLED), f(T.RETRY_AFTER, v.u32(1))]);
// Version 6: CHECK_SESSION, and the user's flags for `Require node-staff` / `node-superuser`.
const sessionKey = "q4d0xk2w5c3v8n1b7m6z9l0p2o4i8u7y";
const sessionBase = [hid(1), f(T.SESSION_KEY, v.text(sessionKey))];
const wantFlags = f(T.WANT_USER_FLAGS, v.hex(""));
const flags = (n) => f(T.USER_FLAGS, v.u8(n));
ok("CHECK_SESSION, required fields only", K.CHECK_SESSION, 150, sessionBase);
ok("CHECK_SESSION with a definition, group handler, groups, permissions, user flags and timeout", K.CHECK_SESSION, 151, [
  define(1, spec), ...sessionBase, ghid(1), f(T.GROUP, v.text("staff")), f(T.PERMISSION, v.text("blog.add_post")), f(T.PERMISSION, v.text("auth.view_user")), wantFlags, f(T.TIMEOUT_MS, v.u32(5000)),
]);
ok("CHECK_SESSION with a 1-byte SESSION_KEY", K.CHECK_SESSION, 152, [f(T.SESSION_KEY, v.text("x")), hid(3)]);
ok("CHECK_SESSION with a 4096-byte SESSION_KEY (a signed_cookies session)", K.CHECK_SESSION, 153, [hid(1), f(T.SESSION_KEY, v.fill("41", 4096))]);
ok("CHECK_PASSWORD with WANT_USER_FLAGS", K.CHECK_PASSWORD, 154, [...checkBase, wantFlags]);
ok("CHECK_PASSWORD answer granted with USER_FLAGS staff and superuser", K.CHECK_PASSWORD | A, 155, [status(1), flags(3)]);
ok("CHECK_SESSION answer granted: user only", K.CHECK_SESSION | A, 156, [status(1), f(T.USER, v.text("alice"))]);
ok("CHECK_SESSION answer granted with groups, a permission and USER_FLAGS 0", K.CHECK_SESSION | A, 157, [
  f(T.USER, v.text("alice@example.org")), status(1), f(T.GROUP, v.text("staff")), f(T.GROUP, v.text("editors")), f(T.PERMISSION, v.text("blog.add_post")), flags(0),
]);
ok("CHECK_SESSION answer granted, USER_FLAGS staff", K.CHECK_SESSION | A, 158, [status(1), f(T.USER, v.text("bob")), flags(1)]);
ok("CHECK_SESSION answer denied with a reason", K.CHECK_SESSION | A, 159, [status(2), f(T.REASON, v.text("session expired"))]);
ok("CHECK_SESSION answer error", K.CHECK_SESSION | A, 160, [f(T.REASON, v.text("database unavailable")), status(4)]);
// STAMP (tag 30): u64 epoch, u32 slot, u64 generation, big-endian; at most two, only beside GRANTED.
const stampHex = (epoch, slot, generation) => epoch.toString(16).padStart(16, "0") + hex(slot, 4) + generation.toString(16).padStart(16, "0");
const stamp = (epoch, slot, generation) => f(T.STAMP, v.hex(stampHex(epoch, slot, generation)));
ok("CHECK_PASSWORD answer granted with one STAMP", K.CHECK_PASSWORD | A, 161, [status(1), stamp(7n, 0x1234, 0x0102030405060708n)]);
ok("CHECK_PASSWORD answer granted with flags, a group and STAMP of the largest values", K.CHECK_PASSWORD | A, 162, [
  stamp(0xffffffffffffffffn, 0xffffffff, 0xffffffffffffffffn), status(1), f(T.GROUP, v.text("staff")), flags(1),
]);
// VALID_FOR (tag 31): u32 ms of at least 1, in a CHECK_SESSION answer exactly when it has STAMP.
const validFor = (ms) => f(T.VALID_FOR, v.u32(ms));
ok("CHECK_SESSION answer granted with two STAMPs (the session's and its user's) and VALID_FOR 60000 ms", K.CHECK_SESSION | A, 163, [
  status(1), f(T.USER, v.text("alice")), stamp(3n, 17, 0n), stamp(3n, 65535, 42n), validFor(60000),
]);
ok("CHECK_PASSWORD answer granted with a zero STAMP", K.CHECK_PASSWORD | A, 164, [status(1), stamp(0n, 0, 0n)]);
ok("CHECK_SESSION answer granted with one STAMP (a signed cookie's user) and the largest VALID_FOR", K.CHECK_SESSION | A, 165, [
  status(1), validFor(0xffffffff), f(T.USER, v.text("alice")), stamp(3n, 17, 1n),
]);
ok("CHECK_SESSION answer granted with a STAMP and VALID_FOR of 1 ms", K.CHECK_SESSION | A, 166, [status(1), f(T.USER, v.text("alice")), stamp(3n, 17, 1n), validFor(1)]);

const malformed = [];
function bad(name, error, requestId, frameParts) {
  malformed.push({ name, frame: frameParts, error, requestId });
}
const raw = (h) => ({ hex: h });

bad("length 0", "E_MALFORMED", 0, raw("00000000"));
bad("truncated header: length 6 with 6 body bytes", "E_MALFORMED", 0, raw("00000006" + "010000000100"));
bad("length MAX_FRAME_LEN + 1", "E_TOO_LARGE", 0, raw("00010001"));
bad("length 0xffffffff", "E_TOO_LARGE", 0, raw("ffffffff"));
bad("length over the limit, header bytes present", "E_TOO_LARGE", 0, raw("00100000" + "0100000063" + "0001"));
bad("field count MAX_FIELDS + 1", "E_TOO_LARGE", 21, frame(K.HELLO, 21, hello, { count: 257 }));
bad("field count 0xffff", "E_TOO_LARGE", 22, frame(K.HELLO, 22, hello, { count: 0xffff }));
bad("field count over the limit in an unknown kind (layout first)", "E_TOO_LARGE", 23, frame(0x07, 23, [], { count: 300 }));
bad("field length MAX_FIELD_LEN + 1", "E_TOO_LARGE", 24, frame(K.CHECK_PASSWORD, 24, [...checkBase, { tag: T.ENV, value: v.fill("41", 8193) }]));
bad("field length 0xffff declared, value short", "E_TOO_LARGE", 25, frame(K.HELLO, 25, [{ tag: T.VERSION, value: v.u16(1), len: 0xffff }]));
bad("over-long field after an unknown tag (layout first)", "E_TOO_LARGE", 26, frame(K.HELLO, 26, [f(99, v.hex("")), f(T.ENV, v.fill("41", 8193))]));
bad("field header past the end", "E_MALFORMED", 27, frame(K.HELLO, 27, hello, { count: 2, extra: "0100" }));
bad("field value past the end", "E_MALFORMED", 28, frame(K.HELLO, 28, [{ tag: T.VERSION, value: v.u16(1), len: 3 }]));
bad("field count 1 with no fields", "E_MALFORMED", 29, frame(K.HELLO, 29, [], { count: 1 }));
bad("trailing byte after the last field", "E_MALFORMED", 30, frame(K.HELLO, 30, hello, { extra: "00" }));
bad("field count 0 with a whole field after it", "E_MALFORMED", 31, frame(K.HELLO, 31, hello, { count: 0 }));
for (const kind of [0x00, 0x0a, 0x7f, 0x80, 0x8a, 0xff]) {
  bad(`unknown kind 0x${hex(kind, 1)}`, "E_MALFORMED", 40 + (kind & 7), frame(kind, 40 + (kind & 7), hello));
}
for (const tag of [0, 30, 255]) bad(`unknown tag ${tag}`, "E_MALFORMED", 50, frame(K.HELLO, 50, [...hello, f(tag, v.hex(""))]));
bad("PASSWORD in GROUPS_FOR_USER", "E_MALFORMED", 51, frame(K.GROUPS_FOR_USER, 51, [hid(1), f(T.USER, v.text("u")), f(T.PASSWORD, v.text("p"))]));
bad("STATUS in a request", "E_MALFORMED", 52, frame(K.HELLO, 52, [...hello, status(1)]));
bad("HANDLER_ID in an answer", "E_MALFORMED", 53, frame(K.CHECK_PASSWORD | A, 53, [status(1), hid(1)]));
bad("USER in a HAS_PERMISSION answer", "E_MALFORMED", 54, frame(K.HAS_PERMISSION | A, 54, [status(1), f(T.USER, v.text("u"))]));
bad("HASH in a CHECK_PASSWORD answer", "E_MALFORMED", 55, frame(K.CHECK_PASSWORD | A, 55, [status(1), f(T.HASH, v.text(hashValue))]));
bad("VERSION in CHECK_PASSWORD", "E_MALFORMED", 56, frame(K.CHECK_PASSWORD, 56, [...checkBase, f(T.VERSION, v.u16(1))]));
bad("GROUP_HANDLER_ID in GROUPS_FOR_USER", "E_MALFORMED", 57, frame(K.GROUPS_FOR_USER, 57, [hid(1), f(T.USER, v.text("u")), ghid(1)]));
bad("PERMISSION in a GROUPS_FOR_USER answer", "E_MALFORMED", 58, frame(K.GROUPS_FOR_USER | A, 58, [status(1), f(T.PERMISSION, v.text("svn.commit"))]));
bad("PERMISSION in a GET_REALM_HASH answer", "E_MALFORMED", 59, frame(K.GET_REALM_HASH | A, 59, [status(1), f(T.PERMISSION, v.text("svn.commit"))]));
bad("ENV in an answer", "E_MALFORMED", 58, frame(K.ALLOW_ACCESS | A, 58, [status(1), f(T.ENV, v.text("A=B"))]));
bad("HELLO without VERSION", "E_MALFORMED", 60, frame(K.HELLO, 60, []));
bad("HELLO without NONCE (required since version 3)", "E_MALFORMED", 61, frame(K.HELLO, 61, [f(T.VERSION, v.u16(3))]));
bad("NONCE of 15 bytes", "E_MALFORMED", 62, frame(K.HELLO, 62, [f(T.VERSION, v.u16(3)), f(T.NONCE, v.hex("11".repeat(15)))]));
bad("AUTH without PROOF", "E_MALFORMED", 63, frame(K.AUTH, 63, []));
bad("PROOF of 17 bytes", "E_MALFORMED", 64, frame(K.AUTH, 64, [f(T.PROOF, v.hex("44".repeat(17)))]));
bad("CHECK_PASSWORD without PASSWORD", "E_MALFORMED", 61, frame(K.CHECK_PASSWORD, 61, checkBase.slice(0, 2)));
bad("CHECK_PASSWORD without HANDLER_ID", "E_MALFORMED", 62, frame(K.CHECK_PASSWORD, 62, checkBase.slice(1)));
bad("answer without STATUS", "E_MALFORMED", 63, frame(K.CHECK_PASSWORD | A, 63, [f(T.REASON, v.text("x"))]));
bad("HAS_PERMISSION without PERMISSION", "E_MALFORMED", 64, frame(K.HAS_PERMISSION, 64, [hid(1), f(T.USER, v.text("u"))]));
bad("GET_REALM_HASH without REALM", "E_MALFORMED", 65, frame(K.GET_REALM_HASH, 65, [hid(1), f(T.USER, v.text("u"))]));
bad("ALLOW_ACCESS without HOST", "E_MALFORMED", 66, frame(K.ALLOW_ACCESS, 66, [hid(1)]));
bad("USER twice", "E_MALFORMED", 67, frame(K.CHECK_PASSWORD, 67, [...checkBase, f(T.USER, v.text("mallory"))]));
bad("TIMEOUT_MS twice", "E_MALFORMED", 68, frame(K.GROUPS_FOR_USER, 68, [hid(1), f(T.USER, v.text("u")), f(T.TIMEOUT_MS, v.u32(1)), f(T.TIMEOUT_MS, v.u32(2))]));
bad("STATUS twice", "E_MALFORMED", 69, frame(K.CHECK_PASSWORD | A, 69, [status(2), status(1)]));
bad("REASON twice", "E_MALFORMED", 70, frame(K.CHECK_PASSWORD | A, 70, [status(4), f(T.REASON, v.text("a")), f(T.REASON, v.text("b"))]));
bad("VERSION of 1 byte (u16)", "E_MALFORMED", 71, frame(K.HELLO, 71, [f(T.VERSION, v.hex("01"))]));
bad("VERSION of 3 bytes (u16)", "E_MALFORMED", 72, frame(K.HELLO, 72, [f(T.VERSION, v.hex("000001"))]));
bad("TIMEOUT_MS of 2 bytes (u32)", "E_MALFORMED", 73, frame(K.CHECK_PASSWORD, 73, [...checkBase, f(T.TIMEOUT_MS, v.hex("1388"))]));
bad("TIMEOUT_MS of 8 bytes (u32)", "E_MALFORMED", 74, frame(K.CHECK_PASSWORD, 74, [...checkBase, f(T.TIMEOUT_MS, v.hex("0000000000001388"))]));
bad("STATUS of 0 bytes (u8)", "E_MALFORMED", 75, frame(K.CHECK_PASSWORD | A, 75, [f(T.STATUS, v.hex(""))]));
bad("STATUS of 2 bytes (u8)", "E_MALFORMED", 76, frame(K.CHECK_PASSWORD | A, 76, [f(T.STATUS, v.hex("0001"))]));
for (const s of [0, 6, 0x81, 255]) bad(`STATUS ${s}`, "E_MALFORMED", 77, frame(K.CHECK_PASSWORD | A, 77, [status(s)]));
bad("HASH of 31 hex digits", "E_MALFORMED", 78, frame(K.GET_REALM_HASH | A, 78, [status(1), f(T.HASH, v.text(hashValue.slice(1)))]));
bad("HASH of 33 hex digits", "E_MALFORMED", 79, frame(K.GET_REALM_HASH | A, 79, [status(1), f(T.HASH, v.text(hashValue + "0"))]));
bad("HASH in upper case", "E_MALFORMED", 80, frame(K.GET_REALM_HASH | A, 80, [status(1), f(T.HASH, v.text(hashValue.toUpperCase()))]));
bad("HASH with a non-hex digit", "E_MALFORMED", 81, frame(K.GET_REALM_HASH | A, 81, [status(1), f(T.HASH, v.text("g" + hashValue.slice(1)))]));

bad("HANDLER_ID of 3 bytes (u32)", "E_MALFORMED", 82, frame(K.CHECK_PASSWORD, 82, [f(T.HANDLER_ID, v.hex("000001")), f(T.USER, v.text("u")), f(T.PASSWORD, v.text("p"))]));
bad("HANDLER_ID of 5 bytes (u32)", "E_MALFORMED", 83, frame(K.GROUPS_FOR_USER, 83, [f(T.HANDLER_ID, v.hex("0000000001")), f(T.USER, v.text("u"))]));
bad("HANDLER_ID of 0 bytes", "E_MALFORMED", 84, frame(K.ALLOW_ACCESS, 84, [f(T.HANDLER_ID, v.hex("")), f(T.HOST, v.text("h"))]));
bad("HANDLER_ID as spec text (version 1's HANDLER)", "E_MALFORMED", 85, frame(K.CHECK_PASSWORD, 85, [f(T.HANDLER_ID, v.text(spec)), f(T.USER, v.text("u")), f(T.PASSWORD, v.text("p"))]));
bad("GROUP_HANDLER_ID of 2 bytes (u32)", "E_MALFORMED", 86, frame(K.CHECK_PASSWORD, 86, [...checkBase, f(T.GROUP_HANDLER_ID, v.hex("0001"))]));
bad("GROUP_HANDLER_ID as spec text (version 1's GROUP_HANDLER)", "E_MALFORMED", 87, frame(K.CHECK_PASSWORD, 87, [...checkBase, f(T.GROUP_HANDLER_ID, v.text(spec))]));
bad("DEFINE_HANDLER of 4 bytes (an id without spec text)", "E_MALFORMED", 88, frame(K.CHECK_PASSWORD, 88, [f(T.DEFINE_HANDLER, v.u32(1)), ...checkBase]));
bad("DEFINE_HANDLER of 0 bytes", "E_MALFORMED", 89, frame(K.GROUPS_FOR_USER, 89, [f(T.DEFINE_HANDLER, v.hex("")), hid(1), f(T.USER, v.text("u"))]));
bad("DEFINE_HANDLER of 3 bytes", "E_MALFORMED", 90, frame(K.ALLOW_ACCESS, 90, [f(T.DEFINE_HANDLER, v.hex("000001")), hid(1), f(T.HOST, v.text("h"))]));
bad("a good DEFINE_HANDLER, then one of 4 bytes", "E_MALFORMED", 91, frame(K.CHECK_PASSWORD, 91, [define(1, spec), f(T.DEFINE_HANDLER, v.u32(2)), ...checkBase]));
bad("DEFINE_HANDLER in HELLO", "E_MALFORMED", 92, frame(K.HELLO, 92, [...hello, define(1, spec)]));
bad("DEFINE_HANDLER in a CHECK_PASSWORD answer", "E_MALFORMED", 93, frame(K.CHECK_PASSWORD | A, 93, [status(1), define(1, spec)]));
bad("DEFINE_HANDLER in a HELLO answer", "E_MALFORMED", 94, frame(K.HELLO | A, 94, [status(1), define(1, spec)]));
bad("DEFINE_HANDLER in an ERROR answer", "E_MALFORMED", 95, frame(K.GROUPS_FOR_USER | A, 95, [status(4), define(1, spec)]));
bad("GROUP_HANDLER_ID in HAS_PERMISSION", "E_MALFORMED", 96, frame(K.HAS_PERMISSION, 96, [hid(1), f(T.USER, v.text("u")), f(T.PERMISSION, v.text("p.q")), ghid(1)]));
bad("GROUP_HANDLER_ID in GET_REALM_HASH", "E_MALFORMED", 97, frame(K.GET_REALM_HASH, 97, [hid(1), f(T.USER, v.text("u")), f(T.REALM, v.text("r")), ghid(1)]));
bad("GROUP_HANDLER_ID in ALLOW_ACCESS", "E_MALFORMED", 98, frame(K.ALLOW_ACCESS, 98, [hid(1), f(T.HOST, v.text("h")), ghid(1)]));
bad("GROUP_HANDLER_ID in HELLO", "E_MALFORMED", 99, frame(K.HELLO, 99, [...hello, ghid(1)]));
bad("GROUP_HANDLER_ID in a CHECK_PASSWORD answer", "E_MALFORMED", 100, frame(K.CHECK_PASSWORD | A, 100, [status(1), ghid(1)]));
bad("HANDLER_ID in HELLO", "E_MALFORMED", 101, frame(K.HELLO, 101, [...hello, hid(1)]));
bad("HANDLER_ID twice", "E_MALFORMED", 102, frame(K.GROUPS_FOR_USER, 102, [hid(1), f(T.USER, v.text("u")), hid(2)]));
bad("GROUP_HANDLER_ID twice", "E_MALFORMED", 103, frame(K.CHECK_PASSWORD, 103, [...checkBase, ghid(1), ghid(2)]));
bad("GROUPS_FOR_USER with DEFINE_HANDLER but no HANDLER_ID", "E_MALFORMED", 104, frame(K.GROUPS_FOR_USER, 104, [define(1, spec), f(T.USER, v.text("u"))]));
bad("THROTTLED without RETRY_AFTER", "E_MALFORMED", 120, frame(K.CHECK_PASSWORD | A, 120, [status(THROTTLED)]));
bad("THROTTLED with reason but without RETRY_AFTER", "E_MALFORMED", 121, frame(K.CHECK_PASSWORD | A, 121, [status(THROTTLED), f(T.REASON, v.text("throttled: pair"))]));
bad("THROTTLED in a GROUPS_FOR_USER answer", "E_MALFORMED", 122, frame(K.GROUPS_FOR_USER | A, 122, [status(THROTTLED)]));
bad("THROTTLED in a GET_REALM_HASH answer", "E_MALFORMED", 123, frame(K.GET_REALM_HASH | A, 123, [status(THROTTLED)]));
bad("THROTTLED in a HELLO answer", "E_MALFORMED", 124, frame(K.HELLO | A, 124, [status(THROTTLED)]));
bad("RETRY_AFTER in a GROUPS_FOR_USER answer", "E_MALFORMED", 125, frame(K.GROUPS_FOR_USER | A, 125, [status(THROTTLED), f(T.RETRY_AFTER, v.u32(10))]));
bad("RETRY_AFTER 0", "E_MALFORMED", 126, frame(K.CHECK_PASSWORD | A, 126, [status(THROTTLED), f(T.RETRY_AFTER, v.u32(0))]));
bad("RETRY_AFTER 86401", "E_MALFORMED", 127, frame(K.CHECK_PASSWORD | A, 127, [status(THROTTLED), f(T.RETRY_AFTER, v.u32(86401))]));
bad("RETRY_AFTER 0xffffffff", "E_MALFORMED", 128, frame(K.CHECK_PASSWORD | A, 128, [status(THROTTLED), f(T.RETRY_AFTER, v.u32(0xffffffff))]));
bad("RETRY_AFTER 0 beside DENIED", "E_MALFORMED", 129, frame(K.CHECK_PASSWORD | A, 129, [status(2), f(T.RETRY_AFTER, v.u32(0))]));
bad("RETRY_AFTER of 2 bytes (u32)", "E_MALFORMED", 130, frame(K.CHECK_PASSWORD | A, 130, [status(THROTTLED), f(T.RETRY_AFTER, v.u16(10))]));
bad("RETRY_AFTER twice", "E_MALFORMED", 131, frame(K.CHECK_PASSWORD | A, 131, [status(THROTTLED), f(T.RETRY_AFTER, v.u32(10)), f(T.RETRY_AFTER, v.u32(20))]));
bad("THROTTLE_SCOPE 0", "E_MALFORMED", 132, frame(K.CHECK_PASSWORD | A, 132, [status(THROTTLED), f(T.RETRY_AFTER, v.u32(10)), f(T.THROTTLE_SCOPE, v.hex("00"))]));
bad("THROTTLE_SCOPE 3", "E_MALFORMED", 133, frame(K.CHECK_PASSWORD | A, 133, [status(THROTTLED), f(T.RETRY_AFTER, v.u32(10)), f(T.THROTTLE_SCOPE, v.hex("03"))]));
bad("THROTTLE_SCOPE of 2 bytes", "E_MALFORMED", 134, frame(K.CHECK_PASSWORD | A, 134, [status(THROTTLED), f(T.RETRY_AFTER, v.u32(10)), f(T.THROTTLE_SCOPE, v.hex("0001"))]));
bad("THROTTLE_SCOPE twice", "E_MALFORMED", 135, frame(K.CHECK_PASSWORD | A, 135, [status(THROTTLED), f(T.RETRY_AFTER, v.u32(10)), f(T.THROTTLE_SCOPE, v.hex("01")), f(T.THROTTLE_SCOPE, v.hex("02"))]));
bad("THROTTLE_SCOPE in a GROUPS_FOR_USER answer", "E_MALFORMED", 136, frame(K.GROUPS_FOR_USER | A, 136, [status(2), f(T.THROTTLE_SCOPE, v.hex("01"))]));
bad("THROTTLE_SCOPE in a CHECK_PASSWORD request", "E_MALFORMED", 137, frame(K.CHECK_PASSWORD, 137, [...checkBase, f(T.THROTTLE_SCOPE, v.hex("01"))]));
bad("RETRY_AFTER in a request", "E_MALFORMED", 132, frame(K.CHECK_PASSWORD, 132, [...checkBase, f(T.RETRY_AFTER, v.u32(10))]));
bad("an empty CLIENT_IP", "E_MALFORMED", 133, frame(K.CHECK_PASSWORD, 133, [...checkBase, f(T.CLIENT_IP, v.hex(""))]));
bad("CLIENT_IP of 65 bytes", "E_MALFORMED", 134, frame(K.CHECK_PASSWORD, 134, [...checkBase, f(T.CLIENT_IP, v.fill("61", 65))]));
bad("USER_AGENT of 1025 bytes", "E_MALFORMED", 135, frame(K.CHECK_PASSWORD, 135, [...checkBase, f(T.USER_AGENT, v.fill("4d", 1025))]));
bad("HTTP_ACCEPT of 1025 bytes", "E_MALFORMED", 136, frame(K.CHECK_PASSWORD, 136, [...checkBase, f(T.HTTP_ACCEPT, v.fill("2a", 1025))]));
bad("PATH_INFO of 1025 bytes", "E_MALFORMED", 137, frame(K.CHECK_PASSWORD, 137, [...checkBase, f(T.PATH_INFO, v.fill("2f", 1025))]));
bad("CLIENT_IP twice", "E_MALFORMED", 138, frame(K.CHECK_PASSWORD, 138, [...checkBase, f(T.CLIENT_IP, v.text("127.0.0.2")), f(T.CLIENT_IP, v.text("127.0.0.3"))]));
bad("CLIENT_IP in GROUPS_FOR_USER", "E_MALFORMED", 139, frame(K.GROUPS_FOR_USER, 139, [hid(1), f(T.USER, v.text("u")), f(T.CLIENT_IP, v.text("127.0.0.2"))]));
bad("USER_AGENT in a CHECK_PASSWORD answer", "E_MALFORMED", 140, frame(K.CHECK_PASSWORD | A, 140, [status(2), f(T.USER_AGENT, v.text("curl"))]));
bad("CHECK_SESSION without SESSION_KEY", "E_MALFORMED", 170, frame(K.CHECK_SESSION, 170, [hid(1)]));
bad("CHECK_SESSION without HANDLER_ID", "E_MALFORMED", 171, frame(K.CHECK_SESSION, 171, [f(T.SESSION_KEY, v.text(sessionKey))]));
bad("an empty SESSION_KEY", "E_MALFORMED", 172, frame(K.CHECK_SESSION, 172, [hid(1), f(T.SESSION_KEY, v.hex(""))]));
bad("SESSION_KEY of 4097 bytes", "E_MALFORMED", 173, frame(K.CHECK_SESSION, 173, [hid(1), f(T.SESSION_KEY, v.fill("41", 4097))]));
bad("SESSION_KEY twice", "E_MALFORMED", 174, frame(K.CHECK_SESSION, 174, [...sessionBase, f(T.SESSION_KEY, v.text("another1"))]));
bad("ENV in CHECK_SESSION (no environ: never a script)", "E_MALFORMED", 175, frame(K.CHECK_SESSION, 175, [...sessionBase, f(T.ENV, v.text("A=B"))]));
bad("PASSWORD in CHECK_SESSION", "E_MALFORMED", 176, frame(K.CHECK_SESSION, 176, [...sessionBase, f(T.PASSWORD, v.text("p"))]));
bad("USER in CHECK_SESSION", "E_MALFORMED", 177, frame(K.CHECK_SESSION, 177, [...sessionBase, f(T.USER, v.text("alice"))]));
bad("CLIENT_IP in CHECK_SESSION", "E_MALFORMED", 178, frame(K.CHECK_SESSION, 178, [...sessionBase, f(T.CLIENT_IP, v.text("127.0.0.2"))]));
bad("SESSION_KEY in CHECK_PASSWORD", "E_MALFORMED", 179, frame(K.CHECK_PASSWORD, 179, [...checkBase, f(T.SESSION_KEY, v.text(sessionKey))]));
bad("SESSION_KEY in a CHECK_SESSION answer", "E_MALFORMED", 180, frame(K.CHECK_SESSION | A, 180, [status(2), f(T.SESSION_KEY, v.text(sessionKey))]));
bad("GRANTED CHECK_SESSION answer without USER", "E_MALFORMED", 181, frame(K.CHECK_SESSION | A, 181, [status(1)]));
bad("GRANTED CHECK_SESSION answer with groups but without USER", "E_MALFORMED", 182, frame(K.CHECK_SESSION | A, 182, [status(1), f(T.GROUP, v.text("staff")), flags(1)]));
bad("THROTTLED in a CHECK_SESSION answer", "E_MALFORMED", 183, frame(K.CHECK_SESSION | A, 183, [status(THROTTLED), f(T.USER, v.text("alice"))]));
bad("RETRY_AFTER in a CHECK_SESSION answer", "E_MALFORMED", 184, frame(K.CHECK_SESSION | A, 184, [status(2), f(T.RETRY_AFTER, v.u32(10))]));
bad("DEFINE_HANDLER in a CHECK_SESSION answer", "E_MALFORMED", 185, frame(K.CHECK_SESSION | A, 185, [status(4), define(1, spec)]));
bad("USER_FLAGS with bit 0x04", "E_MALFORMED", 186, frame(K.CHECK_SESSION | A, 186, [status(1), f(T.USER, v.text("alice")), flags(4)]));
bad("USER_FLAGS 0x80", "E_MALFORMED", 187, frame(K.CHECK_PASSWORD | A, 187, [status(1), flags(0x80)]));
bad("USER_FLAGS of 0 bytes", "E_MALFORMED", 188, frame(K.CHECK_PASSWORD | A, 188, [status(1), f(T.USER_FLAGS, v.hex(""))]));
bad("USER_FLAGS of 2 bytes", "E_MALFORMED", 189, frame(K.CHECK_SESSION | A, 189, [status(1), f(T.USER, v.text("alice")), f(T.USER_FLAGS, v.hex("0001"))]));
bad("USER_FLAGS twice", "E_MALFORMED", 190, frame(K.CHECK_PASSWORD | A, 190, [status(1), flags(1), flags(2)]));
bad("USER_FLAGS beside DENIED", "E_MALFORMED", 191, frame(K.CHECK_SESSION | A, 191, [status(2), flags(0)]));
bad("USER_FLAGS beside ERROR", "E_MALFORMED", 192, frame(K.CHECK_PASSWORD | A, 192, [status(4), flags(1)]));
bad("USER_FLAGS in a GROUPS_FOR_USER answer", "E_MALFORMED", 193, frame(K.GROUPS_FOR_USER | A, 193, [status(1), flags(1)]));
bad("USER_FLAGS in a request", "E_MALFORMED", 194, frame(K.CHECK_SESSION, 194, [...sessionBase, flags(1)]));
bad("WANT_USER_FLAGS of 1 byte", "E_MALFORMED", 195, frame(K.CHECK_SESSION, 195, [...sessionBase, f(T.WANT_USER_FLAGS, v.hex("01"))]));
bad("WANT_USER_FLAGS twice", "E_MALFORMED", 196, frame(K.CHECK_PASSWORD, 196, [...checkBase, wantFlags, wantFlags]));
bad("WANT_USER_FLAGS in GROUPS_FOR_USER", "E_MALFORMED", 197, frame(K.GROUPS_FOR_USER, 197, [hid(1), f(T.USER, v.text("u")), wantFlags]));
bad("WANT_USER_FLAGS in an answer", "E_MALFORMED", 198, frame(K.CHECK_SESSION | A, 198, [status(2), wantFlags]));
bad("STAMP beside DENIED", "E_MALFORMED", 200, frame(K.CHECK_PASSWORD | A, 200, [status(2), stamp(1n, 1, 1n)]));
bad("STAMP beside USER_NOT_FOUND", "E_MALFORMED", 201, frame(K.CHECK_PASSWORD | A, 201, [stamp(1n, 1, 1n), status(3)]));
bad("STAMP beside ERROR", "E_MALFORMED", 202, frame(K.CHECK_SESSION | A, 202, [status(4), stamp(1n, 1, 1n)]));
bad("STAMP beside THROTTLED", "E_MALFORMED", 203, frame(K.CHECK_PASSWORD | A, 203, [status(THROTTLED), f(T.RETRY_AFTER, v.u32(10)), stamp(1n, 1, 1n)]));
bad("three STAMPs", "E_MALFORMED", 204, frame(K.CHECK_SESSION | A, 204, [status(1), f(T.USER, v.text("alice")), stamp(1n, 1, 1n), stamp(1n, 2, 1n), stamp(1n, 3, 1n)]));
bad("STAMP of 19 bytes", "E_MALFORMED", 205, frame(K.CHECK_PASSWORD | A, 205, [status(1), f(T.STAMP, v.hex(stampHex(1n, 1, 1n).slice(2)))]));
bad("STAMP of 21 bytes", "E_MALFORMED", 206, frame(K.CHECK_PASSWORD | A, 206, [status(1), f(T.STAMP, v.hex(stampHex(1n, 1, 1n) + "00"))]));
bad("an empty STAMP", "E_MALFORMED", 207, frame(K.CHECK_PASSWORD | A, 207, [status(1), f(T.STAMP, v.hex(""))]));
bad("STAMP in a GROUPS_FOR_USER answer", "E_MALFORMED", 208, frame(K.GROUPS_FOR_USER | A, 208, [status(1), stamp(1n, 1, 1n)]));
bad("STAMP in a GET_REALM_HASH answer", "E_MALFORMED", 209, frame(K.GET_REALM_HASH | A, 209, [status(1), f(T.HASH, v.text(hashValue)), stamp(1n, 1, 1n)]));
bad("STAMP in a CHECK_PASSWORD request", "E_MALFORMED", 210, frame(K.CHECK_PASSWORD, 210, [...checkBase, stamp(1n, 1, 1n)]));
bad("STAMP in a HELLO answer", "E_MALFORMED", 211, frame(K.HELLO | A, 211, [status(1), stamp(1n, 1, 1n)]));
const sessionGrant = [status(1), f(T.USER, v.text("alice"))];
bad("VALID_FOR without STAMP in a granted CHECK_SESSION answer", "E_MALFORMED", 212, frame(K.CHECK_SESSION | A, 212, [...sessionGrant, validFor(60000)]));
bad("STAMP in a CHECK_SESSION answer without VALID_FOR", "E_MALFORMED", 213, frame(K.CHECK_SESSION | A, 213, [...sessionGrant, stamp(1n, 1, 1n)]));
bad("VALID_FOR of 0 ms", "E_MALFORMED", 214, frame(K.CHECK_SESSION | A, 214, [...sessionGrant, stamp(1n, 1, 1n), validFor(0)]));
bad("VALID_FOR of 3 bytes", "E_MALFORMED", 215, frame(K.CHECK_SESSION | A, 215, [...sessionGrant, stamp(1n, 1, 1n), f(T.VALID_FOR, v.hex("00ea60"))]));
bad("VALID_FOR of 5 bytes", "E_MALFORMED", 216, frame(K.CHECK_SESSION | A, 216, [...sessionGrant, stamp(1n, 1, 1n), f(T.VALID_FOR, v.hex("000000ea60"))]));
bad("two VALID_FOR", "E_MALFORMED", 217, frame(K.CHECK_SESSION | A, 217, [...sessionGrant, stamp(1n, 1, 1n), validFor(60000), validFor(60000)]));
bad("VALID_FOR in a CHECK_PASSWORD answer", "E_MALFORMED", 218, frame(K.CHECK_PASSWORD | A, 218, [status(1), stamp(1n, 1, 1n), validFor(60000)]));
bad("VALID_FOR beside DENIED in a CHECK_SESSION answer", "E_MALFORMED", 219, frame(K.CHECK_SESSION | A, 219, [status(2), validFor(60000)]));
bad("STAMP and VALID_FOR beside DENIED in a CHECK_SESSION answer", "E_MALFORMED", 220, frame(K.CHECK_SESSION | A, 220, [status(2), stamp(1n, 1, 1n), validFor(60000)]));
bad("VALID_FOR in a CHECK_SESSION request", "E_MALFORMED", 221, frame(K.CHECK_SESSION, 221, [...sessionBase, validFor(60000)]));
bad("VALID_FOR in a GROUPS_FOR_USER answer", "E_MALFORMED", 222, frame(K.GROUPS_FOR_USER | A, 222, [status(1), validFor(60000)]));
bad("VERSION in a CHECK_SESSION answer", "E_MALFORMED", 199, frame(K.CHECK_SESSION | A, 199, [status(1), f(T.VERSION, v.u16(6))]));

// Prefixes of valid frames: the decoder must ask for more bytes, never fail.
const short = [
  { name: "no bytes", frame: { hex: "" } },
  { name: "3 bytes of the length prefix", frame: { hex: "000000" } },
  { name: "length prefix only", frame: { hex: "0000000c" } },
  { name: "length prefix and part of the header", frame: { hex: "0000000c0100000000" } },
  { name: "all but the last byte of a HELLO", frame: { hex: "0000000c01000000000001010002" + "00" } },
  { name: "header of a maximum-size frame", frame: { hex: "00010000" + "020000000e0009" } },
];

// Messages both encoders must refuse.
const encodeErrors = [
  { name: "a field of MAX_FIELD_LEN + 1 bytes", error: "E_TOO_LARGE", message: { kind: K.CHECK_PASSWORD, requestId: 1, fields: [...checkBase, f(T.ENV, v.fill("41", 8193))] } },
  { name: "MAX_FIELDS + 1 fields", error: "E_TOO_LARGE", message: { kind: K.CHECK_PASSWORD, requestId: 2, fields: [...checkBase, ...Array.from({ length: 254 }, () => f(T.ENV, v.text("A=B")))] } },
  { name: "a body of MAX_FRAME_LEN + 1 bytes", error: "E_TOO_LARGE", message: { kind: K.CHECK_PASSWORD, requestId: 3, fields: [...checkBase, ...Array.from({ length: 8 }, () => f(T.ENV, v.fill("3d", 8192)))] } },
  { name: "a missing required field", error: "E_MALFORMED", message: { kind: K.CHECK_PASSWORD, requestId: 4, fields: checkBase.slice(0, 2) } },
  { name: "an answer without STATUS", error: "E_MALFORMED", message: { kind: K.HELLO | A, requestId: 0, fields: [f(T.VERSION, v.u16(1))] } },
  { name: "an unknown kind", error: "E_MALFORMED", message: { kind: 0x0a, requestId: 5, fields: [] } },
  { name: "a tag not allowed for the kind", error: "E_MALFORMED", message: { kind: K.HELLO, requestId: 6, fields: [...hello, f(T.PASSWORD, v.text("p"))] } },
  { name: "an unknown tag", error: "E_MALFORMED", message: { kind: K.HELLO, requestId: 7, fields: [...hello, f(42, v.hex(""))] } },
  { name: "a DEFINE_HANDLER of 4 bytes", error: "E_MALFORMED", message: { kind: K.ALLOW_ACCESS, requestId: 9, fields: [f(T.DEFINE_HANDLER, v.u32(1)), hid(1), f(T.HOST, v.text("h"))] } },
  { name: "a HANDLER_ID of 2 bytes", error: "E_MALFORMED", message: { kind: K.ALLOW_ACCESS, requestId: 10, fields: [f(T.HANDLER_ID, v.u16(1)), f(T.HOST, v.text("h"))] } },
  { name: "DEFINE_HANDLER in an answer", error: "E_MALFORMED", message: { kind: K.ALLOW_ACCESS | A, requestId: 11, fields: [status(1), define(1, spec)] } },
  { name: "DEFINE_HANDLER in HELLO", error: "E_MALFORMED", message: { kind: K.HELLO, requestId: 12, fields: [...hello, define(1, spec)] } },
  { name: "a STATUS of 2 bytes", error: "E_MALFORMED", message: { kind: K.HELLO | A, requestId: 8, fields: [f(T.STATUS, v.hex("0001"))] } },
  { name: "THROTTLED without RETRY_AFTER", error: "E_MALFORMED", message: { kind: K.CHECK_PASSWORD | A, requestId: 13, fields: [status(THROTTLED)] } },
  { name: "THROTTLED in a HAS_PERMISSION answer", error: "E_MALFORMED", message: { kind: K.HAS_PERMISSION | A, requestId: 14, fields: [status(THROTTLED)] } },
  { name: "a RETRY_AFTER over 86400", error: "E_MALFORMED", message: { kind: K.CHECK_PASSWORD | A, requestId: 15, fields: [status(THROTTLED), f(T.RETRY_AFTER, v.u32(86401))] } },
  { name: "a GRANTED CHECK_SESSION answer without USER", error: "E_MALFORMED", message: { kind: K.CHECK_SESSION | A, requestId: 17, fields: [status(1), f(T.GROUP, v.text("staff"))] } },
  { name: "USER_FLAGS with an unknown bit", error: "E_MALFORMED", message: { kind: K.CHECK_PASSWORD | A, requestId: 18, fields: [status(1), flags(0x04)] } },
  { name: "USER_FLAGS beside DENIED", error: "E_MALFORMED", message: { kind: K.CHECK_SESSION | A, requestId: 19, fields: [status(2), flags(1)] } },
  { name: "ENV in CHECK_SESSION", error: "E_MALFORMED", message: { kind: K.CHECK_SESSION, requestId: 20, fields: [...sessionBase, f(T.ENV, v.text("A=B"))] } },
  { name: "a STAMP beside DENIED", error: "E_MALFORMED", message: { kind: K.CHECK_PASSWORD | A, requestId: 21, fields: [status(2), stamp(1n, 1, 1n)] } },
  { name: "three STAMPs", error: "E_MALFORMED", message: { kind: K.CHECK_PASSWORD | A, requestId: 22, fields: [status(1), stamp(1n, 1, 1n), stamp(1n, 2, 1n), stamp(1n, 3, 1n)] } },
  { name: "a STAMP of 12 bytes", error: "E_MALFORMED", message: { kind: K.CHECK_PASSWORD | A, requestId: 23, fields: [status(1), f(T.STAMP, v.hex("000000000000000100000001"))] } },
  { name: "a session STAMP without VALID_FOR", error: "E_MALFORMED", message: { kind: K.CHECK_SESSION | A, requestId: 24, fields: [status(1), f(T.USER, v.text("alice")), stamp(1n, 1, 1n)] } },
  { name: "a VALID_FOR of 0 ms", error: "E_MALFORMED", message: { kind: K.CHECK_SESSION | A, requestId: 25, fields: [status(1), f(T.USER, v.text("alice")), stamp(1n, 1, 1n), f(T.VALID_FOR, v.u32(0))] } },
  { name: "a CLIENT_IP of 65 bytes", error: "E_MALFORMED", message: { kind: K.CHECK_PASSWORD, requestId: 16, fields: [...checkBase, f(T.CLIENT_IP, v.fill("61", 65))] } },
];

const out = {
  description:
    "Shared wire-protocol vectors (docs/protocol.md), generated by test/vectors/generate.mjs. A frame or value is {hex} or {parts: [hex | {fill, length}]}; field values may carry text for readers. valid: frames and their messages (decode and encode both ways). malformed: frames both decoders reject with error and requestId. short: prefixes that need more bytes. encodeErrors: messages both encoders refuse.",
  valid,
  malformed,
  short,
  encodeErrors,
};
const target = fileURLToPath(new URL("./protocol.json", import.meta.url));
writeFileSync(target, JSON.stringify(out, null, 1) + "\n");
console.log(`wrote ${target}: ${valid.length} valid, ${malformed.length} malformed, ${short.length} short, ${encodeErrors.length} encode errors`);
