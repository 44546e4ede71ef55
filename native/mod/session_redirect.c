/*
 * session_redirect.c: Django's redirect_to_login Location, see session_redirect.h.
 *
 * The login URL is the administrator's (checked at configtest: printable ASCII, no spaces), so its
 * query has a handful of pairs: grouping them by name by rescanning is quadratic in a small number.
 */
#include <string.h>

#include "session_redirect.h"
#include "utf8_repair.h"

#define NEXT_NAME "next"
#define SCRATCH_UNIT(url_len) ((url_len) + sizeof(NEXT_NAME))

/* What the Location itself may take: each byte of the URL may decode to 3 (U+FFFD), each quoted as 3;
 * each byte of next quotes to at most 3; then "?", "&next=" and the NUL. */
static size_t location_max(size_t login_url_len, size_t next_len)
{
    return 9 * login_url_len + 3 * next_len + sizeof(NEXT_NAME) + 4;
}

size_t anp_login_location_cap(size_t login_url_len, size_t next_len)
{
    /* The decoding's scratch follows the Location in the same buffer: one raw copy and two decoded names
     * (each room for "next" too). */
    return location_max(login_url_len, next_len) + 7 * SCRATCH_UNIT(login_url_len);
}

static int hex_value(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* urllib's unquote of a query piece after '+' became ' ': %XX as bytes, then UTF-8 with U+FFFD.
 * `tmp` holds len bytes, `out` 3 * len; returns the decoded length. */
static size_t decode(const char *s, size_t len, char *tmp, char *out)
{
    size_t i, t = 0;
    for (i = 0; i < len; i++) {
        if (s[i] == '%' && i + 2 < len && hex_value(s[i + 1]) >= 0 && hex_value(s[i + 2]) >= 0) {
            tmp[t++] = (char)(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2]));
            i += 2;
        }
        else {
            tmp[t++] = s[i] == '+' ? ' ' : s[i];
        }
    }
    return anp_utf8_repair(tmp, t, out);
}

/* urllib's quote(bytes, safe='/'): returns the bytes written at out. */
static size_t quote(const char *s, size_t len, char *out)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t i, o = 0;
    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.'
            || c == '-' || c == '~' || c == '/') {
            out[o++] = (char)c;
        }
        else {
            out[o++] = '%';
            out[o++] = hex[c >> 4];
            out[o++] = hex[c & 15];
        }
    }
    return o;
}

/* One name=value piece of the query, as parse_qsl splits it. */
typedef struct {
    const char *name, *value;
    size_t name_len, value_len;
} piece;

/* The next non-empty piece at or after *s in the query's end; 0 when none is left. */
static int next_piece(const char **s, const char *end, piece *p)
{
    const char *amp, *eq;
    while (*s < end && **s == '&') {
        (*s)++;
    }
    if (*s >= end) {
        return 0;
    }
    amp = memchr(*s, '&', (size_t)(end - *s));
    amp = amp ? amp : end;
    eq = memchr(*s, '=', (size_t)(amp - *s));
    p->name = *s;
    p->name_len = (size_t)((eq ? eq : amp) - *s);
    p->value = eq ? eq + 1 : amp;
    p->value_len = (size_t)(amp - p->value);
    *s = amp;
    return 1;
}

/* Whether two raw names decode alike; `a` and `b` hold 3 * len bytes each, `tmp` len bytes. */
static int same_name(const piece *x, const piece *y, char *tmp, char *a, char *b)
{
    size_t la = decode(x->name, x->name_len, tmp, a), lb = decode(y->name, y->name_len, tmp, b);
    return la == lb && !memcmp(a, b, la);
}

/* Appends name=value (after '&' unless it is the first pair) to q[0, o), both decoded then quoted. */
static size_t put_pair(char *q, size_t o, const piece *p, char *tmp, char *dec)
{
    size_t len;
    if (o) {
        q[o++] = '&';
    }
    len = decode(p->name, p->name_len, tmp, dec);
    o += quote(dec, len, q + o);
    q[o++] = '=';
    len = decode(p->value, p->value_len, tmp, dec);
    return o + quote(dec, len, q + o);
}

/* Appends next=<quoted next> to q[0, o). */
static size_t put_next(char *q, size_t o, const char *next, size_t next_len)
{
    if (o) {
        q[o++] = '&';
    }
    memcpy(q + o, NEXT_NAME "=", sizeof(NEXT_NAME));
    o += sizeof(NEXT_NAME);
    return o + quote(next, next_len, q + o);
}

/* Whether a piece before `p` (in [start, end)) has the same decoded name. */
static int seen_before(const char *start, const char *end, const piece *p, char *tmp, char *a, char *b)
{
    piece earlier;
    while (next_piece(&start, end, &earlier) && earlier.name < p->name) {
        if (same_name(&earlier, p, tmp, a, b)) {
            return 1;
        }
    }
    return 0;
}

/* The QueryDict of the login URL's query [start, end) with "next" set, urlencoded into q. */
static size_t put_query(char *q, const char *start, const char *end, const char *next, size_t next_len,
                        char *tmp, char *a, char *b)
{
    static const piece next_name = {NEXT_NAME, NULL, sizeof(NEXT_NAME) - 1, 0};
    const char *s = start, *t;
    piece p, same;
    size_t o = 0;
    int next_done = 0;

    while (next_piece(&s, end, &p)) {
        if (seen_before(start, end, &p, tmp, a, b)) {
            continue;
        }
        if (same_name(&p, &next_name, tmp, a, b)) {
            o = put_next(q, o, next, next_len);
            next_done = 1;
            continue;
        }
        /* Every value of this name, where the name first appeared. */
        for (t = p.name; next_piece(&t, end, &same);) {
            if (same_name(&same, &p, tmp, a, b)) {
                o = put_pair(q, o, &same, tmp, a);
            }
        }
    }
    return next_done ? o : put_next(q, o, next, next_len);
}

size_t anp_login_location(const char *login_url, const char *next, size_t next_len, char *out)
{
    size_t url_len = strlen(login_url), o;
    const char *hash = strchr(login_url, '#');
    const char *query_end = hash ? hash : login_url + url_len;
    const char *qmark = memchr(login_url, '?', (size_t)(query_end - login_url));
    const char *base_end = qmark ? qmark : query_end;
    char *tmp = out + location_max(url_len, next_len), *a = tmp + SCRATCH_UNIT(url_len);
    char *b = a + 3 * SCRATCH_UNIT(url_len);

    o = (size_t)(base_end - login_url);
    memcpy(out, login_url, o);
    out[o++] = '?';
    o += put_query(out + o, qmark ? qmark + 1 : query_end, query_end, next, next_len, tmp, a, b);
    /* urlunparse writes the fragment back only when it is not empty. */
    if (hash && hash[1]) {
        memcpy(out + o, hash, strlen(hash));
        o += strlen(hash);
    }
    out[o] = '\0';
    return o;
}
