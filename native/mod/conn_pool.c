/*
 * conn_pool.c: connections to the worker and the per-child pool of idle ones.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "httpd.h"
#include "apr_strings.h"
#include "apr_thread_mutex.h"
#include "http_log.h"

#include "mod_authnz_node.h"
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
        return; /* pool stays NULL: every check fails closed */
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

void anp_conn_close(anp_conn *conn)
{
    if (conn) {
        close(conn->fd);
        free(conn);
    }
}

/* Milliseconds until the deadline for poll(), at least 0. */
static int remaining_ms(apr_time_t deadline)
{
    apr_time_t left = deadline - apr_time_now();
    if (left <= 0) {
        return 0;
    }
    return (int)((left + 999) / 1000);
}

static apr_status_t wait_for(int fd, short events, apr_time_t deadline)
{
    struct pollfd pfd;
    int rc, ms;

    for (;;) {
        ms = remaining_ms(deadline);
        if (ms == 0) {
            return APR_TIMEUP;
        }
        pfd.fd = fd;
        pfd.events = events;
        pfd.revents = 0;
        rc = poll(&pfd, 1, ms);
        if (rc > 0) {
            return APR_SUCCESS; /* ready, or HUP/ERR which the next read/write reports */
        }
        if (rc == 0) {
            return APR_TIMEUP;
        }
        if (errno != EINTR) {
            return errno;
        }
    }
}

anp_conn *anp_conn_connect(const char *path, apr_time_t deadline, apr_pool_t *p, const char **reason)
{
    struct sockaddr_un addr;
    apr_time_t retry_until = apr_time_now() + ANP_CONNECT_RETRY_WINDOW;
    apr_interval_time_t pause = apr_time_from_msec(20);
    anp_conn *conn;
    int fd;

    if (!path) {
        *reason = "the worker's socket path is unknown (was the worker started?)";
        return NULL;
    }
    if (strlen(path) >= sizeof(addr.sun_path)) {
        *reason = "the socket path is too long";
        return NULL;
    }
    if (retry_until > deadline) {
        retry_until = deadline;
    }
    memset(&addr, 0, sizeof(addr));
    addr.sun_family = AF_UNIX;
    memcpy(addr.sun_path, path, strlen(path) + 1);

    for (;;) {
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0) {
            *reason = apr_psprintf(p, "socket(): %s", strerror(errno));
            return NULL;
        }
        if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0) {
            break;
        }
        {
            int err = errno;
            close(fd);
            /* Missing or refusing: the worker is (re)starting. Full backlog: it is busy. Try again shortly. */
            if ((err != ENOENT && err != ECONNREFUSED && err != EAGAIN && err != EINTR)
                || apr_time_now() + pause >= retry_until) {
                *reason = apr_psprintf(p, "cannot connect to the worker at %s: %s", path, strerror(err));
                return NULL;
            }
        }
        apr_sleep(pause);
        if (pause < apr_time_from_msec(200)) {
            pause *= 2;
        }
    }
    conn = calloc(1, sizeof(*conn));
    if (!conn) {
        close(fd);
        *reason = "out of memory";
        return NULL;
    }
    conn->fd = fd;
    conn->next_id = 1;
    return conn;
}

apr_status_t anp_conn_write(anp_conn *conn, const void *buf, apr_size_t len, apr_time_t deadline)
{
    const char *at = buf;
    apr_status_t rv;
    ssize_t n;

    while (len > 0) {
        /* MSG_NOSIGNAL: a worker that went away is an EPIPE here, not a SIGPIPE for the child. */
        n = send(conn->fd, at, len, MSG_NOSIGNAL);
        if (n > 0) {
            at += n;
            len -= (apr_size_t)n;
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            if ((rv = wait_for(conn->fd, POLLOUT, deadline)) != APR_SUCCESS) {
                return rv;
            }
            continue;
        }
        if (n < 0 && errno == EINTR) {
            continue;
        }
        return (n < 0 && errno != EPIPE && errno != ECONNRESET) ? errno : APR_EOF;
    }
    return APR_SUCCESS;
}

apr_status_t anp_conn_recv(anp_conn *conn, void *buf, apr_size_t cap, apr_size_t *got, apr_time_t deadline)
{
    apr_status_t rv;
    ssize_t n;

    *got = 0;
    for (;;) {
        /* poll() before recv(): right after a send the worker has practically never answered yet, so
         * trying recv() first would mostly cost a failed (EAGAIN) syscall. */
        if ((rv = wait_for(conn->fd, POLLIN, deadline)) != APR_SUCCESS) {
            return rv;
        }
        n = recv(conn->fd, buf, cap, 0);
        if (n > 0) {
            *got = (apr_size_t)n;
            return APR_SUCCESS;
        }
        if (n == 0) {
            return APR_EOF;
        }
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
            return errno == ECONNRESET ? APR_EOF : errno;
        }
    }
}
