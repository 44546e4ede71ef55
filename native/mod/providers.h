/*
 * providers.h: the authn and authz providers httpd calls.
 *
 *   authn "node"             AuthBasicProvider node (check_password), AuthDigestProvider node (get_realm_hash)
 *   authz "node-group"       Require node-group <group>...   (ap_expr allowed, like Require group)
 *   authz "group"            the same provider under mod_authz_groupfile's name, for configurations written
 *                            for mod_wsgi; the module loaded last owns the name (see docs/module.md)
 *   authz "node-permission"  Require node-permission <app_label.codename>...
 *   authz "node-staff"       Require node-staff: Django's is_staff, from the user's own check (USER_FLAGS)
 *   authz "node-superuser"   Require node-superuser: is_superuser, the same way
 *
 * Any failure (no handler configured, worker down, timeout, ERROR answer, unreadable answer) is
 * AUTH_GENERAL_ERROR / AUTHZ_GENERAL_ERROR: HTTP 500, never a grant.
 */
#ifndef ANP_PROVIDERS_H
#define ANP_PROVIDERS_H

#include "httpd.h"
#include "mod_auth.h"

#include "config.h"
#include "grant_cache.h"
#include "request.h"

#define ANP_PROVIDER_AUTHN "node"
#define ANP_PROVIDER_GROUP "node-group"
#define ANP_PROVIDER_GROUP_ALIAS "group"
#define ANP_PROVIDER_PERMISSION "node-permission"
#define ANP_PROVIDER_STAFF "node-staff"
#define ANP_PROVIDER_SUPERUSER "node-superuser"

/* A password check the worker refused unchecked (STATUS THROTTLED): retry_after 0 when it was not. */
typedef struct {
    apr_uint32_t retry_after;   /* RETRY_AFTER, 1..86400 seconds */
    const char *reason;         /* the worker's REASON, e.g. "throttled: pair" */
    int scope;                  /* THROTTLE_SCOPE (ANP_THROTTLE_SCOPE_*), 0 when the answer named none */
} anp_throttled;

/*
 * The node check of a Basic password, as AuthBasicProvider node and the 429 hook run it: the grant
 * cache, then one trip to the worker. THROTTLED comes back as AUTH_DENIED with thr->retry_after set;
 * what to answer (401 or 429) and the lockout log line are the caller's.
 */
authn_status anp_node_check_password(request_rec *r, const char *user, const char *password, anp_throttled *thr);

/*
 * What a GRANTED check leaves for the rest of the request (r->user renamed when the handler named the
 * user differently, the folded groups, permissions and flags); the session hook uses it too.
 */
authn_status anp_node_granted(request_rec *r, const anp_request *req, const char *renamed,
                              const apr_array_header_t *groups, const apr_array_header_t *held, int user_flags);

/*
 * The grant cache's part of a check (NodeAuthCacheSeconds > 0): 1 when it holds a live grant for these
 * credentials or this session key (then the check is granted from it); otherwise 0, with *key and
 * *asked_at set for storing the worker's answer (*asked_at 0: do not store).
 */
int anp_node_granted_from_cache(request_rec *r, const anp_dir_conf *conf, const anp_request *req,
                                anp_grant_key *key, apr_time_t *asked_at);

/*
 * The shared store's part of a check (change_feed on, shared_cache.h), asked before the grant cache: 1 when it
 * holds a current stamped grant for these credentials or this session key (then the check is granted from
 * it); otherwise 0, with *have_key saying whether *key may store the worker's stamped grant afterwards.
 */
int anp_node_granted_from_shared(request_rec *r, const anp_dir_conf *conf, const anp_request *req,
                                 anp_grant_key *key, int *have_key);

/* The "node" authn provider's record, as mod_auth_basic caches it in its provider list. */
const authn_provider *anp_authn_node_provider(void);

/* register_hooks: registers every provider (AP_AUTH_INTERNAL_PER_CONF). */
void anp_register_providers(apr_pool_t *p);

/* Logs which module answers `Require group`, and what that means when mod_authz_groupfile is loaded too. */
void anp_log_group_owner(server_rec *s, int to_console);

#endif
