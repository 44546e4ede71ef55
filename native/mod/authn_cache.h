/*
 * authn_cache.h: what the module hands to mod_authn_socache's store (AuthnCacheProvideFor node), as
 * httpd's own authn providers do, when mod_authn_socache is loaded.
 *
 *   Digest  the HA1 the worker gave (GET_REALM_HASH answered GRANTED), as it is.
 *   Basic   a GRANTED password check answered by the worker: a bcrypt hash (APR's $2y$, cost 4, a fresh
 *           random salt) of the password, which mod_authn_socache checks later passwords against with
 *           apr_password_validate. Never DENIED, USER_NOT_FOUND, errors, a user the handler renamed
 *           (a cache hit could not rename it), a password bcrypt would cut (over 72 bytes), nor an
 *           answer that came from the module's own grant cache (it would stretch that window).
 *
 * Hashing costs about a millisecond of the child's CPU, so it is done only when some section of the
 * configuration names node in AuthnCacheProvideFor (conf_tree.c); mod_authn_socache itself then decides
 * whether this request's section caches for node. Any failure (no random salt, bcrypt refusing) stores
 * nothing: the next request asks the worker, as without the cache.
 */
#ifndef ANP_AUTHN_CACHE_H
#define ANP_AUTHN_CACHE_H

#include "httpd.h"

/* bcrypt uses only the first 72 bytes of a password: a longer one is never offered to the cache. */
#define ANP_AUTHN_CACHE_MAX_PASSWORD 72

/* register_hooks: fetch mod_authn_socache's store once the modules are loaded. */
void anp_authn_cache_register(apr_pool_t *p);

/* post_config of each generation, before the children fork: whether Basic grants are worth hashing. */
void anp_authn_cache_configure(int basic_wanted);

void anp_authn_cache_basic(request_rec *r, const char *user, const char *password);
void anp_authn_cache_digest(request_rec *r, const char *user, const char *realm, const char *hash);

#endif
