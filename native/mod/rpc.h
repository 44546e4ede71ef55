/*
 * rpc.h: one check as one request/answer exchange with the worker (docs/protocol.md).
 *
 * The request is encoded into a buffer from r->pool, sent on a pooled connection (or a fresh one after
 * a HELLO), and the answer with the same request id is read before a deadline. A pooled connection
 * that turns out to be closed is dropped and the check is sent once more on a fresh connection; any
 * other failure is returned to the provider, which fails closed. The password lives only in the
 * request buffer and is wiped before this returns.
 */
#ifndef ANP_RPC_H
#define ANP_RPC_H

#include <stdint.h>

#include "httpd.h"
#include "apr_tables.h"

typedef struct {
    uint8_t kind;                           /* ANP_KIND_* */
    const char *handler;                    /* HANDLER: the spec text */
    const char *group_handler;              /* GROUP_HANDLER (CHECK_PASSWORD only): fold the user's groups in */
    const char *user;                       /* USER */
    const char *password;                   /* PASSWORD (CHECK_PASSWORD only) */
    const char *realm;                      /* REALM (GET_REALM_HASH only) */
    const apr_array_header_t *groups;       /* GROUP fields (const char *), may be NULL */
    const apr_array_header_t *permissions;  /* PERMISSION fields (const char *), may be NULL */
    const apr_array_header_t *env;          /* ENV fields, "KEY=VALUE" (const char *) */
    apr_interval_time_t timeout;            /* NodeAuthTimeout: sent as TIMEOUT_MS and waited for */
} anp_request;

typedef struct {
    int status;                 /* ANP_STATUS_*; meaningful only when anp_rpc_call returned APR_SUCCESS */
    const char *reason;         /* the worker's REASON, or why the call failed (never a password) */
    const char *user;           /* USER: granted under another name */
    const char *hash;           /* HASH: GET_REALM_HASH's HA1 */
    apr_array_header_t *groups; /* GROUP fields of the answer (const char *) */
    apr_array_header_t *permissions; /* PERMISSION fields of the answer (const char *): held, of those asked */
} anp_answer;

/* Sends the request and reads its answer. APR_SUCCESS: *ans holds the worker's answer. Otherwise
 * ans->reason says what went wrong (connecting, timing out, a broken or unreadable answer). */
apr_status_t anp_rpc_call(request_rec *r, const anp_request *req, anp_answer *ans);

#endif
