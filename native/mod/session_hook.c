/*
 * session_hook.c: AuthType DjangoSession, see session_hook.h.
 */
#include <string.h>

#include "httpd.h"
#include "apr_strings.h"
#include "http_config.h"
#include "http_core.h"
#include "http_log.h"
#include "http_protocol.h"
#include "http_request.h"
#include "mod_auth.h"

#include "anp_generations.h"
#include "anp_private.h"
#include "config.h"
#include "fold.h"
#include "grant_cache.h"
#include "providers.h"
#include "request.h"
#include "rpc.h"
#include "session_config.h"
#include "session_cookie.h"
#include "session_redirect.h"
#include "shared_cache.h"
#include "throttle_log.h"

static const char *where(const anp_dir_conf *conf)
{
    return conf->location ? conf->location : "(server)";
}

/* Collects every Cookie header line as httpd joins repeated lines (", "), as mod_wsgi's HTTP_COOKIE. */
static int join_cookie(void *data, const char *key, const char *value)
{
    const char **joined = data;
    (void)key;
    joined[0] = joined[0] ? apr_pstrcat((apr_pool_t *)joined[1], joined[0], ", ", value, NULL) : value;
    return 1;
}

/* The session key of the request, or NULL (no cookie, an empty one, or one too long to be a session). */
static const char *session_key(request_rec *r, const anp_dir_conf *conf, apr_size_t *len)
{
    const char *name = anp_config_django_option(conf, "session_cookie_name");
    const char *joined[2] = {NULL, (const char *)r->pool};
    char *scratch, *out;
    anp_cookie_result res;

    name = name ? name : ANP_DEFAULT_SESSION_COOKIE;
    apr_table_do(join_cookie, (void *)joined, r->headers_in, "Cookie", NULL);
    if (!joined[0]) {
        return NULL;
    }
    scratch = apr_palloc(r->pool, anp_session_cookie_scratch(strlen(joined[0])));
    out = apr_palloc(r->pool, ANP_SESSION_COOKIE_MAX);
    res = anp_session_cookie_find(joined[0], strlen(joined[0]), name, strlen(name), scratch, out, len);
    if (res == ANP_COOKIE_TOO_LONG) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, ANPLOGNO(0533) "the %s cookie is longer than %d bytes: "
                      "no session", name, ANP_SESSION_COOKIE_MAX);
    }
    return res == ANP_COOKIE_FOUND && *len > 0 ? out : NULL;
}

/* GET, HEAD, OPTIONS and PROPFIND change nothing; any other method needs a trusted Origin (or Referer). */
static int origin_refused(request_rec *r, const anp_dir_conf *conf)
{
    const char *origin;

    if (r->method_number == M_GET || r->method_number == M_OPTIONS || r->method_number == M_PROPFIND
        || !strcmp(r->method, "HEAD")) {
        return 0;
    }
    origin = apr_table_get(r->headers_in, "Origin");
    origin = origin ? origin : apr_table_get(r->headers_in, "Referer");
    if (origin && anp_session_origin_trusted(r->pool, conf, origin, strlen(origin))) {
        return 0;
    }
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, ANPLOGNO(0534) "%s with a session at %s refused (403): %s",
                  r->method, where(conf), origin ? "its Origin (or Referer) is not in NodeAuthSessionTrustedOrigins"
                                                 : "it has neither Origin nor Referer");
    return 1;
}

/*
 * The login redirect's next: the path and query as the client sent them (r->uri and r->parsed_uri.path
 * are decoded in place by then), which is what Django's get_full_path gives for them; an absolute URL
 * when the login URL is on another scheme or host, as Django's login_required does.
 */
