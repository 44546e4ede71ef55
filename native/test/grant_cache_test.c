/*
 * grant_cache_test.c: native/mod/grant_cache.c and grant_payload.c, linked as they are against APR,
 * driven through their public functions and held to a reference model. Prints TAP; run by
 * test/integration/grant-cache-c.test.ts.
 *
 * What is not the cache's own code, and why it is replaced here:
 * - httpd's logging (ap_log_error_, ap_log_rerror_) and the module record: the test has no httpd; the
 *   stubs keep the last message, so a test can tell that ANP0520/0521/0104/0105 were logged.
 * - apr_thread_mutex_lock/unlock/create and apr_generate_random_bytes are wrapped at link time
 *   (-Wl,--wrap, see CMakeLists.txt): they call the real APR unless a test asks one to fail. That is the
 *   only way to make the cache's own mutex fail to lock without editing the cache, and it lets every
 *   step check that each successful lock is unlocked once.
 *
 * The clock is not injectable (anp_grant_cache_now reads CLOCK_MONOTONIC), but put() takes the time the
 * request was asked at, so an entry's expiry can be set a few milliseconds around "now". The model reads
 * the same clock just before and just after each call: an expiry at or before the first reading is
 * certainly past for the cache, one after the second certainly not, and one in between may go either
 * way; the model accepts both answers then and learns from the one it saw. Nothing waits for or asserts
 * a duration. Phases without expiry use the longest window (an hour), far longer than a run.
 *
 * Keys are made here, not by anp_grant_cache_key, so that the test chooses which keys share a bucket
 * (the low 11 bits of the digest) and chains of several entries are exercised.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "httpd.h"
#include "http_config.h"
#include "http_log.h"
#include "apr_general.h"
#include "apr_pools.h"
#include "apr_strings.h"
#include "apr_thread_mutex.h"

#include "grant_cache.h"
#include "grant_payload.h"
#include "grant_key.h"

/* ------------------------------------------------------------------------------------------------ */
/* Stand-ins for httpd, and the wrapped APR calls                                                    */
/* ------------------------------------------------------------------------------------------------ */

module AP_MODULE_DECLARE_DATA authnz_node_module;

static char last_log[512];

static void keep_log(const char *fmt, va_list ap)
{
    vsnprintf(last_log, sizeof(last_log), fmt, ap);
}

void ap_log_error_(const char *file, int line, int module_index, int level, apr_status_t status,
                   const server_rec *s, const char *fmt, ...)
{
    va_list ap;
    (void)file, (void)line, (void)module_index, (void)level, (void)status, (void)s;
    va_start(ap, fmt);
    keep_log(fmt, ap);
    va_end(ap);
}

void ap_log_rerror_(const char *file, int line, int module_index, int level, apr_status_t status,
                    const request_rec *r, const char *fmt, ...)
{
    va_list ap;
    (void)file, (void)line, (void)module_index, (void)level, (void)status, (void)r;
    va_start(ap, fmt);
    keep_log(fmt, ap);
    va_end(ap);
}

static int fail_lock, fail_create, fail_random;
static long held; /* successful locks not yet unlocked */

apr_status_t __real_apr_thread_mutex_lock(apr_thread_mutex_t *m);
apr_status_t __real_apr_thread_mutex_unlock(apr_thread_mutex_t *m);
apr_status_t __real_apr_thread_mutex_create(apr_thread_mutex_t **m, unsigned flags, apr_pool_t *p);
apr_status_t __real_apr_generate_random_bytes(unsigned char *buf, apr_size_t length);

apr_status_t __wrap_apr_thread_mutex_lock(apr_thread_mutex_t *m)
{
    apr_status_t rv;
    if (fail_lock) {
        return APR_EGENERAL;
    }
    rv = __real_apr_thread_mutex_lock(m);
    held += rv == APR_SUCCESS;
    return rv;
}

apr_status_t __wrap_apr_thread_mutex_unlock(apr_thread_mutex_t *m)
{
    held--;
    return __real_apr_thread_mutex_unlock(m);
}

