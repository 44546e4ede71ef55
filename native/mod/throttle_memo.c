/*
 * throttle_memo.c: the per-child memo of throttled clients, see throttle_memo.h.
 *
 * Layout: ANP_THROTTLE_MEMO_SETS sets of ANP_THROTTLE_MEMO_WAYS entries, a set chosen by the key's low
 * bits. A lookup reads one set, so its cost does not grow with the number of throttled clients, which
 * matters because every Basic check where node comes first looks here before it asks the worker.
 * Locked always under threads, even under prefork: mod_http2 may run requests on threads of its own.
 * A lock that fails is a miss (the check asks the worker): the memo only saves trips.
 */
#include <string.h>
#include <time.h>

#include "httpd.h"
#include "apr_general.h"
#include "apr_thread_mutex.h"
#include "http_log.h"

#include "anp_protocol.h"
#include "anp_siphash.h"
#include "anp_private.h"
#include "throttle_memo.h"

typedef struct {
    unsigned char digest[ANP_THROTTLE_MEMO_KEY_LEN];
    apr_time_t expires;   /* when the memo stops refusing: min(until, stored + cap); 0: empty */
    apr_time_t until;     /* when the worker's lock ends, for Retry-After */
    apr_time_t stored;    /* when the answer arrived: the oldest is evicted first among live ones */
} memo_entry;

typedef struct {
#if APR_HAS_THREADS
    apr_thread_mutex_t *lock;
#endif
    unsigned char key[ANP_SIPHASH_KEY_LEN];
    memo_entry entries[ANP_THROTTLE_MEMO_ENTRIES];
} throttle_memo;

/* Per child: set in child_init, before any request thread runs; NULL: no memo. */
static throttle_memo *memo;

static apr_status_t memo_cleanup(void *data)
{
    throttle_memo *m = data;
    anp_wipe(m->key, sizeof(m->key));
    memo = NULL;
    return APR_SUCCESS;
}

void anp_throttle_memo_child_init(apr_pool_t *pchild, server_rec *s)
{
    throttle_memo *m = apr_pcalloc(pchild, sizeof(*m));
    apr_status_t rv = apr_generate_random_bytes(m->key, sizeof(m->key));

#if APR_HAS_THREADS
    if (rv == APR_SUCCESS) {
        rv = apr_thread_mutex_create(&m->lock, APR_THREAD_MUTEX_DEFAULT, pchild);
    }
#endif
    if (rv != APR_SUCCESS) {
        anp_wipe(m->key, sizeof(m->key));
        ap_log_error(APLOG_MARK, APLOG_ERR, rv, s,
                     ANPLOGNO(0106) "cannot make this child's memo of throttled clients: each of their "
                     "checks asks the worker");
        return;
    }
    apr_pool_cleanup_register(pchild, m, memo_cleanup, apr_pool_cleanup_null);
    memo = m;
}

/* Monotonic, so a date set back or forward neither stretches nor cuts an entry's second. */
apr_time_t anp_throttle_memo_now(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0) {
        return 0;
    }
    return (apr_time_t)ts.tv_sec * APR_USEC_PER_SEC + ts.tv_nsec / 1000 + 1;
}

/* A part preceded by its length, so ("1.2.3.4", "ab") and ("1.2.3.4a", "b") never hash alike. */
static void sip_part(anp_siphash *s, const char *text)
{
    apr_size_t len = strlen(text);
    unsigned char b[8];
    int i;
    for (i = 0; i < 8; i++) {
        b[i] = (unsigned char)((apr_uint64_t)len >> (8 * i));
    }
    anp_siphash_update(s, b, 8);
    anp_siphash_update(s, text, len);
}

