/*
 * bootstrap.h: the BOOTSTRAP frame httpd's parent writes to each worker it starts (docs/protocol.md,
 * "Bootstrap"): this generation's key, the handler specs the configuration can produce, the secrets.
 */
#ifndef ANP_BOOTSTRAP_H
#define ANP_BOOTSTRAP_H

#include "httpd.h"
#include "worker_inputs.h"

typedef struct anp_bootstrap anp_bootstrap;

/*
 * post_config: encodes the frame once for the generation, in pconf (its restarts send the same frame;
 * the secrets in it are wiped when pconf goes). Returns NULL after logging why (the start fails).
 */
anp_bootstrap *anp_bootstrap_make(apr_pool_t *pconf, server_rec *s, const unsigned char *key,
                                  const anp_worker_inputs *inputs);

/*
 * At each spawn, before fork: a socketpair holding the whole frame, written without blocking. Returns
 * the worker's end (to become its --bootstrap-fd) and closes the parent's, so the worker reads the frame
 * then end of file; or -1 after logging why (that spawn fails). Both ends are close-on-exec.
 */
int anp_bootstrap_channel(const anp_bootstrap *b, server_rec *s);

/*
 * child_init, in each of httpd's children: wipes the frame, which only the parent sends. The children got it
 * with the parent's memory; code running inside a child (mod_php, mod_perl, an embedded interpreter) runs as
 * httpd's User and can read its own memory, and must find no secret there. The generation key the children
 * need for the handshake is kept elsewhere (generation.c).
 */
void anp_bootstrap_forget(anp_bootstrap *b);

#endif
