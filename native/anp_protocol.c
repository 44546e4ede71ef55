/*
 * anp_protocol.c: encoder and decoder of the mod_authnz_node wire protocol (docs/protocol.md).
 *
 * Plain C99 over caller-owned buffers: no APR, no allocation, so the Apache module and the Node addon
 * (which lets test/unit/protocol-vectors.test.ts hold this file to the TypeScript codec) build the same
 * source. A frame is checked in two steps, in the same order as src/protocol/codec.ts: its layout
 * (length prefix, field count, field bounds, trailing bytes), then the message rules (known kind, tags
 * allowed for the kind and how often, fixed-width values and length limits, STATUS 1..5, RETRY_AFTER 1..86400,
 * THROTTLE_SCOPE 1..2, HASH of 32 lowercase hex digits, SESSION_KEY 1..4096 bytes, USER_FLAGS of known bits,
 * an empty WANT_USER_FLAGS, then THROTTLED only in a CHECK_PASSWORD answer that carries RETRY_AFTER, USER in
 * every GRANTED CHECK_SESSION answer, USER_FLAGS only beside GRANTED, STAMP of 20 bytes, at most
 * ANP_MAX_STAMPS and only beside GRANTED, and VALID_FOR of 1..2^32-1 ms in a CHECK_SESSION answer exactly
 * when it has STAMP).
 */
#include "anp_protocol.h"

#include <string.h>

#define ANP_PREFIX_LEN 4
#define ANP_FIELD_HEADER_LEN 3
#define ANP_HASH_LEN 32
#define ANP_TAG_MAX ANP_TAG_VALID_FOR
/* DEFINE_HANDLER: a u32 id and at least one byte of spec text. */
#define ANP_DEFINE_HANDLER_MIN_LEN 5

/* How often a tag may appear in a kind (the tables of docs/protocol.md). */
enum {
    NO = 0,  /* not allowed */
    R1 = 1,  /* required, exactly once */
    O1 = 2,  /* optional, at most once */
    ANY = 3, /* any number */
    P1 = 4   /* one or more */
};

/*
 * Rows: requests 0x01..0x09, then answers 0x81..0x86 and 0x89 (AUTH and BOOTSTRAP are never answered).
 * Columns: tags 1..ANP_TAG_MAX.
 */
