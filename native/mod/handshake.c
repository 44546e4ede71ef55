/*
 * handshake.c: the peer check and HELLO of a new connection, see handshake.h.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* struct ucred */
#endif
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "httpd.h"
#include "apr_strings.h"
#include "http_log.h"

#include "anp_private.h"
#include "anp_protocol.h"
#include "handshake.h"
#include "handshake_proof.h"
#include "worker_supervisor.h"

int anp_handshake_peer(const anp_conn *conn, apr_pool_t *p, const char **reason)
{
    struct ucred cred;
    socklen_t len = sizeof(cred);
    pid_t pid;
    uid_t uid;

    if (!anp_worker_identity(&pid, &uid)) {
        *reason = "no worker is running now (httpd's parent has not started it, or it is restarting)";
        return ANP_PEER_NO_WORKER;
    }
    if (getsockopt(conn->fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0 || len != sizeof(cred)) {
        *reason = apr_psprintf(p, "cannot read who listens on the worker's socket (SO_PEERCRED): %s", strerror(errno));
        return ANP_PEER_UNKNOWN;
    }
    if (cred.uid != uid || cred.pid != pid) {
        *reason = apr_psprintf(p, "the process listening on the worker's socket is uid %ld pid %ld, not the "
                               "worker httpd's parent started (uid %ld pid %ld)", (long)cred.uid, (long)cred.pid,
                               (long)uid, (long)pid);
        return ANP_PEER_OTHER;
    }
    return ANP_PEER_OK;
}

void anp_handshake_peer_log(request_rec *r, int verdict, const char *reason)
{
    switch (verdict) {
    case ANP_PEER_NO_WORKER:
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, ANPLOGNO(0411) "%s; nothing was sent", reason);
        break;
    case ANP_PEER_UNKNOWN:
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, ANPLOGNO(0412) "%s; nothing was sent", reason);
        break;
    case ANP_PEER_OTHER:
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, ANPLOGNO(0410) "%s; nothing was sent", reason);
        break;
    default:
        break;
    }
}

static int answer_granted(const anp_message *msg)
{
    const anp_field *f = anp_find(msg, ANP_TAG_STATUS);
    uint8_t status = 0;
    return f && anp_field_u8(f, &status) == ANP_OK && status == ANP_STATUS_GRANTED;
}

/* Checks the worker's PROOF over both nonces and keeps the AUTH frame for the first request. */
static int prove(request_rec *r, anp_conn *conn, const anp_message *msg, const unsigned char *n_m,
                 const char **reason)
{
    const unsigned char *key = anp_generation_key();
    const anp_field *n_w = anp_find(msg, ANP_TAG_NONCE), *proof = anp_find(msg, ANP_TAG_PROOF);
    unsigned char expected[ANP_HS_PROOF_LEN], mine[ANP_HS_PROOF_LEN];
    anp_writer w;
    long len;
    int ok;

    if (!key) {
        *reason = "this child has no generation key, so it cannot check the worker";
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, ANPLOGNO(0414) "%s", *reason);
        return 0;
    }
    /* The codec holds NONCE and PROOF to their 16 bytes; a missing one is a worker without the key. */
    ok = n_w && proof && n_w->len == ANP_HS_NONCE_LEN && proof->len == ANP_HS_PROOF_LEN;
    if (ok) {
        anp_proof_worker(key, n_m, n_w->value, expected);
        ok = anp_proof_equal(expected, proof->value);
    }
    if (!ok) {
        *reason = "the worker did not prove this generation's key in its HELLO answer";
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, ANPLOGNO(0413) "%s; not sending anything more", *reason);
        return 0;
    }
    anp_proof_module(key, n_w->value, n_m, mine);
    anp_writer_init(&w, conn->auth, sizeof(conn->auth), ANP_KIND_AUTH, 0);
    anp_put_field(&w, ANP_TAG_PROOF, mine, sizeof(mine));
    len = anp_writer_finish(&w);
    anp_wipe(mine, sizeof(mine));
    if (len < 0) {
        *reason = "cannot encode AUTH";
        return 0;
    }
    conn->auth_len = (apr_size_t)len;
    return 1;
}

int anp_handshake_hello(request_rec *r, anp_conn *conn, apr_time_t deadline, const char **reason)
{
    static const char *closed = "the worker closed the connection during HELLO (is this uid trusted by the worker?)";
    anp_message *msg = apr_palloc(r->pool, sizeof(*msg));
    unsigned char n_m[ANP_HS_NONCE_LEN];
    uint8_t buf[64];
    anp_writer w;
    long len;
    apr_status_t rv;

    if ((rv = apr_generate_random_bytes(n_m, sizeof(n_m))) != APR_SUCCESS) {
        *reason = "cannot draw a nonce (apr_generate_random_bytes)";
        return 0;
    }
    anp_writer_init(&w, buf, sizeof(buf), ANP_KIND_HELLO, 0);
    anp_put_u16(&w, ANP_TAG_VERSION, ANP_PROTOCOL_VERSION);
    anp_put_field(&w, ANP_TAG_NONCE, n_m, sizeof(n_m));
    if ((len = anp_writer_finish(&w)) < 0) {
        *reason = "cannot encode HELLO";
        return 0;
    }
    rv = anp_conn_write(conn, buf, (apr_size_t)len, deadline, NULL);
    if (rv == APR_SUCCESS) {
        rv = anp_conn_read_frame(conn, deadline, r->pool, msg, reason);
    }
    else {
        *reason = rv == APR_TIMEUP ? "sending HELLO to the worker timed out" : closed;
    }
    if (rv != APR_SUCCESS) {
        *reason = rv == APR_EOF ? closed : *reason;
        return rv == APR_EOF ? -1 : 0;
    }
    if (msg->kind != (ANP_KIND_HELLO | ANP_ANSWER_BIT) || msg->request_id != 0 || !answer_granted(msg)) {
        *reason = apr_psprintf(r->pool, "the worker refused protocol version %d", ANP_PROTOCOL_VERSION);
        return 0;
    }
    return prove(r, conn, msg, n_m, reason);
}
