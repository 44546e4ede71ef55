/*
 * environ.h: the CGI-style environ a check carries to a script handler (mod_wsgi gives auth scripts the
 * same), as ENV "KEY=VALUE" entries; handlers that do not read it (the Django handler) get none.
 * Credentials never travel in it: Authorization, Proxy-Authorization and Cookie are left out.
 */
#ifndef ANP_ENVIRON_H
#define ANP_ENVIRON_H

#include "httpd.h"
#include "apr_tables.h"

/* The entries (const char *, "KEY=VALUE") for r; location is the per-dir config's path (may be NULL).
 * The module's own entries come first, then the request headers' (HTTP_*), whose names hold only
 * letters, digits and '-'. */
apr_array_header_t *anp_build_environ(request_rec *r, const char *location);

/* Whether an entry of anp_build_environ is the module's own (REMOTE_USER, AUTH_TYPE, ...), not a header's:
 * a check whose own entries do not fit its frame fails rather than go without them. */
int anp_environ_is_own(const char *entry);

#endif
