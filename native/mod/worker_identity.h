/*
 * worker_identity.h: this generation's key and the identity of the worker the parent runs now, set by the
 * parent (post_config, the supervisor) and read by the children through worker_supervisor.h.
 */
#ifndef ANP_WORKER_IDENTITY_H
#define ANP_WORKER_IDENTITY_H

#include <sys/types.h>

#include "httpd.h"

/* post_config, second pass, before the MPM forks: draws the key and makes the shared identity slot.
 * Returns 1, or 0 after logging why (the start fails). */
int anp_generation_init(apr_pool_t *pconf, server_rec *s);

/* The parent, at each spawn (pid > 0) and when the worker dies (pid 0). */
void anp_worker_identity_set(pid_t pid, uid_t uid);

#endif
