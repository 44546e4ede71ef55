/*
 * environ.h: the CGI-style environ a check carries to a script handler (mod_wsgi gives auth scripts the
 * same), as ENV "KEY=VALUE" entries; handlers that do not read it (the Django handler) get none.
 * Credentials never travel in it: Authorization, Proxy-Authorization and Cookie are left out.
 */
#ifndef ANP_ENVIRON_H
#define ANP_ENVIRON_H

#include "httpd.h"
#include "apr_tables.h"

/* The entries (const char *, "KEY=VALUE") for r; location is the per-dir config's path (may be NULL). */
apr_array_header_t *anp_build_environ(request_rec *r, const char *location);

#endif
