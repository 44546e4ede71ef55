/*
 * config.h: the module's directives, its per-server and per-directory configuration, and each
 * directory's handlers with their spec text (docs/protocol.md, "Handler specs").
 * Configuration is read-only once httpd has parsed it, so request threads share it without locks.
 */
#ifndef ANP_CONFIG_H
#define ANP_CONFIG_H

#include "httpd.h"
#include "http_config.h"
#include "apr_tables.h"

/* NodeAuthTimeout's default and bounds. */
#define ANP_DEFAULT_TIMEOUT apr_time_from_msec(5000)
#define ANP_MIN_TIMEOUT apr_time_from_msec(100)
#define ANP_MAX_TIMEOUT apr_time_from_sec(300)

/* NodeAuthWorkerHeartbeat's default and bounds: how old the worker's last beat may be before httpd's
 * parent replaces it (worker_heartbeat.h); ANP_HEARTBEAT_OFF when the directive says off. */
#define ANP_DEFAULT_HEARTBEAT apr_time_from_sec(5)
#define ANP_MIN_HEARTBEAT apr_time_from_sec(2)
#define ANP_MAX_HEARTBEAT apr_time_from_sec(3600)
#define ANP_HEARTBEAT_OFF ((apr_interval_time_t)-1)

/* The children's shared store of stamped grants (shared_cache.h), made only when a section has
 * NodeAuthDjangoOption change_feed on. */
#define ANP_DEFAULT_SHARED_ENTRIES 16384u
#define ANP_DEFAULT_SHARED_MAX_AGE 60
#define ANP_MAX_SHARED_MAX_AGE 3600

/* The longest path a Unix socket address can hold (sun_path minus its NUL). */
#define ANP_MAX_SOCKET_PATH 107

typedef struct {
    /* Global settings (main server only; a virtual host may not set them). */
    const char *node_binary;       /* NodeAuthNodeBinary; default ANP_DEFAULT_NODE */
    const char *worker_script;     /* NodeAuthWorker; default ANP_DEFAULT_WORKER */
    const char *socket_path;       /* NodeAuthSocket, absolute; NULL: a default under DefaultRuntimeDir */
    const char *worker_user;       /* NodeAuthWorkerUser; NULL: httpd's User */
    const char *worker_log_level;  /* NodeAuthWorkerLogLevel; NULL: the worker's default */
    const char *admin_user;        /* NodeAuthAdminUser: owner of admin.sock; NULL: root */
    apr_array_header_t *worker_args; /* NodeAuthWorkerArgs: extra arguments, appended as given */
    apr_array_header_t *worker_env;  /* NodeAuthWorkerEnv: names (const char *) passed from httpd's environ */
    apr_interval_time_t worker_heartbeat; /* NodeAuthWorkerHeartbeat; 0: unset (ANP_DEFAULT_HEARTBEAT) */
    apr_uint32_t shared_cache_entries; /* NodeAuthSharedCacheEntries; 0: unset (ANP_DEFAULT_SHARED_ENTRIES) */
    int shared_cache_max_age;      /* NodeAuthSharedCacheMaxAge, seconds; 0: unset (ANP_DEFAULT_SHARED_MAX_AGE) */
    /* Per virtual host. */
    apr_interval_time_t timeout;   /* NodeAuthTimeout; 0: unset (ANP_DEFAULT_TIMEOUT) */
    /* Set when a section of this server has NodeAuthCacheSeconds > 0: only then does child_init make the
     * grant cache, so a configuration without it costs no memory. */
    int grant_cache_wanted;
    /* Set when a section of this server has NodeAuthDjangoOption change_feed on: only then does post_config
     * make the generations table and the shared store of stamped grants (generations_file.h, shared_cache.h). */
    int change_feed_wanted;
    /* The brute-force directives' worker flags (throttle_config.c), flag -> value; NULL: none set. */
    apr_table_t *throttle_flags;
} anp_server_conf;

/*
 * A handler as requests name it: the spec text the worker creates it from (DEFINE_HANDLER), and whether
 * it reads the request's environ. Only script handlers (mod_wsgi's contract) do; the built-in Django
 * handler does not, so its requests carry no ENV fields.
 */
typedef struct {
    const char *spec;
    int reads_environ;
} anp_handler;

typedef struct {
    const char *path;   /* absolute path of the script (or a package specifier) */
    int reload;         /* reload=on */
} anp_script_conf;

