/*
 * worker_inputs.c: the handler specs the configuration can produce and the file: secrets it names,
 * gathered in httpd's parent (as root) for the worker's bootstrap.
 *
 * The worker runs only the specs listed here, so the list must hold every text a request can send.
 * A request's per-directory configuration is the server's defaults merged with the <Directory> sections
 * that match it, then <Files>, then <Location>, then <If>, in that order; which of them match depends on
 * the request. So every subset of the sections that can match one request together, taken in that
 * order, is merged here with the module's own merge function (anp_merge_dir_conf), and the specs of each
 * result are kept: what the merge renders at request time is, by construction, one of them.
 *
 * Two plain-path <Location> sections (no regex, no wildcard) match one request only if one path is a
 * prefix of the other, since each must be a prefix of the request's path; the same holds for plain-path
 * <Directory> sections and the file's path. Subsets that join two such sections that are not nested are
 * left out: a site with many sibling locations then has a few results per location, not one per subset.
 * Every other section (regex, wildcard, <Files>, <If>) is taken to match along with anything.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "apr_hash.h"
#include "apr_strings.h"
#include "http_core.h"
#include "unixd.h"

#include "anp_private.h"
#include "anp_protocol.h" /* anp_wipe */
#include "config.h"
#include "worker_inputs.h"

/* What kind of section a section is, for nesting (see above). */
#define ANP_SECTION_OTHER 0
#define ANP_SECTION_DIR 1
#define ANP_SECTION_URL 2

/* Merging subsets doubles the results with each section that changes them; past this many distinct
 * results per server the start fails rather than spend the parent's memory. */
#define ANP_MAX_MERGE_RESULTS 4096

/* A secret is a URL: anything longer is not one, and reading it whole must stay cheap. */
#define ANP_MAX_SECRET_FILE_LEN 8192

typedef struct {
    apr_pool_t *pool;
    apr_array_header_t *sections; /* ap_conf_vector_t *, in merge order */
    apr_array_header_t *paths;    /* const char *, each section's nesting path: NULL when unconstrained */
    apr_array_header_t *is_url;   /* int, each section's: 1 for <Location>, 0 otherwise */
} section_list;

/* One way the sections merge: the result, and the deepest plain <Directory> and <Location> path in it. */
typedef struct {
    const anp_dir_conf *conf;
    const char *dir_path;
    const char *url_path;
} merge_result;

static const anp_dir_conf *dir_conf(const ap_conf_vector_t *v)
{
    return v ? ap_get_module_config(v, &authnz_node_module) : NULL;
}

/* Whether merging this section can change a handler: only these four fields make specs. */
static int sets_handler_fields(const anp_dir_conf *conf)
{
    return conf && (conf->user_script || conf->group_script || conf->django_database || conf->django_options);
}

/* A plain path section's path (what it must be a prefix of to match), or NULL for any other. */
static const char *nesting_path(const ap_conf_vector_t *v, int nested)
{
    const core_dir_config *core = nested ? ap_get_core_module_config(v) : NULL;
    return core && core->d && !core->r && !core->d_is_fnmatch ? core->d : NULL;
}

static void push_section(section_list *list, ap_conf_vector_t *v, int kind)
{
    *(ap_conf_vector_t **)apr_array_push(list->sections) = v;
    *(const char **)apr_array_push(list->paths) = nesting_path(v, kind != ANP_SECTION_OTHER);
    *(int *)apr_array_push(list->is_url) = kind == ANP_SECTION_URL;
}

static void push_sections(section_list *list, const apr_array_header_t *arr, int kind)
{
    int i;
    for (i = 0; arr && i < arr->nelts; i++) {
        push_section(list, ((ap_conf_vector_t **)arr->elts)[i], kind);
    }
}

