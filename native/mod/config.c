/*
 * config.c: directives, configuration records and their merges, and the handler spec text per directory.
 *
 * A bad value fails the configuration (httpd -t, apachectl configtest) with a message that names the
 * directive and the problem; nothing is checked for the first time when a request arrives.
 */
#include <arpa/inet.h>
#include <sys/socket.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "apr_strings.h"
#include "apr_lib.h"
#include "http_core.h"

#include "anp_private.h"
#include "anp_verdict_store.h"
#include "config.h"
#include "grant_cache.h"
#include "session_config.h"
#include "throttle_config.h"
#include "worker_inputs.h"

#include <pwd.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/types.h>

#ifndef ANP_DEFAULT_NODE
#define ANP_DEFAULT_NODE "/usr/bin/node"
#endif
#ifndef ANP_DEFAULT_WORKER
#define ANP_DEFAULT_WORKER "/usr/lib/mod-authnz-node/dist/worker.js"
#endif

/* The user-model mapping keys and settings of a type=django spec (docs/protocol.md). */
typedef enum { ANP_OPT_IDENT, ANP_OPT_IDENT_OR_EMPTY, ANP_OPT_HASHERS, ANP_OPT_VERSION, ANP_OPT_FLAG,
               ANP_OPT_COUNT, ANP_OPT_LOCKOUT_MODE, ANP_OPT_REDIS_URL, ANP_OPT_KEY_PREFIX,
               ANP_OPT_HOURS, ANP_OPT_AXES_PARAMETERS, ANP_OPT_IP_LIST, ANP_OPT_SECRET_KEY_FILE,
               ANP_OPT_SESSION_ENGINE, ANP_OPT_COOKIE_NAME, ANP_OPT_ABS_PATH, ANP_OPT_BACKENDS,
               ANP_OPT_HASHING_ALGORITHM, ANP_OPT_TIME_ZONE } anp_option_kind;

/*
 * The Django handler's own rules and messages (src/django/config.ts, user-model.ts, hashers/options.ts),
 * so that configtest refuses what the worker would refuse when it makes the handler, in the worker's
 * words; test/vectors/django-options.json holds both sides to the same values and messages.
 */
#define ANP_MAX_IDENTIFIER_LEN 63
#define ANP_IDENTIFIER_PROBLEM "must be a table or column name matching /^[A-Za-z_][A-Za-z0-9_]*$/ (at most 63 characters)"
static const char *const django_versions[] = {"3.2", "4.0", "4.1", "4.2", "5.0", "5.1", "5.2", "6.0", "6.1", NULL};
#define ANP_DJANGO_VERSIONS_TEXT "3.2, 4.0, 4.1, 4.2, 5.0, 5.1, 5.2, 6.0, 6.1"
static const char *const hasher_names[] = {"pbkdf2_sha256", "pbkdf2_sha1", "argon2", "bcrypt_sha256", "bcrypt",
                                           "scrypt", "md5", "sha1", "unsalted_md5", "unsalted_sha1", "crypt",
                                           NULL};
#define ANP_HASHER_NAMES_TEXT "pbkdf2_sha256, pbkdf2_sha1, argon2, bcrypt_sha256, bcrypt, scrypt, md5, sha1, " \
                              "unsalted_md5, unsalted_sha1, crypt"

typedef struct {
    const char *key;
    anp_option_kind kind;
    long min, max;      /* ANP_OPT_COUNT */
} anp_django_option;

static const anp_django_option django_options[] = {
    {"user_table", ANP_OPT_IDENT, 0, 0},
    {"user_id_column", ANP_OPT_IDENT, 0, 0},
    {"username_column", ANP_OPT_IDENT, 0, 0},
    {"password_column", ANP_OPT_IDENT, 0, 0},
    {"is_active_column", ANP_OPT_IDENT_OR_EMPTY, 0, 0},
    {"is_superuser_column", ANP_OPT_IDENT_OR_EMPTY, 0, 0},
    {"is_staff_column", ANP_OPT_IDENT_OR_EMPTY, 0, 0},
    {"group_table", ANP_OPT_IDENT, 0, 0},
    {"user_groups_table", ANP_OPT_IDENT, 0, 0},
    {"user_groups_user_column", ANP_OPT_IDENT, 0, 0},
    {"user_groups_group_column", ANP_OPT_IDENT, 0, 0},
    {"permission_table", ANP_OPT_IDENT, 0, 0},
    {"content_type_table", ANP_OPT_IDENT, 0, 0},
    {"group_permissions_table", ANP_OPT_IDENT, 0, 0},
    {"user_permissions_table", ANP_OPT_IDENT, 0, 0},
    {"user_permissions_user_column", ANP_OPT_IDENT, 0, 0},
    {"hashers", ANP_OPT_HASHERS, 0, 0},
    {"django_version", ANP_OPT_VERSION, 0, 0},
    {"upgrade_hashes", ANP_OPT_FLAG, 0, 0},
    {"pool_size", ANP_OPT_COUNT, 1, 64},
    {"row_cache_seconds", ANP_OPT_COUNT, 0, 3600},
    {"verified_cache", ANP_OPT_FLAG, 0, 0},
    /* Stamped grants for the children's shared store (src/django/change-feed/) */
    {"change_feed", ANP_OPT_FLAG, 0, 0},
    {"change_feed_poll_ms", ANP_OPT_COUNT, 1, 1000},
    /* django-defender (src/brute-force/defender-settings.ts) */
    {"defender", ANP_OPT_LOCKOUT_MODE, 0, 0},
    {"defender_redis_url", ANP_OPT_REDIS_URL, 0, 0},
    {"defender_login_failure_limit", ANP_OPT_COUNT, 0, 1000000},
    {"defender_cooloff_time", ANP_OPT_COUNT, 0, 31536000},
    {"defender_cache_prefix", ANP_OPT_KEY_PREFIX, 0, 0},
    {"defender_lockout_by_ip_and_username", ANP_OPT_FLAG, 0, 0},
    {"defender_disable_ip_lockout", ANP_OPT_FLAG, 0, 0},
    {"defender_disable_username_lockout", ANP_OPT_FLAG, 0, 0},
    /* django-axes (src/django/axes-settings.ts) */
    {"axes", ANP_OPT_LOCKOUT_MODE, 0, 0},
    {"axes_failure_limit", ANP_OPT_COUNT, 1, 1000000},
    {"axes_cooloff_time", ANP_OPT_HOURS, 0, 8760},
    {"axes_lockout_parameters", ANP_OPT_AXES_PARAMETERS, 0, 0},
    {"axes_only_user_failures", ANP_OPT_FLAG, 0, 0},
    {"axes_lock_out_by_combination_user_and_ip", ANP_OPT_FLAG, 0, 0},
    {"axes_lock_out_by_user_or_ip", ANP_OPT_FLAG, 0, 0},
    {"axes_use_user_agent", ANP_OPT_FLAG, 0, 0},
    {"axes_only_admin_site", ANP_OPT_FLAG, 0, 0},
    {"axes_reset_on_success", ANP_OPT_FLAG, 0, 0},
    {"axes_never_lockout_whitelist", ANP_OPT_FLAG, 0, 0},
    {"axes_only_whitelist", ANP_OPT_FLAG, 0, 0},
    {"axes_reset_cool_off_on_failure_during_lockout", ANP_OPT_FLAG, 0, 0},
    {"axes_ip_whitelist", ANP_OPT_IP_LIST, 0, 0},
    {"axes_ip_blacklist", ANP_OPT_IP_LIST, 0, 0},
    /* Django login sessions (src/django/session-options.ts) */
    {"secret_key_file", ANP_OPT_SECRET_KEY_FILE, 0, 0},
    {"session_engine", ANP_OPT_SESSION_ENGINE, 0, 0},
    {"session_cookie_name", ANP_OPT_COOKIE_NAME, 0, 0},
    {"session_cookie_age", ANP_OPT_COUNT, 1, 315360000},
    {"session_file_path", ANP_OPT_ABS_PATH, 0, 0},
    {"authentication_backends", ANP_OPT_BACKENDS, 0, 0},
    {"hashing_algorithm", ANP_OPT_HASHING_ALGORITHM, 0, 0},
    {"use_tz", ANP_OPT_FLAG, 0, 0},
    {"time_zone", ANP_OPT_TIME_ZONE, 0, 0},
    {NULL, 0, 0, 0}
};

