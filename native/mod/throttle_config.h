/*
 * throttle_config.h: the brute-force directives (NodeAuthThrottle*, NodeAuthHashQueue), checked at
 * configtest and handed to the worker as its flags. The worker holds every lockout decision
 * (docs/module.md, "Brute-force protection"); the module only carries the settings there.
 *
 * They are global (main server only): the worker is one per httpd, and so is its throttle. Only the
 * directives a configuration sets become flags; the worker's defaults (the same as docs/module.md's)
 * apply to the rest, so that a default lives in one place.
 */
#ifndef ANP_THROTTLE_CONFIG_H
#define ANP_THROTTLE_CONFIG_H

#include "httpd.h"
#include "http_config.h"
#include "apr_tables.h"

const char *anp_throttle_set_onoff(cmd_parms *cmd, void *dummy, int on);
const char *anp_throttle_set_number(cmd_parms *cmd, void *dummy, const char *value);
const char *anp_throttle_set_backoff(cmd_parms *cmd, void *dummy, const char *first, const char *max);
const char *anp_throttle_add_exempt(cmd_parms *cmd, void *dummy, const char *cidr);

/* Appends the flags the configuration set (flag, value, ...) to the worker's argv. */
void anp_throttle_push_flags(apr_array_header_t *argv, const apr_table_t *flags);

/* Whether a NodeAuthWorkerArgs argument (up to its '=') is one of these flags: the directives own them. */
const char *anp_throttle_owned_flag(const char *arg, apr_size_t len);

#define ANP_THROTTLE_DIRECTIVES                                                                                  \
    AP_INIT_FLAG("NodeAuthThrottle", anp_throttle_set_onoff, NULL, RSRC_CONF,                                   \
                 "The worker's throttle of failed Basic logins per client address and per (user, address): "    \
                 "past a limit, HTTP 429 with Retry-After and no hashing (default On)"),                          \
    AP_INIT_TAKE1("NodeAuthThrottleAddressLimit", anp_throttle_set_number, NULL, RSRC_CONF,                     \
                  "Failed logins from one client address within the window before it is throttled "            \
                  "(1 to 1000000, default 100)"),                                                                 \
    AP_INIT_TAKE1("NodeAuthThrottlePairLimit", anp_throttle_set_number, NULL, RSRC_CONF,                        \
                  "Failed logins for one user from one address within the window before that pair is "         \
                  "throttled (1 to 1000000, default 10)"),                                                        \
    AP_INIT_TAKE1("NodeAuthThrottleUserLimit", anp_throttle_set_number, NULL, RSRC_CONF,                        \
                  "Failed logins for one user from all addresses before the user is throttled everywhere "     \
                  "(0 to 1000000, default 0: off, as it lets anyone lock the owner out)"),                       \
    AP_INIT_TAKE2("NodeAuthThrottleBackoff", anp_throttle_set_backoff, NULL, RSRC_CONF,                         \
                  "FIRST MAX: seconds of the first block, doubled by each failure after a block up to MAX "    \
                  "(1 <= FIRST <= MAX <= 86400, default 10 900)"),                                                \
    AP_INIT_TAKE1("NodeAuthThrottleWindow", anp_throttle_set_number, NULL, RSRC_CONF,                           \
                  "Seconds within which failures count, and after which a quiet key is forgotten "              \
                  "(1 to 86400, default 900)"),                                                                   \
    AP_INIT_ITERATE("NodeAuthThrottleExempt", anp_throttle_add_exempt, NULL, RSRC_CONF,                         \
                    "Client addresses never throttled: IPv4 or IPv6 addresses or CIDR blocks (default none)"),   \
    AP_INIT_TAKE1("NodeAuthHashQueue", anp_throttle_set_number, NULL, RSRC_CONF,                                \
                  "Password hashes one client address may have waiting in the worker before it is answered " \
                  "at once with 429 (1 to 1024, default 8)")

#endif
