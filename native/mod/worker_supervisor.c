/*
 * worker_supervisor.c: start, watch, restart and stop the Node worker (httpd's parent process only).
 *
 * The worker is forked by hand rather than with apr_proc_create because the privilege drop must include
 * initgroups(): apr_procattr_user_set() only calls setgid/setuid, which would leave root's supplementary
 * groups to the worker. The parent is single-threaded when it forks (post_config and the MPM's
 * maintenance loop), so the child may call initgroups() and getpwnam-like functions before exec.
 *
 * Supervision follows mod_cgid's daemon: apr_proc_other_child_register() has the MPM tell us when the
 * worker dies (the MPM reaps it); we start a new one unless httpd is stopping. A worker that dies soon
 * after its start is restarted after a delay that doubles up to a cap (short for a crash, long for a
 * worker that could not start); the delay is
 * spent in the new child before exec, so the parent never sleeps.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "apr_strings.h"
#include "apr_thread_proc.h"
#include "apr_portable.h"
#include "http_core.h"
#include "http_log.h"
#include "ap_mpm.h"
#include "unixd.h"

#include "anp_protocol.h"
#include "anp_private.h"
#include "bootstrap.h"
#include "config.h"
#include "throttle_config.h"
#include "worker_access.h"
#include "worker_env.h"
#include "worker_heartbeat.h"
#include "worker_identity.h"
#include "worker_inputs.h"
#include "worker_socket.h"
#include "worker_spec_check.h"
#include "worker_stderr.h"
#include "worker_supervisor.h"
#include "generations_file.h"

/* A worker that lived this long is restarted at once; one that died sooner waits. */
#define ANP_STABLE_RUN apr_time_from_sec(10)
/* A worker that could not start (exit status 2: its configuration or bootstrap; or the spawn itself
 * failed) will not start on the next try either: its delay doubles up to a long cap, keeping the log
 * quiet. One that crashed (a handler's uncaught exception, a signal) may have been killed by one bad
 * request while every other location still needs it: a short cap bounds the 500s to about that long. */
#define ANP_MAX_RESTART_DELAY 30 /* seconds */
#define ANP_MAX_CRASH_RESTART_DELAY 2 /* seconds */
/* Quick deaths in a row (each before ANP_STABLE_RUN) after which the worker's own last words are logged
 * at crit: one death may be a bad request, this many is a worker that cannot run as configured. */
#define ANP_QUICK_DEATHS_CRIT 5
/* How long the pconf cleanup waits for the worker after SIGTERM (it promises 2 s) before SIGKILL. */
#define ANP_STOP_GRACE apr_time_from_sec(3)
/* The status the forked child exits with when it cannot become the worker (exec failed, setuid failed). */
#define ANP_EXIT_SPAWN_FAILED 254
/* The worker's status for bad flags or configuration: starting it again cannot help. */
#define ANP_EXIT_BAD_CONFIG 2
/* The worker's inherited descriptors (--listen-fd, --bootstrap-fd). */
#define ANP_LISTEN_FD 3
#define ANP_BOOTSTRAP_FD 4
/* The admin listener (--admin-fd): after the heartbeat pipe at 5. */
#define ANP_ADMIN_FD 6
/* Where the descriptors the worker keeps are parked while they are moved into place. */
#define ANP_PARKED_FD 16

typedef struct {
    apr_pool_t *pconf;
    server_rec *server;
    const char *const *argv;    /* built once per generation, before any fork */
    const char *const *envp;    /* the allowlisted environment, built with argv */
    anp_bootstrap *bootstrap;   /* the frame every start of this generation's worker gets */
    const char *socket_dir;     /* removed at stop when the module made it */
    const char *socket_path;
    const char *admin_path;     /* admin.sock beside the socket: status for root and NodeAuthAdminUser */
    const char *generations_path; /* the generations table (change_feed on), NULL: none */
    uid_t admin_uid;            /* admin.sock's owner: root, or NodeAuthAdminUser */
    int *starts;                /* the worker's starts since httpd started (in the process pool) */
    char start_arg[16];         /* --start-count's value, written before each fork */
    int remove_dir;
    uid_t socket_uid;           /* the socket and its directory: root's (httpd's uid when not root) */
    gid_t socket_gid;           /* httpd's Group, through which the children reach the socket */
    mode_t dir_mode;
    mode_t socket_mode;
    uid_t uid;                  /* the worker's identity when httpd runs as root */
    gid_t gid;
    const char *user_name;
    int drop_privileges;
    int log_fd;                 /* the ErrorLog's descriptor, for the worker's stdout and stderr */
    apr_interval_time_t heartbeat; /* the longest silence allowed; ANP_HEARTBEAT_OFF: not watched */
    anp_heartbeat beats;        /* the current worker's heartbeat pipe */
    apr_proc_t *proc;           /* the current worker, NULL when none runs */
    int registered;             /* APR's other-child registration for proc exists (unregistering a
                                 * missing one crashes APR, so this is tracked exactly) */
    apr_time_t started;
    int restart_delay;          /* seconds the next start waits, after a quick death */
    int quick_deaths;           /* deaths in a row, each before ANP_STABLE_RUN */
    off_t log_size_at_spawn;    /* where the current worker's output begins in the ErrorLog; -1: not a file */
    int stopping;
    pid_t parent_pid;           /* httpd's parent: only it may stop the worker */
} anp_supervisor;

