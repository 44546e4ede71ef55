/*
 * providers.c: authn "node", authz "node-group" (alias "group") and "node-permission".
 */
#include <string.h>

#include "apr_strings.h"
#include "ap_provider.h"
#include "http_core.h"
#include "http_log.h"
#include "http_request.h"
#include "mod_auth.h"
#include "ap_expr.h"

#include "anp_protocol.h"
#include "anp_private.h"
#include "authn_cache.h"
#include "config.h"
#include "fold.h"
#include "grant_cache.h"
#include "providers.h"
#include "request.h"
#include "rpc.h"
#include "shared_cache.h"
#include "throttle_hook.h"
#include "throttle_log.h"

static anp_dir_conf *dir_conf(request_rec *r)
{
    return ap_get_module_config(r->per_dir_config, &authnz_node_module);
}

static const char *where(const anp_dir_conf *conf)
{
    return conf->location ? conf->location : "(server)";
}

/* ------------------------------------------------------------------------------------------------ */
/* authn "node"                                                                                      */
/* ------------------------------------------------------------------------------------------------ */

/*
 * What a GRANTED password check leaves for the rest of the request, whether the answer came from the
 * worker or from the grant cache: httpd's user (renamed when the handler named the user differently, as
 * mod_wsgi lets a script do) and the folded groups and permissions (fold.c).
 */
authn_status anp_node_granted(request_rec *r, const anp_request *req, const char *renamed,
                              const apr_array_header_t *groups, const apr_array_header_t *held, int user_flags)
{
    if (renamed && req->user) {
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r,
                      ANPLOGNO(0503) "user '%s' authenticated as '%s'", req->user, renamed);
    }
    if (renamed) {
        r->user = apr_pstrdup(r->pool, renamed);
    }
    anp_fold_keep(r, req, groups, held, user_flags);
    return AUTH_GRANTED;
}

/* Everything the request is made of but the per-request environ (URI, headers) and the client's headers:
 * the same credentials from the same address in the same configuration get the answer the worker gave. */
static void key_parts(request_rec *r, const anp_dir_conf *conf, const anp_request *req, int seconds,
                      anp_grant_key_parts *parts)
{
    memset(parts, 0, sizeof(*parts));
    parts->server_name = r->server->server_hostname;
    parts->server_port = r->server->port;
    parts->location = conf->location;
    parts->auth_name = ap_auth_name(r);
    parts->seconds = seconds;
    parts->handler_id = req->handler_id;
    parts->group_handler_id = req->group_handler_id;
    parts->handler_spec = req->handler ? req->handler->spec : NULL;
    parts->group_handler_spec = req->group_handler ? req->group_handler->spec : NULL;
    parts->permissions = req->permissions;
    parts->client_ip = req->client_ip;
    parts->kind = req->kind;
    parts->want_user_flags = req->want_user_flags;
    parts->user = req->user;
    parts->password = req->password;
    parts->session_key = req->session_key;
    parts->session_key_len = req->session_key_len;
}

int anp_node_granted_from_cache(request_rec *r, const anp_dir_conf *conf, const anp_request *req,
                                anp_grant_key *key, apr_time_t *asked_at)
{
    int seconds = anp_dir_cache_seconds(conf);
    anp_grant_key_parts parts;
    anp_grant cached;

    *asked_at = 0;
    if (seconds <= 0) {
        return 0;
    }
    key_parts(r, conf, req, seconds, &parts);
    if (!anp_grant_cache_key(&parts, key)) {
        return 0;
    }
    if (anp_grant_cache_get(r, key, &cached)) {
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r,
                      ANPLOGNO(0519) "user '%s' granted from the grant cache (NodeAuthCacheSeconds %d at %s)",
                      req->user ? req->user : cached.user ? cached.user : "", seconds, where(conf));
        anp_node_granted(r, req, cached.user, cached.groups, cached.held_permissions, cached.user_flags);
        return 1;
    }
    /* Taken before the request is sent: the window starts no later than the worker's reading. */
    *asked_at = anp_grant_cache_now();
    return 0;
}

