/*
 * test_partner.c — pieces of the partner platform that need no server: scopes, HTML escaping, and reports
 * (days, settings and what they imply, the noise sampler's distribution, a report's life on a real store with
 * the clock in the test's hands).
 */
#include "unit.h"

#include "dpnoise.h"
#include "html.h"
#include "reports.h"
#include "scopes.h"

#include <jansson.h>
#include <math.h>
#include <sodium.h>

static void scope_lists(void)
{
	char out[256], bad[64];
	CHECK(scope_check("messages:read friends:read", NULL, 1, out, sizeof(out), bad, sizeof(bad)) == 0);
	CHECK_EQ_STR(out, "friends:read messages:read"); /* normalised to table order */
	CHECK(scope_check("messages:read messages:read", NULL, 1, out, sizeof(out), bad, sizeof(bad)) != 0); /* repeat */
	CHECK(scope_check("messages:write", NULL, 1, out, sizeof(out), bad, sizeof(bad)) != 0);
	CHECK_EQ_STR(bad, "messages:write");
	CHECK(scope_check("reports:read", NULL, 1, out, sizeof(out), bad, sizeof(bad)) != 0); /* not a person's scope */
	CHECK(scope_check("reports:read", "reports:read", 0, out, sizeof(out), bad, sizeof(bad)) == 0);
	CHECK(scope_check("friends:read", "messages:read", 1, out, sizeof(out), bad, sizeof(bad)) != 0); /* not in the agreement */
	CHECK(scope_check("friends:read  messages:read", NULL, 1, out, sizeof(out), bad, sizeof(bad)) != 0); /* empty word */
	CHECK(scope_has("a b c", "b") && !scope_has("abc", "b") && !scope_has("a bc", "b") && !scope_has("", "x"));
}

static void html_escapes_everything_it_is_given(void)
{
	struct html h;
	char *page, enc[64];
	html_begin(&h, "<t>");
	html_text(&h, "<script>alert('x')</script> & \"q\"");
	page = html_finish(&h);
	CHECK(page != NULL);
	CHECK(strstr(page, "<script>") == NULL);
	CHECK(strstr(page, "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;") != NULL);
	CHECK(strstr(page, "<title>&lt;t&gt;</title>") != NULL);
	free(page);
	CHECK(html_urlencode("a b&c=d/é", enc, sizeof(enc)) == 0);
	CHECK_EQ_STR(enc, "a%20b%26c%3Dd%2F%C3%A9");
	CHECK(html_urlencode("abcdef", enc, 4) != 0);
}

static void report_days(void)
{
	CHECK_EQ_INT(reports_parse_day("2024-01-01"), 19723);
	CHECK_EQ_INT(reports_parse_day("2024-01-15"), 19737);
	CHECK_EQ_INT(reports_parse_day("2024-02-30"), -1); /* no such date */
	CHECK_EQ_INT(reports_parse_day("2024-1-01"), -1);
	CHECK_EQ_INT(reports_parse_day("2024-01-01x"), -1);
	CHECK_EQ_INT(reports_parse_day(NULL), -1);
}

/* |got - n p| within 6 standard deviations of a binomial (n, p), plus one for rounding: a false failure
 * has probability below 1e-8 per check. */
static int binomial_ok(long long got, double n, double p)
{
	return fabs((double)got - n * p) <= 6.0 * sqrt(n * p * (1.0 - p)) + 1.0;
}

static void noise_bernoulli_exp_is_exact(void)
{
	static const uint64_t cases[][2] = {{0, 1}, {1, 3}, {1, 1}, {5, 2}, {7, 7}, {300, 100}, {2, 1000000}};
	const int n = 100000;
	size_t c;
	CHECK(sodium_init() >= 0);
	for (c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		long long ones = 0;
		int i;
		for (i = 0; i < n; i++)
			ones += dpnoise_bernoulli_exp(cases[c][0], cases[c][1]);
		if (!binomial_ok(ones, n, exp(-(double)cases[c][0] / (double)cases[c][1]))) {
			fprintf(stderr, "  Bernoulli(exp(-%llu/%llu)): %lld of %d\n", (unsigned long long)cases[c][0],
				(unsigned long long)cases[c][1], ones, n);
			CHECK(0);
		}
	}
	CHECK(dpnoise_bernoulli_exp(1, 0) == 0 && dpnoise_bernoulli_exp(1, DPNOISE_MAX + 1) == 0);
	for (c = 0; c < 1000; c++)
		CHECK(dpnoise_uniform(3) < 3 && dpnoise_uniform(((uint64_t)1 << 40) + 3) < ((uint64_t)1 << 40) + 3);
}

