/*
 * request.c: building and encoding a check, see request.h.
 */
#include <string.h>

#include "httpd.h"
#include "http_log.h"

#include "anp_protocol.h"
#include "anp_private.h"
#include "environ.h"
#include "handler_ids.h"
#include "request.h"

#define ANP_FIELD_HEADER 3
#define ANP_FRAME_CAP (4 + ANP_MAX_FRAME_LEN)

uint32_t anp_request_handler_id(request_rec *r, const anp_handler *handler)
{
    uint32_t id = anp_handler_id(handler->spec);
    if (id == 0) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      ANPLOGNO(0404) "no handler id for this section's handler: this child has given all %d "
                      "(one per distinct handler configuration) or has no table of them", ANP_MAX_HANDLER_ID);
    }
    return id;
}

/* Who is asking, as the lockout policies key and django-axes records it: only what the request has. */
static void note_client(request_rec *r, anp_request *req)
{
    const char *ip = r->useragent_ip;
    /* An address longer than CLIENT_IP allows cannot be one; the worker then applies no lockout, as for
     * a module that sends none, rather than the check failing. */
    req->client_ip = ip && *ip && strlen(ip) <= ANP_MAX_CLIENT_IP_LEN ? ip : NULL;
    req->user_agent = apr_table_get(r->headers_in, "User-Agent");
    req->http_accept = apr_table_get(r->headers_in, "Accept");
    req->path_info = r->uri;
}

int anp_request_init(request_rec *r, anp_request *req, uint8_t kind, const anp_handler *handler,
                     const char *user, const char *location)
{
    memset(req, 0, sizeof(*req));
    req->kind = kind;
    req->handler = handler;
    req->user = user;
    req->location = location;
    req->timeout = anp_server_timeout(r->server);
    req->handler_id = anp_request_handler_id(r, handler);
    if (kind == ANP_KIND_CHECK_PASSWORD) {
        note_client(r, req);
    }
    return req->handler_id != 0;
}

/* The length a client text field is sent with: cut to the protocol's limit. */
static apr_size_t client_text_len(const char *value)
{
    apr_size_t len = strlen(value);
    return len < ANP_MAX_CLIENT_TEXT_LEN ? len : ANP_MAX_CLIENT_TEXT_LEN;
}

static apr_size_t client_size(const anp_request *req)
{
    apr_size_t size = req->client_ip ? ANP_FIELD_HEADER + strlen(req->client_ip) : 0;
    size += req->user_agent ? ANP_FIELD_HEADER + client_text_len(req->user_agent) : 0;
    size += req->http_accept ? ANP_FIELD_HEADER + client_text_len(req->http_accept) : 0;
    size += req->path_info ? ANP_FIELD_HEADER + client_text_len(req->path_info) : 0;
    return size;
}

static void put_client(anp_writer *w, const anp_request *req)
{
    if (req->client_ip) {
        anp_put_str(w, ANP_TAG_CLIENT_IP, req->client_ip);
    }
    if (req->user_agent) {
        anp_put_field(w, ANP_TAG_USER_AGENT, req->user_agent, client_text_len(req->user_agent));
    }
    if (req->http_accept) {
        anp_put_field(w, ANP_TAG_HTTP_ACCEPT, req->http_accept, client_text_len(req->http_accept));
    }
    if (req->path_info) {
        anp_put_field(w, ANP_TAG_PATH_INFO, req->path_info, client_text_len(req->path_info));
    }
}

static apr_size_t fields_size(const apr_array_header_t *values, int own_env_only)
{
    apr_size_t size = 0;
    int i;
    if (values) {
        for (i = 0; i < values->nelts; i++) {
            const char *value = APR_ARRAY_IDX(values, i, const char *);
            if (!own_env_only || anp_environ_is_own(value)) {
                size += ANP_FIELD_HEADER + strlen(value);
            }
        }
    }
    return size;
}

/* The frame's size with both DEFINE_HANDLERs (whether or not the connection knows the ids), and with all
 * of env or only the module's own entries of it: an upper bound of what anp_request_encode writes. */
static apr_size_t request_size(const anp_request *req, const apr_array_header_t *env, int own_env_only)
{
    apr_size_t size = 4 + ANP_HEADER_LEN;
    size += 3 * (ANP_FIELD_HEADER + 4); /* HANDLER_ID, GROUP_HANDLER_ID, TIMEOUT_MS */
    size += ANP_FIELD_HEADER + 4 + strlen(req->handler->spec);
    size += req->group_handler ? ANP_FIELD_HEADER + 4 + strlen(req->group_handler->spec) : 0;
    size += req->user ? ANP_FIELD_HEADER + strlen(req->user) : 0;
    size += req->session_key ? ANP_FIELD_HEADER + req->session_key_len : 0;
    size += req->want_user_flags ? ANP_FIELD_HEADER : 0;
    size += req->password ? ANP_FIELD_HEADER + strlen(req->password) : 0;
    size += req->realm ? ANP_FIELD_HEADER + strlen(req->realm) : 0;
    size += fields_size(req->groups, 0) + fields_size(req->permissions, 0) + fields_size(env, own_env_only);
    return size + client_size(req);
}

