/*
 * worker_heartbeat.h: whether the worker is alive, not just running.
 *
 * A stopped worker (SIGSTOP), a handler stuck in a synchronous loop or any other blocked event loop keeps
 * its process and its socket, so nothing else tells httpd's parent that every check now times out. The
 * worker writes a beat to an inherited pipe every second from its event loop: 8 bytes, its
 * CLOCK_MONOTONIC time in milliseconds, big-endian (one write, shorter than PIPE_BUF, so never split).
 * The parent drains the pipe from its monitor hook and replaces a worker whose last beat is too old.
 * The stamp is the worker's own, so the age is known to the millisecond even though the monitor hook
 * runs only every few seconds.
 */
#ifndef ANP_WORKER_HEARTBEAT_H
#define ANP_WORKER_HEARTBEAT_H

#include "apr_time.h"

/* The descriptor the worker writes its beats to (`--heartbeat-fd`). */
#define ANP_HEARTBEAT_FD 5
#define ANP_HEARTBEAT_LEN 8

typedef struct {
    int read_fd;            /* the parent's end; -1 when closed */
    int write_fd;           /* the worker's end until the fork; -1 after */
    apr_int64_t last_ms;    /* CLOCK_MONOTONIC ms of the last beat, or of the worker's start */
} anp_heartbeat;

/* CLOCK_MONOTONIC in milliseconds, the clock the worker stamps its beats with. */
apr_int64_t anp_heartbeat_clock_ms(void);
/* Before the fork: a fresh non-blocking pipe (a worker never waits on a full one). Returns 0 or an errno. */
int anp_heartbeat_open(anp_heartbeat *hb);
/* In the parent after the fork: closes the worker's end; `start_ms` counts as the first beat. */
void anp_heartbeat_in_parent(anp_heartbeat *hb, apr_int64_t start_ms);
/* Drains the beats the worker wrote and returns the age in ms of the newest one at `now_ms`. */
apr_int64_t anp_heartbeat_age(anp_heartbeat *hb, apr_int64_t now_ms);
/* Closes whatever is open (idempotent). */
void anp_heartbeat_close(anp_heartbeat *hb);

#endif