/* ------------------------------------------------------------------------------------------------ */
/* Value checks                                                                                      */
/* ------------------------------------------------------------------------------------------------ */

/* Spec text is line based, so a value must never carry a line break (or any other control byte). */
static int has_control_bytes(const char *s)
{
    for (; *s; s++) {
        if ((unsigned char)*s < 0x20 || *s == 0x7f) {
            return 1;
        }
    }
    return 0;
}

/* A SQL identifier as the Django handler accepts it: [A-Za-z_][A-Za-z0-9_]*, at most 63 bytes. */
static int is_identifier(const char *s)
{
    const char *start = s;
    if (!apr_isalpha(*s) && *s != '_') {
        return 0;
    }
    for (; *s; s++) {
        if (!apr_isalnum(*s) && *s != '_') {
            return 0;
        }
    }
    return s - start <= ANP_MAX_IDENTIFIER_LEN;
}

/* JSON.stringify of a string without control bytes (refused before): quoted, " and \ escaped. */
static const char *json_string(apr_pool_t *p, const char *s)
{
    char *out = apr_palloc(p, 2 * strlen(s) + 3), *o = out;
    *o++ = '"';
    for (; *s; s++) {
        if (*s == '"' || *s == '\\') {
            *o++ = '\\';
        }
        *o++ = *s;
    }
    *o++ = '"';
    *o = '\0';
    return out;
}

/*
 * Bytes of the whitespace character at s that JavaScript's String.prototype.trim() removes, 0 if none.
 * The worker trims each hasher name so; the control ones among them never get here.
 */
static size_t js_space_at(const char *s)
{
    static const char *const spaces[] = {" ", "\xc2\xa0", "\xe1\x9a\x80", "\xe2\x80\xa8", "\xe2\x80\xa9",
                                         "\xe2\x80\xaf", "\xe2\x81\x9f", "\xe3\x80\x80", "\xef\xbb\xbf", NULL};
    int i;
    for (i = 0; spaces[i]; i++) {
        if (!strncmp(s, spaces[i], strlen(spaces[i]))) {
            return strlen(spaces[i]);
        }
    }
    /* U+2000 to U+200A */
    if ((unsigned char)s[0] == 0xe2 && (unsigned char)s[1] == 0x80 && (unsigned char)s[2] >= 0x80
        && (unsigned char)s[2] <= 0x8a) {
        return 3;
    }
    return 0;
}

static int in_list(const char *const *list, const char *s, size_t len)
{
    for (; *list; list++) {
        if (strlen(*list) == len && !strncmp(*list, s, len)) {
            return 1;
        }
    }
    return 0;
}

/*
 * One comma-separated piece of a hashers value at *s, trimmed as the worker trims it; *s moves past its
 * comma. Returns the length of the [a-z0-9_] run, and -1 when the piece holds anything else or nothing.
 */
static int next_hasher_name(const char **s, const char **name)
{
    const char *c = *s;
    size_t k;
    int len;

    while ((k = js_space_at(c)) > 0) c += k;
    for (*name = c; apr_islower(*c) || apr_isdigit(*c) || *c == '_'; c++) {
    }
    len = (int)(c - *name);
    while ((k = js_space_at(c)) > 0) c += k;
    if (len == 0 || (*c && *c != ',')) {
        return -1;
    }
    *s = *c ? c + 1 : c;
    return len;
}

/*
 * hashers: names split at commas and trimmed, each [a-z0-9_]+ (config.ts), then each a known algorithm
 * and none twice (hashers/options.ts): three passes, so the first problem named is the worker's.
 */
static const char *check_hashers(apr_pool_t *p, const char *value)
{
    const char *s, *t, *name, *other;
    int len, other_len;

    for (s = value; *s || s == value;) {
        if (next_hasher_name(&s, &name) < 0) {
            return "hashers: expected comma-separated algorithm names, first preferred (e.g. pbkdf2_sha256,argon2)";
        }
        if (!*s && s[-1] == ',') {
            return "hashers: expected comma-separated algorithm names, first preferred (e.g. pbkdf2_sha256,argon2)";
        }
    }
    for (s = value; *s;) {
        len = next_hasher_name(&s, &name);
        if (!in_list(hasher_names, name, (size_t)len)) {
            return apr_psprintf(p, "hashers: hasher option hashers: unknown algorithm \"%.*s\" (known: %s)", len,
                                name, ANP_HASHER_NAMES_TEXT);
        }
    }
    for (s = value; *s;) {
        len = next_hasher_name(&s, &name);
        for (t = s; *t;) {
            other_len = next_hasher_name(&t, &other);
            if (other_len == len && !strncmp(name, other, (size_t)len)) {
                return "hashers: hasher option hashers: lists an algorithm twice";
            }
        }
    }
    return NULL;
}

/*
 * A whole number as the directives and config.ts take one: ASCII digits only (leading zeros allowed), at most
 * `max` (well below LONG_MAX / 10). 1 and *out, or 0; however many digits there are, nothing overflows.
 */
static int parse_whole(const char *value, long max, long *out)
{
    const char *c;
    long n = 0;

    for (c = value; *c >= '0' && *c <= '9' && n <= max; c++) {
        n = n * 10 + (*c - '0');
    }
    if (!*value || *c || n > max) {
        return 0;
    }
    *out = n;
    return 1;
}

/* An integer option, its value in range. */
static const char *check_count(apr_pool_t *p, const anp_django_option *opt, const char *value)
{
    long n;

    if (!parse_whole(value, opt->max, &n) || n < opt->min) {
        return apr_psprintf(p, "%s: expected an integer from %ld to %ld, got \"%s\"", opt->key, opt->min, opt->max,
                            value);
    }
    return NULL;
}

/*
 * A Redis URL as defender-settings.ts admits it (redis:// or rediss://, no spaces or control bytes), or,
 * for defender_redis_url, file:/abs/path of a file holding one, which httpd's parent reads as root and
 * hands the worker (worker_inputs.c). Never quotes the URL: it may hold the Redis password.
 */
const char *anp_config_check_redis_url(apr_pool_t *p, const char *url)
{
    (void)p; /* the reason is a constant; p keeps the signature of anp_secret_kind's checks */
    if ((strncasecmp(url, "redis://", 8) && strncasecmp(url, "rediss://", 9)) || strchr(url, ' ')
        || has_control_bytes(url)) {
        return "expected a redis:// or rediss:// URL";
    }
    return NULL;
}

static const char *check_redis_url(apr_pool_t *p, const anp_django_option *opt, const char *value)
{
    const char *err;

    if (!strncmp(value, ANP_SECRET_FILE_PREFIX, strlen(ANP_SECRET_FILE_PREFIX))) {
        const char *path = value + strlen(ANP_SECRET_FILE_PREFIX);
        if (path[0] != '/' || strchr(path, ' ')) {
            return apr_psprintf(p, "%s: %s needs an absolute path without spaces or control characters", opt->key,
                                ANP_SECRET_FILE_PREFIX);
        }
        /* Running as root (apache2 -t included), the file is checked now too, as NodeAuthDjangoDatabase's is. */
        return geteuid() == 0 ? anp_secret_file_check(p, path, &anp_secret_redis_url) : NULL;
    }
    if ((err = anp_config_check_redis_url(p, value)) != NULL) {
        return apr_psprintf(p, "%s: %s, or " ANP_SECRET_FILE_PREFIX "/abs/path of a file that holds one", opt->key, err);
    }
    return NULL;
}

