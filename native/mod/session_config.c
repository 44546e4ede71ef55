/*
 * session_config.c: the directives of AuthType DjangoSession, see session_config.h.
 */
#include <stdlib.h>
#include <string.h>

#include "apr_strings.h"
#include "apr_lib.h"
#include "apr_tables.h"

#include "anp_private.h"
#include "config.h"
#include "session_config.h"

void anp_session_conf_init(anp_dir_conf *conf)
{
    conf->session_basic_fallback = -1;
    conf->session_cache = -1;
}

void anp_session_conf_merge(apr_pool_t *p, const anp_dir_conf *base, const anp_dir_conf *add, anp_dir_conf *conf)
{
    (void)p;
    conf->session_login_url = add->session_login_url ? add->session_login_url : base->session_login_url;
    conf->session_deny_status = add->session_deny_status ? add->session_deny_status : base->session_deny_status;
    conf->session_basic_fallback = add->session_basic_fallback >= 0 ? add->session_basic_fallback
                                                                     : base->session_basic_fallback;
    /* An inner section's list replaces its parent's: trusting more than the inner section says is the
     * wrong way to fail. */
    conf->session_origins = add->session_origins ? add->session_origins : base->session_origins;
    conf->session_cache = add->session_cache >= 0 ? add->session_cache : base->session_cache;
}

int anp_session_deny_status(const anp_dir_conf *conf)
{
    return conf->session_deny_status ? conf->session_deny_status : HTTP_UNAUTHORIZED;
}

int anp_session_basic_fallback(const anp_dir_conf *conf)
{
    return conf->session_basic_fallback > 0;
}

int anp_session_cache(const anp_dir_conf *conf)
{
    return conf->session_cache > 0;
}

/* Bytes a login URL may hold: printable ASCII but space and what iri_to_uri would change. */
static int url_byte(char c)
{
    return c > 0x20 && c < 0x7f && !strchr("\"<>\\^`{|}", c);
}

/* The length of "http://" or "https://" at s (any case), 0 if neither. */
static apr_size_t scheme_len(const char *s)
{
    return !strncasecmp(s, "http://", 7) ? 7 : !strncasecmp(s, "https://", 8) ? 8 : 0;
}

const char *anp_session_set_login_url(cmd_parms *cmd, void *dconf, const char *url)
{
    anp_dir_conf *conf = dconf;
    apr_size_t len = strlen(url), i, scheme = scheme_len(url);
    char *copy;

    for (i = 0; i < len && url_byte(url[i]); i++) {
    }
    if (len == 0 || len > ANP_MAX_LOGIN_URL || i < len || (url[0] == '/' && url[1] == '/')
        || (url[0] != '/' && (!scheme || strchr("/?#", url[scheme])))) {
        return apr_psprintf(cmd->pool, "%s: '%s' must be a path (/accounts/login/) or an absolute http:// or "
                            "https:// URL with a host, of at most %d bytes of printable ASCII without spaces or "
                            "any of \"<>\\^`{|}", cmd->cmd->name, url, ANP_MAX_LOGIN_URL);
    }
    /* Python's urlparse writes the scheme back in lower case. */
    copy = apr_pstrdup(cmd->pool, url);
    for (i = 0; i < scheme; i++) {
        copy[i] = (char)apr_tolower(copy[i]);
    }
    conf->session_login_url = copy;
    return NULL;
}

const char *anp_session_set_deny_status(cmd_parms *cmd, void *dconf, const char *value)
{
    anp_dir_conf *conf = dconf;
    if (strcmp(value, "401") && strcmp(value, "403")) {
        return apr_psprintf(cmd->pool, "%s: '%s' must be 401 or 403", cmd->cmd->name, value);
    }
    conf->session_deny_status = value[2] == '1' ? HTTP_UNAUTHORIZED : HTTP_FORBIDDEN;
    return NULL;
}

const char *anp_session_set_basic_fallback(cmd_parms *cmd, void *dconf, int on)
{
    (void)cmd;
    ((anp_dir_conf *)dconf)->session_basic_fallback = on != 0;
    return NULL;
}

const char *anp_session_set_cache(cmd_parms *cmd, void *dconf, int on)
{
    (void)cmd;
    ((anp_dir_conf *)dconf)->session_cache = on != 0;
    return NULL;
}

/*
 * "scheme://host[:port]" of s[0, len) in the one form origins are compared in: scheme and host lower
 * case, no default port (http 80, https 443). With `rest_ok`, anything from a '/', '?' or '#' after the
 * host on is left out (a Referer); without, nothing may follow (an Origin, or the directive's value).
 * NULL when it is no such origin.
 */
static const char *normal_origin(apr_pool_t *p, const char *s, apr_size_t len, int rest_ok)
{
    apr_size_t scheme = len >= 8 ? scheme_len(s) : 0, host_end, end, port_at = 0, i;
    char *out;

    if (!scheme) {
        return NULL;
    }
    for (end = scheme; end < len && !strchr("/?#", s[end]); end++) {
    }
    if ((end < len && !rest_ok) || end > ANP_MAX_ORIGIN) {
        return NULL;
    }
    host_end = s[scheme] == '[' ? scheme + strcspn(s + scheme, "]") + 1 : scheme;
    for (i = host_end; i < end && s[i] != ':'; i++) {
    }
    host_end = i;
    if (host_end == scheme || host_end > end) {
        return NULL;
    }
    if (host_end < end) {
        port_at = host_end + 1;
        if (port_at == end || end - port_at > 5 || strspn(s + port_at, "0123456789") < end - port_at
            || atoi(apr_pstrmemdup(p, s + port_at, end - port_at)) > 65535) {
            return NULL;
        }
    }
    for (i = scheme; i < host_end; i++) {
        if (!apr_isalnum(s[i]) && !strchr("-._~[]:%!$&'()*+,;=", s[i])) {
            return NULL;
        }
    }
    out = apr_pstrmemdup(p, s, end);
    ap_str_tolower(out);
    if (port_at && ((scheme == 7 && !strcmp(out + port_at, "80")) || (scheme == 8 && !strcmp(out + port_at, "443")))) {
        out[host_end] = '\0';
    }
    return out;
}

const char *anp_session_add_origin(cmd_parms *cmd, void *dconf, const char *origin)
{
    anp_dir_conf *conf = dconf;
    const char *normal = normal_origin(cmd->pool, origin, strlen(origin), 0);
    apr_array_header_t *list;

    if (!normal) {
        return apr_psprintf(cmd->pool, "%s: '%s' must be an origin: http:// or https://, a host and an optional "
                            ":port, nothing after it (e.g. https://www.example.com)", cmd->cmd->name, origin);
    }
    list = conf->session_origins ? apr_array_copy(cmd->pool, conf->session_origins)
                                 : apr_array_make(cmd->pool, 2, sizeof(const char *));
    *(const char **)apr_array_push(list) = normal;
    conf->session_origins = list;
    return NULL;
}

int anp_session_origin_trusted(apr_pool_t *p, const anp_dir_conf *conf, const char *origin, apr_size_t len)
{
    const char *normal = normal_origin(p, origin, len, 1);
    int i;

    for (i = 0; normal && conf->session_origins && i < conf->session_origins->nelts; i++) {
        if (!strcmp(normal, APR_ARRAY_IDX(conf->session_origins, i, const char *))) {
            return 1;
        }
    }
    return 0;
}
