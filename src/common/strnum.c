/*
 * strnum.c — checked decimal parsing (see strnum.h). No locale, no errno games: digits are read one by
 * one with an overflow check before each step.
 */
#include "strnum.h"

#include <string.h>

#include "banned.h" /* last: bans footguns in this file only */

int strnum_parse_i64(const char *s, size_t len, int64_t min, int64_t max, int64_t *out)
{
	size_t i = 0;
	int neg = 0;
	uint64_t v = 0, limit;

	if (s == NULL || len == 0)
		return -1;
	if (s[0] == '-') {
		if (min >= 0 || len == 1)
			return -1;
		neg = 1;
		i = 1;
	}
	if (len - i > 1 && s[i] == '0')
		return -1;
	limit = neg ? (uint64_t)INT64_MAX + 1u : (uint64_t)INT64_MAX;
	for (; i < len; i++) {
		unsigned d;
		if (s[i] < '0' || s[i] > '9')
			return -1;
		d = (unsigned)(s[i] - '0');
		if (v > (limit - d) / 10u)
			return -1;
		v = v * 10u + d;
	}
	{
		int64_t r;
		if (neg)
			r = v == (uint64_t)INT64_MAX + 1u ? INT64_MIN : -(int64_t)v;
		else
			r = (int64_t)v;
		if (r < min || r > max)
			return -1;
		*out = r;
	}
	return 0;
}

int strnum_parse_cstr(const char *s, int64_t min, int64_t max, int64_t *out)
{
	if (s == NULL)
		return -1;
	return strnum_parse_i64(s, strlen(s), min, max, out);
}
