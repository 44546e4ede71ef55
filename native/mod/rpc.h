/*
 * rpc.h: one check as one request/answer exchange with the worker (docs/protocol.md).
 *
 * The request is encoded into a buffer from r->pool for the connection it goes out on (a pooled one, or
 * a new one that has said HELLO), and the answer with the same request id is read before a deadline. A
 * pooled connection that turns out to be closed is dropped and the check is sent once more on a new
 * connection; any other failure is returned to the provider, which fails closed. The password lives
 * only in the request buffer and is wiped before this returns.
 */
#ifndef ANP_RPC_H
#define ANP_RPC_H

#include "httpd.h"
#include "apr_tables.h"

#include "anp_generations.h"
#include "anp_protocol.h"
#include "request.h"

typedef struct {
    int status;                 /* ANP_STATUS_*; meaningful only when anp_rpc_call returned APR_SUCCESS */
    const char *reason;         /* the worker's REASON, or why the call failed (never a password) */
    const char *user;           /* USER: granted under another name */
    const char *hash;           /* HASH: GET_REALM_HASH's HA1 */
    apr_array_header_t *groups; /* GROUP fields of the answer (const char *) */
    apr_array_header_t *permissions; /* PERMISSION fields of the answer (const char *): held, of those asked */
    apr_uint32_t retry_after;   /* THROTTLED: RETRY_AFTER, 1..86400 seconds; 0 for any other status */
    int throttle_scope;         /* THROTTLED: ANP_THROTTLE_SCOPE_*, or 0 when the answer named none */
    int user_flags;             /* USER_FLAGS (ANP_USER_FLAG_* bits); -1: the answer has none */
    anp_generation_stamp stamps[ANP_MAX_STAMPS]; /* GRANTED: its STAMP fields (shared_cache.h) */
    int stamp_count;            /* 0..ANP_MAX_STAMPS; 0 for any other status */
    apr_uint32_t valid_for_ms;  /* a session grant with stamps: its VALID_FOR; else 0 */
} anp_answer;

/* Sends the request and reads its answer. APR_SUCCESS: *ans holds the worker's answer. Otherwise
 * ans->reason says what went wrong (connecting, timing out, a broken or unreadable answer). */
apr_status_t anp_rpc_call(request_rec *r, const anp_request *req, anp_answer *ans);

#endif
