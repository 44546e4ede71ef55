/* anp_generations.c: the generations table's layout, mapping and rule (anp_generations.h). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "anp_generations.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>

#define W_MAGIC 0
#define W_LAYOUT 1
#define W_EPOCH 2
#define W_LEASE 3

static uint64_t load(const anp_generations *g, size_t word)
{
    return __atomic_load_n(&g->words[word], __ATOMIC_ACQUIRE);
}

static void store(anp_generations *g, size_t word, uint64_t value)
{
    __atomic_store_n(&g->words[word], value, __ATOMIC_RELEASE);
}

size_t anp_generations_bytes(uint32_t slots)
{
    if (slots < ANP_GENERATIONS_MIN_SLOTS || slots > ANP_GENERATIONS_MAX_SLOTS || (slots & (slots - 1)) != 0) {
        return 0;
    }
    return ((size_t)ANP_GENERATIONS_HEADER_WORDS + slots) * sizeof(uint64_t);
}

/* The slot count a file of `bytes` holds, or 0 when no valid table has that size. */
static uint32_t slots_for_size(size_t bytes)
{
    size_t words = bytes / sizeof(uint64_t);
    uint32_t slots;

    if (bytes % sizeof(uint64_t) != 0 || words <= ANP_GENERATIONS_HEADER_WORDS
        || words - ANP_GENERATIONS_HEADER_WORDS > ANP_GENERATIONS_MAX_SLOTS) {
        return 0;
    }
    slots = (uint32_t)(words - ANP_GENERATIONS_HEADER_WORDS);
    return anp_generations_bytes(slots) == bytes ? slots : 0;
}

static uint64_t layout_word(uint32_t slots)
{
    return ((uint64_t)ANP_GENERATIONS_LAYOUT << 32) | slots;
}

/* A writable mapping of a file never formatted: zero everywhere, the first epoch, the magic last. */
static void format(anp_generations *g)
{
    memset(g->words, 0, g->bytes);
    store(g, W_LAYOUT, layout_word(g->slots));
    store(g, W_EPOCH, 1);
    store(g, W_MAGIC, ANP_GENERATIONS_MAGIC);
}

int anp_generations_map(int fd, int writable, anp_generations *out, const char **what)
{
    struct stat st;
    void *base;

    memset(out, 0, sizeof(*out));
    if (fstat(fd, &st) != 0) {
        *what = "fstat";
        return errno;
    }
    out->slots = S_ISREG(st.st_mode) ? slots_for_size((size_t)st.st_size) : 0;
    if (out->slots == 0) {
        *what = "size: not a generations table";
        return EINVAL;
    }
    out->bytes = (size_t)st.st_size;
    base = mmap(NULL, out->bytes, writable ? PROT_READ | PROT_WRITE : PROT_READ, MAP_SHARED, fd, 0);
    if (base == MAP_FAILED) {
        *what = "mmap";
        return errno;
    }
    out->words = base;
    out->writable = writable;
    if (writable && load(out, W_MAGIC) != ANP_GENERATIONS_MAGIC) {
        format(out);
    }
    if (load(out, W_MAGIC) != ANP_GENERATIONS_MAGIC || load(out, W_LAYOUT) != layout_word(out->slots)) {
        anp_generations_unmap(out);
        *what = "layout: not formatted, or by another version";
        return EINVAL;
    }
    return 0;
}

void anp_generations_unmap(anp_generations *g)
{
    if (g->words != NULL) {
        munmap(g->words, g->bytes);
    }
    memset(g, 0, sizeof(*g));
}

uint64_t anp_generations_epoch(const anp_generations *g)
{
    return load(g, W_EPOCH);
}

uint64_t anp_generations_lease(const anp_generations *g)
{
    return load(g, W_LEASE);
}

uint64_t anp_generations_slot(const anp_generations *g, uint32_t slot)
{
    return load(g, ANP_GENERATIONS_HEADER_WORDS + (slot & (g->slots - 1)));
}

int anp_generations_current(const anp_generations *g, const anp_generation_stamp *stamp, uint64_t now_ns)
{
    /* The lease first: a feed that stopped renewing it may also have stopped moving the rest. */
    if (g->words == NULL || now_ns >= anp_generations_lease(g)) {
        return 0;
    }
    if (stamp->slot >= g->slots || anp_generations_epoch(g) != stamp->epoch) {
        return 0;
    }
    return anp_generations_slot(g, stamp->slot) == stamp->generation;
}

uint64_t anp_generations_bump_slot(anp_generations *g, uint32_t slot)
{
    return __atomic_add_fetch(&g->words[ANP_GENERATIONS_HEADER_WORDS + (slot & (g->slots - 1))], 1,
                              __ATOMIC_ACQ_REL);
}

uint64_t anp_generations_bump_epoch(anp_generations *g)
{
    return __atomic_add_fetch(&g->words[W_EPOCH], 1, __ATOMIC_ACQ_REL);
}

void anp_generations_set_lease(anp_generations *g, uint64_t until_ns)
{
    store(g, W_LEASE, until_ns);
}

uint64_t anp_generations_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * UINT64_C(1000000000) + (uint64_t)ts.tv_nsec;
}