/* <If>, <ElseIf> and <Else> sections inside v, and those nested in them. */
static void push_if_sections(section_list *list, const ap_conf_vector_t *v)
{
    const core_dir_config *core = ap_get_core_module_config(v);
    int i;
    if (!core || !core->sec_if) {
        return;
    }
    for (i = 0; i < core->sec_if->nelts; i++) {
        ap_conf_vector_t *inner = ((ap_conf_vector_t **)core->sec_if->elts)[i];
        push_section(list, inner, ANP_SECTION_OTHER);
        push_if_sections(list, inner);
    }
}

static const apr_array_header_t *file_sections(const ap_conf_vector_t *v)
{
    const core_dir_config *core = ap_get_core_module_config(v);
    return core ? core->sec_file : NULL;
}

/* The sections a request to server s can merge, in the order httpd merges them. A virtual host's
 * core configuration already holds the main server's sections before its own. */
static void list_sections(section_list *list, server_rec *s)
{
    const core_server_config *core = ap_get_core_module_config(s->module_config);
    int i, before_ifs;

    push_sections(list, core->sec_dir, ANP_SECTION_DIR);
    push_sections(list, file_sections(s->lookup_defaults), ANP_SECTION_OTHER);
    for (i = 0; core->sec_dir && i < core->sec_dir->nelts; i++) {
        push_sections(list, file_sections(((ap_conf_vector_t **)core->sec_dir->elts)[i]), ANP_SECTION_OTHER);
    }
    push_sections(list, core->sec_url, ANP_SECTION_URL);
    /* <If> sections are merged last, from every section that holds one. */
    before_ifs = list->sections->nelts;
    push_if_sections(list, s->lookup_defaults);
    for (i = 0; i < before_ifs; i++) {
        push_if_sections(list, ((ap_conf_vector_t **)list->sections->elts)[i]);
    }
}

static const char *script_key(const anp_script_conf *script)
{
    return script ? script->path : "";
}

/* Two merge results with equal handler fields merge alike from here on, so they are kept once. */
static const char *merge_key(apr_pool_t *p, const anp_dir_conf *conf)
{
    return apr_pstrcat(p, script_key(conf->user_script), conf->user_script && conf->user_script->reload ? "+" : "-",
                       "\n\001", script_key(conf->group_script),
                       conf->group_script && conf->group_script->reload ? "+" : "-", "\n\001",
                       anp_config_render_django_spec(p, conf->django_database ? conf->django_database : "",
                                                     conf->django_options), NULL);
}

/* Whether one of two plain paths is a prefix of the other: only then can both sections match a request. */
static int nested(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    return !strncmp(a, b, la < lb ? la : lb);
}

static void keep_result(apr_pool_t *p, apr_hash_t *results, const merge_result *r)
{
    merge_result *kept = apr_pmemdup(p, r, sizeof(*r));
    /* The deepest paths are part of the key: the same handler fields reached along other sections may
     * still merge differently with the sections that follow. */
    const char *key = apr_pstrcat(p, merge_key(p, r->conf), "\002", r->dir_path ? r->dir_path : "", "\002",
                                  r->url_path ? r->url_path : "", NULL);
    apr_hash_set(results, key, APR_HASH_KEY_STRING, kept);
}

/* Adds, for one section, the merge of it onto every result so far that it can match a request with. */
static const char *merge_section(apr_pool_t *p, apr_hash_t *results, const anp_dir_conf *section, const char *path,
                                 int is_url)
{
    apr_array_header_t *before = apr_array_make(p, apr_hash_count(results), sizeof(const merge_result *));
    apr_hash_index_t *hi;
    int i;

    for (hi = apr_hash_first(p, results); hi; hi = apr_hash_next(hi)) {
        *(const merge_result **)apr_array_push(before) = apr_hash_this_val(hi);
    }
    for (i = 0; i < before->nelts; i++) {
        merge_result next = *((merge_result **)before->elts)[i];
        const char **deepest = is_url ? &next.url_path : &next.dir_path;
        if (path && *deepest && !nested(*deepest, path)) {
            continue;
        }
        if (path && (!*deepest || strlen(path) > strlen(*deepest))) {
            *deepest = path;
        }
        next.conf = anp_merge_dir_conf(p, (void *)next.conf, (void *)section);
        keep_result(p, results, &next);
        if (apr_hash_count(results) > ANP_MAX_MERGE_RESULTS) {
            return apr_psprintf(p, "the NodeAuthUserScript, NodeAuthGroupScript, NodeAuthDjangoDatabase and "
                                "NodeAuthDjangoOption settings of the sections of one server combine in more "
                                "than %d ways; set them in fewer sections", ANP_MAX_MERGE_RESULTS);
        }
    }
    return NULL;
}

