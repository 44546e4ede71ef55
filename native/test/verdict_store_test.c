/*
 * verdict_store_test.c: native/anp_verdict_store.c on a region shared by forked processes, as httpd's
 * children share it. Prints TAP; run by test/integration/verdict-store-c.test.ts.
 *   1. a stored answer comes back whole (stamps and payload); another key misses
 *   2. what does not fit is not stored: a payload too long, too many stamps, a bad entry count
 *   3. a full set replaces its oldest entry; the same key is written in place
 *   4. an entry left odd (a writer killed mid-write) is a miss and is not written over
 *   5. four writers and four readers at once on a small store: every hit is an answer some writer stored
 *      for that key, whole, never a mix of two writes; and there are hits
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "anp_verdict_store.h"

static int checks;

static void report(int ok, const char *what)
{
    checks++;
    printf("%s %d - %s\n", ok ? "ok" : "not ok", checks, what);
    fflush(stdout);
}

static void *shared_region(uint32_t entries)
{
    size_t bytes = anp_verdict_store_bytes(entries);
    void *region = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (region == MAP_FAILED || anp_verdict_store_init(region, entries) != 0) {
        perror("region");
        exit(1);
    }
    return region;
}

/* Key `n` of set `set` (the set is the first 8 bytes' low bits; the rest tells keys apart). */
static void make_key(unsigned char key[ANP_VERDICT_KEY_LEN], uint64_t set, uint64_t n)
{
    memcpy(key, &set, 8);
    memcpy(key + 8, &n, 8);
}

/* An answer wholly derived from (n, version): a reader can tell a mixed one. */
static void make_verdict(anp_kept_grant *v, uint64_t n, uint64_t version)
{
    uint32_t i;
    memset(v, 0, sizeof(*v));
    v->stamp_count = 2;
    v->stamps[0].epoch = n * 7 + version;
    v->stamps[0].slot = (uint32_t)(n % 1000);
    v->stamps[0].generation = version;
    v->stamps[1].epoch = n * 7 + version;
    v->stamps[1].slot = (uint32_t)((n + 1) % 1000);
    v->stamps[1].generation = version * 3;
    v->expires = n * 1000 + version;
    v->payload_len = (uint32_t)(40 + (n + version) % 200);
    for (i = 0; i < v->payload_len; i++) {
        v->payload[i] = (unsigned char)(n * 31 + version * 17 + i);
    }
}

/* Field by field: the stamps' padding is not part of an answer. */
static int same_verdict(const anp_kept_grant *a, const anp_kept_grant *b)
{
    uint32_t i;
    if (a->stamp_count != b->stamp_count || a->payload_len != b->payload_len || a->expires != b->expires
        || memcmp(a->payload, b->payload, a->payload_len) != 0) {
        return 0;
    }
    for (i = 0; i < a->stamp_count; i++) {
        if (a->stamps[i].epoch != b->stamps[i].epoch || a->stamps[i].slot != b->stamps[i].slot
            || a->stamps[i].generation != b->stamps[i].generation) {
            return 0;
        }
    }
    return 1;
}

static void test_round_trip(void)
{
    void *store = shared_region(64);
    unsigned char key[ANP_VERDICT_KEY_LEN], other[ANP_VERDICT_KEY_LEN];
    anp_kept_grant v, got;

    make_key(key, 3, 1);
    make_key(other, 3, 2);
    make_verdict(&v, 1, 1);
    memset(&got, 0, sizeof(got));
    report(anp_verdict_store_put(store, key, &v, 1) == 1 && anp_verdict_store_get(store, key, &got) == 1
               && same_verdict(&v, &got) && anp_verdict_store_get(store, other, &got) == 0,
           "a stored answer comes back whole; another key misses");
}

static void test_written(void)
{
    void *store = shared_region(64);
    unsigned char key[ANP_VERDICT_KEY_LEN];
    anp_kept_grant v, got;
    int ok;

    make_key(key, 4, 1);
    make_verdict(&v, 1, 1);
    v.written = 999; /* ignored: the put's own `now` is what is kept */
    ok = anp_verdict_store_put(store, key, &v, 1234) == 1 && anp_verdict_store_get(store, key, &got) == 1
         && got.written == 1234;
    ok = ok && anp_verdict_store_put(store, key, &v, 5678) == 1 && anp_verdict_store_get(store, key, &got) == 1
         && got.written == 5678;
    v.expires = 0;
    ok = ok && anp_verdict_store_put(store, key, &v, 9999) == 1 && anp_verdict_store_get(store, key, &got) == 1
         && got.expires == 0;
    report(ok, "a reader gets the time its entry was put at, the newest put's, and the deadline it was put with");
}

static void test_refusals(void)
{
    void *store = shared_region(64);
    unsigned char key[ANP_VERDICT_KEY_LEN];
    anp_kept_grant v, got;
    int ok;

    make_key(key, 5, 1);
    make_verdict(&v, 1, 1);
    v.payload_len = ANP_VERDICT_PAYLOAD;
    ok = anp_verdict_store_put(store, key, &v, 1) == 0;
    make_verdict(&v, 1, 1);
    v.stamp_count = ANP_VERDICT_MAX_STAMPS + 1;
    ok = ok && anp_verdict_store_put(store, key, &v, 1) == 0 && anp_verdict_store_get(store, key, &got) == 0;
    ok = ok && anp_verdict_store_bytes(63) == 0 && anp_verdict_store_bytes(100) == 0
         && anp_verdict_store_bytes(ANP_VERDICT_MAX_ENTRIES * 2) == 0 && anp_verdict_store_bytes(64) > 0;
    report(ok, "a payload too long, too many stamps and a bad entry count are refused");
}

