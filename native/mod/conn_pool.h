/*
 * conn_pool.h: each httpd child's idle connections to the worker.
 *
 * A mutex-guarded stack, created empty in child_init: under mpm_event and mpm_worker many threads share
 * it, under mpm_prefork it holds at most one. A thread takes a connection for one check and gives it
 * back after reading the answer, so a connection never carries two requests at once.
 */
#ifndef ANP_CONN_POOL_H
#define ANP_CONN_POOL_H

#include "httpd.h"

#include "conn.h"

/* child_init: makes the (empty) pool for this process. */
void anp_pool_child_init(apr_pool_t *pchild, server_rec *s);

/*
 * The most recently used idle connection, or NULL when there is none. rpc.c probes it before writing
 * (anp_conn_idle_closed): one the worker closed while idle is retried on a new connection, but only
 * while no byte of the check has been written.
 */
anp_conn *anp_pool_take(void);

/* Puts a healthy connection back for the next check. */
void anp_pool_give_back(anp_conn *conn);

#endif