apr_status_t __wrap_apr_thread_mutex_create(apr_thread_mutex_t **m, unsigned flags, apr_pool_t *p)
{
    return fail_create ? APR_ENOMEM : __real_apr_thread_mutex_create(m, flags, p);
}

apr_status_t __wrap_apr_generate_random_bytes(unsigned char *buf, apr_size_t length)
{
    return fail_random ? APR_EGENERAL : __real_apr_generate_random_bytes(buf, length);
}

/* ------------------------------------------------------------------------------------------------ */
/* TAP                                                                                               */
/* ------------------------------------------------------------------------------------------------ */

static int checks, failures;

static int check(int ok, const char *what)
{
    checks++;
    printf("%s %d - %s\n", ok ? "ok" : "not ok", checks, what);
    failures += !ok;
    return ok;
}

/* A model mismatch inside a random run: said once (the run stops at the first one). */
static char mismatch[512];

static int fail_step(const char *fmt, ...)
{
    va_list ap;
    if (!mismatch[0]) {
        va_start(ap, fmt);
        vsnprintf(mismatch, sizeof(mismatch), fmt, ap);
        va_end(ap);
    }
    return 0;
}

/* ------------------------------------------------------------------------------------------------ */
/* Grants as the model keeps them                                                                    */
/* ------------------------------------------------------------------------------------------------ */

#define MAX_NAMES 12
#define NAME_CAP 48

typedef struct {
    int renamed, has_groups, ngroups, nheld;
    int user_flags;                         /* -1: not asked; else ANP_USER_FLAG_* bits */
    char user[NAME_CAP];
    char groups[MAX_NAMES][NAME_CAP];
    char held[MAX_NAMES][NAME_CAP];
} model_grant;

static apr_uint64_t rng;

static apr_uint32_t rnd(apr_uint32_t n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (apr_uint32_t)((rng >> 11) % n);
}

static void random_name(char *out, int tag)
{
    int len = 1 + (int)rnd(NAME_CAP - 12), i;
    int at = snprintf(out, NAME_CAP, "%d:", tag);
    for (i = at; i < len + at && i < NAME_CAP - 1; i++) {
        out[i] = (char)('a' + rnd(26));
    }
    out[i] = '\0';
}

static void random_grant(model_grant *g)
{
    int i;
    memset(g, 0, sizeof(*g));
    g->renamed = rnd(3) == 0;
    g->user_flags = rnd(2) ? -1 : (int)rnd(4);
    g->has_groups = rnd(2);
    g->ngroups = g->has_groups ? (int)rnd(MAX_NAMES / 2 + 1) : 0;
    g->nheld = (int)rnd(MAX_NAMES / 2 + 1);
    if (g->renamed) {
        random_name(g->user, 0);
    }
    for (i = 0; i < g->ngroups; i++) {
        random_name(g->groups[i], i);
    }
    for (i = 0; i < g->nheld; i++) {
        random_name(g->held[i], i);
    }
}

/* The payload's size as the format in grant_payload.c describes it, counted independently. */
static size_t model_size(const model_grant *g)
{
    size_t n = 1 + 2 + (g->user_flags >= 0);
    int i;
    if (g->renamed) {
        n += strlen(g->user) + 1;
    }
    if (g->has_groups) {
        n += 2;
        for (i = 0; i < g->ngroups; i++) {
            n += strlen(g->groups[i]) + 1;
        }
    }
    for (i = 0; i < g->nheld; i++) {
        n += strlen(g->held[i]) + 1;
    }
    return n;
}

static apr_array_header_t *names_array(apr_pool_t *p, char names[][NAME_CAP], int n)
{
    apr_array_header_t *a = apr_array_make(p, 1, sizeof(const char *));
    int i;
    for (i = 0; i < n; i++) {
        *(const char **)apr_array_push(a) = names[i];
    }
    return a;
}

