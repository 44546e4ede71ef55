/*
 * conn.h: one Unix-socket connection to the worker: connect, write, read one frame, close.
 *
 * Connections are plain non-blocking descriptors with poll() deadlines: APR 1.x has no Unix-domain
 * socket address, and poll gives one deadline for write and read alike. Nothing here retries: a connect
 * that may succeed a moment later says so (*retryable), and rpc.c's one retry policy decides.
 */
#ifndef ANP_CONN_H
#define ANP_CONN_H

#include <stdint.h>

#include "httpd.h"
#include "apr_time.h"

#include "anp_protocol.h"

typedef struct anp_conn anp_conn;
struct anp_conn {
    int fd;
    uint32_t next_id;   /* request ids on this connection: 1, 2, ...; 0 is HELLO's */
    anp_conn *next;     /* idle stack link (conn_pool.c) */
    /* Bit n: the worker acknowledged handler id n on this connection (a non-ERROR answer to a request
     * that defined it), so requests name it without DEFINE_HANDLER. */
    unsigned char known_handlers[ANP_MAX_HANDLER_ID / 8 + 1];
    /* The AUTH frame of the handshake (handshake.c), not yet sent: anp_conn_write sends it in the same
     * write as the first request, so the handshake costs no round trip more than HELLO. */
    uint8_t auth[32];
    apr_size_t auth_len;
};

/* child_init: the socket path of this generation's worker, copied into pchild. NULL: every connect
 * fails (no worker was started). */
void anp_conn_child_init(apr_pool_t *pchild, const char *socket_path);

/*
 * One connect() to the worker's socket. On failure returns NULL, sets *reason and *retryable: 1 when
 * the socket is missing or refuses or its backlog is full (a worker starting, restarting or busy), so
 * trying again shortly may succeed.
 */
anp_conn *anp_conn_connect(apr_pool_t *p, const char **reason, int *retryable);

/* Closes and frees a connection (broken, or the process is exiting). NULL is ignored. */
void anp_conn_close(anp_conn *conn);

/*
 * Writes a pending AUTH frame and all of buf before the deadline; APR_SUCCESS, APR_TIMEUP, or an errno
 * (APR_EOF when closed). *wrote (when not NULL) is set to whether any byte of buf left: once one has,
 * the worker may be running the request, and it must not be sent again.
 */
apr_status_t anp_conn_write(anp_conn *conn, const void *buf, apr_size_t len, apr_time_t deadline, int *wrote);

/*
 * Whether an idle connection is known to be closed (or broken) already, before anything is written on
 * it: the worker closed it while it sat in the pool (a restart, a graceful stop). One poll() with no wait.
 */
int anp_conn_idle_closed(const anp_conn *conn);

/*
 * Reads exactly one frame and decodes it into *msg (values point into a buffer from p).
 * APR_SUCCESS; APR_EOF when the worker closed the connection before the first byte (a pooled connection
 * closed while idle); any other status with *reason set (timeout, a broken or malformed frame, bytes
 * after the frame). After anything but APR_SUCCESS the caller closes the connection.
 */
apr_status_t anp_conn_read_frame(anp_conn *conn, apr_time_t deadline, apr_pool_t *p, anp_message *msg,
                                 const char **reason);

/* Whether the worker acknowledged handler id `id` on this connection; marks it. */
int anp_conn_knows_handler(const anp_conn *conn, uint32_t id);
void anp_conn_learn_handler(anp_conn *conn, uint32_t id);

#endif
