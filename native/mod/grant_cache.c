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
#include "mod_authnz_node.h"
#include "grant_cache.h"

/* A power of two, twice the entries: chains stay about one entry long. */
#define ANP_GRANT_CACHE_BUCKETS 2048

/* What a payload may say about itself (its first byte). */
#define PAYLOAD_RENAMED 0x01
#define PAYLOAD_GROUPS 0x02

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
    unsigned char key[16];       /* SipHash key, from apr_generate_random_bytes, per child */
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
/* SipHash-2-4 with a 128-bit tag (Aumasson and Bernstein, "SipHash: a fast short-input PRF", 2012;  */
/* the 128-bit variant as in the authors' reference code), fed incrementally so that the password is */
/* hashed where it lies, without a copy.                                                             */
/* ------------------------------------------------------------------------------------------------ */

typedef struct {
    apr_uint64_t v0, v1, v2, v3;
    unsigned char tail[8];       /* bytes not yet in a whole 8-byte word */
    apr_size_t tail_len;
    apr_uint64_t total;          /* bytes fed, of which the low 8 bits go into the last word */
} siphash_state;

#define ROTL64(x, b) (apr_uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))

#define SIPROUND(s)                                                                                       \
    do {                                                                                                  \
        (s)->v0 += (s)->v1; (s)->v1 = ROTL64((s)->v1, 13); (s)->v1 ^= (s)->v0; (s)->v0 = ROTL64((s)->v0, 32); \
        (s)->v2 += (s)->v3; (s)->v3 = ROTL64((s)->v3, 16); (s)->v3 ^= (s)->v2;                            \
        (s)->v0 += (s)->v3; (s)->v3 = ROTL64((s)->v3, 21); (s)->v3 ^= (s)->v0;                            \
        (s)->v2 += (s)->v1; (s)->v1 = ROTL64((s)->v1, 17); (s)->v1 ^= (s)->v2; (s)->v2 = ROTL64((s)->v2, 32); \
    } while (0)

static apr_uint64_t load64_le(const unsigned char *p)
{
    return (apr_uint64_t)p[0] | (apr_uint64_t)p[1] << 8 | (apr_uint64_t)p[2] << 16 | (apr_uint64_t)p[3] << 24
           | (apr_uint64_t)p[4] << 32 | (apr_uint64_t)p[5] << 40 | (apr_uint64_t)p[6] << 48
           | (apr_uint64_t)p[7] << 56;
}

static void store64_le(unsigned char *p, apr_uint64_t v)
{
    int i;
    for (i = 0; i < 8; i++) {
        p[i] = (unsigned char)(v >> (8 * i));
    }
}

static void sip_init(siphash_state *s, const unsigned char key[16])
{
    apr_uint64_t k0 = load64_le(key), k1 = load64_le(key + 8);
    s->v0 = k0 ^ APR_UINT64_C(0x736f6d6570736575);
    s->v1 = k1 ^ APR_UINT64_C(0x646f72616e646f6d);
    s->v2 = k0 ^ APR_UINT64_C(0x6c7967656e657261);
    s->v3 = k1 ^ APR_UINT64_C(0x7465646279746573);
    s->v1 ^= 0xee; /* the 128-bit tag's domain separation */
    s->tail_len = 0;
    s->total = 0;
}

static void sip_word(siphash_state *s, apr_uint64_t m)
{
    s->v3 ^= m;
    SIPROUND(s);
    SIPROUND(s);
    s->v0 ^= m;
}

static void sip_update(siphash_state *s, const void *data, apr_size_t len)
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
    memcpy(s->tail, in, len);
    s->tail_len = len;
}

