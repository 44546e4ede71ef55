/*
 * rpc.c: send one check and read its answer, on a connection that has said HELLO.
 */
#include <string.h>

#include "httpd.h"
#include "apr_strings.h"
#include "http_log.h"

#include "anp_answer.h"
#include "anp_protocol.h"
#include "anp_private.h"
#include "conn_pool.h"
#include "handshake.h"
#include "rpc.h"

/* The worker answers ERROR just before TIMEOUT_MS passes; wait a little longer to read that answer. */
#define ANP_ANSWER_GRACE apr_time_from_msec(500)
/* How long a check keeps trying to reach a worker that is starting or restarting (its socket is
 * missing or refuses, or a connection closes before HELLO's answer), and the pauses between tries. */
#define ANP_CONNECT_RETRY_WINDOW apr_time_from_sec(5)
#define ANP_CONNECT_FIRST_PAUSE apr_time_from_msec(20)
#define ANP_CONNECT_MAX_PAUSE apr_time_from_msec(200)

/* The STATUS a verdict stands for: an answer judged ERROR is ERROR, whatever its STATUS byte said. */
static int verdict_status(anp_verdict verdict)
{
    switch (verdict) {
    case ANP_VERDICT_GRANTED:
        return ANP_STATUS_GRANTED;
    case ANP_VERDICT_DENIED:
        return ANP_STATUS_DENIED;
    case ANP_VERDICT_USER_NOT_FOUND:
        return ANP_STATUS_USER_NOT_FOUND;
    case ANP_VERDICT_THROTTLED:
        return ANP_STATUS_THROTTLED;
    default:
        return ANP_STATUS_ERROR;
    }
}

/*
 * A new connection to the supervised worker that has gone through the handshake. The one retry policy for a worker that is starting or
 * restarting: while its socket is missing or refuses, or a connection closes before HELLO's answer (a
 * worker that was just killed may still accept for an instant while the kernel closes its descriptors,
 * and its successor is not listening yet), try again after a pause that doubles, within the retry window
 * and the check's deadline.
 */
static anp_conn *open_connection(request_rec *r, apr_time_t deadline, const char **reason)
{
    apr_time_t retry_until = apr_time_now() + ANP_CONNECT_RETRY_WINDOW;
    apr_interval_time_t pause = ANP_CONNECT_FIRST_PAUSE;
    anp_conn *conn;
    int retryable, peer;

    if (retry_until > deadline) {
        retry_until = deadline;
    }
    for (;;) {
        peer = ANP_PEER_OK;
        conn = anp_conn_connect(r->pool, reason, &retryable);
        if (conn) {
            /* Who listens is checked before any byte goes out: a listener that is not the worker gets
             * nothing. It is tried again, as a worker that is restarting looks the same for a moment. */
            int said = (peer = anp_handshake_peer(conn, r->pool, reason)) == ANP_PEER_OK
                ? anp_handshake_hello(r, conn, deadline, reason) : -1;
            if (said == 1) {
                return conn;
            }
            anp_conn_close(conn);
            retryable = said < 0;
        }
        if (!retryable || apr_time_now() + pause >= retry_until) {
            anp_handshake_peer_log(r, peer, *reason);
            return NULL;
        }
        apr_sleep(pause);
        pause = pause * 2 < ANP_CONNECT_MAX_PAUSE ? pause * 2 : ANP_CONNECT_MAX_PAUSE;
    }
}

static void copy_answer(apr_pool_t *p, const anp_message *msg, anp_verdict verdict, anp_answer *ans)
{
    int i;

    ans->status = verdict_status(verdict);
    ans->retry_after = verdict == ANP_VERDICT_THROTTLED ? anp_answer_retry_after(msg) : 0;
    ans->throttle_scope = verdict == ANP_VERDICT_THROTTLED ? anp_answer_throttle_scope(msg) : 0;
    ans->user_flags = -1;
    ans->stamp_count = verdict == ANP_VERDICT_GRANTED ? anp_answer_stamps(msg, ans->stamps, ANP_MAX_STAMPS) : 0;
    ans->valid_for_ms = ans->stamp_count > 0 ? anp_answer_valid_for(msg) : 0;
    ans->groups = apr_array_make(p, 4, sizeof(const char *));
    ans->permissions = apr_array_make(p, 4, sizeof(const char *));
    for (i = 0; i < msg->field_count; i++) {
        const anp_field *f = &msg->fields[i];
        const char *value = apr_pstrmemdup(p, (const char *)f->value, f->len);
        switch (f->tag) {
        case ANP_TAG_REASON:
            ans->reason = value;
            break;
        case ANP_TAG_USER:
            ans->user = value;
            break;
        case ANP_TAG_HASH:
            ans->hash = value;
            break;
        case ANP_TAG_GROUP:
            *(const char **)apr_array_push(ans->groups) = value;
            break;
        case ANP_TAG_PERMISSION:
            *(const char **)apr_array_push(ans->permissions) = value;
            break;
        case ANP_TAG_USER_FLAGS:
            /* anp_answer.c refuses flags that were not asked for or have unknown bits. */
            ans->user_flags = f->len == 1 ? f->value[0] : -1;
            break;
        default:
            break;
        }
    }
}

/* One check's frame buffer, its ENV entries and deadline, shared by its (at most two) attempts. */
typedef struct {
    request_rec *r;
    const anp_request *req;
    const apr_array_header_t *env;
    uint8_t *frame;
    apr_size_t cap;
    apr_size_t used;            /* bytes written into frame by any attempt: wiped at the end */
    apr_time_t deadline;
} anp_call;

