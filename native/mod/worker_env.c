/*
 * worker_env.c: the worker's environment, taken from httpd's by name (worker_env.h).
 */
#include <string.h>

#include "apr_tables.h"

#include "worker_env.h"

extern char **environ;

/* Whether "NAME=value" has the name given (exactly, or as a prefix ending in '_' for LC_). */
static int entry_named(const char *entry, const char *name, int is_prefix)
{
    size_t n = strlen(name);
    if (strncmp(entry, name, n)) {
        return 0;
    }
    if (is_prefix) {
        return strchr(entry + n, '=') != NULL;
    }
    return entry[n] == '=';
}

static int wanted(const char *entry, const anp_server_conf *conf)
{
    static const char *const always[] = {"PATH", "LANG", "TZ", NULL};
    int i;

    for (i = 0; always[i]; i++) {
        if (entry_named(entry, always[i], 0)) {
            return 1;
        }
    }
    /* LC_ALL, LC_CTYPE, ...: the name after LC_ has no '=' of its own, which entry_named checks. */
    if (entry_named(entry, "LC_", 1)) {
        return 1;
    }
    for (i = 0; conf && conf->worker_env && i < conf->worker_env->nelts; i++) {
        if (entry_named(entry, ((const char **)conf->worker_env->elts)[i], 0)) {
            return 1;
        }
    }
    return 0;
}

const char *const *anp_worker_environ(apr_pool_t *p, const anp_server_conf *conf)
{
    apr_array_header_t *env = apr_array_make(p, 8, sizeof(const char *));
    char **e;

    for (e = environ; e && *e; e++) {
        if (wanted(*e, conf)) {
            *(const char **)apr_array_push(env) = *e;
        }
    }
    *(const char **)apr_array_push(env) = NULL;
    return (const char *const *)env->elts;
}
