/*
 * rpc.c: encode, send, await and decode one check.
 */
#include <string.h>

#include "httpd.h"
#include "apr_strings.h"
#include "http_log.h"
#include "http_request.h"

#include "anp_protocol.h"
#include "mod_authnz_node.h"
#include "conn_pool.h"
#include "rpc.h"
#include "worker_supervisor.h"

/* The worker answers ERROR just before TIMEOUT_MS passes; wait a little longer to read that answer. */
#define ANP_ANSWER_GRACE apr_time_from_msec(500)
#define ANP_FRAME_CAP (4 + ANP_MAX_FRAME_LEN)
/* What read_frame() asks of the first recv(): a STATUS, a REASON and a modest list of groups or
 * permissions fit, so a usual answer is one recv(); longer ones grow the buffer. */
#define ANP_ANSWER_BUF 4096

/* Appends a field only if it fits, leaving the frame valid: ENV entries are optional context. */
static int put_if_fits(anp_writer *w, uint8_t tag, const char *value)
{
    apr_size_t len = strlen(value);
    if (len > ANP_MAX_FIELD_LEN || w->field_count >= ANP_MAX_FIELDS || w->len + 3 + len > w->cap) {
        return 0;
    }
    anp_put_field(w, tag, value, len);
    return 1;
}

static void put_all(anp_writer *w, uint8_t tag, const apr_array_header_t *values)
{
    int i;
    if (values) {
        for (i = 0; i < values->nelts; i++) {
            anp_put_str(w, tag, APR_ARRAY_IDX(values, i, const char *));
        }
    }
}

static apr_size_t fields_size(const apr_array_header_t *values)
{
    apr_size_t size = 0;
    int i;
    if (values) {
        for (i = 0; i < values->nelts; i++) {
            size += 3 + strlen(APR_ARRAY_IDX(values, i, const char *));
        }
    }
    return size;
}

/* The frame's size if everything fits, capped at the protocol's limit: a check allocates what it needs
 * from r->pool rather than 64 KiB every time. */
static apr_size_t frame_capacity(const anp_request *req)
{
    apr_size_t size = 4 + ANP_HEADER_LEN;
    size += 3 + strlen(req->handler) + 3 + strlen(req->user) + 3 + 4; /* HANDLER, USER, TIMEOUT_MS */
    size += req->password ? 3 + strlen(req->password) : 0;
    size += req->realm ? 3 + strlen(req->realm) : 0;
    size += req->group_handler ? 3 + strlen(req->group_handler) : 0;
    size += fields_size(req->groups) + fields_size(req->permissions) + fields_size(req->env);
    return size < ANP_FRAME_CAP ? size : ANP_FRAME_CAP;
}

/* Encodes the request; returns its size or an anp_result (<0). Required fields first, ENV last. */
static long encode_request(uint8_t *buf, apr_size_t cap, const anp_request *req, int *env_dropped)
{
    anp_writer w;
    int i;

    anp_writer_init(&w, buf, cap, req->kind, 0);
    anp_put_str(&w, ANP_TAG_HANDLER, req->handler);
    anp_put_str(&w, ANP_TAG_USER, req->user);
    if (req->password) {
        anp_put_str(&w, ANP_TAG_PASSWORD, req->password);
    }
    if (req->realm) {
        anp_put_str(&w, ANP_TAG_REALM, req->realm);
    }
    if (req->group_handler) {
        anp_put_str(&w, ANP_TAG_GROUP_HANDLER, req->group_handler);
    }
    put_all(&w, ANP_TAG_GROUP, req->groups);
    put_all(&w, ANP_TAG_PERMISSION, req->permissions);
    anp_put_u32(&w, ANP_TAG_TIMEOUT_MS, (uint32_t)apr_time_as_msec(req->timeout));
    *env_dropped = 0;
    if (req->env && w.error == ANP_OK) {
        for (i = 0; i < req->env->nelts; i++) {
            if (!put_if_fits(&w, ANP_TAG_ENV, APR_ARRAY_IDX(req->env, i, const char *))) {
                (*env_dropped)++;
            }
        }
    }
    return anp_writer_finish(&w);
}

/* The request id sits right after the length prefix and the kind byte. */
static void set_request_id(uint8_t *frame, uint32_t id)
{
    frame[5] = (uint8_t)(id >> 24);
    frame[6] = (uint8_t)(id >> 16);
    frame[7] = (uint8_t)(id >> 8);
    frame[8] = (uint8_t)id;
}

static uint32_t read_u32(const uint8_t *b)
{
    return ((uint32_t)b[0] << 24) | ((uint32_t)b[1] << 16) | ((uint32_t)b[2] << 8) | b[3];
}

typedef enum { READ_OK, READ_CLOSED, READ_FAILED } read_outcome;

