/*
 * grant_payload.h: how the grant cache stores a GRANTED answer inside an entry: the renamed user, the
 * folded groups and the held permissions as one flat byte string, so an entry is a fixed-size slot with
 * no pointers into pools that die with a request.
 */
#ifndef ANP_GRANT_PAYLOAD_H
#define ANP_GRANT_PAYLOAD_H

#include "httpd.h"

#include "grant_cache.h"

/* Writes the grant into buf[0..cap); returns the bytes used, or 0 when it does not fit. */
apr_size_t anp_grant_payload_encode(const anp_grant *grant, unsigned char *buf, apr_size_t cap);

/* Reads a payload back; names point into buf and arrays come from p. 0 when anything does not add up. */
int anp_grant_payload_decode(apr_pool_t *p, const unsigned char *buf, apr_size_t len, anp_grant *grant);

#endif
