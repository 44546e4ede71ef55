/*
 * shared_cache.h: the store of stamped grants that all of httpd's children share (anp_verdict_store.h),
 * made only when a section has NodeAuthDjangoOption change_feed on.
 *
 * httpd's parent makes it in post_config, before the MPM forks: an anonymous apr_shm region of
 * NodeAuthSharedCacheEntries entries and a random 16-byte key for its digests (grant_key.h, the shared
 * form), both inherited by every child and by nothing that execs. A child that gets a GRANTED password or session
 * check carrying 1..ANP_MAX_STAMPS STAMPs puts it there; any child then answers the same credentials from
 * the same address in the same configuration without a trip to the worker while every stamp is current in
 * the generations table (generations_file.h) and the entry is younger than NodeAuthSharedCacheMaxAge. A
 * session grant (session_hook.c) also carries a deadline: its VALID_FOR counted from before the request was
 * sent, so it never answers past the session's expiry, which no change event reports.
 * Refusals are never stored. Anything odd (no store, no table, a torn entry, a payload that does not
 * decode) is a miss.
 *
 * The key and the entries are in every child's memory, as the grant cache's are in one child's: code
 * running inside a child (an embedded interpreter) can read both and test candidate passwords offline,
 * as it can read the requests' passwords themselves. Other processes of httpd's User cannot (the children
 * are not dumpable and the region has no name).
 *
 * Log ids: ANP0111-0112 (post_config), ANP0540 (a hit, providers.c).
 */
#ifndef ANP_SHARED_CACHE_H
#define ANP_SHARED_CACHE_H

#include "httpd.h"

#include "anp_generations.h"
#include "grant_cache.h"

/* post_config, parent: makes the store and its key. 0 (logged) when it cannot: httpd then does not start. */
int anp_shared_cache_make(apr_pool_t *pconf, server_rec *s);

/* The digest of `parts` under the store's key; 0 when there is no store (then do not look up or put). */
int anp_shared_cache_key(const anp_grant_key_parts *parts, anp_grant_key *key);

/* 1 and *grant (from r->pool) when a kept grant has this key, all its stamps are current, it is younger
 * than NodeAuthSharedCacheMaxAge and its deadline (if any) has not come; 0 otherwise. */
int anp_shared_cache_get(request_rec *r, const anp_grant_key *key, anp_grant *grant);

/* Keeps a GRANTED answer that carried `count` (1..ANP_VERDICT_MAX_STAMPS) stamps; anything else is not kept.
 * `expires`: anp_generations_now() time from which it must not answer (a session's end), 0 for none. */
void anp_shared_cache_put(const anp_grant_key *key, const anp_generation_stamp *stamps, int count,
                          uint64_t expires, const anp_grant *grant);

#endif
