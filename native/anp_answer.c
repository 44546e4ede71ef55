/*
 * anp_answer.c: the module's answer reader, see anp_answer.h.
 */
#include "anp_answer.h"

#include <string.h>

long anp_answer_framed(const uint8_t *buf, size_t have, anp_message *msg)
{
    long need = anp_frame_size(buf, have);
    if (need < 0) {
        return need;
    }
    if ((size_t)need > have) {
        return ANP_E_SHORT;
    }
    /* The worker writes one answer per request and waits: anything after it is not an answer to trust. */
    if ((size_t)need < have) {
        return ANP_E_MALFORMED;
    }
    return anp_decode(buf, have, msg) == need ? need : ANP_E_MALFORMED;
}

static int is_text_tag(uint8_t tag)
{
    return tag == ANP_TAG_USER || tag == ANP_TAG_GROUP || tag == ANP_TAG_PERMISSION || tag == ANP_TAG_HASH;
}

static int was_asked(const anp_field *f, const anp_answer_expect *expect)
{
    size_t i;
    for (i = 0; i < expect->asked_count; i++) {
        const char *name = expect->asked_permissions[i];
        if (name && strlen(name) == f->len && memcmp(name, f->value, f->len) == 0) {
            return 1;
        }
    }
    return 0;
}

/* NULL when every text field is NUL-free and every held PERMISSION was asked; else what is wrong. */
static const char *fields_unfit(const anp_message *msg, const anp_answer_expect *expect)
{
    unsigned int i;
    for (i = 0; i < msg->field_count; i++) {
        const anp_field *f = &msg->fields[i];
        if (is_text_tag(f->tag) && memchr(f->value, 0, f->len) != NULL) {
            return "a name or hash holds a NUL byte";
        }
        if (f->tag == ANP_TAG_PERMISSION && !was_asked(f, expect)) {
            return "it holds a permission that was not asked for";
        }
    }
    return NULL;
}

static anp_verdict refuse(const char **why, const char *what)
{
    if (why) {
        *why = what;
    }
    return ANP_VERDICT_ERROR;
}

/* A GRANTED answer is a grant only when it carries what its kind's grant must carry. */
static anp_verdict granted(const anp_message *msg, const anp_answer_expect *expect, const char **why)
{
    if (expect->kind == ANP_KIND_GET_REALM_HASH && anp_find(msg, ANP_TAG_HASH) == NULL) {
        return refuse(why, "GRANTED without a HASH");
    }
    /* Checked here as well as by the codec: a session grant without a user has nobody to be r->user. */
    if (expect->kind == ANP_KIND_CHECK_SESSION && anp_find(msg, ANP_TAG_USER) == NULL) {
        return refuse(why, "a session GRANTED without a USER");
    }
    if (expect->want_user_flags && anp_answer_user_flags(msg) < 0) {
        return refuse(why, "GRANTED without the USER_FLAGS asked for");
    }
    return ANP_VERDICT_GRANTED;
}

anp_verdict anp_answer_verdict(const anp_message *msg, const anp_answer_expect *expect, const char **why)
{
    const anp_field *status_field;
    const char *unfit;
    uint8_t status = 0;

    if (why) {
        *why = NULL;
    }
    if (msg == NULL || expect == NULL || msg->kind != (uint8_t)(expect->kind | ANP_ANSWER_BIT)
        || msg->request_id != expect->request_id) {
        return refuse(why, "it answers another kind or request id");
    }
    status_field = anp_find(msg, ANP_TAG_STATUS);
    if (status_field == NULL || anp_field_u8(status_field, &status) != ANP_OK) {
        return refuse(why, "it has no STATUS");
    }
    if ((unfit = fields_unfit(msg, expect)) != NULL) {
        return refuse(why, unfit);
    }
    if (anp_find(msg, ANP_TAG_USER_FLAGS) != NULL && !expect->want_user_flags) {
        return refuse(why, "it holds USER_FLAGS that were not asked for");
    }
    switch (status) {
    case ANP_STATUS_GRANTED:
        return granted(msg, expect, why);
    case ANP_STATUS_DENIED:
        return ANP_VERDICT_DENIED;
    case ANP_STATUS_USER_NOT_FOUND:
        if (expect->kind == ANP_KIND_CHECK_SESSION) {
            return refuse(why, "USER_NOT_FOUND answers a session check");
        }
        return ANP_VERDICT_USER_NOT_FOUND;
    case ANP_STATUS_ERROR:
        return ANP_VERDICT_ERROR;
    case ANP_STATUS_THROTTLED:
        /* Checked here as well as by the codec: a throttle the module cannot time is not one to trust. */
        if (expect->kind != ANP_KIND_CHECK_PASSWORD) {
            return refuse(why, "THROTTLED answers a request that is not a password check");
        }
        if (anp_answer_retry_after(msg) == 0) {
            return refuse(why, "THROTTLED without a RETRY_AFTER of 1..86400 seconds");
        }
        return ANP_VERDICT_THROTTLED;
    default:
        return refuse(why, "its STATUS is unknown");
    }
}

uint32_t anp_answer_retry_after(const anp_message *msg)
{
    uint32_t seconds = 0;
    if (msg == NULL || anp_field_u32(anp_find(msg, ANP_TAG_RETRY_AFTER), &seconds) != ANP_OK
        || seconds < ANP_MIN_RETRY_AFTER || seconds > ANP_MAX_RETRY_AFTER) {
        return 0;
    }
    return seconds;
}

uint32_t anp_answer_valid_for(const anp_message *msg)
{
    uint32_t ms = 0;
    if (msg == NULL || anp_field_u32(anp_find(msg, ANP_TAG_VALID_FOR), &ms) != ANP_OK) {
        return 0;
    }
    return ms;
}

int anp_answer_user_flags(const anp_message *msg)
{
    const anp_field *f = msg == NULL ? NULL : anp_find(msg, ANP_TAG_USER_FLAGS);
    if (f == NULL || f->len != 1 || (f->value[0] & ~(ANP_USER_FLAG_STAFF | ANP_USER_FLAG_SUPERUSER)) != 0) {
        return -1;
    }
    return f->value[0];
}

uint8_t anp_answer_throttle_scope(const anp_message *msg)
{
    const anp_field *f = msg == NULL ? NULL : anp_find(msg, ANP_TAG_THROTTLE_SCOPE);
    if (f == NULL || f->len != 1
        || (f->value[0] != ANP_THROTTLE_SCOPE_ADDRESS && f->value[0] != ANP_THROTTLE_SCOPE_USER)) {
        return 0;
    }
    return f->value[0];
}

static uint64_t get64(const uint8_t *p)
{
    uint64_t v = 0;
    int i;
    for (i = 0; i < 8; i++) {
        v = (v << 8) | p[i];
    }
    return v;
}

int anp_answer_stamps(const anp_message *msg, anp_generation_stamp *out, int max)
{
    unsigned int i;
    int n = 0;
    if (msg == NULL || out == NULL || max <= 0) {
        return 0;
    }
    for (i = 0; i < msg->field_count && n < max; i++) {
        const anp_field *f = &msg->fields[i];
        if (f->tag != ANP_TAG_STAMP || f->len != ANP_STAMP_LEN) {
            continue;
        }
        out[n].epoch = get64(f->value);
        out[n].slot = ((uint32_t)f->value[8] << 24) | ((uint32_t)f->value[9] << 16) | ((uint32_t)f->value[10] << 8)
                      | (uint32_t)f->value[11];
        out[n].generation = get64(f->value + 12);
        n++;
    }
    return n;
}
