/*
 * handshake.h: what a new connection to the worker goes through before it carries a check
 * (docs/protocol.md, "Connection life"): who is listening, then HELLO with proofs both ways.
 *
 * Both steps log their own failures with their own ids (the check then fails with 500): a listener
 * that is not the supervised worker, or a worker that cannot prove the generation key, is what an
 * attacker who took over the socket looks like, and the administrator should see which it was.
 */
#ifndef ANP_HANDSHAKE_H
#define ANP_HANDSHAKE_H

#include "httpd.h"
#include "apr_time.h"

#include "conn.h"

/* What the peer check saw. */
#define ANP_PEER_OK 0
#define ANP_PEER_NO_WORKER 1  /* httpd's parent runs no worker now */
#define ANP_PEER_UNKNOWN 2    /* SO_PEERCRED failed */
#define ANP_PEER_OTHER 3      /* another process listens */

/*
 * SO_PEERCRED on the connected socket must show the uid and pid of the worker httpd's parent runs now
 * (anp_worker_identity()). Called before any byte is written. Returns ANP_PEER_OK, or another verdict
 * with *reason set. Not logged here: a worker that is restarting fails it for a moment (connections
 * queued on the listening socket before it listened again carry its predecessor's credentials), so the
 * caller tries again and logs only the verdict it gives up on.
 */
int anp_handshake_peer(const anp_conn *conn, apr_pool_t *p, const char **reason);

/* Logs a failed peer check with the id of its verdict (ANP0410-0412). */
void anp_handshake_peer_log(request_rec *r, int verdict, const char *reason);

/*
 * HELLO with VERSION and a fresh NONCE; the answer must be GRANTED with the worker's NONCE and a PROOF
 * of the generation key over both nonces. On success conn->auth holds the AUTH frame, which
 * anp_conn_write sends together with the first request. Returns 1; 0 on a refusal or a bad proof
 * (*reason set; a bad proof is logged); -1 when the connection closed before the answer (a worker
 * restarting: worth another try).
 */
int anp_handshake_hello(request_rec *r, anp_conn *conn, apr_time_t deadline, const char **reason);

#endif
