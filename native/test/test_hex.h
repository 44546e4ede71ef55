/*
 * test_hex.h: hex text into bytes, for the C test binaries that read vectors written as hex (so any byte,
 * NUL included, can stand in a line-oriented vector file).
 */
#ifndef ANP_TEST_HEX_H
#define ANP_TEST_HEX_H

#include <stdio.h>
#include <string.h>

/* The first n characters of hex into out; the byte count, or -1 when the text is not hex. */
static long anp_test_unhex(const char *hex, size_t n, char *out)
{
    size_t i;
    unsigned int byte;
    if (n % 2) {
        return -1;
    }
    for (i = 0; i < n; i += 2) {
        if (sscanf(hex + i, "%2x", &byte) != 1) {
            return -1;
        }
        out[i / 2] = (char)byte;
    }
    return (long)(n / 2);
}

#endif
