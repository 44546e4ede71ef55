/*
 * throttle_log.c: the lockout decision's log line, see throttle_log.h.
 */
#include "httpd.h"
#include "http_log.h"
#include "apr_strings.h"
#include "apr_time.h"

#include "anp_private.h"
#include "throttle_log.h"

/* When the wait ends, as 2026-12-05T12:40:00Z: fail2ban and people read the same UTC time. */
static const char *until_text(request_rec *r, apr_uint32_t retry_after)
{
    apr_time_exp_t t;
    apr_size_t len;
    char *out = apr_palloc(r->pool, 32);

    if (apr_time_exp_gmt(&t, apr_time_now() + apr_time_from_sec(retry_after)) != APR_SUCCESS
        || apr_strftime(out, &len, 32, "%Y-%m-%dT%H:%M:%SZ", &t) != APR_SUCCESS) {
        return "(unknown)";
    }
    return out;
}

void anp_throttle_log(request_rec *r, const char *user, const char *reason, apr_uint32_t retry_after, int answered)
{
    ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r,
                  ANPLOGNO(0522) "client %s locked out: user '%s', reason '%s', until %s (Retry-After %u), "
                  "answered %d", r->useragent_ip ? r->useragent_ip : "-", ap_escape_logitem(r->pool, user),
                  ap_escape_logitem(r->pool, reason ? reason : "throttled"), until_text(r, retry_after),
                  (unsigned)retry_after, answered);
}
