/*
 * worker_stderr.c: the line a worker that could not start left in the ErrorLog (see worker_stderr.h).
 *
 * Only the last 16 KB written since the worker's start are read: a worker that died at start has said
 * little, and the parent must not stall on a large log. Lines of httpd's own format are skipped, since
 * other processes write to the same log meanwhile. The result is a hint for the administrator; no
 * decision depends on it. httpd opens the log write-only, so it is read through a second descriptor
 * on the same file, opened by way of /proc/self/fd.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "worker_stderr.h"

#define ANP_TAIL_BYTES 16384

off_t anp_log_size(int log_fd)
{
    struct stat st;

    if (log_fd < 0 || fstat(log_fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        return -1;
    }
    return st.st_size;
}

static int says_error(const char *line, size_t len)
{
    size_t i;
    for (i = 0; i < len; i++) {
        if ((i + 5 <= len && memcmp(line + i, "Error", 5) == 0) || (i + 6 <= len && memcmp(line + i, "error:", 6) == 0)) {
            return 1;
        }
    }
    return 0;
}

static int worth_showing(const char *line, size_t len)
{
    size_t i;
    for (i = 0; i < len && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r'); i++) {
    }
    if (i == len || line[i] == '[' || (len - i >= 8 && memcmp(line + i, "Node.js ", 8) == 0)) {
        return 0;
    }
    /* A line of only punctuation (a caret under the failing code, a closing brace) says nothing. */
    for (; i < len; i++) {
        if ((line[i] >= 'A' && line[i] <= 'Z') || (line[i] >= 'a' && line[i] <= 'z')) {
            return 1;
        }
    }
    return 0;
}

static void copy_line(const char *line, size_t len, char *out, size_t out_len)
{
    size_t i;
    if (len >= out_len) {
        len = out_len - 1;
    }
    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)line[i];
        out[i] = c < 0x20 || c == 0x7f ? '?' : (char)c;
    }
    out[len] = '\0';
}

int anp_log_last_error_line(int log_fd, off_t from, char *out, size_t out_len)
{
    static char tail[ANP_TAIL_BYTES];
    off_t end = anp_log_size(log_fd);
    const char *best = NULL, *fallback = NULL;
    size_t best_len = 0, fallback_len = 0, start = 0, i;
    ssize_t got;
    char self[64];
    int reader;

    if (out_len == 0 || from < 0 || end <= from) {
        return 0;
    }
    if (end - from > ANP_TAIL_BYTES) {
        from = end - ANP_TAIL_BYTES;
    }
    snprintf(self, sizeof(self), "/proc/self/fd/%d", log_fd);
    reader = open(self, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (reader < 0) {
        return 0;
    }
    got = pread(reader, tail, (size_t)(end - from), from);
    close(reader);
    if (got <= 0) {
        return 0;
    }
    for (i = 0; i <= (size_t)got; i++) {
        if (i < (size_t)got && tail[i] != '\n') {
            continue;
        }
        if (worth_showing(tail + start, i - start)) {
            if (says_error(tail + start, i - start)) {
                best = tail + start;
                best_len = i - start;
            }
            fallback = tail + start;
            fallback_len = i - start;
        }
        start = i + 1;
    }
    if (!best) {
        best = fallback;
        best_len = fallback_len;
    }
    if (!best) {
        return 0;
    }
    copy_line(best, best_len, out, out_len);
    return 1;
}