static void sip_final(siphash_state *s, unsigned char out[16])
{
    apr_uint64_t b = (s->total & 0xff) << 56;
    apr_size_t i;

    for (i = 0; i < s->tail_len; i++) {
        b |= (apr_uint64_t)s->tail[i] << (8 * i);
    }
    sip_word(s, b);
    s->v2 ^= 0xee;
    SIPROUND(s);
    SIPROUND(s);
    SIPROUND(s);
    SIPROUND(s);
    store64_le(out, s->v0 ^ s->v1 ^ s->v2 ^ s->v3);
    s->v1 ^= 0xdd;
    SIPROUND(s);
    SIPROUND(s);
    SIPROUND(s);
    SIPROUND(s);
    store64_le(out + 8, s->v0 ^ s->v1 ^ s->v2 ^ s->v3);
    /* The state is a function of everything fed, the password included. */
    anp_wipe(s, sizeof(*s));
}

/*
 * Known answers from the reference implementation's vectors.h (key 00..0f, message 00..len-1), fed in
 * uneven pieces so the buffering is checked too. A build that got this wrong would still cache, only
 * with a weaker digest; it is cheaper to refuse the cache than to reason about that.
 */
static int sip_self_test(void)
{
    static const unsigned char want15[16] = {0x54, 0x93, 0xe9, 0x99, 0x33, 0xb0, 0xa8, 0x11,
                                             0x7e, 0x08, 0xec, 0x0f, 0x97, 0xcf, 0xc3, 0xd9};
    static const unsigned char want63[16] = {0x51, 0x50, 0xd1, 0x77, 0x2f, 0x50, 0x83, 0x4a,
                                             0x50, 0x3e, 0x06, 0x9a, 0x97, 0x3f, 0xbd, 0x7c};
    unsigned char key[16], msg[63], out[16];
    siphash_state s;
    int i;

    for (i = 0; i < 16; i++) {
        key[i] = (unsigned char)i;
    }
    for (i = 0; i < 63; i++) {
        msg[i] = (unsigned char)i;
    }
    sip_init(&s, key);
    sip_update(&s, msg, 1);
    sip_update(&s, msg + 1, 7);
    sip_update(&s, msg + 8, 7);
    sip_final(&s, out);
    if (memcmp(out, want15, 16)) {
        return 0;
    }
    sip_init(&s, key);
    sip_update(&s, msg, 5);
    sip_update(&s, msg + 5, 50);
    sip_update(&s, msg + 55, 0);
    sip_update(&s, msg + 55, 8);
    sip_final(&s, out);
    return !memcmp(out, want63, 16);
}

/* ------------------------------------------------------------------------------------------------ */
/* The key                                                                                           */
/* ------------------------------------------------------------------------------------------------ */

/* Every part is preceded by its length (all ones for an absent one), so no two ways of splitting the
 * same bytes into parts hash alike: user "ab" with password "c" is not user "a" with password "bc". */
#define ABSENT APR_UINT64_C(0xffffffffffffffff)

static void sip_length(siphash_state *s, apr_uint64_t n)
{
    unsigned char b[8];
    store64_le(b, n);
    sip_update(s, b, 8);
}

static void sip_part(siphash_state *s, const char *text)
{
    apr_size_t len;
    if (!text) {
        sip_length(s, ABSENT);
        return;
    }
    len = strlen(text);
    sip_length(s, len);
    sip_update(s, text, len);
}

