/*
 * worker_identity.c: the per-generation key and the supervised worker's identity.
 *
 * The key is drawn in httpd's parent before the MPM forks, so every child holds it in memory without
 * it ever touching a file, argv or the environment; the worker gets it over the bootstrap descriptor.
 * The DSO is loaded again for every generation, so a graceful restart starts from a zeroed key and
 * draws a new one.
 *
 * The identity lives in anonymous shared memory made before the fork: the parent rewrites it at each
 * spawn and clears it when the worker dies, and the children read it when they check who listens on
 * the socket. pid and uid are packed into one 64-bit word stored and loaded atomically, so a child
 * never sees the pid of one worker with the uid of another, and no lock is shared with the parent.
 */
#include <stdint.h>
#include <string.h>

#include "httpd.h"
#include "apr_general.h"
#include "apr_shm.h"
#include "http_log.h"

#include "anp_protocol.h"
#include "anp_private.h"
#include "worker_identity.h"
#include "worker_supervisor.h"

static unsigned char generation_key[ANP_GENERATION_KEY_LEN];
static int have_key;
static volatile uint64_t *identity_slot;

const unsigned char *anp_generation_key(void)
{
    return have_key ? generation_key : NULL;
}

int anp_worker_identity(pid_t *pid, uid_t *uid)
{
    uint64_t word;

    if (!identity_slot) {
        return 0;
    }
    word = __atomic_load_n(identity_slot, __ATOMIC_ACQUIRE);
    if ((uint32_t)(word >> 32) == 0) {
        return 0;
    }
    *pid = (pid_t)(uint32_t)(word >> 32);
    *uid = (uid_t)(uint32_t)word;
    return 1;
}

void anp_worker_identity_set(pid_t pid, uid_t uid)
{
    uint64_t word = pid > 0 ? ((uint64_t)(uint32_t)pid << 32) | (uint32_t)uid : 0;

    if (identity_slot) {
        __atomic_store_n(identity_slot, word, __ATOMIC_RELEASE);
    }
}

/* pconf cleanup in the parent and in every child tearing down: the key outlives no generation. */
static apr_status_t forget_generation(void *data)
{
    (void)data;
    anp_wipe(generation_key, sizeof(generation_key));
    have_key = 0;
    identity_slot = NULL;
    return APR_SUCCESS;
}

int anp_generation_init(apr_pool_t *pconf, server_rec *s)
{
    apr_shm_t *shm = NULL;
    apr_status_t rv;

    rv = apr_generate_random_bytes(generation_key, sizeof(generation_key));
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s, ANPLOGNO(0330) "cannot draw this generation's key");
        return 0;
    }
    /* Anonymous: no file anyone could open; the children inherit the mapping across fork. */
    rv = apr_shm_create(&shm, sizeof(uint64_t), NULL, pconf);
    if (rv != APR_SUCCESS) {
        anp_wipe(generation_key, sizeof(generation_key));
        ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s,
                     ANPLOGNO(0331) "cannot make the shared memory that tells the children who the worker is");
        return 0;
    }
    identity_slot = apr_shm_baseaddr_get(shm);
    __atomic_store_n(identity_slot, (uint64_t)0, __ATOMIC_RELEASE);
    have_key = 1;
    apr_pool_cleanup_register(pconf, NULL, forget_generation, apr_pool_cleanup_null);
    return 1;
}