static const char *next_of(request_rec *r, const char *login_url)
{
    const char *raw = r->unparsed_uri && r->unparsed_uri[0] == '/' ? r->unparsed_uri : r->uri;
    apr_size_t len = strcspn(raw, "#");
    const char *full, *here;

    /* An empty query is no query to Django (QUERY_STRING ''). */
    len -= len > 0 && raw[len - 1] == '?';
    full = apr_pstrmemdup(r->pool, raw, len);
    if (login_url[0] == '/') {
        return full;
    }
    here = ap_construct_url(r->pool, "/", r);
    return strncasecmp(login_url, here, strlen(here) - 1) || !strchr("/?#", login_url[strlen(here) - 1])
           ? ap_construct_url(r->pool, full, r) : full;
}

/* No valid session: the login redirect for GET and HEAD, else 401 (or 403). */
static int no_session(request_rec *r, const anp_dir_conf *conf, const char *why)
{
    const char *login = conf->session_login_url;
    int status = anp_session_deny_status(conf);

    if (login && (r->method_number == M_GET || !strcmp(r->method, "HEAD"))) {
        const char *next = next_of(r, login);
        char *location = apr_palloc(r->pool, anp_login_location_cap(strlen(login), strlen(next)));
        anp_login_location(login, next, strlen(next), location);
        apr_table_setn(r->headers_out, "Location", location);
        status = HTTP_MOVED_TEMPORARILY;
    }
    else if (status == HTTP_UNAUTHORIZED && anp_session_basic_fallback(conf) && ap_auth_name(r)) {
        /* httpd's own note_auth_failure would look for a module of AuthType DjangoSession. */
        apr_table_setn(r->err_headers_out, "WWW-Authenticate",
                       apr_pstrcat(r->pool, "Basic realm=\"", ap_auth_name(r), "\"", NULL));
    }
    ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, ANPLOGNO(0535) "no valid session at %s (%s): %d", where(conf),
                  why, status);
    return status;
}

/* Where a session grant from the worker may be kept: the grant cache (asked_at != 0), the shared store
 * (shared_ok, with sent_at: anp_generations_now() before the request was sent). */
typedef struct {
    anp_grant_key key;
    apr_time_t asked_at;
    anp_grant_key shared_key;
    int shared_ok;
    uint64_t sent_at;
} session_keys;

/* A stamped session grant lasts no longer than its VALID_FOR from before the request was sent: the
 * session's expiry as the worker read it, which no change event will report. */
static uint64_t session_deadline(const session_keys *keys, const anp_answer *ans)
{
    return keys->sent_at + (uint64_t)ans->valid_for_ms * UINT64_C(1000000);
}

/* GRANTED: the session's user becomes httpd's, with what the check folded (and the caches keep). */
static int session_granted(request_rec *r, const anp_dir_conf *conf, const anp_request *req, const anp_answer *ans,
                           const session_keys *keys)
{
    if (!ans->user || !*ans->user || (req->want_user_flags && ans->user_flags < 0)) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, ANPLOGNO(0536) "the worker granted a session at %s without %s: "
                      "500", where(conf), !ans->user || !*ans->user ? "a user" : "the user flags asked for");
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    if (keys->asked_at || (keys->shared_ok && ans->stamp_count > 0 && ans->valid_for_ms > 0)) {
        anp_grant grant;
        grant.user = ans->user;
        grant.groups = req->group_handler ? ans->groups : NULL;
        grant.held_permissions = ans->permissions;
        grant.user_flags = req->want_user_flags ? ans->user_flags : -1;
        if (keys->asked_at) {
            anp_grant_cache_put(r, &keys->key, keys->asked_at, anp_dir_cache_seconds(conf), &grant);
        }
        if (keys->shared_ok && ans->valid_for_ms > 0) {
            anp_shared_cache_put(&keys->shared_key, ans->stamps, ans->stamp_count, session_deadline(keys, ans), &grant);
        }
    }
    anp_node_granted(r, req, ans->user, ans->groups, ans->permissions, ans->user_flags);
    r->ap_auth_type = ANP_AUTH_TYPE_SESSION;
    return OK;
}