/* A Redis key prefix as defender-settings.ts admits it: 1 to 64 of A-Z a-z 0-9 _ . : - */
static const char *check_key_prefix(apr_pool_t *p, const anp_django_option *opt, const char *value)
{
    size_t len = strlen(value);

    if (len < 1 || len > 64
        || strspn(value, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.:-") != len) {
        return apr_psprintf(p, "%s: expected 1 to 64 characters from A-Z a-z 0-9 _ . : -", opt->key);
    }
    return NULL;
}

/*
 * axes_cooloff_time as axes-settings.ts admits it: hours as digits with an optional fraction (django-axes
 * reads an int or a float as hours), greater than 0 and at most opt->max.
 */
static const char *check_hours(apr_pool_t *p, const anp_django_option *opt, const char *value)
{
    size_t whole = strspn(value, "0123456789");
    const char *rest = value + whole;
    double hours;

    if (whole == 0 || (*rest && (rest[0] != '.' || !rest[1] || strspn(rest + 1, "0123456789") != strlen(rest + 1)))
        || !((hours = strtod(value, NULL)) > 0) || hours > (double)opt->max) {
        return apr_psprintf(p, "%s: expected a number of hours greater than 0 and at most %ld (e.g. 0.5), got \"%s\"",
                            opt->key, opt->max, value);
    }
    return NULL;
}

/* The length of the piece at *start of len bytes once its leading and trailing spaces are cut (*start moves). */
static size_t cut_spaces(const char **start, size_t len)
{
    while (len > 0 && **start == ' ') {
        (*start)++;
        len--;
    }
    while (len > 0 && (*start)[len - 1] == ' ') len--;
    return len;
}

/*
 * AXES_LOCKOUT_PARAMETERS as axes-settings.ts admits it: entries joined by commas, each fields joined by +,
 * each field (spaces cut) ip_address, username or user_agent; so every piece between separators is a field.
 */
static const char *check_axes_parameters(apr_pool_t *p, const anp_django_option *opt, const char *value)
{
    static const char *const fields[] = {"ip_address", "username", "user_agent", NULL};
    const char *s = value, *piece;
    size_t len;

    for (;; s += len + 1) {
        len = strcspn(s, ",+");
        piece = s;
        if (!in_list(fields, piece, cut_spaces(&piece, len))) {
            return apr_psprintf(p, "%s: expected comma-separated entries, each ip_address, username or user_agent, or "
                                "several joined by + (e.g. username+ip_address), got \"%s\"", opt->key, value);
        }
        if (!s[len]) {
            return NULL;
        }
    }
}

/* axes_ip_whitelist / axes_ip_blacklist: comma-separated IPv4 or IPv6 addresses (spaces cut), as axes-settings.ts. */
static const char *check_ip_list(apr_pool_t *p, const anp_django_option *opt, const char *value)
{
    const char *s = value, *piece;
    unsigned char address[16];
    char *one;
    size_t len;

    for (;; s += len + 1) {
        len = strcspn(s, ",");
        piece = s;
        one = apr_pstrmemdup(p, piece, cut_spaces(&piece, len));
        if (inet_pton(AF_INET, one, address) != 1 && inet_pton(AF_INET6, one, address) != 1) {
            return apr_psprintf(p, "%s: expected comma-separated IP addresses, got \"%s\"", opt->key, value);
        }
        if (!s[len]) {
            return NULL;
        }
    }
}

/*
 * secret_key_file: an absolute path; running as root (apache2 -t included), the file is read and checked now,
 * as a file: secret is, so that one others or httpd's User can read is refused before any start.
 */
static const char *check_secret_key_file(apr_pool_t *p, const anp_django_option *opt, const char *value)
{
    if (value[0] != '/' || strchr(value, ' ')) {
        return apr_psprintf(p, "%s: expected an absolute path without spaces (a file only root can read: SECRET_KEY "
                            "on its first line, SECRET_KEY_FALLBACKS on the next ones)", opt->key);
    }
    return geteuid() == 0 ? anp_secret_file_check(p, value, &anp_secret_django_secret_key) : NULL;
}

/* The content of a secret_key_file: a first line that is not empty (the SECRET_KEY); fallbacks may follow. */
const char *anp_config_check_secret_key(apr_pool_t *p, const char *content)
{
    (void)p; /* the reason is a constant; p keeps the signature of anp_secret_kind's checks */
    if (content[0] == '\n' || content[0] == '\r' || content[0] == '\0') {
        return "its first line (the SECRET_KEY) is empty";
    }
    return NULL;
}

static const char *check_session_engine(apr_pool_t *p, const anp_django_option *opt, const char *value)
{
    static const char *const engines[] = {"db", "cached_db", "signed_cookies", "file", NULL};
    if (!strcmp(value, "cache")) {
        return apr_psprintf(p, "%s: the cache engine keeps sessions pickled in a cache server, which cannot be read "
                            "safely outside Python; use cached_db", opt->key);
    }
    if (in_list(engines, value, strlen(value))) {
        return NULL;
    }
    return apr_psprintf(p, "%s: expected db, cached_db, signed_cookies or file, got \"%s\"", opt->key, value);
}

/* A cookie name as RFC 6265 allows it: a token of letters, digits and !#$%&'*+-.^_`|~. */
static const char *check_cookie_name(apr_pool_t *p, const anp_django_option *opt, const char *value)
{
    static const char token_marks[] = "!#$%&'*+-.^_`|~";
    const char *c;
    for (c = value; *c && (apr_isalnum(*c) || strchr(token_marks, *c)); c++) {
    }
    if (!*value || *c) {
        return apr_psprintf(p, "%s: expected a cookie name (letters, digits and !#$%%&'*+-.^_`|~)", opt->key);
    }
    return NULL;
}

/* One dotted path piece at s of len bytes: Python identifiers joined by dots, at least two of them. */
static int is_dotted_path(const char *s, size_t len)
{
    size_t i, dots = 0;
    int start = 1;
    for (i = 0; i < len; i++) {
        if (s[i] == '.' && !start) {
            dots++;
            start = 1;
        }
        else if (apr_isalpha(s[i]) || s[i] == '_' || (!start && apr_isdigit(s[i]))) {
            start = 0;
        }
        else {
            return 0;
        }
    }
    return dots > 0 && !start;
}

/* authentication_backends: comma-separated dotted paths, each trimmed of spaces. */
static const char *check_backends(apr_pool_t *p, const anp_django_option *opt, const char *value)
{
    const char *s = value;
    for (;;) {
        const char *end = strchr(s, ',');
        size_t len = end ? (size_t)(end - s) : strlen(s);
        while (len > 0 && *s == ' ') {
            s++;
            len--;
        }
        while (len > 0 && s[len - 1] == ' ') {
            len--;
        }
        if (!is_dotted_path(s, len)) {
            return apr_psprintf(p, "%s: expected comma-separated dotted paths of backend classes (e.g. "
                                "django.contrib.auth.backends.ModelBackend)", opt->key);
        }
        if (!end) {
            return NULL;
        }
        s = end + 1;
    }
}

/*
 * time_zone: a tz database name (Europe/Paris, UTC, Etc/GMT+5): pieces of letters, digits and _+- joined by
 * slashes, at most 64 bytes. Whether the zone exists is the worker's to say (its Node's zone data).
 */
static const char *check_time_zone(apr_pool_t *p, const anp_django_option *opt, const char *value)
{
    const char *c;
    int start = 1;
    for (c = value; *c; c++) {
        if (*c == '/' && !start) {
            start = 1;
        }
        else if (apr_isalnum(*c) || *c == '_' || *c == '+' || *c == '-') {
            start = 0;
        }
        else {
            break;
        }
    }
    if (!*value || *c || start || strlen(value) > 64) {
        return apr_psprintf(p, "%s: expected a time zone name of the tz database (e.g. Europe/Paris)", opt->key);
    }
    return NULL;
}

/* The options of Django login sessions, by kind; NULL for the other kinds. */
static const char *check_session_option(apr_pool_t *p, const anp_django_option *opt, const char *value)
{
    switch (opt->kind) {
    case ANP_OPT_SECRET_KEY_FILE:
        return check_secret_key_file(p, opt, value);
    case ANP_OPT_SESSION_ENGINE:
        return check_session_engine(p, opt, value);
    case ANP_OPT_COOKIE_NAME:
        return check_cookie_name(p, opt, value);
    case ANP_OPT_ABS_PATH:
        return value[0] == '/' ? NULL : apr_psprintf(p, "%s: expected an absolute path", opt->key);
    case ANP_OPT_BACKENDS:
        return check_backends(p, opt, value);
    case ANP_OPT_HASHING_ALGORITHM:
        if (strcmp(value, "sha256") && strcmp(value, "sha1")) {
            return apr_psprintf(p, "%s: expected sha256 or sha1 (sha1 with django_version 3.2 only), got \"%s\"",
                                opt->key, value);
        }
        return NULL;
    case ANP_OPT_TIME_ZONE:
        return check_time_zone(p, opt, value);
    default:
        return NULL;
    }
}

/* Why value is refused for opt, in the worker's words after its "django handler: " (key first), or NULL. */
static const char *check_option_value(apr_pool_t *p, const anp_django_option *opt, const char *value)
{
    switch (opt->kind) {
    case ANP_OPT_IDENT_OR_EMPTY:
        if (!*value) {
            return NULL;
        }
        /* fall through */
    case ANP_OPT_IDENT:
        if (!*value) {
            return apr_psprintf(p, "%s: must not be empty", opt->key);
        }
        return is_identifier(value) ? NULL : apr_psprintf(p, "%s: " ANP_IDENTIFIER_PROBLEM, opt->key);
    case ANP_OPT_HASHERS:
        return check_hashers(p, value);
    case ANP_OPT_VERSION:
        if (in_list(django_versions, value, strlen(value))) {
            return NULL;
        }
        return apr_psprintf(p, "%s: unsupported Django version \"%s\" (hasher option django version: no preset for "
                            "%s (known: " ANP_DJANGO_VERSIONS_TEXT "))", opt->key, value, json_string(p, value));
    case ANP_OPT_FLAG:
        if (strcmp(value, "on") && strcmp(value, "off")) {
            return apr_psprintf(p, "%s: expected on or off, got \"%s\"", opt->key, value);
        }
        return NULL;
    case ANP_OPT_COUNT:
        return check_count(p, opt, value);
    case ANP_OPT_LOCKOUT_MODE:
        if (strcmp(value, "off") && strcmp(value, "honour") && strcmp(value, "record")) {
            return apr_psprintf(p, "%s: expected off, honour or record, got \"%s\"", opt->key, value);
        }
        return NULL;
    case ANP_OPT_REDIS_URL:
        return check_redis_url(p, opt, value);
    case ANP_OPT_KEY_PREFIX:
        return check_key_prefix(p, opt, value);
    case ANP_OPT_HOURS:
        return check_hours(p, opt, value);
    case ANP_OPT_AXES_PARAMETERS:
        return check_axes_parameters(p, opt, value);
    case ANP_OPT_IP_LIST:
        return check_ip_list(p, opt, value);
    default:
        return check_session_option(p, opt, value);
    }
}

/*
 * django-axes 6.x's AXES_LOCKOUT_PARAMETERS replaced its 5.x flags; axes-settings.ts refuses a spec with
 * both, naming the first flag in this order. Here within one section, as `key` is added to `options`;
 * nested sections that mix them are refused by the worker's spec check at configtest.
 */
static const char *check_axes_forms(apr_pool_t *p, const apr_table_t *options, const char *key)
{
    static const char *const flags[] = {"axes_only_user_failures", "axes_lock_out_by_combination_user_and_ip",
                                        "axes_lock_out_by_user_or_ip", "axes_use_user_agent", NULL};
    int i;

    if (strcmp(key, "axes_lockout_parameters") && !(options && apr_table_get(options, "axes_lockout_parameters"))) {
        return NULL;
    }
    for (i = 0; flags[i]; i++) {
        if (!strcmp(key, flags[i]) || (options && apr_table_get(options, flags[i]))) {
            return apr_psprintf(p, "axes_lockout_parameters: is django-axes 6.x's form of the 5.x flag %s: set one "
                                "or the other (the one the site's django-axes reads)", flags[i]);
        }
    }
    return NULL;
}

/*
 * A stamped grant says which user row the worker read; a row from the handler's row cache was read earlier,
 * so django/handler.ts refuses change_feed on with row_cache_seconds above 0. Here within one section, as
 * `key` is added; nested sections that combine them are refused by the worker's spec check at configtest.
 */
static const char *check_change_feed_forms(const apr_table_t *options, const char *key, const char *value)
{
    const char *feed = !strcmp(key, "change_feed") ? value : (options ? apr_table_get(options, "change_feed") : NULL);
    const char *rows = !strcmp(key, "row_cache_seconds") ? value
                       : (options ? apr_table_get(options, "row_cache_seconds") : NULL);

    if (feed && !strcmp(feed, "on") && rows && atol(rows) > 0) {
        return "change_feed: cannot be on with row_cache_seconds above 0 (a cached user row is not what a "
               "stamped grant says was read)";
    }
    return NULL;
}

/* The database URL schemes the Django handler reads (docs/protocol.md, type=django). */
const char *anp_config_check_database_url(apr_pool_t *p, const char *url)
{
    static const char *const schemes[] = {"postgres://", "postgresql://", "mysql://", "mariadb://", NULL};
    int i;

    if (has_control_bytes(url) || strchr(url, ' ')) {
        return "the URL must not contain spaces or control characters";
    }
    if (!strncasecmp(url, "sqlite://", 9)) {
        if (url[9] != '/' || url[10] == '\0') {
            return apr_psprintf(p, "a SQLite URL needs an absolute path (sqlite:///abs/path/db.sqlite3), "
                                "not '%s'", url);
        }
        return NULL;
    }
    for (i = 0; schemes[i]; i++) {
        size_t n = strlen(schemes[i]);
        if (!strncasecmp(url, schemes[i], n)) {
            if (url[n] == '\0') {
                return "the URL names no server or database";
            }
            return NULL;
        }
    }
    /* Never echo the URL: it may carry a password. */
    return "the URL must start with postgres://, postgresql://, mysql://, mariadb:// or sqlite:///";
}

/* ------------------------------------------------------------------------------------------------ */
/* Handler specs                                                                                     */
/* ------------------------------------------------------------------------------------------------ */

static const anp_handler *script_handler(apr_pool_t *p, const anp_script_conf *script)
{
    anp_handler *handler = apr_palloc(p, sizeof(*handler));
    handler->spec = apr_pstrcat(p, "type=script\npath=", script->path, "\nreload=", script->reload ? "on" : "off",
                                "\n", NULL);
    handler->reads_environ = 1;
    return handler;
}

static int compare_entries(const void *a, const void *b)
{
    return strcmp(((const apr_table_entry_t *)a)->key, ((const apr_table_entry_t *)b)->key);
}

/* Options are written sorted, so two sections with the same settings render the same text: they get the
 * same handler id in each child, and the worker, which keeps one handler per distinct spec text, shares
 * one database pool between them. */
const char *anp_config_render_django_spec(apr_pool_t *p, const char *database, const apr_table_t *options)
{
    const char *spec = apr_pstrcat(p, "type=django\ndatabase=", database, "\n", NULL);
    const apr_array_header_t *arr;
    apr_table_entry_t *sorted;
    int i;

    if (!options || apr_is_empty_table(options)) {
        return spec;
    }
    arr = apr_table_elts(options);
    sorted = apr_pmemdup(p, arr->elts, sizeof(apr_table_entry_t) * arr->nelts);
    qsort(sorted, arr->nelts, sizeof(apr_table_entry_t), compare_entries);
    for (i = 0; i < arr->nelts; i++) {
        spec = apr_pstrcat(p, spec, sorted[i].key, "=", sorted[i].val, "\n", NULL);
    }
    return spec;
}

/*
 * Which handler answers what: a script named for the purpose wins, then the built-in Django handler.
 * A location with only NodeAuthUserScript has no group handler, as with mod_wsgi's WSGIAuthUserScript
 * alone; the providers log that and answer 500 rather than guess.
 */
static void render_specs(apr_pool_t *p, anp_dir_conf *conf)
{
    anp_handler *django = NULL;

    if (conf->django_database) {
        django = apr_palloc(p, sizeof(*django));
        django->spec = anp_config_render_django_spec(p, conf->django_database, conf->django_options);
        django->reads_environ = 0;
    }
    conf->user_handler = conf->user_script ? script_handler(p, conf->user_script) : django;
    conf->group_handler = conf->group_script ? script_handler(p, conf->group_script) : django;
}

/* ------------------------------------------------------------------------------------------------ */
/* Configuration records                                                                             */
/* ------------------------------------------------------------------------------------------------ */

void *anp_create_server_conf(apr_pool_t *p, server_rec *s)
{
    anp_server_conf *conf = apr_pcalloc(p, sizeof(*conf));
    (void)s;
    conf->node_binary = ANP_DEFAULT_NODE;
    conf->worker_script = ANP_DEFAULT_WORKER;
    conf->worker_args = apr_array_make(p, 2, sizeof(const char *));
    conf->worker_env = apr_array_make(p, 2, sizeof(const char *));
    return conf;
}

/* Only the timeout may differ per virtual host; the worker settings are global (GLOBAL_ONLY). */
void *anp_merge_server_conf(apr_pool_t *p, void *base_, void *add_)
{
    const anp_server_conf *base = base_, *add = add_;
    anp_server_conf *conf = apr_pmemdup(p, base, sizeof(*conf));
    if (add->timeout) {
        conf->timeout = add->timeout;
    }
    return conf;
}

apr_interval_time_t anp_server_timeout(const server_rec *s)
{
    const anp_server_conf *conf = ap_get_module_config(s->module_config, &authnz_node_module);
    return conf->timeout ? conf->timeout : ANP_DEFAULT_TIMEOUT;
}

apr_interval_time_t anp_config_longest_timeout(server_rec *s)
{
    apr_interval_time_t longest = 0;
    for (; s; s = s->next) {
        apr_interval_time_t timeout = anp_server_timeout(s);
        longest = timeout > longest ? timeout : longest;
    }
    return longest;
}

void *anp_create_dir_conf(apr_pool_t *p, char *dir)
{
    anp_dir_conf *conf = apr_pcalloc(p, sizeof(*conf));
    conf->location = dir;
    conf->cache_seconds = -1;
    anp_session_conf_init(conf);
    return conf;
}

/*
 * Each field is inherited unless the inner section sets it; Django options merge key by key.
 * When the inner section sets none of the handler fields its parent's rendered specs are reused as
 * they are, so most request-time merges allocate nothing for the specs.
 */
void *anp_merge_dir_conf(apr_pool_t *p, void *base_, void *add_)
{
    const anp_dir_conf *base = base_, *add = add_;
    anp_dir_conf *conf = apr_pcalloc(p, sizeof(*conf));

    conf->location = add->location ? add->location : base->location;
    /* An inner section may turn the cache off (0) where an outer one turned it on, and the reverse. */
    conf->cache_seconds = add->cache_seconds >= 0 ? add->cache_seconds : base->cache_seconds;
    conf->fold_groups = add->fold_groups || base->fold_groups;
    conf->fold_user_flags = add->fold_user_flags | base->fold_user_flags;
    anp_session_conf_merge(p, base, add, conf);
    /* Both sections' names: with AuthMerging and/or both sets of Require lines apply; asking for a
     * name no line of this request needs costs a query, never a wrong answer. */
    if (add->fold_permissions && base->fold_permissions) {
        conf->fold_permissions = apr_array_append(p, base->fold_permissions, add->fold_permissions);
    }
    else {
        conf->fold_permissions = add->fold_permissions ? add->fold_permissions : base->fold_permissions;
    }
    conf->user_script = add->user_script ? add->user_script : base->user_script;
    conf->group_script = add->group_script ? add->group_script : base->group_script;
    conf->django_database = add->django_database ? add->django_database : base->django_database;
    if (add->django_options && base->django_options) {
        conf->django_options = apr_table_overlay(p, base->django_options, add->django_options);
        apr_table_compress(conf->django_options, APR_OVERLAP_TABLES_SET);
    }
    else {
        conf->django_options = add->django_options ? add->django_options : base->django_options;
    }

    if (!add->user_script && !add->group_script && !add->django_database && !add->django_options) {
        conf->user_handler = base->user_handler;
        conf->group_handler = base->group_handler;
    }
    else if (!base->user_script && !base->group_script && !base->django_database && !base->django_options) {
        conf->user_handler = add->user_handler;
        conf->group_handler = add->group_handler;
    }
    else {
        render_specs(p, conf);
    }
    return conf;
}

int anp_dir_cache_seconds(const anp_dir_conf *conf)
{
    return conf->cache_seconds > 0 ? conf->cache_seconds : 0;
}

int anp_config_grant_cache_wanted(server_rec *s)
{
    for (; s; s = s->next) {
        const anp_server_conf *conf = ap_get_module_config(s->module_config, &authnz_node_module);
        if (conf && conf->grant_cache_wanted) {
            return 1;
        }
    }
    return 0;
}

int anp_config_change_feed_wanted(server_rec *s)
{
    for (; s; s = s->next) {
        const anp_server_conf *conf = ap_get_module_config(s->module_config, &authnz_node_module);
        if (conf && conf->change_feed_wanted) {
            return 1;
        }
    }
    return 0;
}

void anp_config_note_group_require(cmd_parms *cmd)
{
    /* cmd->context is the section's configuration vector; our record in it may not exist yet when no
     * NodeAuth* directive came before the Require line, so let httpd create it. */
    anp_dir_conf *conf = ap_set_config_vectors(cmd->server, cmd->context, cmd->path, &authnz_node_module,
                                               cmd->pool);
    if (conf) {
        conf->fold_groups = 1;
    }
}

void anp_config_note_user_flag(cmd_parms *cmd, int flag)
{
    anp_dir_conf *conf = ap_set_config_vectors(cmd->server, cmd->context, cmd->path, &authnz_node_module,
                                               cmd->pool);
    if (conf) {
        conf->fold_user_flags |= flag;
    }
}

const char *anp_config_django_option(const anp_dir_conf *conf, const char *key)
{
    return conf->django_options ? apr_table_get(conf->django_options, key) : NULL;
}

void anp_config_note_permission_require(cmd_parms *cmd, const char *require_line)
{
    anp_dir_conf *conf = ap_set_config_vectors(cmd->server, cmd->context, cmd->path, &authnz_node_module,
                                               cmd->pool);
    apr_array_header_t *names;
    const char *rest = require_line;
    const char *word;

    if (!conf) {
        return;
    }
    names = conf->fold_permissions ? apr_array_copy(cmd->pool, conf->fold_permissions)
                                   : apr_array_make(cmd->pool, 4, sizeof(const char *));
    while (*(word = ap_getword_conf(cmd->pool, &rest))) {
        *(const char **)apr_array_push(names) = word;
    }
    conf->fold_permissions = names;
}

/* ------------------------------------------------------------------------------------------------ */
/* Directive handlers                                                                                */
/* ------------------------------------------------------------------------------------------------ */

static anp_server_conf *server_conf(cmd_parms *cmd)
{
    return ap_get_module_config(cmd->server->module_config, &authnz_node_module);
}

/*
 * NodeAuthCacheSeconds N: whole seconds, like mod_authn_socache's AuthnCacheTimeout, with no unit so
 * that nobody reads "5m" as five minutes. The upper bound keeps the staleness an administrator can
 * configure by accident to an hour.
 */
static const char *set_cache_seconds(cmd_parms *cmd, void *dconf, const char *value)
{
    anp_dir_conf *conf = dconf;
    long n;

    if (!parse_whole(value, ANP_GRANT_CACHE_MAX_SECONDS, &n)) {
        return apr_psprintf(cmd->pool, "%s: '%s' must be a whole number of seconds from 0 (off) to %d",
                            cmd->cmd->name, value, ANP_GRANT_CACHE_MAX_SECONDS);
    }
    conf->cache_seconds = (int)n;
    if (n > 0) {
        server_conf(cmd)->grant_cache_wanted = 1;
    }
    return NULL;
}

/*
 * The worker runs only the handler specs httpd's parent lists at start (worker_inputs.c), which it finds
 * in <Directory>, <Files>, <Location> and <If> sections. <Proxy> sections live in mod_proxy's own
 * configuration, out of the module's sight: a handler there would be refused at every request, so it is
 * refused here, where configtest shows it.
 */
static const char *refuse_in_proxy(cmd_parms *cmd)
{
    const ap_directive_t *d;
    for (d = cmd->directive ? cmd->directive->parent : NULL; d; d = d->parent) {
        if (!ap_cstr_casecmpn(d->directive, "<Proxy", 6)) {
            return apr_psprintf(cmd->pool, "%s cannot be used inside %s>: put the handler in a <Location> for "
                                "the proxied path instead", cmd->cmd->name, d->directive);
        }
    }
    return NULL;
}

static const char *set_script(cmd_parms *cmd, void *dconf, const char *path, const char *option)
{
    anp_dir_conf *conf = dconf;
    anp_script_conf *script = apr_pcalloc(cmd->pool, sizeof(*script));
    const char *err = refuse_in_proxy(cmd);

    if (err) {
        return err;
    }
    if (!*path || has_control_bytes(path)) {
        return apr_psprintf(cmd->pool, "%s: the script path must not be empty or contain control characters",
                            cmd->cmd->name);
    }
    /* A relative path would depend on the worker's working directory; a bare package name is fine. */
    if (path[0] == '.') {
        return apr_psprintf(cmd->pool, "%s: '%s' is relative: give an absolute path (or a package name)",
                            cmd->cmd->name, path);
    }
    script->path = path;
    if (option) {
        if (!strcasecmp(option, "reload=on")) {
            script->reload = 1;
        }
        else if (strcasecmp(option, "reload=off")) {
            return apr_psprintf(cmd->pool, "%s: unknown option '%s' (expected reload=on or reload=off)",
                                cmd->cmd->name, option);
        }
    }
    if (cmd->info == (void *)ANP_DIRECTIVE_USER_SCRIPT) {
        conf->user_script = script;
    }
    else {
        conf->group_script = script;
    }
    render_specs(cmd->pool, conf);
    return NULL;
}

/*
 * file:/abs/path: the URL is that file's content, which httpd's parent reads as root at each start
 * (worker_inputs.c) and hands the worker, so the password lives in no file httpd's User can read.
 * Running as root (apache2 -t included), the file is checked now as well, so configtest reports what the
 * start would refuse; the start checks again, against the User and Group in effect then.
 */
static const char *check_database_file(cmd_parms *cmd, const char *url)
{
    const char *path = url + strlen(ANP_SECRET_FILE_PREFIX);

    if (path[0] != '/' || has_control_bytes(path) || strchr(path, ' ')) {
        return apr_psprintf(cmd->pool, "%s: %s needs an absolute path without spaces or control characters",
                            cmd->cmd->name, ANP_SECRET_FILE_PREFIX);
    }
    return geteuid() == 0 ? anp_secret_file_check(cmd->pool, path, &anp_secret_database_url) : NULL;
}

static const char *set_django_database(cmd_parms *cmd, void *dconf, const char *url)
{
    anp_dir_conf *conf = dconf;
    const char *err = refuse_in_proxy(cmd);

    if (err) {
        return err;
    }
    if (!strncmp(url, ANP_SECRET_FILE_PREFIX, strlen(ANP_SECRET_FILE_PREFIX))) {
        if ((err = check_database_file(cmd, url)) != NULL) {
            return err;
        }
    }
    else if ((err = anp_config_check_database_url(cmd->pool, url)) != NULL) {
        return apr_psprintf(cmd->pool, "%s: %s", cmd->cmd->name, err);
    }
    conf->django_database = url;
    render_specs(cmd->pool, conf);
    return NULL;
}

static const char *set_django_option(cmd_parms *cmd, void *dconf, const char *key, const char *value)
{
    anp_dir_conf *conf = dconf;
    const anp_django_option *opt;
    const char *err = refuse_in_proxy(cmd);

    if (err) {
        return err;
    }
    for (opt = django_options; opt->key; opt++) {
        if (!strcmp(opt->key, key)) {
            break;
        }
    }
    if (!opt->key && (!strcmp(key, "type") || !strcmp(key, "database"))) {
        return apr_psprintf(cmd->pool, "%s: %s: set by the module (NodeAuthDjangoDatabase)", cmd->cmd->name, key);
    }
    if (!opt->key) {
        return apr_psprintf(cmd->pool, "%s: %s: unknown key for type=django (docs/module.md lists the keys)",
                            cmd->cmd->name, key);
    }
    if (has_control_bytes(value)) {
        /* Spec text is line based; the worker never sees such a value, so this check is the module's own. */
        return apr_psprintf(cmd->pool, "%s: %s: must not contain control characters", cmd->cmd->name, key);
    }
    if ((err = check_option_value(cmd->pool, opt, value)) != NULL
        || (err = check_axes_forms(cmd->pool, conf->django_options, key)) != NULL
        || (err = check_change_feed_forms(conf->django_options, key, value)) != NULL) {
        return apr_psprintf(cmd->pool, "%s: %s", cmd->cmd->name, err);
    }
    if (!conf->django_options) {
        conf->django_options = apr_table_make(cmd->pool, 4);
    }
    else if (apr_table_get(conf->django_options, key)) {
        /* The worker refuses a key given twice in a spec; here the second value would silently win. */
        return apr_psprintf(cmd->pool, "%s: %s: given twice in this section (an inner section may set it again)",
                            cmd->cmd->name, key);
    }
    apr_table_setn(conf->django_options, opt->key, value);
    if (!strcmp(opt->key, "change_feed") && !strcmp(value, "on")) {
        server_conf(cmd)->change_feed_wanted = 1;
    }
    render_specs(cmd->pool, conf);
    return NULL;
}

/*
 * NodeAuthDjangoOption key value, read here rather than by httpd's TAKE2, which refuses an empty word:
 * is_active_column "" and is_superuser_column "" (the model has no such field) need one.
 */
static const char *django_option_args(cmd_parms *cmd, void *dconf, const char *args)
{
    const char *key = ap_getword_conf(cmd->pool, &args);
    const char *value;

    if (!*key || !*args) {
        return apr_psprintf(cmd->pool, "%s takes two arguments, a key and its value (\"\" for none)",
                            cmd->cmd->name);
    }
    value = ap_getword_conf(cmd->pool, &args);
    if (*args) {
        return apr_psprintf(cmd->pool, "%s takes two arguments, a key and its value (quote a value with "
                            "spaces)", cmd->cmd->name);
    }
    return set_django_option(cmd, dconf, key, value);
}

static const char *absolute_file(cmd_parms *cmd, const char *path)
{
    if (!*path || has_control_bytes(path)) {
        return apr_psprintf(cmd->pool, "%s: the path must not be empty or contain control characters",
                            cmd->cmd->name);
    }
    if (path[0] != '/') {
        return apr_psprintf(cmd->pool, "%s: '%s' must be an absolute path", cmd->cmd->name, path);
    }
    return NULL;
}

static const char *set_node_binary(cmd_parms *cmd, void *dummy, const char *path)
{
    const char *err = ap_check_cmd_context(cmd, GLOBAL_ONLY);
    struct stat st;
    (void)dummy;
    if (err || (err = absolute_file(cmd, path))) {
        return err;
    }
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode) || access(path, X_OK) != 0) {
        return apr_psprintf(cmd->pool, "%s: '%s' is not an executable file", cmd->cmd->name, path);
    }
    server_conf(cmd)->node_binary = path;
    return NULL;
}

