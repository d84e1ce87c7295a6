/*
 * reports.c — the partners' aggregate reports (see reports.h; the contract is docs/privacy.md). It decides
 * which settings apply to a period, adds the noise, suppresses rows on noisy counts, freezes the JSON once
 * and renders CSV from it. The counting itself (which shares and opens count, per person caps) is one query
 * of the storage backend (store.h report_rows); the noise comes from dpnoise.c. Never writes outside the one
 * frozen-report row of a closed period; never answers counts for an open one.
 */
#include "reports.h"

#include "dpnoise.h"
#include "jsontext.h"
#include "strnum.h"
#include "timefmt.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "banned.h" /* last: bans footguns in this file only */

#define REPORT_EPOCH_DAY 19723 /* 2024-01-01, a Monday */
#define REPORT_PERIOD_DAYS 14
#define DAY_MS 86400000LL
#define REPORT_FORMAT_FROZEN "json" /* the one stored form; CSV is rendered from it */
#define REPORT_JSON_FLAGS (JSON_COMPACT | JSON_REAL_PRECISION(6))

/* ---- periods ---------------------------------------------------------------------------------------- */

/* A fixed-width field of n decimal digits (leading zeros allowed, as dates have them); -1 if not digits. */
static int64_t fixed_digits(const char *s, size_t n)
{
	int64_t v = 0;
	size_t i;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

int64_t reports_parse_day(const char *ymd)
{
	int64_t y, m, d;
	struct tm tm;
	time_t t;
	if (ymd == NULL || strlen(ymd) != 10 || ymd[4] != '-' || ymd[7] != '-')
		return -1;
	y = fixed_digits(ymd, 4);
	m = fixed_digits(ymd + 5, 2);
	d = fixed_digits(ymd + 8, 2);
	if (y < 1970 || m < 1 || m > 12 || d < 1 || d > 31)
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = (int)y - 1900;
	tm.tm_mon = (int)m - 1;
	tm.tm_mday = (int)d;
	t = timegm(&tm);
	if (t == (time_t)-1 || tm.tm_mday != (int)d || tm.tm_mon != (int)m - 1) /* 2024-02-30 normalises: refuse */
		return -1;
	return (int64_t)t / 86400;
}

static void day_text(int64_t day, char out[16])
{
	time_t t = (time_t)(day * 86400);
	struct tm tm;
	gmtime_r(&t, &tm);
	snprintf(out, 16, "%04d-%02d-%02d", (tm.tm_year + 1900) % 10000, (tm.tm_mon + 1) % 100, tm.tm_mday % 100);
}

/* ---- settings --------------------------------------------------------------------------------------- */

void reports_settings_default(struct store_report_settings *s)
{
	memset(s, 0, sizeof(*s));
	snprintf(s->mechanism, sizeof(s->mechanism), "%s", REPORTS_DEFAULT_MECHANISM);
	s->epsilon_e4 = REPORTS_DEFAULT_EPSILON_E4;
	s->delta_exp = REPORTS_DEFAULT_DELTA_EXP;
	s->k = REPORTS_DEFAULT_K;
	s->cap = REPORTS_DEFAULT_CAP;
}

int reports_settings_check(const struct store_report_settings *s, char *err, size_t errlen)
{
	const char *why = NULL;
	if (strcmp(s->mechanism, "geometric") != 0 && strcmp(s->mechanism, "none") != 0)
		why = "the mechanism is geometric or none";
	else if (s->epsilon_e4 < 100 || s->epsilon_e4 > 50000)
		why = "epsilon is between 0.01 and 5, with at most 4 decimals";
	else if (s->delta_exp < 3 || s->delta_exp > 15)
		why = "delta is 1e-3 to 1e-15";
	else if (s->k < 1 || s->k > 1000000)
		why = "k is between 1 and 1000000";
	else if (s->cap < 1 || s->cap > 100)
		why = "cap is between 1 and 100 shares per person per period";
	if (why != NULL)
		snprintf(err, errlen, "%s", why);
	return why ? -1 : 0;
}

int reports_parse_epsilon(const char *text, int64_t *e4)
{
	const char *dot = text ? strchr(text, '.') : NULL;
	int64_t whole = 0, frac = 0;
	size_t i, flen;
	if (text == NULL || text == dot || strnum_parse_i64(text, dot ? (size_t)(dot - text) : strlen(text), 0, 1000, &whole) != 0)
		return -1;
	flen = dot ? strlen(dot + 1) : 0;
	if (dot && (flen == 0 || flen > 4))
		return -1;
	for (i = 0; i < 4; i++) { /* the decimals, zeros included, as ten-thousandths */
		if (i < flen && (dot[1 + i] < '0' || dot[1 + i] > '9'))
			return -1;
		frac = frac * 10 + (i < flen ? dot[1 + i] - '0' : 0);
	}
	*e4 = whole * 10000 + frac;
	return 0;
}

int reports_parse_delta(const char *text, int64_t *delta_exp)
{
	const char *n = text ? text + 3 : NULL;
	if (text == NULL || strncmp(text, "1e-", 3) != 0)
		return -1;
	while (n[0] == '0' && n[1] != '\0') /* 1e-06 as C prints it */
		n++;
	return strnum_parse_cstr(n, 3, 15, delta_exp);
}

static uint64_t gcd(uint64_t a, uint64_t b)
{
	while (b) {
		uint64_t r = a % b;
		a = b;
		b = r;
	}
	return a;
}

void reports_calibrate(const struct store_report_settings *s, struct reports_calibration *cal)
{
	memset(cal, 0, sizeof(*cal));
	cal->noisy = strcmp(s->mechanism, "geometric") == 0;
	cal->sensitivity = REPORTS_SENSITIVITY_PER_CAP * s->cap;
	cal->threshold = s->k;
	if (cal->noisy) {
		/* scale = sensitivity / epsilon = (sensitivity * 10000) / epsilon_e4, exactly */
		uint64_t t = (uint64_t)cal->sensitivity * 10000u, e = (uint64_t)s->epsilon_e4, g = gcd(t, e);
		double per_unit = (double)e / (double)t, alpha = exp(-per_unit);
		double need = log((double)s->cap / (pow(10.0, -(double)s->delta_exp) * (1.0 + alpha)));
		int64_t by_delta = 1;
		cal->scale_t = t / g;
		cal->scale_s = e / g;
		/*
		 * A row only one person made has true senders 1. With noise Z of parameter alpha = exp(-epsilon /
		 * sensitivity), P[1 + Z >= T] = alpha^(T-1) / (1 + alpha); that person made at most cap items, so the
		 * smallest T with cap * alpha^(T-1) / (1 + alpha) <= delta bounds the chance that any of them shows.
		 * These are data-independent parameters: floating point here cannot leak anything.
		 */
		if (need > 0)
			by_delta = 1 + (int64_t)ceil(need / per_unit);
		if (by_delta > cal->threshold)
			cal->threshold = by_delta;
	}
}

void reports_settings_describe(const struct store_report_settings *s, char *out, size_t outlen)
{
	struct reports_calibration cal;
	char eps[24];
	size_t n;
	reports_calibrate(s, &cal);
	/* epsilon as the operator typed it: 1, 0.5, 0.25 */
	snprintf(eps, sizeof(eps), "%lld.%04lld", (long long)(s->epsilon_e4 / 10000), (long long)(s->epsilon_e4 % 10000));
	for (n = strlen(eps); eps[n - 1] == '0'; n--)
		eps[n - 1] = '\0';
	if (eps[n - 1] == '.')
		eps[n - 1] = '\0';
	if (cal.noisy)
		snprintf(out, outlen,
			 "geometric noise, epsilon %s and delta 1e-%lld per period; cap %lld shares per person per "
			 "period; k %lld; noise scale %.4g; rows shown from %lld noisy senders and recipients",
			 eps, (long long)s->delta_exp, (long long)s->cap, (long long)s->k,
			 (double)cal.scale_t / (double)cal.scale_s, (long long)cal.threshold);
	else
		snprintf(out, outlen,
			 "no noise (exact counts: k-anonymity only, no differential privacy); cap %lld shares per person per "
			 "period; rows shown from k = %lld senders and recipients",
			 (long long)s->cap, (long long)s->k);
}

enum srv_err reports_settings_at(const struct store_ops *ops, struct store_conn *c, int64_t app, int64_t at_ms,
				 struct store_report_settings *out, int *stored)
{
	enum srv_err rc = ops->report_settings_at(c, app, at_ms, out);
	*stored = rc == SRV_E_OK;
	if (rc == SRV_E_NOT_FOUND) {
		reports_settings_default(out);
		rc = SRV_E_OK;
	}
	return rc;
}

/* The settings as every report prints them: the mechanism, its parameters and what they imply. NULL on OOM. */
static json_t *privacy_json(const struct store_report_settings *s, int stored)
{
	struct reports_calibration cal;
	char since[TIMEFMT_RFC3339_LEN] = "";
	json_t *p;
	reports_calibrate(s, &cal);
	if (stored)
		timefmt_rfc3339(s->since, since, sizeof(since));
	if (cal.noisy)
		p = json_pack("{s:s,s:f,s:f,s:I,s:I,s:I,s:f,s:I,s:s?}", "mechanism", s->mechanism, "epsilon",
			      (double)s->epsilon_e4 / 10000.0, "delta", pow(10.0, -(double)s->delta_exp), "k", (json_int_t)s->k,
			      "cap_per_person_per_period", (json_int_t)s->cap, "sensitivity", (json_int_t)cal.sensitivity,
			      "noise_scale", (double)cal.scale_t / (double)cal.scale_s, "threshold", (json_int_t)cal.threshold,
			      "settings_since", stored ? since : NULL);
	else
		p = json_pack("{s:s,s:I,s:I,s:I,s:s?}", "mechanism", s->mechanism, "k", (json_int_t)s->k,
			      "cap_per_person_per_period", (json_int_t)s->cap, "threshold", (json_int_t)cal.threshold,
			      "settings_since", stored ? since : NULL);
	return p;
}

/* ---- computing a closed period ---------------------------------------------------------------------- */

struct collect {
	json_t *rows;
	struct reports_calibration cal;
	int64_t suppressed;
	int failed;
};

static int64_t max64(int64_t a, int64_t b) { return a > b ? a : b; }

static int row_cb(void *arg, const struct store_report_row *r)
{
	struct collect *col = arg;
	int64_t shares = r->shares, senders = r->senders, recipients = r->recipients, clicks = r->clicks;
	json_t *row;
	if (col->cal.noisy) {
		/* one draw per count of every item that has any, before anything is decided about the row */
		shares += dpnoise_discrete_laplace(col->cal.scale_t, col->cal.scale_s);
		senders += dpnoise_discrete_laplace(col->cal.scale_t, col->cal.scale_s);
		recipients += dpnoise_discrete_laplace(col->cal.scale_t, col->cal.scale_s);
		clicks += dpnoise_discrete_laplace(col->cal.scale_t, col->cal.scale_s);
	}
	if (senders < col->cal.threshold || recipients < col->cal.threshold) {
		col->suppressed++;
		return 0;
	}
	/* post-processing, which costs no privacy: what every true report satisfies */
	shares = max64(shares, max64(senders, recipients)); /* each share has one sender and one recipient */
	clicks = clicks < 0 ? 0 : clicks > recipients ? recipients : clicks;
	row = json_pack("{s:s,s:I,s:I,s:I,s:I,s:f}", "item", r->item, "shares", (json_int_t)shares, "senders",
			(json_int_t)senders, "recipients", (json_int_t)recipients, "clicks", (json_int_t)clicks, "ctr",
			round((double)clicks / (double)recipients * 10000.0) / 10000.0);
	if (json_array_append_new(col->rows, row) != 0) {
		col->failed = 1;
		return 1;
	}
	return 0;
}

/* Compute the report of a closed period [from, to) of app into *text (malloc'd JSON). */
static enum srv_err compute(const struct store_ops *ops, struct store_conn *c, const struct store_app *app,
			    const char *period_start, int64_t day, int64_t from, int64_t to, int64_t now, char **text)
{
	struct store_report_settings s;
	struct collect col;
	char end_text[16], computed[TIMEFMT_RFC3339_LEN];
	json_t *doc = NULL;
	enum srv_err rc;
	int stored = 0;

	memset(&col, 0, sizeof(col));
	*text = NULL;
	rc = reports_settings_at(ops, c, app->id, to, &s, &stored);
	if (rc != SRV_E_OK)
		return rc;
	reports_calibrate(&s, &col.cal);
	col.rows = json_array();
	if (col.rows == NULL)
		return SRV_E_INTERNAL;
	rc = ops->report_rows(c, app->id, from, to, s.cap, row_cb, &col);
	if (rc == SRV_E_OK && col.failed)
		rc = SRV_E_INTERNAL;
	if (rc != SRV_E_OK)
		goto out;
	day_text(day + REPORT_PERIOD_DAYS - 1, end_text);
	timefmt_rfc3339(now, computed, sizeof(computed));
	doc = json_pack("{s:s,s:s,s:s,s:s,s:s,s:o,s:O}", "client_id", app->client_id, "period_start", period_start,
			"period_end", end_text, "status", "closed", "computed_at", computed, "privacy", privacy_json(&s, stored),
			"rows", col.rows);
	/* how many rows were left out is only exact, and only shown, without noise: with noise the number of
	 * items would tell whether one person's unique item is there */
	if (doc != NULL && !col.cal.noisy && json_object_set_new(doc, "suppressed_rows", json_integer(col.suppressed)) != 0)
		rc = SRV_E_INTERNAL;
	*text = rc == SRV_E_OK && doc ? jsontext_dump(doc, REPORT_JSON_FLAGS) : NULL;
	if (*text == NULL)
		rc = SRV_E_INTERNAL;
out:
	json_decref(doc);
	json_decref(col.rows);
	return rc;
}

/* ---- rendering -------------------------------------------------------------------------------------- */

/* CSV field: quoted, with quotes doubled; a leading = + - @ is prefixed with ' (spreadsheet injection). */
static void csv_field(FILE *f, const char *s)
{
	fputc('"', f);
	if (s[0] && strchr("=+-@", s[0]))
		fputc('\'', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

/* " key=value" for a string or number as the JSON shows it; nothing for arrays and objects. */
static void csv_scalar(FILE *f, const char *key, const json_t *v)
{
	char *text;
	if (json_is_string(v)) {
		fprintf(f, " %s=%s", key, json_string_value(v));
	} else if (!json_is_array(v) && !json_is_object(v) && (text = jsontext_dump(v, JSON_ENCODE_ANY | REPORT_JSON_FLAGS))) {
		fprintf(f, " %s=%s", key, text);
		free(text);
	}
}

/*
 * The CSV of a report document (a frozen report, or the answer for an open period): a header, one line per
 * row, then one "# key=value ..." line with the document's other fields and its privacy settings. Reports
 * frozen before rows lost their dates keep a date column.
 */
static enum srv_err csv_render(const char *body, char **out, size_t *len)
{
	json_t *doc = json_loads(body, 0, NULL), *rows, *r, *v;
	const char *key;
	FILE *f = NULL;
	size_t i;
	int dated;

	*out = NULL;
	*len = 0;
	if (doc == NULL || (f = open_memstream(out, len)) == NULL) {
		json_decref(doc);
		return SRV_E_INTERNAL;
	}
	rows = json_object_get(doc, "rows");
	dated = json_object_get(json_array_get(rows, 0), "date") != NULL;
	fprintf(f, "%sitem,shares,senders,recipients,clicks,ctr\r\n", dated ? "date," : "");
	json_array_foreach(rows, i, r) {
		if (dated)
			fprintf(f, "%s,", json_string_value(json_object_get(r, "date")));
		csv_field(f, json_string_value(json_object_get(r, "item")) ? json_string_value(json_object_get(r, "item")) : "");
		fprintf(f, ",%lld,%lld,%lld,%lld,%.4f\r\n", (long long)json_integer_value(json_object_get(r, "shares")),
			(long long)json_integer_value(json_object_get(r, "senders")),
			(long long)json_integer_value(json_object_get(r, "recipients")),
			(long long)json_integer_value(json_object_get(r, "clicks")), json_number_value(json_object_get(r, "ctr")));
	}
	fputc('#', f);
	json_object_foreach(doc, key, v) {
		if (strcmp(key, "privacy") == 0) {
			const char *pk;
			json_t *pv;
			json_object_foreach(v, pk, pv) csv_scalar(f, pk, pv);
		} else
			csv_scalar(f, key, v);
	}
	fputs("\r\n", f);
	json_decref(doc);
	if (fclose(f) != 0 || *out == NULL) {
		free(*out);
		*out = NULL;
		return SRV_E_INTERNAL;
	}
	return SRV_E_OK;
}

/* The answer for a period that has not closed: no counts, when the report will be ready, today's settings. */
static enum srv_err open_answer(const struct store_ops *ops, struct store_conn *c, const struct store_app *app,
				const char *period_start, int64_t day, int64_t to, char **text)
{
	struct store_report_settings s;
	char end_text[16], ready[TIMEFMT_RFC3339_LEN];
	json_t *doc;
	int stored = 0;
	enum srv_err rc = reports_settings_at(ops, c, app->id, INT64_MAX, &s, &stored);
	*text = NULL;
	if (rc != SRV_E_OK)
		return rc;
	day_text(day + REPORT_PERIOD_DAYS - 1, end_text);
	timefmt_rfc3339(to, ready, sizeof(ready));
	doc = json_pack("{s:s,s:s,s:s,s:s,s:s,s:o}", "client_id", app->client_id, "period_start", period_start,
			"period_end", end_text, "status", "open", "ready_at", ready, "privacy", privacy_json(&s, stored));
	*text = doc ? jsontext_dump(doc, REPORT_JSON_FLAGS) : NULL;
	json_decref(doc);
	return *text ? SRV_E_OK : SRV_E_INTERNAL;
}

enum srv_err reports_render(const struct store_ops *ops, struct store_conn *c, const struct store_app *app,
			    const char *period_start, const char *format, int64_t now, char **out, size_t *len,
			    const char **content_type, char *err, size_t errlen)
{
	int64_t day = reports_parse_day(period_start), from, to;
	enum srv_err rc;
	char *json_text = NULL;
	size_t json_len = 0;
	int csv;

	*out = NULL;
	*len = 0;
	if (day < REPORT_EPOCH_DAY || (day - REPORT_EPOCH_DAY) % REPORT_PERIOD_DAYS != 0) {
		snprintf(err, errlen, "period_start must be a period boundary: 2024-01-01 plus a multiple of 14 days");
		return SRV_E_INVALID_FIELD;
	}
	if (strcmp(format, "json") != 0 && strcmp(format, "csv") != 0) {
		snprintf(err, errlen, "format is json or csv");
		return SRV_E_INVALID_FIELD;
	}
	csv = format[0] == 'c';
	*content_type = csv ? "text/csv; charset=utf-8" : "application/json";
	from = day * DAY_MS;
	to = from + REPORT_PERIOD_DAYS * DAY_MS;
	if (from > now) {
		snprintf(err, errlen, "that period has not started");
		return SRV_E_INVALID_FIELD;
	}
	if (now < to) {
		rc = open_answer(ops, c, app, period_start, day, to, &json_text);
		json_len = json_text ? strlen(json_text) : 0;
	} else {
		/* a CSV frozen by a version that drew CSV apart from JSON is still served as it was published */
		if (csv && (rc = ops->report_get(c, app->id, period_start, "csv", out, len)) != SRV_E_NOT_FOUND)
			return rc;
		rc = ops->report_get(c, app->id, period_start, REPORT_FORMAT_FROZEN, &json_text, &json_len);
		if (rc == SRV_E_NOT_FOUND) {
			/* first time: compute, freeze, then serve what is frozen (a concurrent first fetch may have won) */
			char *fresh = NULL;
			rc = compute(ops, c, app, period_start, day, from, to, now, &fresh);
			if (rc == SRV_E_OK)
				rc = ops->report_put(c, app->id, period_start, REPORT_FORMAT_FROZEN, fresh, strlen(fresh));
			free(fresh);
			if (rc == SRV_E_OK)
				rc = ops->report_get(c, app->id, period_start, REPORT_FORMAT_FROZEN, &json_text, &json_len);
		}
	}
	if (rc == SRV_E_OK && csv)
		rc = csv_render(json_text, out, len);
	else if (rc == SRV_E_OK) {
		*out = json_text;
		*len = json_len;
		json_text = NULL;
	}
	free(json_text);
	return rc;
}
