/*
 * worker_socket.c: the directory that holds the worker's socket, and the socket itself.
 *
 * Both belong to root (the uid httpd's parent runs as), not to the worker's user nor httpd's User:
 * code running as httpd's User could otherwise unlink the socket and bind its own listener at the
 * path, and receive every user's password. The directory is opened with O_NOFOLLOW and then changed
 * only through its descriptor (fchown, fchmod, mkdirat, unlinkat), so nobody can swap a symlink or
 * another directory in between a check and a change. Its parent directory must not be writable by
 * others either (unless sticky), or they could rename the whole directory away.
 *
 * When httpd does not run as root, all of it is one uid (httpd's, which is also the worker's); then
 * nothing here defends against httpd's User, because httpd's User is the owner.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "httpd.h"
#include "http_log.h"
#include "apr_strings.h"

#include "anp_private.h"
#include "worker_socket.h"

/* Group or others may write: they could add, rename or remove entries (unless the sticky bit stops them). */
static int others_may_write(const struct stat *st)
{
    return (st->st_mode & (S_IWGRP | S_IWOTH)) != 0 && (st->st_mode & S_ISVTX) == 0;
}

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

static int open_dir(int at, const char *name)
{
    return openat(at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

/* The directory that holds dir: owned by root or us, and not open to others' writes. */
static int open_parent(server_rec *s, const char *dir)
{
    const char *slash = strrchr(dir, '/');
    const char *parent = slash == dir ? "/" : apr_pstrndup(s->process->pool, dir, (apr_size_t)(slash - dir));
    struct stat st;
    int fd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

    if (fd < 0 || fstat(fd, &st) != 0) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, errno, s, ANPLOGNO(0312) "cannot open %s, where the worker's socket "
                     "directory %s goes", parent, dir);
        if (fd >= 0) {
            close(fd);
        }
        return -1;
    }
    if ((st.st_uid != 0 && st.st_uid != geteuid()) || others_may_write(&st)) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s, ANPLOGNO(0333) "%s (owner uid %ld, mode %04o) may be written by "
                     "others, who could rename the worker's socket directory %s away: put NodeAuthSocket in a "
                     "directory owned by root and writable only by it", parent, (long)st.st_uid,
                     (unsigned)(st.st_mode & 07777), dir);
        close(fd);
        return -1;
    }
    return fd;
}

/* An existing directory is used as it is, but only if nobody but us can change what is in it. */
static int check_existing(server_rec *s, const char *dir, const struct stat *st)
{
    if (st->st_uid != geteuid() || (st->st_mode & (S_IWGRP | S_IWOTH)) != 0) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s, ANPLOGNO(0332) "the worker's socket directory %s exists with owner "
                     "uid %ld and mode %04o: it must belong to uid %ld and be writable by nobody else (chown it to "
                     "root and chmod go-w, remove it so the module makes it, or set NodeAuthSocket to a directory "
                     "of its own)", dir, (long)st->st_uid, (unsigned)(st->st_mode & 07777), (long)geteuid());
        return 0;
    }
    return 1;
}

int anp_socket_dir_prepare(server_rec *s, const char *dir, uid_t owner, gid_t group, mode_t mode)
{
    struct stat st;
    int parent, fd, created, ok = 1;

    if ((parent = open_parent(s, dir)) < 0) {
        return 0;
    }
    created = mkdirat(parent, base_name(dir), 0700) == 0;
    if (!created && errno != EEXIST) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, errno, s, ANPLOGNO(0312) "cannot create the worker's socket directory "
                     "%s", dir);
        close(parent);
        return 0;
    }
    fd = open_dir(parent, base_name(dir));
    close(parent);
    if (fd < 0 || fstat(fd, &st) != 0) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, errno, s, ANPLOGNO(0313) "%s is not a directory (or is a symbolic "
                     "link): it cannot hold the worker's socket", dir);
        if (fd >= 0) {
            close(fd);
        }
        return 0;
    }
    if (!created) {
        ok = check_existing(s, dir, &st);
    }
    else if ((geteuid() == 0 && fchown(fd, owner, group) != 0) || fchmod(fd, mode) != 0) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, errno, s, ANPLOGNO(0334) "cannot set the owner or mode of the worker's "
                     "socket directory %s", dir);
        ok = 0;
    }
    close(fd);
    return ok;
}

static int fail(int fd, int dfd, const char *step, const char **what)
{
    int err = errno;

    if (fd >= 0) {
        close(fd);
    }
    if (dfd >= 0) {
        close(dfd);
    }
    *what = step;
    errno = err;
    return -1;
}

int anp_socket_listen(const char *dir, const char *path, uid_t owner, gid_t group, mode_t mode, const char **what)
{
    struct sockaddr_un addr;
    struct stat st;
    mode_t old_umask;
    int rc, fd = -1, dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

    if (dfd < 0 || fstat(dfd, &st) != 0) {
        return fail(fd, dfd, "open the socket directory", what);
    }
    if (st.st_uid != geteuid() || (st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
        errno = EPERM;
        return fail(fd, dfd, "the socket directory is no longer root's alone", what);
    }
    if (unlinkat(dfd, base_name(path), 0) != 0 && errno != ENOENT) {
        return fail(fd, dfd, "remove the stale socket", what);
    }
    memset(&addr, 0, sizeof(addr));
    addr.sun_family = AF_UNIX;
    if (strlen(path) >= sizeof(addr.sun_path)) {
        errno = ENAMETOOLONG;
        return fail(fd, dfd, "the socket path", what);
    }
    strcpy(addr.sun_path, path);
    if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) < 0) {
        return fail(fd, dfd, "socket", what);
    }
    /* The file is born with its final mode: there is no moment in which others could open it. */
    old_umask = umask(~mode & 0777);
    rc = bind(fd, (struct sockaddr *)&addr, sizeof(addr));
    umask(old_umask);
    if (rc != 0) {
        return fail(fd, dfd, "bind", what);
    }
    if (geteuid() == 0 && fchownat(dfd, base_name(path), owner, group, AT_SYMLINK_NOFOLLOW) != 0) {
        return fail(fd, dfd, "chown the socket", what);
    }
    if (listen(fd, SOMAXCONN) != 0) {
        return fail(fd, dfd, "listen", what);
    }
    close(dfd);
    return fd;
}

void anp_socket_remove(const char *dir, const char *path)
{
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

    if (dfd >= 0) {
        unlinkat(dfd, base_name(path), 0);
        close(dfd);
    }
}