#define ANP_KIND_COUNT 9
#define ANP_ANSWERED_KIND_COUNT 7
static const unsigned char anp_rules[ANP_KIND_COUNT + ANP_ANSWERED_KIND_COUNT][ANP_TAG_MAX] = {
    /*            VER HID USR PWD RLM HST GRP  PRM  ENV  TMO STA RSN HSH GHI DEF  NON PRF KEY SPC  SEC  CIP UAG ACC PTH RTA SCP SKY UFL WUF STP VLD */
    /* HELLO */  {R1, NO, NO, NO, NO, NO, NO,  NO,  NO,  NO, NO, NO, NO, NO, NO,  R1, NO, NO, NO,  NO,  NO, NO, NO, NO, NO, NO, NO, NO, NO, NO, NO},
    /* CHECK */  {NO, R1, R1, R1, NO, NO, ANY, ANY, ANY, O1, NO, NO, NO, O1, ANY, NO, NO, NO, NO,  NO,  O1, O1, O1, O1, NO, NO, NO, NO, O1, NO, NO},
    /* GROUPS */ {NO, R1, R1, NO, NO, NO, ANY, NO,  ANY, O1, NO, NO, NO, NO, ANY, NO, NO, NO, NO,  NO,  NO, NO, NO, NO, NO, NO, NO, NO, NO, NO, NO},
    /* PERM */   {NO, R1, R1, NO, NO, NO, NO,  P1,  ANY, O1, NO, NO, NO, NO, ANY, NO, NO, NO, NO,  NO,  NO, NO, NO, NO, NO, NO, NO, NO, NO, NO, NO},
    /* REALM */  {NO, R1, R1, NO, R1, NO, NO,  NO,  ANY, O1, NO, NO, NO, NO, ANY, NO, NO, NO, NO,  NO,  NO, NO, NO, NO, NO, NO, NO, NO, NO, NO, NO},
    /* ACCESS */ {NO, R1, NO, NO, NO, R1, NO,  NO,  ANY, O1, NO, NO, NO, NO, ANY, NO, NO, NO, NO,  NO,  NO, NO, NO, NO, NO, NO, NO, NO, NO, NO, NO},
    /* AUTH */   {NO, NO, NO, NO, NO, NO, NO,  NO,  NO,  NO, NO, NO, NO, NO, NO,  NO, R1, NO, NO,  NO,  NO, NO, NO, NO, NO, NO, NO, NO, NO, NO, NO},
    /* BOOT */   {NO, NO, NO, NO, NO, NO, NO,  NO,  NO,  NO, NO, NO, NO, NO, NO,  NO, NO, R1, ANY, ANY, NO, NO, NO, NO, NO, NO, NO, NO, NO, NO, NO},
    /* SESSION */{NO, R1, NO, NO, NO, NO, ANY, ANY, NO,  O1, NO, NO, NO, O1, ANY, NO, NO, NO, NO,  NO,  NO, NO, NO, NO, NO, NO, R1, NO, O1, NO, NO},
    /* answers */
    /* HELLO */  {O1, NO, NO, NO, NO, NO, NO,  NO,  NO,  NO, R1, O1, NO, NO, NO,  O1, O1, NO, NO,  NO,  NO, NO, NO, NO, NO, NO, NO, NO, NO, NO, NO},
    /* CHECK */  {NO, NO, O1, NO, NO, NO, ANY, ANY, NO,  NO, R1, O1, NO, NO, NO,  NO, NO, NO, NO,  NO,  NO, NO, NO, NO, O1, O1, NO, O1, NO, ANY, NO},
    /* GROUPS */ {NO, NO, NO, NO, NO, NO, ANY, NO,  NO,  NO, R1, O1, NO, NO, NO,  NO, NO, NO, NO,  NO,  NO, NO, NO, NO, NO, NO, NO, NO, NO, NO, NO},
    /* PERM */   {NO, NO, NO, NO, NO, NO, NO,  NO,  NO,  NO, R1, O1, NO, NO, NO,  NO, NO, NO, NO,  NO,  NO, NO, NO, NO, NO, NO, NO, NO, NO, NO, NO},
    /* REALM */  {NO, NO, NO, NO, NO, NO, NO,  NO,  NO,  NO, R1, O1, O1, NO, NO,  NO, NO, NO, NO,  NO,  NO, NO, NO, NO, NO, NO, NO, NO, NO, NO, NO},
    /* ACCESS */ {NO, NO, NO, NO, NO, NO, NO,  NO,  NO,  NO, R1, O1, NO, NO, NO,  NO, NO, NO, NO,  NO,  NO, NO, NO, NO, NO, NO, NO, NO, NO, NO, NO},
    /* SESSION */{NO, NO, O1, NO, NO, NO, ANY, ANY, NO,  NO, R1, O1, NO, NO, NO,  NO, NO, NO, NO,  NO,  NO, NO, NO, NO, NO, NO, NO, O1, NO, ANY, O1},
};

/* The rules row of `kind`, or NULL for an unknown kind (and for answers to AUTH and BOOTSTRAP). */
static const unsigned char *anp_kind_rules(uint8_t kind)
{
    unsigned int base = kind & 0x7f;
    if ((kind & ANP_ANSWER_BIT) == 0) {
        if (base < ANP_KIND_HELLO || base > ANP_KIND_CHECK_SESSION) {
            return NULL;
        }
        return anp_rules[base - ANP_KIND_HELLO];
    }
    if (base == ANP_KIND_CHECK_SESSION) {
        return anp_rules[ANP_KIND_COUNT + ANP_ANSWERED_KIND_COUNT - 1];
    }
    if (base < ANP_KIND_HELLO || base > ANP_KIND_ALLOW_ACCESS) {
        return NULL;
    }
    return anp_rules[ANP_KIND_COUNT + (base - ANP_KIND_HELLO)];
}

int anp_tag_allowed(uint8_t kind, uint8_t tag)
{
    const unsigned char *rules = anp_kind_rules(kind);
    if (rules == NULL || tag < 1 || tag > ANP_TAG_MAX) {
        return 0;
    }
    return rules[tag - 1] != NO;
}

static uint16_t anp_get16(const uint8_t *p)
{
    return (uint16_t)(((unsigned)p[0] << 8) | p[1]);
}