/* One trip (or the shared store, or the grant cache) for the session key. */
static int check_session(request_rec *r, const anp_dir_conf *conf, const char *key_bytes, apr_size_t key_len)
{
    session_keys keys;
    anp_request req;
    anp_answer ans;

    if (!anp_request_init(r, &req, ANP_KIND_CHECK_SESSION, conf->user_handler, NULL, conf->location)
        || !anp_fold_plan(r, conf, &req)) {
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    req.session_key = key_bytes;
    req.session_key_len = key_len;
    keys.asked_at = 0;
    if (anp_node_granted_from_shared(r, conf, &req, &keys.shared_key, &keys.shared_ok)
        || (anp_session_cache(conf) && anp_node_granted_from_cache(r, conf, &req, &keys.key, &keys.asked_at))) {
        r->ap_auth_type = ANP_AUTH_TYPE_SESSION;
        return OK;
    }
    keys.sent_at = anp_generations_now();
    if (anp_rpc_call(r, &req, &ans) != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, ANPLOGNO(0537) "checking a session at %s failed: %s",
                      where(conf), ans.reason);
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    switch (ans.status) {
    case ANP_STATUS_GRANTED:
        return session_granted(r, conf, &req, &ans, &keys);
    case ANP_STATUS_DENIED:
        return no_session(r, conf, ans.reason ? ans.reason : "the worker found none");
    default:
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, ANPLOGNO(0538) "the worker could not check a session at %s: %s",
                      where(conf), ans.reason ? ans.reason : "no reason given");
        return HTTP_INTERNAL_SERVER_ERROR;
    }
}

/* NodeAuthSessionBasicFallback: the Basic check mod_auth_basic would run with AuthBasicProvider node. */
static int check_basic(request_rec *r, const anp_dir_conf *conf, const char *user, const char *password)
{
    anp_throttled thr;
    authn_status status;

    r->user = apr_pstrdup(r->pool, user);
    status = anp_node_check_password(r, user, password, &thr);
    if (thr.retry_after) {
        apr_table_setn(r->err_headers_out, "Retry-After", apr_psprintf(r->pool, "%u", (unsigned)thr.retry_after));
        anp_throttle_log(r, user, thr.reason, thr.retry_after, HTTP_TOO_MANY_REQUESTS);
        return HTTP_TOO_MANY_REQUESTS;
    }
    if (status == AUTH_GRANTED) {
        r->ap_auth_type = "Basic";
        return OK;
    }
    r->user = NULL;
    return status == AUTH_GENERAL_ERROR ? HTTP_INTERNAL_SERVER_ERROR : no_session(r, conf, "Basic credentials refused");
}

static int session_check_authn(request_rec *r)
{
    const char *type = ap_auth_type(r);
    const anp_dir_conf *conf;
    const char *auth, *user, *password, *key;
    apr_size_t key_len = 0;

    if (!type || ap_cstr_casecmp(type, ANP_AUTH_TYPE_SESSION)) {
        return DECLINED;
    }
    conf = ap_get_module_config(r->per_dir_config, &authnz_node_module);
    if (!conf->user_handler) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, ANPLOGNO(0539) "AuthType %s at %s has no handler: set "
                      "NodeAuthDjangoDatabase", ANP_AUTH_TYPE_SESSION, where(conf));
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    auth = apr_table_get(r->headers_in, "Authorization");
    if (anp_session_basic_fallback(conf) && auth && !ap_cstr_casecmpn(auth, "Basic ", 6)) {
        if (ap_get_basic_auth_components(r, &user, &password) != APR_SUCCESS) {
            return no_session(r, conf, "unreadable Basic credentials");
        }
        return check_basic(r, conf, user, password);
    }
    /* Before any trip: a cross-site request must not reach the worker on a visitor's cookie. */
    if (origin_refused(r, conf)) {
        return HTTP_FORBIDDEN;
    }
    if (!(key = session_key(r, conf, &key_len))) {
        return no_session(r, conf, "no session cookie");
    }
    return check_session(r, conf, key, key_len);
}

void anp_register_session_hook(apr_pool_t *p)
{
    (void)p;
    ap_hook_check_authn(session_check_authn, NULL, NULL, APR_HOOK_MIDDLE, AP_AUTH_INTERNAL_PER_CONF);
}