/* One per generation: the DSO is loaded again each generation, so this starts out zeroed. */
static anp_supervisor *supervisor;

const char *anp_worker_socket_path(void)
{
    return supervisor ? supervisor->socket_path : NULL;
}

/* ------------------------------------------------------------------------------------------------ */
/* The child side of fork(): only async-signal-safe calls where possible, then exec.                 */
/* ------------------------------------------------------------------------------------------------ */

/* Local time's offset from UTC, read by the parent before fork: localtime_r takes a lock that a fork
 * could have left held, so the child does the calendar arithmetic itself. */
static long spawn_gmtoff;

/* "[Sun Dec 06 03:06:32.869562 2026]": now as httpd's %{u}t prints it, so the child's line reads like the
 * worker's own and httpd's; only clock_gettime and arithmetic (days to a civil date, proleptic Gregorian). */
static void child_stamp(char *buf, size_t len)
{
    static const char *const days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                         "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    struct timespec now;
    long long secs, day, era, doe, yoe, doy, mp, year;
    long sod;

    clock_gettime(CLOCK_REALTIME, &now);
    secs = (long long)now.tv_sec + spawn_gmtoff;
    day = secs >= 0 ? secs / 86400 : (secs - 86399) / 86400;
    sod = (long)(secs - day * 86400);
    era = (day + 719468 >= 0 ? day + 719468 : day + 719468 - 146096) / 146097;
    doe = day + 719468 - era * 146097;
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;
    year = yoe + era * 400 + (mp >= 10 ? 1 : 0);
    snprintf(buf, len, "[%s %s %02lld %02ld:%02ld:%02ld.%06ld %lld]", days[((day % 7) + 11) % 7],
             months[mp < 10 ? mp + 2 : mp - 10], doy - (153 * mp + 2) / 5 + 1, sod / 3600, sod / 60 % 60,
             sod % 60, (long)(now.tv_nsec / 1000), year);
}

