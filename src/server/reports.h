/*
 * reports.h — the partners' biweekly reports: per day and item, shares sent, distinct senders, distinct
 * recipients, distinct clicking recipients and click-through rate, with no person in them. Privacy: each
 * person's shares count at most --report-cap a day; a bucket with fewer than --report-k distinct senders or
 * recipients is suppressed (and counted as suppressed); optional Laplace noise (--report-epsilon). Periods
 * are 14 days from Monday 2024-01-01 UTC; a closed period's report is stored on first fetch, so fetching it
 * again returns identical bytes.
 */
#ifndef POSTERN_REPORTS_H
#define POSTERN_REPORTS_H

#include "config.h"
#include "store.h"

/*
 * Render the report of app for the period starting period_start ("YYYY-MM-DD", a period boundary) as
 * format "json" or "csv". On success *out is malloc'd (the caller frees it) with *len bytes and *closed
 * says whether the period is over. Uses c for reads and, for a closed period seen for the first time, one
 * write (so c must be writable then, inside a transaction the caller commits). Errors: PST_E_INVALID_FIELD
 * (bad period or format, with a detail in err), PST_E_STORAGE, PST_E_INTERNAL.
 */
enum pst_err reports_render(const struct store_ops *ops, struct store_conn *c, const struct config *cfg,
			    const struct store_app *app, const char *period_start, const char *format, int64_t now,
			    char **out, size_t *len, char *err, size_t errlen);

/* Days since the Unix epoch of "YYYY-MM-DD", or -1 when it is not a valid date. */
int64_t reports_parse_day(const char *ymd);

#endif