static void test_replacement(void)
{
    void *store = shared_region(64);
    unsigned char key[ANP_VERDICT_KEY_LEN];
    anp_kept_grant v, got;
    uint64_t n;
    int ok = 1;

    for (n = 1; n <= ANP_VERDICT_WAYS; n++) {
        make_key(key, 9, n);
        make_verdict(&v, n, 1);
        ok = ok && anp_verdict_store_put(store, key, &v, 100 + n) == 1;
    }
    make_key(key, 9, 1); /* rewritten in place: now the newest */
    make_verdict(&v, 1, 2);
    ok = ok && anp_verdict_store_put(store, key, &v, 200) == 1;
    make_key(key, 9, 99); /* the set is full: replaces key 2, the oldest */
    make_verdict(&v, 99, 1);
    ok = ok && anp_verdict_store_put(store, key, &v, 201) == 1;
    make_key(key, 9, 2);
    ok = ok && anp_verdict_store_get(store, key, &got) == 0;
    for (n = 1; n <= ANP_VERDICT_WAYS; n++) {
        if (n == 2) {
            continue;
        }
        make_key(key, 9, n);
        make_verdict(&v, n, n == 1 ? 2 : 1);
        ok = ok && anp_verdict_store_get(store, key, &got) == 1 && same_verdict(&v, &got);
    }
    report(ok, "a full set replaces its oldest entry; the same key is written in place");
}

static void test_stuck_writer(void)
{
    void *store = shared_region(64);
    unsigned char key[ANP_VERDICT_KEY_LEN];
    anp_kept_grant v, got;
    uint64_t *seq;
    int ok;

    make_key(key, 0, 1);
    make_verdict(&v, 1, 1);
    ok = anp_verdict_store_put(store, key, &v, 1) == 1;
    /* The first entry of set 0 follows the 64-byte header; its sequence is its first word. */
    seq = (uint64_t *)((unsigned char *)store + 64);
    *seq += 1;
    ok = ok && anp_verdict_store_get(store, key, &got) == 0;
    make_verdict(&v, 1, 2);
    ok = ok && anp_verdict_store_put(store, key, &v, 2) == 1 && (*seq & 1) == 1;
    ok = ok && anp_verdict_store_get(store, key, &got) == 1 && same_verdict(&v, &got);
    report(ok, "an entry left mid-write is a miss and is not written over; the key goes to another entry");
}

/* Writes random versions of random keys of a few sets until `deadline`. */
static void writer(void *store, unsigned seed, time_t deadline)
{
    unsigned char key[ANP_VERDICT_KEY_LEN];
    anp_kept_grant v;
    uint64_t now = 0;

    srand(seed);
    while (time(NULL) < deadline) {
        uint64_t n = (uint64_t)(rand() % 64);
        make_key(key, n % 4, n);
        make_verdict(&v, n, (uint64_t)(rand() % 1000));
        anp_verdict_store_put(store, key, &v, ++now);
    }
    _exit(0);
}

/* Reads random keys until `deadline`; exits 1 at the first answer no writer stored, else 0; hits in *hits. */
static void reader(void *store, unsigned seed, time_t deadline, long *hits)
{
    unsigned char key[ANP_VERDICT_KEY_LEN];
    anp_kept_grant got, want;
    long found = 0;

    srand(seed);
    while (time(NULL) < deadline) {
        uint64_t n = (uint64_t)(rand() % 64);
        make_key(key, n % 4, n);
        if (!anp_verdict_store_get(store, key, &got)) {
            continue;
        }
        found++;
        make_verdict(&want, n, got.stamps[0].generation);
        if (!same_verdict(&want, &got)) {
            fprintf(stderr, "key %llu: a torn answer\n", (unsigned long long)n);
            _exit(1);
        }
    }
    __atomic_add_fetch(hits, found, __ATOMIC_RELAXED);
    _exit(0);
}

static void test_concurrency(void)
{
    void *store = shared_region(64);
    long *hits = mmap(NULL, sizeof(long), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    time_t deadline = time(NULL) + 2;
    int i, status, ok = 1;

    *hits = 0;
    for (i = 0; i < 8; i++) {
        if (fork() == 0) {
            if (i < 4) {
                writer(store, (unsigned)i + 1, deadline);
            }
            reader(store, (unsigned)i + 100, deadline, hits);
        }
    }
    for (i = 0; i < 8; i++) {
        if (wait(&status) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            ok = 0;
        }
    }
    printf("# %ld hits across four readers\n", *hits);
    report(ok && *hits > 1000, "four writers and four readers at once: every hit is one writer's whole answer");
}

int main(void)
{
    printf("1..6\n");
    test_round_trip();
    test_written();
    test_refusals();
    test_replacement();
    test_stuck_writer();
    test_concurrency();
    return 0;
}