static void add_spec(apr_hash_t *specs, const anp_handler *handler)
{
    if (handler) {
        apr_hash_set(specs, handler->spec, APR_HASH_KEY_STRING, handler->spec);
    }
}

/* Every spec a request to server s can carry, added to specs. */
static const char *collect_server(apr_pool_t *p, server_rec *s, apr_hash_t *specs)
{
    section_list list = {p, apr_array_make(p, 16, sizeof(ap_conf_vector_t *)), apr_array_make(p, 16, sizeof(char *)),
                         apr_array_make(p, 16, sizeof(int))};
    apr_hash_t *results = apr_hash_make(p);
    merge_result start = {dir_conf(s->lookup_defaults), NULL, NULL};
    apr_hash_index_t *hi;
    const char *err;
    int i;

    if (!start.conf) {
        return NULL;
    }
    keep_result(p, results, &start);
    list_sections(&list, s);
    for (i = 0; i < list.sections->nelts; i++) {
        const anp_dir_conf *section = dir_conf(((ap_conf_vector_t **)list.sections->elts)[i]);
        if (sets_handler_fields(section)
            && (err = merge_section(p, results, section, APR_ARRAY_IDX(list.paths, i, const char *),
                                    APR_ARRAY_IDX(list.is_url, i, int))) != NULL) {
            return err;
        }
    }
    for (hi = apr_hash_first(p, results); hi; hi = apr_hash_next(hi)) {
        const merge_result *r = apr_hash_this_val(hi);
        add_spec(specs, r->conf->user_handler);
        add_spec(specs, r->conf->group_handler);
    }
    return NULL;
}

/* The spec keys whose value may be file:/abs/path, and how each file's content is checked. */
static const struct {
    const char *prefix;
    const anp_secret_kind *kind;
} secret_keys[] = {
    {"\ndatabase=" ANP_SECRET_FILE_PREFIX, &anp_secret_database_url},
    {"\ndefender_redis_url=" ANP_SECRET_FILE_PREFIX, &anp_secret_redis_url},
    /* A bare path: the file holds more than one line, so it is never a file: value the worker substitutes. */
    {"\nsecret_key_file=", &anp_secret_django_secret_key},
};

/* The file: secrets one spec names, each path read and checked once across all specs. */
static const char *collect_spec_secrets(apr_pool_t *p, const char *spec, apr_hash_t *seen, anp_worker_inputs *out)
{
    size_t i;

    for (i = 0; i < sizeof(secret_keys) / sizeof(secret_keys[0]); i++) {
        const char *at = strstr(spec, secret_keys[i].prefix), *end, *path, *err;
        anp_secret_file secret;
        if (!at) {
            continue;
        }
        at += strlen(secret_keys[i].prefix);
        end = strchr(at, '\n');
        path = end ? apr_pstrmemdup(p, at, (apr_size_t)(end - at)) : apr_pstrdup(p, at);
        if (apr_hash_get(seen, path, APR_HASH_KEY_STRING)) {
            continue;
        }
        apr_hash_set(seen, path, APR_HASH_KEY_STRING, path);
        if ((err = anp_secret_file_read_as(p, path, secret_keys[i].kind, &secret)) != NULL) {
            return err;
        }
        *(anp_secret_file *)apr_array_push(out->secret_files) = secret;
    }
    return NULL;
}

/*
 * A Django spec (every merge of the sections) that sets a session option must name a secret_key_file:
 * every session, db ones included, is signed with SECRET_KEY, so without it no session could be checked.
 */
