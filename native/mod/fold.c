/*
 * fold.c: the module's side of the one-trip fold, see fold.h.
 */
#include <string.h>

#include "httpd.h"
#include "http_log.h"

#include "anp_fold.h"
#include "anp_protocol.h"
#include "anp_private.h"
#include "fold.h"

/* What a GRANTED password check brought back for the authz checks of the same request. */
typedef struct {
    const char *user;                               /* r->user it was granted to (after any rename) */
    const apr_array_header_t *groups;               /* NULL: not asked */
    const apr_array_header_t *asked_permissions;    /* NULL: none asked */
    const apr_array_header_t *held_permissions;
    int user_flags;                                 /* ANP_USER_FLAG_* bits; -1: not asked */
} anp_folded_answer;

#define NAMES(a) ((a) ? (const char *const *)(a)->elts : NULL)
#define COUNT(a) ((a) ? (size_t)(a)->nelts : 0)

int anp_fold_plan(request_rec *r, const anp_dir_conf *conf, anp_request *req)
{
    uint32_t group_id = 0;
    int rides;

    if (conf->group_handler && (conf->fold_groups || conf->fold_permissions)) {
        if (!(group_id = anp_request_handler_id(r, conf->group_handler))) {
            return 0;
        }
    }
    rides = conf->fold_groups && group_id != 0;
    if (rides) {
        req->group_handler = conf->group_handler;
        req->group_handler_id = group_id;
    }
    /* Permissions are answered by the group handler: folded when it rides along already, or when it is
     * the password's own handler (the Django handler); otherwise the permission check asks. A long list
     * is not folded, so the request stays far from the protocol's field limit. */
    if (anp_fold_permissions(COUNT(conf->fold_permissions), rides, group_id == req->handler_id, group_id != 0)) {
        req->permissions = conf->fold_permissions;
    }
    /* Require node-staff / node-superuser have no check of their own: the flags always ride along. */
    req->want_user_flags = conf->fold_user_flags != 0;
    return 1;
}

void anp_fold_keep(request_rec *r, const anp_request *req, const apr_array_header_t *groups,
                   const apr_array_header_t *held, int user_flags)
{
    anp_folded_answer *folded;

    if (!req->group_handler && !req->permissions && !req->want_user_flags) {
        return;
    }
    folded = apr_palloc(r->pool, sizeof(*folded));
    folded->user = r->user;
    folded->groups = req->group_handler ? groups : NULL;
    folded->asked_permissions = req->permissions;
    folded->held_permissions = held;
    folded->user_flags = req->want_user_flags ? user_flags : -1;
    ap_set_module_config(r->request_config, &authnz_node_module, folded);
}

/* The folded answer for r->user, or NULL (none, or one for another user name). */
static const anp_folded_answer *folded_for_user(request_rec *r)
{
    const anp_folded_answer *folded = ap_get_module_config(r->request_config, &authnz_node_module);
    if (!folded || !folded->user || !r->user || strcmp(folded->user, r->user)) {
        return NULL;
    }
    return folded;
}

int anp_fold_decide_groups(request_rec *r, const apr_array_header_t *wanted, const char *what, const char *line,
                           authz_status *status)
{
    const anp_folded_answer *folded = folded_for_user(r);

    if (!folded || !folded->groups) {
        return 0;
    }
    if (anp_fold_group_matches(NAMES(folded->groups), COUNT(folded->groups), NAMES(wanted), COUNT(wanted))) {
        *status = AUTHZ_GRANTED;
        return 1;
    }
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                  ANPLOGNO(0516) "Require %s %s: user '%s' is in none of them (groups from the password check)",
                  what, line, r->user);
    *status = AUTHZ_DENIED;
    return 1;
}

int anp_fold_decide_permissions(request_rec *r, const apr_array_header_t *names, const char *what,
                                const char *line, authz_status *status)
{
    const anp_folded_answer *folded = folded_for_user(r);
    anp_fold_decision decision;

    if (!folded || !folded->asked_permissions) {
        return 0;
    }
    decision = anp_fold_permission_line(NAMES(folded->asked_permissions), COUNT(folded->asked_permissions),
                                        NAMES(folded->held_permissions), COUNT(folded->held_permissions),
                                        NAMES(names), COUNT(names));
    if (decision == ANP_FOLD_ASK) {
        return 0;
    }
    if (decision == ANP_FOLD_DENIED) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                      ANPLOGNO(0518) "Require %s %s: user '%s' has none of them (permissions from the password "
                      "check)", what, line, r->user);
    }
    *status = decision == ANP_FOLD_GRANTED ? AUTHZ_GRANTED : AUTHZ_DENIED;
    return 1;
}

int anp_fold_decide_user_flag(request_rec *r, int flag, const char *what, authz_status *status)
{
    const anp_folded_answer *folded = folded_for_user(r);

    if (!folded || folded->user_flags < 0) {
        return 0;
    }
    if (folded->user_flags & flag) {
        *status = AUTHZ_GRANTED;
        return 1;
    }
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, ANPLOGNO(0530) "Require %s: user '%s' is not", what, r->user);
    *status = AUTHZ_DENIED;
    return 1;
}
