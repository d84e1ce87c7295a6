/*
 * reports.h — the partners' biweekly reports: per item, over a whole 14-day period, shares, distinct senders,
 * distinct recipients, distinct people who opened a share, and the click-through rate, with no person in
 * them. docs/privacy.md is the contract; in short:
 *
 * - Settings (mechanism, epsilon, delta, k, cap) are stored per app as a history (`posternd app
 *   report-settings`); a period uses the settings in force when it closed, whoever asks and whenever.
 * - One person's whole contribution to a period is bounded: their first `cap` shares of the period count,
 *   and their opens count in at most `cap` items. Removing one person changes the report's counts by at
 *   most 6 x cap in total (REPORTS_SENSITIVITY_PER_CAP).
 * - "geometric" (the default): every count gets exact discrete Laplace noise of scale 6 cap / epsilon
 *   (dpnoise.c), and a row is shown only when its *noisy* senders and recipients both reach the threshold,
 *   chosen so that a row only one person made appears with probability at most delta: (epsilon, delta)-DP.
 *   "none": exact counts, rows with fewer than k distinct senders or recipients left out (k-anonymity only).
 * - A period is computed once, after it closes, with one noise draw; the JSON is frozen and every later
 *   fetch, by the API or `posternd report`, in JSON or CSV, is a rendering of those bytes. An open period
 *   has no counts: the answer says when its report will be ready.
 *
 * Periods are 14 days from Monday 2024-01-01 UTC. This file decides what a report says; store.h counts.
 */
#ifndef POSTERN_REPORTS_H
#define POSTERN_REPORTS_H

#include "store.h"

#include <stddef.h>

#define REPORTS_SENSITIVITY_PER_CAP 6 /* shares, senders, recipients: cap each; clicks: 3 cap */

/* The defaults an app gets (and that apply when an app has no stored settings); docs/privacy.md says why. */
#define REPORTS_DEFAULT_MECHANISM "geometric"
#define REPORTS_DEFAULT_EPSILON_E4 10000 /* epsilon 1 per period */
#define REPORTS_DEFAULT_DELTA_EXP 6      /* delta 1e-6 per period */
#define REPORTS_DEFAULT_K 10
#define REPORTS_DEFAULT_CAP 5

/* What settings imply: the numbers a report prints next to them. */
struct reports_calibration {
	int noisy;               /* 1: geometric, 0: none */
	int64_t sensitivity;     /* L1 sensitivity of the whole report: 6 cap */
	uint64_t scale_t, scale_s; /* discrete Laplace of scale scale_t / scale_s (geometric only) */
	int64_t threshold;       /* a row needs senders and recipients (noisy when geometric) of at least this */
};

/* s := the defaults (since 0). */
void reports_settings_default(struct store_report_settings *s);

/*
 * Check s: mechanism "geometric" or "none", epsilon in [0.01, 5], delta 1e-3 to 1e-15, k in [1, 1000000],
 * cap in [1, 100]. Returns 0, or -1 with a sentence in err (errlen bytes).
 */
int reports_settings_check(const struct store_report_settings *s, char *err, size_t errlen);

/* Read an epsilon written as a decimal with at most 4 decimals ("1", "0.5") into *e4. 0, or -1. */
int reports_parse_epsilon(const char *text, int64_t *e4);

/* Read a delta written as "1e-N" (N 3 to 15) into *delta_exp. 0, or -1. */
int reports_parse_delta(const char *text, int64_t *delta_exp);

/* What checked settings imply (see struct reports_calibration). */
void reports_calibrate(const struct store_report_settings *s, struct reports_calibration *cal);

/*
 * One line describing s for an operator ("geometric noise, epsilon 1 ... threshold 444"), into out (outlen
 * bytes, cut to fit).
 */
void reports_settings_describe(const struct store_report_settings *s, char *out, size_t outlen);

/*
 * The settings of app in force at at_ms (the newest stored before it; the defaults when none is stored) into
 * *out; *stored says whether they came from the database. SRV_E_OK or SRV_E_STORAGE.
 */
enum srv_err reports_settings_at(const struct store_ops *ops, struct store_conn *c, int64_t app, int64_t at_ms,
				 struct store_report_settings *out, int *stored);

/*
 * The report of app for the period starting period_start ("YYYY-MM-DD", a period boundary), as format
 * "json" or "csv", at time now (ms). On success *out is malloc'd (the caller frees it), *len its bytes, and
 * *content_type a static string. An open period gets an answer without counts (status "open", ready_at). A
 * closed period is computed the first time it is asked for — with the settings in force at its end, from the
 * shares made in it and the opens made before its end — and frozen with one write through c (so c must then
 * be writable, inside a transaction the caller commits); later calls return those bytes (CSV: rendered from
 * them). Errors: SRV_E_INVALID_FIELD (bad or future period, bad format; a sentence in err), SRV_E_STORAGE,
 * SRV_E_INTERNAL. Not thread-safe on one connection (as store.h).
 */
enum srv_err reports_render(const struct store_ops *ops, struct store_conn *c, const struct store_app *app,
			    const char *period_start, const char *format, int64_t now, char **out, size_t *len,
			    const char **content_type, char *err, size_t errlen);

/* Days since the Unix epoch of "YYYY-MM-DD", or -1 when it is not a valid date. */
int64_t reports_parse_day(const char *ymd);

#endif
