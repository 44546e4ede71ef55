/*
 * mod_authnz_node.h: what every part of the module shares: the module record and the log message ids.
 *
 * Each error log message starts with a stable id "ANPnnnn: " (like httpd's APLOGNO) so that
 * administrators and tests can grep for one message without depending on its wording.
 * Ranges: 01xx module/hooks (and the grant cache's child start), 02xx configuration, 03xx worker
 * supervision, 04xx connections and RPC, 05xx providers (and grant cache hits).
 */
#ifndef ANP_MOD_AUTHNZ_NODE_H
#define ANP_MOD_AUTHNZ_NODE_H

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
