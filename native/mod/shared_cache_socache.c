/*
 * shared_cache_socache.c: the children's shared store of stamped grants (the interface of shared_cache.h)
 * kept in mod_socache's shmcb provider instead of the lock-free store of anp_verdict_store.c. Built only as
 * the bench's mod_authnz_node_socache (never installed), to measure one against the other; needs
 * `LoadModule socache_shmcb_module`.
 *
 * shmcb is not safe for several processes at once (AP_SOCACHE_FLAG_NOTMPSAFE), so, as httpd's own users of a
 * socache do, every store and retrieve holds a global mutex of type "anp-shmcb" (the Mutex directive can set
 * its mechanism). The value kept is the anp_kept_grant up to its payload's end; shmcb drops it at
 * written + NodeAuthSharedCacheMaxAge, and shared_judge.c judges what comes back, as shared_cache.c does.
 *
 * Log ids: ANP0113-0117 (post_config, child_init).
 */
#include <stddef.h>
#include <string.h>

#include "httpd.h"
#include "ap_provider.h"
#include "ap_socache.h"
#include "apr_general.h"
#include "apr_strings.h"
#include "apr_global_mutex.h"
#include "http_config.h"
#include "http_log.h"
#include "util_mutex.h"

#include "anp_protocol.h" /* anp_wipe */
#include "anp_siphash.h"
#include "anp_verdict_store.h"
#include "anp_private.h"
#include "config.h"
#include "generations_file.h"
#include "grant_key.h"
#include "grant_payload.h"
#include "shared_cache.h"
#include "shared_cache_socache.h"
#include "shared_judge.h"

#define ANP_SOCACHE_MUTEX "anp-shmcb"
/* The consumer's name shmcb may put in a file name: at most 16 characters. */
#define ANP_SOCACHE_NAME "anp-grants"

/* Set in post_config before any fork; a child only reopens the mutex. */
static const ap_socache_provider_t *provider;
static ap_socache_instance_t *instance;
static apr_global_mutex_t *mutex;
static server_rec *main_server;
static unsigned char store_key[ANP_SIPHASH_KEY_LEN];
static uint64_t max_age_ns;
static apr_time_t max_age;

static apr_status_t forget_store(void *data)
{
    (void)data;
    if (instance) {
        provider->destroy(instance, main_server);
    }
    instance = NULL;
    mutex = NULL;
    anp_wipe(store_key, sizeof(store_key));
    return APR_SUCCESS;
}

/* The Mutex directive may only name types registered before the configuration is read. */
static int register_mutex(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp)
{
    (void)plog;
    (void)ptemp;
    return ap_mutex_register(pconf, ANP_SOCACHE_MUTEX, NULL, APR_LOCK_DEFAULT, 0) == APR_SUCCESS
               ? OK : HTTP_INTERNAL_SERVER_ERROR;
}

static void reopen_mutex(apr_pool_t *pchild, server_rec *s)
{
    apr_status_t rv;

    if (!mutex) {
        return;
    }
    rv = apr_global_mutex_child_init(&mutex, apr_global_mutex_lockfile(mutex), pchild);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s, ANPLOGNO(0117) "cannot reopen the shmcb store's mutex "
                     "in this child: the shared store is off here");
        instance = NULL;
    }
}

void anp_shared_cache_socache_register_hooks(apr_pool_t *p)
{
    (void)p;
    ap_hook_pre_config(register_mutex, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_child_init(reopen_mutex, NULL, NULL, APR_HOOK_MIDDLE);
}

/* shmcb's region: a file name it may use (it prefers an anonymous region) and a size in bytes, for
 * `entries` values of at most sizeof(anp_kept_grant) with their 16-byte ids and shmcb's own index. */
static const char *shmcb_arg(apr_pool_t *p, apr_uint32_t entries)
{
    apr_size_t bytes = (apr_size_t)entries * (sizeof(anp_kept_grant) + ANP_VERDICT_KEY_LEN + 64);

    return apr_psprintf(p, "%s(%" APR_SIZE_T_FMT ")", ap_runtime_dir_relative(p, "anp-shmcb"), bytes);
}

static int make_instance(apr_pool_t *pconf, server_rec *s, apr_uint32_t entries)
{
    struct ap_socache_hints hints;
    const char *err;
    apr_status_t rv;

    provider = ap_lookup_provider(AP_SOCACHE_PROVIDER_GROUP, "shmcb", AP_SOCACHE_PROVIDER_VERSION);
    if (!provider) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s, ANPLOGNO(0114) "the shmcb build of mod_authnz_node needs "
                     "LoadModule socache_shmcb_module");
        return 0;
    }
    err = provider->create(&instance, shmcb_arg(pconf, entries), pconf, pconf);
    if (err) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s, ANPLOGNO(0115) "shmcb: %s", err);
        return 0;
    }
    memset(&hints, 0, sizeof(hints));
    hints.avg_id_len = ANP_VERDICT_KEY_LEN;
    hints.avg_obj_size = sizeof(anp_kept_grant);
    hints.expiry_interval = max_age;
    rv = provider->init(instance, ANP_SOCACHE_NAME, &hints, s, pconf);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s, ANPLOGNO(0116) "cannot initialise the shmcb store");
        instance = NULL;
        return 0;
    }
    return 1;
}

