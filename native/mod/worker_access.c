/*
 * worker_access.c: can the worker's user reach what the worker loads? (see worker_access.h)
 *
 * Root may read anything, so access() in httpd's parent says nothing about the worker: the question is
 * asked by a forked child that has become the worker's user the same way the supervisor's child does.
 * The paths come from httpd's configuration (root's) and the package layout; the child only searches and
 * opens them, never reads their content, so it runs nothing the worker's user could have planted. Files
 * are opened O_NONBLOCK so a FIFO put in a file's place cannot stall httpd's start. After setuid the
 * child is not dumpable, so a process of the same user cannot trace it or reach its end of the pipe and
 * change its report; it can still signal it (same uid), so a child that is stopped, or hangs on a
 * dead network mount, is given ANP_ACCESS_WAIT and then killed, and its silence is a refusal.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "apr_strings.h"

#include "worker_access.h"

typedef enum { ANP_NEED_EXEC, ANP_NEED_READ, ANP_NEED_DIR } anp_need_kind;

typedef struct {
    const char *path;
    anp_need_kind kind;
    const char *what; /* what the worker needs it for, for the message */
} anp_need;

/* The child's answer, written once, whole: index -1 means every path passed; -2 the drop failed. */
typedef struct {
    int index;
    int err;
    char component[1024];
} anp_access_report;

#define ANP_ACCESS_ALL_PASSED (-1)
#define ANP_ACCESS_DROP_FAILED (-2)
/* Milliseconds the parent waits for the report: a handful of stat calls take far less. */
#define ANP_ACCESS_WAIT 10000

static void need(apr_array_header_t *needs, const char *path, anp_need_kind kind, const char *what)
{
    anp_need *n = apr_array_push(needs);
    n->path = path;
    n->kind = kind;
    n->what = what;
}

static int exists(const char *path, int want_dir)
{
    struct stat st;
    return stat(path, &st) == 0 && (want_dir ? S_ISDIR(st.st_mode) : !S_ISDIR(st.st_mode));
}

/* The script's package: ESM needs its package.json ("type": "module"), then its dependencies and addon. */
static void package_needs(apr_pool_t *p, apr_array_header_t *needs, const char *worker_script)
{
    char *dir = apr_pstrdup(p, worker_script);
    char *slash;

    while ((slash = strrchr(dir, '/')) != NULL) {
        const char *manifest;
        *slash = '\0';
        manifest = apr_pstrcat(p, dir, "/package.json", NULL);
        if (exists(manifest, 0)) {
            const char *modules = apr_pstrcat(p, dir, "/node_modules", NULL);
            const char *addon = apr_pstrcat(p, dir, "/build/Release/anp_addon.node", NULL);
            need(needs, manifest, ANP_NEED_READ, "the worker's package.json");
            if (exists(modules, 1)) {
                need(needs, modules, ANP_NEED_DIR, "the worker's dependencies");
            }
            if (exists(addon, 0)) {
                need(needs, addon, ANP_NEED_READ, "the worker's native addon");
            }
            return;
        }
    }
}

/* ------------------------------------------------------------------------------------------------ */
/* The child: the worker's user from here on.                                                         */
/* ------------------------------------------------------------------------------------------------ */

static void copy_component(anp_access_report *report, const char *path, size_t len)
{
    if (len >= sizeof(report->component)) {
        len = sizeof(report->component) - 1;
    }
    memcpy(report->component, path, len);
    report->component[len] = '\0';
}

static int final_step(const anp_need *n)
{
    int fd;

    if (n->kind == ANP_NEED_EXEC) {
        return access(n->path, X_OK) == 0 ? 0 : errno;
    }
    fd = open(n->path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC | (n->kind == ANP_NEED_DIR ? O_DIRECTORY : 0));
    if (fd < 0) {
        return errno;
    }
    close(fd);
    if (n->kind == ANP_NEED_DIR && access(n->path, X_OK) != 0) {
        return errno;
    }
    return 0;
}

/* Each directory on the path, from the top, must be searchable; the first that is not is the blocker. */
static int probe(const anp_need *n, anp_access_report *report)
{
    const char *path = n->path;
    const char *next;
    char prefix[4096];
    int err;

    for (next = strchr(path + 1, '/'); next; next = strchr(next + 1, '/')) {
        size_t len = (size_t)(next - path);
        if (len >= sizeof(prefix)) {
            copy_component(report, path, len);
            return ENAMETOOLONG;
        }
        memcpy(prefix, path, len);
        prefix[len] = '\0';
        if (access(prefix, X_OK) != 0) {
            copy_component(report, prefix, len);
            return errno;
        }
    }
    err = final_step(n);
    if (err) {
        copy_component(report, path, strlen(path));
    }
    return err;
}

