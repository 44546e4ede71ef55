/*
 * grant_cache.c: the per-child grant cache (NodeAuthCacheSeconds), see grant_cache.h.
 *
 * Shaped like mod_authn_socache's cache of verified credentials, but kept in the child's own memory
 * rather than in a shared socache: the point is to skip a round trip to another process, and a
 * shared-memory provider would bring back a lock and a copy across processes for little gain.
 *
 * Layout: a fixed array of ANP_GRANT_CACHE_ENTRIES entries with the answer inline, and a table of
 * bucket heads. Entries are chained per bucket by slot number (1 + slot, so 0 ends a chain). Slots
 * come from a free list, then from the untouched tail of the array, then by evicting the slot under a
 * cursor that walks the array: with no expiries that is the oldest entry. The array is allocated
 * with apr_palloc, not zeroed, and used from the front, so a child's resident memory grows only with
 * the entries it actually holds.
 */
#include <string.h>
#include <time.h>

#include "httpd.h"
#include "apr_general.h"
#include "apr_strings.h"
#include "apr_thread_mutex.h"
#include "http_log.h"

#include "anp_protocol.h" /* anp_wipe */
#include "anp_siphash.h"
#include "anp_private.h"
#include "grant_cache.h"
#include "grant_key.h"
#include "grant_payload.h"

/* A power of two, twice the entries: chains stay about one entry long. */
#define ANP_GRANT_CACHE_BUCKETS 2048

typedef struct {
    unsigned char digest[ANP_GRANT_KEY_LEN];
    apr_time_t expires;          /* monotonic, anp_grant_cache_now() */
    apr_uint32_t next;           /* 1 + slot of the next entry in the bucket, or on the free list; 0: none */
    apr_uint16_t len;            /* bytes used in payload */
    unsigned char payload[ANP_GRANT_CACHE_PAYLOAD];
} grant_entry;

typedef struct {
#if APR_HAS_THREADS
    apr_thread_mutex_t *lock;
#endif
    unsigned char key[ANP_SIPHASH_KEY_LEN]; /* from apr_generate_random_bytes, per child */
    apr_uint32_t *buckets;       /* [ANP_GRANT_CACHE_BUCKETS]: 1 + slot of the chain's first entry */
    grant_entry *entries;        /* [ANP_GRANT_CACHE_ENTRIES]; only [0, used) were ever written */
    apr_uint32_t used;
    apr_uint32_t free_list;      /* 1 + slot */
    apr_uint32_t cursor;         /* the next slot evicted when every slot is live */
} grant_cache;

/* Per child process: set in child_init, before any request thread runs; NULL: no cache (every lookup
 * misses). */
static grant_cache *cache;

/* ------------------------------------------------------------------------------------------------ */
/* The key                                                                                           */
/* ------------------------------------------------------------------------------------------------ */

int anp_grant_cache_key(const anp_grant_key_parts *parts, anp_grant_key *key)
{
    grant_cache *c = cache;

    if (!c) {
        return 0;
    }
    anp_grant_key_digest(c->key, ANP_GRANT_KEY_CHILD, parts, key);
    return 1;
}

/* ------------------------------------------------------------------------------------------------ */
/* The table                                                                                         */
/* ------------------------------------------------------------------------------------------------ */

/* The wall clock may be set back (or forward) while entries live; a monotonic one keeps the window N
 * seconds long whatever happens to the date. */
apr_time_t anp_grant_cache_now(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0) {
        return 0;
    }
    /* + 1: 0 means "no time" to the callers. */
    return (apr_time_t)ts.tv_sec * APR_USEC_PER_SEC + ts.tv_nsec / 1000 + 1;
}

static apr_status_t cache_cleanup(void *data)
{
    grant_cache *c = data;
    anp_wipe(c->key, sizeof(c->key));
    cache = NULL;
    return APR_SUCCESS;
}

void anp_grant_cache_child_init(apr_pool_t *pchild, server_rec *s)
{
    grant_cache *c = apr_pcalloc(pchild, sizeof(*c));
    apr_status_t rv;

    rv = apr_generate_random_bytes(c->key, sizeof(c->key));
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_ERR, rv, s,
                     ANPLOGNO(0104) "no random key for the grant cache: NodeAuthCacheSeconds is ignored in "
                     "this child (every check asks the worker)");
        return;
    }
#if APR_HAS_THREADS
    /* Always locked, even under prefork: mod_http2 may run requests on threads of its own. */
    rv = apr_thread_mutex_create(&c->lock, APR_THREAD_MUTEX_DEFAULT, pchild);
    if (rv != APR_SUCCESS) {
        anp_wipe(c->key, sizeof(c->key));
        ap_log_error(APLOG_MARK, APLOG_ERR, rv, s,
                     ANPLOGNO(0105) "cannot create the grant cache's mutex: NodeAuthCacheSeconds is ignored "
                     "in this child (every check asks the worker)");
        return;
    }
#endif
    c->buckets = apr_pcalloc(pchild, sizeof(*c->buckets) * ANP_GRANT_CACHE_BUCKETS);
    c->entries = apr_palloc(pchild, sizeof(*c->entries) * ANP_GRANT_CACHE_ENTRIES);
    apr_pool_cleanup_register(pchild, c, cache_cleanup, apr_pool_cleanup_null);
    cache = c;
}

