/* test_partner.c — pieces of the partner platform that need no server: scopes, HTML escaping, report days. */
#include "unit.h"

#include "html.h"
#include "reports.h"
#include "scopes.h"

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

static const struct unit_case cases[] = {
	{"scope_lists", scope_lists},
	{"html_escapes_everything_it_is_given", html_escapes_everything_it_is_given},
	{"report_days", report_days},
};

UNIT_MAIN("partner", cases)
