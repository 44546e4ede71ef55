/*
 * generations_file.c: the parent's side of the generations table (generations_file.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "httpd.h"
#include "http_log.h"
#include "apr_strings.h"

#include "anp_private.h"
#include "generations_file.h"

/* One per generation of httpd's configuration: the DSO is loaded again each time, so this starts zeroed. */
static anp_generations table;
static const char *table_path;

static apr_status_t unmap_table(void *data)
{
    (void)data;
    anp_generations_unmap(&table);
    table_path = NULL;
    return APR_SUCCESS;
}

/* A fresh file of the table's size, owned by `owner` and 0600, formatted through a short-lived mapping. */
static int create_formatted(const char *path, uid_t owner, const char **what)
{
    anp_generations writable;
    int fd, err;

    if (unlink(path) != 0 && errno != ENOENT) {
        *what = "unlink the leftover";
        return errno;
    }
    fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
        *what = "create";
        return errno;
    }
    err = ftruncate(fd, (off_t)anp_generations_bytes(ANP_GENERATIONS_FILE_SLOTS)) != 0 ? errno : 0;
    *what = "size";
    if (!err && geteuid() == 0 && fchown(fd, owner, (gid_t)-1) != 0) {
        err = errno;
        *what = "chown to the worker's user";
    }
    if (!err && fchmod(fd, 0600) != 0) {
        err = errno;
        *what = "chmod 0600";
    }
    if (!err && (err = anp_generations_map(fd, 1, &writable, what)) == 0) {
        anp_generations_unmap(&writable);
    }
    close(fd);
    return err;
}

const char *anp_generations_file_make(apr_pool_t *pconf, server_rec *s, const char *dir, uid_t owner)
{
    const char *path = apr_pstrcat(pconf, dir, "/generations", NULL);
    const char *what = "";
    int fd, err;

    err = create_formatted(path, owner, &what);
    if (err) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, err, s, ANPLOGNO(0109) "cannot make the generations table %s (%s)",
                     path, what);
        return NULL;
    }
    fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    err = fd < 0 ? errno : anp_generations_map(fd, 0, &table, &what);
    if (fd < 0) {
        what = "open read-only";
    }
    else {
        close(fd); /* the mapping stays; no descriptor is left for a child to find */
    }
    if (err) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, err, s, ANPLOGNO(0110) "cannot map the generations table %s "
                     "read-only (%s)", path, what);
        return NULL;
    }
    table_path = path;
    apr_pool_cleanup_register(pconf, NULL, unmap_table, apr_pool_cleanup_null);
    return path;
}

const anp_generations *anp_generations_file_table(void)
{
    return table.words ? &table : NULL;
}

int anp_generations_file_give(const char *path)
{
    int fd = open(path, O_RDWR | O_NOFOLLOW);

    if (fd < 0) {
        return errno;
    }
    if (fd != ANP_GENERATIONS_FD) {
        if (dup2(fd, ANP_GENERATIONS_FD) != ANP_GENERATIONS_FD) {
            int err = errno;
            close(fd);
            return err;
        }
        close(fd);
    }
    return 0;
}

void anp_generations_file_end_lease(server_rec *s)
{
    anp_generations writable;
    const char *what = "open";
    int fd, err;

    if (!table_path) {
        return;
    }
    fd = open(table_path, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
    err = fd < 0 ? errno : anp_generations_map(fd, 1, &writable, &what);
    if (fd >= 0) {
        close(fd);
    }
    if (err) {
        ap_log_error(APLOG_MARK, APLOG_ERR, err, s, ANPLOGNO(0354) "cannot end the worker's lease in %s (%s): "
                     "kept grants stay current until the lease runs out", table_path, what);
        return;
    }
    anp_generations_set_lease(&writable, 0);
    anp_generations_bump_epoch(&writable);
    anp_generations_unmap(&writable);
}