static int lock(request_rec *r, grant_cache *c)
{
#if APR_HAS_THREADS
    apr_status_t rv = apr_thread_mutex_lock(c->lock);
    if (rv != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, rv, r,
                      ANPLOGNO(0521) "cannot lock the grant cache: the password check asks the worker");
        return 0;
    }
#else
    (void)r;
    (void)c;
#endif
    return 1;
}

static void unlock(grant_cache *c)
{
#if APR_HAS_THREADS
    apr_thread_mutex_unlock(c->lock);
#else
    (void)c;
#endif
}

static apr_uint32_t *bucket_of(grant_cache *c, const unsigned char *digest)
{
    /* The digest is a keyed PRF's output: its low bits are as good an index as any, and a client cannot
     * choose credentials that pile up in one bucket. */
    apr_uint32_t h = (apr_uint32_t)digest[0] | (apr_uint32_t)digest[1] << 8 | (apr_uint32_t)digest[2] << 16;
    return &c->buckets[h & (ANP_GRANT_CACHE_BUCKETS - 1)];
}

static int same_digest(const unsigned char *a, const unsigned char *b)
{
    unsigned char diff = 0;
    int i;
    for (i = 0; i < ANP_GRANT_KEY_LEN; i++) {
        diff |= a[i] ^ b[i];
    }
    return diff == 0;
}

/* Takes the entry that *link points to out of its chain, onto the free list. */
static void drop(grant_cache *c, apr_uint32_t *link)
{
    apr_uint32_t slot = *link - 1;
    grant_entry *e = &c->entries[slot];
    *link = e->next;
    e->next = c->free_list;
    c->free_list = slot + 1;
}

/* The link that points to the live entry with this digest, or NULL; expired entries met on the way are
 * dropped. */
static apr_uint32_t *find(grant_cache *c, const unsigned char *digest, apr_time_t now)
{
    apr_uint32_t *link = bucket_of(c, digest);
    while (*link) {
        grant_entry *e = &c->entries[*link - 1];
        if (e->expires <= now) {
            drop(c, link);
            continue;
        }
        if (same_digest(e->digest, digest)) {
            return link;
        }
        link = &e->next;
    }
    return NULL;
}

/* A slot for a new entry: a free one, then a never used one, then the one under the cursor. */
static apr_uint32_t take_slot(grant_cache *c)
{
    apr_uint32_t slot;
    apr_uint32_t *link;

    if (c->free_list) {
        slot = c->free_list - 1;
        c->free_list = c->entries[slot].next;
        return slot;
    }
    if (c->used < ANP_GRANT_CACHE_ENTRIES) {
        return c->used++;
    }
    /* Every slot is live (the free list is empty): evict the one under the cursor. */
    slot = c->cursor;
    c->cursor = (c->cursor + 1) % ANP_GRANT_CACHE_ENTRIES;
    for (link = bucket_of(c, c->entries[slot].digest); *link && *link != slot + 1;
         link = &c->entries[*link - 1].next) {
    }
    if (*link) {
        *link = c->entries[slot].next;
    }
    return slot;
}

int anp_grant_cache_get(request_rec *r, const anp_grant_key *key, anp_grant *grant)
{
    grant_cache *c = cache;
    apr_time_t now = anp_grant_cache_now();
    unsigned char *copy;
    apr_uint32_t *link;
    apr_size_t len = 0;
    int found = 0;

    if (!c || !now) {
        return 0;
    }
    /* Allocated before the lock, so the critical section is a lookup and a copy of at most
     * ANP_GRANT_CACHE_PAYLOAD bytes. */
    copy = apr_palloc(r->pool, ANP_GRANT_CACHE_PAYLOAD);
    if (!lock(r, c)) {
        return 0;
    }
    link = find(c, key->digest, now);
    if (link) {
        const grant_entry *e = &c->entries[*link - 1];
        len = e->len;
        memcpy(copy, e->payload, len);
        found = 1;
    }
    unlock(c);
    return found && anp_grant_payload_decode(r->pool, copy, len, grant);
}

void anp_grant_cache_put(request_rec *r, const anp_grant_key *key, apr_time_t asked_at, int seconds,
                         const anp_grant *grant)
{
    grant_cache *c = cache;
    unsigned char payload[ANP_GRANT_CACHE_PAYLOAD];
    apr_time_t expires = asked_at + apr_time_from_sec(seconds);
    apr_time_t now = anp_grant_cache_now();
    apr_size_t len;
    apr_uint32_t *link, slot;
    grant_entry *e;

    if (!c || !asked_at || !now || seconds <= 0 || expires <= now) {
        return;
    }
    len = anp_grant_payload_encode(grant, payload, sizeof(payload));
    if (!len) {
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r,
                      ANPLOGNO(0520) "the grant for user '%s' is not cached: its user name, groups and "
                      "permissions take more than %d bytes", r->user, ANP_GRANT_CACHE_PAYLOAD);
        return;
    }
    if (!lock(r, c)) {
        return;
    }
    /* Another thread may have stored the same credentials meanwhile: the newer answer replaces it. */
    link = find(c, key->digest, now);
    if (link) {
        drop(c, link);
    }
    slot = take_slot(c);
    e = &c->entries[slot];
    memcpy(e->digest, key->digest, ANP_GRANT_KEY_LEN);
    e->expires = expires;
    e->len = (apr_uint16_t)len;
    memcpy(e->payload, payload, len);
    link = bucket_of(c, key->digest);
    e->next = *link;
    *link = slot + 1;
    unlock(c);
}
