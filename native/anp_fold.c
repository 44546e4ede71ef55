/*
 * anp_fold.c: the fold's rules, see anp_fold.h.
 */
#include "anp_fold.h"

#include <string.h>

static int ascii_lower(unsigned char c)
{
    return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

/* Equal ignoring ASCII case only: bytes above 0x7f compare as they are, so no locale decides. */
static int same_ignoring_ascii_case(const char *a, const char *b)
{
    for (; *a && *b; a++, b++) {
        if (ascii_lower((unsigned char)*a) != ascii_lower((unsigned char)*b)) {
            return 0;
        }
    }
    return *a == *b;
}

static int contains(const char *const *names, size_t count, const char *name)
{
    size_t i;
    for (i = 0; i < count; i++) {
        if (strcmp(names[i], name) == 0) {
            return 1;
        }
    }
    return 0;
}

int anp_fold_group_matches(const char *const *user_groups, size_t group_count, const char *const *wanted,
                           size_t wanted_count)
{
    size_t i, j;
    for (i = 0; i < wanted_count; i++) {
        for (j = 0; j < group_count; j++) {
            if (same_ignoring_ascii_case(user_groups[j], wanted[i])) {
                return 1;
            }
        }
    }
    return 0;
}

const char *anp_fold_unasked_permission(const char *const *asked, size_t asked_count, const char *const *held,
                                        size_t held_count)
{
    size_t i;
    for (i = 0; i < held_count; i++) {
        if (!contains(asked, asked_count, held[i])) {
            return held[i];
        }
    }
    return NULL;
}

anp_fold_decision anp_fold_permission_line(const char *const *asked, size_t asked_count,
                                           const char *const *held, size_t held_count,
                                           const char *const *line, size_t line_count)
{
    size_t i;
    int any_held = 0;
    for (i = 0; i < line_count; i++) {
        if (!contains(asked, asked_count, line[i])) {
            return ANP_FOLD_ASK;
        }
        any_held = any_held || contains(held, held_count, line[i]);
    }
    return any_held ? ANP_FOLD_GRANTED : ANP_FOLD_DENIED;
}

int anp_fold_permissions(size_t count, int group_handler_rides, int same_handler, int group_handler_configured)
{
    return count >= 1 && count <= ANP_FOLD_MAX_PERMISSIONS && group_handler_configured
           && (group_handler_rides || same_handler);
}