static uint32_t anp_get32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | (uint32_t)p[3];
}

static void anp_set16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void anp_set32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static int anp_is_lower_hex(const uint8_t *p, size_t len)
{
    size_t i;
    for (i = 0; i < len; i++) {
        if (!((p[i] >= '0' && p[i] <= '9') || (p[i] >= 'a' && p[i] <= 'f'))) {
            return 0;
        }
    }
    return 1;
}

/* Checks one field's value against its tag's fixed width and content rules. */
static anp_result anp_check_value(uint8_t tag, const uint8_t *value, uint16_t len)
{
    switch (tag) {
    case ANP_TAG_VERSION:
        return len == 2 ? ANP_OK : ANP_E_MALFORMED;
    case ANP_TAG_HANDLER_ID:
    case ANP_TAG_GROUP_HANDLER_ID:
    case ANP_TAG_TIMEOUT_MS:
        return len == 4 ? ANP_OK : ANP_E_MALFORMED;
    case ANP_TAG_DEFINE_HANDLER:
        return len >= ANP_DEFINE_HANDLER_MIN_LEN ? ANP_OK : ANP_E_MALFORMED;
    case ANP_TAG_NONCE:
        return len == ANP_NONCE_LEN ? ANP_OK : ANP_E_MALFORMED;
    case ANP_TAG_PROOF:
        return len == ANP_PROOF_LEN ? ANP_OK : ANP_E_MALFORMED;
    case ANP_TAG_GENERATION_KEY:
        return len == ANP_GENERATION_KEY_LEN ? ANP_OK : ANP_E_MALFORMED;
    case ANP_TAG_ALLOWED_SPEC:
        return len >= 1 ? ANP_OK : ANP_E_MALFORMED;
    case ANP_TAG_SECRET_FILE:
        /* An absolute path, a NUL, then the file's content. */
        return (len >= 2 && value[0] == '/' && memchr(value, 0, len) != NULL) ? ANP_OK : ANP_E_MALFORMED;
    case ANP_TAG_CLIENT_IP:
        return (len >= 1 && len <= ANP_MAX_CLIENT_IP_LEN) ? ANP_OK : ANP_E_MALFORMED;
    case ANP_TAG_USER_AGENT:
    case ANP_TAG_HTTP_ACCEPT:
    case ANP_TAG_PATH_INFO:
        return len <= ANP_MAX_CLIENT_TEXT_LEN ? ANP_OK : ANP_E_MALFORMED;
    case ANP_TAG_RETRY_AFTER:
        if (len != 4 || anp_get32(value) < ANP_MIN_RETRY_AFTER || anp_get32(value) > ANP_MAX_RETRY_AFTER) {
            return ANP_E_MALFORMED;
        }
        return ANP_OK;
    case ANP_TAG_THROTTLE_SCOPE:
        return (len == 1 && (value[0] == ANP_THROTTLE_SCOPE_ADDRESS || value[0] == ANP_THROTTLE_SCOPE_USER))
                   ? ANP_OK : ANP_E_MALFORMED;
    case ANP_TAG_SESSION_KEY:
        return (len >= 1 && len <= ANP_MAX_SESSION_KEY_LEN) ? ANP_OK : ANP_E_MALFORMED;
    case ANP_TAG_USER_FLAGS:
        return (len == 1 && (value[0] & ~(ANP_USER_FLAG_STAFF | ANP_USER_FLAG_SUPERUSER)) == 0) ? ANP_OK : ANP_E_MALFORMED;
    case ANP_TAG_WANT_USER_FLAGS:
        return len == 0 ? ANP_OK : ANP_E_MALFORMED;
    case ANP_TAG_STAMP:
        return len == ANP_STAMP_LEN ? ANP_OK : ANP_E_MALFORMED;
    case ANP_TAG_VALID_FOR:
        return (len == 4 && anp_get32(value) >= 1) ? ANP_OK : ANP_E_MALFORMED;
    case ANP_TAG_STATUS:
        if (len != 1 || value[0] < ANP_STATUS_GRANTED || value[0] > ANP_STATUS_THROTTLED) {
            return ANP_E_MALFORMED;
        }
        return ANP_OK;
    case ANP_TAG_HASH:
        return (len == ANP_HASH_LEN && anp_is_lower_hex(value, len)) ? ANP_OK : ANP_E_MALFORMED;
    default:
        return ANP_OK;
    }
}