static const char *set_worker_script(cmd_parms *cmd, void *dummy, const char *path)
{
    const char *err = ap_check_cmd_context(cmd, GLOBAL_ONLY);
    (void)dummy;
    if (err || (err = absolute_file(cmd, path))) {
        return err;
    }
    server_conf(cmd)->worker_script = path;
    return NULL;
}

static const char *set_socket(cmd_parms *cmd, void *dummy, const char *path)
{
    const char *err = ap_check_cmd_context(cmd, GLOBAL_ONLY);
    const char *resolved;
    (void)dummy;
    if (err) {
        return err;
    }
    if (!*path || has_control_bytes(path)) {
        return apr_psprintf(cmd->pool, "%s: the path must not be empty or contain control characters",
                            cmd->cmd->name);
    }
    resolved = ap_runtime_dir_relative(cmd->pool, path);
    if (!resolved) {
        return apr_psprintf(cmd->pool, "%s: invalid path '%s'", cmd->cmd->name, path);
    }
    if (strlen(resolved) > ANP_MAX_SOCKET_PATH) {
        return apr_psprintf(cmd->pool, "%s: '%s' is longer than a Unix socket path may be (%d bytes)",
                            cmd->cmd->name, resolved, ANP_MAX_SOCKET_PATH);
    }
    server_conf(cmd)->socket_path = resolved;
    return NULL;
}

