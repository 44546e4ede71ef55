/*
 * mod_authnz_node.c: the module record and its hooks.
 *
 * Apache httpd 2.4 authenticates and authorizes users against a Django project (or a handler script
 * written for mod_wsgi's WSGIAuthUserScript) by asking a supervised Node worker over a Unix socket.
 *
 *   register_hooks  providers (providers.c), the 429 hook (throttle_hook.c) and the hooks below
 *   check_config    under -t and at the first start: say who answers `Require group`, warn of each
 *                   bare `Require group` next to `Require valid-user` (conf_tree.c), and refuse a worker
 *                   its user cannot load (worker_access.c)
 *   post_config     the same warnings in the error log, whether mod_authn_socache caches for node
 *                   (authn_cache.c), and start the worker, once per generation, skipping the first
 *                   configuration pass
 *   child_init      each child's worker address (conn.c), connection pool (conn_pool.c) and handler ids
 *                   (handler_ids.c), and its grant cache (grant_cache.c) when some section sets
 *                   NodeAuthCacheSeconds above 0
 */
#define ANP_MODULE_RECORD
#include "httpd.h"
#include "http_config.h"
#include "http_core.h"
#include "http_log.h"
#include "http_main.h"
#include "ap_mpm.h"
#include "mpm_common.h"

#include "anp_private.h"
#include "authn_cache.h"
#include "conf_tree.h"
#include "config.h"
#include "conn.h"
#include "conn_pool.h"
#include "grant_cache.h"
#include "handler_ids.h"
#include "providers.h"
#include "session_hook.h"
#include "shared_cache.h"
#ifdef ANP_SHARED_SOCACHE
#include "shared_cache_socache.h"
#endif
#include "throttle_hook.h"
#include "worker_supervisor.h"

static int anp_check_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp, server_rec *s)
{
    (void)pconf;
    (void)plog;
    /* Only in the pass that -t stops after (and the first pass of a start): the message reaches the console. */
    if (ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_CREATE_PRE_CONFIG) {
        anp_log_group_owner(s, 1);
        anp_conf_tree_warn_traps(ptemp, s, 1);
        /* A worker its user cannot load would be restarted forever: -t refuses it as the start does. */
        if (!anp_worker_access_verified(ptemp, s)) {
            return HTTP_INTERNAL_SERVER_ERROR;
        }
    }
    return OK;
}

static int anp_post_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp, server_rec *s)
{
    (void)plog;
    /* httpd reads its configuration twice at startup; the first pass runs before it detaches, and a
     * worker started then would belong to a process that is about to exit. httpd's own state says which
     * pass this is: a flag kept in process->pool would also skip the first pass of a module that a
     * graceful restart loads into an httpd that already runs, and that pass is the only one it gets. */
    if (ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_CREATE_PRE_CONFIG
        || ap_state_query(AP_SQ_RUN_MODE) != AP_SQ_RM_NORMAL) {
        return OK;
    }
    anp_log_group_owner(s, 0);
    anp_conf_tree_warn_traps(ptemp, s, 0);
    anp_authn_cache_configure(anp_conf_tree_caches_node(ptemp));
    /* Only when asked for: without change_feed on, no store is made and requests take the usual path. */
    if (anp_config_change_feed_wanted(s) && !anp_shared_cache_make(pconf, s)) {
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    return anp_worker_start(pconf, ptemp, s);
}

static void anp_child_init(apr_pool_t *pchild, server_rec *s)
{
    /* The supervisor set this generation's socket path in post_config, before the MPM forked us. */
    anp_worker_child_init();
    anp_conn_child_init(pchild, anp_worker_socket_path());
    anp_pool_child_init(pchild, s);
    anp_handler_ids_child_init(pchild, s);
    /* Only when asked for: a configuration without NodeAuthCacheSeconds pays no memory for it. */
    if (anp_config_grant_cache_wanted(s)) {
        anp_grant_cache_child_init(pchild, s);
    }
}

static void anp_register_hooks(apr_pool_t *p)
{
    anp_register_providers(p);
    anp_register_throttle_hook(p);
    anp_register_session_hook(p);
    ap_hook_check_config(anp_check_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_post_config(anp_post_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_child_init(anp_child_init, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_monitor(anp_worker_monitor, NULL, NULL, APR_HOOK_MIDDLE);
#ifdef ANP_SHARED_SOCACHE
    /* The bench's shmcb build (shared_cache_socache.c): its mutex's hooks. */
    anp_shared_cache_socache_register_hooks(p);
#endif
}

AP_DECLARE_MODULE(authnz_node) = {
    STANDARD20_MODULE_STUFF,
    anp_create_dir_conf,
    anp_merge_dir_conf,
    anp_create_server_conf,
    anp_merge_server_conf,
    anp_directives,
    anp_register_hooks,
#if defined(AP_MODULE_FLAG_ALWAYS_MERGE)
    AP_MODULE_FLAG_NONE
#endif
};
