/*
 * providers.h: the authn and authz providers httpd calls.
 *
 *   authn "node"             AuthBasicProvider node (check_password), AuthDigestProvider node (get_realm_hash)
 *   authz "node-group"       Require node-group <group>...   (ap_expr allowed, like Require group)
 *   authz "group"            the same provider under mod_authz_groupfile's name, for configurations written
 *                            for mod_wsgi; the module loaded last owns the name (see docs/module.md)
 *   authz "node-permission"  Require node-permission <app_label.codename>...
 *
 * Any failure (no handler configured, worker down, timeout, ERROR answer, unreadable answer) is
 * AUTH_GENERAL_ERROR / AUTHZ_GENERAL_ERROR: HTTP 500, never a grant.
 */
#ifndef ANP_PROVIDERS_H
#define ANP_PROVIDERS_H

#include "httpd.h"
#include "mod_auth.h"

#define ANP_PROVIDER_AUTHN "node"
#define ANP_PROVIDER_GROUP "node-group"
#define ANP_PROVIDER_GROUP_ALIAS "group"
#define ANP_PROVIDER_PERMISSION "node-permission"

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

/* The "node" authn provider's record, as mod_auth_basic caches it in its provider list. */
const authn_provider *anp_authn_node_provider(void);

/* register_hooks: registers every provider (AP_AUTH_INTERNAL_PER_CONF). */
void anp_register_providers(apr_pool_t *p);

/* Logs which module answers `Require group`, and what that means when mod_authz_groupfile is loaded too. */
void anp_log_group_owner(server_rec *s, int to_console);

#endif
