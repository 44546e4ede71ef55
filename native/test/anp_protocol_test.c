/*
 * anp_protocol_test.c: checks the parts of anp_protocol.c that the addon does not reach (the typed
 * writer helpers, DEFINE_HANDLER, buffer capacity, field readers, anp_find, the length-prefix reader), and
 * the module's verdict on THROTTLED answers and on session and user-flag answers (anp_answer.c).
 * Prints one TAP line per check and exits non-zero when one fails; test/integration/protocol-c.test.ts runs it.
 */
#include "anp_answer.h"
#include "anp_protocol.h"

#include <stdio.h>
#include <string.h>

static int checks;
static int failures;

#define CHECK(cond)                                                              \
    do {                                                                         \
        checks++;                                                                \
        if (cond) {                                                              \
            printf("ok %d - %s\n", checks, #cond);                               \
        } else {                                                                 \
            failures++;                                                          \
            printf("not ok %d - %s (line %d)\n", checks, #cond, __LINE__);       \
        }                                                                        \
    } while (0)

static int same_bytes(const uint8_t *buf, long len, const char *hex)
{
    long i;
    if ((long)strlen(hex) != 2 * len) {
        return 0;
    }
    for (i = 0; i < len; i++) {
        unsigned int byte;
        if (sscanf(hex + 2 * i, "%2x", &byte) != 1 || byte != buf[i]) {
            return 0;
        }
    }
    return 1;
}

static void test_typed_writers(void)
{
    uint8_t buf[128];
    anp_writer w;
    long n;
    anp_message msg;
    const anp_field *f;
    uint8_t u8 = 0;
    uint16_t u16 = 0;
    uint32_t u32 = 0;

    anp_writer_init(&w, buf, sizeof(buf), ANP_KIND_CHECK_PASSWORD, 0x0a0b0c0d);
    anp_put_u32(&w, ANP_TAG_HANDLER_ID, 1);
    anp_put_str(&w, ANP_TAG_USER, "al");
    anp_put_field(&w, ANP_TAG_PASSWORD, "", 0);
    anp_put_u32(&w, ANP_TAG_TIMEOUT_MS, 5000);
    n = anp_writer_finish(&w);
    CHECK(n == 4 + 7 + 7 + 5 + 3 + 7);
    CHECK(same_bytes(buf, n, "0000001d" "02" "0a0b0c0d" "0004" "020004" "00000001" "030002" "616c" "040000"
                             "0a0004" "00001388"));
    CHECK(anp_decode(buf, (size_t)n, NULL) == n);
    CHECK(anp_decode(buf, (size_t)n - 1, NULL) == ANP_E_SHORT);
    CHECK(anp_decode(buf, (size_t)n, &msg) == n);
    CHECK(msg.kind == ANP_KIND_CHECK_PASSWORD && msg.request_id == 0x0a0b0c0d && msg.field_count == 4);
    f = anp_find(&msg, ANP_TAG_USER);
    CHECK(f != NULL && f->len == 2 && memcmp(f->value, "al", 2) == 0);
    CHECK(f == &msg.fields[1]);
    CHECK(anp_find(&msg, ANP_TAG_REALM) == NULL);
    CHECK(anp_field_u32(anp_find(&msg, ANP_TAG_TIMEOUT_MS), &u32) == ANP_OK && u32 == 5000);
    CHECK(anp_field_u16(anp_find(&msg, ANP_TAG_TIMEOUT_MS), &u16) == ANP_E_MALFORMED);
    CHECK(anp_field_u8(anp_find(&msg, ANP_TAG_USER), &u8) == ANP_E_MALFORMED);
    CHECK(anp_field_u32(NULL, &u32) == ANP_E_MALFORMED);

    anp_writer_init(&w, buf, sizeof(buf), ANP_KIND_HELLO | ANP_ANSWER_BIT, 0);
    anp_put_u8(&w, ANP_TAG_STATUS, ANP_STATUS_GRANTED);
    anp_put_u16(&w, ANP_TAG_VERSION, 0x0102);
    n = anp_writer_finish(&w);
    CHECK(same_bytes(buf, n, "00000010" "81" "00000000" "0002" "0b000101" "0100020102"));
    CHECK(anp_decode(buf, (size_t)n, &msg) == n);
    CHECK(anp_field_u8(anp_find(&msg, ANP_TAG_STATUS), &u8) == ANP_OK && u8 == ANP_STATUS_GRANTED);
    CHECK(anp_field_u16(anp_find(&msg, ANP_TAG_VERSION), &u16) == ANP_OK && u16 == 0x0102);
}

static void test_writer_errors(void)
{
    static const uint8_t nonce[ANP_NONCE_LEN] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
    uint8_t buf[64];
    anp_writer w;

    anp_writer_init(&w, buf, 10, ANP_KIND_HELLO, 1);
    anp_put_u16(&w, ANP_TAG_VERSION, 1);
    anp_put_field(&w, ANP_TAG_NONCE, nonce, sizeof(nonce));
    CHECK(anp_writer_finish(&w) == ANP_E_NOSPACE);

    anp_writer_init(&w, buf, 34, ANP_KIND_HELLO, 1);
    anp_put_u16(&w, ANP_TAG_VERSION, 1);
    anp_put_field(&w, ANP_TAG_NONCE, nonce, sizeof(nonce));
    CHECK(anp_writer_finish(&w) == ANP_E_NOSPACE);

    anp_writer_init(&w, buf, 35, ANP_KIND_HELLO, 1);
    anp_put_u16(&w, ANP_TAG_VERSION, 1);
    anp_put_field(&w, ANP_TAG_NONCE, nonce, sizeof(nonce));
    CHECK(anp_writer_finish(&w) == 35);

    /* Version 3's HELLO requires its NONCE. */
    anp_writer_init(&w, buf, sizeof(buf), ANP_KIND_HELLO, 1);
    anp_put_u16(&w, ANP_TAG_VERSION, 1);
    CHECK(anp_writer_finish(&w) == ANP_E_MALFORMED);

    /* Errors are sticky: a later field that would fit does not clear them. */
    anp_writer_init(&w, buf, sizeof(buf), ANP_KIND_CHECK_PASSWORD, 1);
    anp_put_str(&w, ANP_TAG_REALM, NULL);
    anp_put_str(&w, ANP_TAG_USER, "u");
    CHECK(w.error == ANP_E_MALFORMED);
    CHECK(anp_writer_finish(&w) == ANP_E_MALFORMED);

    anp_writer_init(&w, buf, sizeof(buf), ANP_KIND_CHECK_PASSWORD, 1);
    anp_put_field(&w, ANP_TAG_ENV, buf, ANP_MAX_FIELD_LEN + 1);
    CHECK(anp_writer_finish(&w) == ANP_E_TOO_LARGE);

    /* The message rules: a missing PASSWORD, then a STATUS in a request. */
    anp_writer_init(&w, buf, sizeof(buf), ANP_KIND_CHECK_PASSWORD, 1);
    anp_put_u32(&w, ANP_TAG_HANDLER_ID, 1);
    anp_put_str(&w, ANP_TAG_USER, "u");
    CHECK(anp_writer_finish(&w) == ANP_E_MALFORMED);

    /* A HANDLER_ID of the wrong width is malformed, like any fixed-width value. */
    anp_writer_init(&w, buf, sizeof(buf), ANP_KIND_GROUPS_FOR_USER, 1);
    anp_put_u16(&w, ANP_TAG_HANDLER_ID, 1);
    anp_put_str(&w, ANP_TAG_USER, "u");
    CHECK(anp_writer_finish(&w) == ANP_E_MALFORMED);

    anp_writer_init(&w, buf, sizeof(buf), ANP_KIND_HELLO, 1);
    anp_put_u16(&w, ANP_TAG_VERSION, 1);
    anp_put_u8(&w, ANP_TAG_STATUS, 1);
    CHECK(anp_writer_finish(&w) == ANP_E_MALFORMED);
}

static void test_decode_errors_name_the_request(void)
{
    /* HELLO with request id 7 and an unknown tag 26. */
    static const uint8_t frame[] = {0, 0, 0, 15, 1, 0, 0, 0, 7, 0, 2, 1, 0, 2, 0, 2, 26, 0, 0};
    static const uint8_t long_prefix[] = {0, 1, 0, 1, 1, 0, 0, 0, 7};
    anp_message msg;
    CHECK(anp_decode(frame, sizeof(frame), &msg) == ANP_E_MALFORMED);
    CHECK(msg.request_id == 7 && msg.kind == 1 && msg.field_count == 0);
    CHECK(anp_decode(long_prefix, sizeof(long_prefix), &msg) == ANP_E_TOO_LARGE);
    CHECK(msg.request_id == 0);
    CHECK(anp_tag_allowed(ANP_KIND_GET_REALM_HASH | ANP_ANSWER_BIT, ANP_TAG_HASH));
    CHECK(!anp_tag_allowed(ANP_KIND_GET_REALM_HASH, ANP_TAG_HASH));
    CHECK(!anp_tag_allowed(0x07, ANP_TAG_VERSION));
    CHECK(!anp_tag_allowed(ANP_KIND_HELLO, 0));
}

static void test_define_handler(void)
{
    uint8_t buf[128];
    anp_writer w;
    anp_message msg;
    long n;
    uint32_t id = 0;
    const uint8_t *spec = NULL;
    size_t spec_len = 0;

    /* Two definitions in one request (user and group handler both new on this connection). */
    anp_writer_init(&w, buf, sizeof(buf), ANP_KIND_CHECK_PASSWORD, 9);
    anp_put_define_handler(&w, 3, "a");
    anp_put_define_handler(&w, ANP_MAX_HANDLER_ID, "type=x");
    anp_put_u32(&w, ANP_TAG_HANDLER_ID, 3);
    anp_put_u32(&w, ANP_TAG_GROUP_HANDLER_ID, ANP_MAX_HANDLER_ID);
    anp_put_str(&w, ANP_TAG_USER, "u");
    anp_put_str(&w, ANP_TAG_PASSWORD, "p");
    n = anp_writer_finish(&w);
    CHECK(n > 0);
    CHECK(same_bytes(buf, 4 + 7 + 8, "00000032" "02" "00000009" "0006" "0f0005" "00000003" "61"));
    CHECK(anp_decode(buf, (size_t)n, &msg) == n && msg.field_count == 6);
    CHECK(anp_field_define_handler(&msg.fields[0], &id, &spec, &spec_len) == ANP_OK && id == 3 && spec_len == 1
          && spec[0] == 'a');
    CHECK(anp_field_define_handler(&msg.fields[1], &id, &spec, &spec_len) == ANP_OK && id == ANP_MAX_HANDLER_ID
          && spec_len == 6 && memcmp(spec, "type=x", 6) == 0);
    CHECK(anp_field_define_handler(&msg.fields[2], &id, &spec, &spec_len) == ANP_E_MALFORMED);
    CHECK(anp_field_define_handler(NULL, &id, &spec, &spec_len) == ANP_E_MALFORMED);

    /* An empty spec text leaves a 4-byte value, which is malformed; so is a definition in HELLO. */
    anp_writer_init(&w, buf, sizeof(buf), ANP_KIND_GROUPS_FOR_USER, 1);
    anp_put_define_handler(&w, 1, "");
    anp_put_u32(&w, ANP_TAG_HANDLER_ID, 1);
    anp_put_str(&w, ANP_TAG_USER, "u");
    CHECK(anp_writer_finish(&w) == ANP_E_MALFORMED);
    anp_writer_init(&w, buf, sizeof(buf), ANP_KIND_HELLO, 0);
    anp_put_u16(&w, ANP_TAG_VERSION, ANP_PROTOCOL_VERSION);
    anp_put_define_handler(&w, 1, "a");
    CHECK(anp_writer_finish(&w) == ANP_E_MALFORMED);
    anp_writer_init(&w, buf, sizeof(buf), ANP_KIND_GROUPS_FOR_USER, 1);
    anp_put_define_handler(&w, 1, NULL);
    CHECK(w.error == ANP_E_MALFORMED);
    /* Too little room for the whole field. */
    anp_writer_init(&w, buf, 4 + 7 + 3 + 4 + 2, ANP_KIND_GROUPS_FOR_USER, 1);
    anp_put_define_handler(&w, 1, "abc");
    CHECK(w.error == ANP_E_NOSPACE);
}

static void test_frame_size(void)
{
    static const uint8_t short_body[] = {0, 0, 0, 6};
    static const uint8_t huge[] = {0, 1, 0, 1};
    static const uint8_t ok[] = {0, 0, 0, 13};
    uint8_t buf[64];
    anp_writer w;
    anp_message msg;
    long n;

    CHECK(anp_frame_size(ok, 3) == ANP_E_SHORT);
    CHECK(anp_frame_size(ok, 4) == 17);
    CHECK(anp_frame_size(short_body, 4) == ANP_E_MALFORMED);
    CHECK(anp_frame_size(huge, 4) == ANP_E_TOO_LARGE);

    anp_writer_init(&w, buf, sizeof(buf), ANP_KIND_HELLO, 0);
    anp_put_u16(&w, ANP_TAG_VERSION, ANP_PROTOCOL_VERSION);
    anp_put_field(&w, ANP_TAG_NONCE, "0123456789abcdef", ANP_NONCE_LEN);
    n = anp_writer_finish(&w);
    CHECK(anp_frame_size(buf, 4) == n);
    CHECK(anp_decode(buf, (size_t)n, &msg) == n && msg.request_id == 0 && msg.kind == ANP_KIND_HELLO);
    CHECK(same_bytes(buf, n, "0000001f" "01" "00000000" "0002" "010002" "0006" "100010" "30313233343536373839616263646566"));
}

static void test_wipe(void)
{
    uint8_t secret[6] = {'s', '3', 'c', 'r', 'e', 't'};
    uint8_t guard = 0x5a;
    size_t i;
    int zero = 1;
    anp_wipe(secret, 5);
    for (i = 0; i < 5; i++) {
        zero = zero && secret[i] == 0;
    }
    CHECK(zero && secret[5] == 't' && guard == 0x5a);
    anp_wipe(NULL, 0);
    CHECK(1);
}

/* A CHECK_PASSWORD answer (or one of `kind`) with STATUS `status` and, when retry_bytes is not NULL, a RETRY_AFTER. */
static void throttled_answer(anp_message *msg, uint8_t kind, const uint8_t *status, const uint8_t *retry_bytes)
{
    msg->kind = (uint8_t)(kind | ANP_ANSWER_BIT);
    msg->request_id = 5;
    msg->field_count = 1;
    msg->fields[0].tag = ANP_TAG_STATUS;
    msg->fields[0].len = 1;
    msg->fields[0].value = status;
    if (retry_bytes) {
        msg->fields[1].tag = ANP_TAG_RETRY_AFTER;
        msg->fields[1].len = 4;
        msg->fields[1].value = retry_bytes;
        msg->field_count = 2;
    }
}

static void test_throttled_verdict(void)
{
    static const uint8_t throttled = ANP_STATUS_THROTTLED, denied = ANP_STATUS_DENIED;
    static const uint8_t ten[] = {0, 0, 0, 10}, zero[] = {0, 0, 0, 0}, over[] = {0, 1, 0x51, 0x81}; /* 86401 */
    static anp_message msg;
    anp_answer_expect expect = {ANP_KIND_CHECK_PASSWORD, 5, NULL, 0, 0};
    const char *why = NULL;

    throttled_answer(&msg, ANP_KIND_CHECK_PASSWORD, &throttled, ten);
    CHECK(anp_answer_verdict(&msg, &expect, &why) == ANP_VERDICT_THROTTLED && why == NULL);
    CHECK(anp_answer_retry_after(&msg) == 10);
    /* Without RETRY_AFTER, or with one out of range, a throttle is a broken answer. */
    throttled_answer(&msg, ANP_KIND_CHECK_PASSWORD, &throttled, NULL);
    CHECK(anp_answer_verdict(&msg, &expect, &why) == ANP_VERDICT_ERROR && why != NULL);
    throttled_answer(&msg, ANP_KIND_CHECK_PASSWORD, &throttled, zero);
    CHECK(anp_answer_verdict(&msg, &expect, &why) == ANP_VERDICT_ERROR && why != NULL);
    throttled_answer(&msg, ANP_KIND_CHECK_PASSWORD, &throttled, over);
    CHECK(anp_answer_verdict(&msg, &expect, &why) == ANP_VERDICT_ERROR && why != NULL);
    CHECK(anp_answer_retry_after(&msg) == 0);
    /* Only a password check is throttled. */
    expect.kind = ANP_KIND_GROUPS_FOR_USER;
    throttled_answer(&msg, ANP_KIND_GROUPS_FOR_USER, &throttled, ten);
    CHECK(anp_answer_verdict(&msg, &expect, &why) == ANP_VERDICT_ERROR && why != NULL);
    expect.kind = ANP_KIND_GET_REALM_HASH;
    throttled_answer(&msg, ANP_KIND_GET_REALM_HASH, &throttled, ten);
    CHECK(anp_answer_verdict(&msg, &expect, &why) == ANP_VERDICT_ERROR && why != NULL);
    /* A RETRY_AFTER beside another status changes nothing. */
    expect.kind = ANP_KIND_CHECK_PASSWORD;
    throttled_answer(&msg, ANP_KIND_CHECK_PASSWORD, &denied, ten);
    CHECK(anp_answer_verdict(&msg, &expect, &why) == ANP_VERDICT_DENIED && why == NULL);
}

static void test_throttled_codec(void)
{
    uint8_t buf[64];
    anp_writer w;

    anp_writer_init(&w, buf, sizeof(buf), ANP_KIND_CHECK_PASSWORD | ANP_ANSWER_BIT, 1);
    anp_put_u8(&w, ANP_TAG_STATUS, ANP_STATUS_THROTTLED);
    anp_put_u32(&w, ANP_TAG_RETRY_AFTER, ANP_MAX_RETRY_AFTER);
    CHECK(anp_writer_finish(&w) > 0);
    anp_writer_init(&w, buf, sizeof(buf), ANP_KIND_CHECK_PASSWORD | ANP_ANSWER_BIT, 1);
    anp_put_u8(&w, ANP_TAG_STATUS, ANP_STATUS_THROTTLED);
    CHECK(anp_writer_finish(&w) == ANP_E_MALFORMED);
    anp_writer_init(&w, buf, sizeof(buf), ANP_KIND_HAS_PERMISSION | ANP_ANSWER_BIT, 1);
    anp_put_u8(&w, ANP_TAG_STATUS, ANP_STATUS_THROTTLED);
    CHECK(anp_writer_finish(&w) == ANP_E_MALFORMED);
    anp_writer_init(&w, buf, sizeof(buf), ANP_KIND_CHECK_PASSWORD, 1);
    anp_put_u32(&w, ANP_TAG_HANDLER_ID, 1);
    anp_put_str(&w, ANP_TAG_USER, "u");
    anp_put_str(&w, ANP_TAG_PASSWORD, "p");
    anp_put_str(&w, ANP_TAG_CLIENT_IP, "");
    CHECK(anp_writer_finish(&w) == ANP_E_MALFORMED);
}

/* Writes an answer of `kind` with `status`, USER when user is not NULL, USER_FLAGS when flags >= 0; decodes it into *msg. */
static long session_answer(anp_message *msg, uint8_t kind, uint8_t status, const char *user, int flags)
{
    static uint8_t buf[128];
    anp_writer w;
    long len;
    anp_writer_init(&w, buf, sizeof(buf), kind | ANP_ANSWER_BIT, 9);
    anp_put_u8(&w, ANP_TAG_STATUS, status);
    if (user != NULL) {
        anp_put_str(&w, ANP_TAG_USER, user);
    }
    if (flags >= 0) {
        anp_put_u8(&w, ANP_TAG_USER_FLAGS, (uint8_t)flags);
    }
    len = anp_writer_finish(&w);
    return len > 0 ? anp_decode(buf, (size_t)len, msg) : len;
}

static void test_session_verdict(void)
{
    static anp_message msg;
    anp_answer_expect expect = {ANP_KIND_CHECK_SESSION, 9, NULL, 0, 0};
    const char *why = NULL;

    CHECK(session_answer(&msg, ANP_KIND_CHECK_SESSION, ANP_STATUS_GRANTED, "alice", -1) > 0);
    CHECK(anp_answer_verdict(&msg, &expect, &why) == ANP_VERDICT_GRANTED && why == NULL);
    CHECK(session_answer(&msg, ANP_KIND_CHECK_SESSION, ANP_STATUS_DENIED, NULL, -1) > 0);
    CHECK(anp_answer_verdict(&msg, &expect, &why) == ANP_VERDICT_DENIED && why == NULL);
    /* The codec refuses a session grant without USER, and the reader refuses one built by hand. */
    CHECK(session_answer(&msg, ANP_KIND_CHECK_SESSION, ANP_STATUS_GRANTED, NULL, -1) == ANP_E_MALFORMED);
    CHECK(session_answer(&msg, ANP_KIND_CHECK_SESSION, ANP_STATUS_DENIED, "alice", -1) > 0);
    msg.fields[0].value = (const uint8_t *)"\x01";
    msg.field_count = 1;
    CHECK(anp_answer_verdict(&msg, &expect, &why) == ANP_VERDICT_ERROR && why != NULL);
    /* No valid session is DENIED: USER_NOT_FOUND is broken here. */
    CHECK(session_answer(&msg, ANP_KIND_CHECK_SESSION, ANP_STATUS_USER_NOT_FOUND, NULL, -1) > 0);
    CHECK(anp_answer_verdict(&msg, &expect, &why) == ANP_VERDICT_ERROR && why != NULL);
    /* Flags not asked for make a broken answer; asked for, a grant must carry them. */
    CHECK(session_answer(&msg, ANP_KIND_CHECK_SESSION, ANP_STATUS_GRANTED, "alice", 3) > 0);
    CHECK(anp_answer_verdict(&msg, &expect, &why) == ANP_VERDICT_ERROR && why != NULL);
    expect.want_user_flags = 1;
    CHECK(anp_answer_verdict(&msg, &expect, &why) == ANP_VERDICT_GRANTED && anp_answer_user_flags(&msg) == 3);
    CHECK(session_answer(&msg, ANP_KIND_CHECK_SESSION, ANP_STATUS_GRANTED, "alice", -1) > 0);
    CHECK(anp_answer_verdict(&msg, &expect, &why) == ANP_VERDICT_ERROR && anp_answer_user_flags(&msg) == -1);
    expect.kind = ANP_KIND_CHECK_PASSWORD;
    CHECK(session_answer(&msg, ANP_KIND_CHECK_PASSWORD, ANP_STATUS_GRANTED, NULL, ANP_USER_FLAG_STAFF) > 0);
    CHECK(anp_answer_verdict(&msg, &expect, &why) == ANP_VERDICT_GRANTED && anp_answer_user_flags(&msg) == 1);
    /* Unknown bits and flags beside DENIED never leave the writer. */
    CHECK(session_answer(&msg, ANP_KIND_CHECK_PASSWORD, ANP_STATUS_GRANTED, NULL, 4) == ANP_E_MALFORMED);
    CHECK(session_answer(&msg, ANP_KIND_CHECK_SESSION, ANP_STATUS_DENIED, NULL, 0) == ANP_E_MALFORMED);
}

/* STAMP: 20 bytes, big-endian epoch / slot / generation, at most two and only beside GRANTED. */
static void test_stamps(void)
{
    static anp_message msg;
    static const uint8_t one[ANP_STAMP_LEN] = {0, 0, 0, 0, 0, 0, 0, 7, 0, 0, 0x12, 0x34,
                                               0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08};
    static const uint8_t two[ANP_STAMP_LEN] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe, 0, 0, 0, 1,
                                               0, 0, 0, 0, 0, 0, 0, 0};
    anp_generation_stamp out[ANP_MAX_STAMPS + 1];
    uint8_t buf[256];
    anp_writer w;
    long n;

    anp_writer_init(&w, buf, sizeof(buf), ANP_KIND_CHECK_PASSWORD | ANP_ANSWER_BIT, 5);
    anp_put_u8(&w, ANP_TAG_STATUS, ANP_STATUS_GRANTED);
    anp_put_field(&w, ANP_TAG_STAMP, one, sizeof(one));
    anp_put_field(&w, ANP_TAG_STAMP, two, sizeof(two));
    n = anp_writer_finish(&w);
    CHECK(n > 0 && anp_decode(buf, (size_t)n, &msg) == n);
    CHECK(anp_answer_stamps(&msg, out, ANP_MAX_STAMPS + 1) == 2);
    CHECK(out[0].epoch == 7 && out[0].slot == 0x1234 && out[0].generation == UINT64_C(0x0102030405060708));
    CHECK(out[1].epoch == UINT64_C(0xfffffffffffffffe) && out[1].slot == 1 && out[1].generation == 0);
    CHECK(anp_answer_stamps(&msg, out, 1) == 1 && out[0].slot == 0x1234);
    CHECK(anp_answer_stamps(&msg, out, 0) == 0 && anp_answer_stamps(NULL, out, 2) == 0);
    /* A third stamp, a stamp beside DENIED, and one of 19 bytes never leave the writer. */
    anp_writer_init(&w, buf, sizeof(buf), ANP_KIND_CHECK_SESSION | ANP_ANSWER_BIT, 6);
    anp_put_u8(&w, ANP_TAG_STATUS, ANP_STATUS_GRANTED);
    anp_put_str(&w, ANP_TAG_USER, "alice");
    anp_put_field(&w, ANP_TAG_STAMP, one, sizeof(one));
    anp_put_field(&w, ANP_TAG_STAMP, one, sizeof(one));
    anp_put_field(&w, ANP_TAG_STAMP, two, sizeof(two));
    CHECK(anp_writer_finish(&w) == ANP_E_MALFORMED);
    anp_writer_init(&w, buf, sizeof(buf), ANP_KIND_CHECK_PASSWORD | ANP_ANSWER_BIT, 7);
    anp_put_u8(&w, ANP_TAG_STATUS, ANP_STATUS_DENIED);
    anp_put_field(&w, ANP_TAG_STAMP, one, sizeof(one));
    CHECK(anp_writer_finish(&w) == ANP_E_MALFORMED);
    anp_writer_init(&w, buf, sizeof(buf), ANP_KIND_CHECK_PASSWORD | ANP_ANSWER_BIT, 8);
    anp_put_u8(&w, ANP_TAG_STATUS, ANP_STATUS_GRANTED);
    anp_put_field(&w, ANP_TAG_STAMP, one, sizeof(one) - 1);
    CHECK(anp_writer_finish(&w) == ANP_E_MALFORMED);
    CHECK(!anp_tag_allowed(ANP_KIND_GROUPS_FOR_USER | ANP_ANSWER_BIT, ANP_TAG_STAMP));
    CHECK(!anp_tag_allowed(ANP_KIND_CHECK_PASSWORD, ANP_TAG_STAMP));
}

/* VALID_FOR: in a CHECK_SESSION answer exactly when it has STAMP, at least 1 ms; anp_answer_valid_for reads it. */
static void test_valid_for(void)
{
    static anp_message msg;
    static const uint8_t stamp[ANP_STAMP_LEN] = {0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 17, 0, 0, 0, 0, 0, 0, 0, 1};
    uint8_t buf[256];
    anp_writer w;
    long n;

    anp_writer_init(&w, buf, sizeof(buf), ANP_KIND_CHECK_SESSION | ANP_ANSWER_BIT, 9);
    anp_put_u8(&w, ANP_TAG_STATUS, ANP_STATUS_GRANTED);
    anp_put_str(&w, ANP_TAG_USER, "alice");
    anp_put_field(&w, ANP_TAG_STAMP, stamp, sizeof(stamp));
    anp_put_u32(&w, ANP_TAG_VALID_FOR, 60000);
    n = anp_writer_finish(&w);
    CHECK(n > 0 && anp_decode(buf, (size_t)n, &msg) == n && anp_answer_valid_for(&msg) == 60000);
    CHECK(anp_answer_valid_for(NULL) == 0);
    /* Stamps without VALID_FOR, VALID_FOR without stamps, VALID_FOR of 0, and VALID_FOR in a password answer. */
    anp_writer_init(&w, buf, sizeof(buf), ANP_KIND_CHECK_SESSION | ANP_ANSWER_BIT, 10);
    anp_put_u8(&w, ANP_TAG_STATUS, ANP_STATUS_GRANTED);
    anp_put_str(&w, ANP_TAG_USER, "alice");
    anp_put_field(&w, ANP_TAG_STAMP, stamp, sizeof(stamp));
    CHECK(anp_writer_finish(&w) == ANP_E_MALFORMED);
    anp_writer_init(&w, buf, sizeof(buf), ANP_KIND_CHECK_SESSION | ANP_ANSWER_BIT, 11);
    anp_put_u8(&w, ANP_TAG_STATUS, ANP_STATUS_GRANTED);
    anp_put_str(&w, ANP_TAG_USER, "alice");
    anp_put_u32(&w, ANP_TAG_VALID_FOR, 60000);
    CHECK(anp_writer_finish(&w) == ANP_E_MALFORMED);
    anp_writer_init(&w, buf, sizeof(buf), ANP_KIND_CHECK_SESSION | ANP_ANSWER_BIT, 12);
    anp_put_u8(&w, ANP_TAG_STATUS, ANP_STATUS_GRANTED);
    anp_put_str(&w, ANP_TAG_USER, "alice");
    anp_put_field(&w, ANP_TAG_STAMP, stamp, sizeof(stamp));
    anp_put_u32(&w, ANP_TAG_VALID_FOR, 0);
    CHECK(anp_writer_finish(&w) == ANP_E_MALFORMED);
    anp_writer_init(&w, buf, sizeof(buf), ANP_KIND_CHECK_PASSWORD | ANP_ANSWER_BIT, 13);
    anp_put_u8(&w, ANP_TAG_STATUS, ANP_STATUS_GRANTED);
    anp_put_field(&w, ANP_TAG_STAMP, stamp, sizeof(stamp));
    anp_put_u32(&w, ANP_TAG_VALID_FOR, 60000);
    CHECK(anp_writer_finish(&w) == ANP_E_MALFORMED);
}

int main(void)
{
    test_wipe();
    test_typed_writers();
    test_writer_errors();
    test_decode_errors_name_the_request();
    test_define_handler();
    test_frame_size();
    test_throttled_verdict();
    test_throttled_codec();
    test_valid_for();
    test_session_verdict();
    test_stamps();
    printf("1..%d\n", checks);
    return failures == 0 ? 0 : 1;
}
