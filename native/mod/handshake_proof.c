/*
 * handshake_proof.c: the handshake's proofs, see handshake_proof.h.
 */
#include <string.h>

#include "handshake_proof.h"

static const char worker_label[] = "mod_authnz_node worker proof";
static const char module_label[] = "mod_authnz_node module proof";

/* The label without its terminator, then the two nonces in the order given. */
static void proof(const unsigned char *key, const char *label, const unsigned char *first,
                  const unsigned char *second, unsigned char *out)
{
    anp_siphash s;
    anp_siphash_init(&s, key);
    anp_siphash_update(&s, label, strlen(label));
    anp_siphash_update(&s, first, ANP_HS_NONCE_LEN);
    anp_siphash_update(&s, second, ANP_HS_NONCE_LEN);
    anp_siphash_final(&s, out);
}

void anp_proof_worker(const unsigned char key[ANP_HS_KEY_LEN], const unsigned char n_m[ANP_HS_NONCE_LEN],
                      const unsigned char n_w[ANP_HS_NONCE_LEN], unsigned char out[ANP_HS_PROOF_LEN])
{
    proof(key, worker_label, n_m, n_w, out);
}

void anp_proof_module(const unsigned char key[ANP_HS_KEY_LEN], const unsigned char n_w[ANP_HS_NONCE_LEN],
                      const unsigned char n_m[ANP_HS_NONCE_LEN], unsigned char out[ANP_HS_PROOF_LEN])
{
    proof(key, module_label, n_w, n_m, out);
}

int anp_proof_equal(const unsigned char a[ANP_HS_PROOF_LEN], const unsigned char b[ANP_HS_PROOF_LEN])
{
    /* volatile: the compiler may not turn the loop into an early-exit compare. */
    volatile unsigned char diff = 0;
    int i;
    for (i = 0; i < ANP_HS_PROOF_LEN; i++) {
        diff |= (unsigned char)(a[i] ^ b[i]);
    }
    return diff == 0;
}
