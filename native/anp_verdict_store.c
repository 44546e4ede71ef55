/* anp_verdict_store.c: the children's shared store of granted answers, see anp_verdict_store.h. */
#include "anp_verdict_store.h"

#include <string.h>

#define STORE_MAGIC UINT64_C(0x3254444556504e41) /* "ANPVEDT2" read little-endian */

/* The stamps and lengths as words, so every shared access is one 64-bit atomic. */
#define STAMP_WORDS 3
#define PAYLOAD_WORDS (ANP_VERDICT_PAYLOAD / 8)

typedef struct {
    uint64_t seq;                                    /* even: stable; odd: being written; 0: never used */
    uint64_t key[ANP_VERDICT_KEY_LEN / 8];
    uint64_t written;                                /* the writer's `now`, for choosing what to replace */
    uint64_t expires;                                /* the caller's deadline, 0 for none */
    uint64_t counts;                                 /* stamp_count << 32 | payload_len */
    uint64_t stamps[ANP_VERDICT_MAX_STAMPS * STAMP_WORDS];
    uint64_t payload[PAYLOAD_WORDS];
} entry;

typedef struct {
    uint64_t magic;
    uint64_t sets;
    uint64_t reserved[6];
} header;

static uint64_t load(const uint64_t *word)
{
    return __atomic_load_n(word, __ATOMIC_RELAXED);
}

static void put_word(uint64_t *word, uint64_t value)
{
    __atomic_store_n(word, value, __ATOMIC_RELAXED);
}

size_t anp_verdict_store_bytes(uint32_t entries)
{
    if (entries < ANP_VERDICT_MIN_ENTRIES || entries > ANP_VERDICT_MAX_ENTRIES || (entries & (entries - 1)) != 0) {
        return 0;
    }
    return sizeof(header) + (size_t)entries * sizeof(entry);
}

int anp_verdict_store_init(void *region, uint32_t entries)
{
    header *h = region;

    if (anp_verdict_store_bytes(entries) == 0) {
        return -1;
    }
    h->sets = entries / ANP_VERDICT_WAYS;
    __atomic_store_n(&h->magic, STORE_MAGIC, __ATOMIC_RELEASE);
    return 0;
}

/* The set a key belongs to; NULL when the region is not a store. */
static entry *set_of(void *region, const unsigned char key[ANP_VERDICT_KEY_LEN])
{
    header *h = region;
    uint64_t index;

    if (__atomic_load_n(&h->magic, __ATOMIC_ACQUIRE) != STORE_MAGIC) {
        return NULL;
    }
    memcpy(&index, key, sizeof(index));
    return (entry *)(h + 1) + (index & (h->sets - 1)) * ANP_VERDICT_WAYS;
}

static int same_key(const entry *e, const uint64_t key[ANP_VERDICT_KEY_LEN / 8])
{
    return load(&e->key[0]) == key[0] && load(&e->key[1]) == key[1];
}

/* Copies a stable entry; 0 when it was not stable throughout (then *out is garbage). */
static int read_entry(const entry *e, const uint64_t key[ANP_VERDICT_KEY_LEN / 8], anp_kept_grant *out)
{
    uint64_t before = __atomic_load_n(&e->seq, __ATOMIC_ACQUIRE);
    uint64_t counts, written, expires;
    uint64_t payload[PAYLOAD_WORDS];
    uint32_t i;

    if (before == 0 || (before & 1) != 0 || !same_key(e, key)) {
        return 0;
    }
    counts = load(&e->counts);
    written = load(&e->written);
    expires = load(&e->expires);
    for (i = 0; i < ANP_VERDICT_MAX_STAMPS; i++) {
        out->stamps[i].epoch = load(&e->stamps[i * STAMP_WORDS]);
        out->stamps[i].slot = (uint32_t)load(&e->stamps[i * STAMP_WORDS + 1]);
        out->stamps[i].generation = load(&e->stamps[i * STAMP_WORDS + 2]);
    }
    for (i = 0; i < PAYLOAD_WORDS; i++) {
        payload[i] = load(&e->payload[i]);
    }
    __atomic_thread_fence(__ATOMIC_ACQUIRE);
    if (__atomic_load_n(&e->seq, __ATOMIC_RELAXED) != before) {
        return 0;
    }
    out->stamp_count = (uint32_t)(counts >> 32);
    out->payload_len = (uint32_t)counts;
    out->written = written;
    out->expires = expires;
    if (out->stamp_count > ANP_VERDICT_MAX_STAMPS || out->payload_len >= ANP_VERDICT_PAYLOAD) {
        return 0;
    }
    memcpy(out->payload, payload, out->payload_len);
    return 1;
}

