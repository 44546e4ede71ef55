/*
 * shared_cache_socache.h: the hooks of the shmcb form of the children's shared store (shared_cache_socache.c),
 * a bench-only build (the mod_authnz_node_socache target, ANP_SHARED_SOCACHE) that keeps the same entries in
 * mod_socache's shmcb behind a global mutex, to measure against the lock-free store of shared_cache.c.
 */
#ifndef ANP_SHARED_CACHE_SOCACHE_H
#define ANP_SHARED_CACHE_SOCACHE_H

#include "apr_pools.h"

/* Registers this form's pre_config (the mutex type) and child_init (reopen the mutex) hooks. */
void anp_shared_cache_socache_register_hooks(apr_pool_t *p);

#endif
