/* reports.c — aggregate, privacy-preserving partner reports (see reports.h). */
#include "reports.h"
#include "jsontext.h"


#include <jansson.h>
#include <math.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "banned.h" /* last: bans footguns in this file only */

#define REPORT_EPOCH_DAY 19723 /* 2024-01-01, a Monday */
#define REPORT_PERIOD_DAYS 14
#define DAY_MS 86400000LL

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

/* Laplace(0, scale) from a uniform draw: the inverse CDF. */
static double laplace(double scale)
{
	double u;
	uint32_t r = randombytes_uniform(0xFFFFFFFEu) + 1u; /* in [1, 2^32-2] */
	u = (double)r / 4294967295.0 - 0.5;
	return -scale * (u < 0 ? -1.0 : 1.0) * log(1.0 - 2.0 * fabs(u));
}

static int64_t noisy(int64_t v, double scale)
{
	double x;
	if (scale <= 0)
		return v;
	x = (double)v + laplace(scale);
	return x < 0 ? 0 : (int64_t)llround(x);
}

struct collect {
	json_t *rows;
	int64_t k, cap, suppressed;
	double epsilon;
};

static int row_cb(void *arg, const struct store_report_row *r)
{
	struct collect *c = arg;
	char date[16];
	int64_t shares, senders, recipients, clicks;
	double ctr;
	if (r->senders < c->k || r->recipients < c->k) {
		c->suppressed++;
		return 0;
	}
	shares = noisy(r->shares, c->epsilon > 0 ? (double)c->cap / c->epsilon : 0);
	senders = noisy(r->senders, c->epsilon > 0 ? 1.0 / c->epsilon : 0);
	recipients = noisy(r->recipients, c->epsilon > 0 ? 1.0 / c->epsilon : 0);
	clicks = noisy(r->clicks, c->epsilon > 0 ? 1.0 / c->epsilon : 0);
	if (clicks > recipients)
		clicks = recipients;
	ctr = recipients > 0 ? round((double)clicks / (double)recipients * 10000.0) / 10000.0 : 0.0;
	day_text(r->day, date);
	json_array_append_new(c->rows, json_pack("{s:s,s:s,s:I,s:I,s:I,s:I,s:f}", "date", date, "item", r->item, "shares",
						 (json_int_t)shares, "senders", (json_int_t)senders, "recipients",
						 (json_int_t)recipients, "clicks", (json_int_t)clicks, "ctr", ctr));
	return 0;
}

/* CSV field: quoted, with quotes doubled; a leading = + - @ is prefixed with ' (spreadsheet injection). */
static void csv_field(FILE *f, const char *s)
{
	fputc('"', f);
	if (strchr("=+-@", s[0]) && s[0])
		fputc('\'', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

enum pst_err reports_render(const struct store_ops *ops, struct store_conn *c, const struct config *cfg,
			    const struct store_app *app, const char *period_start, const char *format, int64_t now,
			    char **out, size_t *len, char *err, size_t errlen)
{
	int64_t day = reports_parse_day(period_start), from, to;
	struct collect col = {0};
	json_t *doc = NULL;
	enum pst_err rc = PST_E_OK;
	char end_text[16], *text = NULL;
	size_t tlen = 0;
	int closed, csv;

	*out = NULL;
	*len = 0;
	if (day < REPORT_EPOCH_DAY || (day - REPORT_EPOCH_DAY) % REPORT_PERIOD_DAYS != 0) {
		snprintf(err, errlen, "period_start must be a period boundary: 2024-01-01 plus a multiple of 14 days");
		return PST_E_INVALID_FIELD;
	}
	if (strcmp(format, "json") != 0 && strcmp(format, "csv") != 0) {
		snprintf(err, errlen, "format is json or csv");
		return PST_E_INVALID_FIELD;
	}
	csv = format[0] == 'c';
	from = day * DAY_MS;
	to = from + REPORT_PERIOD_DAYS * DAY_MS;
	if (from > now) {
		snprintf(err, errlen, "that period has not started");
		return PST_E_INVALID_FIELD;
	}
	closed = now >= to;
	if (closed) {
		rc = ops->report_get(c, app->id, period_start, format, out, len);
		if (rc != PST_E_NOT_FOUND)
			return rc; /* frozen: the same bytes as the first time */
	}
	col.rows = json_array();
	col.k = cfg->report_k;
	col.cap = cfg->report_cap;
	col.epsilon = strtod(cfg->report_epsilon, NULL);
	rc = ops->report_rows(c, app->id, from, to, cfg->report_cap, row_cb, &col);
	if (rc != PST_E_OK)
		goto out;
	day_text(day + REPORT_PERIOD_DAYS - 1, end_text);
	if (csv) {
		FILE *f = open_memstream(&text, &tlen);
		size_t i;
		json_t *r;
		if (f == NULL) {
			rc = PST_E_INTERNAL;
			goto out;
		}
		fprintf(f, "date,item,shares,senders,recipients,clicks,ctr\r\n");
		json_array_foreach(col.rows, i, r) {
			fprintf(f, "%s,", json_string_value(json_object_get(r, "date")));
			csv_field(f, json_string_value(json_object_get(r, "item")));
			fprintf(f, ",%lld,%lld,%lld,%lld,%.4f\r\n", (long long)json_integer_value(json_object_get(r, "shares")),
				(long long)json_integer_value(json_object_get(r, "senders")),
				(long long)json_integer_value(json_object_get(r, "recipients")),
				(long long)json_integer_value(json_object_get(r, "clicks")), json_real_value(json_object_get(r, "ctr")));
		}
		fprintf(f, "# suppressed_buckets=%lld k=%lld cap=%lld epsilon=%s\r\n", (long long)col.suppressed,
			(long long)col.k, (long long)col.cap, cfg->report_epsilon);
		fclose(f);
	} else {
		doc = json_pack("{s:s,s:s,s:s,s:b,s:{s:I,s:I,s:f},s:O,s:I}", "client_id", app->client_id, "period_start", period_start,
				"period_end", end_text, "closed", closed, "privacy", "k", (json_int_t)col.k, "cap_per_person_per_day",
				(json_int_t)col.cap, "epsilon", col.epsilon, "rows", col.rows, "suppressed_buckets",
				(json_int_t)col.suppressed);
		text = doc ? jsontext_dump(doc, JSON_COMPACT) : NULL;
		tlen = text ? strlen(text) : 0;
	}
	if (text == NULL) {
		rc = PST_E_INTERNAL;
		goto out;
	}
	if (closed) { /* freeze; if a concurrent fetch froze first, serve its bytes */
		rc = ops->report_put(c, app->id, period_start, format, text, tlen);
		if (rc == PST_E_OK) {
			free(text);
			text = NULL;
			rc = ops->report_get(c, app->id, period_start, format, out, len);
		}
		goto out;
	}
	*out = text;
	*len = tlen;
	text = NULL;
out:
	free(text);
	json_decref(doc);
	json_decref(col.rows);
	return rc;
}