static void child_fail_id(const char *id, const char *what, int err)
{
    char line[640], stamp[128];
    int n;

    child_stamp(stamp, sizeof(stamp));
    n = snprintf(line, sizeof(line), "%s [authnz_node:error] [pid %ld] %scannot start the worker: %s: %s\n",
                 stamp, (long)getpid(), id, what, strerror(err));
    if (n > 0) {
        ssize_t ignored = write(STDERR_FILENO, line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
        (void)ignored;
    }
    _exit(ANP_EXIT_SPAWN_FAILED);
}

static void child_fail(const char *what, int err)
{
    child_fail_id(ANPLOGNO(0310), what, err);
}

static void close_from(int first)
{
#ifdef SYS_close_range
    if (syscall(SYS_close_range, (unsigned)first, ~0U, 0U) == 0) {
        return;
    }
#endif
    {
        long fd, max = sysconf(_SC_OPEN_MAX);
        for (fd = first; fd < (max > 0 ? max : 65536); fd++) {
            close((int)fd);
        }
    }
}

/* Copies fd above every descriptor the worker keeps, so moving one into place cannot overwrite another. */
static int park(int fd, const char *what)
{
    int high = fd < 0 ? -1 : fcntl(fd, F_DUPFD, ANP_PARKED_FD);
    if (fd >= 0 && high < 0) {
        child_fail(what, errno);
    }
    return high;
}

static void keep_at(int parked, int target, const char *what)
{
    if (parked >= 0 && dup2(parked, target) != target) {
        child_fail(what, errno);
    }
}

/*
 * httpd's listeners, logs and pipes must not stay open in the worker: all that remains past stdio is the
 * bootstrap channel at ANP_BOOTSTRAP_FD and the heartbeat pipe at ANP_HEARTBEAT_FD when it is watched
 * (descriptor 3 is kept free for the listener). dup2 clears close-on-exec on the copies.
 */
static void close_inherited_fds(int bootstrap_fd, int heartbeat_fd)
{
    int bootstrap = park(bootstrap_fd, "keep the bootstrap descriptor");
    int heartbeat = park(heartbeat_fd, "keep the heartbeat descriptor");

    keep_at(bootstrap, ANP_BOOTSTRAP_FD, "keep the bootstrap descriptor");
    keep_at(heartbeat, ANP_HEARTBEAT_FD, "keep the heartbeat descriptor");
    close(ANP_LISTEN_FD);
    close_from(heartbeat >= 0 ? ANP_HEARTBEAT_FD + 1 : ANP_BOOTSTRAP_FD + 1);
}

/* Still root: the generations table, opened read-write at ANP_GENERATIONS_FD (after the admin listener). */
static void give_generations(const anp_supervisor *sv)
{
    int err;

    if (sv->generations_path && (err = anp_generations_file_give(sv->generations_path)) != 0) {
        child_fail_id(ANPLOGNO(0355), "open the generations table", err);
    }
}

/*
 * Still root, after the restart delay (so that while it runs the socket is absent and checks are
 * refused at once rather than queued): the worker's listening socket, at descriptor 3. It is made in
 * this child, not in httpd's parent, so no httpd child ever holds a listener.
 */
static void give_listener(const anp_supervisor *sv)
{
    const char *what = "";
    int fd = anp_socket_listen(sv->socket_dir, sv->socket_path, sv->socket_uid, sv->socket_gid, sv->socket_mode,
                               &what);

    if (fd < 0) {
        child_fail_id(ANPLOGNO(0335), what, errno);
    }
    if (fd != ANP_LISTEN_FD) {
        if (dup2(fd, ANP_LISTEN_FD) != ANP_LISTEN_FD) {
            child_fail_id(ANPLOGNO(0335), "dup2 the listening socket", errno);
        }
        close(fd);
    }
}

/*
 * The admin listener at ANP_ADMIN_FD, also made here as root: 0600 and owned by root or NodeAuthAdminUser,
 * so httpd's User, who reaches the directory through its group, still cannot connect.
 */
static void give_admin_listener(const anp_supervisor *sv)
{
    const char *what = "";
    int fd = anp_socket_listen(sv->socket_dir, sv->admin_path, sv->admin_uid, 0, 0600, &what);

    if (fd < 0) {
        child_fail_id(ANPLOGNO(0351), what, errno);
    }
    if (fd != ANP_ADMIN_FD) {
        if (dup2(fd, ANP_ADMIN_FD) != ANP_ADMIN_FD) {
            child_fail_id(ANPLOGNO(0351), "dup2 the admin socket", errno);
        }
        close(fd);
    }
}

static void become_worker(const anp_supervisor *sv, int delay, int bootstrap_fd)
{
    sigset_t all;
    int devnull;

    static const int reset[] = {SIGTERM, SIGHUP, SIGINT, SIGUSR1, SIGUSR2, SIGWINCH, SIGPIPE, SIGCHLD, SIGALRM,
                                SIGXCPU, SIGXFSZ, SIGQUIT};
    size_t i;

    /* Until exec (and while a restart delay is spent) httpd's parent's handlers would still run here:
     * a SIGTERM from the pconf cleanup must end this process, not set httpd's shutdown flag. Ignored
     * signals (httpd ignores SIGPIPE) would stay ignored across exec. */
    for (i = 0; i < sizeof(reset) / sizeof(reset[0]); i++) {
        signal(reset[i], SIG_DFL);
    }
    sigemptyset(&all);
    sigprocmask(SIG_SETMASK, &all, NULL);
    /* Out of httpd's process group, so a terminal's Ctrl-C reaches httpd, which then stops us itself. */
    setsid();

    devnull = open("/dev/null", O_RDONLY);
    if (devnull >= 0 && devnull != STDIN_FILENO) {
        dup2(devnull, STDIN_FILENO);
    }
    if (sv->log_fd >= 0) {
        dup2(sv->log_fd, STDOUT_FILENO);
        dup2(sv->log_fd, STDERR_FILENO);
    }
    else {
        dup2(STDERR_FILENO, STDOUT_FILENO);
    }
    close_inherited_fds(bootstrap_fd, sv->beats.write_fd);

    if (delay > 0) {
        sleep((unsigned)delay);
    }
    give_listener(sv);
    give_admin_listener(sv);
    give_generations(sv);
    if (sv->drop_privileges) {
        if (setgid(sv->gid) != 0) {
            child_fail("setgid", errno);
        }
        if (initgroups(sv->user_name, sv->gid) != 0) {
            child_fail("initgroups", errno);
        }
        if (setuid(sv->uid) != 0) {
            child_fail("setuid", errno);
        }
    }
    /* After setuid (which clears it): if httpd's parent is killed outright, the worker goes too. */
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != sv->parent_pid) {
        _exit(0); /* httpd's parent died before the line above took effect */
    }
    if (chdir("/") != 0) {
        child_fail("chdir /", errno);
    }
    execve(sv->argv[0], (char *const *)sv->argv, (char *const *)sv->envp);
    child_fail(sv->argv[0], errno);
}

/* ------------------------------------------------------------------------------------------------ */
/* The parent side                                                                                   */
/* ------------------------------------------------------------------------------------------------ */

static void maintenance(int reason, void *data, int status);