int anp_access_become(const anp_access_user *who)
{
    if (who->drop_privileges && (setgid(who->gid) != 0 || initgroups(who->user_name, who->gid) != 0
                                 || setuid(who->uid) != 0)) {
        return errno;
    }
    return 0;
}

static void child_probe(int out, const anp_access_user *who, const apr_array_header_t *needs)
{
    anp_access_report report;
    int i;
    ssize_t ignored;

    memset(&report, 0, sizeof(report));
    report.index = ANP_ACCESS_ALL_PASSED;
    if ((report.err = anp_access_become(who)) != 0) {
        report.index = ANP_ACCESS_DROP_FAILED;
    }
    for (i = 0; report.index == ANP_ACCESS_ALL_PASSED && i < needs->nelts; i++) {
        report.err = probe(&APR_ARRAY_IDX(needs, i, anp_need), &report);
        if (report.err) {
            report.index = i;
        }
    }
    ignored = write(out, &report, sizeof(report));
    (void)ignored;
    _exit(0);
}

/* ------------------------------------------------------------------------------------------------ */
/* httpd's parent                                                                                     */
/* ------------------------------------------------------------------------------------------------ */

/* Reads the child's one report; anything short of a whole one is a failure to check. */
static int read_report(int in, anp_access_report *report)
{
    size_t got = 0;
    struct pollfd ready;

    ready.fd = in;
    ready.events = POLLIN;
    while (got < sizeof(*report)) {
        ssize_t n;
        int polled = poll(&ready, 1, ANP_ACCESS_WAIT);
        if (polled < 0 && errno == EINTR) {
            continue;
        }
        if (polled <= 0) {
            return 0;
        }
        n = read(in, (char *)report + got, sizeof(*report) - got);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return 0;
        }
        got += (size_t)n;
    }
    return 1;
}

static const char *describe(apr_pool_t *p, const anp_access_user *who, const anp_need *n,
                            const anp_access_report *report)
{
    const char *user = who->drop_privileges ? who->user_name : "httpd's user";
    const char *verb = n->kind == ANP_NEED_EXEC ? "execute" : n->kind == ANP_NEED_DIR ? "open" : "read";
    int blocker_is_target = strcmp(report->component, n->path) == 0;

    return apr_psprintf(p, "the worker's user %s (uid %ld) cannot %s %s %s: %s %s (%s); make every directory on "
                        "that path searchable by %s (o+x, or a group of it) and the file readable, or put the "
                        "worker where %s can read it",
                        user, (long)who->uid, verb, n->what, n->path, report->component,
                        blocker_is_target ? "itself is refused" : "is not searchable by that user",
                        strerror(report->err), user, user);
}

const char *anp_worker_access_check(apr_pool_t *p, const anp_access_user *who, const char *node_binary,
                                    const char *worker_script)
{
    apr_array_header_t *needs = apr_array_make(p, 5, sizeof(anp_need));
    anp_access_report report;
    int fds[2], ok, status;
    pid_t pid;

    need(needs, node_binary, ANP_NEED_EXEC, "NodeAuthNodeBinary");
    need(needs, worker_script, ANP_NEED_READ, "NodeAuthWorker");
    package_needs(p, needs, worker_script);
    if (pipe2(fds, O_CLOEXEC) != 0) {
        return apr_psprintf(p, "cannot check what the worker's user can read: pipe: %s", strerror(errno));
    }
    pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        return apr_psprintf(p, "cannot check what the worker's user can read: fork: %s", strerror(errno));
    }
    if (pid == 0) {
        close(fds[0]);
        child_probe(fds[1], who, needs);
    }
    close(fds[1]);
    ok = read_report(fds[0], &report);
    close(fds[0]);
    if (!ok) {
        kill(pid, SIGKILL);
    }
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (!ok) {
        return "cannot check what the worker's user can read: the checking process gave no answer";
    }
    if (report.index == ANP_ACCESS_DROP_FAILED) {
        return apr_psprintf(p, "cannot check what the worker's user %s can read: becoming that user failed: %s",
                            who->user_name, strerror(report.err));
    }
    if (report.index < 0 || report.index >= needs->nelts) {
        return report.index == ANP_ACCESS_ALL_PASSED ? NULL : "cannot check what the worker's user can read";
    }
    report.component[sizeof(report.component) - 1] = '\0';
    return describe(p, who, &APR_ARRAY_IDX(needs, report.index, anp_need), &report);
}
