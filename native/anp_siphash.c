/*
 * anp_siphash.c: SipHash-2-4-128, see anp_siphash.h.
 */
#include "anp_siphash.h"

#include <string.h>

#include "anp_protocol.h" /* anp_wipe */

#define ROTL64(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))

static void sip_round(anp_siphash *s)
{
    s->v0 += s->v1;
    s->v1 = ROTL64(s->v1, 13);
    s->v1 ^= s->v0;
    s->v0 = ROTL64(s->v0, 32);
    s->v2 += s->v3;
    s->v3 = ROTL64(s->v3, 16);
    s->v3 ^= s->v2;
    s->v0 += s->v3;
    s->v3 = ROTL64(s->v3, 21);
    s->v3 ^= s->v0;
    s->v2 += s->v1;
    s->v1 = ROTL64(s->v1, 17);
    s->v1 ^= s->v2;
    s->v2 = ROTL64(s->v2, 32);
}

static uint64_t load64_le(const unsigned char *p)
{
    return (uint64_t)p[0] | (uint64_t)p[1] << 8 | (uint64_t)p[2] << 16 | (uint64_t)p[3] << 24
           | (uint64_t)p[4] << 32 | (uint64_t)p[5] << 40 | (uint64_t)p[6] << 48 | (uint64_t)p[7] << 56;
}

static void store64_le(unsigned char *p, uint64_t v)
{
    int i;
    for (i = 0; i < 8; i++) {
        p[i] = (unsigned char)(v >> (8 * i));
    }
}

void anp_siphash_init(anp_siphash *s, const unsigned char key[ANP_SIPHASH_KEY_LEN])
{
    uint64_t k0 = load64_le(key), k1 = load64_le(key + 8);
    s->v0 = k0 ^ UINT64_C(0x736f6d6570736575);
    s->v1 = k1 ^ UINT64_C(0x646f72616e646f6d);
    s->v2 = k0 ^ UINT64_C(0x6c7967656e657261);
    s->v3 = k1 ^ UINT64_C(0x7465646279746573);
    s->v1 ^= 0xee; /* the 128-bit tag's domain separation */
    s->tail_len = 0;
    s->total = 0;
}

static void sip_word(anp_siphash *s, uint64_t m)
{
    s->v3 ^= m;
    sip_round(s);
    sip_round(s);
    s->v0 ^= m;
}

void anp_siphash_update(anp_siphash *s, const void *data, size_t len)
{
    const unsigned char *in = data;

    s->total += len;
    if (s->tail_len) {
        while (len && s->tail_len < 8) {
            s->tail[s->tail_len++] = *in++;
            len--;
        }
        if (s->tail_len < 8) {
            return;
        }
        sip_word(s, load64_le(s->tail));
        s->tail_len = 0;
    }
    for (; len >= 8; in += 8, len -= 8) {
        sip_word(s, load64_le(in));
    }
    if (len > 0) {
        memcpy(s->tail, in, len);
    }
    s->tail_len = len;
}

static uint64_t finalize_half(anp_siphash *s, unsigned char flag)
{
    s->v2 ^= flag;
    sip_round(s);
    sip_round(s);
    sip_round(s);
    sip_round(s);
    return s->v0 ^ s->v1 ^ s->v2 ^ s->v3;
}

void anp_siphash_final(anp_siphash *s, unsigned char out[ANP_SIPHASH_TAG_LEN])
{
    uint64_t b = (s->total & 0xff) << 56;
    size_t i;

    for (i = 0; i < s->tail_len; i++) {
        b |= (uint64_t)s->tail[i] << (8 * i);
    }
    sip_word(s, b);
    store64_le(out, finalize_half(s, 0xee));
    /* The second half: v1 ^= 0xdd, then the same four rounds. */
    s->v1 ^= 0xdd;
    store64_le(out + 8, finalize_half(s, 0));
    anp_wipe(s, sizeof(*s));
}