/* A grant that always fits: a renamed user and one group at most. */
static void small_grant(model_grant *g)
{
    memset(g, 0, sizeof(*g));
    g->user_flags = -1;
    g->renamed = 1;
    strcpy(g->user, "alice");
    g->has_groups = 1;
    g->ngroups = 1;
    strcpy(g->groups[0], "staff");
}

static anp_grant to_grant(apr_pool_t *p, model_grant *g)
{
    anp_grant out;
    out.user = g->renamed ? g->user : NULL;
    out.groups = g->has_groups ? names_array(p, g->groups, g->ngroups) : NULL;
    out.held_permissions = names_array(p, g->held, g->nheld);
    out.user_flags = g->user_flags;
    return out;
}

static int same_names(const apr_array_header_t *a, char names[][NAME_CAP], int n)
{
    int i;
    if (!a || a->nelts != n) {
        return 0;
    }
    for (i = 0; i < n; i++) {
        if (strcmp(APR_ARRAY_IDX(a, i, const char *), names[i]) != 0) {
            return 0;
        }
    }
    return 1;
}

static int same_grant(const anp_grant *got, model_grant *want)
{
    if (got->user_flags != want->user_flags) {
        return 0;
    }
    if (want->renamed ? !got->user || strcmp(got->user, want->user) != 0 : got->user != NULL) {
        return 0;
    }
    if (want->has_groups ? !same_names(got->groups, want->groups, want->ngroups) : got->groups != NULL) {
        return 0;
    }
    return same_names(got->held_permissions, want->held, want->nheld);
}

/* ------------------------------------------------------------------------------------------------ */
/* A child, a request, keys                                                                          */
/* ------------------------------------------------------------------------------------------------ */

static apr_pool_t *root, *child;
static server_rec server;
static struct ap_logconf logconf;
static request_rec req;

static void start_child(void)
{
    apr_pool_create(&child, root);
    anp_grant_cache_child_init(child, &server);
}

static void stop_child(void)
{
    apr_pool_destroy(child); /* the cache's cleanup forgets it */
    child = NULL;
}

/* A request whose pool lives for one cache call. */
static request_rec *new_request(void)
{
    if (req.pool) {
        apr_pool_destroy(req.pool);
    }
    memset(&req, 0, sizeof(req));
    apr_pool_create(&req.pool, root);
    req.server = &server;
    req.log = &logconf;
    req.user = "someone";
    return &req;
}

/* Key number i: its bucket is i % buckets, the rest of the digest makes it unique. */
static anp_grant_key key_of(apr_uint32_t i, apr_uint32_t buckets)
{
    anp_grant_key k;
    apr_uint32_t b = i % buckets;
    memset(&k, 0xa5, sizeof(k));
    k.digest[0] = (unsigned char)b;
    k.digest[1] = (unsigned char)(b >> 8);
    k.digest[2] = 0;
    memcpy(k.digest + 4, &i, sizeof(i));
    return k;
}

static int get(apr_uint32_t i, apr_uint32_t buckets, anp_grant *out)
{
    anp_grant_key k = key_of(i, buckets);
    return anp_grant_cache_get(new_request(), &k, out);
}

static void put(apr_uint32_t i, apr_uint32_t buckets, apr_time_t asked_at, int seconds, model_grant *g)
{
    anp_grant_key k = key_of(i, buckets);
    request_rec *r = new_request();
    anp_grant grant = to_grant(r->pool, g);
    anp_grant_cache_put(r, &k, asked_at, seconds, &grant);
}

/* ------------------------------------------------------------------------------------------------ */
/* The reference model: key -> (payload, expiry), and where the cache puts a new entry when full     */
/* ------------------------------------------------------------------------------------------------ */

#define UNIVERSE 3000
#define CAP ANP_GRANT_CACHE_ENTRIES

typedef struct {
    int present;            /* the cache holds it (if not expired) */
    model_grant g;
    apr_time_t expires;
    /* A put whose expiry fell between the two clock readings: the cache may or may not have taken it.
     * Either way that new entry is expired at the next lookup, so only the old one can still answer. */
    int uncertain, old_present;
    model_grant old_g;
    apr_time_t old_expires;
} model_entry;

