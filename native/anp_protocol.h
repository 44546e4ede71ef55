/*
 * anp_protocol.h: the mod_authnz_node wire protocol, version 6 (docs/protocol.md).
 * The single C copy of the constants in src/protocol/constants.ts; a test checks both agree.
 * The codec (anp_protocol.c) is plain C with no APR, so the Node addon compiles the same source.
 */
#ifndef ANP_PROTOCOL_H
#define ANP_PROTOCOL_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define ANP_PROTOCOL_VERSION 6

#define ANP_HEADER_LEN 7
#define ANP_MAX_FRAME_LEN 65536
#define ANP_MAX_FIELDS 256
#define ANP_MAX_FIELD_LEN 8192
/* Handler ids run 1..ANP_MAX_HANDLER_ID; 0 is never valid. */
#define ANP_MAX_HANDLER_ID 1024

/* Message kinds (requests); an answer's kind is the request's kind | ANP_ANSWER_BIT. */
#define ANP_KIND_HELLO 0x01
#define ANP_KIND_CHECK_PASSWORD 0x02
#define ANP_KIND_GROUPS_FOR_USER 0x03
#define ANP_KIND_HAS_PERMISSION 0x04
#define ANP_KIND_GET_REALM_HASH 0x05
#define ANP_KIND_ALLOW_ACCESS 0x06
/* Not answered: AUTH follows the HELLO answer on a connection; BOOTSTRAP travels only on the bootstrap fd. */
#define ANP_KIND_AUTH 0x07
#define ANP_KIND_BOOTSTRAP 0x08
/* A Django login session: is the session cookie's key a logged-in user, and which one? */
#define ANP_KIND_CHECK_SESSION 0x09
#define ANP_ANSWER_BIT 0x80

/* Field tags */
#define ANP_TAG_VERSION 1
#define ANP_TAG_HANDLER_ID 2
#define ANP_TAG_USER 3
#define ANP_TAG_PASSWORD 4
#define ANP_TAG_REALM 5
#define ANP_TAG_HOST 6
#define ANP_TAG_GROUP 7
#define ANP_TAG_PERMISSION 8
#define ANP_TAG_ENV 9
#define ANP_TAG_TIMEOUT_MS 10
#define ANP_TAG_STATUS 11
#define ANP_TAG_REASON 12
#define ANP_TAG_HASH 13
#define ANP_TAG_GROUP_HANDLER_ID 14
#define ANP_TAG_DEFINE_HANDLER 15
#define ANP_TAG_NONCE 16
#define ANP_TAG_PROOF 17
#define ANP_TAG_GENERATION_KEY 18
#define ANP_TAG_ALLOWED_SPEC 19
#define ANP_TAG_SECRET_FILE 20
/* Who is asking (CHECK_PASSWORD, optional): the lockout policies' keys and what django-axes records. */
#define ANP_TAG_CLIENT_IP 21
#define ANP_TAG_USER_AGENT 22
#define ANP_TAG_HTTP_ACCEPT 23
#define ANP_TAG_PATH_INFO 24
/* u32 seconds, ANP_MIN_RETRY_AFTER..ANP_MAX_RETRY_AFTER: how long a THROTTLED client waits. */
#define ANP_TAG_RETRY_AFTER 25
/* u8, ANP_THROTTLE_SCOPE_ADDRESS or ANP_THROTTLE_SCOPE_USER: what a THROTTLED answer refuses, for the module's memo. */
#define ANP_TAG_THROTTLE_SCOPE 26
/* CHECK_SESSION: the session cookie's value as the module parsed it, 1..ANP_MAX_SESSION_KEY_LEN bytes. */
#define ANP_TAG_SESSION_KEY 27
/* u8, ANP_USER_FLAG_* bits, in GRANTED answers to a CHECK_PASSWORD or CHECK_SESSION that carried WANT_USER_FLAGS. */
#define ANP_TAG_USER_FLAGS 28
/* Empty (0 bytes), CHECK_PASSWORD or CHECK_SESSION: answer USER_FLAGS with a grant. */
#define ANP_TAG_WANT_USER_FLAGS 29
/* ANP_STAMP_LEN bytes (u64 epoch, u32 slot, u64 generation), only beside GRANTED in a CHECK_PASSWORD or
 * CHECK_SESSION answer, at most ANP_MAX_STAMPS: what the grant was read under (docs/protocol.md "Stamps"). */
