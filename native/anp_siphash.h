/*
 * anp_siphash.h: SipHash-2-4 with a 128-bit tag (Aumasson and Bernstein, "SipHash: a fast short-input
 * PRF", 2012; the 128-bit variant as in the authors' reference code), fed incrementally so that a
 * password is hashed where it lies, without a copy.
 *
 * Plain C99 with no APR, so native/test/anp_siphash_test.c holds it to the reference vectors outside
 * Apache. The module's grant cache keys its entries with it (native/mod/grant_cache.c).
 */
#ifndef ANP_SIPHASH_H
#define ANP_SIPHASH_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define ANP_SIPHASH_KEY_LEN 16
#define ANP_SIPHASH_TAG_LEN 16

typedef struct {
    uint64_t v0, v1, v2, v3;
    unsigned char tail[8];       /* bytes not yet in a whole 8-byte word */
    size_t tail_len;
    uint64_t total;              /* bytes fed, of which the low 8 bits go into the last word */
} anp_siphash;

void anp_siphash_init(anp_siphash *s, const unsigned char key[ANP_SIPHASH_KEY_LEN]);
void anp_siphash_update(anp_siphash *s, const void *data, size_t len);
/* Writes the tag and wipes the state, which is a function of everything fed (a password included). */
void anp_siphash_final(anp_siphash *s, unsigned char out[ANP_SIPHASH_TAG_LEN]);

#ifdef __cplusplus
}
#endif

#endif