static apr_status_t spawn(anp_supervisor *sv)
{
    apr_proc_t *proc;
    pid_t pid;
    int delay = sv->restart_delay;
    int bootstrap_fd = anp_bootstrap_channel(sv->bootstrap, sv->server);

    if (bootstrap_fd < 0) {
        return APR_EGENERAL;
    }
    anp_heartbeat_close(&sv->beats);
    if (sv->heartbeat != ANP_HEARTBEAT_OFF && anp_heartbeat_open(&sv->beats) != 0) {
        ap_log_error(APLOG_MARK, APLOG_ERR, errno, sv->server, ANPLOGNO(0341) "cannot make the heartbeat pipe");
        close(bootstrap_fd);
        return APR_EGENERAL;
    }
    {
        apr_time_exp_t local;
        spawn_gmtoff = apr_time_exp_lt(&local, apr_time_now()) == APR_SUCCESS ? local.tm_gmtoff : 0;
    }
    /* Not secret: which start this is, for the status an admin asks for. */
    snprintf(sv->start_arg, sizeof(sv->start_arg), "%d", ++*sv->starts);
    pid = fork();
    if (pid < 0) {
        apr_status_t rv = errno;
        close(bootstrap_fd);
        anp_heartbeat_close(&sv->beats);
        ap_log_error(APLOG_MARK, APLOG_ERR, rv, sv->server, ANPLOGNO(0301) "fork for the worker failed");
        return rv;
    }
    if (pid == 0) {
        become_worker(sv, delay, bootstrap_fd);
        _exit(ANP_EXIT_SPAWN_FAILED); /* not reached */
    }
    /* The frame is in the worker's end already; without our copy it sees end of file after it. */
    close(bootstrap_fd);
    /* The worker's start counts as its first beat; a restart delay is not silence. */
    anp_heartbeat_in_parent(&sv->beats, anp_heartbeat_clock_ms() + 1000 * (apr_int64_t)delay);
    proc = apr_pcalloc(sv->pconf, sizeof(*proc));
    proc->pid = pid;
    sv->proc = proc;
    sv->started = apr_time_now() + apr_time_from_sec(delay);
    sv->log_size_at_spawn = anp_log_size(sv->log_fd);
    apr_proc_other_child_register(proc, maintenance, sv, NULL, sv->pconf);
    sv->registered = 1;
    anp_worker_identity_set(pid, sv->uid);
    ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, sv->server,
                 ANPLOGNO(0302) "started worker pid %" APR_PID_T_FMT " (%s %s) on %s as %s%s",
                 pid, sv->argv[0], sv->argv[2], sv->socket_path,
                 sv->drop_privileges ? sv->user_name : "httpd's user", delay ? ", after a restart delay" : "");
    return APR_SUCCESS;
}

static void unregister(anp_supervisor *sv)
{
    if (sv->registered) {
        apr_proc_other_child_unregister(sv); /* calls maintenance(UNREGISTER), which clears the flag */
        sv->registered = 0;
    }
}

static int httpd_stopping(void)
{
    int state = AP_MPMQ_STARTING;
    if (ap_mpm_query(AP_MPMQ_MPM_STATE, &state) == APR_SUCCESS && state == AP_MPMQ_STOPPING) {
        return 1;
    }
    return 0;
}

/* After a worker's death: none when it had run ANP_STABLE_RUN, else double the last, up to its cap. */
static int next_restart_delay(const anp_supervisor *sv, int could_not_start)
{
    int cap = could_not_start ? ANP_MAX_RESTART_DELAY : ANP_MAX_CRASH_RESTART_DELAY;
    int delay;

    if (apr_time_now() - sv->started >= ANP_STABLE_RUN) {
        return 0;
    }
    delay = sv->restart_delay ? sv->restart_delay * 2 : 1;
    return delay > cap ? cap : delay;
}

/*
 * Counts deaths before ANP_STABLE_RUN in a row; at the ANP_QUICK_DEATHS_CRIT-th, says at crit that the
 * worker cannot run, with the last line it wrote (Node's "Cannot find module", the worker's own refusal):
 * the per-death lines above it do not say why, and the restarts go on at the capped delay.
 */
static void note_quick_death(anp_supervisor *sv, pid_t pid)
{
    char line[512];

    if (apr_time_now() - sv->started >= ANP_STABLE_RUN) {
        sv->quick_deaths = 0;
        return;
    }
    if (++sv->quick_deaths != ANP_QUICK_DEATHS_CRIT) {
        return;
    }
    if (!anp_log_last_error_line(sv->log_fd, sv->log_size_at_spawn, line, sizeof(line))) {
        apr_cpystrn(line, "(none read back: see the lines above)", sizeof(line));
    }
    ap_log_error(APLOG_MARK, APLOG_CRIT, 0, sv->server,
                 ANPLOGNO(0343) "the worker died at start %d times in a row (last pid %" APR_PID_T_FMT "); "
                 "checks fail with 500 until it can run; its last error line: %s", sv->quick_deaths, pid, line);
}

