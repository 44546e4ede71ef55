/*
 * anp_answer.h: how the module reads a worker's answer and turns it into a verdict, in plain C99 with
 * no APR, so that a fuzzer (native/test/anp_answer_fuzz.c) runs exactly these rules on arbitrary bytes.
 *
 * native/mod/conn.c frames every answer with anp_answer_framed and native/mod/rpc.c judges it with
 * anp_answer_verdict: anything that is not plainly the answer to the request sent is an ERROR, which the
 * module turns into HTTP 500: a broken answer must never become a grant.
 */
#ifndef ANP_ANSWER_H
#define ANP_ANSWER_H

#include <stddef.h>
#include <stdint.h>

#include "anp_generations.h"
#include "anp_protocol.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    ANP_VERDICT_ERROR = 0,          /* fail closed */
    ANP_VERDICT_GRANTED,
    ANP_VERDICT_DENIED,
    ANP_VERDICT_USER_NOT_FOUND,
    ANP_VERDICT_THROTTLED           /* CHECK_PASSWORD only: refused unchecked, see anp_answer_retry_after */
} anp_verdict;

/* What the module asked: the answer must match it. */
typedef struct {
    uint8_t kind;                           /* the request's kind (ANP_KIND_*) */
    uint32_t request_id;
    const char *const *asked_permissions;   /* PERMISSION names sent with a password check */
    size_t asked_count;
    int want_user_flags;                    /* the request carried WANT_USER_FLAGS (CHECK_PASSWORD, CHECK_SESSION) */
} anp_answer_expect;

/*
 * The framing of an answer of which `have` bytes have been received: ANP_E_SHORT (read more), the
 * frame's size when exactly one whole frame is there (decoded into *msg unless msg is NULL), or
 * ANP_E_MALFORMED / ANP_E_TOO_LARGE for an impossible length prefix, bytes after the frame, or a frame
 * that does not decode.
 */
long anp_answer_framed(const uint8_t *buf, size_t have, anp_message *msg);

/*
 * The verdict of a decoded answer. GRANTED, DENIED and USER_NOT_FOUND only when the frame answers this
 * request (its kind with ANP_ANSWER_BIT, the same request id) with one STATUS byte of that value, and no
 * text field (USER, GROUP, PERMISSION, HASH) holds a NUL (the module copies them as C strings, so a NUL
 * would cut a name short). GRANTED also needs a HASH for GET_REALM_HASH and every PERMISSION held to be
 * one that was asked. THROTTLED only answers a CHECK_PASSWORD, and only with a RETRY_AFTER of 1..86400
 * seconds: THROTTLED to any other kind, or without RETRY_AFTER, is a broken answer. A CHECK_SESSION answer is
 * GRANTED only with a USER (the session's user, who becomes r->user); USER_NOT_FOUND is broken there (no valid
 * session is DENIED, as Django sees an anonymous user). USER_FLAGS in an answer to a request
 * without WANT_USER_FLAGS is broken, and so is a GRANTED answer to one with it that lacks USER_FLAGS (the
 * module could not decide `Require node-staff`). Anything else is ERROR. *why (when why is not NULL) is NULL for a well-formed
 * answer, ERROR included, and otherwise says in a few words what made it one the module cannot trust.
 */
anp_verdict anp_answer_verdict(const anp_message *msg, const anp_answer_expect *expect, const char **why);

/* The answer's RETRY_AFTER in seconds (1..86400), or 0 when it has none or one out of that range. */
uint32_t anp_answer_retry_after(const anp_message *msg);

/* The answer's USER_FLAGS (ANP_USER_FLAG_* bits), or -1 when it has none or one with other bits set. */
int anp_answer_user_flags(const anp_message *msg);

/*
 * The answer's STAMP fields, in their order, decoded into out[0..max): returns how many (0..max). A STAMP of
 * another length than ANP_STAMP_LEN is not counted (the codec refuses such a frame anyway); 0 for a NULL msg or
 * out, or max <= 0. Only a GRANTED answer carries stamps: the codec refuses them beside any other STATUS.
 */
int anp_answer_stamps(const anp_message *msg, anp_generation_stamp *out, int max);

/* The answer's VALID_FOR in milliseconds (1..2^32-1), or 0 when it has none (then nothing may be kept by a
 * rule that needs one: a session grant without it is never kept). */
uint32_t anp_answer_valid_for(const anp_message *msg);

/* The answer's THROTTLE_SCOPE (ANP_THROTTLE_SCOPE_ADDRESS or _USER), or 0 when it has none or another value. */
uint8_t anp_answer_throttle_scope(const anp_message *msg);

#ifdef __cplusplus
}
#endif

#endif
