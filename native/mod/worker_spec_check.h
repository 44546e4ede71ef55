/*
 * worker_spec_check.h: would the worker accept every handler spec of this configuration?
 *
 * The worker is the one authority on what a spec may say (a Django option's values, a database URL, a
 * script path it can resolve). Rather than a second copy of those rules in C, httpd's parent asks the
 * worker itself, at apache2 -t and at each start: it runs `node <worker> --check-specs --bootstrap-fd 4`
 * as the worker's user with the BOOTSTRAP frame a worker would get, and the worker makes each spec as a
 * request would, then prints what it refuses, in the words a request's ERROR would carry. So nothing the
 * worker would refuse is found for the first time when a request arrives.
 */
#ifndef ANP_WORKER_SPEC_CHECK_H
#define ANP_WORKER_SPEC_CHECK_H

#include "httpd.h"

#include "worker_access.h"

/*
 * Runs the worker's spec check for every spec the configuration of s (and its virtual hosts) can produce.
 * Returns NULL when the worker accepts them all, else a message: the worker's lines, or why the check
 * could not run (any failure to check is a refusal).
 */
const char *anp_worker_spec_check(apr_pool_t *p, server_rec *s, const anp_access_user *who, const char *node_binary,
                                  const char *worker_script, const char *const *envp);

#endif