/*
 * The discrete Laplace sampler against its exact distribution: every value near 0 at its probability, no
 * value in [-3 scale, 3 scale] missing (the holes Mironov found in floating-point samplers), symmetric.
 */
static void noise_discrete_laplace_matches_its_distribution(void)
{
	static const uint64_t scales[][2] = {{3, 1}, {7, 2}, {30, 1}};
	enum { N = 200000, W = 100 };
	static long long seen[2 * W + 1];
	size_t c;
	CHECK(sodium_init() >= 0);
	for (c = 0; c < sizeof(scales) / sizeof(scales[0]); c++) {
		double alpha = exp(-(double)scales[c][1] / (double)scales[c][0]), sum = 0, sd;
		double scale = (double)scales[c][0] / (double)scales[c][1];
		long long outside = 0;
		int i, y;
		memset(seen, 0, sizeof(seen));
		for (i = 0; i < N; i++) {
			int64_t v = dpnoise_discrete_laplace(scales[c][0], scales[c][1]);
			sum += (double)v;
			if (v < -W || v > W)
				outside++;
			else
				seen[v + W]++;
		}
		for (y = -12; y <= 12; y++) {
			double p = (1.0 - alpha) / (1.0 + alpha) * pow(alpha, abs(y));
			if (!binomial_ok(seen[y + W], N, p)) {
				fprintf(stderr, "  scale %g: %lld draws of %d, expected %.1f\n", scale, seen[y + W], y, N * p);
				CHECK(0);
			}
		}
		for (y = -(int)(3 * scale); y <= (int)(3 * scale); y++)
			CHECK(seen[y + W] > 0);
		/* P[|Y| > W] = 2 alpha^(W+1) / (1 + alpha) */
		CHECK(binomial_ok(outside, N, 2.0 * pow(alpha, W + 1) / (1.0 + alpha)));
		sd = sqrt(2.0 * alpha) / (1.0 - alpha);
		CHECK(fabs(sum / N) <= 6.0 * sd / sqrt((double)N));
	}
	CHECK(dpnoise_discrete_laplace(0, 1) == 0 && dpnoise_discrete_laplace(1, 0) == 0);
}

