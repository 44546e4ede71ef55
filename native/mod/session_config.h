/*
 * session_config.h: the directives of AuthType DjangoSession, checked at configtest and merged per
 * directory like the module's other per-directory settings (an inner section inherits what it does
 * not set). session_hook.c reads them at request time.
 */
#ifndef ANP_SESSION_CONFIG_H
#define ANP_SESSION_CONFIG_H

#include "httpd.h"
#include "http_config.h"

#include "config.h"

/* The AuthType this module answers with the session cookie. */
#define ANP_AUTH_TYPE_SESSION "DjangoSession"

/* Django's SESSION_COOKIE_NAME default, when the section sets no session_cookie_name option. */
#define ANP_DEFAULT_SESSION_COOKIE "sessionid"

/* The longest NodeAuthSessionLoginURL and trusted origin accepted. */
#define ANP_MAX_LOGIN_URL 2048
#define ANP_MAX_ORIGIN 512

void anp_session_conf_init(anp_dir_conf *conf);
void anp_session_conf_merge(apr_pool_t *p, const anp_dir_conf *base, const anp_dir_conf *add, anp_dir_conf *conf);

/* In effect for a directory. */
int anp_session_deny_status(const anp_dir_conf *conf);
int anp_session_basic_fallback(const anp_dir_conf *conf);
int anp_session_cache(const anp_dir_conf *conf);

/* Whether the origin of a request's Origin header, or of its Referer (scheme://host[:port] and anything
 * after it, which is ignored), is one of conf's trusted origins; scheme and host compare without case,
 * a default port equal to none. */
int anp_session_origin_trusted(apr_pool_t *p, const anp_dir_conf *conf, const char *origin, apr_size_t len);

const char *anp_session_set_login_url(cmd_parms *cmd, void *dconf, const char *url);
const char *anp_session_set_deny_status(cmd_parms *cmd, void *dconf, const char *value);
const char *anp_session_set_basic_fallback(cmd_parms *cmd, void *dconf, int on);
const char *anp_session_add_origin(cmd_parms *cmd, void *dconf, const char *origin);
const char *anp_session_set_cache(cmd_parms *cmd, void *dconf, int on);

#define ANP_SESSION_DIRECTIVES                                                                                  \
    AP_INIT_TAKE1("NodeAuthSessionLoginURL", anp_session_set_login_url, NULL, ACCESS_CONF,                      \
                  "AuthType DjangoSession: where a GET or HEAD without a valid session is sent (302), with "     \
                  "next=<the path asked for> as Django's redirect_to_login writes it: a path (/accounts/login/) " \
                  "or an absolute http:// or https:// URL (default: none, answer 401 or 403)"),                    \
    AP_INIT_TAKE1("NodeAuthSessionDenyStatus", anp_session_set_deny_status, NULL, ACCESS_CONF,                  \
                  "AuthType DjangoSession: the status of a request without a valid session that is not "         \
                  "redirected to the login URL: 401 or 403 (default 401)"),                                       \
    AP_INIT_FLAG("NodeAuthSessionBasicFallback", anp_session_set_basic_fallback, NULL, ACCESS_CONF,             \
                 "AuthType DjangoSession: a request with Authorization: Basic is checked as Basic by this "       \
                 "section's handler instead of by its session cookie (default off)"),                             \
    AP_INIT_ITERATE("NodeAuthSessionTrustedOrigins", anp_session_add_origin, NULL, ACCESS_CONF,                 \
                    "AuthType DjangoSession: origins (scheme://host[:port]) whose pages may send non-safe "      \
                    "requests (other than GET, HEAD, OPTIONS, PROPFIND) with the session, like Django's "         \
                    "CSRF_TRUSTED_ORIGINS; such a request from anywhere else, or without Origin or Referer, is " \
                    "refused with 403 (default none)"),                                                            \
    AP_INIT_FLAG("NodeAuthSessionCache", anp_session_set_cache, NULL, ACCESS_CONF,                              \
                 "AuthType DjangoSession: the grant cache (NodeAuthCacheSeconds) may keep session grants, "       \
                 "keyed by the cookie value; a logout is then seen up to that many seconds late (default off)")

#endif
