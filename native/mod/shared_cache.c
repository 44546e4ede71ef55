/*
 * shared_cache.c: the children's shared store of stamped grants, see shared_cache.h.
 */
#include <string.h>

#include "httpd.h"
#include "apr_general.h"
#include "apr_shm.h"
#include "http_config.h"
#include "http_log.h"

#include "anp_protocol.h" /* anp_wipe */
#include "anp_siphash.h"
#include "anp_verdict_store.h"
#include "anp_private.h"
#include "config.h"
#include "generations_file.h"
#include "grant_key.h"
#include "grant_payload.h"
#include "shared_cache.h"
#include "shared_judge.h"

/* One per generation of httpd's configuration (the DSO is loaded again each time), set in post_config
 * before any fork and never written after: the children only read these. */
static void *region;
static unsigned char store_key[ANP_SIPHASH_KEY_LEN];
static uint64_t max_age_ns;

static apr_status_t forget_store(void *data)
{
    (void)data;
    region = NULL;
    anp_wipe(store_key, sizeof(store_key));
    return APR_SUCCESS;
}

int anp_shared_cache_make(apr_pool_t *pconf, server_rec *s)
{
    const anp_server_conf *conf = ap_get_module_config(s->module_config, &authnz_node_module);
    apr_uint32_t entries = conf->shared_cache_entries ? conf->shared_cache_entries : ANP_DEFAULT_SHARED_ENTRIES;
    int max_age = conf->shared_cache_max_age ? conf->shared_cache_max_age : ANP_DEFAULT_SHARED_MAX_AGE;
    apr_size_t bytes = anp_verdict_store_bytes(entries);
    apr_shm_t *shm = NULL;
    apr_status_t rv;

    rv = apr_generate_random_bytes(store_key, sizeof(store_key));
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s, ANPLOGNO(0111) "no random key for the shared store of "
                     "stamped grants (NodeAuthDjangoOption change_feed on)");
        return 0;
    }
    /* Anonymous: only processes forked from this one can map it, and exec drops it. */
    rv = bytes ? apr_shm_create(&shm, bytes, NULL, pconf) : APR_EINVAL;
    if (rv != APR_SUCCESS) {
        anp_wipe(store_key, sizeof(store_key));
        ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s, ANPLOGNO(0112) "cannot make the shared store of stamped "
                     "grants (%u entries, %" APR_SIZE_T_FMT " bytes)", entries, bytes);
        return 0;
    }
    memset(apr_shm_baseaddr_get(shm), 0, bytes);
    anp_verdict_store_init(apr_shm_baseaddr_get(shm), entries);
    region = apr_shm_baseaddr_get(shm);
    max_age_ns = (uint64_t)max_age * UINT64_C(1000000000);
    apr_pool_cleanup_register(pconf, NULL, forget_store, apr_pool_cleanup_null);
    return 1;
}

int anp_shared_cache_key(const anp_grant_key_parts *parts, anp_grant_key *key)
{
    if (!region || !anp_generations_file_table()) {
        return 0;
    }
    anp_grant_key_digest(store_key, ANP_GRANT_KEY_SHARED, parts, key);
    return 1;
}

int anp_shared_cache_get(request_rec *r, const anp_grant_key *key, anp_grant *grant)
{
    anp_kept_grant *kept;

    if (!region) {
        return 0;
    }
    kept = apr_palloc(r->pool, sizeof(*kept));
    if (!anp_verdict_store_get(region, key->digest, kept)
        || !anp_shared_kept_current(kept, anp_generations_now(), max_age_ns)) {
        return 0;
    }
    return anp_grant_payload_decode(r->pool, kept->payload, kept->payload_len, grant);
}

void anp_shared_cache_put(const anp_grant_key *key, const anp_generation_stamp *stamps, int count,
                          uint64_t expires, const anp_grant *grant)
{
    anp_kept_grant kept;

    if (region && anp_shared_kept_fill(&kept, stamps, count, expires, grant)) {
        anp_verdict_store_put(region, key->digest, &kept, anp_generations_now());
    }
}