static void report_settings_and_calibration(void)
{
	struct store_report_settings s;
	struct reports_calibration cal;
	char err[160], text[400];
	int64_t v = 0;
	double alpha;

	reports_settings_default(&s);
	CHECK(reports_settings_check(&s, err, sizeof(err)) == 0);
	CHECK_EQ_STR(s.mechanism, "geometric");
	reports_calibrate(&s, &cal);
	CHECK(cal.noisy == 1 && cal.sensitivity == 30 && cal.scale_t == 30 && cal.scale_s == 1);
	CHECK_EQ_INT(cal.threshold, 444);
	/* the threshold is the smallest T with cap alpha^(T-1) / (1 + alpha) <= delta */
	alpha = exp(-1.0 / 30.0);
	CHECK(5.0 * pow(alpha, 443) / (1.0 + alpha) <= 1e-6 && 5.0 * pow(alpha, 442) / (1.0 + alpha) > 1e-6);
	s.epsilon_e4 = 5000; /* epsilon 0.5, cap 3: scale 36 */
	s.cap = 3;
	reports_calibrate(&s, &cal);
	CHECK(cal.sensitivity == 18 && cal.scale_t == 36 && cal.scale_s == 1);
	s.epsilon_e4 = 7000; /* 0.7: scale 18 / 0.7 = 180 / 7, exactly */
	reports_calibrate(&s, &cal);
	CHECK(cal.scale_t == 180 && cal.scale_s == 7);
	s.k = 100000; /* k above what delta needs */
	reports_calibrate(&s, &cal);
	CHECK_EQ_INT(cal.threshold, 100000);
	snprintf(s.mechanism, sizeof(s.mechanism), "none");
	s.k = 3;
	reports_calibrate(&s, &cal);
	CHECK(cal.noisy == 0 && cal.threshold == 3);
	reports_settings_describe(&s, text, sizeof(text));
	CHECK(strstr(text, "no noise") != NULL);

	CHECK(reports_parse_epsilon("1", &v) == 0 && v == 10000);
	CHECK(reports_parse_epsilon("0.5", &v) == 0 && v == 5000);
	CHECK(reports_parse_epsilon("0.05", &v) == 0 && v == 500);
	CHECK(reports_parse_epsilon("2.0001", &v) == 0 && v == 20001);
	CHECK(reports_parse_epsilon("0.00001", &v) != 0);
	CHECK(reports_parse_epsilon(".5", &v) != 0 && reports_parse_epsilon("1.", &v) != 0 && reports_parse_epsilon("-1", &v) != 0);
	CHECK(reports_parse_epsilon("1e0", &v) != 0 && reports_parse_epsilon("0.5x", &v) != 0 && reports_parse_epsilon("", &v) != 0);
	CHECK(reports_parse_delta("1e-6", &v) == 0 && v == 6);
	CHECK(reports_parse_delta("1e-06", &v) == 0 && v == 6);
	CHECK(reports_parse_delta("1e-2", &v) != 0 && reports_parse_delta("1e-16", &v) != 0 && reports_parse_delta("2e-6", &v) != 0);
	reports_settings_default(&s);
	s.epsilon_e4 = 99;
	CHECK(reports_settings_check(&s, err, sizeof(err)) != 0 && strstr(err, "epsilon") != NULL);
	reports_settings_default(&s);
	s.cap = 0;
	CHECK(reports_settings_check(&s, err, sizeof(err)) != 0 && strstr(err, "cap") != NULL);
	reports_settings_default(&s);
	snprintf(s.mechanism, sizeof(s.mechanism), "laplace");
	CHECK(reports_settings_check(&s, err, sizeof(err)) != 0);
}

/* ---- a report's life on a real store, the clock in the test's hands ---- */

#define DAY 86400000LL
#define P1 (19723 * DAY) /* 2024-01-01 */
#define P2 (P1 + 14 * DAY)
#define P3 (P2 + 14 * DAY)

static char store_dir[] = "/tmp/postern-reports-XXXXXX";

static char *render(const struct store_ops *ops, struct store_conn *c, const struct store_app *app, const char *period,
		    const char *format, int64_t now)
{
	char *out = NULL, err[160] = "";
	const char *type = NULL;
	size_t len = 0;
	CHECK(ops->begin(c) == SRV_E_OK);
	if (reports_render(ops, c, app, period, format, now, &out, &len, &type, err, sizeof(err)) != SRV_E_OK) {
		fprintf(stderr, "  reports_render %s %s: %s\n", period, format, err);
		CHECK(0);
	}
	CHECK(ops->commit(c) == SRV_E_OK);
	CHECK(out != NULL && strlen(out) == len && strstr(type, format[0] == 'c' ? "text/csv" : "application/json") != NULL);
	return out;
}

static void add_settings(const struct store_ops *ops, struct store_conn *c, int64_t app, const char *mechanism,
			 int64_t epsilon_e4, int64_t delta_exp, int64_t k, int64_t cap, int64_t since)
{
	struct store_report_settings s;
	memset(&s, 0, sizeof(s));
	snprintf(s.mechanism, sizeof(s.mechanism), "%s", mechanism);
	s.epsilon_e4 = epsilon_e4;
	s.delta_exp = delta_exp;
	s.k = k;
	s.cap = cap;
	s.since = since;
	CHECK(ops->report_settings_add(c, app, &s) == SRV_E_OK);
}