/*
 * The message rules over a body whose layout is already known to be sound: `count` fields starting
 * at body + ANP_HEADER_LEN.
 */
static anp_result anp_check_rules(uint8_t kind, const uint8_t *body, uint16_t count)
{
    const unsigned char *rules = anp_kind_rules(kind);
    unsigned int seen[ANP_TAG_MAX];
    const uint8_t *p = body + ANP_HEADER_LEN;
    uint8_t status = 0;
    unsigned int i;

    if (rules == NULL) {
        return ANP_E_MALFORMED;
    }
    memset(seen, 0, sizeof(seen));
    for (i = 0; i < count; i++) {
        uint8_t tag = p[0];
        uint16_t len = anp_get16(p + 1);
        unsigned char rule;
        if (tag < 1 || tag > ANP_TAG_MAX) {
            return ANP_E_MALFORMED;
        }
        rule = rules[tag - 1];
        if (rule == NO) {
            return ANP_E_MALFORMED;
        }
        if (++seen[tag - 1] > 1 && (rule == R1 || rule == O1)) {
            return ANP_E_MALFORMED;
        }
        if (anp_check_value(tag, p + ANP_FIELD_HEADER_LEN, len) != ANP_OK) {
            return ANP_E_MALFORMED;
        }
        if (tag == ANP_TAG_STATUS) {
            status = p[ANP_FIELD_HEADER_LEN];
        }
        p += ANP_FIELD_HEADER_LEN + len;
    }
    for (i = 0; i < ANP_TAG_MAX; i++) {
        if ((rules[i] == R1 || rules[i] == P1) && seen[i] == 0) {
            return ANP_E_MALFORMED;
        }
    }
    /* THROTTLED means "wait RETRY_AFTER seconds" and only a password check can be throttled. */
    if (status == ANP_STATUS_THROTTLED
        && (kind != (ANP_KIND_CHECK_PASSWORD | ANP_ANSWER_BIT) || seen[ANP_TAG_RETRY_AFTER - 1] == 0)) {
        return ANP_E_MALFORMED;
    }
    /* A session grant names its user (it becomes r->user); the user's flags only ever ride on a grant. */
    if (status == ANP_STATUS_GRANTED && kind == (ANP_KIND_CHECK_SESSION | ANP_ANSWER_BIT) && seen[ANP_TAG_USER - 1] == 0) {
        return ANP_E_MALFORMED;
    }
    if (seen[ANP_TAG_USER_FLAGS - 1] != 0 && status != ANP_STATUS_GRANTED) {
        return ANP_E_MALFORMED;
    }
    /* A stamp says when a grant stops being current: it means nothing on a refusal, and a grant has two reads at most. */
    if (seen[ANP_TAG_STAMP - 1] != 0 && (status != ANP_STATUS_GRANTED || seen[ANP_TAG_STAMP - 1] > ANP_MAX_STAMPS)) {
        return ANP_E_MALFORMED;
    }
    /* A session runs out with no change to report: its stamps come with how long they may be kept, and only with them. */
    if (kind == (ANP_KIND_CHECK_SESSION | ANP_ANSWER_BIT)
        && (seen[ANP_TAG_STAMP - 1] != 0) != (seen[ANP_TAG_VALID_FOR - 1] != 0)) {
        return ANP_E_MALFORMED;
    }
    return ANP_OK;
}

long anp_frame_size(const uint8_t *buf, size_t len)
{
    uint32_t body_len;
    if (len < ANP_PREFIX_LEN) {
        return ANP_E_SHORT;
    }
    body_len = anp_get32(buf);
    if (body_len < ANP_HEADER_LEN) {
        return ANP_E_MALFORMED;
    }
    if (body_len > ANP_MAX_FRAME_LEN) {
        return ANP_E_TOO_LARGE;
    }
    return (long)(ANP_PREFIX_LEN + body_len);
}