static model_entry model[UNIVERSE];

/* What a run saw, printed as a TAP comment so that a run which stopped exercising something shows. */
static struct {
    long hits, misses, expired, evicted, uncertain;
} seen;

/* Slots, for the phase without expiry: the cache fills the array from the front, then evicts the slot
 * under a cursor that walks it (a replaced entry keeps its slot). */
static long slot_key[CAP];
static apr_uint32_t used, cursor;

static void reset_model(void)
{
    memset(model, 0, sizeof(model));
    used = cursor = 0;
    memset(&seen, 0, sizeof(seen));
}

static apr_time_t now(void)
{
    return anp_grant_cache_now();
}

/* One lookup, judged against the model. may_evict: a live entry may have been evicted (the model does
 * not follow slots in that phase), so a miss is allowed, never a wrong or stale hit. */
static int check_get(apr_uint32_t i, apr_uint32_t buckets, int may_evict)
{
    model_entry *e = &model[i];
    int lock_fails = rnd(20) == 0, hit;
    apr_time_t before, after;
    anp_grant got;

    last_log[0] = '\0';
    before = now();
    fail_lock = lock_fails;
    hit = get(i, buckets, &got);
    fail_lock = 0;
    after = now();
    if (held != 0) {
        return fail_step("key %u: the lock is held after a lookup", i);
    }
    if (lock_fails) {
        return hit ? fail_step("key %u: a hit although the lock failed", i)
                   : strstr(last_log, "ANP0521") ? 1 : fail_step("key %u: lock failed, no ANP0521", i);
    }
    seen.hits += hit;
    seen.misses += !hit;
    if (e->uncertain) {
        seen.uncertain++;
        e->uncertain = 0;
        e->present = hit;
        if (hit && (!e->old_present || e->old_expires <= before || !same_grant(&got, &e->old_g))) {
            return fail_step("key %u: a hit that is not the older live entry", i);
        }
        e->g = e->old_g;
        e->expires = e->old_expires;
        return 1;
    }
    if (!e->present) {
        return hit ? fail_step("key %u: a hit for an entry that is not there (evicted or never stored)", i) : 1;
    }
    if (hit) {
        if (e->expires <= before) {
            return fail_step("key %u: a hit %lld us after the entry expired", i, (long long)(before - e->expires));
        }
        return same_grant(&got, &e->g) ? 1 : fail_step("key %u: a hit with another payload", i);
    }
    if (e->expires > after && !may_evict) {
        return fail_step("key %u: a miss for a live entry", i);
    }
    seen.expired += e->expires <= after;
    e->present = 0;
    return 1;
}

/* A put with the longest window (no expiry within a run), the model following slots exactly. Returns
 * the key evicted, or -1. */
static long exact_put(apr_uint32_t i, apr_uint32_t buckets)
{
    model_grant g;
    int lock_fails = rnd(20) == 0;
    apr_uint32_t slot;
    long evicted = -1;

    random_grant(&g);
    fail_lock = lock_fails;
    put(i, buckets, now(), ANP_GRANT_CACHE_MAX_SECONDS, &g);
    fail_lock = 0;
    if (lock_fails || model_size(&g) > ANP_GRANT_CACHE_PAYLOAD) {
        return -1;
    }
    if (model[i].present) {
        model[i].g = g;
        return -1;
    }
    if (used < CAP) {
        slot = used++;
    }
    else {
        slot = cursor;
        cursor = (cursor + 1) % CAP;
        evicted = slot_key[slot];
        model[evicted].present = 0;
        seen.evicted++;
    }
    slot_key[slot] = i;
    model[i].present = 1;
    model[i].g = g;
    model[i].expires = now() + apr_time_from_sec(ANP_GRANT_CACHE_MAX_SECONDS);
    return evicted;
}