/*
 * Called by APR in the parent: DEATH after the MPM reaped the worker (status is its exit code or the
 * signal that killed it; APR does not say which), LOST when the MPM lost track of it, and UNREGISTER
 * whenever the registration goes away (also from our own unregister call below), which means nothing here.
 */
static void maintenance(int reason, void *data, int status)
{
    anp_supervisor *sv = data;
    pid_t pid;
    int could_not_start;

    if (reason == APR_OC_REASON_UNREGISTER) {
        sv->registered = 0;
        return;
    }
    if (reason != APR_OC_REASON_DEATH && reason != APR_OC_REASON_LOST) {
        return;
    }
    pid = sv->proc ? sv->proc->pid : 0;
    sv->proc = NULL;
    anp_worker_identity_set(0, 0);
    anp_heartbeat_close(&sv->beats);
    unregister(sv);
    anp_socket_remove(sv->socket_dir, sv->socket_path);
    anp_socket_remove(sv->socket_dir, sv->admin_path);
    /* No kept grant outlives the worker that stamped it. */
    anp_generations_file_end_lease(sv->server);
    if (reason == APR_OC_REASON_LOST && pid > 0) {
        /* Lost track of it, but it may still run: never leave two workers on one socket. */
        kill(pid, SIGTERM);
    }
    if (sv->stopping || httpd_stopping()) {
        return;
    }
    could_not_start = reason == APR_OC_REASON_DEATH && (status == ANP_EXIT_BAD_CONFIG || status == ANP_EXIT_SPAWN_FAILED);
    note_quick_death(sv, pid);
    sv->restart_delay = next_restart_delay(sv, could_not_start);
    if (could_not_start) {
        ap_log_error(APLOG_MARK, APLOG_ERR, 0, sv->server,
                     ANPLOGNO(0303) "worker pid %" APR_PID_T_FMT " could not start (status %d, see its message "
                     "above); checks fail with 500 meanwhile; trying again in %d s", pid, status, sv->restart_delay);
    }
    else {
        ap_log_error(APLOG_MARK, APLOG_ERR, 0, sv->server,
                     ANPLOGNO(0304) "worker pid %" APR_PID_T_FMT " %s (exit status or signal %d); starting a new "
                     "one in %d s", pid, reason == APR_OC_REASON_LOST ? "was lost" : "died", status,
                     sv->restart_delay);
    }
    spawn(sv);
}

/*
 * pconf cleanup (graceful restart, restart, stop): SIGTERM, wait for the worker to finish what it has
 * in flight, SIGKILL if it does not, and reap it, so a new generation never finds a second worker.
 */
static apr_status_t stop_worker(void *data)
{
    anp_supervisor *sv = data;
    apr_time_t give_up;
    pid_t pid;

    if (getpid() != sv->parent_pid) {
        /* A child process tearing down its copy of pconf: the worker is the parent's business. */
        return APR_SUCCESS;
    }
    sv->stopping = 1;
    if (sv->proc) {
        pid = sv->proc->pid;
        sv->proc = NULL;
        anp_worker_identity_set(0, 0);
        unregister(sv);
        if (kill(pid, SIGTERM) == 0) {
            give_up = apr_time_now() + ANP_STOP_GRACE;
            while (waitpid(pid, NULL, WNOHANG) == 0) {
                if (apr_time_now() > give_up) {
                    ap_log_error(APLOG_MARK, APLOG_WARNING, 0, sv->server,
                                 ANPLOGNO(0306) "worker pid %" APR_PID_T_FMT " did not stop after SIGTERM; "
                                 "sending SIGKILL", pid);
                    kill(pid, SIGKILL);
                    waitpid(pid, NULL, 0);
                    break;
                }
                apr_sleep(apr_time_from_msec(20));
            }
        }
        ap_log_error(APLOG_MARK, APLOG_INFO, 0, sv->server, ANPLOGNO(0307) "worker pid %" APR_PID_T_FMT " stopped",
                     pid);
    }
    anp_generations_file_end_lease(sv->server);
    if (sv->generations_path) {
        unlink(sv->generations_path);
    }
    anp_heartbeat_close(&sv->beats);
    anp_socket_remove(sv->socket_dir, sv->socket_path);
    anp_socket_remove(sv->socket_dir, sv->admin_path);
    if (sv->remove_dir) {
        rmdir(sv->socket_dir);
    }
    supervisor = NULL;
    return APR_SUCCESS;
}

/* ------------------------------------------------------------------------------------------------ */
/* Setup (post_config)                                                                               */
/* ------------------------------------------------------------------------------------------------ */

static int lookup_user(apr_pool_t *p, const char *name, uid_t *uid, gid_t *gid, server_rec *s)
{
    struct passwd pwd, *found = NULL;
    char buf[4096];

    if (getpwnam_r(name, &pwd, buf, sizeof(buf), &found) != 0 || !found) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s, ANPLOGNO(0311) "NodeAuthWorkerUser: no such user '%s'", name);
        return 0;
    }
    *uid = pwd.pw_uid;
    *gid = pwd.pw_gid;
    (void)p;
    return 1;
}

