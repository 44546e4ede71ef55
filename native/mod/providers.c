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
#include "mod_authnz_node.h"
#include "config.h"
#include "environ.h"
#include "grant_cache.h"
#include "providers.h"
#include "rpc.h"

/* At most this many Require node-permission names ride along with a password check. */
#define ANP_MAX_FOLDED_PERMISSIONS 64

/* What a password check brought back for the authz checks of the same request: the user's groups
 * (GROUP_HANDLER; NULL when not asked) and, of the permission names asked, those the user holds. */
typedef struct {
    const char *user;
    const apr_array_header_t *groups;
    const apr_array_header_t *asked_permissions; /* NULL: none asked */
    const apr_array_header_t *held_permissions;
} anp_folded_answer;

static int contains(const apr_array_header_t *names, const char *name)
{
    int i;
    for (i = 0; names && i < names->nelts; i++) {
        if (!strcmp(APR_ARRAY_IDX(names, i, const char *), name)) {
            return 1;
        }
    }
    return 0;
}

/* The worker may only answer names the module asked for: anything else is a broken answer. */
static const char *unasked_permission(const apr_array_header_t *asked, const apr_array_header_t *held)
{
    int i;
    for (i = 0; i < held->nelts; i++) {
        const char *name = APR_ARRAY_IDX(held, i, const char *);
        if (!contains(asked, name)) {
            return name;
        }
    }
    return NULL;
}

static anp_dir_conf *dir_conf(request_rec *r)
{
    return ap_get_module_config(r->per_dir_config, &authnz_node_module);
}

static const char *where(const anp_dir_conf *conf)
{
    return conf->location ? conf->location : "(server)";
}

static void prepare(request_rec *r, const anp_dir_conf *conf, anp_request *req, uint8_t kind, const char *spec,
                    const char *user)
{
    memset(req, 0, sizeof(*req));
    req->kind = kind;
    req->handler = spec;
    req->user = user;
    req->env = anp_build_environ(r, conf->location);
    req->timeout = anp_server_timeout(r->server);
}

/* ------------------------------------------------------------------------------------------------ */
/* authn "node"                                                                                      */
/* ------------------------------------------------------------------------------------------------ */

/*
 * What a GRANTED password check leaves for the rest of the request, whether the answer came from the
 * worker or from the grant cache: httpd's user (renamed when the handler named the user differently, as
 * mod_wsgi lets a script do) and the folded groups and permissions the authz providers read from
 * r->request_config.
 */
static authn_status granted(request_rec *r, const char *user, const char *renamed, const char *group_handler,
                            const apr_array_header_t *asked, const apr_array_header_t *groups,
                            const apr_array_header_t *held)
{
    if (renamed) {
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r,
                      ANPLOGNO(0503) "user '%s' authenticated as '%s'", user, renamed);
        r->user = apr_pstrdup(r->pool, renamed);
    }
    if (group_handler || asked) {
        anp_folded_answer *folded = apr_palloc(r->pool, sizeof(*folded));
        folded->user = r->user;
        folded->groups = group_handler ? groups : NULL;
        folded->asked_permissions = asked;
        folded->held_permissions = held;
        ap_set_module_config(r->request_config, &authnz_node_module, folded);
    }
    return AUTH_GRANTED;
}