/* Asked before the grant cache: the store's answers are as current as the worker's change feed, the grant
 * cache's up to NodeAuthCacheSeconds old. */
int anp_node_granted_from_shared(request_rec *r, const anp_dir_conf *conf, const anp_request *req,
                                 anp_grant_key *key, int *have_key)
{
    anp_grant_key_parts parts;
    anp_grant kept;

    key_parts(r, conf, req, 0, &parts);
    *have_key = anp_shared_cache_key(&parts, key);
    if (!*have_key || !anp_shared_cache_get(r, key, &kept)) {
        return 0;
    }
    ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r,
                  ANPLOGNO(0540) "user '%s' granted from the shared store of stamped grants (at %s)",
                  req->user ? req->user : kept.user ? kept.user : "", where(conf));
    anp_node_granted(r, req, kept.user, kept.groups, kept.held_permissions, kept.user_flags);
    return 1;
}

/* Where a grant from the worker may be kept: the grant cache (asked_at != 0), the shared store (shared_ok). */
typedef struct {
    anp_grant_key key;
    apr_time_t asked_at;
    anp_grant_key shared_key;
    int shared_ok;
} kept_keys;

static authn_status password_granted(request_rec *r, const anp_dir_conf *conf, const anp_request *req,
                                     const anp_answer *ans, const kept_keys *keys)
{
    const char *renamed = ans->user && *ans->user && strcmp(ans->user, req->user) ? ans->user : NULL;

    if (req->want_user_flags && ans->user_flags < 0) {
        /* anp_answer.c refuses such an answer already; without flags Require node-staff cannot be decided. */
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, ANPLOGNO(0531) "the worker granted user '%s' without the "
                      "user flags that were asked for (Require node-staff / node-superuser): 500", req->user);
        return AUTH_GENERAL_ERROR;
    }
    /* Held permissions are all ones that were asked: rpc.c refused any other answer (anp_answer.c). */
    /* Only a grant is remembered: DENIED, USER_NOT_FOUND and errors ask the worker every time. */
    if (keys->asked_at || (keys->shared_ok && ans->stamp_count > 0)) {
        anp_grant grant;
        grant.user = renamed;
        grant.groups = req->group_handler ? ans->groups : NULL;
        grant.held_permissions = ans->permissions;
        grant.user_flags = req->want_user_flags ? ans->user_flags : -1;
        if (keys->asked_at) {
            anp_grant_cache_put(r, &keys->key, keys->asked_at, anp_dir_cache_seconds(conf), &grant);
        }
        if (keys->shared_ok) {
            anp_shared_cache_put(&keys->shared_key, ans->stamps, ans->stamp_count, 0, &grant);
        }
    }
    /* mod_authn_socache can only set r->user to the name typed: a renamed grant is not offered. */
    if (!renamed) {
        anp_authn_cache_basic(r, req->user, req->password);
    }
    return anp_node_granted(r, req, renamed, ans->groups, ans->permissions, ans->user_flags);
}

/* The mapping of a worker's answer to a password check onto what mod_auth_basic understands. */
static authn_status password_answer(request_rec *r, const anp_dir_conf *conf, const anp_request *req,
                                    const anp_answer *ans, const kept_keys *keys, anp_throttled *thr)
{
    switch (ans->status) {
    case ANP_STATUS_GRANTED:
        return password_granted(r, conf, req, ans, keys);
    case ANP_STATUS_DENIED:
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, ANPLOGNO(0504) "user '%s': wrong password%s%s", req->user,
                      ans->reason ? ": " : "", ans->reason ? ans->reason : "");
        return AUTH_DENIED;
    case ANP_STATUS_USER_NOT_FOUND:
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, ANPLOGNO(0505) "user '%s': not found or inactive%s%s",
                      req->user, ans->reason ? ": " : "", ans->reason ? ans->reason : "");
        return AUTH_USER_NOT_FOUND;
    case ANP_STATUS_THROTTLED:
        /* rpc.c took THROTTLED only with a RETRY_AFTER in range (anp_answer.c). The caller answers it. */
        thr->retry_after = ans->retry_after;
        thr->scope = ans->throttle_scope;
        thr->reason = ans->reason ? ans->reason : "throttled";
        return AUTH_DENIED;
    default:
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      ANPLOGNO(0506) "the worker could not check the password of user '%s': %s", req->user,
                      ans->reason ? ans->reason : "no reason given");
        return AUTH_GENERAL_ERROR;
    }
}