/*
 * The socket and its directory belong to root, so that httpd's User (and the worker's) can change
 * neither; the children reach the socket through httpd's Group (directory 0710, socket 0660). Without
 * root, httpd's uid is all there is: 0700 and 0600.
 */
static void choose_socket_owner(anp_supervisor *sv, gid_t httpd_gid)
{
    int root = geteuid() == 0;

    sv->socket_uid = geteuid();
    sv->socket_gid = root ? httpd_gid : getegid();
    sv->dir_mode = root ? 0710 : 0700;
    sv->socket_mode = root ? 0660 : 0600;
}

/*
 * admin.sock's owner: root, or NodeAuthAdminUser, never httpd's User (code running as it is the attacker
 * this socket is closed to). The start count lives in the process pool, so graceful restarts go on counting.
 */
static int choose_admin(anp_supervisor *sv, const anp_server_conf *conf, uid_t httpd_uid)
{
    static const char key[] = "mod_authnz_node.worker_starts";
    server_rec *s = sv->server;
    void *data = NULL;
    gid_t ignored;

    apr_pool_userdata_get(&data, key, s->process->pool);
    if (!data) {
        data = apr_pcalloc(s->process->pool, sizeof(int));
        apr_pool_userdata_set(data, key, apr_pool_cleanup_null, s->process->pool);
    }
    sv->starts = data;
    sv->admin_uid = geteuid();
    if (!conf->admin_user || geteuid() != 0) {
        return 1;
    }
    if (!lookup_user(sv->pconf, conf->admin_user, &sv->admin_uid, &ignored, s)) {
        return 0;
    }
    if (sv->admin_uid == httpd_uid) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s, ANPLOGNO(0352) "NodeAuthAdminUser %s is httpd's User: code "
                     "running as it could read the worker's status; name an administrator's own user",
                     conf->admin_user);
        return 0;
    }
    /* The admin user must reach admin.sock, so the directory it made may be searched by others (never
     * listed or written): the sockets' own modes keep them out, 0660 root:Group and 0600 the admin's. */
    if (sv->admin_uid != 0) {
        sv->dir_mode |= 0001;
    }
    return 1;
}

/* Who the children are (they connect: *httpd_uid, *httpd_gid) and who the worker is (it listens). */
static int choose_identities(anp_supervisor *sv, const anp_server_conf *conf, uid_t *httpd_uid, gid_t *httpd_gid)
{
    if (geteuid() != 0) {
        *httpd_uid = sv->uid = geteuid();
        *httpd_gid = sv->gid = getegid();
        sv->user_name = "";
        return 1;
    }
    *httpd_uid = ap_unixd_config.user_id;
    *httpd_gid = ap_unixd_config.group_id;
    sv->drop_privileges = 1;
    if (conf->worker_user) {
        sv->user_name = conf->worker_user;
        if (!lookup_user(sv->pconf, conf->worker_user, &sv->uid, &sv->gid, sv->server)) {
            return 0;
        }
    }
    else {
        sv->user_name = ap_unixd_config.user_name;
        sv->uid = ap_unixd_config.user_id;
        sv->gid = ap_unixd_config.group_id;
    }
    if (sv->uid == 0) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, sv->server,
                     ANPLOGNO(0317) "the worker runs as root: set User or NodeAuthWorkerUser to an "
                     "unprivileged user");
    }
    return 1;
}

/* The socket's path (NodeAuthSocket, or one of the module's own under DefaultRuntimeDir) and directory. */
static int choose_socket(anp_supervisor *sv, const anp_server_conf *conf)
{
    const char *slash;

    if (conf->socket_path) {
        sv->socket_path = conf->socket_path;
    }
    else {
        const char *dir = ap_runtime_dir_relative(sv->pconf, apr_psprintf(sv->pconf, "authnz_node.%" APR_PID_T_FMT,
                                                                          getpid()));
        sv->socket_path = apr_pstrcat(sv->pconf, dir, "/worker.sock", NULL);
        sv->remove_dir = 1;
    }
    if (strlen(sv->socket_path) > ANP_MAX_SOCKET_PATH) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, sv->server,
                     ANPLOGNO(0318) "the worker's socket path %s is too long for a Unix socket: set NodeAuthSocket "
                     "or a shorter DefaultRuntimeDir", sv->socket_path);
        return 0;
    }
    slash = strrchr(sv->socket_path, '/');
    sv->socket_dir = apr_pstrndup(sv->pconf, sv->socket_path, slash && slash != sv->socket_path
                                                                  ? (apr_size_t)(slash - sv->socket_path) : 1);
    sv->admin_path = apr_pstrcat(sv->pconf, sv->socket_dir, "/admin.sock", NULL);
    if (strlen(sv->admin_path) > ANP_MAX_SOCKET_PATH) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, sv->server,
                     ANPLOGNO(0353) "the worker's admin socket path %s is too long for a Unix socket: set "
                     "NodeAuthSocket or a shorter DefaultRuntimeDir", sv->admin_path);
        return 0;
    }
    return 1;
}

