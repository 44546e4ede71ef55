/*
 * throttle_log.h: the one log line of a lockout decision (ANP0522), written when the worker answers a
 * password check THROTTLED, whether the module answers it with 429 (throttle_hook.c) or 401 (the
 * provider, when node is not the first AuthBasicProvider).
 */
#ifndef ANP_THROTTLE_LOG_H
#define ANP_THROTTLE_LOG_H

#include "httpd.h"

/*
 * Logs, at warning level so that the default LogLevel keeps it:
 *   ANP0522: client <ip> locked out: user '<user>', reason '<reason>', until <ISO 8601 UTC> (Retry-After N), answered <status>
 * The client comes first, right after the id, so a fail2ban filter anchored there (`ANP0522: client <HOST> `)
 * cannot be steered by a user name. User and reason are escaped; the password is never in it.
 */
void anp_throttle_log(request_rec *r, const char *user, const char *reason, apr_uint32_t retry_after, int answered);

#endif
