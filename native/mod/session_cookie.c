/*
 * session_cookie.c: Django's parse_cookie for one name, see session_cookie.h.
 *
 * Every step is linear in the header's length, and only the last matching value is unquoted, so a
 * header of many cookies costs one pass.
 */
#include <string.h>

#include "session_cookie.h"
#include "utf8_repair.h"

size_t anp_session_cookie_scratch(size_t header_len)
{
    /* Each byte that is not UTF-8 becomes three. */
    return 3 * header_len + 1;
}

/* The bytes of the character at s[0, n) that Python's str.isspace() is true for, 0 if it is not one. */
static size_t space_at(const unsigned char *s, size_t n)
{
    if ((s[0] >= 0x09 && s[0] <= 0x0d) || (s[0] >= 0x1c && s[0] <= 0x20)) {
        return 1;
    }
    if (n >= 2 && s[0] == 0xc2 && (s[1] == 0x85 || s[1] == 0xa0)) {
        return 2;
    }
    if (n < 3) {
        return 0;
    }
    if ((s[0] == 0xe1 && s[1] == 0x9a && s[2] == 0x80) || (s[0] == 0xe3 && s[1] == 0x80 && s[2] == 0x80)
        || (s[0] == 0xe2 && s[1] == 0x81 && s[2] == 0x9f)) {
        return 3; /* U+1680, U+3000, U+205F */
    }
    if (s[0] == 0xe2 && s[1] == 0x80 && (s[2] <= 0x8a || s[2] == 0xa8 || s[2] == 0xa9 || s[2] == 0xaf)) {
        return 3; /* U+2000..U+200A, U+2028, U+2029, U+202F */
    }
    return 0;
}

/* The bytes of such a character that ends s[0, n), 0 if none does (s is valid UTF-8). */
static size_t space_before(const unsigned char *s, size_t n)
{
    size_t k;
    for (k = 1; k <= 3 && k <= n; k++) {
        if ((k == 1 || (s[n - k] & 0xc0) == 0xc0) && space_at(s + n - k, k) == k) {
            return k;
        }
    }
    return 0;
}

/* str.strip(): *start and *len shrink to the piece without white space at either end. */
static void strip(const char **start, size_t *len)
{
    const unsigned char *s = (const unsigned char *)*start;
    size_t k;

    while (*len && (k = space_at(s, *len)) != 0) {
        s += k;
        *len -= k;
    }
    while (*len && (k = space_before(s, *len)) != 0) {
        *len -= k;
    }
    *start = (const char *)s;
}

static int is_octal_escape(const char *s, size_t n)
{
    return n >= 3 && s[0] >= '0' && s[0] <= '3' && s[1] >= '0' && s[1] <= '7' && s[2] >= '0' && s[2] <= '7';
}

/* The bytes of the UTF-8 character at s (valid UTF-8). */
static size_t char_len(unsigned char c)
{
    return c < 0x80 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
}

/* Appends k bytes to out[0, *o) within ANP_SESSION_COOKIE_MAX; 0 when they do not fit. */
static int put(char *out, size_t *o, const char *bytes, size_t k)
{
    if (*o + k > ANP_SESSION_COOKIE_MAX) {
        return 0;
    }
    memcpy(out + *o, bytes, k);
    *o += k;
    return 1;
}

/*
 * http.cookies._unquote: a value of two or more characters that starts and ends with '"' loses them, and
 * inside, \ooo (first digit 0-3) is the character of that code and \ followed by any other character but
 * a line feed is that character; anything else stays as it is. Returns the length; *too_long when the
 * result would be longer than ANP_SESSION_COOKIE_MAX.
 */
static size_t unquote(const char *v, size_t n, char *out, int *too_long)
{
    size_t i, o = 0, k;
    unsigned int code;
    char enc[2];

    *too_long = 0;
    if (n < 2 || v[0] != '"' || v[n - 1] != '"') {
        *too_long = !put(out, &o, v, n);
        return o;
    }
    for (i = 1, n--; i < n; i += k) {
        if (v[i] == '\\' && i + 1 < n && v[i + 1] != '\n') {
            if (is_octal_escape(v + i + 1, n - i - 1)) {
                code = (unsigned)((v[i + 1] - '0') * 64 + (v[i + 2] - '0') * 8 + (v[i + 3] - '0'));
                /* chr(code) is U+0000..U+00FF, one or two bytes of UTF-8. */
                enc[0] = (char)(code < 0x80 ? code : 0xc0 | (code >> 6));
                enc[1] = (char)(0x80 | (code & 0x3f));
                k = 4;
                if (!put(out, &o, enc, code < 0x80 ? 1 : 2)) {
                    break;
                }
                continue;
            }
            i++; /* the escaped character is copied as it is */
        }
        k = char_len((unsigned char)v[i]);
        if (!put(out, &o, v + i, k)) {
            break;
        }
    }
    *too_long = i < n;
    return o;
}

anp_cookie_result anp_session_cookie_find(const char *header, size_t header_len, const char *name, size_t name_len,
                                          char *scratch, char *out, size_t *out_len)
{
    size_t len = anp_utf8_repair(header, header_len, scratch), chunk, key_len, val_len;
    const char *s = scratch, *end = scratch + len, *eq, *key, *val, *found = NULL;
    size_t found_len = 0;
    int too_long;

    for (; s <= end; s += chunk + 1) {
        chunk = (size_t)(end - s);
        eq = memchr(s, ';', chunk);
        chunk = eq ? (size_t)(eq - s) : chunk;
        eq = memchr(s, '=', chunk);
        key = s;
        key_len = eq ? (size_t)(eq - s) : 0;
        val = eq ? eq + 1 : s;
        val_len = eq ? chunk - key_len - 1 : chunk;
        strip(&key, &key_len);
        strip(&val, &val_len);
        if ((key_len || val_len) && key_len == name_len && !memcmp(key, name, name_len)) {
            found = val;
            found_len = val_len;
        }
    }
    if (!found) {
        return ANP_COOKIE_NONE;
    }
    *out_len = unquote(found, found_len, out, &too_long);
    return too_long ? ANP_COOKIE_TOO_LONG : ANP_COOKIE_FOUND;
}
