/*
 * worker_env.h: the worker's environment, an allowlist: httpd's environment is set by whoever starts
 * httpd and may hold anything (NODE_OPTIONS would make node load code before the worker's own).
 */
#ifndef ANP_WORKER_ENV_H
#define ANP_WORKER_ENV_H

#include "apr_pools.h"

#include "config.h"

/* The worker's environment: PATH, LANG, LC_*, TZ from httpd's, plus NodeAuthWorkerEnv names; NULL-terminated. */
const char *const *anp_worker_environ(apr_pool_t *p, const anp_server_conf *conf);

#endif
