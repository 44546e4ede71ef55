/*
 * throttle_memo_test.c: native/mod/throttle_memo.c, linked as it is against APR, driven through its
 * public functions. Prints TAP; run by test/integration/throttle-memo-c.test.ts.
 *
 * Every time is passed in (the memo's functions take "now"), so expiry at the cap and at the worker's
 * Retry-After is checked on either side of the instant without waiting. httpd's logging and the module
 * record are stubbed: the test has no httpd.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "httpd.h"
#include "http_config.h"
#include "http_log.h"
#include "apr_general.h"
#include "apr_pools.h"

#include "anp_protocol.h"
#include "throttle_memo.h"

module AP_MODULE_DECLARE_DATA authnz_node_module;

void ap_log_error_(const char *file, int line, int module_index, int level, apr_status_t status,
                   const server_rec *s, const char *fmt, ...)
{
    (void)file, (void)line, (void)module_index, (void)level, (void)status, (void)s, (void)fmt;
}

static int planned = 11, n;

static void ok(int cond, const char *what)
{
    printf("%sok %d - %s\n", cond ? "" : "not ", ++n, what);
}

static apr_pool_t *fresh_memo(apr_pool_t *root, apr_pool_t *old)
{
    apr_pool_t *p;
    if (old) {
        apr_pool_destroy(old); /* its cleanup forgets the memo */
    }
    apr_pool_create(&p, root);
    anp_throttle_memo_child_init(p, NULL);
    return p;
}

static anp_throttle_memo_key key(int scope, const char *ip, const char *user)
{
    anp_throttle_memo_key k;
    memset(&k, 0, sizeof(k));
    if (!anp_throttle_memo_key_of(scope, ip, user, &k)) {
        printf("# no key for %d %s %s\n", scope, ip, user ? user : "-");
    }
    return k;
}

static int same(anp_throttle_memo_key a, anp_throttle_memo_key b)
{
    return !memcmp(a.digest, b.digest, sizeof(a.digest));
}

#define SEC APR_USEC_PER_SEC
#define A ANP_THROTTLE_SCOPE_ADDRESS
#define U ANP_THROTTLE_SCOPE_USER

static void scopes_and_expiry(apr_time_t t)
{
    anp_throttle_memo_key addr = key(A, "192.0.2.7", NULL), alice = key(U, "192.0.2.7", "alice");

    anp_throttle_memo_put(&addr, t, t + 10 * SEC);
    ok(anp_throttle_memo_get(&addr, t + SEC / 2) == t + 10 * SEC
       && anp_throttle_memo_get(&addr, t + SEC - 1) == t + 10 * SEC && anp_throttle_memo_get(&addr, t + SEC) == 0,
       "an address entry keeps the worker's end and lives until the 1-second cap, not its 10-second Retry-After");
    anp_throttle_memo_put(&alice, t, t + SEC / 4);
    ok(anp_throttle_memo_get(&alice, t + SEC / 4 - 1) == t + SEC / 4 && anp_throttle_memo_get(&alice, t + SEC / 4) == 0,
       "an entry whose lock ends before the cap lives until the lock ends");
    anp_throttle_memo_put(&alice, t, t + 5 * SEC);
    ok(anp_throttle_memo_get(&alice, t + 1) && !anp_throttle_memo_get(&(anp_throttle_memo_key){{0}}, t + 1)
       && !anp_throttle_memo_get((const anp_throttle_memo_key[]){key(U, "192.0.2.7", "bob")}, t + 1)
       && !anp_throttle_memo_get((const anp_throttle_memo_key[]){key(U, "192.0.2.8", "alice")}, t + 1)
       && !anp_throttle_memo_get((const anp_throttle_memo_key[]){key(A, "192.0.2.8", NULL)}, t + 1),
       "a user entry refuses only that (address, user); another address's entry is not there");
    anp_throttle_memo_put((const anp_throttle_memo_key[]){key(A, "198.51.100.1", NULL)}, t, t);
    ok(!anp_throttle_memo_get((const anp_throttle_memo_key[]){key(A, "198.51.100.1", NULL)}, t),
       "an answer whose lock already ended is not remembered");
}