/* "5", "5s" or "2500ms": httpd's ap_timeout_parameter_parse() looks at the unit's first letter only and
 * would take "soon" for seconds, so the whole value is checked here. */
static int parse_duration(const char *value, apr_interval_time_t *out)
{
    apr_int64_t n = 0;
    const char *c = value;

    if (!apr_isdigit(*c)) {
        return 0;
    }
    for (; apr_isdigit(*c); c++) {
        n = n * 10 + (*c - '0');
        if (n > 100000000) {
            return 0;
        }
    }
    if (!strcmp(c, "ms")) {
        *out = apr_time_from_msec(n);
    }
    else if (!*c || !strcmp(c, "s")) {
        *out = apr_time_from_sec(n);
    }
    else {
        return 0;
    }
    return 1;
}

static const char *set_timeout(cmd_parms *cmd, void *dummy, const char *value)
{
    apr_interval_time_t timeout;
    (void)dummy;
    /* A bare number is seconds, like httpd's own Timeout. */
    if (!parse_duration(value, &timeout)) {
        return apr_psprintf(cmd->pool, "%s: '%s' is not a duration (e.g. 5, 5s or 2500ms)", cmd->cmd->name, value);
    }
    if (timeout < ANP_MIN_TIMEOUT || timeout > ANP_MAX_TIMEOUT) {
        return apr_psprintf(cmd->pool, "%s: '%s' is out of range (100ms to 300s)", cmd->cmd->name, value);
    }
    server_conf(cmd)->timeout = timeout;
    return NULL;
}

