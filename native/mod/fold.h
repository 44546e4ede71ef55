/*
 * fold.h: the module's side of the one-trip fold.
 *
 * When a location has `Require node-group`/`group` or `Require node-permission` lines, its password
 * check asks the worker for the user's groups (GROUP_HANDLER_ID) and for the lines' permission names
 * (PERMISSION) in the same trip. A GRANTED answer's groups and held permissions are left in
 * r->request_config, and the authz providers decide their Require lines from them without a second
 * trip, by the rules of native/anp_fold.c (the worker's are the same: test/vectors/fold.json).
 */
#ifndef ANP_FOLD_MODULE_H
#define ANP_FOLD_MODULE_H

#include "httpd.h"
#include "apr_tables.h"
#include "mod_auth.h"

#include "config.h"
#include "request.h"

/*
 * What a CHECK_PASSWORD carries beyond the password: sets req->group_handler (and its id) when the
 * groups ride along, and req->permissions when the location's permission names do. 0 (logged) when the
 * group handler has no id: fail the check.
 */
int anp_fold_plan(request_rec *r, const anp_dir_conf *conf, anp_request *req);

/* After a GRANTED check of r->user (from the worker or the grant cache): keeps the folded groups, held
 * permissions and user flags (ANP_USER_FLAG_* bits, when the request asked for them) for the Require
 * lines of this request. */
void anp_fold_keep(request_rec *r, const anp_request *req, const apr_array_header_t *groups,
                   const apr_array_header_t *held, int user_flags);

/*
 * A Require line decided from the folded answer when it can be: returns 1 with *status, or 0 when the
 * worker must answer the line (nothing folded for r->user, or a permission name that was not asked).
 * `what` and `line` name the line in log messages.
 */
int anp_fold_decide_groups(request_rec *r, const apr_array_header_t *wanted, const char *what, const char *line,
                           authz_status *status);
int anp_fold_decide_permissions(request_rec *r, const apr_array_header_t *names, const char *what,
                                const char *line, authz_status *status);

/* Require node-staff / node-superuser decided from the flags the check of r->user brought back: 1 with
 * *status, or 0 when there are none for r->user (then nothing can decide the line: the caller fails it). */
int anp_fold_decide_user_flag(request_rec *r, int flag, const char *what, authz_status *status);

#endif