static void push(apr_array_header_t *argv, const char *arg)
{
    *(const char **)apr_array_push(argv) = arg;
}

/* The worker's command line, built once per generation, before any fork. */
static const char *const *worker_argv(const anp_supervisor *sv, const anp_server_conf *conf, uid_t httpd_uid,
                                      int shared, apr_interval_time_t timeout)
{
    apr_array_header_t *argv = apr_array_make(sv->pconf, 16, sizeof(const char *));
    int i;

    push(argv, conf->node_binary);
    /* V8 grows its young generation under the worker's steady stream of short-lived objects (a few per
     * check), and the memory it keeps that way is most of the worker's RSS; small semi-spaces keep it low
     * at the same throughput (docs/performance.md). It is argv[1], so the script is argv[2]. */
    push(argv, "--max-semi-space-size=1");
    push(argv, conf->worker_script);
    push(argv, "--socket");
    push(argv, sv->socket_path);
    push(argv, "--listen-fd");
    push(argv, "3");
    push(argv, "--admin-fd");
    push(argv, "6");
    push(argv, "--start-count");
    push(argv, sv->start_arg);
    /* Without root, httpd's uid owns everything already (and admin.sock): it may ask too. */
    if (sv->admin_uid != 0) {
        push(argv, "--admin-uid");
        push(argv, apr_psprintf(sv->pconf, "%ld", (long)sv->admin_uid));
    }
#if ANP_PROTOCOL_VERSION >= 3
    push(argv, "--bootstrap-fd");
    push(argv, "4");
#else
    /* A worker with the key demands the version 3 handshake, which children on version 2 do not make:
     * until both sides speak it, the worker gets no bootstrap (no key, no allowlist, no secrets). */
    push(argv, "--no-bootstrap");
#endif
    if (shared) {
        push(argv, "--socket-mode");
        push(argv, "0660");
    }
    push(argv, "--trust-uid");
    push(argv, apr_psprintf(sv->pconf, "%ld", (long)httpd_uid));
    push(argv, "--timeout-ms");
    push(argv, apr_psprintf(sv->pconf, "%" APR_TIME_T_FMT, apr_time_as_msec(timeout)));
    if (sv->heartbeat != ANP_HEARTBEAT_OFF) {
        push(argv, "--heartbeat-fd");
        push(argv, "5");
    }
    if (sv->generations_path) {
        push(argv, "--generations-fd");
        push(argv, "7");
    }
    if (conf->worker_log_level) {
        push(argv, "--log-level");
        push(argv, conf->worker_log_level);
    }
    anp_throttle_push_flags(argv, conf->throttle_flags);
    for (i = 0; i < conf->worker_args->nelts; i++) {
        push(argv, APR_ARRAY_IDX(conf->worker_args, i, const char *));
    }
    push(argv, NULL);
    return (const char *const *)argv->elts;
}

/* The worker's user must be able to run node and load the worker, or every check would answer 500 while
 * the worker is restarted without end: httpd does not start instead, and the log names what blocks it. */
static int check_access(const anp_supervisor *sv, const anp_server_conf *conf, apr_pool_t *ptemp)
{
    anp_access_user who;
    const char *refusal;

    who.drop_privileges = sv->drop_privileges;
    who.uid = sv->uid;
    who.gid = sv->gid;
    who.user_name = sv->user_name;
    refusal = anp_worker_access_check(ptemp, &who, conf->node_binary, conf->worker_script);
    if (refusal) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, sv->server, ANPLOGNO(0342) "httpd cannot start the worker: %s",
                     refusal);
        return 0;
    }
    refusal = anp_worker_spec_check(ptemp, sv->server, &who, conf->node_binary, conf->worker_script,
                                    anp_worker_environ(ptemp, conf));
    if (refusal) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, sv->server, ANPLOGNO(0344) "the handler configuration is refused: %s",
                     refusal);
        return 0;
    }
    return 1;
}

int anp_worker_access_verified(apr_pool_t *ptemp, server_rec *s)
{
    const anp_server_conf *conf = ap_get_module_config(s->module_config, &authnz_node_module);
    anp_supervisor *sv = apr_pcalloc(ptemp, sizeof(*sv));
    uid_t httpd_uid;
    gid_t httpd_gid;

    sv->pconf = ptemp;
    sv->server = s;
    return choose_identities(sv, conf, &httpd_uid, &httpd_gid) && check_access(sv, conf, ptemp);
}

/*
 * What every start of this generation's worker gets besides argv: the BOOTSTRAP frame (key, allowed
 * specs, secrets read now, as root, and kept in pconf for the restarts) and the allowlisted environment.
 */
