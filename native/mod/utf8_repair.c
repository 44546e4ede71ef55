/*
 * utf8_repair.c: Python's bytes.decode('utf-8', errors='replace'), re-encoded, see utf8_repair.h.
 */
#include <string.h>

#include "utf8_repair.h"

static const char replacement[3] = {(char)0xef, (char)0xbf, (char)0xbd}; /* U+FFFD in UTF-8 */

/* The length of the valid UTF-8 sequence at s[0, n), or 0 with *bad set to how many bytes one U+FFFD
 * replaces: the longest prefix that could still have begun a character (Python's errors='replace'). */
static size_t utf8_sequence(const unsigned char *s, size_t n, size_t *bad)
{
    unsigned char lo = 0x80, hi = 0xbf;
    size_t need, i;

    if (s[0] < 0x80) {
        return 1;
    }
    if (s[0] >= 0xc2 && s[0] <= 0xdf) {
        need = 2;
    }
    else if (s[0] >= 0xe0 && s[0] <= 0xef) {
        need = 3;
        lo = s[0] == 0xe0 ? 0xa0 : 0x80;
        hi = s[0] == 0xed ? 0x9f : 0xbf;
    }
    else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
        need = 4;
        lo = s[0] == 0xf0 ? 0x90 : 0x80;
        hi = s[0] == 0xf4 ? 0x8f : 0xbf;
    }
    else {
        *bad = 1;
        return 0;
    }
    for (i = 1; i < need; i++) {
        if (i >= n || s[i] < lo || s[i] > hi) {
            *bad = i;
            return 0;
        }
        lo = 0x80;
        hi = 0xbf;
    }
    return need;
}

size_t anp_utf8_repair(const char *in, size_t len, char *out)
{
    const unsigned char *s = (const unsigned char *)in;
    size_t i = 0, o = 0, seq, bad;

    while (i < len) {
        seq = utf8_sequence(s + i, len - i, &bad);
        if (seq) {
            memcpy(out + o, in + i, seq);
            o += seq;
            i += seq;
        }
        else {
            memcpy(out + o, replacement, 3);
            o += 3;
            i += bad;
        }
    }
    return o;
}
