/*
 * anp_fold.h: the rules of the one-trip fold, in C (docs/protocol.md, CHECK_PASSWORD with
 * GROUP_HANDLER_ID and PERMISSION fields).
 *
 * A password check may carry the user's groups and permissions back in the same trip, so that the
 * Require lines of the same request need no second one. These are the rules that decide with the folded
 * answer exactly as the worker would decide on its own; src/worker/fold.ts holds the same rules in
 * TypeScript, and test/vectors/fold.json holds both to the same cases. Plain C99 with no APR, so the
 * Node addon compiles this file too (as it does native/anp_protocol.c).
 */
#ifndef ANP_FOLD_H
#define ANP_FOLD_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* At most this many Require node-permission names ride along with a password check. */
#define ANP_FOLD_MAX_PERMISSIONS 64

typedef enum {
    ANP_FOLD_GRANTED,   /* a name of the line is held */
    ANP_FOLD_DENIED,    /* every name of the line was asked, none is held */
    ANP_FOLD_ASK        /* some name of the line was not asked: the worker must answer the line */
} anp_fold_decision;

/* Whether any of the user's groups equals any wanted name, ignoring ASCII case only (A-Z/a-z). */
int anp_fold_group_matches(const char *const *user_groups, size_t group_count, const char *const *wanted,
                           size_t wanted_count);

/* The first held permission that was not asked for (a broken answer), or NULL when there is none. */
const char *anp_fold_unasked_permission(const char *const *asked, size_t asked_count, const char *const *held,
                                        size_t held_count);

/* A Require node-permission line decided from a folded answer's asked and held names. */
anp_fold_decision anp_fold_permission_line(const char *const *asked, size_t asked_count,
                                           const char *const *held, size_t held_count,
                                           const char *const *line, size_t line_count);

/*
 * Whether a password check carries a location's `count` Require node-permission names: 1..64 of them,
 * a group handler configured (it answers permissions), and that handler either rides along already
 * (GROUP_HANDLER_ID) or is the password's own handler (the same id).
 */
int anp_fold_permissions(size_t count, int group_handler_rides, int same_handler, int group_handler_configured);

#ifdef __cplusplus
}
#endif

#endif
