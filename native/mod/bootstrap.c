/*
 * bootstrap.c: encodes and sends the BOOTSTRAP frame to the worker.
 *
 * The frame goes over a socketpair the worker inherits, never argv, the environment or a file, where
 * httpd's User could read it. The parent writes the whole frame into the socket's buffer before it
 * forks and closes its end at once: it never waits on the worker, so a worker that never reads cannot
 * stall httpd's parent. The send buffer is sized to the frame; a frame the kernel will not take whole
 * fails that spawn rather than block.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "httpd.h"
#include "http_log.h"

#include "anp_protocol.h"
#include "anp_private.h"
#include "bootstrap.h"

struct anp_bootstrap {
    uint8_t *frame;
    long len;
};

static apr_status_t wipe_frame(void *data)
{
    anp_bootstrap *b = data;

    anp_wipe(b->frame, (size_t)b->len);
    return APR_SUCCESS;
}

void anp_bootstrap_forget(anp_bootstrap *b)
{
    if (b && b->frame) {
        wipe_frame(b);
    }
}

/* SECRET_FILE's value: the path, a NUL byte, the content. */
static void put_secret(anp_writer *w, apr_pool_t *p, const anp_secret_file *secret)
{
    size_t path_len = strlen(secret->path);
    size_t len = path_len + 1 + secret->len;
    uint8_t *value = apr_palloc(p, len ? len : 1);

    memcpy(value, secret->path, path_len + 1);
    memcpy(value + path_len + 1, secret->content, secret->len);
    anp_put_field(w, ANP_TAG_SECRET_FILE, value, len);
    anp_wipe(value, len);
}

anp_bootstrap *anp_bootstrap_make(apr_pool_t *pconf, server_rec *s, const unsigned char *key,
                                  const anp_worker_inputs *inputs)
{
    anp_bootstrap *b = apr_pcalloc(pconf, sizeof(*b));
    size_t cap = 4 + ANP_MAX_FRAME_LEN;
    anp_writer w;
    int i;

    b->frame = apr_palloc(pconf, cap);
    anp_writer_init(&w, b->frame, cap, ANP_KIND_BOOTSTRAP, 0);
    anp_put_field(&w, ANP_TAG_GENERATION_KEY, key, ANP_GENERATION_KEY_LEN);
    for (i = 0; i < inputs->specs->nelts; i++) {
        anp_put_str(&w, ANP_TAG_ALLOWED_SPEC, APR_ARRAY_IDX(inputs->specs, i, const char *));
    }
    for (i = 0; i < inputs->secret_files->nelts; i++) {
        put_secret(&w, pconf, &APR_ARRAY_IDX(inputs->secret_files, i, anp_secret_file));
    }
    b->len = anp_writer_finish(&w);
    apr_pool_cleanup_register(pconf, b, wipe_frame, apr_pool_cleanup_null);
    if (b->len <= 0) {
        b->len = (long)cap;
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s,
                     ANPLOGNO(0336) "the worker's bootstrap does not fit one frame (%d handler specs, %d secret "
                     "files; error %ld): fewer distinct NodeAuth* handler configurations are needed",
                     inputs->specs->nelts, inputs->secret_files->nelts, b->len);
        return NULL;
    }
    return b;
}

int anp_bootstrap_channel(const anp_bootstrap *b, server_rec *s)
{
    int fds[2], size = (int)b->len * 2;
    ssize_t sent;

    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) {
        ap_log_error(APLOG_MARK, APLOG_ERR, errno, s, ANPLOGNO(0337) "socketpair for the worker's bootstrap failed");
        return -1;
    }
    /* Room for the whole frame (the kernel's bookkeeping counts against the buffer too, hence twice). */
    setsockopt(fds[0], SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
    do {
        sent = send(fds[0], b->frame, (size_t)b->len, MSG_DONTWAIT | MSG_NOSIGNAL);
    } while (sent < 0 && errno == EINTR);
    close(fds[0]);
    if (sent != (ssize_t)b->len) {
        ap_log_error(APLOG_MARK, APLOG_ERR, sent < 0 ? errno : 0, s,
                     ANPLOGNO(0338) "the worker's bootstrap (%ld bytes) did not fit the socket's buffer (%ld "
                     "written): this start of the worker fails", b->len, (long)sent);
        close(fds[1]);
        return -1;
    }
    return fds[1];
}
