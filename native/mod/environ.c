/*
 * environ.c: the environ a check to a script handler carries (request.c decides when).
 */
#include <string.h>

#include "apr_strings.h"
#include "apr_lib.h"
#include "http_core.h"
#include "http_protocol.h"
#include "http_ssl.h"

#include "anp_private.h"
#include "environ.h"

static void add(apr_array_header_t *env, apr_pool_t *p, const char *key, const char *value)
{
    *(const char **)apr_array_push(env) = apr_pstrcat(p, key, "=", value ? value : "", NULL);
}

/* Headers that carry credentials: the password travels once, in PASSWORD, and only for check_password. */
static int is_credential_header(const char *name)
{
    return !strcasecmp(name, "Authorization") || !strcasecmp(name, "Proxy-Authorization")
           || !strcasecmp(name, "Cookie");
}

/*
 * Only names of letters, digits and '-' are exported, as httpd's ap_add_common_vars does: X_Remote_User
 * and X-Remote-User would both become HTTP_X_REMOTE_USER, and a proxy in front that strips or sets only the
 * second would let the client choose the value through the first.
 */
static int exportable_name(const char *name)
{
    if (!*name) {
        return 0;
    }
    for (; *name; name++) {
        if (!apr_isalnum(*name) && *name != '-') {
            return 0;
        }
    }
    return 1;
}

/* HTTP_ + the header name upper-cased, '-' turned into '_' (as CGI). */
static const char *http_key(apr_pool_t *p, const char *name)
{
    char *key = apr_pstrcat(p, "HTTP_", name, NULL);
    char *c;
    for (c = key + 5; *c; c++) {
        *c = apr_isalnum(*c) ? apr_toupper(*c) : '_';
    }
    return key;
}

typedef struct {
    apr_array_header_t *env;
    apr_pool_t *pool;
} header_walk;

static int add_header(void *data, const char *name, const char *value)
{
    header_walk *walk = data;
    if (!is_credential_header(name) && exportable_name(name)) {
        add(walk->env, walk->pool, http_key(walk->pool, name), value);
    }
    return 1;
}

apr_array_header_t *anp_build_environ(request_rec *r, const char *location)
{
    apr_array_header_t *env = apr_array_make(r->pool, 32, sizeof(const char *));
    conn_rec *c = r->connection;
    const char *script_name = r->uri;
    header_walk walk;
    int https;

    /* SCRIPT_NAME + PATH_INFO = the URI, as for CGI. */
    if (r->path_info && *r->path_info) {
        apr_size_t uri_len = strlen(r->uri), info_len = strlen(r->path_info);
        if (info_len <= uri_len && !strcmp(r->uri + uri_len - info_len, r->path_info)) {
            script_name = apr_pstrmemdup(r->pool, r->uri, uri_len - info_len);
        }
    }
    https = ap_ssl_conn_is_ssl(c) || !strcasecmp(ap_run_http_scheme(r), "https");

    add(env, r->pool, "REQUEST_METHOD", r->method);
    add(env, r->pool, "REQUEST_URI", r->unparsed_uri);
    add(env, r->pool, "SCRIPT_NAME", script_name);
    if (r->path_info && *r->path_info) {
        add(env, r->pool, "PATH_INFO", r->path_info);
    }
    add(env, r->pool, "QUERY_STRING", r->args);
    add(env, r->pool, "SERVER_NAME", ap_get_server_name(r));
    add(env, r->pool, "SERVER_PORT", apr_psprintf(r->pool, "%u", ap_get_server_port(r)));
    add(env, r->pool, "SERVER_PROTOCOL", r->protocol);
    add(env, r->pool, "REMOTE_ADDR", r->useragent_ip);
    add(env, r->pool, "REMOTE_PORT", apr_psprintf(r->pool, "%d", c->client_addr ? c->client_addr->port : 0));
    if (https) {
        add(env, r->pool, "HTTPS", "on");
    }
    if (ap_auth_type(r)) {
        add(env, r->pool, "AUTH_TYPE", ap_auth_type(r));
    }
    if (r->user) {
        add(env, r->pool, "REMOTE_USER", r->user);
    }
    add(env, r->pool, "mod_authnz_node.location", location ? location : "");
    add(env, r->pool, "mod_authnz_node.auth_name", ap_auth_name(r));
    /* Headers last: the module's own entries above must all reach the handler (request.c fails the check
     * when they cannot), and none of them starts with HTTP_. */
    walk.env = env;
    walk.pool = r->pool;
    apr_table_do(add_header, &walk, r->headers_in, NULL);
    return env;
}

int anp_environ_is_own(const char *entry)
{
    return strncmp(entry, "HTTP_", 5) != 0;
}