static int prepare_bootstrap(anp_supervisor *sv, const anp_server_conf *conf)
{
    anp_worker_inputs inputs;
    const char *error = anp_worker_inputs_collect(sv->pconf, sv->server, &inputs);
    int i;

    if (error) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, sv->server, ANPLOGNO(0339) "cannot start the worker: %s", error);
        return 0;
    }
    sv->bootstrap = anp_bootstrap_make(sv->pconf, sv->server, anp_generation_key(), &inputs);
    /* The frame holds the secrets now; one copy in memory is enough. */
    for (i = 0; i < inputs.secret_files->nelts; i++) {
        anp_secret_file *secret = &APR_ARRAY_IDX(inputs.secret_files, i, anp_secret_file);
        anp_wipe((void *)secret->content, secret->len);
    }
    sv->envp = anp_worker_environ(sv->pconf, conf);
    return sv->bootstrap != NULL;
}

int anp_worker_start(apr_pool_t *pconf, apr_pool_t *ptemp, server_rec *s)
{
    const anp_server_conf *conf = ap_get_module_config(s->module_config, &authnz_node_module);
    anp_supervisor *sv = apr_pcalloc(pconf, sizeof(*sv));
    uid_t httpd_uid;
    gid_t httpd_gid;
    int shared;
    apr_os_file_t log_fd;

    sv->pconf = pconf;
    sv->server = s;
    sv->parent_pid = getpid();
    sv->beats.read_fd = sv->beats.write_fd = -1;
    sv->heartbeat = conf->worker_heartbeat ? conf->worker_heartbeat : ANP_DEFAULT_HEARTBEAT;
    if (!choose_identities(sv, conf, &httpd_uid, &httpd_gid) || !choose_socket(sv, conf)) {
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    shared = sv->uid != httpd_uid;
    if (!anp_generation_init(pconf, s)) {
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    choose_socket_owner(sv, httpd_gid);
    if (!choose_admin(sv, conf, httpd_uid)) {
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    if (!anp_socket_dir_prepare(s, sv->socket_dir, sv->socket_uid, sv->socket_gid, sv->dir_mode)) {
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    if (anp_config_change_feed_wanted(s)
        && !(sv->generations_path = anp_generations_file_make(pconf, s, sv->socket_dir,
                                                              sv->drop_privileges ? sv->uid : httpd_uid))) {
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    /* Each request carries its own server's NodeAuthTimeout; the cap must let the longest of them run. */
    sv->argv = worker_argv(sv, conf, httpd_uid, shared, anp_config_longest_timeout(s));
    if (!check_access(sv, conf, ptemp) || !prepare_bootstrap(sv, conf)) {
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    /* httpd's stderr is the main ErrorLog once logs are open; use the log's own descriptor when there is one. */
    sv->log_fd = -1;
    if (s->error_log && apr_os_file_get(&log_fd, s->error_log) == APR_SUCCESS) {
        sv->log_fd = log_fd;
    }
    supervisor = sv;
    apr_pool_cleanup_register(pconf, sv, stop_worker, apr_pool_cleanup_null);
    if (spawn(sv) != APR_SUCCESS) {
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    return OK;
}

void anp_worker_child_init(void)
{
    if (!supervisor || getpid() == supervisor->parent_pid) {
        return;
    }
    if (supervisor->beats.read_fd >= 0) {
        close(supervisor->beats.read_fd);
        supervisor->beats.read_fd = -1;
    }
    /* The secrets are the parent's, for the worker's starts: a child keeps no copy. */
    anp_bootstrap_forget(supervisor->bootstrap);
}

/*
 * httpd's monitor hook, in the parent, every 10 s: a worker whose newest beat is older than
 * NodeAuthWorkerHeartbeat is stopped or stuck, so every check would wait out NodeAuthTimeout and fail.
 * SIGKILL works on a stopped process too; the MPM then reaps it and maintenance() starts a new one.
 */
int anp_worker_monitor(apr_pool_t *p, server_rec *s)
{
    anp_supervisor *sv = supervisor;
    apr_int64_t age;
    (void)p;
    (void)s;

    if (!sv || !sv->proc || sv->stopping || sv->heartbeat == ANP_HEARTBEAT_OFF || getpid() != sv->parent_pid) {
        return DECLINED;
    }
    age = anp_heartbeat_age(&sv->beats, anp_heartbeat_clock_ms());
    if (age > apr_time_as_msec(sv->heartbeat)) {
        ap_log_error(APLOG_MARK, APLOG_ERR, 0, sv->server,
                     ANPLOGNO(0340) "worker pid %" APR_PID_T_FMT " has not beaten for %" APR_INT64_T_FMT " ms "
                     "(NodeAuthWorkerHeartbeat %" APR_TIME_T_FMT " ms): stopped, or stuck in a handler; "
                     "killing it so a new one starts", sv->proc->pid, age, apr_time_as_msec(sv->heartbeat));
        kill(sv->proc->pid, SIGKILL);
    }
    return DECLINED;
}
