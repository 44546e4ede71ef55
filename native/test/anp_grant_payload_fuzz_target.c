/*
 * anp_grant_payload_fuzz_target.c: a libFuzzer target for the grant cache's payload codec
 * (native/mod/grant_payload.c), which reads back the renamed user, groups and held permissions a cached
 * grant carries. Built by `npm run fuzz` (scripts/fuzz.sh) with clang -fsanitize=fuzzer,address,undefined
 * against APR, as the module is.
 *
 * Per input: decoding must not read past the payload; a payload that decodes has every name inside it,
 * NUL-terminated there, and encodes back to the same bytes; one byte less room makes the encoder refuse.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apr_general.h"
#include "apr_pools.h"

#include "grant_payload.h"

#define REQUIRE(cond)                                                                                  \
    do {                                                                                              \
        if (!(cond)) {                                                                                \
            fprintf(stderr, "anp_grant_payload_fuzz_target: broken invariant: %s (line %d)\n", #cond,   \
                    __LINE__);                                                                        \
            abort();                                                                                  \
        }                                                                                             \
    } while (0)

static apr_pool_t *root;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    REQUIRE(apr_initialize() == APR_SUCCESS && apr_pool_create(&root, NULL) == APR_SUCCESS);
    return 0;
}

static void check_name(const char *name, const uint8_t *data, size_t size)
{
    REQUIRE(name >= (const char *)data && name < (const char *)data + size);
    REQUIRE(memchr(name, '\0', size - (size_t)(name - (const char *)data)) != NULL);
}

static void check_names(const apr_array_header_t *names, const uint8_t *data, size_t size)
{
    int i;
    for (i = 0; i < names->nelts; i++) {
        check_name(APR_ARRAY_IDX(names, i, const char *), data, size);
    }
}

/* The encoder, given exactly the room the payload took and then one byte less. */
static void reencodes(const anp_grant *grant, const uint8_t *data, size_t size)
{
    unsigned char *out = malloc(size);
    REQUIRE(out != NULL);
    REQUIRE(anp_grant_payload_encode(grant, out, size) == size);
    REQUIRE(memcmp(out, data, size) == 0);
    if (size >= 2) {
        REQUIRE(anp_grant_payload_encode(grant, out, size - 1) == 0);
    }
    free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p;
    anp_grant grant;

    REQUIRE(apr_pool_create(&p, root) == APR_SUCCESS);
    if (anp_grant_payload_decode(p, data, size, &grant)) {
        REQUIRE(grant.held_permissions != NULL);
        if (grant.user) {
            check_name(grant.user, data, size);
        }
        if (grant.groups) {
            check_names(grant.groups, data, size);
        }
        check_names(grant.held_permissions, data, size);
        reencodes(&grant, data, size);
    }
    apr_pool_destroy(p);
    return 0;
}