static const char *check_session_keys(apr_pool_t *p, const char *spec)
{
    static const char *const session_keys[] = {"\nsession_engine=", "\nsession_cookie_name=", "\nsession_cookie_age=",
                                               "\nsession_file_path=", "\nauthentication_backends=",
                                               "\nhashing_algorithm=", NULL};
    int i;

    if (strstr(spec, "\nsecret_key_file=")) {
        /*
         * With USE_TZ off Django stores expire_date in TIME_ZONE's local time: the worker must know the zone.
         * (use_tz and time_zone alone, without a secret, are unread: no session is checked.)
         */
        if (strstr(spec, "\nuse_tz=off") && !strstr(spec, "\ntime_zone=")) {
            return "NodeAuthDjangoOption use_tz: off stores session expiry in TIME_ZONE's local time: set time_zone "
                   "to the site's TIME_ZONE";
        }
        return NULL;
    }
    for (i = 0; session_keys[i]; i++) {
        if (strstr(spec, session_keys[i])) {
            return apr_psprintf(p, "NodeAuthDjangoOption %.*s: needs secret_key_file in the same or an enclosing "
                                "section (Django signs every session with its SECRET_KEY)",
                                (int)strlen(session_keys[i]) - 2, session_keys[i] + 1);
        }
    }
    return NULL;
}

/* The file: secrets the specs name, each read and checked once. */
static const char *collect_secrets(apr_pool_t *p, apr_hash_t *specs, anp_worker_inputs *out)
{
    apr_hash_t *seen = apr_hash_make(p);
    apr_hash_index_t *hi;
    const char *err;

    for (hi = apr_hash_first(p, specs); hi; hi = apr_hash_next(hi)) {
        if ((err = check_session_keys(p, apr_hash_this_val(hi))) != NULL
            || (err = collect_spec_secrets(p, apr_hash_this_val(hi), seen, out)) != NULL) {
            return err;
        }
    }
    return NULL;
}

const char *anp_worker_inputs_collect(apr_pool_t *p, server_rec *s, anp_worker_inputs *out)
{
    apr_hash_t *specs = apr_hash_make(p);
    apr_hash_index_t *hi;
    const char *err;

    out->specs = apr_array_make(p, 8, sizeof(const char *));
    out->secret_files = apr_array_make(p, 1, sizeof(anp_secret_file));
    for (; s; s = s->next) {
        if ((err = collect_server(p, s, specs)) != NULL) {
            return err;
        }
    }
    if (apr_hash_count(specs) > ANP_MAX_ALLOWED_SPECS) {
        return apr_psprintf(p, "the NodeAuthUserScript, NodeAuthGroupScript, NodeAuthDjangoDatabase and "
                            "NodeAuthDjangoOption settings make %u distinct handlers; the worker holds at most %d",
                            apr_hash_count(specs), ANP_MAX_ALLOWED_SPECS);
    }
    for (hi = apr_hash_first(p, specs); hi; hi = apr_hash_next(hi)) {
        *(const char **)apr_array_push(out->specs) = apr_hash_this_val(hi);
    }
    return collect_secrets(p, specs, out);
}

/* ------------------------------------------------------------------------------------------------ */
/* file: secrets                                                                                     */
/* ------------------------------------------------------------------------------------------------ */

/* Whether httpd's User is in group gid (as its primary group, httpd's Group, or a supplementary one). */
static int httpd_user_in_group(gid_t gid)
{
    gid_t groups[256];
    int n = 256, i;

    if (gid == ap_unixd_config.group_id) {
        return 1;
    }
    if (!ap_unixd_config.user_name
        || getgrouplist(ap_unixd_config.user_name, ap_unixd_config.group_id, groups, &n) < 0) {
        /* Unknown membership: count it as a member, so the file is refused rather than exposed. */
        return 1;
    }
    for (i = 0; i < n; i++) {
        if (groups[i] == gid) {
            return 1;
        }
    }
    return 0;
}

