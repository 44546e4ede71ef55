/*
 * handshake_proof.h: the proofs of protocol version 3's handshake (docs/protocol.md, "Connection life"):
 * SipHash-2-4-128 under the generation key over a label and both nonces, and their constant-time compare.
 *
 * Plain C with no APR, so test/integration/handshake-vectors.test.ts compiles it with native/anp_siphash.c and
 * native/test/anp_handshake_test.c and holds it to test/vectors/handshake.json.
 */
#ifndef ANP_HANDSHAKE_PROOF_H
#define ANP_HANDSHAKE_PROOF_H

#include "anp_siphash.h"

#define ANP_HS_KEY_LEN ANP_SIPHASH_KEY_LEN
#define ANP_HS_NONCE_LEN 16
#define ANP_HS_PROOF_LEN ANP_SIPHASH_TAG_LEN

/* The worker's PROOF in its HELLO answer: SipHash(K, "mod_authnz_node worker proof" || n_m || n_w). */
void anp_proof_worker(const unsigned char key[ANP_HS_KEY_LEN], const unsigned char n_m[ANP_HS_NONCE_LEN],
                      const unsigned char n_w[ANP_HS_NONCE_LEN], unsigned char out[ANP_HS_PROOF_LEN]);

/* The module's PROOF in AUTH: SipHash(K, "mod_authnz_node module proof" || n_w || n_m). */
void anp_proof_module(const unsigned char key[ANP_HS_KEY_LEN], const unsigned char n_w[ANP_HS_NONCE_LEN],
                      const unsigned char n_m[ANP_HS_NONCE_LEN], unsigned char out[ANP_HS_PROOF_LEN]);

/* 1 when equal; the time taken does not depend on where they differ. */
int anp_proof_equal(const unsigned char a[ANP_HS_PROOF_LEN], const unsigned char b[ANP_HS_PROOF_LEN]);

#endif
