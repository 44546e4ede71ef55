/*
 * anp_verdict_store.h: granted answers shared by all of httpd's children, each stamped with the
 * generations it was given at (anp_generations.h), so any child can answer the same credentials again
 * without a trip to the worker for as long as the stamps stay current.
 *
 * The store is one region of shared memory that httpd's parent makes before it forks the children, laid
 * out here: a header, then sets of ANP_VERDICT_WAYS entries. An entry is found by a 16-byte keyed digest of
 * everything that decided the answer (the caller's; the password is only ever hashed into it) and holds
 * up to two stamps (the user's slot, and a session's when a session decided it) and the answer's payload
 * (what the rest of the request reads from it). Only grants are stored: a refusal always goes to the worker.
 *
 * No lock: each entry is a sequence lock. A writer takes an entry by moving its sequence from even to odd
 * with a compare-and-swap (a writer that finds it odd leaves it alone), writes it, and makes the sequence
 * even again; a reader copies the entry and keeps the copy only when the sequence was even and the same
 * before and after. A torn or half-written entry is therefore a miss, never an answer. A child killed in
 * the middle of a write leaves that one entry odd, a miss, until the region is made again at the next
 * restart. All accesses to shared words are atomic, so readers racing writers is defined behaviour.
 *
 * Plain C with no APR (the region comes from the caller), so a test binary can share it between forked
 * processes as the children do.
 */
#ifndef ANP_VERDICT_STORE_H
#define ANP_VERDICT_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "anp_generations.h"

#define ANP_VERDICT_KEY_LEN 16
#define ANP_VERDICT_WAYS 4
#define ANP_VERDICT_MAX_STAMPS 2
/* A payload this long or longer is not stored (that request asks the worker each time). */
#define ANP_VERDICT_PAYLOAD 256
#define ANP_VERDICT_MIN_ENTRIES 64u
#define ANP_VERDICT_MAX_ENTRIES (1u << 22)

/* A stored answer as a reader gets it. */
typedef struct {
    anp_generation_stamp stamps[ANP_VERDICT_MAX_STAMPS];
    uint32_t stamp_count;
    uint32_t payload_len;
    uint64_t written;          /* the writer's `now` (ignored by put, which takes its own) */
    uint64_t expires;          /* on the caller's clock, after which it must not answer; 0 for no such bound
                                * (the store keeps it and gives it back, the caller judges it) */
    unsigned char payload[ANP_VERDICT_PAYLOAD];
} anp_kept_grant;

/* The region's size for `entries` entries (a power of two, MIN..MAX); 0 for any other count. */
size_t anp_verdict_store_bytes(uint32_t entries);

/* Lays out a zeroed region of anp_verdict_store_bytes(entries) bytes. 0, or -1 for a bad count. */
int anp_verdict_store_init(void *region, uint32_t entries);

/* 1 and *out when an entry has `key`; 0 (a miss) otherwise, including while it is being written. out->written
 * is the `now` it was put at, so the caller can bound an entry's age whatever its stamps say. */
int anp_verdict_store_get(void *region, const unsigned char key[ANP_VERDICT_KEY_LEN], anp_kept_grant *out);

/*
 * Stores `verdict` under `key`, written at `now` (any clock that only goes forward; the oldest entry of a
 * full set is the one replaced). 1 when stored; 0 when not (a payload too long, more stamps than fit, or
 * every entry of the set being written at this instant).
 */
int anp_verdict_store_put(void *region, const unsigned char key[ANP_VERDICT_KEY_LEN], const anp_kept_grant *verdict,
                          uint64_t now);

#endif
