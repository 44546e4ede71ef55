/*
 * worker_stderr.h: the line a worker that could not start left in the ErrorLog, for the supervisor's
 * crit message after several quick deaths in a row.
 *
 * The worker's stdout and stderr are the ErrorLog's descriptor itself (no pipe for httpd's parent to
 * drain while the worker runs): when that is a regular file, what the worker wrote since its start is
 * read back from the file's size at the spawn to its end.
 */
#ifndef ANP_WORKER_STDERR_H
#define ANP_WORKER_STDERR_H

#include <stddef.h>
#include <sys/types.h>

/* The log's size now, or -1 when the descriptor is not a regular file (a piped logger, syslog). */
off_t anp_log_size(int log_fd);

/*
 * Copies into out (NUL-terminated, cut to out_len - 1 bytes, control characters as '?') the last line
 * of the log after offset `from` that tells why a process failed: the last one naming an error ("Error"
 * or "error:"), else the last other non-blank line that is neither httpd's own ("[" first) nor node's
 * version trailer. Returns 0 when there is none or the log cannot be read.
 */
int anp_log_last_error_line(int log_fd, off_t from, char *out, size_t out_len);

#endif