/* A put with an expiry a few milliseconds either side of now (or none at all: asked_at 0, seconds 0). */
static void timed_put(apr_uint32_t i, apr_uint32_t buckets)
{
    model_entry *e = &model[i];
    model_grant g;
    int seconds = 1 + (int)rnd(2), lock_fails = rnd(20) == 0, how = (int)rnd(20);
    apr_time_t before = now(), after, asked_at, expires;

    random_grant(&g);
    asked_at = before - apr_time_from_sec(seconds) + (apr_time_t)rnd(9000) - 3000;
    if (how == 0) {
        asked_at = 0;
    }
    else if (how == 1) {
        seconds = -(int)rnd(2);
    }
    else if (how == 2) {
        asked_at = before; /* lives a second or two: across many steps */
    }
    fail_lock = lock_fails;
    put(i, buckets, asked_at, seconds, &g);
    fail_lock = 0;
    after = now();
    expires = asked_at + apr_time_from_sec(seconds);
    if (lock_fails || !asked_at || seconds <= 0 || model_size(&g) > ANP_GRANT_CACHE_PAYLOAD || expires <= before) {
        return;
    }
    if (expires > after) {
        e->present = 1;
        e->g = g;
        e->expires = expires;
        e->uncertain = 0;
        return;
    }
    if (!e->uncertain) {
        e->old_present = e->present;
        e->old_g = e->g;
        e->old_expires = e->expires;
    }
    e->uncertain = 1;
    e->present = 0;
}

/* Lets the clock move past some of the short windows. */
static void spin(apr_time_t usec)
{
    apr_time_t until = now() + usec;
    while (now() < until) {
    }
}

/* ------------------------------------------------------------------------------------------------ */
/* Random runs                                                                                       */
/* ------------------------------------------------------------------------------------------------ */

static int sweep(apr_uint32_t keys, apr_uint32_t buckets, int may_evict)
{
    apr_uint32_t i;
    for (i = 0; i < keys; i++) {
        if (!check_get(i, buckets, may_evict)) {
            return 0;
        }
    }
    return 1;
}

/* Bounds and eviction: 1600 keys (chains of two or three in 1000 buckets) for 1024 slots, no expiry. */
static void run_exact(int steps)
{
    const apr_uint32_t keys = 1600, buckets = 1000;
    int step, ok = 1;

    start_child();
    reset_model();
    mismatch[0] = '\0';
    for (step = 0; ok && step < steps; step++) {
        apr_uint32_t i = rnd(keys);
        if (rnd(3)) {
            long evicted = exact_put(i, buckets);
            ok = (evicted < 0 || check_get((apr_uint32_t)evicted, buckets, 0)) && check_get(i, buckets, 0);
        }
        ok = ok && check_get(rnd(keys), buckets, 0);
        if (ok && step % 1000 == 999) {
            ok = sweep(keys, buckets, 0);
        }
    }
    ok = ok && used == CAP && sweep(keys, buckets, 0);
    if (mismatch[0]) {
        printf("# %s\n", mismatch);
    }
    printf("# %ld hits, %ld misses, %ld expired, %ld evicted (exact model), %ld undecided windows\n", seen.hits,
           seen.misses, seen.expired, seen.evicted, seen.uncertain);
    check(ok, "random puts and lookups, no expiry: every lookup is what the model says, the table holds "
              "1024 entries and a full table evicts the slot under the cursor (oldest first)");
    stop_child();
}

/* Expiry (and eviction, when keys > 1024: then a miss is allowed, never a stale or wrong hit). */
static void run_timed(int steps, apr_uint32_t keys, apr_uint32_t buckets, const char *what)
{
    int step, ok = 1, may_evict = keys > CAP;

    start_child();
    reset_model();
    mismatch[0] = '\0';
    for (step = 0; ok && step < steps; step++) {
        apr_uint32_t i = rnd(keys);
        if (rnd(2)) {
            timed_put(i, buckets);
        }
        ok = check_get(i, buckets, may_evict) && check_get(rnd(keys), buckets, may_evict);
        if (rnd(100) == 0) {
            spin((apr_time_t)rnd(8000));
        }
        if (ok && step % 2000 == 1999) {
            ok = sweep(keys, buckets, may_evict);
        }
    }
    if (mismatch[0]) {
        printf("# %s\n", mismatch);
    }
    printf("# %ld hits, %ld misses, %ld expired, %ld evicted (exact model), %ld undecided windows\n", seen.hits,
           seen.misses, seen.expired, seen.evicted, seen.uncertain);
    check(ok, what);
    stop_child();
}

