/*
 * handler_ids.h: each httpd child's handler ids (docs/protocol.md, "Handler ids").
 *
 * A request names its handlers by id; the worker learns what an id stands for once per connection from
 * DEFINE_HANDLER. The child gives each distinct spec text one id, 1..ANP_MAX_HANDLER_ID, the first time
 * a request uses it, and the same text always gets the same id in that child: "the same handler" is
 * decided once, by comparing ids. A mutex-guarded hash table, made in child_init; the texts it keeps are
 * copied into a pool of its own, since merged per-directory configurations live in request pools.
 */
#ifndef ANP_HANDLER_IDS_H
#define ANP_HANDLER_IDS_H

#include <stdint.h>

#include "httpd.h"

/* child_init: makes this child's (empty) table. On failure the child has none and every check fails. */
void anp_handler_ids_child_init(apr_pool_t *pchild, server_rec *s);

/* The id of `spec` in this child, given now if it has none yet; 0 when the table is full or missing
 * (the caller fails the check). */
uint32_t anp_handler_id(const char *spec);

#endif