long anp_decode(const uint8_t *buf, size_t len, anp_message *msg)
{
    uint32_t body_len;
    const uint8_t *body;
    uint8_t kind;
    uint32_t request_id;
    uint16_t count;
    size_t at;
    unsigned int i;
    anp_result rv;
    long rc;

    if (msg != NULL) {
        msg->kind = 0;
        msg->request_id = 0;
        msg->field_count = 0;
    }
    rc = anp_frame_size(buf, len);
    if (rc < 0) {
        return rc;
    }
    body_len = (uint32_t)(rc - ANP_PREFIX_LEN);
    if (len - ANP_PREFIX_LEN < body_len) {
        return ANP_E_SHORT;
    }
    body = buf + ANP_PREFIX_LEN;
    kind = body[0];
    request_id = anp_get32(body + 1);
    count = anp_get16(body + 5);
    if (msg != NULL) {
        /* Set before any later error, so a caller can name the bad frame's request. */
        msg->kind = kind;
        msg->request_id = request_id;
    }
    if (count > ANP_MAX_FIELDS) {
        return ANP_E_TOO_LARGE;
    }
    at = ANP_HEADER_LEN;
    for (i = 0; i < count; i++) {
        uint16_t flen;
        if (body_len - at < ANP_FIELD_HEADER_LEN) {
            return ANP_E_MALFORMED;
        }
        flen = anp_get16(body + at + 1);
        if (flen > ANP_MAX_FIELD_LEN) {
            return ANP_E_TOO_LARGE;
        }
        if (body_len - at - ANP_FIELD_HEADER_LEN < flen) {
            return ANP_E_MALFORMED;
        }
        at += ANP_FIELD_HEADER_LEN + flen;
    }
    if (at != body_len) {
        return ANP_E_MALFORMED;
    }
    rv = anp_check_rules(kind, body, count);
    if (rv != ANP_OK) {
        return rv;
    }
    if (msg != NULL) {
        const uint8_t *p = body + ANP_HEADER_LEN;
        for (i = 0; i < count; i++) {
            msg->fields[i].tag = p[0];
            msg->fields[i].len = anp_get16(p + 1);
            msg->fields[i].value = p + ANP_FIELD_HEADER_LEN;
            p += ANP_FIELD_HEADER_LEN + msg->fields[i].len;
        }
        msg->field_count = count;
    }
    return (long)(ANP_PREFIX_LEN + body_len);
}

void anp_writer_init(anp_writer *w, uint8_t *buf, size_t cap, uint8_t kind, uint32_t request_id)
{
    w->buf = buf;
    w->cap = cap;
    w->field_count = 0;
    w->error = ANP_OK;
    w->len = ANP_PREFIX_LEN + ANP_HEADER_LEN;
    if (buf == NULL || cap < w->len) {
        w->error = ANP_E_NOSPACE;
        return;
    }
    buf[ANP_PREFIX_LEN] = kind;
    anp_set32(buf + ANP_PREFIX_LEN + 1, request_id);
}

void anp_put_field(anp_writer *w, uint8_t tag, const void *value, size_t len)
{
    if (w->error != ANP_OK) {
        return;
    }
    if (value == NULL && len > 0) {
        w->error = ANP_E_MALFORMED;
        return;
    }
    if (w->field_count >= ANP_MAX_FIELDS || len > ANP_MAX_FIELD_LEN
        || w->len - ANP_PREFIX_LEN + ANP_FIELD_HEADER_LEN + len > ANP_MAX_FRAME_LEN) {
        w->error = ANP_E_TOO_LARGE;
        return;
    }
    if (w->cap - w->len < ANP_FIELD_HEADER_LEN + len) {
        w->error = ANP_E_NOSPACE;
        return;
    }
    w->buf[w->len] = tag;
    anp_set16(w->buf + w->len + 1, (uint16_t)len);
    if (len > 0) {
        memcpy(w->buf + w->len + ANP_FIELD_HEADER_LEN, value, len);
    }
    w->len += ANP_FIELD_HEADER_LEN + len;
    w->field_count++;
}

void anp_put_str(anp_writer *w, uint8_t tag, const char *value)
{
    if (value == NULL) {
        if (w->error == ANP_OK) {
            w->error = ANP_E_MALFORMED;
        }
        return;
    }
    anp_put_field(w, tag, value, strlen(value));
}

void anp_put_u8(anp_writer *w, uint8_t tag, uint8_t value)
{
    anp_put_field(w, tag, &value, 1);
}