/* NodeAuthWorkerHeartbeat: a duration as NodeAuthTimeout takes it, or off. */
static const char *set_worker_heartbeat(cmd_parms *cmd, void *dummy, const char *value)
{
    const char *err = ap_check_cmd_context(cmd, GLOBAL_ONLY);
    apr_interval_time_t silence;
    (void)dummy;
    if (err) {
        return err;
    }
    if (!ap_cstr_casecmp(value, "off")) {
        server_conf(cmd)->worker_heartbeat = ANP_HEARTBEAT_OFF;
        return NULL;
    }
    if (!parse_duration(value, &silence)) {
        return apr_psprintf(cmd->pool, "%s: '%s' is not a duration (e.g. 5, 5s or 2500ms) or off", cmd->cmd->name,
                            value);
    }
    if (silence < ANP_MIN_HEARTBEAT || silence > ANP_MAX_HEARTBEAT) {
        return apr_psprintf(cmd->pool, "%s: '%s' is out of range (2s to 3600s, or off)", cmd->cmd->name, value);
    }
    server_conf(cmd)->worker_heartbeat = silence;
    return NULL;
}

/* NodeAuthSharedCacheEntries: a power of two the verdict store can lay out. */
static const char *set_shared_cache_entries(cmd_parms *cmd, void *dummy, const char *value)
{
    const char *err = ap_check_cmd_context(cmd, GLOBAL_ONLY);
    long n;
    (void)dummy;
    if (err) {
        return err;
    }
    if (!parse_whole(value, ANP_VERDICT_MAX_ENTRIES, &n) || n < ANP_VERDICT_MIN_ENTRIES || (n & (n - 1))) {
        return apr_psprintf(cmd->pool, "%s: '%s' is not a power of two from %u to %u", cmd->cmd->name, value,
                            ANP_VERDICT_MIN_ENTRIES, ANP_VERDICT_MAX_ENTRIES);
    }
    server_conf(cmd)->shared_cache_entries = (apr_uint32_t)n;
    return NULL;
}