/* Whether the module's own ENV entries (REMOTE_USER, AUTH_TYPE, ...) surely fit with the rest of the
 * request. Counted with both DEFINE_HANDLERs so that the answer is the same on every connection. */
static int own_environ_fits(const anp_request *req, const apr_array_header_t *env)
{
    int fields = 13 + (req->groups ? req->groups->nelts : 0) + (req->permissions ? req->permissions->nelts : 0);
    int i;
    for (i = 0; env && i < env->nelts; i++) {
        const char *entry = APR_ARRAY_IDX(env, i, const char *);
        if (anp_environ_is_own(entry)) {
            if (strlen(entry) > ANP_MAX_FIELD_LEN) {
                return 0;
            }
            fields++;
        }
    }
    return fields <= ANP_MAX_FIELDS && request_size(req, env, 1) <= ANP_FRAME_CAP;
}

const apr_array_header_t *anp_request_environ(request_rec *r, const anp_request *req)
{
    apr_array_header_t *env;
    /* A session check carries no environ: the Cookie header, and the session key in it, stay here. */
    if (req->kind == ANP_KIND_CHECK_SESSION) {
        return NULL;
    }
    if (!req->handler->reads_environ && !(req->group_handler && req->group_handler->reads_environ)) {
        return NULL;
    }
    env = anp_build_environ(r, req->location);
    if (!own_environ_fits(req, env)) {
        /* The handler would see the client's headers without REMOTE_USER or the location it relies on;
         * anp_request_encode refuses the frame, so the check fails. */
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, ANPLOGNO(0350) "the module's own environ entries (request "
                      "URI, REMOTE_USER, ...) do not fit in one request to the worker; the check fails");
    }
    return env;
}

apr_size_t anp_request_capacity(const anp_request *req, const apr_array_header_t *env)
{
    apr_size_t size = request_size(req, env, 0);
    return size < ANP_FRAME_CAP ? size : ANP_FRAME_CAP;
}

/* DEFINE_HANDLER for an id the worker has not acknowledged on this connection (once per frame). */
static void define_if_new(anp_writer *w, const anp_conn *conn, uint32_t id, const anp_handler *handler,
                          anp_encoding *out)
{
    if (anp_conn_knows_handler(conn, id) || (out->defined_count > 0 && out->defined[0] == id)) {
        return;
    }
    anp_put_define_handler(w, id, handler->spec);
    out->defined[out->defined_count++] = id;
}

static void put_all(anp_writer *w, uint8_t tag, const apr_array_header_t *values)
{
    int i;
    if (values) {
        for (i = 0; i < values->nelts; i++) {
            anp_put_str(w, tag, APR_ARRAY_IDX(values, i, const char *));
        }
    }
}

/* ENV entries are optional context: each is appended only if it fits, leaving the frame valid. */
static int put_environ(anp_writer *w, const apr_array_header_t *env)
{
    int i, dropped = 0;
    for (i = 0; env && w->error == ANP_OK && i < env->nelts; i++) {
        const char *entry = APR_ARRAY_IDX(env, i, const char *);
        apr_size_t len = strlen(entry);
        if (len > ANP_MAX_FIELD_LEN || w->field_count >= ANP_MAX_FIELDS
            || w->len + ANP_FIELD_HEADER + len > w->cap) {
            dropped++;
            continue;
        }
        anp_put_field(w, ANP_TAG_ENV, entry, len);
    }
    return dropped;
}

/* Required fields first, ENV last, so that only optional context is left out of a full frame. */
long anp_request_encode(const anp_request *req, const apr_array_header_t *env, const anp_conn *conn,
                        uint32_t id, uint8_t *buf, apr_size_t cap, anp_encoding *out)
{
    anp_writer w;

    memset(out, 0, sizeof(*out));
    anp_writer_init(&w, buf, cap, req->kind, id);
    define_if_new(&w, conn, req->handler_id, req->handler, out);
    anp_put_u32(&w, ANP_TAG_HANDLER_ID, req->handler_id);
    if (req->group_handler) {
        define_if_new(&w, conn, req->group_handler_id, req->group_handler, out);
        anp_put_u32(&w, ANP_TAG_GROUP_HANDLER_ID, req->group_handler_id);
    }
    if (req->user) {
        anp_put_str(&w, ANP_TAG_USER, req->user);
    }
    if (req->session_key) {
        anp_put_field(&w, ANP_TAG_SESSION_KEY, req->session_key, req->session_key_len);
    }
    if (req->want_user_flags) {
        anp_put_field(&w, ANP_TAG_WANT_USER_FLAGS, "", 0);
    }
    if (req->password) {
        anp_put_str(&w, ANP_TAG_PASSWORD, req->password);
    }
    if (req->realm) {
        anp_put_str(&w, ANP_TAG_REALM, req->realm);
    }
    put_all(&w, ANP_TAG_GROUP, req->groups);
    put_all(&w, ANP_TAG_PERMISSION, req->permissions);
    anp_put_u32(&w, ANP_TAG_TIMEOUT_MS, (uint32_t)apr_time_as_msec(req->timeout));
    put_client(&w, req);
    if (!own_environ_fits(req, env) && w.error == ANP_OK) {
        w.error = ANP_E_TOO_LARGE;
    }
    out->env_dropped = put_environ(&w, env);
    return anp_writer_finish(&w);
}
