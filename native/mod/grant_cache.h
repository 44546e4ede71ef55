/*
 * grant_cache.h: each httpd child's memory of recent GRANTED password checks (NodeAuthCacheSeconds).
 *
 * Off by default. When a directory sets NodeAuthCacheSeconds N > 0, a GRANTED answer to a Basic
 * CHECK_PASSWORD is remembered for N seconds together with what the rest of the request reads from it
 * (the renamed user, the folded groups and held permissions), so that the same credentials in the same
 * configuration skip the round trip to the worker. This is bounded staleness by choice: a password
 * change, a deactivation or a group removal takes up to N seconds to be seen, in each child.
 *
 * Entries are found by a keyed 128-bit digest (SipHash-2-4-128 under a random per-child key) of
 * everything that decides the request the module would send, password included; the password itself
 * is never stored. Any problem (no cache in this child, a lock that fails, an entry that does not
 * decode) is a miss: the check goes to the worker as if there were no cache.
 *
 * The key lives in the same child's memory as the entries, so whoever can read that memory can test
 * candidate passwords against each entry offline, at SipHash speed. What keeps it from other processes
 * of httpd's User is that httpd's children are not dumpable (they changed uid from root, so the kernel
 * refuses them ptrace and /proc/<pid>/mem); code running inside a child (an embedded interpreter) can
 * read it, as it can read the requests' passwords themselves.
 *
 * Log ids: ANP0104-0105 when child_init cannot make the cache (module/hooks range), ANP0519 for a hit
 * (providers.c), ANP0520-0521 at request time (the checks range).
 */
#ifndef ANP_GRANT_CACHE_H
#define ANP_GRANT_CACHE_H

#include "httpd.h"
#include "apr_tables.h"

/* NodeAuthCacheSeconds' bounds. */
#define ANP_GRANT_CACHE_MAX_SECONDS 3600

/* At most this many entries per child; the oldest slot (roughly) is reused when it is full. */
#define ANP_GRANT_CACHE_ENTRIES 1024

/* An answer whose renamed user, groups and held permissions take more than this is not remembered
 * (each such request asks the worker), which keeps a full cache under 300 KiB per child. */
#define ANP_GRANT_CACHE_PAYLOAD 256

#define ANP_GRANT_KEY_LEN 16

typedef struct {
    unsigned char digest[ANP_GRANT_KEY_LEN];
} anp_grant_key;

/* Everything that decides the CHECK_PASSWORD the module would send, except the per-request environ. */
typedef struct {
    const char *server_name;                /* the virtual host's ServerName (SERVER_NAME's default) */
    apr_port_t server_port;
    const char *location;                   /* mod_authnz_node.location in the environ */
    const char *auth_name;                  /* mod_authnz_node.auth_name in the environ */
    int seconds;                            /* NodeAuthCacheSeconds: two windows never share entries */
    int kind;                               /* CHECK_PASSWORD or CHECK_SESSION: never one for the other */
    int want_user_flags;                    /* WANT_USER_FLAGS sent */
    apr_uint32_t handler_id;                /* HANDLER_ID (this child's id: one per spec text) */
    apr_uint32_t group_handler_id;          /* GROUP_HANDLER_ID, 0: not sent */
    const char *handler_spec;               /* HANDLER_ID's spec text (the shared store's key) */
    const char *group_handler_spec;         /* GROUP_HANDLER_ID's spec text, NULL: not sent */
    const apr_array_header_t *permissions;  /* PERMISSION fields, NULL: none sent */
    const char *user;                       /* USER bytes */
    const char *password;                   /* PASSWORD bytes: only hashed, never kept */
    const char *session_key;                /* SESSION_KEY bytes (CHECK_SESSION): only hashed, never kept */
    apr_size_t session_key_len;
    /* The client's address (CLIENT_IP): a grant cached for one address never answers another, so an
     * address the worker throttles cannot use another client's grant as a password oracle. */
    const char *client_ip;
} anp_grant_key_parts;

/* What a GRANTED answer carried that the rest of the request uses. */
typedef struct {
    const char *user;                       /* the name the handler granted under; NULL: the one sent */
    apr_array_header_t *groups;             /* the user's groups; NULL when GROUP_HANDLER_ID was not sent */
    apr_array_header_t *held_permissions;   /* of the PERMISSION fields sent, those held; never NULL */
    int user_flags;                         /* USER_FLAGS (ANP_USER_FLAG_* bits); -1: not asked */
} anp_grant;

/* child_init: makes this child's cache (only call it when some directory enables it). On any failure
 * the child has no cache, which makes every lookup a miss. */
void anp_grant_cache_child_init(apr_pool_t *pchild, server_rec *s);

/* The digest of `parts` under this child's key. 0 when the child has no cache (then do not look up). */
int anp_grant_cache_key(const anp_grant_key_parts *parts, anp_grant_key *key);

/* A monotonic clock in microseconds, for the window's start; 0 when it cannot be read. */
apr_time_t anp_grant_cache_now(void);

/* 1 and *grant (allocated from r->pool) when a live entry has this key; 0 otherwise. */
int anp_grant_cache_get(request_rec *r, const anp_grant_key *key, anp_grant *grant);

/* Remembers a GRANTED answer for `seconds` from `asked_at` (anp_grant_cache_now() taken before the
 * request was sent, so the window never outlasts N seconds after the worker read the database). */
void anp_grant_cache_put(request_rec *r, const anp_grant_key *key, apr_time_t asked_at, int seconds,
                         const anp_grant *grant);

#endif