authn_status anp_node_check_password(request_rec *r, const char *user, const char *password, anp_throttled *thr)
{
    const anp_dir_conf *conf = dir_conf(r);
    kept_keys keys;
    anp_request req;
    anp_answer ans;

    thr->retry_after = 0;
    thr->scope = 0;
    thr->reason = NULL;
    if (!conf->user_handler) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      ANPLOGNO(0501) "AuthBasicProvider node at %s has no handler: set NodeAuthUserScript or "
                      "NodeAuthDjangoDatabase", where(conf));
        return AUTH_GENERAL_ERROR;
    }
    if (!anp_request_init(r, &req, ANP_KIND_CHECK_PASSWORD, conf->user_handler, user, conf->location)
        || !anp_fold_plan(r, conf, &req)) {
        return AUTH_GENERAL_ERROR;
    }
    req.password = password;
    if (anp_node_granted_from_shared(r, conf, &req, &keys.shared_key, &keys.shared_ok)
        || anp_node_granted_from_cache(r, conf, &req, &keys.key, &keys.asked_at)) {
        return AUTH_GRANTED;
    }
    if (anp_rpc_call(r, &req, &ans) != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      ANPLOGNO(0502) "checking the password of user '%s' failed: %s", user, ans.reason);
        return AUTH_GENERAL_ERROR;
    }
    return password_answer(r, conf, &req, &ans, &keys, thr);
}

/*
 * AuthBasicProvider node. When the 429 hook (throttle_hook.c) already checked these credentials for this
 * request, its answer is used: one trip per request. A THROTTLED answer here (node is not the first
 * provider, so the hook did not act) can only be a 401: an authn provider has no 429 to give.
 */
static authn_status check_password(request_rec *r, const char *user, const char *password)
{
    anp_throttled thr;
    authn_status status;

    if (anp_throttle_kept(r, user, password, &status)) {
        return status;
    }
    status = anp_node_check_password(r, user, password, &thr);
    if (thr.retry_after) {
        anp_throttle_log(r, user, thr.reason, thr.retry_after, HTTP_UNAUTHORIZED);
    }
    return status;
}

/* Digest is not cached in the grant cache: the HA1 is as good as the password for Digest, and the grant
 * cache keeps nothing a password could be recovered or replayed from. mod_authn_socache can cache it
 * (AuthnCacheProvideFor node), for those who accept that: the HA1 is handed to its store (authn_cache.c). */
static authn_status get_realm_hash(request_rec *r, const char *user, const char *realm, char **rethash)
{
    const anp_dir_conf *conf = dir_conf(r);
    anp_request req;
    anp_answer ans;

    if (!conf->user_handler) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      ANPLOGNO(0507) "AuthDigestProvider node at %s has no handler: set NodeAuthUserScript or "
                      "NodeAuthDjangoDatabase", where(conf));
        return AUTH_GENERAL_ERROR;
    }
    if (!anp_request_init(r, &req, ANP_KIND_GET_REALM_HASH, conf->user_handler, user, conf->location)) {
        return AUTH_GENERAL_ERROR;
    }
    req.realm = realm;
    if (anp_rpc_call(r, &req, &ans) != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      ANPLOGNO(0508) "getting the realm hash of user '%s' failed: %s", user, ans.reason);
        return AUTH_GENERAL_ERROR;
    }
    switch (ans.status) {
    case ANP_STATUS_GRANTED:
        if (!ans.hash) {
            break;
        }
        *rethash = apr_pstrdup(r->pool, ans.hash);
        anp_authn_cache_digest(r, user, realm, ans.hash);
        return AUTH_USER_FOUND;
    case ANP_STATUS_USER_NOT_FOUND:
        return AUTH_USER_NOT_FOUND;
    case ANP_STATUS_DENIED:
        return AUTH_DENIED;
    default:
        break;
    }
    ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                  ANPLOGNO(0509) "the worker could not give the realm hash of user '%s': %s", user,
                  ans.reason ? ans.reason : "no hash in the answer");
    return AUTH_GENERAL_ERROR;
}

