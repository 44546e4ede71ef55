/*
 * throttle_config.c: the brute-force directives, see throttle_config.h.
 */
#include <arpa/inet.h>
#include <string.h>

#include "httpd.h"
#include "http_config.h"
#include "apr_lib.h"
#include "apr_strings.h"

#include "anp_private.h"
#include "config.h"
#include "throttle_config.h"

/* The numeric directives: their worker flag and range. */
typedef struct {
    const char *directive;
    const char *flag;
    long min;
    long max;
} anp_throttle_number;

static const anp_throttle_number numbers[] = {
    {"NodeAuthThrottleAddressLimit", "--throttle-address-limit", 1, 1000000},
    {"NodeAuthThrottlePairLimit", "--throttle-pair-limit", 1, 1000000},
    {"NodeAuthThrottleUserLimit", "--throttle-user-limit", 0, 1000000},
    {"NodeAuthThrottleWindow", "--throttle-window", 1, 86400},
    {"NodeAuthHashQueue", "--hash-queue", 1, 1024},
    {NULL, NULL, 0, 0}};

#define ANP_FLAG_THROTTLE "--throttle"
#define ANP_FLAG_BACKOFF "--throttle-backoff"
#define ANP_FLAG_EXEMPT "--throttle-exempt"
#define ANP_MAX_BACKOFF 86400

/* The main server's table of flags, made on first use (set only by GLOBAL_ONLY directives). */
static apr_table_t *flags_of(cmd_parms *cmd)
{
    anp_server_conf *conf = ap_get_module_config(cmd->server->module_config, &authnz_node_module);
    if (!conf->throttle_flags) {
        conf->throttle_flags = apr_table_make(cmd->pool, 8);
    }
    return conf->throttle_flags;
}

/* A whole number of at most 7 digits (no sign, no space, no unit), or -1. */
static long parse_count(const char *value)
{
    long n = 0;
    const char *c;
    if (!*value || strlen(value) > 7) {
        return -1;
    }
    for (c = value; *c; c++) {
        if (!apr_isdigit(*c)) {
            return -1;
        }
        n = n * 10 + (*c - '0');
    }
    return n;
}

const char *anp_throttle_set_onoff(cmd_parms *cmd, void *dummy, int on)
{
    const char *err = ap_check_cmd_context(cmd, GLOBAL_ONLY);
    (void)dummy;
    if (err) {
        return err;
    }
    apr_table_setn(flags_of(cmd), ANP_FLAG_THROTTLE, on ? "on" : "off");
    return NULL;
}

const char *anp_throttle_set_number(cmd_parms *cmd, void *dummy, const char *value)
{
    const char *err = ap_check_cmd_context(cmd, GLOBAL_ONLY);
    const anp_throttle_number *row;
    long n = parse_count(value);
    (void)dummy;
    if (err) {
        return err;
    }
    for (row = numbers; row->directive && strcmp(row->directive, cmd->cmd->name); row++) {
    }
    if (!row->directive) {
        return apr_psprintf(cmd->pool, "%s: not a number directive of this module", cmd->cmd->name);
    }
    if (n < row->min || n > row->max) {
        return apr_psprintf(cmd->pool, "%s: '%s' is not a whole number from %ld to %ld", cmd->cmd->name, value,
                            row->min, row->max);
    }
    apr_table_setn(flags_of(cmd), row->flag, apr_ltoa(cmd->pool, n));
    return NULL;
}

const char *anp_throttle_set_backoff(cmd_parms *cmd, void *dummy, const char *first, const char *max)
{
    const char *err = ap_check_cmd_context(cmd, GLOBAL_ONLY);
    long f = parse_count(first), m = parse_count(max);
    (void)dummy;
    if (err) {
        return err;
    }
    if (f < 1 || m < 1 || f > ANP_MAX_BACKOFF || m > ANP_MAX_BACKOFF || f > m) {
        return apr_psprintf(cmd->pool, "%s: '%s %s' must be FIRST MAX whole seconds with 1 <= FIRST <= MAX <= %d",
                            cmd->cmd->name, first, max, ANP_MAX_BACKOFF);
    }
    apr_table_setn(flags_of(cmd), ANP_FLAG_BACKOFF, apr_psprintf(cmd->pool, "%ld,%ld", f, m));
    return NULL;
}

/* An IPv4 or IPv6 address, optionally with /prefix (0..32 or 0..128), in the forms inet_pton reads. */
static int valid_cidr(apr_pool_t *p, const char *cidr)
{
    const char *slash = strchr(cidr, '/');
    const char *address = slash ? apr_pstrmemdup(p, cidr, (apr_size_t)(slash - cidr)) : cidr;
    unsigned char buf[16];
    long prefix = slash ? (strlen(slash + 1) <= 3 ? parse_count(slash + 1) : -1) : 0;
    int v6 = strchr(address, ':') != NULL;

    if (inet_pton(v6 ? AF_INET6 : AF_INET, address, buf) != 1) {
        return 0;
    }
    return prefix >= 0 && prefix <= (v6 ? 128 : 32);
}

const char *anp_throttle_add_exempt(cmd_parms *cmd, void *dummy, const char *cidr)
{
    const char *err = ap_check_cmd_context(cmd, GLOBAL_ONLY);
    (void)dummy;
    if (err) {
        return err;
    }
    if (!valid_cidr(cmd->temp_pool, cidr)) {
        return apr_psprintf(cmd->pool, "%s: '%s' is not an IPv4 or IPv6 address or CIDR block (e.g. "
                            "192.0.2.0/24, 2001:db8::/32)", cmd->cmd->name, cidr);
    }
    apr_table_addn(flags_of(cmd), ANP_FLAG_EXEMPT, cidr);
    return NULL;
}

static int push_one(void *argv, const char *flag, const char *value)
{
    *(const char **)apr_array_push(argv) = flag;
    *(const char **)apr_array_push(argv) = value;
    return 1;
}

void anp_throttle_push_flags(apr_array_header_t *argv, const apr_table_t *flags)
{
    if (flags) {
        apr_table_do(push_one, argv, flags, NULL);
    }
}

const char *anp_throttle_owned_flag(const char *arg, apr_size_t len)
{
    static const char *const owned[][2] = {
        {ANP_FLAG_THROTTLE, "NodeAuthThrottle"}, {ANP_FLAG_BACKOFF, "NodeAuthThrottleBackoff"},
        {ANP_FLAG_EXEMPT, "NodeAuthThrottleExempt"}, {NULL, NULL}};
    const anp_throttle_number *row;
    int i;

    for (i = 0; owned[i][0]; i++) {
        if (strlen(owned[i][0]) == len && !strncmp(arg, owned[i][0], len)) {
            return owned[i][1];
        }
    }
    for (row = numbers; row->directive; row++) {
        if (strlen(row->flag) == len && !strncmp(arg, row->flag, len)) {
            return row->directive;
        }
    }
    return NULL;
}
