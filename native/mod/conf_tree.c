/*
 * conf_tree.c: the checks made on httpd's parsed configuration tree (conf_tree.h).
 */
#include <string.h>
#include <strings.h>

#include "apr_strings.h"
#include "httpd.h"
#include "http_config.h"
#include "http_log.h"
#include "util_cfgtree.h"

#include "anp_private.h"
#include "conf_tree.h"
#include "providers.h"

static int named(const ap_directive_t *d, const char *name)
{
    return d->directive && !strcasecmp(d->directive, name);
}

/* The first word of a directive's arguments, as httpd splits them ("" when there is none). */
static const char *first_word(apr_pool_t *p, const ap_directive_t *d)
{
    const char *args = d->args ? d->args : "";
    return ap_getword_conf(p, &args);
}

/* The Require providers whose line is pointless next to valid-user in a RequireAny: ours, and "group"
 * whoever owns it (with mod_authz_groupfile's group files the trap is the same). */
static int group_like(const char *provider)
{
    return !strcasecmp(provider, ANP_PROVIDER_GROUP) || !strcasecmp(provider, ANP_PROVIDER_GROUP_ALIAS)
           || !strcasecmp(provider, ANP_PROVIDER_PERMISSION);
}

/* How a section reads in the message: <Location "/secret"> as written (httpd keeps the closing '>' in
 * the arguments, and a section without arguments has just ">"). */
static const char *section_label(apr_pool_t *p, const ap_directive_t *section)
{
    const char *args = section->args ? section->args : "";
    if (!*args || !strcmp(args, ">")) {
        return apr_pstrcat(p, section->directive, ">", NULL);
    }
    return apr_pstrcat(p, section->directive, " ", args, NULL);
}

static void warn_trap(apr_pool_t *p, server_rec *log_to, const ap_directive_t *section,
                      const ap_directive_t *group, const ap_directive_t *valid_user)
{
    int explicit_any = named(section, "<RequireAny");

    ap_log_error(APLOG_MARK, APLOG_WARNING, 0, log_to,
                 ANPLOGNO(0108) "%s:%d: 'Require %s' stands next to 'Require valid-user' (line %d) in %s, "
                 "%s: every valid user is let in, whatever this line says; put both lines in <RequireAll>",
                 group->filename, group->line_num, group->args, valid_user->line_num,
                 section_label(p, section),
                 explicit_any ? "where one line suffices" : "an implicit RequireAny");
}

/*
 * One section's own bare Require lines (not those of sections inside it). mod_authz_core joins them
 * into a RequireAny, unless the section is a <RequireAll> or <RequireNone>. An explicit <RequireAny> is
 * warned about too: there the group line is as dead, and nobody writes a dead line on purpose.
 * `Require user ...` next to a group line is not a trap: "these users or that group" is a common intent.
 */
static void check_section(apr_pool_t *p, server_rec *log_to, const ap_directive_t *section)
{
    const ap_directive_t *valid_user = NULL;
    const ap_directive_t *d;

    if (named(section, "<RequireAll") || named(section, "<RequireNone")) {
        return;
    }
    for (d = section->first_child; d && !valid_user; d = d->next) {
        if (named(d, "Require") && !strcasecmp(first_word(p, d), "valid-user")) {
            valid_user = d;
        }
    }
    if (!valid_user) {
        return;
    }
    for (d = section->first_child; d; d = d->next) {
        if (named(d, "Require") && group_like(first_word(p, d))) {
            warn_trap(p, log_to, section, d, valid_user);
        }
    }
}

static void walk_traps(apr_pool_t *p, server_rec *log_to, const ap_directive_t *d)
{
    for (; d; d = d->next) {
        if (d->first_child) {
            check_section(p, log_to, d);
            walk_traps(p, log_to, d->first_child);
        }
    }
}

void anp_conf_tree_warn_traps(apr_pool_t *ptemp, server_rec *s, int to_console)
{
    walk_traps(ptemp, to_console ? NULL : s, ap_conftree);
}

static int names_node(apr_pool_t *p, const ap_directive_t *d)
{
    const char *args = d->args ? d->args : "";
    const char *word;

    while (*(word = ap_getword_conf(p, &args))) {
        if (!strcmp(word, ANP_PROVIDER_AUTHN)) {
            return 1;
        }
    }
    return 0;
}

static int walk_caches_node(apr_pool_t *p, const ap_directive_t *d)
{
    for (; d; d = d->next) {
        if (named(d, "AuthnCacheProvideFor") && names_node(p, d)) {
            return 1;
        }
        if (d->first_child && walk_caches_node(p, d->first_child)) {
            return 1;
        }
    }
    return 0;
}

int anp_conf_tree_caches_node(apr_pool_t *ptemp)
{
    return walk_caches_node(ptemp, ap_conftree);
}
