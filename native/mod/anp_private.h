/*
 * anp_private.h: what every file of the module shares and nothing outside it may use (httpd's mod_ssl
 * calls its own ssl_private.h): the module record's declaration and the log message ids.
 *
 * Each error log message starts with a stable id "ANPnnnn: " (like httpd's APLOGNO) so that
 * administrators and tests can grep for one message without depending on its wording.
 * Ranges: 01xx module/hooks (and the grant cache's child start), 02xx configuration, 03xx worker
 * supervision, 04xx connections and RPC, 05xx providers, the fold and the grant cache's request-time
 * messages. docs/module.md lists them.
 */
#ifndef ANP_PRIVATE_H
#define ANP_PRIVATE_H

#include "httpd.h"
#include "http_config.h"

#define ANPLOGNO(n) "ANP" #n ": "

/* The module's name in logs and in r->notes. */
#define ANP_MODULE_NAME "mod_authnz_node"

extern module AP_MODULE_DECLARE_DATA authnz_node_module;

/* Every file but the one that declares the module record (AP_DECLARE_MODULE does it there) logs as us. */
#if defined(APLOG_USE_MODULE) && !defined(ANP_MODULE_RECORD)
APLOG_USE_MODULE(authnz_node);
#endif

#endif
