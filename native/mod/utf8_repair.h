/*
 * utf8_repair.h: bytes as Python 3 decodes them with errors='replace', written back as UTF-8.
 *
 * Django decodes the Cookie header (and unquotes a query string) so: each maximal piece that is not
 * UTF-8 (the longest prefix of a sequence that could still have become a character, else one byte)
 * becomes one U+FFFD. Plain C, no APR, for the module and its C test binaries.
 */
#ifndef ANP_UTF8_REPAIR_H
#define ANP_UTF8_REPAIR_H

#include <stddef.h>

/* in[0, len) repaired into out, which holds 3 * len bytes; returns the bytes written. */
size_t anp_utf8_repair(const char *in, size_t len, char *out);

#endif
