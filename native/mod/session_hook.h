/*
 * session_hook.h: AuthType DjangoSession, a check_authn hook of the module's own.
 *
 * It acts only where the section's AuthType is DjangoSession. A request with Authorization: Basic goes
 * down the Basic path when NodeAuthSessionBasicFallback is on. Otherwise: a non-safe method must come
 * from a trusted origin (NodeAuthSessionTrustedOrigins) before anything else; the session cookie
 * (session_cookie_name, default sessionid) is read from the Cookie header (session_cookie.c) and its value
 * alone goes to the worker as CHECK_SESSION, with the section's groups, permissions and user flags folded
 * into the same trip. GRANTED sets r->user and AUTH_TYPE; no valid session redirects a GET or HEAD to
 * NodeAuthSessionLoginURL or answers 401 (403); anything else is 500.
 */
#ifndef ANP_SESSION_HOOK_H
#define ANP_SESSION_HOOK_H

#include "httpd.h"

/* register_hooks: the check_authn hook. */
void anp_register_session_hook(apr_pool_t *p);

#endif
