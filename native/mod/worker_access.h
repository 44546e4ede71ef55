/*
 * worker_access.h: can the worker's user reach what the worker loads?
 *
 * Asked as that user, not as root: a forked child drops to the worker's identity (setgid, initgroups,
 * setuid, as the supervisor's child does before exec) and searches each directory on each path and opens
 * each file, then tells httpd's parent through a pipe which path component stopped it. A checkout under
 * a 0700 home directory is refused here, at -t and at start, instead of a worker that cannot find its
 * own script and is restarted forever.
 */
#ifndef ANP_WORKER_ACCESS_H
#define ANP_WORKER_ACCESS_H

#include <sys/types.h>

#include "httpd.h"

typedef struct {
    int drop_privileges;   /* 0: the worker runs as httpd's parent does (not root); nothing to drop */
    uid_t uid;
    gid_t gid;
    const char *user_name; /* for initgroups() and the messages */
} anp_access_user;

/* In a forked child: becomes `who` (setgid, initgroups, setuid) when privileges are to be dropped.
 * Returns 0, or the errno of the step that failed. */
int anp_access_become(const anp_access_user *who);

/*
 * Checks that `who` can execute node_binary and read worker_script, and, in the package the script
 * belongs to (the nearest directory above it with a package.json), package.json, node_modules and
 * build/Release/anp_addon.node when they exist. Returns NULL when it can, else a message naming the
 * user and the path component that stops it (allocated in p). Any failure to check is a refusal.
 */
const char *anp_worker_access_check(apr_pool_t *p, const anp_access_user *who, const char *node_binary,
                                    const char *worker_script);

#endif
