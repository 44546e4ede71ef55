/*
 * conn.c: connection I/O with the worker, see conn.h.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include "httpd.h"
#include "apr_strings.h"

#include "anp_answer.h"
#include "anp_private.h"
#include "conn.h"

/* What the first recv() of an answer asks for: a STATUS, a REASON and a modest list of groups or
 * permissions fit, so a usual answer is one recv(); longer ones grow the buffer. */
#define ANP_ANSWER_BUF 4096

/* Per child process: set in child_init, before any request thread runs. */
static struct sockaddr_un worker_addr;
static const char *worker_path;

void anp_conn_child_init(apr_pool_t *pchild, const char *socket_path)
{
    if (!socket_path || strlen(socket_path) >= sizeof(worker_addr.sun_path)) {
        worker_path = NULL;
        return;
    }
    memset(&worker_addr, 0, sizeof(worker_addr));
    worker_addr.sun_family = AF_UNIX;
    memcpy(worker_addr.sun_path, socket_path, strlen(socket_path) + 1);
    worker_path = apr_pstrdup(pchild, socket_path);
}

anp_conn *anp_conn_connect(apr_pool_t *p, const char **reason, int *retryable)
{
    anp_conn *conn;
    int fd, err;

    *retryable = 0;
    if (!worker_path) {
        *reason = "the worker's socket path is unknown (was the worker started?)";
        return NULL;
    }
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        *reason = apr_psprintf(p, "socket(): %s", strerror(errno));
        return NULL;
    }
    if (connect(fd, (struct sockaddr *)&worker_addr, sizeof(worker_addr)) != 0) {
        err = errno;
        close(fd);
        /* Missing or refusing: the worker is (re)starting. Full backlog: it is busy. */
        *retryable = err == ENOENT || err == ECONNREFUSED || err == EAGAIN || err == EINTR;
        *reason = apr_psprintf(p, "cannot connect to the worker at %s: %s", worker_path, strerror(err));
        return NULL;
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

void anp_conn_close(anp_conn *conn)
{
    if (conn) {
        close(conn->fd);
        free(conn);
    }
}

int anp_conn_knows_handler(const anp_conn *conn, uint32_t id)
{
    return id <= ANP_MAX_HANDLER_ID && (conn->known_handlers[id / 8] & (1u << (id % 8))) != 0;
}

void anp_conn_learn_handler(anp_conn *conn, uint32_t id)
{
    if (id <= ANP_MAX_HANDLER_ID) {
        conn->known_handlers[id / 8] |= (unsigned char)(1u << (id % 8));
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

/* One sendmsg() of what is left of the pending AUTH frame and of buf; how many bytes left, or -1. */
static ssize_t send_some(anp_conn *conn, const char *at, apr_size_t len)
{
    struct iovec iov[2];
    struct msghdr mh;
    int n = 0;

    if (conn->auth_len > 0) {
        iov[n].iov_base = conn->auth;
        iov[n++].iov_len = conn->auth_len;
    }
    iov[n].iov_base = (void *)at;
    iov[n++].iov_len = len;
    memset(&mh, 0, sizeof(mh));
    mh.msg_iov = iov;
    mh.msg_iovlen = (size_t)n;
    /* MSG_NOSIGNAL: a worker that went away is an EPIPE here, not a SIGPIPE for the child. */
    return sendmsg(conn->fd, &mh, MSG_NOSIGNAL);
}

/* Takes n sent bytes off the pending AUTH frame first; returns how many of them were the caller's. */
static apr_size_t consume_auth(anp_conn *conn, apr_size_t n)
{
    apr_size_t of_auth = n < conn->auth_len ? n : conn->auth_len;
    memmove(conn->auth, conn->auth + of_auth, conn->auth_len - of_auth);
    conn->auth_len -= of_auth;
    return n - of_auth;
}

apr_status_t anp_conn_write(anp_conn *conn, const void *buf, apr_size_t len, apr_time_t deadline, int *wrote)
{
    const char *at = buf;
    apr_status_t rv;
    apr_size_t mine;
    ssize_t n;

    if (wrote) {
        *wrote = 0;
    }
    while (len > 0) {
        n = send_some(conn, at, len);
        if (n > 0) {
            mine = consume_auth(conn, (apr_size_t)n);
            if (wrote && mine > 0) {
                *wrote = 1;
            }
            at += mine;
            len -= mine;
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

int anp_conn_idle_closed(const anp_conn *conn)
{
    struct pollfd pfd;
    int rc;

    pfd.fd = conn->fd;
    pfd.events = POLLIN;
    pfd.revents = 0;
    do {
        rc = poll(&pfd, 1, 0);
    } while (rc < 0 && errno == EINTR);
    /* Readable while idle is an EOF (or bytes no request asked for): either way not usable. */
    return rc != 0;
}

/*
 * Waits (poll) until the connection is readable, then reads whatever has arrived, at most cap bytes,
 * with one recv(). APR_SUCCESS with *got > 0; APR_EOF when the worker closed the connection; APR_TIMEUP
 * at the deadline.
 */
static apr_status_t recv_some(anp_conn *conn, void *buf, apr_size_t cap, apr_size_t *got, apr_time_t deadline)
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

static const char *recv_failure(apr_pool_t *p, apr_status_t rv, apr_size_t have)
{
    if (rv == APR_TIMEUP) {
        return have == 0 ? "no answer from the worker before the timeout (NodeAuthTimeout)"
                         : "the worker's answer did not arrive before the timeout (NodeAuthTimeout)";
    }
    return rv == APR_EOF ? "the worker closed the connection in the middle of an answer"
                         : apr_psprintf(p, "reading from the worker: %pm", &rv);
}

/* A buffer for the whole frame of `need` bytes and one byte more, so that bytes after it still show. */
static uint8_t *room_for(apr_pool_t *p, uint8_t *buf, apr_size_t have, apr_size_t need, apr_size_t *cap)
{
    uint8_t *bigger;
    if (need < *cap) {
        return buf;
    }
    bigger = apr_palloc(p, need + 1);
    memcpy(bigger, buf, have);
    *cap = need + 1;
    return bigger;
}

/*
 * One recv() into a buffer that holds any usual answer, then the length prefix is read from the buffer;
 * only a longer frame, or one that arrives in pieces, takes more. A connection carries one request at a
 * time, so nothing may follow the answer: bytes after it are a broken answer (the caller closes the
 * connection and the check fails), never left behind to be read as the answer to a later check.
 */
apr_status_t anp_conn_read_frame(anp_conn *conn, apr_time_t deadline, apr_pool_t *p, anp_message *msg,
                                 const char **reason)
{
    apr_size_t cap = ANP_ANSWER_BUF, have = 0, need = 0, got;
    uint8_t *buf = apr_palloc(p, cap);
    apr_status_t rv;
    long rc;

    /* The frame's length comes from anp_frame_size; whether the bytes are one answer, anp_answer.c decides. */
    while (need == 0 || have < need) {
        rv = recv_some(conn, buf + have, cap - have, &got, deadline);
        if (rv != APR_SUCCESS) {
            *reason = rv == APR_EOF && have == 0 ? "the worker closed the connection" : recv_failure(p, rv, have);
            return rv == APR_EOF && have == 0 ? APR_EOF : APR_EGENERAL;
        }
        have += got;
        if (need == 0 && (rc = anp_frame_size(buf, have)) != ANP_E_SHORT) {
            if (rc < 0) {
                *reason = apr_psprintf(p, "the worker sent a frame of impossible length (codec result %ld)", rc);
                return APR_EGENERAL;
            }
            need = (apr_size_t)rc;
            buf = room_for(p, buf, have, need, &cap);
        }
    }
    rc = anp_answer_framed(buf, have, msg);
    if (rc != (long)need) {
        *reason = have > need
            ? apr_psprintf(p, "the worker sent %" APR_SIZE_T_FMT " bytes after its answer", have - need)
            : apr_psprintf(p, "the worker's answer is malformed (codec result %ld)", rc);
        return APR_EGENERAL;
    }
    return APR_SUCCESS;
}
