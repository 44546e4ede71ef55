/*
 * throttle_memo.h: each httpd child's memory of "this client is throttled until T", so that a client
 * that ignores Retry-After is answered 429 by the child itself instead of costing a trip to the worker.
 *
 * A THROTTLED answer names its scope (THROTTLE_SCOPE): an address-scoped one refuses every check from
 * the client's address (r->useragent_ip), whatever the user; a user-scoped one only (address, user).
 * The memo keeps each for min(Retry-After, ANP_THROTTLE_MEMO_CAP) from when the answer arrived: the
 * worker's lock always outlives the entry (Retry-After is at least 1 second), and an unlock made
 * elsewhere (an axes reset, a defender unblock, a worker restart) is seen within the cap. The memo can
 * only refuse: a miss asks the worker as before, and nothing in it ever grants.
 *
 * Keys are a keyed 128-bit digest (SipHash-2-4-128 under a random per-child key) of the scope and the
 * length-prefixed address and user, so the memory is bounded whatever a user name's length, no two
 * (address, user) pairs share a key, and a client cannot choose names that pile into one set.
 *
 * Log id: ANP0106 when child_init cannot make the memo (then every check asks the worker).
 */
#ifndef ANP_THROTTLE_MEMO_H
#define ANP_THROTTLE_MEMO_H

#include "httpd.h"

/* At most this many entries per child: ANP_THROTTLE_MEMO_SETS sets of ANP_THROTTLE_MEMO_WAYS. */
#define ANP_THROTTLE_MEMO_WAYS 4
#define ANP_THROTTLE_MEMO_SETS 256
#define ANP_THROTTLE_MEMO_ENTRIES (ANP_THROTTLE_MEMO_WAYS * ANP_THROTTLE_MEMO_SETS)

/* The longest an entry lives, whatever the Retry-After: how late an unlock elsewhere may be seen. */
#define ANP_THROTTLE_MEMO_CAP apr_time_from_sec(1)

#define ANP_THROTTLE_MEMO_KEY_LEN 16

typedef struct {
    unsigned char digest[ANP_THROTTLE_MEMO_KEY_LEN];
} anp_throttle_memo_key;

/* child_init: makes this child's memo. On any failure the child has none: every lookup misses. */
void anp_throttle_memo_child_init(apr_pool_t *pchild, server_rec *s);

/* A monotonic clock in microseconds; 0 when it cannot be read (then do not use the memo). */
apr_time_t anp_throttle_memo_now(void);

/* The key of `scope` (ANP_THROTTLE_SCOPE_*) for `ip` and, for the user scope, `user`. 0: no memo. */
int anp_throttle_memo_key_of(int scope, const char *ip, const char *user, anp_throttle_memo_key *key);

/* Which set `key` goes to (for the unit test, which needs keys that share a set). */
unsigned anp_throttle_memo_set_of(const anp_throttle_memo_key *key);

/* Remembers a THROTTLED answer that arrived at `now` and refuses until `until` (both monotonic): the
 * entry lives until min(until, now + ANP_THROTTLE_MEMO_CAP). A full set gives up an expired entry
 * first, then its oldest. */
void anp_throttle_memo_put(const anp_throttle_memo_key *key, apr_time_t now, apr_time_t until);

/* The worker's `until` of a live entry with this key at `now`, or 0 when there is none. */
apr_time_t anp_throttle_memo_get(const anp_throttle_memo_key *key, apr_time_t now);

/* Live entries at `now` (for the unit test). */
unsigned anp_throttle_memo_count(apr_time_t now);

#endif
