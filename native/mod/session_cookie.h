/*
 * session_cookie.h: the session cookie's value in a Cookie header, as Django reads it.
 *
 * Django behind httpd sees the Cookie header as mod_wsgi hands it over (HTTP_COOKIE: httpd's header
 * lines joined with ", "), decodes its bytes as UTF-8 with U+FFFD for what is not UTF-8 (Python's
 * errors='replace'), and parses it with django.http.parse_cookie: split at ';', a chunk's name and value
 * at its first '=' (no '=': the chunk is a value with an empty name), both stripped of what Python's
 * str.strip() takes for white space, empty pairs skipped, the value unquoted by http.cookies' rules, and
 * a name given again replaces the earlier value. This file does the same for one name, in plain C (no
 * APR), so that native/test/session_cookie_test.c can hold it to the vectors Django produced.
 *
 * The worker never sees the Cookie header: only the value found here goes out, as SESSION_KEY.
 */
#ifndef ANP_SESSION_COOKIE_H
#define ANP_SESSION_COOKIE_H

#include <stddef.h>

/* The longest value that can be a session (the protocol's SESSION_KEY limit). */
#define ANP_SESSION_COOKIE_MAX 4096

typedef enum {
    ANP_COOKIE_NONE = 0,    /* the name is not in the header */
    ANP_COOKIE_FOUND = 1,   /* *out holds the value (UTF-8, possibly empty) */
    ANP_COOKIE_TOO_LONG = 2 /* the value is longer than ANP_SESSION_COOKIE_MAX bytes: no session */
} anp_cookie_result;

/* The scratch bytes anp_session_cookie_find needs for a header of header_len bytes. */
size_t anp_session_cookie_scratch(size_t header_len);

/*
 * The value of the last cookie called `name` (compared byte for byte with the header's UTF-8 after the
 * repair above) in header[0, header_len). `scratch` holds anp_session_cookie_scratch(header_len) bytes;
 * `out` holds ANP_SESSION_COOKIE_MAX bytes and gets the value, *out_len its length (no NUL is added:
 * an octal escape can put a NUL byte in a value).
 */
anp_cookie_result anp_session_cookie_find(const char *header, size_t header_len, const char *name, size_t name_len,
                                          char *scratch, char *out, size_t *out_len);

#endif