int anp_shared_cache_make(apr_pool_t *pconf, server_rec *s)
{
    const anp_server_conf *conf = ap_get_module_config(s->module_config, &authnz_node_module);
    apr_uint32_t entries = conf->shared_cache_entries ? conf->shared_cache_entries : ANP_DEFAULT_SHARED_ENTRIES;
    int seconds = conf->shared_cache_max_age ? conf->shared_cache_max_age : ANP_DEFAULT_SHARED_MAX_AGE;
    apr_status_t rv;

    rv = apr_generate_random_bytes(store_key, sizeof(store_key));
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s, ANPLOGNO(0113) "no random key for the shmcb store");
        return 0;
    }
    main_server = s;
    max_age = apr_time_from_sec(seconds);
    max_age_ns = (uint64_t)seconds * UINT64_C(1000000000);
    if (!make_instance(pconf, s, entries)) {
        anp_wipe(store_key, sizeof(store_key));
        return 0;
    }
    /* After shmcb's own cleanups, so it runs before them: destroy must see the region still there. */
    apr_pool_cleanup_register(pconf, NULL, forget_store, apr_pool_cleanup_null);
    /* Only when the provider needs it: a provider safe across processes takes no lock. */
    if (provider->flags & AP_SOCACHE_FLAG_NOTMPSAFE) {
        rv = ap_global_mutex_create(&mutex, NULL, ANP_SOCACHE_MUTEX, NULL, s, pconf, 0);
        if (rv != APR_SUCCESS) {
            instance = NULL;
            return 0; /* ap_global_mutex_create logged why */
        }
    }
    return 1;
}

int anp_shared_cache_key(const anp_grant_key_parts *parts, anp_grant_key *key)
{
    if (!instance || !anp_generations_file_table()) {
        return 0;
    }
    anp_grant_key_digest(store_key, ANP_GRANT_KEY_SHARED, parts, key);
    return 1;
}

/* The provider's store or retrieve under the mutex when there is one; a lock that fails is a miss. */
static apr_status_t locked_retrieve(request_rec *r, const anp_grant_key *key, anp_kept_grant *kept,
                                    unsigned int *len)
{
    apr_status_t rv;

    if (mutex && apr_global_mutex_lock(mutex) != APR_SUCCESS) {
        return APR_EGENERAL;
    }
    rv = provider->retrieve(instance, r->server, key->digest, ANP_VERDICT_KEY_LEN, (unsigned char *)kept, len,
                            r->pool);
    if (mutex) {
        apr_global_mutex_unlock(mutex);
    }
    return rv;
}

int anp_shared_cache_get(request_rec *r, const anp_grant_key *key, anp_grant *grant)
{
    anp_kept_grant *kept;
    unsigned int len = sizeof(*kept);

    if (!instance) {
        return 0;
    }
    kept = apr_pcalloc(r->pool, sizeof(*kept));
    if (locked_retrieve(r, key, kept, &len) != APR_SUCCESS || len < offsetof(anp_kept_grant, payload)
        || kept->payload_len > len - offsetof(anp_kept_grant, payload)
        || kept->stamp_count > ANP_VERDICT_MAX_STAMPS
        || !anp_shared_kept_current(kept, anp_generations_now(), max_age_ns)) {
        return 0;
    }
    return anp_grant_payload_decode(r->pool, kept->payload, kept->payload_len, grant);
}

void anp_shared_cache_put(const anp_grant_key *key, const anp_generation_stamp *stamps, int count,
                          uint64_t expires, const anp_grant *grant)
{
    anp_kept_grant kept;
    apr_pool_t *scratch;

    if (!instance || !anp_shared_kept_fill(&kept, stamps, count, expires, grant)) {
        return;
    }
    kept.written = anp_generations_now();
    /* shmcb takes a pool for scratch work; the callers have no request pool to give, so a short-lived one. */
    if (apr_pool_create(&scratch, NULL) != APR_SUCCESS) {
        return;
    }
    if (!mutex || apr_global_mutex_lock(mutex) == APR_SUCCESS) {
        provider->store(instance, main_server, key->digest, ANP_VERDICT_KEY_LEN, apr_time_now() + max_age,
                        (unsigned char *)&kept, (unsigned int)(offsetof(anp_kept_grant, payload) + kept.payload_len),
                        scratch);
        if (mutex) {
            apr_global_mutex_unlock(mutex);
        }
    }
    apr_pool_destroy(scratch);
}
