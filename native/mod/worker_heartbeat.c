/*
 * worker_heartbeat.c: the parent's side of the worker's heartbeat pipe (worker_heartbeat.h).
 * Plain system calls: the pipe lives across the fork, where APR file objects would need a pool cleanup
 * that must not run in the child.
 */
#include "worker_heartbeat.h"

#include <errno.h>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>

apr_int64_t anp_heartbeat_clock_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (apr_int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int anp_heartbeat_open(anp_heartbeat *hb)
{
    int fds[2];
    hb->read_fd = hb->write_fd = -1;
    if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0) {
        return errno;
    }
    hb->read_fd = fds[0];
    hb->write_fd = fds[1];
    return 0;
}

void anp_heartbeat_in_parent(anp_heartbeat *hb, apr_int64_t start_ms)
{
    if (hb->write_fd >= 0) {
        close(hb->write_fd);
        hb->write_fd = -1;
    }
    hb->last_ms = start_ms;
}

static apr_int64_t beat_stamp(const unsigned char *beat)
{
    apr_int64_t stamp = 0;
    int i;
    for (i = 0; i < ANP_HEARTBEAT_LEN; i++) {
        stamp = (stamp << 8) | beat[i];
    }
    return stamp;
}

apr_int64_t anp_heartbeat_age(anp_heartbeat *hb, apr_int64_t now_ms)
{
    unsigned char buf[ANP_HEARTBEAT_LEN * 64];
    ssize_t n;

    if (hb->read_fd < 0) {
        return 0;
    }
    while ((n = read(hb->read_fd, buf, sizeof(buf))) > 0 || (n < 0 && errno == EINTR)) {
        /* Beats are written whole, so a read ends on a beat's boundary; the last one is the newest. A
         * stamp from the future (a worker lying about its clock) counts as now: it only keeps itself. */
        if (n >= ANP_HEARTBEAT_LEN && n % ANP_HEARTBEAT_LEN == 0) {
            apr_int64_t stamp = beat_stamp(buf + n - ANP_HEARTBEAT_LEN);
            hb->last_ms = stamp > now_ms ? now_ms : (stamp > hb->last_ms ? stamp : hb->last_ms);
        }
    }
    return now_ms - hb->last_ms;
}

void anp_heartbeat_close(anp_heartbeat *hb)
{
    if (hb->read_fd >= 0) {
        close(hb->read_fd);
    }
    if (hb->write_fd >= 0) {
        close(hb->write_fd);
    }
    hb->read_fd = hb->write_fd = -1;
}
