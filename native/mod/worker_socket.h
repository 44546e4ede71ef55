/*
 * worker_socket.h: the worker's socket directory and listening socket, made by root in httpd's parent
 * (and in the forked child before it drops privileges), so httpd's User can neither replace, rename nor
 * unlink them.
 */
#ifndef ANP_WORKER_SOCKET_H
#define ANP_WORKER_SOCKET_H

#include <sys/types.h>

#include "httpd.h"

/*
 * post_config: makes dir (owner, group, mode), or checks that an existing one belongs to this process's
 * uid and is writable by nobody else. Every step goes through the directory's descriptor (opened
 * O_NOFOLLOW), never its path. Returns 1, or 0 after logging why (the start fails).
 */
int anp_socket_dir_prepare(server_rec *s, const char *dir, uid_t owner, gid_t group, mode_t mode);

/*
 * Binds and listens on path (in dir, which must still be as anp_socket_dir_prepare left it), after
 * unlinking a stale socket there; the socket file gets owner, group and mode. Safe to call in a forked
 * child (no APR, no logging). Returns the listening descriptor, or -1 with errno set and *what naming
 * the step that failed.
 */
int anp_socket_listen(const char *dir, const char *path, uid_t owner, gid_t group, mode_t mode, const char **what);

/* The parent, when the worker is gone: removes its socket so children see ENOENT, not a dead listener. */
void anp_socket_remove(const char *dir, const char *path);

#endif
