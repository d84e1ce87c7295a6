/* test_common.c — the generic helpers: checked integers, base64url, RFC 3339 time, public ids, errors. */
#include "unit.h"

#include "b64url.h"
#include "utf8.h"
#include "error.h"
#include "jsontext.h"
#include "pubid.h"
#include "strnum.h"
#include "timefmt.h"

#include <sodium.h>

static void strnum_accepts_and_rejects(void)
{
	int64_t v = 0;
	CHECK(strnum_parse_cstr("0", 0, 10, &v) == 0 && v == 0);
	CHECK(strnum_parse_cstr("9223372036854775807", 0, INT64_MAX, &v) == 0 && v == INT64_MAX);
	CHECK(strnum_parse_cstr("9223372036854775808", 0, INT64_MAX, &v) != 0);
	CHECK(strnum_parse_cstr("-9223372036854775808", INT64_MIN, 0, &v) == 0 && v == INT64_MIN);
	CHECK(strnum_parse_cstr("-1", 0, 10, &v) != 0);
	CHECK(strnum_parse_cstr("11", 0, 10, &v) != 0);
	CHECK(strnum_parse_cstr("", 0, 10, &v) != 0);
	CHECK(strnum_parse_cstr("1 ", 0, 10, &v) != 0);
	CHECK(strnum_parse_cstr("+1", 0, 10, &v) != 0);
	CHECK(strnum_parse_cstr("01", 0, 10, &v) != 0);
	CHECK(strnum_parse_cstr("0x1", 0, 10, &v) != 0);
	CHECK(strnum_parse_cstr(NULL, 0, 10, &v) != 0);
	v = 42;
	CHECK(strnum_parse_cstr("abc", 0, 100, &v) != 0 && v == 42); /* untouched on failure */
}

static void b64url_round_trip_and_strictness(void)
{
	unsigned char in[64], out[64];
	char text[100];
	size_t n = 0, dl = 0, len;
	for (len = 0; len <= sizeof(in); len++) {
		randombytes_buf(in, len);
		CHECK(b64url_encode(in, len, text, sizeof(text)) == 0);
		CHECK(strlen(text) == b64url_encoded_len(len));
		CHECK(strchr(text, '=') == NULL && strchr(text, '+') == NULL && strchr(text, '/') == NULL);
		CHECK(b64url_decode(text, strlen(text), out, sizeof(out), &n) == 0 && n == len && memcmp(in, out, len) == 0);
		CHECK(b64url_check(text, strlen(text), &dl) == 0 && dl == len);
	}
	CHECK(b64url_decode("aGk=", 4, out, sizeof(out), &n) != 0); /* padding */
	CHECK(b64url_decode("a+8", 3, out, sizeof(out), &n) != 0);  /* standard alphabet */
	CHECK(b64url_decode("\xff\xff\xff\xff", 4, out, sizeof(out), &n) != 0); /* libsodium 1.0.18 took these */
	CHECK(b64url_decode("aGk\xce", 4, out, sizeof(out), &n) != 0);
	CHECK(b64url_decode_exact("\xce\xce\xce\xce", 4, out, 3) != 0);
	CHECK(b64url_decode("aGl", 3, out, sizeof(out), &n) != 0);  /* non-canonical trailing bits */
	CHECK(b64url_check("aGk=", 4, &dl) != 0);
	CHECK(b64url_check("a", 1, &dl) != 0);                       /* impossible length */
	CHECK(b64url_check("aGl", 3, &dl) != 0);                     /* non-canonical trailing bits */
	CHECK(b64url_check("aGk", 3, &dl) == 0 && dl == 2);
	CHECK(b64url_decode_exact("aGk", 3, out, 3) != 0);
	CHECK(b64url_encode(in, 10, text, 5) != 0);                  /* too small */
}

static void rfc3339_format(void)
{
	char buf[TIMEFMT_RFC3339_LEN];
	CHECK(timefmt_rfc3339(0, buf, sizeof(buf)) == 0);
	CHECK_EQ_STR(buf, "1970-01-01T00:00:00.000Z");
	CHECK(timefmt_rfc3339(1704067200123LL, buf, sizeof(buf)) == 0);
	CHECK_EQ_STR(buf, "2024-01-01T00:00:00.123Z");
	CHECK(timefmt_rfc3339(-1, buf, sizeof(buf)) != 0 && buf[0] == '\0');
	CHECK(timefmt_rfc3339(0, buf, 10) != 0);
	CHECK(timefmt_now_ms() > 1704067200000LL);
}

static void pubids_are_random_and_plausible(void)
{
	char a[PUBID_MAX], b[PUBID_MAX];
	CHECK(pubid_new("u", a, sizeof(a)) == 0);
	CHECK(pubid_new("u", b, sizeof(b)) == 0);
	CHECK(strncmp(a, "u_", 2) == 0 && strlen(a) == 24);
	CHECK(strcmp(a, b) != 0);
	CHECK(pubid_plausible(a));
	CHECK(!pubid_plausible("u_../etc"));
	CHECK(!pubid_plausible(""));
	CHECK(pubid_new("u", a, 10) != 0);
}

