/*
 * conn_pool.c: the per-child stack of idle connections, see conn_pool.h.
 */
#include "httpd.h"
#include "apr_thread_mutex.h"
#include "http_log.h"

#include "anp_private.h"
#include "conn_pool.h"

/* More idle connections than this are closed rather than kept (threads per child bound it anyway). */
#define ANP_MAX_IDLE 64

typedef struct {
#if APR_HAS_THREADS
    apr_thread_mutex_t *lock;
#endif
    anp_conn *idle;
    int idle_count;
} anp_pool;

/* Per child process: set in child_init, before any request thread runs. */
static anp_pool *pool;

static apr_status_t close_idle(void *data)
{
    anp_pool *pl = data;
    while (pl->idle) {
        anp_conn *c = pl->idle;
        pl->idle = c->next;
        anp_conn_close(c);
    }
    pl->idle_count = 0;
    pool = NULL;
    return APR_SUCCESS;
}

void anp_pool_child_init(apr_pool_t *pchild, server_rec *s)
{
    anp_pool *pl = apr_pcalloc(pchild, sizeof(*pl));
#if APR_HAS_THREADS
    /* Always locked, even under prefork: mod_http2 may run requests on threads of its own. */
    apr_status_t rv = apr_thread_mutex_create(&pl->lock, APR_THREAD_MUTEX_DEFAULT, pchild);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s, ANPLOGNO(0401) "cannot create the connection pool's mutex");
        return; /* pool stays NULL: every check opens a connection of its own and closes it */
    }
#else
    (void)s;
#endif
    apr_pool_cleanup_register(pchild, pl, close_idle, apr_pool_cleanup_null);
    pool = pl;
}

static void lock(anp_pool *pl)
{
#if APR_HAS_THREADS
    apr_thread_mutex_lock(pl->lock);
#else
    (void)pl;
#endif
}

static void unlock(anp_pool *pl)
{
#if APR_HAS_THREADS
    apr_thread_mutex_unlock(pl->lock);
#else
    (void)pl;
#endif
}

anp_conn *anp_pool_take(void)
{
    anp_pool *pl = pool;
    anp_conn *conn;

    if (!pl) {
        return NULL;
    }
    lock(pl);
    conn = pl->idle;
    if (conn) {
        pl->idle = conn->next;
        pl->idle_count--;
    }
    unlock(pl);
    return conn;
}

void anp_pool_give_back(anp_conn *conn)
{
    anp_pool *pl = pool;

    if (pl) {
        lock(pl);
        if (pl->idle_count < ANP_MAX_IDLE) {
            conn->next = pl->idle;
            pl->idle = conn;
            pl->idle_count++;
            conn = NULL;
        }
        unlock(pl);
    }
    if (conn) {
        anp_conn_close(conn);
    }
}
