/*
 * throttle_hook.c: the 429 for a throttled Basic check, see throttle_hook.h.
 *
 * Which provider mod_auth_basic asks first is in mod_auth_basic's per-directory configuration, which it
 * does not export. Its record has started with `authn_provider_list *providers` (mod_auth.h's public
 * list type) since mod_auth_basic was written and throughout httpd 2.4, whose merge carries the list
 * over whole; that first member is all this file reads. It is guarded three ways: only when built against
 * httpd 2.4, only when mod_auth_basic is loaded (found by name), and only when the first list entry's
 * provider is this module's own provider record (the address mod_auth_basic cached at configuration
 * time) and its name is "node". Anything else reads as "node is not first": the hook does nothing and
 * the provider answers a throttled check with 401, never a grant.
 */
#include <string.h>

#include "httpd.h"
#include "http_config.h"
#include "http_core.h"
#include "http_protocol.h"
#include "http_request.h"
#include "ap_release.h"
#include "apr_strings.h"
#include "mod_auth.h"

#include "anp_private.h"
#include "anp_protocol.h"
#include "providers.h"
#include "throttle_hook.h"
#include "throttle_log.h"
#include "throttle_memo.h"

/* r->pool userdata: the hook's answer for the provider. r is kept too, as an internal redirect's request
 * shares its pool with the request it came from but may be in another section. */
#define ANP_KEPT_KEY "mod_authnz_node:kept-answer"

typedef struct {
    const request_rec *r;
    const char *user;       /* the strings httpd decoded from this request's header: nothing is copied */
    const char *password;
    const char *renamed;    /* httpd's user after a grant under another name, else NULL */
    authn_status status;
} anp_kept;

/* Set in post_config, before the children are forked. */
static module *auth_basic;

static int find_auth_basic(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp, server_rec *s)
{
    (void)pconf;
    (void)plog;
    (void)ptemp;
    (void)s;
    auth_basic = ap_find_linked_module("mod_auth_basic.c");
    return OK;
}

/* Whether mod_auth_basic asks this module's provider first in r's section (see the top of the file). */
static int node_first(request_rec *r)
{
#if AP_SERVER_MAJORVERSION_NUMBER == 2 && AP_SERVER_MINORVERSION_NUMBER == 4
    const authn_provider_list *const *providers;
    const authn_provider_list *first;

    if (!auth_basic) {
        return 0;
    }
    providers = ap_get_module_config(r->per_dir_config, auth_basic);
    first = providers ? *providers : NULL;
    return first && first->provider == anp_authn_node_provider() && first->provider_name
           && !strcmp(first->provider_name, ANP_PROVIDER_AUTHN);
#else
    (void)r;
    return 0;
#endif
}

/* The 429 itself, from the worker's answer or the memo. */
static int answer_429(request_rec *r, const char *user, const char *reason, apr_uint32_t retry_after)
{
    apr_table_setn(r->err_headers_out, "Retry-After", apr_psprintf(r->pool, "%u", (unsigned)retry_after));
    anp_throttle_log(r, user, reason, retry_after, HTTP_TOO_MANY_REQUESTS);
    return HTTP_TOO_MANY_REQUESTS;
}

/* The seconds left until a remembered lock ends (0: none): the address's first, then (address, user). */
static apr_uint32_t remembered(request_rec *r, const char *user, apr_time_t now)
{
    static const int scopes[] = {ANP_THROTTLE_SCOPE_ADDRESS, ANP_THROTTLE_SCOPE_USER};
    anp_throttle_memo_key key;
    apr_time_t until;
    int i;

    for (i = 0; i < 2; i++) {
        if (anp_throttle_memo_key_of(scopes[i], r->useragent_ip, user, &key)
            && (until = anp_throttle_memo_get(&key, now)) > now) {
            /* What is left of the worker's Retry-After, rounded up: never a retry before its lock ends. */
            apr_time_t left = until - now;
            apr_uint32_t seconds = (apr_uint32_t)((left + APR_USEC_PER_SEC - 1) / APR_USEC_PER_SEC);
            return seconds ? seconds : 1;
        }
    }
    return 0;
}

/* Remembers a THROTTLED answer that named its scope, from when it arrived. */
static void remember(request_rec *r, const char *user, const anp_throttled *thr)
{
    anp_throttle_memo_key key;
    apr_time_t now = anp_throttle_memo_now();

    if (now && anp_throttle_memo_key_of(thr->scope, r->useragent_ip, user, &key)) {
        anp_throttle_memo_put(&key, now, now + apr_time_from_sec(thr->retry_after));
    }
}

static int throttle_check_authn(request_rec *r)
{
    const char *type = ap_auth_type(r);
    const char *user, *password;
    apr_uint32_t seconds;
    anp_throttled thr;
    anp_kept *kept;

    /* A proxy request's credentials are in Proxy-Authorization, which the components reader does not see. */
    if (!type || ap_cstr_casecmp(type, "Basic") || !ap_auth_name(r) || r->proxyreq == PROXYREQ_PROXY
        || !node_first(r) || ap_get_basic_auth_components(r, &user, &password) != APR_SUCCESS) {
        return DECLINED;
    }
    /* A client the worker refused a moment ago is refused again here, without a trip (throttle_memo.h). */
    if ((seconds = remembered(r, user, anp_throttle_memo_now())) != 0) {
        r->user = apr_pstrdup(r->pool, user);
        return answer_429(r, user, "throttled (remembered)", seconds);
    }
    kept = apr_pcalloc(r->pool, sizeof(*kept));
    /* As mod_auth_basic does before it asks a provider: the check runs exactly as the provider's would
     * (what it keeps for the Require lines is for this user name). */
    r->user = apr_pstrdup(r->pool, user);
    kept->status = anp_node_check_password(r, user, password, &thr);
    if (thr.retry_after) {
        remember(r, user, &thr);
        return answer_429(r, user, thr.reason, thr.retry_after);
    }
    kept->r = r;
    kept->user = user;
    kept->password = password;
    /* mod_auth_basic sets httpd's user to the sent name before it asks the provider: a rename is redone. */
    kept->renamed = kept->status == AUTH_GRANTED && strcmp(r->user, user) ? r->user : NULL;
    apr_pool_userdata_setn(kept, ANP_KEPT_KEY, NULL, r->pool);
    return DECLINED;
}

int anp_throttle_kept(request_rec *r, const char *user, const char *password, authn_status *status)
{
    void *data = NULL;
    const anp_kept *kept;

    apr_pool_userdata_get(&data, ANP_KEPT_KEY, r->pool);
    kept = data;
    if (!kept || kept->r != r || strcmp(kept->user, user) || strcmp(kept->password, password)) {
        return 0;
    }
    if (kept->renamed) {
        r->user = apr_pstrdup(r->pool, kept->renamed);
    }
    *status = kept->status;
    return 1;
}

static void memo_child_init(apr_pool_t *pchild, server_rec *s)
{
    anp_throttle_memo_child_init(pchild, s);
}

void anp_register_throttle_hook(apr_pool_t *p)
{
    (void)p;
    ap_hook_child_init(memo_child_init, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_post_config(find_auth_basic, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_check_authn(throttle_check_authn, NULL, NULL, APR_HOOK_FIRST, AP_AUTH_INTERNAL_PER_CONF);
}