static const authn_provider authn_node = {
    check_password,
    get_realm_hash,
};

const authn_provider *anp_authn_node_provider(void)
{
    return &authn_node;
}

/* ------------------------------------------------------------------------------------------------ */
/* authz "node-group", "group", "node-permission", "node-staff", "node-superuser"                    */
/* ------------------------------------------------------------------------------------------------ */

/* Require arguments: an ap_expr string (so %{REMOTE_USER} and friends work), split into words like
 * mod_authz_groupfile does, so a quoted Django group name may hold spaces. */
static const char *parse_words(cmd_parms *cmd, const char *require_line, const void **parsed, const char *what)
{
    const char *err = NULL;
    ap_expr_info_t *expr;

    if (!require_line || !*require_line || !*(require_line + strspn(require_line, " \t"))) {
        return apr_psprintf(cmd->pool, "Require %s needs at least one %s", what,
                            !strcmp(what, ANP_PROVIDER_PERMISSION) ? "permission (app_label.codename)"
                                                                    : "group name");
    }
    expr = ap_expr_parse_cmd(cmd, require_line, AP_EXPR_FLAG_STRING_RESULT, &err, NULL);
    if (err) {
        return apr_psprintf(cmd->pool, "Require %s: cannot parse '%s': %s", what, require_line, err);
    }
    *parsed = expr;
    return NULL;
}

static const char *parse_group_line(cmd_parms *cmd, const char *require_line, const void **parsed)
{
    const char *err = parse_words(cmd, require_line, parsed, ANP_PROVIDER_GROUP);
    if (!err) {
        anp_config_note_group_require(cmd);
    }
    return err;
}

/* Permissions are "app_label.codename"; a line without expressions is checked now, not per request. */
static const char *parse_permission_line(cmd_parms *cmd, const char *require_line, const void **parsed)
{
    const char *err = parse_words(cmd, require_line, parsed, ANP_PROVIDER_PERMISSION);
    const char *rest = require_line;
    const char *word;

    if (err || strstr(require_line, "%{")) {
        return err;
    }
    while (*(word = ap_getword_conf(cmd->temp_pool, &rest))) {
        const char *dot = strchr(word, '.');
        if (!dot || dot == word || !dot[1]) {
            return apr_psprintf(cmd->pool, "Require %s: '%s' is not app_label.codename",
                                ANP_PROVIDER_PERMISSION, word);
        }
    }
    /* Known now, so the password check can ask for them in the same trip. */
    anp_config_note_permission_require(cmd, require_line);
    return NULL;
}

static apr_array_header_t *require_words(request_rec *r, const void *parsed, const char **err)
{
    apr_array_header_t *words = apr_array_make(r->pool, 4, sizeof(const char *));
    const char *line = ap_expr_str_exec(r, (const ap_expr_info_t *)parsed, err);
    const char *word;

    if (*err) {
        return NULL;
    }
    while (line && *(word = ap_getword_conf(r->pool, &line))) {
        *(const char **)apr_array_push(words) = word;
    }
    return words;
}

/* The worker's answer to a Require line (GROUPS_FOR_USER or HAS_PERMISSION about r->user). */
static authz_status worker_decides(request_rec *r, const anp_dir_conf *conf, uint8_t kind, apr_array_header_t *words,
                                   const char *what, const char *require_line)
{
    anp_request req;
    anp_answer ans;

    if (!anp_request_init(r, &req, kind, conf->group_handler, r->user, conf->location)) {
        return AUTHZ_GENERAL_ERROR;
    }
    if (kind == ANP_KIND_HAS_PERMISSION) {
        req.permissions = words;
    }
    else {
        req.groups = words;
    }
    if (anp_rpc_call(r, &req, &ans) != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      ANPLOGNO(0513) "Require %s: checking user '%s' failed: %s", what, r->user, ans.reason);
        return AUTHZ_GENERAL_ERROR;
    }
    switch (ans.status) {
    case ANP_STATUS_GRANTED:
        return AUTHZ_GRANTED;
    case ANP_STATUS_DENIED:
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                      ANPLOGNO(0514) "Require %s %s: user '%s' has none of them", what, require_line, r->user);
        return AUTHZ_DENIED;
    default:
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      ANPLOGNO(0515) "Require %s: the worker could not check user '%s': %s", what, r->user,
                      ans.reason ? ans.reason : "no reason given");
        return AUTHZ_GENERAL_ERROR;
    }
}

