/*
 * anp_generations.h: the generations table that the worker writes and httpd's children read, so a child can
 * tell without a trip to the worker whether an answer it kept is still current.
 *
 * The table is one file mapped by both sides: the worker (its owner) maps it read-write, the children
 * (httpd's User, through httpd's Group) read-only, so code running as httpd's User can read it but never
 * change it. It is an array of 64-bit words:
 *   word 0  magic, ANP_GENERATIONS_MAGIC
 *   word 1  layout: ANP_GENERATIONS_LAYOUT << 32 | slot count
 *   word 2  epoch: moves when the worker starts, and when its change feed loses or cannot account for a change;
 *           a kept answer stamped with another epoch is not current
 *   word 3  lease: CLOCK_MONOTONIC nanoseconds until which the feed is known to be delivering; 0 = not now
 *   word 4-7 reserved, zero
 *   word 8… one generation per slot; a slot stands for the users (or sessions) whose keyed hash lands on
 *           it, and moves when any of them changes
 * A kept answer is current only while all three hold: the epoch it was stamped with is the table's, its
 * slot's generation is the one it was stamped with, and the lease has not run out
 * (anp_generations_current). A collision of two users on a slot only costs extra trips.
 *
 * Plain C with no APR, compiled into the module and into the Node addon, so both read one layout.
 */
#ifndef ANP_GENERATIONS_H
#define ANP_GENERATIONS_H

#include <stddef.h>
#include <stdint.h>

#define ANP_GENERATIONS_MAGIC UINT64_C(0x314e45474e504e41) /* "ANPNGEN1" read little-endian */
#define ANP_GENERATIONS_LAYOUT 1u
#define ANP_GENERATIONS_HEADER_WORDS 8u
#define ANP_GENERATIONS_MIN_SLOTS 64u
#define ANP_GENERATIONS_MAX_SLOTS (1u << 24)

typedef struct {
    uint64_t *words;   /* the mapping */
    uint32_t slots;
    size_t bytes;
    int writable;
} anp_generations;

/* What a kept answer was stamped with when the worker gave it. */
typedef struct {
    uint64_t epoch;
    uint32_t slot;
    uint64_t generation;
} anp_generation_stamp;

/* The file size for `slots` slots; 0 when the count is outside MIN..MAX or not a power of two. */
size_t anp_generations_bytes(uint32_t slots);

/*
 * Maps the table open on `fd`. writable: read-write (the worker), else read-only (a child). A read-only
 * mapping must find a formatted table of a layout it knows; a writable one formats a file of the right size
 * that is not formatted yet. 0 on success, else an errno value (EINVAL: a size or layout this code does
 * not know) and `*what` says which step failed.
 */
int anp_generations_map(int fd, int writable, anp_generations *out, const char **what);

void anp_generations_unmap(anp_generations *g);

/* Readers: acquire loads, so a generation read after the epoch is at least as new as it. */
uint64_t anp_generations_epoch(const anp_generations *g);
uint64_t anp_generations_lease(const anp_generations *g);
uint64_t anp_generations_slot(const anp_generations *g, uint32_t slot);

/* The one rule: whether an answer stamped `stamp` is still current at CLOCK_MONOTONIC `now_ns`. */
int anp_generations_current(const anp_generations *g, const anp_generation_stamp *stamp, uint64_t now_ns);

/* Writers (the worker only): release stores, each returning the new value. */
uint64_t anp_generations_bump_slot(anp_generations *g, uint32_t slot);
uint64_t anp_generations_bump_epoch(anp_generations *g);
void anp_generations_set_lease(anp_generations *g, uint64_t until_ns);

/* CLOCK_MONOTONIC in nanoseconds: the clock of the lease, shared by every process on the machine. */
uint64_t anp_generations_now(void);

#endif