/*
 * Reads one whole frame and decodes it into *msg (values point into a buffer from p).
 *
 * One recv() into a buffer that holds any usual answer, then the length prefix is read from the buffer;
 * only a longer frame, or one that arrives in pieces, takes more. A connection carries one request at a
 * time, so nothing may follow the answer: bytes after it are a broken answer (the connection is closed
 * and the check fails), never left behind to be read as the answer to a later check.
 */
static read_outcome read_frame(anp_conn *conn, apr_time_t deadline, apr_pool_t *p, anp_message *msg,
                               const char **reason)
{
    apr_size_t cap = ANP_ANSWER_BUF, have = 0, need = 0, got;
    uint8_t *buf = apr_palloc(p, cap);
    uint32_t len;
    apr_status_t rv;
    long rc;

    while (need == 0 || have < need) {
        rv = anp_conn_recv(conn, buf + have, cap - have, &got, deadline);
        if (rv == APR_EOF && have == 0) {
            *reason = "the worker closed the connection";
            return READ_CLOSED;
        }
        if (rv != APR_SUCCESS) {
            if (rv == APR_TIMEUP) {
                *reason = have == 0 ? "no answer from the worker before the timeout (NodeAuthTimeout)"
                                    : "the worker's answer did not arrive before the timeout (NodeAuthTimeout)";
            }
            else {
                *reason = rv == APR_EOF ? "the worker closed the connection in the middle of an answer"
                                        : apr_psprintf(p, "reading from the worker: %pm", &rv);
            }
            return READ_FAILED;
        }
        have += got;
        if (need == 0 && have >= 4) {
            len = read_u32(buf);
            if (len < ANP_HEADER_LEN || len > ANP_MAX_FRAME_LEN) {
                *reason = apr_psprintf(p, "the worker sent a frame of impossible length %u", len);
                return READ_FAILED;
            }
            need = 4 + (apr_size_t)len;
            if (need >= cap) {
                /* Room for the whole frame and one byte more, so that bytes after it still show. */
                uint8_t *bigger = apr_palloc(p, need + 1);
                memcpy(bigger, buf, have);
                buf = bigger;
                cap = need + 1;
            }
        }
        if (need != 0 && have > need) {
            *reason = apr_psprintf(p, "the worker sent %" APR_SIZE_T_FMT " bytes after its answer", have - need);
            return READ_FAILED;
        }
    }
    rc = anp_decode(buf, need, msg);
    if (rc != (long)need) {
        *reason = apr_psprintf(p, "the worker's answer is malformed (codec result %ld)", rc);
        return READ_FAILED;
    }
    return READ_OK;
}

static int answer_status(const anp_message *msg)
{
    const anp_field *f = anp_find(msg, ANP_TAG_STATUS);
    uint8_t status = 0;
    if (!f || anp_field_u8(f, &status) != ANP_OK) {
        return 0;
    }
    return status;
}

/* HELLO on a new connection: the worker must speak our protocol version before it sees a check.
 * Returns 1 when it does, 0 when it refused, -1 when the connection closed without an answer. */
static int hello(anp_conn *conn, apr_time_t deadline, apr_pool_t *p, anp_message *msg, const char **reason)
{
    uint8_t buf[64];
    anp_writer w;
    long len;
    apr_status_t rv;

    anp_writer_init(&w, buf, sizeof(buf), ANP_KIND_HELLO, 0);
    anp_put_u16(&w, ANP_TAG_VERSION, ANP_PROTOCOL_VERSION);
    len = anp_writer_finish(&w);
    if (len < 0) {
        *reason = "cannot encode HELLO";
        return 0;
    }
    rv = anp_conn_write(conn, buf, (apr_size_t)len, deadline);
    if (rv != APR_SUCCESS) {
        *reason = "the worker closed the connection during HELLO (is this uid trusted by the worker?)";
        return rv == APR_EOF ? -1 : 0;
    }
    switch (read_frame(conn, deadline, p, msg, reason)) {
    case READ_OK:
        break;
    case READ_CLOSED:
        *reason = "the worker closed the connection during HELLO (is this uid trusted by the worker?)";
        return -1;
    default:
        return 0;
    }
    if (msg->kind != (ANP_KIND_HELLO | ANP_ANSWER_BIT) || msg->request_id != 0
        || answer_status(msg) != ANP_STATUS_GRANTED) {
        *reason = apr_psprintf(p, "the worker refused protocol version %d", ANP_PROTOCOL_VERSION);
        return 0;
    }
    return 1;
}

/*
 * A new connection that has said HELLO. A connection closed before HELLO's answer is tried again within
 * the connect retry window: a worker that was just killed may still accept for an instant while the
 * kernel closes its descriptors, and its successor is not listening yet.
 */
