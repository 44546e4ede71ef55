/*
 * authn_cache.c: answers offered to mod_authn_socache's store (authn_cache.h).
 */
#include <string.h>

#include "apr_md5.h"
#include "apr_optional.h"
#include "httpd.h"
#include "http_config.h"
#include "http_log.h"
#include "mod_auth.h"

#include "anp_protocol.h" /* anp_wipe */
#include "anp_private.h"
#include "authn_cache.h"
#include "providers.h"

/* APR's lowest bcrypt cost: each later cache hit pays one such check in the child. */
#define ANP_AUTHN_CACHE_BCRYPT_COST 4
#define ANP_AUTHN_CACHE_SALT 16

/* NULL when mod_authn_socache is not loaded. */
static APR_OPTIONAL_FN_TYPE(ap_authn_cache_store) *cache_store;

/* Set per generation in the parent before the MPM forks, read only afterwards. */
static int basic_wanted;

static void retrieve_store(void)
{
    cache_store = APR_RETRIEVE_OPTIONAL_FN(ap_authn_cache_store);
}

void anp_authn_cache_register(apr_pool_t *p)
{
    (void)p;
    ap_hook_optional_fn_retrieve(retrieve_store, NULL, NULL, APR_HOOK_MIDDLE);
}

void anp_authn_cache_configure(int wanted)
{
    basic_wanted = wanted;
}

void anp_authn_cache_basic(request_rec *r, const char *user, const char *password)
{
    unsigned char salt[ANP_AUTHN_CACHE_SALT];
    char hash[64];
    apr_status_t rv;

    if (!cache_store || !basic_wanted) {
        return;
    }
    if (strlen(password) > ANP_AUTHN_CACHE_MAX_PASSWORD) {
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r,
                      ANPLOGNO(0523) "user '%s' not offered to mod_authn_socache: the password is longer than "
                      "bcrypt reads", user);
        return;
    }
    rv = apr_generate_random_bytes(salt, sizeof(salt));
    if (rv == APR_SUCCESS) {
        rv = apr_bcrypt_encode(password, ANP_AUTHN_CACHE_BCRYPT_COST, salt, sizeof(salt), hash, sizeof(hash));
    }
    anp_wipe(salt, sizeof(salt));
    if (rv != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, rv, r,
                      ANPLOGNO(0524) "user '%s' not offered to mod_authn_socache: no salt or no bcrypt hash",
                      user);
        anp_wipe(hash, sizeof(hash));
        return;
    }
    cache_store(r, ANP_PROVIDER_AUTHN, user, NULL, hash);
    anp_wipe(hash, sizeof(hash));
}

void anp_authn_cache_digest(request_rec *r, const char *user, const char *realm, const char *hash)
{
    if (cache_store) {
        cache_store(r, ANP_PROVIDER_AUTHN, user, realm, hash);
    }
}