void anp_put_u16(anp_writer *w, uint8_t tag, uint16_t value)
{
    uint8_t b[2];
    anp_set16(b, value);
    anp_put_field(w, tag, b, sizeof(b));
}

void anp_put_u32(anp_writer *w, uint8_t tag, uint32_t value)
{
    uint8_t b[4];
    anp_set32(b, value);
    anp_put_field(w, tag, b, sizeof(b));
}

void anp_put_define_handler(anp_writer *w, uint32_t id, const char *spec)
{
    uint8_t b[4];
    size_t len;
    if (spec == NULL) {
        if (w->error == ANP_OK) {
            w->error = ANP_E_MALFORMED;
        }
        return;
    }
    len = strlen(spec);
    if (w->error != ANP_OK) {
        return;
    }
    /* Checked as anp_put_field checks, for the field as a whole: id and text in one value. */
    if (w->field_count >= ANP_MAX_FIELDS || len > ANP_MAX_FIELD_LEN - sizeof(b)
        || w->len - ANP_PREFIX_LEN + ANP_FIELD_HEADER_LEN + sizeof(b) + len > ANP_MAX_FRAME_LEN) {
        w->error = ANP_E_TOO_LARGE;
        return;
    }
    if (w->cap - w->len < ANP_FIELD_HEADER_LEN + sizeof(b) + len) {
        w->error = ANP_E_NOSPACE;
        return;
    }
    anp_set32(b, id);
    w->buf[w->len] = ANP_TAG_DEFINE_HANDLER;
    anp_set16(w->buf + w->len + 1, (uint16_t)(sizeof(b) + len));
    memcpy(w->buf + w->len + ANP_FIELD_HEADER_LEN, b, sizeof(b));
    if (len > 0) {
        memcpy(w->buf + w->len + ANP_FIELD_HEADER_LEN + sizeof(b), spec, len);
    }
    w->len += ANP_FIELD_HEADER_LEN + sizeof(b) + len;
    w->field_count++;
}

long anp_writer_finish(anp_writer *w)
{
    long rv;
    if (w->error != ANP_OK) {
        return w->error;
    }
    anp_set32(w->buf, (uint32_t)(w->len - ANP_PREFIX_LEN));
    anp_set16(w->buf + ANP_PREFIX_LEN + 5, w->field_count);
    /* Never hand out a frame the other side must reject (a missing STATUS, a tag in the wrong kind). */
    rv = anp_decode(w->buf, w->len, NULL);
    if (rv < 0) {
        w->error = (anp_result)rv;
        return rv;
    }
    return (long)w->len;
}

anp_result anp_field_u8(const anp_field *f, uint8_t *out)
{
    if (f == NULL || f->len != 1) {
        return ANP_E_MALFORMED;
    }
    *out = f->value[0];
    return ANP_OK;
}

anp_result anp_field_u16(const anp_field *f, uint16_t *out)
{
    if (f == NULL || f->len != 2) {
        return ANP_E_MALFORMED;
    }
    *out = anp_get16(f->value);
    return ANP_OK;
}

anp_result anp_field_u32(const anp_field *f, uint32_t *out)
{
    if (f == NULL || f->len != 4) {
        return ANP_E_MALFORMED;
    }
    *out = anp_get32(f->value);
    return ANP_OK;
}

anp_result anp_field_define_handler(const anp_field *f, uint32_t *id, const uint8_t **spec, size_t *spec_len)
{
    if (f == NULL || f->tag != ANP_TAG_DEFINE_HANDLER || f->len < ANP_DEFINE_HANDLER_MIN_LEN) {
        return ANP_E_MALFORMED;
    }
    *id = anp_get32(f->value);
    *spec = f->value + 4;
    *spec_len = (size_t)f->len - 4;
    return ANP_OK;
}

const anp_field *anp_find(const anp_message *msg, uint8_t tag)
{
    unsigned int i;
    for (i = 0; i < msg->field_count; i++) {
        if (msg->fields[i].tag == tag) {
            return &msg->fields[i];
        }
    }
    return NULL;
}

void anp_wipe(void *p, size_t len)
{
    /* Writes through a volatile pointer, so the stores survive even when the buffer is freed next. */
    volatile uint8_t *v = (volatile uint8_t *)p;
    while (len-- > 0) {
        *v++ = 0;
    }
}