int anp_verdict_store_get(void *region, const unsigned char key[ANP_VERDICT_KEY_LEN], anp_kept_grant *out)
{
    entry *set = set_of(region, key);
    uint64_t k[ANP_VERDICT_KEY_LEN / 8];
    int way;

    if (set == NULL) {
        return 0;
    }
    memcpy(k, key, sizeof(k));
    for (way = 0; way < ANP_VERDICT_WAYS; way++) {
        if (read_entry(&set[way], k, out)) {
            return 1;
        }
    }
    return 0;
}

/* The entry to write: the key's own, else one never used, else the oldest; NULL when all are being written. */
static entry *victim(entry *set, const uint64_t key[ANP_VERDICT_KEY_LEN / 8])
{
    entry *oldest = NULL;
    int way;

    for (way = 0; way < ANP_VERDICT_WAYS; way++) {
        uint64_t seq = __atomic_load_n(&set[way].seq, __ATOMIC_RELAXED);
        if ((seq & 1) != 0) {
            continue;
        }
        if (seq == 0 || same_key(&set[way], key)) {
            return &set[way];
        }
        if (oldest == NULL || load(&set[way].written) < load(&oldest->written)) {
            oldest = &set[way];
        }
    }
    return oldest;
}

static void write_entry(entry *e, const uint64_t key[ANP_VERDICT_KEY_LEN / 8], const anp_kept_grant *v, uint64_t now)
{
    uint64_t payload[PAYLOAD_WORDS];
    uint32_t i;

    memset(payload, 0, sizeof(payload));
    memcpy(payload, v->payload, v->payload_len);
    put_word(&e->key[0], key[0]);
    put_word(&e->key[1], key[1]);
    put_word(&e->written, now);
    put_word(&e->expires, v->expires);
    put_word(&e->counts, ((uint64_t)v->stamp_count << 32) | v->payload_len);
    for (i = 0; i < ANP_VERDICT_MAX_STAMPS; i++) {
        const anp_generation_stamp *s = &v->stamps[i];
        put_word(&e->stamps[i * STAMP_WORDS], i < v->stamp_count ? s->epoch : 0);
        put_word(&e->stamps[i * STAMP_WORDS + 1], i < v->stamp_count ? s->slot : 0);
        put_word(&e->stamps[i * STAMP_WORDS + 2], i < v->stamp_count ? s->generation : 0);
    }
    for (i = 0; i < PAYLOAD_WORDS; i++) {
        put_word(&e->payload[i], payload[i]);
    }
}

int anp_verdict_store_put(void *region, const unsigned char key[ANP_VERDICT_KEY_LEN], const anp_kept_grant *verdict,
                          uint64_t now)
{
    entry *set = set_of(region, key);
    uint64_t k[ANP_VERDICT_KEY_LEN / 8];
    entry *e;
    uint64_t seq;

    if (set == NULL || verdict->payload_len >= ANP_VERDICT_PAYLOAD || verdict->stamp_count > ANP_VERDICT_MAX_STAMPS) {
        return 0;
    }
    memcpy(k, key, sizeof(k));
    e = victim(set, k);
    if (e == NULL) {
        return 0;
    }
    seq = __atomic_load_n(&e->seq, __ATOMIC_RELAXED);
    /* Taken by another writer since victim() looked: leave it to that one. */
    if ((seq & 1) != 0 || !__atomic_compare_exchange_n(&e->seq, &seq, seq + 1, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) {
        return 0;
    }
    /* Readers that saw the old even sequence must not see the new words as the old entry's. */
    __atomic_thread_fence(__ATOMIC_RELEASE);
    write_entry(e, k, verdict, now);
    __atomic_store_n(&e->seq, seq + 2, __ATOMIC_RELEASE);
    return 1;
}