static authn_status check_password(request_rec *r, const char *user, const char *password)
{
    const anp_dir_conf *conf = dir_conf(r);
    int cache_seconds = anp_dir_cache_seconds(conf);
    const char *group_handler = NULL;
    const apr_array_header_t *permissions = NULL;
    anp_grant_key key;
    anp_grant cached;
    int cacheable = 0;
    apr_time_t asked_at = 0;
    anp_request req;
    anp_answer ans;

    if (!conf->user_spec) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      ANPLOGNO(0501) "AuthBasicProvider node at %s has no handler: set NodeAuthUserScript or "
                      "NodeAuthDjangoDatabase", where(conf));
        return AUTH_GENERAL_ERROR;
    }
    if (conf->fold_groups && conf->group_spec) {
        group_handler = conf->group_spec;
    }
    /* Permissions are answered by the group handler: folded when it rides along already, or when the
     * password's handler is the same one (the Django handler); otherwise the authz check asks. A long
     * list is not folded, so the request stays far from the protocol's field limit. */
    if (conf->fold_permissions && conf->fold_permissions->nelts <= ANP_MAX_FOLDED_PERMISSIONS
        && conf->group_spec && (group_handler || !strcmp(conf->group_spec, conf->user_spec))) {
        permissions = conf->fold_permissions;
    }
    /* The key holds everything the request below is made of but the per-request environ (URI, client,
     * headers): the same credentials in the same configuration get the answer the worker gave them. */
    if (cache_seconds > 0) {
        anp_grant_key_parts parts;
        parts.server_name = r->server->server_hostname;
        parts.server_port = r->server->port;
        parts.location = conf->location;
        parts.auth_name = ap_auth_name(r);
        parts.seconds = cache_seconds;
        parts.handler = conf->user_spec;
        parts.group_handler = group_handler;
        parts.permissions = permissions;
        parts.user = user;
        parts.password = password;
        cacheable = anp_grant_cache_key(&parts, &key);
        if (cacheable && anp_grant_cache_get(r, &key, &cached)) {
            ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r,
                          ANPLOGNO(0519) "user '%s' granted from the grant cache (NodeAuthCacheSeconds %d at %s)",
                          user, cache_seconds, where(conf));
            return granted(r, user, cached.user, group_handler, permissions, cached.groups, cached.held_permissions);
        }
        /* Taken before the request is sent: the window starts no later than the worker's reading. */
        asked_at = cacheable ? anp_grant_cache_now() : 0;
    }
    prepare(r, conf, &req, ANP_KIND_CHECK_PASSWORD, conf->user_spec, user);
    req.password = password;
    req.group_handler = group_handler;
    req.permissions = permissions;
    if (anp_rpc_call(r, &req, &ans) != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      ANPLOGNO(0502) "checking the password of user '%s' failed: %s", user, ans.reason);
        return AUTH_GENERAL_ERROR;
    }
    switch (ans.status) {
    case ANP_STATUS_GRANTED: {
        const char *renamed = ans.user && *ans.user && strcmp(ans.user, user) ? ans.user : NULL;
        const char *unasked = unasked_permission(req.permissions, ans.permissions);
        if (unasked) {
            ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                          ANPLOGNO(0517) "checking the password of user '%s': the worker answered "
                          "permission '%s', which was not asked for", user, unasked);
            return AUTH_GENERAL_ERROR;
        }
        /* Only a grant is remembered: DENIED, USER_NOT_FOUND and errors ask the worker every time. */
        if (asked_at) {
            anp_grant grant;
            grant.user = renamed;
            grant.groups = group_handler ? ans.groups : NULL;
            grant.held_permissions = ans.permissions;
            anp_grant_cache_put(r, &key, asked_at, cache_seconds, &grant);
        }
        return granted(r, user, renamed, group_handler, permissions, ans.groups, ans.permissions);
    }
    case ANP_STATUS_DENIED:
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, ANPLOGNO(0504) "user '%s': wrong password%s%s", user,
                      ans.reason ? ": " : "", ans.reason ? ans.reason : "");
        return AUTH_DENIED;
    case ANP_STATUS_USER_NOT_FOUND:
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, ANPLOGNO(0505) "user '%s': not found or inactive%s%s", user,
                      ans.reason ? ": " : "", ans.reason ? ans.reason : "");
        return AUTH_USER_NOT_FOUND;
    default:
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      ANPLOGNO(0506) "the worker could not check the password of user '%s': %s", user,
                      ans.reason ? ans.reason : "no reason given");
        return AUTH_GENERAL_ERROR;
    }
}

/* Digest is not cached here: the HA1 is as good as the password for Digest, and the grant cache keeps
 * nothing a password could be recovered or replayed from (mod_authn_socache's AuthnCacheProvideFor node
 * can cache it, for those who accept that). */
static authn_status get_realm_hash(request_rec *r, const char *user, const char *realm, char **rethash)
{
    const anp_dir_conf *conf = dir_conf(r);
    anp_request req;
    anp_answer ans;

    if (!conf->user_spec) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      ANPLOGNO(0507) "AuthDigestProvider node at %s has no handler: set NodeAuthUserScript or "
                      "NodeAuthDjangoDatabase", where(conf));
        return AUTH_GENERAL_ERROR;
    }
    prepare(r, conf, &req, ANP_KIND_GET_REALM_HASH, conf->user_spec, user);
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

/* ------------------------------------------------------------------------------------------------ */
/* authz "node-group", "group", "node-permission"                                                    */
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

/* The worker's rule for GROUPS_FOR_USER (src/worker/dispatcher.ts matchGroups): names equal ignoring
 * ASCII case. Applied here too so that folded groups decide exactly as the worker would. */