/* ------------------------------------------------------------------------------------------------ */
/* Fixed cases                                                                                       */
/* ------------------------------------------------------------------------------------------------ */

static anp_grant_key_parts parts_of(const char *user, const char *password)
{
    anp_grant_key_parts parts;
    memset(&parts, 0, sizeof(parts));
    parts.server_name = "www.example.org";
    parts.server_port = 443;
    parts.location = "/private";
    parts.auth_name = "staff";
    parts.seconds = 30;
    parts.handler_id = 1;
    parts.client_ip = "127.0.0.2";
    parts.user = user;
    parts.password = password;
    return parts;
}

static int differs(const anp_grant_key *a, const anp_grant_key_parts *parts)
{
    anp_grant_key b;
    return anp_grant_cache_key(parts, &b) && memcmp(a->digest, b.digest, ANP_GRANT_KEY_LEN) != 0;
}

static void test_no_cache(void)
{
    anp_grant_key_parts parts = parts_of("alice", "secret");
    anp_grant_key k;
    model_grant g;
    anp_grant got;
    int ok = anp_grant_cache_key(&parts, &k) == 0;

    random_grant(&g);
    put(1, 2048, now(), 60, &g);
    check(ok && !get(1, 2048, &got), "no cache in this child: no key, every lookup misses, a put is dropped");
    fail_random = 1;
    start_child();
    fail_random = 0;
    ok = strstr(last_log, "ANP0104") && !anp_grant_cache_key(&parts, &k) && !get(1, 2048, &got);
    stop_child();
    check(ok, "no random key at child_init: ANP0104, and the child has no cache");
    fail_create = 1;
    start_child();
    fail_create = 0;
    ok = strstr(last_log, "ANP0105") && !anp_grant_cache_key(&parts, &k) && !get(1, 2048, &got);
    stop_child();
    check(ok, "no mutex at child_init: ANP0105, and the child has no cache");
}

static void test_key(void)
{
    anp_grant_key_parts parts = parts_of("ab", "c"), other;
    apr_array_header_t *none = apr_array_make(root, 1, sizeof(const char *));
    anp_grant_key k, again;
    int ok;

    start_child();
    ok = anp_grant_cache_key(&parts, &k) && anp_grant_cache_key(&parts, &again) &&
         memcmp(k.digest, again.digest, ANP_GRANT_KEY_LEN) == 0;
    other = parts_of("a", "bc");
    ok = ok && differs(&k, &other);
    other = parts, other.server_port = 80;
    ok = ok && differs(&k, &other);
    other = parts, other.seconds = 31;
    ok = ok && differs(&k, &other);
    other = parts, other.group_handler_id = 2;
    ok = ok && differs(&k, &other);
    other = parts, other.permissions = none; /* none asked differs from no PERMISSION field */
    ok = ok && differs(&k, &other);
    other = parts, other.auth_name = NULL;
    ok = ok && differs(&k, &other);
    other = parts, other.client_ip = "127.0.0.3"; /* another address never shares a grant */
    ok = ok && differs(&k, &other);
    other = parts, other.client_ip = NULL; /* no address differs from any address */
    ok = ok && differs(&k, &other);
    other = parts, other.want_user_flags = 1; /* an answer without flags never answers one that wants them */
    ok = ok && differs(&k, &other);
    /* A session grant never answers a password check, nor another session key. */
    other = parts, other.kind = 9, other.session_key = "c", other.session_key_len = 1;
    ok = ok && differs(&k, &other);
    {
        anp_grant_key s1, s2;
        anp_grant_key_parts a = parts_of(NULL, NULL), b;
        a.kind = 9, a.session_key = "key\0x", a.session_key_len = 5; /* bytes after a NUL count */
        b = a, b.session_key = "key\0y";
        ok = ok && anp_grant_cache_key(&a, &s1) && anp_grant_cache_key(&b, &s2)
             && memcmp(s1.digest, s2.digest, ANP_GRANT_KEY_LEN) != 0;
        b = a, b.session_key = "key\0xz", b.session_key_len = 6;
        ok = ok && differs(&s1, &b);
    }
    stop_child();
    start_child();
    ok = ok && differs(&k, &parts); /* a new child, a new key */
    stop_child();
    check(ok, "the key: the same parts give the same digest; any part changed (the client's address, "
              "the kind, WANT_USER_FLAGS and every byte of a session key included), the parts split "
              "differently, or another child's key give another");
}

