/*
 * grant_key.h: the keyed digest that finds a kept grant, shared by the per-child grant cache
 * (grant_cache.h) and the children's shared store (shared_cache.h).
 *
 * Both hash everything that decides the request the module would send, password included (only hashed,
 * never kept). They differ where a part means something only inside one child: the per-child form hashes
 * the handler ids (this child's numbering) and NodeAuthCacheSeconds; the shared form hashes the handlers'
 * spec texts instead (the same in every child) and no window, as a stamp, not a window, decides how long
 * its grant answers. Each form starts with a domain string of its own, so no digest of one is ever one of
 * the other.
 */
#ifndef ANP_GRANT_KEY_H
#define ANP_GRANT_KEY_H

#include "anp_siphash.h"
#include "grant_cache.h"

typedef enum {
    ANP_GRANT_KEY_CHILD,    /* the grant cache: handler ids and seconds */
    ANP_GRANT_KEY_SHARED    /* the shared store: handler spec texts */
} anp_grant_key_form;

/* The digest of `parts` under `key`, in `form`. */
void anp_grant_key_digest(const unsigned char key[ANP_SIPHASH_KEY_LEN], anp_grant_key_form form,
                          const anp_grant_key_parts *parts, anp_grant_key *out);

#endif