static void keys_do_not_collide(void)
{
    ok(!same(key(U, "1.2.3.4", "ab"), key(U, "1.2.3.4a", "b")) && !same(key(U, "1.2.3.4", ""), key(A, "1.2.3.4", NULL))
       && !same(key(U, "1.2.3.4", "x"), key(U, "1.2.3.4x", "")) && !same(key(A, "1.2.3.4", NULL), key(A, "1.2.3.45", NULL))
       && same(key(U, "1.2.3.4", "ab"), key(U, "1.2.3.4", "ab")),
       "keys: address and user scope differ, and no two (address, user) splits of the same bytes share a key");
    ok(!anp_throttle_memo_key_of(3, "1.2.3.4", "a", &(anp_throttle_memo_key){{0}})
       && !anp_throttle_memo_key_of(U, "1.2.3.4", NULL, &(anp_throttle_memo_key){{0}})
       && !anp_throttle_memo_key_of(0, "1.2.3.4", "a", &(anp_throttle_memo_key){{0}}),
       "no key for an unknown scope or a user scope without a user");
}

/* Five users whose (address, user) keys share one set. */
static void same_set(anp_throttle_memo_key out[5])
{
    char name[32];
    unsigned set = anp_throttle_memo_set_of((const anp_throttle_memo_key[]){key(U, "203.0.113.9", "u0")});
    int found = 0, i;
    for (i = 0; found < 5; i++) {
        anp_throttle_memo_key k;
        snprintf(name, sizeof(name), "u%d", i);
        k = key(U, "203.0.113.9", name);
        if (anp_throttle_memo_set_of(&k) == set) {
            out[found++] = k;
        }
    }
}

static void eviction(apr_time_t t)
{
    anp_throttle_memo_key k[5];
    int i;

    same_set(k);
    for (i = 0; i < 4; i++) {
        anp_throttle_memo_put(&k[i], t + i, t + 10 * SEC);
    }
    /* k[0] answered again: stored anew in its own way, so k[1] is now the oldest. */
    anp_throttle_memo_put(&k[0], t + 4, t + 10 * SEC);
    anp_throttle_memo_put(&k[4], t + 5, t + 10 * SEC);
    ok(!anp_throttle_memo_get(&k[1], t + 6) && anp_throttle_memo_get(&k[0], t + 6) && anp_throttle_memo_get(&k[2], t + 6)
       && anp_throttle_memo_get(&k[3], t + 6) && anp_throttle_memo_get(&k[4], t + 6),
       "a full set gives up its oldest live entry (an entry stored again is new)");
    t += 2 * SEC;
    for (i = 0; i < 4; i++) {
        anp_throttle_memo_put(&k[i], t + i, i == 2 ? t + 10 : t + 10 * SEC);
    }
    anp_throttle_memo_put(&k[4], t + 100, t + 10 * SEC);
    ok(anp_throttle_memo_get(&k[0], t + 101) && !anp_throttle_memo_get(&k[2], t + 101) && anp_throttle_memo_get(&k[4], t + 101),
       "a full set gives up an expired entry before its oldest live one");
}

static void bound(apr_time_t t)
{
    char ip[32];
    anp_throttle_memo_key last;
    int i;
    for (i = 0; i < 5000; i++) {
        snprintf(ip, sizeof(ip), "10.%d.%d.%d", i >> 16 & 255, i >> 8 & 255, i & 255);
        last = key(A, ip, NULL);
        anp_throttle_memo_put(&last, t, t + 10 * SEC);
    }
    ok(anp_throttle_memo_count(t) == ANP_THROTTLE_MEMO_ENTRIES && anp_throttle_memo_get(&last, t),
       "5000 throttled addresses leave 1024 entries, the newest among them");
    ok(anp_throttle_memo_count(t + SEC) == 0, "every entry is gone after the cap");
}

int main(void)
{
    apr_pool_t *root, *p = NULL;
    apr_time_t t;

    apr_initialize();
    apr_pool_create(&root, NULL);
    printf("1..%d\n", planned);
    ok(!anp_throttle_memo_key_of(A, "1.2.3.4", NULL, &(anp_throttle_memo_key){{0}}), "no memo before child_init: no key");
    p = fresh_memo(root, p);
    t = anp_throttle_memo_now();
    scopes_and_expiry(t);
    keys_do_not_collide();
    p = fresh_memo(root, p);
    eviction(t);
    p = fresh_memo(root, p);
    bound(t);
    apr_pool_destroy(p);
    apr_terminate();
    return n == planned ? 0 : 1;
}