/* The shared store's form (grant_key.c): one key for all children, so it hashes the handlers' spec texts,
 * not a child's handler ids nor NodeAuthCacheSeconds, and it never equals the per-child form's digest. */
static void test_shared_key(void)
{
    static const unsigned char key[ANP_SIPHASH_KEY_LEN] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
    anp_grant_key_parts parts = parts_of("ab", "c"), other;
    anp_grant_key a, b;
    int ok;

    parts.handler_spec = "type=django\ndatabase=sqlite:///a";
    anp_grant_key_digest(key, ANP_GRANT_KEY_SHARED, &parts, &a);
    other = parts, other.handler_id = 7, other.group_handler_id = 0, other.seconds = 99;
    anp_grant_key_digest(key, ANP_GRANT_KEY_SHARED, &other, &b);
    ok = memcmp(a.digest, b.digest, ANP_GRANT_KEY_LEN) == 0;
    other = parts, other.handler_spec = "type=django\ndatabase=sqlite:///b";
    anp_grant_key_digest(key, ANP_GRANT_KEY_SHARED, &other, &b);
    ok = ok && memcmp(a.digest, b.digest, ANP_GRANT_KEY_LEN) != 0;
    other = parts, other.group_handler_spec = parts.handler_spec;
    anp_grant_key_digest(key, ANP_GRANT_KEY_SHARED, &other, &b);
    ok = ok && memcmp(a.digest, b.digest, ANP_GRANT_KEY_LEN) != 0;
    other = parts, other.password = "d";
    anp_grant_key_digest(key, ANP_GRANT_KEY_SHARED, &other, &b);
    ok = ok && memcmp(a.digest, b.digest, ANP_GRANT_KEY_LEN) != 0;
    anp_grant_key_digest(key, ANP_GRANT_KEY_CHILD, &parts, &b);
    ok = ok && memcmp(a.digest, b.digest, ANP_GRANT_KEY_LEN) != 0;
    check(ok, "the shared form: handler ids and seconds do not count, spec texts and the password do, and it "
              "never equals the per-child form under the same key");
}

/* A renamed user of `len` bytes, nothing else: a payload of len + 4 bytes. */
static int bound_case(apr_uint32_t i, size_t len)
{
    char *user = apr_palloc(root, len + 1);
    anp_grant_key k = key_of(i, 2048);
    anp_grant grant, got;
    request_rec *r;

    memset(user, 'u', len);
    user[len] = '\0';
    r = new_request();
    grant.user = user;
    grant.groups = NULL;
    grant.held_permissions = apr_array_make(r->pool, 1, sizeof(const char *));
    grant.user_flags = -1;
    last_log[0] = '\0';
    anp_grant_cache_put(r, &k, now(), 60, &grant);
    if (len + 4 > ANP_GRANT_CACHE_PAYLOAD) {
        return strstr(last_log, "ANP0520") && !get(i, 2048, &got);
    }
    return get(i, 2048, &got) && got.user && strcmp(got.user, user) == 0 && got.groups == NULL &&
           got.held_permissions && got.held_permissions->nelts == 0;
}