/* Why st is not a file only root (and whom the administrator chose) can read, or NULL. */
static const char *exposure(const struct stat *st)
{
    if (!S_ISREG(st->st_mode)) {
        return "is not a regular file";
    }
    if (st->st_mode & (S_IROTH | S_IWOTH)) {
        return "can be read or written by others (chmod o-rw)";
    }
    if (st->st_uid == ap_unixd_config.user_id) {
        return "belongs to httpd's User, who could read it (chown root)";
    }
    if ((st->st_mode & (S_IRGRP | S_IWGRP)) && httpd_user_in_group(st->st_gid)) {
        return "is readable or writable by a group httpd's User is in (chmod g-rw or chgrp)";
    }
    return NULL;
}

const anp_secret_kind anp_secret_database_url = {ANP_DIRECTIVE_DJANGO_DATABASE, "a database URL",
                                                 anp_config_check_database_url};
const anp_secret_kind anp_secret_redis_url = {"NodeAuthDjangoOption defender_redis_url", "a Redis URL",
                                              anp_config_check_redis_url};
const anp_secret_kind anp_secret_django_secret_key = {"NodeAuthDjangoOption secret_key_file", "a Django SECRET_KEY",
                                                      anp_config_check_secret_key};

static const char *read_whole(apr_pool_t *p, int fd, const char *path, const char *who, anp_secret_file *secret)
{
    char *buf = apr_palloc(p, ANP_MAX_SECRET_FILE_LEN + 1);
    apr_size_t len = 0;
    ssize_t n;

    while (len <= ANP_MAX_SECRET_FILE_LEN
           && (n = read(fd, buf + len, ANP_MAX_SECRET_FILE_LEN + 1 - len)) != 0) {
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            return apr_psprintf(p, "%s: cannot read %s: %s", who, path, strerror(errno));
        }
        len += (apr_size_t)n;
    }
    if (len > ANP_MAX_SECRET_FILE_LEN) {
        return apr_psprintf(p, "%s: %s is longer than %d bytes", who, path, ANP_MAX_SECRET_FILE_LEN);
    }
    if (len > 0 && buf[len - 1] == '\n') {
        len--;
    }
    buf[len] = '\0';
    secret->path = path;
    secret->content = buf;
    secret->len = len;
    return NULL;
}

const char *anp_secret_file_read(apr_pool_t *p, const char *path, anp_secret_file *secret)
{
    return anp_secret_file_read_as(p, path, &anp_secret_database_url, secret);
}

const char *anp_secret_file_check(apr_pool_t *p, const char *path, const anp_secret_kind *kind)
{
    anp_secret_file secret = {NULL, NULL, 0};
    const char *err = anp_secret_file_read_as(p, path, kind, &secret);

    if (secret.content) {
        anp_wipe((void *)secret.content, secret.len);
    }
    return err;
}

const char *anp_secret_file_read_as(apr_pool_t *p, const char *path, const anp_secret_kind *kind,
                                    anp_secret_file *secret)
{
    /* O_NONBLOCK: a FIFO must not hang the start; O_NOFOLLOW: the checks are about this very file. */
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    struct stat st;
    const char *err;

    if (fd < 0) {
        return apr_psprintf(p, "%s: cannot open %s: %s", kind->who, path,
                            errno == ELOOP ? "it is a symbolic link" : strerror(errno));
    }
    if (fstat(fd, &st) != 0) {
        err = apr_psprintf(p, "%s: cannot stat %s: %s", kind->who, path, strerror(errno));
    }
    else if ((err = exposure(&st)) != NULL) {
        err = apr_psprintf(p, "%s: %s %s", kind->who, path, err);
    }
    else {
        err = read_whole(p, fd, path, kind->who, secret);
    }
    close(fd);
    if (!err && (err = kind->check(p, secret->content)) != NULL) {
        /* The reasons never quote a URL that could hold a password (only a SQLite path). */
        err = apr_psprintf(p, "%s: %s does not hold %s: %s", kind->who, path, kind->what, err);
    }
    return err;
}
