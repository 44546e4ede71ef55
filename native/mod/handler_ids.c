/*
 * handler_ids.c: the per-child table of handler ids, see handler_ids.h.
 */
#include <string.h>

#include "httpd.h"
#include "apr_hash.h"
#include "apr_strings.h"
#include "apr_thread_mutex.h"
#include "http_log.h"

#include "anp_protocol.h"
#include "anp_private.h"
#include "handler_ids.h"

typedef struct {
#if APR_HAS_THREADS
    apr_thread_mutex_t *lock;
#endif
    apr_pool_t *texts;      /* the keys' copies; only allocated from under the lock */
    apr_hash_t *ids;        /* spec text -> uint32_t id */
    uint32_t count;         /* ids given so far: 1..count */
} handler_table;

/* Per child process: set in child_init, before any request thread runs; NULL: no table (every check
 * fails). */
static handler_table *table;

static apr_status_t forget(void *data)
{
    (void)data;
    table = NULL;
    return APR_SUCCESS;
}

void anp_handler_ids_child_init(apr_pool_t *pchild, server_rec *s)
{
    handler_table *t = apr_pcalloc(pchild, sizeof(*t));
    apr_status_t rv = apr_pool_create(&t->texts, pchild);

#if APR_HAS_THREADS
    /* Always locked, even under prefork: mod_http2 may run requests on threads of its own. */
    if (rv == APR_SUCCESS) {
        rv = apr_thread_mutex_create(&t->lock, APR_THREAD_MUTEX_DEFAULT, pchild);
    }
#endif
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s,
                     ANPLOGNO(0107) "cannot make this child's table of handler ids: every check fails with 500");
        return;
    }
    t->ids = apr_hash_make(t->texts); /* grows at request time, so under the lock too */
    apr_pool_cleanup_register(pchild, t, forget, apr_pool_cleanup_null);
    table = t;
}

/* A new id for `spec` (the lock held): 0 when every id is taken. */
static uint32_t add(handler_table *t, const char *spec, apr_size_t len)
{
    uint32_t *id;
    if (t->count >= ANP_MAX_HANDLER_ID) {
        return 0;
    }
    id = apr_palloc(t->texts, sizeof(*id));
    *id = ++t->count;
    apr_hash_set(t->ids, apr_pstrmemdup(t->texts, spec, len), (apr_ssize_t)len, id);
    return *id;
}

uint32_t anp_handler_id(const char *spec)
{
    handler_table *t = table;
    apr_size_t len = strlen(spec);
    const uint32_t *found;
    uint32_t id;

    if (!t) {
        return 0;
    }
#if APR_HAS_THREADS
    if (apr_thread_mutex_lock(t->lock) != APR_SUCCESS) {
        return 0;
    }
#endif
    found = apr_hash_get(t->ids, spec, (apr_ssize_t)len);
    id = found ? *found : add(t, spec, len);
#if APR_HAS_THREADS
    apr_thread_mutex_unlock(t->lock);
#endif
    return id;
}
