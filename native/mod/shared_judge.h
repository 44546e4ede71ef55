/*
 * shared_judge.h: what a grant kept in the children's shared store is made of, and whether it may still
 * answer. One rule for every form of that store (shared_cache.c, and shared_cache_socache.c, the bench's shmcb
 * variant), so the store's backing can change without the rule drifting.
 */
#ifndef ANP_SHARED_JUDGE_H
#define ANP_SHARED_JUDGE_H

#include <stdint.h>

#include "anp_verdict_store.h"
#include "grant_cache.h"

/* Fills *kept (zeroed first) from a GRANTED answer's `count` stamps, its deadline (0: none) and `grant`;
 * 0 when it cannot be kept: no stamp, too many, or a payload too long for an entry. */
int anp_shared_kept_fill(anp_kept_grant *kept, const anp_generation_stamp *stamps, int count, uint64_t expires,
                         const anp_grant *grant);

/* 1 when `kept` is younger than `max_age_ns` at `now` (anp_generations_now()), before its deadline (a
 * session's expiry) if it has one, and every stamp (at least one) is current in the generations table;
 * 0 otherwise, including when there is no table. */
int anp_shared_kept_current(const anp_kept_grant *kept, uint64_t now, uint64_t max_age_ns);

#endif