/* NodeAuthSharedCacheMaxAge: whole seconds, 1..ANP_MAX_SHARED_MAX_AGE. */
static const char *set_shared_cache_max_age(cmd_parms *cmd, void *dummy, const char *value)
{
    const char *err = ap_check_cmd_context(cmd, GLOBAL_ONLY);
    long n;
    (void)dummy;
    if (err) {
        return err;
    }
    if (!parse_whole(value, ANP_MAX_SHARED_MAX_AGE, &n) || n < 1) {
        return apr_psprintf(cmd->pool, "%s: '%s' is not a whole number of seconds from 1 to %d", cmd->cmd->name,
                            value, ANP_MAX_SHARED_MAX_AGE);
    }
    server_conf(cmd)->shared_cache_max_age = (int)n;
    return NULL;
}

/* A directive naming a user: checked now so that a typo fails configtest rather than the worker's start.
 * NULL when `name` is an existing user, else the message. */
static const char *check_user_exists(cmd_parms *cmd, const char *name)
{
    struct passwd pwd, *found = NULL;
    char buf[4096];
    if (getpwnam_r(name, &pwd, buf, sizeof(buf), &found) != 0 || !found) {
        return apr_psprintf(cmd->pool, "%s: no such user '%s'", cmd->cmd->name, name);
    }
    return NULL;
}

static const char *set_worker_user(cmd_parms *cmd, void *dummy, const char *name)
{
    const char *err = ap_check_cmd_context(cmd, GLOBAL_ONLY);
    (void)dummy;
    if (!err) {
        err = check_user_exists(cmd, name);
    }
    if (!err) {
        server_conf(cmd)->worker_user = name;
    }
    return err;
}

static const char *set_admin_user(cmd_parms *cmd, void *dummy, const char *name)
{
    const char *err = ap_check_cmd_context(cmd, GLOBAL_ONLY);
    (void)dummy;
    if (!err) {
        err = check_user_exists(cmd, name);
    }
    if (!err) {
        server_conf(cmd)->admin_user = name;
    }
    return err;
}

static const char *set_worker_log_level(cmd_parms *cmd, void *dummy, const char *level)
{
    static const char *const levels[] = {"error", "warn", "info", "debug", NULL};
    const char *err = ap_check_cmd_context(cmd, GLOBAL_ONLY);
    int i;
    (void)dummy;
    if (err) {
        return err;
    }
    for (i = 0; levels[i]; i++) {
        if (!strcmp(levels[i], level)) {
            server_conf(cmd)->worker_log_level = levels[i];
            return NULL;
        }
    }
    return apr_psprintf(cmd->pool, "%s: '%s' is not one of error, warn, info, debug", cmd->cmd->name, level);
}

/*
 * The worker's flags the module sets itself (worker_supervisor.c), alone or as --flag=value. The worker
 * refuses a flag given twice, and where the module leaves one out a copy here would still be wrong: a
 * --trust-uid lets that user's processes ask for verdicts, the descriptor flags point the worker at
 * descriptors it was not handed.
 */
static const char *module_owned_worker_arg(cmd_parms *cmd, const char *arg)
{
    static const char *const owned[][2] = {
        {"--socket", " (use NodeAuthSocket)"}, {"--socket-mode", ""}, {"--trust-uid", ""},
        {"--timeout-ms", " (use NodeAuthTimeout)"}, {"--log-level", " (use NodeAuthWorkerLogLevel)"},
        {"--listen-fd", ""}, {"--bootstrap-fd", ""}, {"--heartbeat-fd", " (use NodeAuthWorkerHeartbeat)"},
        {"--no-bootstrap", ""}, {"--admin-fd", ""}, {"--admin-uid", " (use NodeAuthAdminUser)"}, {"--start-count", ""},
        {NULL, NULL}};
    size_t len = strcspn(arg, "=");
    const char *directive = anp_throttle_owned_flag(arg, len);
    int i;

    if (directive) {
        return apr_psprintf(cmd->pool, "%s: %.*s is set by the module (use %s)", cmd->cmd->name, (int)len, arg,
                            directive);
    }
    for (i = 0; owned[i][0]; i++) {
        if (strlen(owned[i][0]) == len && !strncmp(arg, owned[i][0], len)) {
            return apr_psprintf(cmd->pool, "%s: %s is set by the module%s", cmd->cmd->name, owned[i][0], owned[i][1]);
        }
    }
    return NULL;
}

