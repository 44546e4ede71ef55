/*
 * worker_inputs.h: what httpd's parent hands the worker at each start besides its key (docs/protocol.md,
 * "Bootstrap"): every handler spec text the configuration can produce, so the worker refuses any other,
 * and the content of every `file:` secret the configuration names, read as root.
 */
#ifndef ANP_WORKER_INPUTS_H
#define ANP_WORKER_INPUTS_H

#include "httpd.h"
#include "apr_tables.h"

/* The most distinct specs one configuration may produce: the worker's handler table holds no more. */
#define ANP_MAX_ALLOWED_SPECS 254

typedef struct {
    const char *path;
    const char *content;
    apr_size_t len;
} anp_secret_file;

typedef struct {
    apr_array_header_t *specs;        /* const char * */
    apr_array_header_t *secret_files; /* anp_secret_file */
} anp_worker_inputs;

/* Every handler spec text the configuration can produce (all sections of all servers, through every
 * merge), deduplicated, and every file: secret read as root. Returns NULL, or an error message that
 * fails the start (it names the directive and the file). */
const char *anp_worker_inputs_collect(apr_pool_t *p, server_rec *s, anp_worker_inputs *out);

/* Reads one `file:` secret (path absolute) and checks it as the start does: a regular file that neither
 * others nor httpd's User or Group can read, holding a URL NodeAuthDjangoDatabase accepts (one trailing
 * newline dropped). Returns NULL and sets *secret, or an error message that never quotes the content. */
const char *anp_secret_file_read(apr_pool_t *p, const char *path, anp_secret_file *secret);

/* What a `file:` secret must hold: who names it (for messages), what it is, and the check of its content. */
typedef struct {
    const char *who;
    const char *what;
    const char *(*check)(apr_pool_t *p, const char *content);
} anp_secret_kind;
extern const anp_secret_kind anp_secret_database_url;
extern const anp_secret_kind anp_secret_redis_url;
/* NodeAuthDjangoOption secret_key_file: SECRET_KEY on the first line, SECRET_KEY_FALLBACKS on further lines. */
extern const anp_secret_kind anp_secret_django_secret_key;

/* anp_secret_file_read for a secret of another kind (NodeAuthDjangoOption defender_redis_url file:). */
const char *anp_secret_file_read_as(apr_pool_t *p, const char *path, const anp_secret_kind *kind,
                                    anp_secret_file *secret);

/* The configuration-time check of a secret file (apache2 -t included): anp_secret_file_read_as, then what
 * it read is wiped. Directives are read into pconf, which httpd's children inherit, and nothing keeps that
 * copy: only the start's own read goes into the bootstrap. */
const char *anp_secret_file_check(apr_pool_t *p, const char *path, const anp_secret_kind *kind);

#endif
