/*
 * anp_answer_fuzz_target.c: a libFuzzer target for the module's answer reader (native/anp_answer.c: the
 * framing and the verdict) and the fold rules that use a granted answer (native/anp_fold.c), built by
 * `npm run fuzz` (scripts/fuzz.sh) with clang -fsanitize=fuzzer,address,undefined.
 *
 * Input: byte 0 picks the request kind, byte 1 seeds how the bytes arrive (recv() returns them in
 * chunks), byte 2 picks which permissions were asked (bits 0..3) and whether the request carried
 * WANT_USER_FLAGS (bit 4), bytes 3..6 are the request id; the rest is what
 * the worker sent. Each prefix the reader looks at is copied into a heap block of exactly its size, so
 * AddressSanitizer stops on a read past what has arrived. The invariant that matters: nothing but the
 * whole, well-formed answer to this very request, with STATUS GRANTED, is a grant; THROTTLED only answers a
 * password check and always carries a RETRY_AFTER in range; a session grant always names its user; user
 * flags are only ever read when they were asked for, and a grant to such a request always has them.
 */
#include "anp_answer.h"
#include "anp_fold.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REQUIRE(cond)                                                                                  \
    do {                                                                                              \
        if (!(cond)) {                                                                                \
            fprintf(stderr, "anp_answer_fuzz_target: broken invariant: %s (line %d)\n", #cond, __LINE__); \
            abort();                                                                                  \
        }                                                                                             \
    } while (0)

#define CONTROL_LEN 7

static const uint8_t kinds[] = {ANP_KIND_CHECK_PASSWORD, ANP_KIND_GROUPS_FOR_USER, ANP_KIND_HAS_PERMISSION,
                                ANP_KIND_GET_REALM_HASH, ANP_KIND_ALLOW_ACCESS, ANP_KIND_HELLO, ANP_KIND_AUTH,
                                ANP_KIND_CHECK_SESSION};
static const char *const permission_names[] = {"blog.add_post", "blog.change_post", "auth.view_user", "x"};
static const char *const wanted_groups[] = {"Editors", "staff"};

/* The stream's first `have` bytes in a block of exactly that size (the caller frees it). */
static uint8_t *arrived(const uint8_t *stream, size_t have)
{
    uint8_t *copy = malloc(have > 0 ? have : 1);
    REQUIRE(copy != NULL);
    if (have > 0) {
        memcpy(copy, stream, have);
    }
    return copy;
}

/*
 * Reads as native/mod/conn.c does: more bytes until the reader has a whole frame or refuses. Returns the
 * framing result and leaves the bytes it decided on in *frame (NULL when it never decided).
 */
static long read_answer(const uint8_t *stream, size_t len, unsigned int seed, uint8_t **frame, size_t *have)
{
    long result = ANP_E_SHORT;
    *frame = NULL;
    *have = 0;
    while (result == ANP_E_SHORT && *have < len) {
        size_t chunk = 1 + (*have / 2) + (seed = seed * 1103515245u + 12345u) % 64;
        *have = *have + chunk < len ? *have + chunk : len;
        free(*frame);
        *frame = arrived(stream, *have);
        result = anp_answer_framed(*frame, *have, NULL);
    }
    return result;
}

static int field_equals(const anp_field *f, const char *name)
{
    return strlen(name) == f->len && memcmp(name, f->value, f->len) == 0;
}

/* What any verdict other than ERROR requires, checked without anp_answer.c's code. */
static void check_not_error(const anp_message *msg, const anp_answer_expect *expect, anp_verdict verdict)
{
    static const uint8_t status_of[] = {0, ANP_STATUS_GRANTED, ANP_STATUS_DENIED, ANP_STATUS_USER_NOT_FOUND,
                                        ANP_STATUS_THROTTLED};
    unsigned int i, statuses = 0;
    REQUIRE(msg->kind == (expect->kind | ANP_ANSWER_BIT) && msg->request_id == expect->request_id);
    for (i = 0; i < msg->field_count; i++) {
        const anp_field *f = &msg->fields[i];
        size_t j, asked = 0;
        if (f->tag == ANP_TAG_STATUS) {
            statuses++;
            REQUIRE(f->len == 1 && f->value[0] == status_of[verdict]);
        }
        if (f->tag == ANP_TAG_PERMISSION) {
            for (j = 0; j < expect->asked_count; j++) {
                asked += field_equals(f, expect->asked_permissions[j]);
            }
            REQUIRE(asked > 0);
        }
    }
    REQUIRE(statuses == 1);
    if (verdict == ANP_VERDICT_GRANTED && expect->kind == ANP_KIND_GET_REALM_HASH) {
        REQUIRE(anp_find(msg, ANP_TAG_HASH) != NULL);
    }
    if (verdict == ANP_VERDICT_GRANTED && expect->kind == ANP_KIND_CHECK_SESSION) {
        REQUIRE(anp_find(msg, ANP_TAG_USER) != NULL);
    }
    /* Flags never reach a module that did not ask; a grant to one that asked always carries them. */
    REQUIRE(expect->want_user_flags || anp_find(msg, ANP_TAG_USER_FLAGS) == NULL);
    if (verdict == ANP_VERDICT_GRANTED && expect->want_user_flags) {
        REQUIRE(anp_answer_user_flags(msg) >= 0 && anp_answer_user_flags(msg) <= 3);
    }
    REQUIRE(!(verdict == ANP_VERDICT_USER_NOT_FOUND && expect->kind == ANP_KIND_CHECK_SESSION));
    {
        /* Stamps ride only on a grant, two at most: nothing else could be kept by a child. */
        anp_generation_stamp stamps[ANP_MAX_STAMPS + 1];
        int stamped = anp_answer_stamps(msg, stamps, ANP_MAX_STAMPS + 1);
        REQUIRE(stamped <= ANP_MAX_STAMPS);
        REQUIRE(stamped == 0 || verdict == ANP_VERDICT_GRANTED);
        /* A stamped session grant always says how long it may be kept, and nothing else says so. */
        if (verdict == ANP_VERDICT_GRANTED && expect->kind == ANP_KIND_CHECK_SESSION && stamped > 0) {
            REQUIRE(anp_answer_valid_for(msg) >= 1);
        }
        if (verdict == ANP_VERDICT_GRANTED) {
            REQUIRE(anp_answer_valid_for(msg) == 0 || (expect->kind == ANP_KIND_CHECK_SESSION && stamped > 0));
        }
    }
    if (verdict == ANP_VERDICT_THROTTLED) {
        /* A throttle always says how long, and only a password check is ever throttled. */
        REQUIRE(expect->kind == ANP_KIND_CHECK_PASSWORD);
        REQUIRE(anp_answer_retry_after(msg) >= ANP_MIN_RETRY_AFTER && anp_answer_retry_after(msg) <= ANP_MAX_RETRY_AFTER);
    }
}

/* The C strings the module makes of an answer's fields of one tag (each in its own exact block). */
static size_t names_of(const anp_message *msg, uint8_t tag, char **names)
{
    unsigned int i;
    size_t n = 0;
    for (i = 0; i < msg->field_count; i++) {
        if (msg->fields[i].tag == tag) {
            names[n] = malloc((size_t)msg->fields[i].len + 1);
            REQUIRE(names[n] != NULL);
            memcpy(names[n], msg->fields[i].value, msg->fields[i].len);
            names[n][msg->fields[i].len] = '\0';
            n++;
        }
    }
    return n;
}

/* A granted answer's groups and permissions go through the fold rules, as the Require lines use them. */
static void fold_granted(const anp_message *msg, const anp_answer_expect *expect)
{
    static char *groups[ANP_MAX_FIELDS], *held[ANP_MAX_FIELDS];
    size_t group_count = names_of(msg, ANP_TAG_GROUP, groups), held_count = names_of(msg, ANP_TAG_PERMISSION, held);
    const char *const *line = permission_names + 1;
    anp_fold_decision decision;
    size_t i;

    (void)anp_fold_group_matches((const char *const *)groups, group_count, wanted_groups, 2);
    REQUIRE(anp_fold_unasked_permission(expect->asked_permissions, expect->asked_count,
                                        (const char *const *)held, held_count) == NULL);
    decision = anp_fold_permission_line(expect->asked_permissions, expect->asked_count,
                                        (const char *const *)held, held_count, line, 2);
    if (decision == ANP_FOLD_GRANTED) {
        int found = 0;
        for (i = 0; i < held_count; i++) {
            found |= !strcmp(held[i], line[0]) || !strcmp(held[i], line[1]);
        }
        REQUIRE(found);
    }
    for (i = 0; i < group_count; i++) {
        free(groups[i]);
    }
    for (i = 0; i < held_count; i++) {
        free(held[i]);
    }
}

static void set_expect(const uint8_t *data, anp_answer_expect *expect, const char **asked)
{
    unsigned int i;
    expect->kind = kinds[data[0] % sizeof(kinds)];
    expect->request_id = (uint32_t)data[3] << 24 | (uint32_t)data[4] << 16 | (uint32_t)data[5] << 8 | data[6];
    expect->asked_count = 0;
    for (i = 0; i < 4; i++) {
        if (data[2] & (1u << i)) {
            asked[expect->asked_count++] = permission_names[i];
        }
    }
    expect->asked_permissions = asked;
    expect->want_user_flags = (data[2] & 0x10) != 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static anp_message msg;
    const char *asked[4];
    anp_answer_expect expect;
    anp_verdict verdict;
    uint8_t *frame;
    size_t have;
    long result;

    if (size < CONTROL_LEN) {
        return 0;
    }
    set_expect(data, &expect, asked);
    result = read_answer(data + CONTROL_LEN, size - CONTROL_LEN, data[1], &frame, &have);
    if (result <= 0) {
        /* Refused, or still waiting when the worker stopped sending: the module fails closed. */
        REQUIRE(result == ANP_E_SHORT || result == ANP_E_MALFORMED || result == ANP_E_TOO_LARGE);
        free(frame);
        return 0;
    }
    /* A whole frame is exactly what arrived, and no shorter prefix of it was taken for one. */
    REQUIRE((size_t)result == have && anp_decode(frame, have, &msg) == result);
    REQUIRE(anp_answer_framed(frame, have - 1, NULL) == ANP_E_SHORT);
    verdict = anp_answer_verdict(&msg, &expect, NULL);
    if (verdict != ANP_VERDICT_ERROR) {
        check_not_error(&msg, &expect, verdict);
    }
    if (verdict == ANP_VERDICT_GRANTED) {
        fold_granted(&msg, &expect);
    }
    anp_wipe(frame, have);
    free(frame);
    return 0;
}