static void test_bounds(void)
{
    model_grant g;
    anp_grant got;
    apr_uint32_t i;
    int ok;

    start_child();
    ok = bound_case(0, ANP_GRANT_CACHE_PAYLOAD - 4) && bound_case(1, ANP_GRANT_CACHE_PAYLOAD - 3);
    check(ok, "a payload of exactly 256 bytes is kept; 257 is not (ANP0520)");
    stop_child();
    start_child();
    small_grant(&g);
    for (i = 0, ok = 1; i < CAP; i++) {
        put(i, 2048, now(), 60, &g);
    }
    for (i = 0; i < CAP; i++) {
        ok = ok && get(i, 2048, &got) && same_grant(&got, &g);
    }
    put(CAP, 2048, now(), 60, &g);
    ok = ok && !get(0, 2048, &got) && get(1, 2048, &got) && get(CAP, 2048, &got);
    put(1, 2048, now(), 60, &g); /* a replacement evicts nothing, and keeps its slot */
    ok = ok && get(2, 2048, &got);
    put(CAP + 1, 2048, now(), 60, &g);
    ok = ok && !get(1, 2048, &got) && get(2, 2048, &got) && get(CAP + 1, 2048, &got);
    stop_child();
    check(ok, "1024 entries fit; the 1025th evicts the oldest slot, a replacement evicts nothing and keeps "
              "its slot (the next to go)");
}

static void test_lock_failure(void)
{
    model_grant g, h;
    anp_grant got;
    int ok;

    start_child();
    small_grant(&g);
    put(7, 2048, now(), 60, &g);
    fail_lock = 1;
    ok = !get(7, 2048, &got) && strstr(last_log, "ANP0521") && held == 0;
    h = g;
    h.nheld = 1;
    strcpy(h.held[0], "auth.delete_user");
    put(7, 2048, now(), 60, &h);
    put(8, 2048, now(), 60, &h);
    fail_lock = 0;
    ok = ok && held == 0 && get(7, 2048, &got) && same_grant(&got, &g) && !get(8, 2048, &got);
    stop_child();
    check(ok, "a lock that fails: the lookup misses (ANP0521), a put stores nothing, the entry before it stays");
}

static void test_refusals_and_expiry(void)
{
    model_grant g;
    anp_grant got;
    apr_time_t t = now(), expires;
    int ok;

    start_child();
    small_grant(&g);
    put(1, 2048, 0, 60, &g);
    put(2, 2048, t, 0, &g);
    put(3, 2048, t - apr_time_from_sec(2), 1, &g);
    ok = !get(1, 2048, &got) && !get(2, 2048, &got) && !get(3, 2048, &got);
    expires = now() + 3000;
    put(4, 2048, expires - apr_time_from_sec(1), 1, &g);
    ok = ok && get(4, 2048, &got);
    while (now() <= expires) {
    }
    ok = ok && !get(4, 2048, &got);
    stop_child();
    ok = ok && !get(4, 2048, &got);
    check(ok, "no entry without a time asked, with 0 seconds or already expired; an entry ends at its "
              "window's end; a stopped child's cache is gone");
}

#define PLANNED 12

static void run_all(void)
{
    test_no_cache();
    test_key();
    test_shared_key();
    test_bounds();
    test_lock_failure();
    test_refusals_and_expiry();
    run_exact(20000);
    run_timed(20000, 300, 40, "random puts with windows ending within milliseconds of now, no eviction: "
                              "every lookup is what the model says (chains of about eight per bucket)");
    run_timed(20000, UNIVERSE, 2048, "expiry and eviction together: every hit is the last payload put for "
                                      "that key and its window has not ended");
}

int main(int argc, char **argv)
{
    rng = argc > 1 ? strtoull(argv[1], NULL, 0) : 0x9e3779b97f4a7c15ULL;
    if (!rng) {
        rng = 1;
    }
    if (apr_initialize() != APR_SUCCESS || apr_pool_create(&root, NULL) != APR_SUCCESS) {
        return 2;
    }
    logconf.level = APLOG_DEBUG;
    server.log = logconf;
    printf("1..%d\n# seed %#llx\n", PLANNED, (unsigned long long)rng);
    run_all();
    return failures ? 1 : 0;
}
