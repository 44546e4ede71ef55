/*
 * worker_supervisor.h: the Node worker's life, in httpd's parent process.
 *
 * One worker per httpd generation: started in post_config (never under -t, never in the first
 * configuration pass), restarted with a growing delay when it dies, and stopped by the pconf cleanup
 * that runs on every graceful restart and stop, so the next generation starts exactly one new one.
 */
#ifndef ANP_WORKER_SUPERVISOR_H
#define ANP_WORKER_SUPERVISOR_H

#include <sys/types.h>

#include "httpd.h"

/*
 * The socket path of this generation. Set in post_config, before the MPM forks its children, so every
 * child reads the same value; NULL before that.
 */
const char *anp_worker_socket_path(void);

/* This generation's key, ANP_GENERATION_KEY_LEN bytes, drawn with apr_generate_random_bytes in
 * post_config before the MPM forks (children inherit it in memory); NULL before. */
const unsigned char *anp_generation_key(void);

/* The worker the parent runs now: returns 1 and sets *pid and *uid, or 0 when none runs. Readable from
 * the children (anonymous shared memory the parent makes in post_config and updates at each spawn). */
int anp_worker_identity(pid_t *pid, uid_t *uid);

/* In each httpd child: closes what of the parent's supervision a child must not hold (the heartbeat
 * pipe's read end: code in a child could drain the beats and have the parent kill a healthy worker). */
void anp_worker_child_init(void);

/* httpd's monitor hook: kills a worker whose heartbeat is older than NodeAuthWorkerHeartbeat. */
int anp_worker_monitor(apr_pool_t *p, server_rec *s);

/* Whether the worker's user (NodeAuthWorkerUser, else httpd's User) can execute NodeAuthNodeBinary and read
 * NodeAuthWorker and the package it loads, asked as that user; logs ANP0342 naming the user and the path
 * component that blocks it, and returns 0, when not. For check_config, so that -t refuses it too. */
int anp_worker_access_verified(apr_pool_t *ptemp, server_rec *s);

/* Starts the worker (post_config, second pass). Returns OK, or a non-OK status that aborts the start. */
int anp_worker_start(apr_pool_t *pconf, apr_pool_t *ptemp, server_rec *s);

#endif
