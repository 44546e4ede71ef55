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

#define ANP_PROVIDER_AUTHN "node"
#define ANP_PROVIDER_GROUP "node-group"
#define ANP_PROVIDER_GROUP_ALIAS "group"
#define ANP_PROVIDER_PERMISSION "node-permission"

/* register_hooks: registers every provider (AP_AUTH_INTERNAL_PER_CONF). */
void anp_register_providers(apr_pool_t *p);

/* Logs which module answers `Require group`, and what that means when mod_authz_groupfile is loaded too. */
void anp_log_group_owner(server_rec *s, int to_console);

#endif
