/*
 * worker_spec_check.c: the worker's verdict on the configuration's handler specs (worker_spec_check.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "apr_lib.h"
#include "apr_strings.h"

#include "anp_protocol.h"
#include "anp_private.h"
#include "bootstrap.h"
#include "worker_inputs.h"
#include "worker_spec_check.h"

/* The check's descriptor for the frame, as the worker's own start has it. */
#define ANP_CHECK_BOOTSTRAP_FD 4
/* How long the check may take: node's start and one lazy import; past it the check is a refusal. */
#define ANP_CHECK_WAIT_MS 15000
/* The most of the worker's output kept for the message. */
#define ANP_CHECK_OUTPUT_MAX 4096
#define ANP_CHECK_EXIT_REFUSED 2

static void check_child(int out, int bootstrap_fd, const anp_access_user *who, const char *const *argv,
                        const char *const *envp)
{
    int devnull = open("/dev/null", O_RDONLY);
    int parked = fcntl(bootstrap_fd, F_DUPFD, 16);
    long fd, max = sysconf(_SC_OPEN_MAX);

    if (devnull < 0 || parked < 0 || dup2(devnull, STDIN_FILENO) < 0 || dup2(out, STDOUT_FILENO) < 0
        || dup2(out, STDERR_FILENO) < 0 || dup2(parked, ANP_CHECK_BOOTSTRAP_FD) != ANP_CHECK_BOOTSTRAP_FD) {
        _exit(127);
    }
    for (fd = ANP_CHECK_BOOTSTRAP_FD + 1; fd < (max > 0 ? max : 65536); fd++) {
        close((int)fd);
    }
    close(3);
    if (anp_access_become(who) != 0 || chdir("/") != 0) {
        _exit(127);
    }
    execve(argv[0], (char *const *)argv, (char *const *)envp);
    _exit(127);
}

/* Everything the check printed until it closed its output, or until the deadline (then *timed_out). */
static const char *read_output(apr_pool_t *p, int in, int *timed_out)
{
    char *buf = apr_palloc(p, ANP_CHECK_OUTPUT_MAX + 1);
    size_t got = 0;
    apr_time_t deadline = apr_time_now() + apr_time_from_msec(ANP_CHECK_WAIT_MS);
    struct pollfd ready;

    *timed_out = 0;
    ready.fd = in;
    ready.events = POLLIN;
    for (;;) {
        int left = (int)apr_time_as_msec(deadline - apr_time_now());
        int polled = left > 0 ? poll(&ready, 1, left) : 0;
        char chunk[512];
        ssize_t n;
        if (polled < 0 && errno == EINTR) {
            continue;
        }
        if (polled <= 0) {
            *timed_out = 1;
            break;
        }
        if ((n = read(in, chunk, sizeof(chunk))) < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            break;
        }
        if (got < ANP_CHECK_OUTPUT_MAX) {
            size_t take = (size_t)n < ANP_CHECK_OUTPUT_MAX - got ? (size_t)n : ANP_CHECK_OUTPUT_MAX - got;
            memcpy(buf + got, chunk, take);
            got += take;
        }
    }
    buf[got] = '\0';
    return buf;
}

/* A worker line's message: what follows "[authnz_node:error] [pid N] ANPnnnn: "; the line itself if it is
 * not in that shape. */
static const char *message_of(const char *line)
{
    static const char prefix[] = "[authnz_node:error] [pid ";
    const char *marker = strstr(line, prefix);
    const char *text = marker ? strstr(marker + sizeof(prefix) - 1, "] ") : NULL;

    if (!text) {
        return line;
    }
    text += 2;
    if (strncmp(text, "ANP", 3) == 0 && apr_isdigit(text[3]) && apr_isdigit(text[4]) && apr_isdigit(text[5])
        && apr_isdigit(text[6]) && strncmp(text + 7, ": ", 2) == 0) {
        text += 9;
    }
    return text;
}

/* The worker's lines, each without its time stamp, level, pid and log id, joined by "; ". */
static const char *problems_of(apr_pool_t *p, const char *output)
{
    char *copy = apr_pstrdup(p, output), *state = NULL, *line;
    const char *joined = NULL;

    for (line = apr_strtok(copy, "\n", &state); line; line = apr_strtok(NULL, "\n", &state)) {
        const char *text = message_of(line);
        joined = joined ? apr_pstrcat(p, joined, "; ", text, NULL) : text;
    }
    return joined ? joined : "(no message)";
}

/* Forks the check with the frame on `bootstrap_fd`; returns NULL or the refusal. */
static const char *run_check(apr_pool_t *p, int bootstrap_fd, const anp_access_user *who, const char *const *argv,
                             const char *const *envp)
{
    int fds[2], status = 0, timed_out;
    const char *output;
    pid_t pid;

    if (pipe2(fds, O_CLOEXEC) != 0) {
        return apr_psprintf(p, "cannot run the worker's check of the handler specs: pipe: %s", strerror(errno));
    }
    pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        return apr_psprintf(p, "cannot run the worker's check of the handler specs: fork: %s", strerror(errno));
    }
    if (pid == 0) {
        check_child(fds[1], bootstrap_fd, who, argv, envp);
    }
    close(fds[1]);
    output = read_output(p, fds[0], &timed_out);
    close(fds[0]);
    if (timed_out) {
        kill(pid, SIGKILL);
    }
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (timed_out) {
        return apr_psprintf(p, "the worker's check of the handler specs gave no answer within %d s",
                            ANP_CHECK_WAIT_MS / 1000);
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
        return NULL;
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == ANP_CHECK_EXIT_REFUSED) {
        return apr_psprintf(p, "the worker refuses: %s", problems_of(p, output));
    }
    return apr_psprintf(p, "the worker's check of the handler specs failed (status %d): %s", status,
                        problems_of(p, output));
}

const char *anp_worker_spec_check(apr_pool_t *p, server_rec *s, const anp_access_user *who, const char *node_binary,
                                  const char *worker_script, const char *const *envp)
{
    /* The check reads no key: a frame needs one, so it gets zeros. */
    static const unsigned char no_key[ANP_GENERATION_KEY_LEN];
    const char *argv[] = {node_binary, worker_script, "--check-specs", "--bootstrap-fd", "4", NULL};
    anp_worker_inputs inputs;
    anp_bootstrap *frame;
    const char *err = anp_worker_inputs_collect(p, s, &inputs);
    int bootstrap_fd, i;

    if (err) {
        return err;
    }
    if (inputs.specs->nelts == 0) {
        return NULL;
    }
    frame = anp_bootstrap_make(p, s, no_key, &inputs);
    for (i = 0; i < inputs.secret_files->nelts; i++) {
        anp_secret_file *secret = &APR_ARRAY_IDX(inputs.secret_files, i, anp_secret_file);
        anp_wipe((void *)secret->content, secret->len);
    }
    if (!frame || (bootstrap_fd = anp_bootstrap_channel(frame, s)) < 0) {
        return "cannot hand the handler specs to the worker's check (see the lines above)";
    }
    err = run_check(p, bootstrap_fd, who, argv, envp);
    close(bootstrap_fd);
    return err;
}
