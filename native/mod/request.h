/*
 * request.h: a check as the module asks it, and its encoding for one connection (docs/protocol.md).
 *
 * A request names its handlers by id (handler_ids.h). Encoded for a connection, it carries
 * DEFINE_HANDLER for each id the worker has not acknowledged on that connection yet, and ENV entries
 * only when a handler it names reads the environ (anp_request_environ: the one place that decides).
 */
#ifndef ANP_REQUEST_H
#define ANP_REQUEST_H

#include <stdint.h>

#include "httpd.h"
#include "apr_tables.h"

#include "anp_protocol.h"
#include "config.h"
#include "conn.h"

typedef struct {
    uint8_t kind;                           /* ANP_KIND_* */
    const anp_handler *handler;             /* HANDLER_ID's handler */
    uint32_t handler_id;
    const anp_handler *group_handler;       /* GROUP_HANDLER_ID's (CHECK_PASSWORD only); NULL: not sent */
    uint32_t group_handler_id;
    const char *location;                   /* the section's path, for the environ */
    const char *user;                       /* USER; NULL: not sent (CHECK_SESSION) */
    const char *session_key;                /* SESSION_KEY bytes (CHECK_SESSION only; may hold a NUL) */
    apr_size_t session_key_len;
    int want_user_flags;                    /* WANT_USER_FLAGS (CHECK_PASSWORD, CHECK_SESSION) */
    const char *password;                   /* PASSWORD (CHECK_PASSWORD only) */
    const char *realm;                      /* REALM (GET_REALM_HASH only) */
    const apr_array_header_t *groups;       /* GROUP fields (const char *), may be NULL */
    const apr_array_header_t *permissions;  /* PERMISSION fields (const char *), may be NULL */
    apr_interval_time_t timeout;            /* NodeAuthTimeout: sent as TIMEOUT_MS and waited for */
    /* Who is asking (CHECK_PASSWORD only; NULL: not sent): r->useragent_ip, the User-Agent and Accept
     * headers and r->uri, for the worker's lockout policies. Cut to the protocol's lengths when encoded. */
    const char *client_ip;
    const char *user_agent;
    const char *http_accept;
    const char *path_info;
} anp_request;

/* What one encoding defined and left out. */
typedef struct {
    uint32_t defined[2];    /* handler ids the frame defines (DEFINE_HANDLER) */
    int defined_count;
    int env_dropped;        /* ENV entries that did not fit */
} anp_encoding;

/* This child's id of `handler`; 0 (and a logged error) when there is none to give: fail the check. */
uint32_t anp_request_handler_id(request_rec *r, const anp_handler *handler);

/* A request of `kind` to `handler` about `user`, with the server's NodeAuthTimeout (and, for
 * CHECK_PASSWORD, who is asking). 0 (logged) when the handler has no id: fail the check. */
int anp_request_init(request_rec *r, anp_request *req, uint8_t kind, const anp_handler *handler,
                     const char *user, const char *location);

/* The ENV entries the request carries: the request's environ when a handler it names reads it, else NULL. */
const apr_array_header_t *anp_request_environ(request_rec *r, const anp_request *req);

/* The largest frame the request can encode to (every definition included), capped at the protocol's
 * limit: a check allocates what it needs rather than 64 KiB every time. */
apr_size_t anp_request_capacity(const anp_request *req, const apr_array_header_t *env);

/* Encodes the request for `conn` with request id `id`; returns its size or an anp_result (<0). */
long anp_request_encode(const anp_request *req, const apr_array_header_t *env, const anp_conn *conn,
                        uint32_t id, uint8_t *buf, apr_size_t cap, anp_encoding *out);

#endif
