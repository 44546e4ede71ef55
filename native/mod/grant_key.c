/*
 * grant_key.c: the keyed digest of a kept grant's key parts, see grant_key.h.
 */
#include <string.h>

#include "httpd.h"
#include "apr_tables.h"

#include "grant_key.h"

/* Every part is preceded by its length (all ones for an absent one), so no two ways of splitting the
 * same bytes into parts hash alike: user "ab" with password "c" is not user "a" with password "bc". */
#define ABSENT APR_UINT64_C(0xffffffffffffffff)

static void sip_length(anp_siphash *s, apr_uint64_t n)
{
    unsigned char b[8];
    int i;
    for (i = 0; i < 8; i++) {
        b[i] = (unsigned char)(n >> (8 * i));
    }
    anp_siphash_update(s, b, 8);
}

static void sip_part(anp_siphash *s, const char *text)
{
    apr_size_t len;
    if (!text) {
        sip_length(s, ABSENT);
        return;
    }
    len = strlen(text);
    sip_length(s, len);
    anp_siphash_update(s, text, len);
}

/* Which handlers answer: this child's ids and window, or the spec texts every child shares. */
static void sip_handlers(anp_siphash *s, anp_grant_key_form form, const anp_grant_key_parts *parts)
{
    if (form == ANP_GRANT_KEY_CHILD) {
        sip_length(s, (apr_uint64_t)parts->seconds);
        sip_length(s, parts->handler_id);
        sip_length(s, parts->group_handler_id);
        return;
    }
    sip_part(s, parts->handler_spec);
    sip_part(s, parts->group_handler_spec);
}

void anp_grant_key_digest(const unsigned char key[ANP_SIPHASH_KEY_LEN], anp_grant_key_form form,
                          const anp_grant_key_parts *parts, anp_grant_key *out)
{
    anp_siphash s;
    int i;

    anp_siphash_init(&s, key);
    sip_part(&s, form == ANP_GRANT_KEY_CHILD ? "mod_authnz_node grant cache 4" : "mod_authnz_node shared store 1");
    sip_length(&s, (apr_uint64_t)parts->kind);
    sip_length(&s, (apr_uint64_t)parts->want_user_flags);
    sip_part(&s, parts->server_name);
    sip_length(&s, parts->server_port);
    sip_part(&s, parts->location);
    sip_part(&s, parts->auth_name);
    sip_handlers(&s, form, parts);
    if (!parts->permissions) {
        sip_length(&s, ABSENT);
    }
    else {
        sip_length(&s, (apr_uint64_t)parts->permissions->nelts);
        for (i = 0; i < parts->permissions->nelts; i++) {
            sip_part(&s, APR_ARRAY_IDX(parts->permissions, i, const char *));
        }
    }
    sip_part(&s, parts->client_ip);
    sip_part(&s, parts->user);
    sip_part(&s, parts->password);
    if (!parts->session_key) {
        sip_length(&s, ABSENT);
    }
    else {
        sip_length(&s, parts->session_key_len);
        anp_siphash_update(&s, parts->session_key, parts->session_key_len);
    }
    anp_siphash_final(&s, out->digest); /* wipes s */
}
