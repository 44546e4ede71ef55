/*
 * throttle_hook.h: HTTP 429 for a Basic password check the worker refuses unchecked (STATUS THROTTLED).
 *
 * An authn provider can only give 401 or 500, so the 429 comes from a check_authn hook of the module's
 * own that runs before mod_auth_basic's. It acts only where mod_auth_basic would ask node first (AuthType
 * Basic, credentials sent, "node" the section's first AuthBasicProvider): the check it runs is the one
 * mod_auth_basic would run, and the provider reuses its answer, so a request still costs one trip.
 */
#ifndef ANP_THROTTLE_HOOK_H
#define ANP_THROTTLE_HOOK_H

#include "httpd.h"
#include "mod_auth.h"

/* register_hooks: the check_authn hook (APR_HOOK_FIRST) and the post_config step that finds mod_auth_basic. */
void anp_register_throttle_hook(apr_pool_t *p);

/*
 * For AuthBasicProvider node: 1 with *status set when the hook already checked these very credentials
 * for this request (and then httpd's user is set again as the check left it); 0 when it did not.
 */
int anp_throttle_kept(request_rec *r, const char *user, const char *password, authn_status *status);

#endif