/* A Require node-group / node-permission line: decided from the password check's folded answer when it
 * can be (fold.c), otherwise by the worker. */
static authz_status require_check(request_rec *r, const char *require_line, const void *parsed, uint8_t kind,
                                  const char *what)
{
    const anp_dir_conf *conf = dir_conf(r);
    apr_array_header_t *words;
    const char *err = NULL;
    authz_status status;

    /* Before authentication (first authz pass) there is no user yet: ask for one, cost nothing. */
    if (!r->user) {
        return AUTHZ_DENIED_NO_USER;
    }
    if (!conf->group_handler) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      ANPLOGNO(0510) "Require %s at %s has no handler: set NodeAuthGroupScript or "
                      "NodeAuthDjangoDatabase", what, where(conf));
        return AUTHZ_GENERAL_ERROR;
    }
    words = require_words(r, parsed, &err);
    if (err) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      ANPLOGNO(0511) "Require %s %s: cannot evaluate the expression: %s", what, require_line, err);
        return AUTHZ_GENERAL_ERROR;
    }
    if (words->nelts == 0) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                      ANPLOGNO(0512) "Require %s %s: the expression gave no names; user '%s' is denied",
                      what, require_line, r->user);
        return AUTHZ_DENIED;
    }
    if (kind == ANP_KIND_HAS_PERMISSION ? anp_fold_decide_permissions(r, words, what, require_line, &status)
                                        : anp_fold_decide_groups(r, words, what, require_line, &status)) {
        return status;
    }
    return worker_decides(r, conf, kind, words, what, require_line);
}

static authz_status group_check(request_rec *r, const char *require_line, const void *parsed)
{
    const char *name = apr_table_get(r->notes, AUTHZ_PROVIDER_NAME_NOTE);
    return require_check(r, require_line, parsed, ANP_KIND_GROUPS_FOR_USER, name ? name : ANP_PROVIDER_GROUP);
}

static authz_status permission_check(request_rec *r, const char *require_line, const void *parsed)
{
    return require_check(r, require_line, parsed, ANP_KIND_HAS_PERMISSION, ANP_PROVIDER_PERMISSION);
}

static const authz_provider authz_group = {
    group_check,
    parse_group_line,
};

static const authz_provider authz_permission = {
    permission_check,
    parse_permission_line,
};

/* Require node-staff / node-superuser: no arguments; the section's checks then ask for the flags. */
static const char *parse_flag_line(cmd_parms *cmd, const char *require_line, const void **parsed, int flag,
                                   const char *what)
{
    (void)parsed;
    if (require_line && *(require_line + strspn(require_line, " \t"))) {
        return apr_psprintf(cmd->pool, "Require %s takes no arguments", what);
    }
    anp_config_note_user_flag(cmd, flag);
    return NULL;
}

static const char *parse_staff_line(cmd_parms *cmd, const char *require_line, const void **parsed)
{
    return parse_flag_line(cmd, require_line, parsed, ANP_USER_FLAG_STAFF, ANP_PROVIDER_STAFF);
}

static const char *parse_superuser_line(cmd_parms *cmd, const char *require_line, const void **parsed)
{
    return parse_flag_line(cmd, require_line, parsed, ANP_USER_FLAG_SUPERUSER, ANP_PROVIDER_SUPERUSER);
}

