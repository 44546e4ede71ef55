/*
 * conn_pool.h: each httpd child's persistent Unix-socket connections to the worker.
 *
 * A mutex-guarded stack of idle connections, created empty in child_init: under mpm_event and
 * mpm_worker many threads share it, under mpm_prefork it holds at most one. A thread takes a
 * connection for one check and gives it back after reading the answer, so a connection never carries
 * two requests at once. Connections are plain non-blocking descriptors with poll() deadlines: APR 1.x
 * has no Unix-domain socket address, and poll gives one deadline for connect, write and read alike.
 */
#ifndef ANP_CONN_POOL_H
#define ANP_CONN_POOL_H

#include <stdint.h>

#include "httpd.h"
#include "apr_time.h"

typedef struct anp_conn anp_conn;
struct anp_conn {
    int fd;
    uint32_t next_id;   /* request ids on this connection: 1, 2, ...; 0 is HELLO's */
    anp_conn *next;     /* idle stack link */
};

/* child_init: makes the (empty) pool for this process. */
void anp_pool_child_init(apr_pool_t *pchild, server_rec *s);

/*
 * The most recently used idle connection, or NULL when there is none. It is not probed (that would cost
 * a poll() per check): one the worker closed while idle fails the send (EPIPE) or reads EOF before any
 * answer byte, and rpc.c then sends the check once more on a new connection.
 */
anp_conn *anp_pool_take(void);

/* Puts a healthy connection back for the next check. */
void anp_pool_give_back(anp_conn *conn);

/*
 * Connects to `path` before `deadline`. While the socket is missing or refuses (the worker is starting),
 * retries for at most ANP_CONNECT_RETRY_WINDOW. On failure returns NULL and sets *reason.
 */
anp_conn *anp_conn_connect(const char *path, apr_time_t deadline, apr_pool_t *p, const char **reason);

/* Closes and frees a connection (broken, or the process is exiting). */
void anp_conn_close(anp_conn *conn);

/* Writes all of buf before the deadline; APR_SUCCESS, APR_TIMEUP, or an errno (APR_EOF when closed). */
apr_status_t anp_conn_write(anp_conn *conn, const void *buf, apr_size_t len, apr_time_t deadline);

/*
 * Waits (poll) until the connection is readable, then reads whatever has arrived, at most cap bytes,
 * with one recv(). APR_SUCCESS with *got > 0; APR_EOF when the worker closed the connection; APR_TIMEUP
 * at the deadline. The caller frames the bytes: an answer that arrived whole costs one poll and one recv.
 */
apr_status_t anp_conn_recv(anp_conn *conn, void *buf, apr_size_t cap, apr_size_t *got, apr_time_t deadline);

#define ANP_CONNECT_RETRY_WINDOW apr_time_from_sec(5)

#endif