#define ANP_TAG_STAMP 30
/* u32 milliseconds, at least 1, in a CHECK_SESSION answer with STAMP (and only there, and always there): how long
 * after the request was sent the grant may be kept at most, whatever the stamps say (the session's expiry). */
#define ANP_TAG_VALID_FOR 31

/* Fixed widths of the handshake's values (SipHash-2-4-128 keys and tags, docs/protocol.md). */
#define ANP_NONCE_LEN 16
#define ANP_PROOF_LEN 16
#define ANP_GENERATION_KEY_LEN 16

/* Lengths of the client fields: CLIENT_IP 1..64 bytes, the others 0..1024 (the module cuts longer ones). */
#define ANP_MAX_CLIENT_IP_LEN 64
#define ANP_MAX_CLIENT_TEXT_LEN 1024
#define ANP_MIN_RETRY_AFTER 1
#define ANP_MAX_RETRY_AFTER 86400
/* THROTTLE_SCOPE values: every check from the client's address is refused, whatever the user... */
#define ANP_THROTTLE_SCOPE_ADDRESS 1
/* ...or only this user name from this address. */
#define ANP_THROTTLE_SCOPE_USER 2
#define ANP_MAX_SESSION_KEY_LEN 4096
/* USER_FLAGS bits (Django's is_staff and is_superuser); any other bit set makes the frame malformed. */
#define ANP_USER_FLAG_STAFF 0x01
#define ANP_USER_FLAG_SUPERUSER 0x02
/* A STAMP's value: epoch (u64), slot (u32), generation (u64); a grant carries at most two (a session's and its user's). */
#define ANP_STAMP_LEN 20
#define ANP_MAX_STAMPS 2

/* The admin socket (admin.sock, docs/protocol.md "Admin socket"): the same frames, kinds of their own that
 * the request socket's rule tables do not know (so it refuses them). A STATUS request has no fields; its
 * answer carries the status as JSON, cut into ADMIN_TAG_JSON fields. The module never sends either. */
#define ANP_ADMIN_KIND_STATUS 0x40
#define ANP_ADMIN_TAG_JSON 1
/* A request is header only: anything longer on the admin socket is refused. */
#define ANP_ADMIN_MAX_REQUEST_LEN 64

/* Answer statuses */
#define ANP_STATUS_GRANTED 1
#define ANP_STATUS_DENIED 2
#define ANP_STATUS_USER_NOT_FOUND 3
#define ANP_STATUS_ERROR 4
/* CHECK_PASSWORD answers only, always with RETRY_AFTER: a lockout policy refused the client unchecked. */
#define ANP_STATUS_THROTTLED 5

/* Codec results */
typedef enum {
    ANP_OK = 0,
    ANP_E_SHORT = -1,      /* not enough bytes yet: read more */
    ANP_E_TOO_LARGE = -2,  /* frame, field count or field length over the limits */
    ANP_E_MALFORMED = -3,  /* bad layout, unknown kind or tag, tag not allowed for the kind */
    ANP_E_NOSPACE = -4     /* encoder: output buffer too small */
} anp_result;

typedef struct {
    uint8_t tag;
    uint16_t len;
    const uint8_t *value; /* points into the decoded buffer */
} anp_field;

typedef struct {
    uint8_t kind;
    uint32_t request_id;
    uint16_t field_count;
    anp_field fields[ANP_MAX_FIELDS];
} anp_message;

/* Encoder over a caller-owned buffer. */
typedef struct {
    uint8_t *buf;
    size_t cap;
    size_t len;        /* bytes written so far, including the 4-byte length prefix */
    uint16_t field_count;
    anp_result error;  /* first error, sticky */
} anp_writer;