int anp_throttle_memo_key_of(int scope, const char *ip, const char *user, anp_throttle_memo_key *key)
{
    throttle_memo *m = memo;
    anp_siphash s;
    unsigned char tag = (unsigned char)scope;

    if (!m || !ip || (scope != ANP_THROTTLE_SCOPE_ADDRESS && scope != ANP_THROTTLE_SCOPE_USER)
        || (scope == ANP_THROTTLE_SCOPE_USER && !user)) {
        return 0;
    }
    anp_siphash_init(&s, m->key);
    sip_part(&s, "mod_authnz_node throttle memo 1");
    anp_siphash_update(&s, &tag, 1);
    sip_part(&s, ip);
    if (scope == ANP_THROTTLE_SCOPE_USER) {
        sip_part(&s, user);
    }
    anp_siphash_final(&s, key->digest);
    return 1;
}

unsigned anp_throttle_memo_set_of(const anp_throttle_memo_key *key)
{
    /* A keyed PRF's output: a client cannot choose names that land in one set. */
    return ((unsigned)key->digest[0] | (unsigned)key->digest[1] << 8) % ANP_THROTTLE_MEMO_SETS;
}

static memo_entry *set_of(throttle_memo *m, const anp_throttle_memo_key *key)
{
    return &m->entries[anp_throttle_memo_set_of(key) * ANP_THROTTLE_MEMO_WAYS];
}

static int lock(throttle_memo *m)
{
#if APR_HAS_THREADS
    return apr_thread_mutex_lock(m->lock) == APR_SUCCESS;
#else
    (void)m;
    return 1;
#endif
}

static void unlock(throttle_memo *m)
{
#if APR_HAS_THREADS
    apr_thread_mutex_unlock(m->lock);
#else
    (void)m;
#endif
}

/* The way for `key` in `set`: its own entry, else an empty or expired one, else the oldest. */
static memo_entry *way_for(memo_entry *set, const anp_throttle_memo_key *key, apr_time_t now)
{
    memo_entry *dead = NULL, *oldest = NULL;
    int i;

    for (i = 0; i < ANP_THROTTLE_MEMO_WAYS; i++) {
        memo_entry *e = &set[i];
        if (e->expires > now && !memcmp(e->digest, key->digest, ANP_THROTTLE_MEMO_KEY_LEN)) {
            return e;
        }
        if (e->expires <= now) {
            dead = dead ? dead : e;
        }
        else if (!oldest || e->stored < oldest->stored) {
            oldest = e;
        }
    }
    return dead ? dead : oldest;
}

void anp_throttle_memo_put(const anp_throttle_memo_key *key, apr_time_t now, apr_time_t until)
{
    throttle_memo *m = memo;
    apr_time_t cap = now + ANP_THROTTLE_MEMO_CAP;
    memo_entry *e;

    if (!m || !now || until <= now || !lock(m)) {
        return;
    }
    e = way_for(set_of(m, key), key, now);
    memcpy(e->digest, key->digest, ANP_THROTTLE_MEMO_KEY_LEN);
    e->expires = until < cap ? until : cap;
    e->until = until;
    e->stored = now;
    unlock(m);
}

apr_time_t anp_throttle_memo_get(const anp_throttle_memo_key *key, apr_time_t now)
{
    throttle_memo *m = memo;
    apr_time_t until = 0;
    memo_entry *set;
    int i;

    if (!m || !now || !lock(m)) {
        return 0;
    }
    set = set_of(m, key);
    for (i = 0; i < ANP_THROTTLE_MEMO_WAYS; i++) {
        if (set[i].expires > now && !memcmp(set[i].digest, key->digest, ANP_THROTTLE_MEMO_KEY_LEN)) {
            until = set[i].until;
            break;
        }
    }
    unlock(m);
    return until;
}

unsigned anp_throttle_memo_count(apr_time_t now)
{
    throttle_memo *m = memo;
    unsigned live = 0;
    int i;

    if (!m || !lock(m)) {
        return 0;
    }
    for (i = 0; i < ANP_THROTTLE_MEMO_ENTRIES; i++) {
        live += m->entries[i].expires > now;
    }
    unlock(m);
    return live;
}