/* Encodes the request for conn with its next request id. */
static long encode_for(anp_call *call, anp_conn *conn, uint32_t *id, anp_encoding *enc)
{
    long len;
    *id = conn->next_id++;
    if (conn->next_id == 0) {
        conn->next_id = 1;
    }
    len = anp_request_encode(call->req, call->env, conn, *id, call->frame, call->cap, enc);
    /* A frame refused half-way may hold the password already: then the whole buffer is wiped. */
    if (len < 0 || (apr_size_t)len > call->used) {
        call->used = len < 0 ? call->cap : (apr_size_t)len;
    }
    if (len > 0 && enc->env_dropped) {
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, call->r, ANPLOGNO(0402) "%d environ entries did not fit "
                      "in the request and were left out", enc->env_dropped);
    }
    return len;
}

/*
 * The answer read for request `id` on conn, judged by anp_answer_verdict (native/anp_answer.c, the rules
 * the fuzzer runs): the worker's own, or a failure when it answers another request or cannot be trusted.
 */
static apr_status_t take_answer(anp_call *call, anp_conn *conn, uint32_t id, const anp_message *msg,
                                const anp_encoding *enc, anp_answer *ans)
{
    const apr_array_header_t *asked = call->req->permissions;
    anp_answer_expect expect;
    anp_verdict verdict;
    const char *why;
    int i;

    expect.kind = call->req->kind;
    expect.request_id = id;
    expect.asked_permissions = asked ? (const char *const *)asked->elts : NULL;
    expect.asked_count = asked ? (size_t)asked->nelts : 0;
    expect.want_user_flags = call->req->want_user_flags;
    verdict = anp_answer_verdict(msg, &expect, &why);
    copy_answer(call->r->pool, msg, verdict, ans);
    if (msg->kind != (call->req->kind | ANP_ANSWER_BIT) || msg->request_id != id) {
        /* The worker answers ERROR with request id 0 to a frame it could not read, then closes. */
        anp_conn_close(conn);
        ans->reason = apr_psprintf(call->r->pool, "the worker answered kind 0x%02x id %u to kind 0x%02x id %u%s%s",
                                   msg->kind, msg->request_id, call->req->kind, id, ans->reason ? ": " : "",
                                   ans->reason ? ans->reason : "");
        return APR_EGENERAL;
    }
    if (why) {
        /* A worker that sends such an answer is not to be trusted with the next request either. */
        anp_conn_close(conn);
        ans->reason = apr_psprintf(call->r->pool, "the worker's answer cannot be trusted: %s", why);
        return APR_EGENERAL;
    }
    /* After ERROR the definitions may not have been applied: they go again with the next request. */
    for (i = 0; ans->status != ANP_STATUS_ERROR && i < enc->defined_count; i++) {
        anp_conn_learn_handler(conn, enc->defined[i]);
    }
    anp_pool_give_back(conn);
    return APR_SUCCESS;
}

/*
 * One attempt. *retry is set only when a pooled connection proved closed before any byte of the request
 * was written: found closed when taken, or the send failed at once. Once a byte has left, the worker may
 * be running the request (a handler that kills its worker, a crash in the middle): a connection that then
 * dies fails the check, as sending it again would run the request twice.
 */
static apr_status_t attempt(anp_call *call, int fresh, anp_answer *ans, int *retry)
{
    anp_message *msg = apr_palloc(call->r->pool, sizeof(*msg));
    anp_conn *conn = fresh ? NULL : anp_pool_take();
    int reused = conn != NULL, wrote = 0;
    anp_encoding enc;
    uint32_t id;
    apr_status_t rv;
    long len;

    *retry = 0;
    if (reused && anp_conn_idle_closed(conn)) {
        anp_conn_close(conn);
        ans->reason = "a pooled connection was closed while idle";
        *retry = 1;
        return APR_EOF;
    }
    if (!conn && !(conn = open_connection(call->r, call->deadline, &ans->reason))) {
        return APR_ECONNREFUSED;
    }
    len = encode_for(call, conn, &id, &enc);
    if (len < 0) {
        anp_pool_give_back(conn);
        ans->reason = apr_psprintf(call->r->pool, "cannot encode the request (codec result %ld): a user name, "
                                   "handler spec or Require argument is over the protocol's limits", len);
        return APR_EGENERAL;
    }
    rv = anp_conn_write(conn, call->frame, (apr_size_t)len, call->deadline, &wrote);
    if (rv == APR_SUCCESS) {
        rv = anp_conn_read_frame(conn, call->deadline, call->r->pool, msg, &ans->reason);
        if (rv == APR_SUCCESS) {
            return take_answer(call, conn, id, msg, &enc, ans);
        }
    }
    else {
        ans->reason = rv == APR_TIMEUP ? "sending to the worker timed out" : "the worker closed the connection";
    }
    anp_conn_close(conn);
    *retry = reused && !wrote && rv == APR_EOF;
    return rv == APR_EOF || rv == APR_TIMEUP ? rv : APR_EGENERAL;
}

apr_status_t anp_rpc_call(request_rec *r, const anp_request *req, anp_answer *ans)
{
    anp_call call;
    int retry = 0;
    apr_status_t rv;

    memset(ans, 0, sizeof(*ans));
    call.r = r;
    call.req = req;
    call.env = anp_request_environ(r, req);
    call.cap = anp_request_capacity(req, call.env);
    call.frame = apr_palloc(r->pool, call.cap);
    call.used = 0;
    call.deadline = apr_time_now() + req->timeout + ANP_ANSWER_GRACE;
    rv = attempt(&call, 0, ans, &retry);
    if (rv != APR_SUCCESS && retry) {
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r,
                      ANPLOGNO(0403) "a pooled connection was closed (%s); trying once on a new one", ans->reason);
        memset(ans, 0, sizeof(*ans));
        rv = attempt(&call, 1, ans, &retry);
    }
    anp_wipe(call.frame, call.used);
    return rv;
}