/* Each row of a JSON report as "item,shares,senders,recipients,clicks,ctr" lines, as the CSV has them. */
static void rows_as_csv(const char *json, char *out, size_t cap)
{
	json_t *doc = json_loads(json, 0, NULL), *r;
	size_t i, used = 0;
	CHECK(doc != NULL);
	out[0] = '\0';
	json_array_foreach(json_object_get(doc, "rows"), i, r) {
		CHECK(json_object_size(r) == 6 && json_object_get(r, "date") == NULL);
		used += (size_t)snprintf(out + used, cap - used, "\"%s\",%lld,%lld,%lld,%lld,%.4f\r\n",
					 json_string_value(json_object_get(r, "item")),
					 (long long)json_integer_value(json_object_get(r, "shares")),
					 (long long)json_integer_value(json_object_get(r, "senders")),
					 (long long)json_integer_value(json_object_get(r, "recipients")),
					 (long long)json_integer_value(json_object_get(r, "clicks")),
					 json_number_value(json_object_get(r, "ctr")));
		CHECK(used < cap);
	}
	json_decref(doc);
}

static void report_life_on_a_store(void)
{
	const struct store_ops *ops = &store_sqlite_ops;
	struct store_options o;
	struct store *st = NULL;
	struct store_conn *c = NULL;
	struct store_app app;
	char path[128], *a, *b, *csv, want[8192], pid[32];
	json_t *doc;
	int i;

	CHECK(sodium_init() >= 0);
	CHECK(mkdtemp(store_dir) != NULL);
	snprintf(path, sizeof(path), "%s/r.db", store_dir);
	o.path = path;
	o.durable = 0;
	CHECK(ops->open(&o, &st) == SRV_E_OK && ops->conn_open(st, 1, &c) == SRV_E_OK);
	memset(&app, 0, sizeof(app));
	snprintf(app.client_id, sizeof(app.client_id), "app_r");
	snprintf(app.redirect_uris, sizeof(app.redirect_uris), "[]");
	CHECK(ops->app_insert(c, &app) == SRV_E_OK);
	/* P1: exact counts (none, k 1) set before it closes; 3 people share "a:1" with 3 others, 1 shares "b:2" */
	add_settings(ops, c, app.id, "none", 10000, 6, 1, 5, P1 + DAY);
	for (i = 0; i < 3; i++) {
		snprintf(pid, sizeof(pid), "s1_%d", i);
		CHECK(ops->share_insert(c, pid, app.id, 1, 100 + i, 200 + i, 1, 1, "a:1", P1 + 2 * DAY + i) == SRV_E_OK);
	}
	CHECK(ops->share_insert(c, "s1_b", app.id, 1, 100, 201, 1, 1, "b:2", P1 + 3 * DAY) == SRV_E_OK);

	/* open: no counts, when it will be ready, today's settings */
	a = render(ops, c, &app, "2024-01-01", "json", P1 + 5 * DAY);
	doc = json_loads(a, 0, NULL);
	CHECK(doc != NULL && json_object_get(doc, "rows") == NULL && strstr(a, "a:1") == NULL);
	CHECK_EQ_STR(json_string_value(json_object_get(doc, "status")), "open");
	CHECK_EQ_STR(json_string_value(json_object_get(doc, "ready_at")), "2024-01-15T00:00:00.000Z");
	json_decref(doc);
	free(a);
	csv = render(ops, c, &app, "2024-01-01", "csv", P1 + 5 * DAY);
	CHECK(strstr(csv, "status=open") != NULL && strstr(csv, "a:1") == NULL);
	free(csv);

	/* closed: computed once with the settings in force at its end; CSV renders the frozen JSON */
	a = render(ops, c, &app, "2024-01-01", "json", P2);
	doc = json_loads(a, 0, NULL);
	CHECK(doc != NULL);
	CHECK_EQ_STR(json_string_value(json_object_get(doc, "status")), "closed");
	CHECK_EQ_STR(json_string_value(json_object_get(json_object_get(doc, "privacy"), "mechanism")), "none");
	CHECK(json_integer_value(json_object_get(doc, "suppressed_rows")) == 0);
	json_decref(doc);
	rows_as_csv(a, want, sizeof(want));
	CHECK_EQ_STR(want, "\"a:1\",3,3,3,0,0.0000\r\n\"b:2\",1,1,1,0,0.0000\r\n");
	add_settings(ops, c, app.id, "geometric", 50000, 3, 1, 1, P2 + DAY); /* after P1 closed */
	b = render(ops, c, &app, "2024-01-01", "json", P3 + 100 * DAY);
	CHECK_EQ_STR(b, a); /* frozen: the same bytes, whatever changed since */
	free(b);
	csv = render(ops, c, &app, "2024-01-01", "csv", P3);
	CHECK(strncmp(csv, "item,shares,senders,recipients,clicks,ctr\r\n", 43) == 0 && strstr(csv, want) == csv + 43);
	CHECK(strstr(csv, "mechanism=none") != NULL);
	free(csv);
	free(a);

	/* P2: 40 people share "c:3"; settings in force at its end are geometric (epsilon 5, cap 1, delta 1e-3:
	 * threshold 9), and a change after its end does not apply even though nobody asked before */
	for (i = 0; i < 40; i++) {
		snprintf(pid, sizeof(pid), "s2_%d", i);
		CHECK(ops->share_insert(c, pid, app.id, 1, 300 + i, 400 + i, 1, 1, "c:3", P2 + 2 * DAY) == SRV_E_OK);
	}
	add_settings(ops, c, app.id, "none", 10000, 6, 1, 5, P3 + 1);
	a = render(ops, c, &app, "2024-01-15", "json", P3 + 2 * DAY);
	doc = json_loads(a, 0, NULL);
	CHECK(doc != NULL);
	CHECK_EQ_STR(json_string_value(json_object_get(json_object_get(doc, "privacy"), "mechanism")), "geometric");
	CHECK_EQ_INT(json_integer_value(json_object_get(json_object_get(doc, "privacy"), "threshold")), 9);
	CHECK(json_object_get(doc, "suppressed_rows") == NULL); /* its exact value would say how many items there were */
	CHECK(json_array_size(json_object_get(doc, "rows")) == 1);
	json_decref(doc);
	rows_as_csv(a, want, sizeof(want));
	/* one draw: a second fetch, in either format, shows the same numbers */
	b = render(ops, c, &app, "2024-01-15", "json", P3 + 3 * DAY);
	CHECK_EQ_STR(b, a);
	free(b);
	csv = render(ops, c, &app, "2024-01-15", "csv", P3 + 3 * DAY);
	CHECK(strstr(csv, want) == csv + 43);
	free(csv);
	free(a);

	/* a period that has not started, a day that is not a boundary, a format that does not exist */
	{
		char *out = NULL, err[160] = "";
		const char *type = NULL;
		size_t len = 0;
		CHECK(reports_render(ops, c, &app, "2024-01-29", "json", P3 - 1, &out, &len, &type, err, sizeof(err)) ==
		      SRV_E_INVALID_FIELD);
		CHECK(reports_render(ops, c, &app, "2024-01-02", "json", P3, &out, &len, &type, err, sizeof(err)) ==
		      SRV_E_INVALID_FIELD);
		CHECK(reports_render(ops, c, &app, "2024-01-01", "xml", P3, &out, &len, &type, err, sizeof(err)) ==
		      SRV_E_INVALID_FIELD);
		CHECK(out == NULL);
	}
	ops->conn_close(c);
	ops->close(st);
}

static const struct unit_case cases[] = {
	{"scope_lists", scope_lists},
	{"html_escapes_everything_it_is_given", html_escapes_everything_it_is_given},
	{"report_days", report_days},
	{"noise_bernoulli_exp_is_exact", noise_bernoulli_exp_is_exact},
	{"noise_discrete_laplace_matches_its_distribution", noise_discrete_laplace_matches_its_distribution},
	{"report_settings_and_calibration", report_settings_and_calibration},
	{"report_life_on_a_store", report_life_on_a_store},
};

UNIT_MAIN("partner", cases)
