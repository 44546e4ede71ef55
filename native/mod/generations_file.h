/*
 * generations_file.h: httpd's parent's side of the generations table (anp_generations.h), made only when a
 * section has NodeAuthDjangoOption change_feed on.
 *
 * In post_config the parent (root) makes <socket dir>/generations afresh: owned by the worker's user, 0600,
 * sized for ANP_GENERATIONS_FILE_SLOTS slots and formatted. It keeps no descriptor open for writing: it maps
 * the file read-only through a descriptor opened O_RDONLY, so the children inherit a mapping they cannot
 * make writable (mprotect needs a descriptor opened for writing), and httpd's User, who reaches the root-owned
 * socket directory only through its group, can neither open nor rename nor replace the file. Each start of
 * the worker opens it O_RDWR in the forked process, still root, at ANP_GENERATIONS_FD (--generations-fd 7).
 *
 * When the worker dies or is stopped, the parent ends its lease and moves the epoch through a writable
 * mapping that it unmaps before returning (so no fork ever copies it): every kept grant stops being current
 * at once, before the next worker starts a new epoch of its own.
 *
 * Log ids: ANP0109-0110 (post_config), ANP0354 (ending the lease).
 */
#ifndef ANP_GENERATIONS_FILE_H
#define ANP_GENERATIONS_FILE_H

#include <sys/types.h>

#include "httpd.h"
#include "anp_generations.h"

#define ANP_GENERATIONS_FILE_SLOTS 65536u
/* The worker's descriptor for it (--generations-fd), after the admin listener at 6. */
#define ANP_GENERATIONS_FD 7

/* post_config, parent: makes, formats and maps the file in `dir` for the worker's `owner`. The path, or
 * NULL when it could not (logged; httpd then does not start). The mapping is removed with pconf. */
const char *anp_generations_file_make(apr_pool_t *pconf, server_rec *s, const char *dir, uid_t owner);

/* The children's read-only mapping; NULL when no section has change_feed on (or this is another generation). */
const anp_generations *anp_generations_file_table(void);

/* In the forked worker, as root: opens the file O_RDWR at ANP_GENERATIONS_FD. 0, or an errno value. */
int anp_generations_file_give(const char *path);

/* Parent: lease 0 and a new epoch, through a writable mapping made and removed here. */
void anp_generations_file_end_lease(server_rec *s);

#endif