static void error_table_is_consistent(void)
{
	int e;
	char *body;
	CHECK_EQ_INT(error_status(SRV_E_NOT_FOUND), 404);
	CHECK_EQ_STR(error_code(SRV_E_USERNAME_TAKEN), "username_taken");
	CHECK_EQ_INT(error_status((enum srv_err)9999), 500);
	for (e = 1; e < SRV_E__COUNT; e++) {
		const char *c = error_code((enum srv_err)e);
		size_t i;
		CHECK(error_status((enum srv_err)e) >= 400);
		for (i = 0; c[i]; i++)
			CHECK((c[i] >= 'a' && c[i] <= 'z') || c[i] == '_');
	}
	body = error_json(SRV_E_NOT_FOUND, NULL);
	CHECK_EQ_STR(body, "{\"error\":{\"code\":\"not_found\",\"message\":\"no such resource\"}}");
	free(body);
}

static void jsontext_whole_or_nothing(void)
{
	json_t *j = json_pack("{s:s,s:[i,i],s:{s:b}}", "a", "x\"y", "b", 1, 2, "c", "d", 1);
	char *t = jsontext_dump(j, JSON_COMPACT | JSON_SORT_KEYS), *ref = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	CHECK(t != NULL && ref != NULL);
	CHECK_EQ_STR(t, ref);
	CHECK(jsontext_dump(NULL, 0) == NULL);
	free(t);
	free(ref);
	json_decref(j);
}

static void utf8_validity_and_repair(void)
{
	static const struct {
		const char *s;
		int valid;
		const char *repaired;
	} v[] = {
		{"plain ascii", 1, "plain ascii"},
		{"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x8e\xb5", 1, "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x8e\xb5"},
		{"\xc0\xaf", 0, "\xef\xbf\xbd\xef\xbf\xbd"},                 /* overlong "/" */
		{"\xe0\x80\xaf", 0, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"}, /* overlong, three bytes */
		{"\xed\xa0\x80", 0, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"}, /* surrogate U+D800 */
		{"\xf4\x90\x80\x80", 0, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"}, /* U+110000 */
		{"\xf4\x8f\xbf\xbf", 1, "\xf4\x8f\xbf\xbf"},                 /* U+10FFFF */
		{"ab\xe2\x82", 0, "ab\xef\xbf\xbd\xef\xbf\xbd"},              /* cut short */
		{"\xff\xfe x", 0, "\xef\xbf\xbd\xef\xbf\xbd x"},
	};
	size_t i, j;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		char *r = utf8_repair(v[i].s, strlen(v[i].s));
		CHECK_EQ_INT(utf8_valid(v[i].s, strlen(v[i].s)), v[i].valid);
		CHECK(r != NULL);
		CHECK_EQ_STR(r, v[i].repaired);
		CHECK(utf8_valid(r, strlen(r)));
		free(r);
	}
	/* stops at a NUL byte */
	{
		char *r = utf8_repair("ab\0cd", 5);
		CHECK_EQ_STR(r, "ab");
		free(r);
	}
	/* against jansson's own UTF-8 check, over every 1- and 2-byte string and random longer ones */
	for (i = 0; i < 256 * 256 + 20000; i++) {
		unsigned char b[6];
		size_t len;
		json_t *js;
		char *r;
		if (i < 256 * 256) {
			b[0] = (unsigned char)(i >> 8), b[1] = (unsigned char)i;
			len = b[0] == 0 ? 1 : 2; /* keep b[1] reachable: "\0x" is covered by the one-byte strings */
			if (len == 1)
				b[0] = b[1];
		} else {
			len = 3 + i % 4;
			for (j = 0; j < len; j++)
				b[j] = (unsigned char)(0x80 + (rand() % 0x80)) | (unsigned char)((rand() % 4 == 0) ? 0x40 : 0);
		}
		js = json_stringn((const char *)b, len);
		CHECK_EQ_INT(utf8_valid((const char *)b, len), js != NULL);
		json_decref(js);
		r = utf8_repair((const char *)b, len);
		CHECK(r != NULL && utf8_valid(r, strlen(r)));
		free(r);
	}
}

static const struct unit_case cases[] = {
	{"strnum_accepts_and_rejects", strnum_accepts_and_rejects},
	{"b64url_round_trip_and_strictness", b64url_round_trip_and_strictness},
	{"rfc3339_format", rfc3339_format},
	{"pubids_are_random_and_plausible", pubids_are_random_and_plausible},
	{"error_table_is_consistent", error_table_is_consistent},
	{"jsontext_whole_or_nothing", jsontext_whole_or_nothing},
	{"utf8_validity_and_repair", utf8_validity_and_repair},
};

UNIT_MAIN("common", cases)
