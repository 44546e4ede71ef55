/*
 * session_redirect.h: the Location of the login redirect, as Django's redirect_to_login writes it.
 *
 * redirect_to_login(next, login_url) parses the login URL's query string into a QueryDict (split at
 * '&', empty pieces skipped, a piece without '=' a name with an empty value, '+' a space, %XX decoded
 * and the bytes read as UTF-8 with U+FFFD for the rest), sets its "next" to the path (replacing any
 * "next" the URL had, in its place; otherwise last), and writes every pair back with
 * QueryDict.urlencode(safe='/'): each name and value percent-encoded but for A-Z a-z 0-9 _ . - ~ and /,
 * the values of one name together where the name first appeared. The login URL's fragment stays last.
 * Plain C, no APR: native/test/session_redirect_test.c holds it to live Django.
 */
#ifndef ANP_SESSION_REDIRECT_H
#define ANP_SESSION_REDIRECT_H

#include <stddef.h>

/* The bytes anp_login_location may write for these lengths (NUL included). */
size_t anp_login_location_cap(size_t login_url_len, size_t next_len);

/* The Location for login_url with next (the path and query the client asked for) into out, which holds
 * anp_login_location_cap() bytes; returns its length (out is NUL-terminated). */
size_t anp_login_location(const char *login_url, const char *next, size_t next_len, char *out);

#endif
