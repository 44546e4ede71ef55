/*
 * grant_payload.c: the grant cache's entry payload, see grant_payload.h.
 *
 *   payload := flags:u8 [renamed user NUL] [groups] held
 *   groups, held := count:u16le (name NUL){count}
 */
#include <string.h>

#include "httpd.h"
#include "apr_tables.h"

#include "grant_payload.h"

/* What a payload may say about itself (its first byte). */
#define PAYLOAD_RENAMED 0x01
#define PAYLOAD_GROUPS 0x02
#define PAYLOAD_FLAGS 0x04  /* one byte of user flags follows the first */

static int put_names(unsigned char *buf, apr_size_t cap, apr_size_t *at, const apr_array_header_t *names)
{
    int i;
    if (names->nelts > 0xffff || *at + 2 > cap) {
        return 0;
    }
    buf[(*at)++] = (unsigned char)(names->nelts & 0xff);
    buf[(*at)++] = (unsigned char)(names->nelts >> 8);
    for (i = 0; i < names->nelts; i++) {
        const char *name = APR_ARRAY_IDX(names, i, const char *);
        apr_size_t len = strlen(name) + 1;
        if (*at + len > cap) {
            return 0;
        }
        memcpy(buf + *at, name, len);
        *at += len;
    }
    return 1;
}

apr_size_t anp_grant_payload_encode(const anp_grant *grant, unsigned char *buf, apr_size_t cap)
{
    apr_size_t at = 1;

    buf[0] = (grant->user ? PAYLOAD_RENAMED : 0) | (grant->groups ? PAYLOAD_GROUPS : 0)
             | (grant->user_flags >= 0 ? PAYLOAD_FLAGS : 0);
    if (grant->user_flags >= 0) {
        if (grant->user_flags > 0xff || at + 1 > cap) {
            return 0;
        }
        buf[at++] = (unsigned char)grant->user_flags;
    }
    if (grant->user) {
        apr_size_t len = strlen(grant->user) + 1;
        if (at + len > cap) {
            return 0;
        }
        memcpy(buf + at, grant->user, len);
        at += len;
    }
    if (grant->groups && !put_names(buf, cap, &at, grant->groups)) {
        return 0;
    }
    if (!put_names(buf, cap, &at, grant->held_permissions)) {
        return 0;
    }
    return at;
}

/* Names point into buf (a copy in r->pool). Anything that does not add up is a miss. */
static const char *get_name(const unsigned char *buf, apr_size_t len, apr_size_t *at)
{
    const unsigned char *nul;
    const char *name;
    if (*at >= len || !(nul = memchr(buf + *at, '\0', len - *at))) {
        return NULL;
    }
    name = (const char *)buf + *at;
    *at = (apr_size_t)(nul - buf) + 1;
    return name;
}

static apr_array_header_t *get_names(apr_pool_t *p, const unsigned char *buf, apr_size_t len, apr_size_t *at)
{
    apr_array_header_t *names;
    unsigned count, i;
    if (*at + 2 > len) {
        return NULL;
    }
    count = buf[*at] | (unsigned)buf[*at + 1] << 8;
    *at += 2;
    names = apr_array_make(p, count ? (int)count : 1, sizeof(const char *));
    for (i = 0; i < count; i++) {
        const char *name = get_name(buf, len, at);
        if (!name) {
            return NULL;
        }
        *(const char **)apr_array_push(names) = name;
    }
    return names;
}

int anp_grant_payload_decode(apr_pool_t *p, const unsigned char *buf, apr_size_t len, anp_grant *grant)
{
    apr_size_t at = 1;

    memset(grant, 0, sizeof(*grant));
    grant->user_flags = -1;
    if (len < 1 || (buf[0] & ~(PAYLOAD_RENAMED | PAYLOAD_GROUPS | PAYLOAD_FLAGS))) {
        return 0;
    }
    if (buf[0] & PAYLOAD_FLAGS) {
        if (len < 2) {
            return 0;
        }
        grant->user_flags = buf[at++];
    }
    if ((buf[0] & PAYLOAD_RENAMED) && !(grant->user = get_name(buf, len, &at))) {
        return 0;
    }
    if ((buf[0] & PAYLOAD_GROUPS) && !(grant->groups = get_names(p, buf, len, &at))) {
        return 0;
    }
    if (!(grant->held_permissions = get_names(p, buf, len, &at))) {
        return 0;
    }
    return at == len;
}