int anp_grant_cache_key(const anp_grant_key_parts *parts, anp_grant_key *key)
{
    grant_cache *c = cache;
    siphash_state s;
    int i;

    if (!c) {
        return 0;
    }
    sip_init(&s, c->key);
    sip_part(&s, "mod_authnz_node grant cache 1");
    sip_part(&s, parts->server_name);
    sip_length(&s, parts->server_port);
    sip_part(&s, parts->location);
    sip_part(&s, parts->auth_name);
    sip_length(&s, (apr_uint64_t)parts->seconds);
    sip_part(&s, parts->handler);
    sip_part(&s, parts->group_handler);
    if (!parts->permissions) {
        sip_length(&s, ABSENT);
    }
    else {
        sip_length(&s, (apr_uint64_t)parts->permissions->nelts);
        for (i = 0; i < parts->permissions->nelts; i++) {
            sip_part(&s, APR_ARRAY_IDX(parts->permissions, i, const char *));
        }
    }
    sip_part(&s, parts->user);
    sip_part(&s, parts->password);
    sip_final(&s, key->digest); /* wipes s */
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

    if (!sip_self_test()) {
        ap_log_error(APLOG_MARK, APLOG_ERR, 0, s,
                     ANPLOGNO(0106) "the grant cache's SipHash fails its known-answer test: "
                     "NodeAuthCacheSeconds is ignored in this child (every check asks the worker)");
        return;
    }
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

/* payload := flags:u8 [renamed user NUL] [groups] held
 * groups, held := count:u16le (name NUL){count} */
static int put_names(unsigned char *buf, apr_size_t cap, apr_size_t *at, const apr_array_header_t *names)
{
    int i;
    if (names->nelts > 0xffff || *at + 2 > cap) {
        return 0;
    }
    buf[(*at)++] = (unsigned char)(names->nelts & 0xff);
    buf[(*at)++] = (unsigned char)(names->nelts >> 8);
    for (i = 0; i < names->nelts; i++) {
        const char *name = APR_ARRAY_IDX(names, i, const char *);
        apr_size_t len = strlen(name) + 1;
        if (*at + len > cap) {
            return 0;
        }
        memcpy(buf + *at, name, len);
        *at += len;
    }
    return 1;
}

static apr_size_t encode(const anp_grant *grant, unsigned char *buf, apr_size_t cap)
{
    apr_size_t at = 1;

    buf[0] = (grant->user ? PAYLOAD_RENAMED : 0) | (grant->groups ? PAYLOAD_GROUPS : 0);
    if (grant->user) {
        apr_size_t len = strlen(grant->user) + 1;
        if (at + len > cap) {
            return 0;
        }
        memcpy(buf + at, grant->user, len);
        at += len;
    }
    if (grant->groups && !put_names(buf, cap, &at, grant->groups)) {
        return 0;
    }
    if (!put_names(buf, cap, &at, grant->held_permissions)) {
        return 0;
    }
    return at;
}

/* Names point into buf (a copy in r->pool). Anything that does not add up is a miss. */
static const char *get_name(const unsigned char *buf, apr_size_t len, apr_size_t *at)
{
    const unsigned char *nul;
    const char *name;
    if (*at >= len || !(nul = memchr(buf + *at, '\0', len - *at))) {
        return NULL;
    }
    name = (const char *)buf + *at;
    *at = (apr_size_t)(nul - buf) + 1;
    return name;
}

static apr_array_header_t *get_names(apr_pool_t *p, const unsigned char *buf, apr_size_t len, apr_size_t *at)
{
    apr_array_header_t *names;
    unsigned count, i;
    if (*at + 2 > len) {
        return NULL;
    }
    count = buf[*at] | (unsigned)buf[*at + 1] << 8;
    *at += 2;
    names = apr_array_make(p, count ? (int)count : 1, sizeof(const char *));
    for (i = 0; i < count; i++) {
        const char *name = get_name(buf, len, at);
        if (!name) {
            return NULL;
        }
        *(const char **)apr_array_push(names) = name;
    }
    return names;
}

static int decode(apr_pool_t *p, const unsigned char *buf, apr_size_t len, anp_grant *grant)
{
    apr_size_t at = 1;

    memset(grant, 0, sizeof(*grant));
    if (len < 1 || (buf[0] & ~(PAYLOAD_RENAMED | PAYLOAD_GROUPS))) {
        return 0;
    }
    if ((buf[0] & PAYLOAD_RENAMED) && !(grant->user = get_name(buf, len, &at))) {
        return 0;
    }
    if ((buf[0] & PAYLOAD_GROUPS) && !(grant->groups = get_names(p, buf, len, &at))) {
        return 0;
    }
    if (!(grant->held_permissions = get_names(p, buf, len, &at))) {
        return 0;
    }
    return at == len;
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
    return found && decode(r->pool, copy, len, grant);
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
    len = encode(grant, payload, sizeof(payload));
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
