/*
 * conf_tree.h: what the module reads from httpd's parsed configuration tree (ap_conftree) once httpd has
 * read it, in check_config (apache2 -t, and the first pass of a start) and in each generation's
 * post_config: things no directive handler of ours can see, because they are other modules' lines.
 *
 *   the RequireAny trap   a bare `Require group` / `node-group` / `node-permission` in the same section as a
 *                         bare `Require valid-user`: mod_authz_core makes the section's bare lines one
 *                         RequireAny, so every valid user is let in. Valid Apache, so a warning (ANP0108)
 *                         naming the file and line, never a refusal.
 *   socache for node      whether some section says `AuthnCacheProvideFor ... node ...`, so that a Basic
 *                         grant is worth hashing for mod_authn_socache (authn_cache.c).
 *
 * .htaccess files are not in the tree (httpd reads them per request), so neither is seen there.
 */
#ifndef ANP_CONF_TREE_H
#define ANP_CONF_TREE_H

#include "httpd.h"

/* Logs ANP0108 for each trap in the tree; to_console: to stderr (-t and the start's first pass), else to s. */
void anp_conf_tree_warn_traps(apr_pool_t *ptemp, server_rec *s, int to_console);

/* 1 when some section of the tree names the provider node in AuthnCacheProvideFor. */
int anp_conf_tree_caches_node(apr_pool_t *ptemp);

#endif