static anp_conn *open_connection(apr_time_t deadline, apr_pool_t *p, anp_message *msg, const char **reason)
{
    apr_time_t retry_until = apr_time_now() + ANP_CONNECT_RETRY_WINDOW;
    anp_conn *conn;
    int said;

    if (retry_until > deadline) {
        retry_until = deadline;
    }
    for (;;) {
        conn = anp_conn_connect(anp_worker_socket_path(), deadline, p, reason);
        if (!conn) {
            return NULL;
        }
        said = hello(conn, deadline, p, msg, reason);
        if (said == 1) {
            return conn;
        }
        anp_conn_close(conn);
        if (said == 0 || apr_time_now() + apr_time_from_msec(50) >= retry_until) {
            return NULL;
        }
        apr_sleep(apr_time_from_msec(50));
    }
}

static void copy_answer(apr_pool_t *p, const anp_message *msg, anp_answer *ans)
{
    int i;

    ans->status = answer_status(msg);
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
        default:
            break;
        }
    }
}

/*
 * One attempt. *retry is set when a pooled connection proved closed before any byte of the answer: the
 * send failed with EPIPE, or the read met EOF. Pooled connections are not probed when taken, so this is
 * how one the worker closed while it sat idle (a restart, a graceful stop) is noticed.
 */
static apr_status_t attempt(request_rec *r, uint8_t *frame, apr_size_t frame_len, uint8_t kind,
                            apr_time_t deadline, int fresh, anp_answer *ans, int *retry)
{
    anp_message *msg = apr_palloc(r->pool, sizeof(*msg));
    anp_conn *conn = fresh ? NULL : anp_pool_take();
    int reused = conn != NULL;
    uint32_t id;
    apr_status_t rv;
    read_outcome outcome;
    const char *reason = NULL;

    *retry = 0;
    if (!conn) {
        conn = open_connection(deadline, r->pool, msg, &reason);
        if (!conn) {
            ans->reason = reason;
            return APR_ECONNREFUSED;
        }
    }
    id = conn->next_id++;
    if (conn->next_id == 0) {
        conn->next_id = 1;
    }
    set_request_id(frame, id);

    rv = anp_conn_write(conn, frame, frame_len, deadline);
    if (rv != APR_SUCCESS) {
        anp_conn_close(conn);
        *retry = reused && rv == APR_EOF;
        ans->reason = rv == APR_TIMEUP ? "sending to the worker timed out"
                                       : "the worker closed the connection";
        return rv;
    }
    outcome = read_frame(conn, deadline, r->pool, msg, &reason);
    if (outcome != READ_OK) {
        anp_conn_close(conn);
        *retry = reused && outcome == READ_CLOSED;
        ans->reason = reason;
        return APR_EGENERAL;
    }
    if (msg->kind != (kind | ANP_ANSWER_BIT) || msg->request_id != id) {
        /* The worker answers ERROR with request id 0 to a frame it could not read, then closes. */
        anp_conn_close(conn);
        copy_answer(r->pool, msg, ans);
        ans->reason = apr_psprintf(r->pool, "the worker answered kind 0x%02x id %u to kind 0x%02x id %u%s%s",
                                   msg->kind, msg->request_id, kind, id, ans->reason ? ": " : "",
                                   ans->reason ? ans->reason : "");
        return APR_EGENERAL;
    }
    copy_answer(r->pool, msg, ans);
    anp_pool_give_back(conn);
    return APR_SUCCESS;
}

apr_status_t anp_rpc_call(request_rec *r, const anp_request *req, anp_answer *ans)
{
    apr_time_t deadline = apr_time_now() + req->timeout + ANP_ANSWER_GRACE;
    apr_size_t cap = frame_capacity(req);
    uint8_t *frame = apr_palloc(r->pool, cap);
    int env_dropped = 0, retry = 0;
    apr_status_t rv;
    long len;

    memset(ans, 0, sizeof(*ans));
    len = encode_request(frame, cap, req, &env_dropped);
    if (len < 0) {
        anp_wipe(frame, cap);
        ans->reason = apr_psprintf(r->pool, "cannot encode the request (codec result %ld): a user name, "
                                   "handler spec or Require argument is over the protocol's limits", len);
        return APR_EGENERAL;
    }
    if (env_dropped) {
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r,
                      ANPLOGNO(0402) "%d environ entries did not fit in the request and were left out", env_dropped);
    }
    rv = attempt(r, frame, (apr_size_t)len, req->kind, deadline, 0, ans, &retry);
    if (rv != APR_SUCCESS && retry) {
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r,
                      ANPLOGNO(0403) "a pooled connection was closed (%s); trying once on a new one", ans->reason);
        memset(ans, 0, sizeof(*ans));
        rv = attempt(r, frame, (apr_size_t)len, req->kind, deadline, 1, ans, &retry);
    }
    anp_wipe(frame, (apr_size_t)len);
    return rv;
}