static const char *add_worker_arg(cmd_parms *cmd, void *dummy, const char *arg)
{
    const char *err = ap_check_cmd_context(cmd, GLOBAL_ONLY);
    (void)dummy;
    if (err) {
        return err;
    }
    if ((err = module_owned_worker_arg(cmd, arg)) != NULL) {
        return err;
    }
    *(const char **)apr_array_push(server_conf(cmd)->worker_args) = arg;
    return NULL;
}

/*
 * NodeAuthWorkerEnv NAME...: variables of httpd's environment the worker also gets (worker_env.c).
 * NODE_* are refused: NODE_OPTIONS (--require, --import) and its kin make node run code before the
 * worker's own, so whoever can set httpd's environment would run code as the worker.
 */
static const char *add_worker_env(cmd_parms *cmd, void *dummy, const char *name)
{
    const char *err = ap_check_cmd_context(cmd, GLOBAL_ONLY);
    const char *c;
    (void)dummy;
    if (err) {
        return err;
    }
    for (c = name; *c && (apr_isalnum(*c) || *c == '_'); c++) {
    }
    if (!*name || apr_isdigit(*name) || *c) {
        return apr_psprintf(cmd->pool, "%s: '%s' is not a variable name (letters, digits and _, not starting "
                            "with a digit)", cmd->cmd->name, name);
    }
    if (!strncmp(name, "NODE_", 5)) {
        return apr_psprintf(cmd->pool, "%s: %s is refused: NODE_* variables (NODE_OPTIONS above all) change what "
                            "node runs, so whoever sets httpd's environment would run code in the worker",
                            cmd->cmd->name, name);
    }
    *(const char **)apr_array_push(server_conf(cmd)->worker_env) = name;
    return NULL;
}

const command_rec anp_directives[] = {
    AP_INIT_TAKE12(ANP_DIRECTIVE_USER_SCRIPT, set_script, (void *)ANP_DIRECTIVE_USER_SCRIPT, ACCESS_CONF,
                   "A handler script for AuthBasicProvider/AuthDigestProvider node, written against "
                   "mod_wsgi's check_password/get_realm_hash contract: an absolute path (or package name), "
                   "optionally followed by reload=on to load a changed file again"),
    AP_INIT_TAKE12(ANP_DIRECTIVE_GROUP_SCRIPT, set_script, (void *)ANP_DIRECTIVE_GROUP_SCRIPT, ACCESS_CONF,
                   "A handler script for Require node-group/group/node-permission (mod_wsgi's "
                   "groups_for_user contract): an absolute path (or package name), optionally followed by "
                   "reload=on"),
    AP_INIT_TAKE1(ANP_DIRECTIVE_DJANGO_DATABASE, set_django_database, NULL, ACCESS_CONF,
                  "Use the built-in Django handler on this database, no script needed: postgres://, "
                  "postgresql://, mysql://, mariadb:// or sqlite:///abs/path URL, or file:/abs/path of a "
                  "file only root can read that holds the URL"),
    AP_INIT_RAW_ARGS("NodeAuthDjangoOption", django_option_args, NULL, ACCESS_CONF,
                  "A setting of the built-in Django handler: a user-model mapping key (user_table, "
                  "username_column, is_active_column, ...) or hashers, django_version, upgrade_hashes, "
                  "pool_size, row_cache_seconds, verified_cache, the defender_* and axes_* keys, or a session "
                  "key (secret_key_file, session_engine, session_cookie_name, session_cookie_age, "
                  "session_file_path, authentication_backends, hashing_algorithm, use_tz, time_zone), followed by its value"),
    AP_INIT_TAKE1(ANP_DIRECTIVE_CACHE_SECONDS, set_cache_seconds, NULL, ACCESS_CONF,
                  "How long (0 to 3600 seconds; default 0, off) each Apache child remembers a granted Basic "
                  "password check, with the user's groups and permissions, and answers the same user and "
                  "password in this section without asking the worker; a password change, deactivation or "
                  "group removal then takes up to that long to be seen"),
    AP_INIT_TAKE1("NodeAuthNodeBinary", set_node_binary, NULL, RSRC_CONF,
                  "Absolute path of the node executable that runs the worker (default: the node that "
                  "built the module)"),
    AP_INIT_TAKE1("NodeAuthWorker", set_worker_script, NULL, RSRC_CONF,
                  "Absolute path of the worker's entry script (default: dist/worker.js of the build)"),
    AP_INIT_TAKE1("NodeAuthWorkerScript", set_worker_script, NULL, RSRC_CONF,
                  "Same as NodeAuthWorker"),
    AP_INIT_TAKE1("NodeAuthSocket", set_socket, NULL, RSRC_CONF,
                  "Path of the worker's Unix socket, relative to DefaultRuntimeDir unless absolute; its "
                  "directory is made by the module and reserved for the worker (default: "
                  "authnz_node.<httpd pid>/worker.sock under DefaultRuntimeDir)"),
    AP_INIT_TAKE1("NodeAuthTimeout", set_timeout, NULL, RSRC_CONF,
                  "How long one check may take before it fails with 500: seconds, or a number "
                  "followed by ms (default 5s, 100ms to 300s)"),
    AP_INIT_TAKE1("NodeAuthWorkerUser", set_worker_user, NULL, RSRC_CONF,
                  "The user the worker runs as, with that user's groups (default: httpd's User)"),
    AP_INIT_TAKE1("NodeAuthAdminUser", set_admin_user, NULL, RSRC_CONF,
                  "The user besides root who may ask the worker for its status over admin.sock (beside "
                  "the worker's socket), which then belongs to that user; never httpd's User (default: root only)"),
    AP_INIT_TAKE1("NodeAuthWorkerLogLevel", set_worker_log_level, NULL, RSRC_CONF,
                  "The worker's log level: error, warn, info or debug (default: the worker's, info)"),
    AP_INIT_ITERATE("NodeAuthWorkerArgs", add_worker_arg, NULL, RSRC_CONF,
                    "Extra arguments appended to the worker's command line, e.g. --config /etc/x.json"),
    AP_INIT_TAKE1("NodeAuthWorkerHeartbeat", set_worker_heartbeat, NULL, RSRC_CONF,
                  "How long the worker may go without a heartbeat from its event loop (stopped, or stuck "
                  "in a handler) before httpd's parent kills and replaces it; httpd's monitor looks every "
                  "10 s (default 5s, 2s to 3600s, or off)"),
    AP_INIT_TAKE1("NodeAuthSharedCacheEntries", set_shared_cache_entries, NULL, RSRC_CONF,
                  "Entries of the store of stamped grants shared by httpd's children, made only when a section "
                  "has NodeAuthDjangoOption change_feed on (a power of two, 64 to 4194304, default 16384)"),
    AP_INIT_TAKE1("NodeAuthSharedCacheMaxAge", set_shared_cache_max_age, NULL, RSRC_CONF,
                  "Seconds a stamped grant in the shared store may answer, however current its stamps: bounds "
                  "how long a change the worker does not see is outlived (1 to 3600, default 60)"),
    AP_INIT_ITERATE("NodeAuthWorkerEnv", add_worker_env, NULL, RSRC_CONF,
                    "Names of variables of httpd's environment the worker also gets, besides PATH, LANG, "
                    "LC_* and TZ (NODE_* refused)"),
    ANP_THROTTLE_DIRECTIVES,
    ANP_SESSION_DIRECTIVES,
    {NULL}
};