static int any_group_matches(const apr_array_header_t *groups, const apr_array_header_t *wanted)
{
    int i, j;
    for (i = 0; i < wanted->nelts; i++) {
        for (j = 0; j < groups->nelts; j++) {
            if (!ap_cstr_casecmp(APR_ARRAY_IDX(groups, j, const char *), APR_ARRAY_IDX(wanted, i, const char *))) {
                return 1;
            }
        }
    }
    return 0;
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

static authz_status ask_worker(request_rec *r, const char *require_line, const void *parsed, uint8_t kind,
                               const char *what)
{
    const anp_dir_conf *conf = dir_conf(r);
    apr_array_header_t *words;
    const char *err = NULL;
    const anp_folded_answer *folded;
    anp_request req;
    anp_answer ans;

    /* Before authentication (first authz pass) there is no user yet: ask for one, cost nothing. */
    if (!r->user) {
        return AUTHZ_DENIED_NO_USER;
    }
    if (!conf->group_spec) {
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
    folded = ap_get_module_config(r->request_config, &authnz_node_module);
    if (folded && (!folded->user || strcmp(folded->user, r->user))) {
        folded = NULL;
    }
    if (kind == ANP_KIND_HAS_PERMISSION && folded && folded->asked_permissions) {
        int i, all_asked = 1, any_held = 0;
        for (i = 0; i < words->nelts; i++) {
            const char *name = APR_ARRAY_IDX(words, i, const char *);
            all_asked = all_asked && contains(folded->asked_permissions, name);
            any_held = any_held || contains(folded->held_permissions, name);
        }
        /* Decided from the password check only when it asked about every name of this line. */
        if (all_asked) {
            if (any_held) {
                return AUTHZ_GRANTED;
            }
            ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                          ANPLOGNO(0518) "Require %s %s: user '%s' has none of them (permissions from the "
                          "password check)", what, require_line, r->user);
            return AUTHZ_DENIED;
        }
    }
    if (kind == ANP_KIND_GROUPS_FOR_USER) {
        if (folded && folded->groups) {
            if (any_group_matches(folded->groups, words)) {
                return AUTHZ_GRANTED;
            }
            ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                          ANPLOGNO(0516) "Require %s %s: user '%s' is in none of them (groups from the "
                          "password check)", what, require_line, r->user);
            return AUTHZ_DENIED;
        }
    }
    prepare(r, conf, &req, kind, conf->group_spec, r->user);
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

static authz_status group_check(request_rec *r, const char *require_line, const void *parsed)
{
    const char *name = apr_table_get(r->notes, AUTHZ_PROVIDER_NAME_NOTE);
    return ask_worker(r, require_line, parsed, ANP_KIND_GROUPS_FOR_USER, name ? name : ANP_PROVIDER_GROUP);
}

static authz_status permission_check(request_rec *r, const char *require_line, const void *parsed)
{
    return ask_worker(r, require_line, parsed, ANP_KIND_HAS_PERMISSION, ANP_PROVIDER_PERMISSION);
}

static const authz_provider authz_group = {
    group_check,
    parse_group_line,
};

static const authz_provider authz_permission = {
    permission_check,
    parse_permission_line,
};

void anp_register_providers(apr_pool_t *p)
{
    ap_register_auth_provider(p, AUTHN_PROVIDER_GROUP, ANP_PROVIDER_AUTHN, AUTHN_PROVIDER_VERSION, &authn_node,
                              AP_AUTH_INTERNAL_PER_CONF);
    ap_register_auth_provider(p, AUTHZ_PROVIDER_GROUP, ANP_PROVIDER_GROUP, AUTHZ_PROVIDER_VERSION, &authz_group,
                              AP_AUTH_INTERNAL_PER_CONF);
    /* The same provider as "group": the last LoadModule to register a name owns it (provider.c keeps one). */
    ap_register_auth_provider(p, AUTHZ_PROVIDER_GROUP, ANP_PROVIDER_GROUP_ALIAS, AUTHZ_PROVIDER_VERSION,
                              &authz_group, AP_AUTH_INTERNAL_PER_CONF);
    ap_register_auth_provider(p, AUTHZ_PROVIDER_GROUP, ANP_PROVIDER_PERMISSION, AUTHZ_PROVIDER_VERSION,
                              &authz_permission, AP_AUTH_INTERNAL_PER_CONF);
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