/* Decided only from the flags the user's own check (password or session) brought back in its trip. */
static authz_status flag_check(request_rec *r, int flag, const char *what)
{
    authz_status status;

    if (!r->user) {
        return AUTHZ_DENIED_NO_USER;
    }
    if (anp_fold_decide_user_flag(r, flag, what, &status)) {
        return status;
    }
    ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                  ANPLOGNO(0532) "Require %s: no flags for user '%s': the user was not authenticated by "
                  "mod_authnz_node (AuthBasicProvider node or AuthType DjangoSession) in this section", what, r->user);
    return AUTHZ_GENERAL_ERROR;
}

static authz_status staff_check(request_rec *r, const char *require_line, const void *parsed)
{
    (void)require_line;
    (void)parsed;
    return flag_check(r, ANP_USER_FLAG_STAFF, ANP_PROVIDER_STAFF);
}

static authz_status superuser_check(request_rec *r, const char *require_line, const void *parsed)
{
    (void)require_line;
    (void)parsed;
    return flag_check(r, ANP_USER_FLAG_SUPERUSER, ANP_PROVIDER_SUPERUSER);
}

static const authz_provider authz_staff = {
    staff_check,
    parse_staff_line,
};

static const authz_provider authz_superuser = {
    superuser_check,
    parse_superuser_line,
};

void anp_register_providers(apr_pool_t *p)
{
    anp_authn_cache_register(p);
    ap_register_auth_provider(p, AUTHN_PROVIDER_GROUP, ANP_PROVIDER_AUTHN, AUTHN_PROVIDER_VERSION, &authn_node,
                              AP_AUTH_INTERNAL_PER_CONF);
    ap_register_auth_provider(p, AUTHZ_PROVIDER_GROUP, ANP_PROVIDER_GROUP, AUTHZ_PROVIDER_VERSION, &authz_group,
                              AP_AUTH_INTERNAL_PER_CONF);
    /* The same provider as "group": the last LoadModule to register a name owns it (provider.c keeps one). */
    ap_register_auth_provider(p, AUTHZ_PROVIDER_GROUP, ANP_PROVIDER_GROUP_ALIAS, AUTHZ_PROVIDER_VERSION,
                              &authz_group, AP_AUTH_INTERNAL_PER_CONF);
    ap_register_auth_provider(p, AUTHZ_PROVIDER_GROUP, ANP_PROVIDER_PERMISSION, AUTHZ_PROVIDER_VERSION,
                              &authz_permission, AP_AUTH_INTERNAL_PER_CONF);
    ap_register_auth_provider(p, AUTHZ_PROVIDER_GROUP, ANP_PROVIDER_STAFF, AUTHZ_PROVIDER_VERSION, &authz_staff,
                              AP_AUTH_INTERNAL_PER_CONF);
    ap_register_auth_provider(p, AUTHZ_PROVIDER_GROUP, ANP_PROVIDER_SUPERUSER, AUTHZ_PROVIDER_VERSION,
                              &authz_superuser, AP_AUTH_INTERNAL_PER_CONF);
}

void anp_log_group_owner(server_rec *s, int to_console)
{
    const void *owner = ap_lookup_provider(AUTHZ_PROVIDER_GROUP, ANP_PROVIDER_GROUP_ALIAS, AUTHZ_PROVIDER_VERSION);
    int groupfile = ap_find_linked_module("mod_authz_groupfile.c") != NULL;
    server_rec *log_to = to_console ? NULL : s;

    if (owner == &authz_group && groupfile) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, log_to,
                     ANPLOGNO(0101) "Require group is answered by mod_authnz_node (Django groups), not by "
                     "mod_authz_groupfile, because mod_authnz_node was loaded after it; group files need "
                     "Require file-group");
    }
    else if (owner != &authz_group) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, log_to,
                     ANPLOGNO(0102) "Require group is answered by %s, not by mod_authnz_node, because that "
                     "module was loaded after it; use Require node-group for Django groups",
                     groupfile ? "mod_authz_groupfile" : "another module");
    }
    else {
        ap_log_error(APLOG_MARK, APLOG_DEBUG, 0, log_to,
                     ANPLOGNO(0103) "Require group is answered by mod_authnz_node");
    }
}
