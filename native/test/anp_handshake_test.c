/*
 * anp_handshake_test.c: prints the module side's proofs for a key and two nonces given in hex, one per
 * line (worker proof, module proof), and whether each equals itself and not a one-bit change under
 * anp_proof_equal. test/integration/handshake-vectors.test.ts compiles it with native/mod/handshake_proof.c and
 * native/anp_siphash.c and compares with test/vectors/handshake.json.
 * Usage: anp_handshake_test KEYHEX N_M_HEX N_W_HEX
 */
#include <stdio.h>
#include <string.h>

#include "handshake_proof.h"

static int unhex(const char *s, unsigned char *out, size_t len)
{
    size_t i;
    unsigned int b;
    if (strlen(s) != len * 2) {
        return -1;
    }
    for (i = 0; i < len; i++) {
        if (sscanf(s + 2 * i, "%2x", &b) != 1) {
            return -1;
        }
        out[i] = (unsigned char)b;
    }
    return 0;
}

static void print_hex(const unsigned char *p, size_t len)
{
    size_t i;
    for (i = 0; i < len; i++) {
        printf("%02x", p[i]);
    }
    printf("\n");
}

int main(int argc, char **argv)
{
    unsigned char key[ANP_HS_KEY_LEN], n_m[ANP_HS_NONCE_LEN], n_w[ANP_HS_NONCE_LEN];
    unsigned char wp[ANP_HS_PROOF_LEN], mp[ANP_HS_PROOF_LEN], flipped[ANP_HS_PROOF_LEN];

    if (argc != 4 || unhex(argv[1], key, sizeof(key)) || unhex(argv[2], n_m, sizeof(n_m))
        || unhex(argv[3], n_w, sizeof(n_w))) {
        fprintf(stderr, "usage: anp_handshake_test KEYHEX N_M_HEX N_W_HEX\n");
        return 2;
    }
    anp_proof_worker(key, n_m, n_w, wp);
    anp_proof_module(key, n_w, n_m, mp);
    print_hex(wp, sizeof(wp));
    print_hex(mp, sizeof(mp));
    memcpy(flipped, mp, sizeof(mp));
    flipped[ANP_HS_PROOF_LEN - 1] ^= 1;
    printf("%d %d\n", anp_proof_equal(mp, mp), anp_proof_equal(mp, flipped));
    return 0;
}