typedef struct {
    /* The <Location>/<Directory> path this configuration was written in (NULL: server level). */
    const char *location;
    const anp_script_conf *user_script;   /* NodeAuthUserScript */
    const anp_script_conf *group_script;  /* NodeAuthGroupScript */
    const char *django_database;          /* NodeAuthDjangoDatabase */
    apr_table_t *django_options;          /* NodeAuthDjangoOption key value; NULL: none here */
    /*
     * The handlers, rendered from the fields above and kept in step with them: at config time by every
     * directive, and by the merge when a section changes something its parent set. NULL: none.
     * user_handler answers CHECK_PASSWORD and GET_REALM_HASH; group_handler GROUPS_FOR_USER and
     * HAS_PERMISSION (and the groups and permissions folded into CHECK_PASSWORD).
     */
    const anp_handler *user_handler;
    const anp_handler *group_handler;
    /*
     * Set when a `Require node-group`/`group` line was parsed in this section (or an enclosing one):
     * the password check then asks the worker for the user's groups in the same trip (GROUP_HANDLER_ID),
     * and the group check needs no second one.
     */
    int fold_groups;
    /*
     * The names of the `Require node-permission` lines parsed in this section (and enclosing ones) that
     * hold no ap_expr: the password check sends them (PERMISSION) and the worker answers the held ones,
     * so the permission check needs no second trip. NULL: none. Lines with `%{` are asked per request.
     */
    const apr_array_header_t *fold_permissions;
    /* NodeAuthCacheSeconds: how long a granted password check is remembered in the child (grant_cache.h);
     * -1: not set here (inherited; 0 when nothing sets it, which is off). */
    int cache_seconds;
    /* Require node-staff / node-superuser lines parsed here (or in an enclosing section): the check asks
     * for the user's flags in the same trip (WANT_USER_FLAGS). ANP_USER_FLAG_* bits. */
    int fold_user_flags;
    /* AuthType DjangoSession (session_config.h): each unset value is -1 or NULL, inherited by the merge. */
    const char *session_login_url;            /* NodeAuthSessionLoginURL; NULL: none */
    int session_deny_status;                  /* NodeAuthSessionDenyStatus 401 or 403; 0: unset (401) */
    int session_basic_fallback;               /* NodeAuthSessionBasicFallback; -1: unset (off) */
    const apr_array_header_t *session_origins; /* NodeAuthSessionTrustedOrigins (const char *); NULL: none */
    int session_cache;                        /* NodeAuthSessionCache; -1: unset (off) */
} anp_dir_conf;

extern const command_rec anp_directives[];

void *anp_create_server_conf(apr_pool_t *p, server_rec *s);
void *anp_merge_server_conf(apr_pool_t *p, void *base, void *add);
void *anp_create_dir_conf(apr_pool_t *p, char *dir);
void *anp_merge_dir_conf(apr_pool_t *p, void *base, void *add);

/* Marks the section being parsed as one whose Require lines ask for groups (see fold_groups). */
void anp_config_note_group_require(cmd_parms *cmd);

/* Adds the names of a `Require node-permission` line without expressions to the section's
 * fold_permissions. */
void anp_config_note_permission_require(cmd_parms *cmd, const char *require_line);

/* Marks the section being parsed as one whose Require lines ask for a user flag (ANP_USER_FLAG_*). */
void anp_config_note_user_flag(cmd_parms *cmd, int flag);

/* The section's NodeAuthDjangoOption value for key, or NULL. */
const char *anp_config_django_option(const anp_dir_conf *conf, const char *key);

/* NodeAuthCacheSeconds in effect for a directory: 0 (off) unless a section sets it. */
int anp_dir_cache_seconds(const anp_dir_conf *conf);

/* Whether any section of any server enables the grant cache (decides child_init's allocation). */
int anp_config_grant_cache_wanted(server_rec *s);

/* Whether any section of any server has NodeAuthDjangoOption change_feed on. */
int anp_config_change_feed_wanted(server_rec *s);

/* NodeAuthTimeout in effect for a server. */
apr_interval_time_t anp_server_timeout(const server_rec *s);

/* The longest NodeAuthTimeout of the main server and its virtual hosts: the worker's cap on any check
 * (each request carries its own server's timeout under it). */
apr_interval_time_t anp_config_longest_timeout(server_rec *s);

/* Why url (a database URL as NodeAuthDjangoDatabase takes it, not its file: form) is refused, or NULL.
 * The reason never quotes a URL that could carry a password. */
const char *anp_config_check_database_url(apr_pool_t *p, const char *url);
/* Why url is not a Redis URL defender-settings.ts admits (redis:// or rediss://), or NULL; never quotes it. */
const char *anp_config_check_redis_url(apr_pool_t *p, const char *url);
/* The content of a secret_key_file (first line the SECRET_KEY, not empty), or why it is refused; never quotes it. */
const char *anp_config_check_secret_key(apr_pool_t *p, const char *content);

/* The type=django spec text for a database and options (sorted by key; options may be NULL). */
const char *anp_config_render_django_spec(apr_pool_t *p, const char *database, const apr_table_t *options);

/* NodeAuthDjangoDatabase file:/abs/path: the URL is the content of a file root reads at each start. */
#define ANP_SECRET_FILE_PREFIX "file:"

/* The directive names, for messages. */
#define ANP_DIRECTIVE_USER_SCRIPT "NodeAuthUserScript"
#define ANP_DIRECTIVE_GROUP_SCRIPT "NodeAuthGroupScript"
#define ANP_DIRECTIVE_DJANGO_DATABASE "NodeAuthDjangoDatabase"
#define ANP_DIRECTIVE_CACHE_SECONDS "NodeAuthCacheSeconds"

#endif