/* Starts a frame of `kind` with `request_id` in buf[0..cap). */
void anp_writer_init(anp_writer *w, uint8_t *buf, size_t cap, uint8_t kind, uint32_t request_id);
/* Appends a field; errors are sticky and reported by anp_writer_finish. */
void anp_put_field(anp_writer *w, uint8_t tag, const void *value, size_t len);
void anp_put_str(anp_writer *w, uint8_t tag, const char *value); /* strlen(value) bytes */
void anp_put_u8(anp_writer *w, uint8_t tag, uint8_t value);
void anp_put_u16(anp_writer *w, uint8_t tag, uint16_t value);
void anp_put_u32(anp_writer *w, uint8_t tag, uint32_t value);
/* DEFINE_HANDLER: the id (u32) followed by the spec text (strlen(spec) bytes, at least 1). */
void anp_put_define_handler(anp_writer *w, uint32_t id, const char *spec);
/*
 * Writes the length prefix and field count; returns the frame's total size (>0) or an anp_result (<0).
 * The finished frame is checked against the message rules, as anp_decode would, so a missing required
 * field or a tag not allowed for the kind gives ANP_E_MALFORMED here rather than at the other end.
 */
long anp_writer_finish(anp_writer *w);

/*
 * If buf[0..len) starts with a whole frame, returns its total size (prefix included) and, when
 * msg is not NULL, decodes it into *msg (field values point into buf). Returns ANP_E_SHORT when more
 * bytes are needed, or another anp_result (<0) when the frame is bad.
 * Checks the layout first (length prefix, field count, field bounds, trailing bytes), then the message
 * rules (known kind, allowed tags and their counts, fixed widths and lengths, STATUS 1..5 with THROTTLED only
 * in a CHECK_PASSWORD answer that has RETRY_AFTER, RETRY_AFTER 1..86400, HASH as 32 lowercase hex, USER_FLAGS
 * with known bits only and only beside GRANTED, USER in every GRANTED CHECK_SESSION answer, STAMP of
 * ANP_STAMP_LEN bytes, at most ANP_MAX_STAMPS of them and only beside GRANTED, VALID_FOR of 1..2^32-1 ms in a
 * CHECK_SESSION answer exactly when it has STAMP).
 * When msg is not NULL and the frame is bad, msg->kind and msg->request_id hold the frame's header (0 when
 * the length prefix itself was bad) and msg->field_count is 0.
 */
long anp_decode(const uint8_t *buf, size_t len, anp_message *msg);

/*
 * The total size (prefix included) of the frame that buf[0..len) starts with, read from its length
 * prefix alone: ANP_E_SHORT when fewer than 4 bytes are there, ANP_E_MALFORMED or ANP_E_TOO_LARGE when the
 * prefix is impossible (the same first check as anp_decode's). Lets a reader size its buffer before the
 * body has arrived.
 */
long anp_frame_size(const uint8_t *buf, size_t len);

/* Value helpers: return ANP_OK, or ANP_E_MALFORMED when the field's length is wrong. */
anp_result anp_field_u8(const anp_field *f, uint8_t *out);
anp_result anp_field_u16(const anp_field *f, uint16_t *out);
anp_result anp_field_u32(const anp_field *f, uint32_t *out);
/* DEFINE_HANDLER's parts: *id, and the spec text (not NUL-terminated) at *spec, *spec_len bytes. */
anp_result anp_field_define_handler(const anp_field *f, uint32_t *id, const uint8_t **spec, size_t *spec_len);
/* First field with `tag`, or NULL. */
const anp_field *anp_find(const anp_message *msg, uint8_t tag);
/* Whether `tag` may appear in a message of `kind` (requests and answers). */
int anp_tag_allowed(uint8_t kind, uint8_t tag);
/* Zeroes len bytes at p in a way the compiler may not drop: for buffers that held a password. */
void anp_wipe(void *p, size_t len);

#ifdef __cplusplus
}
#endif

#endif
