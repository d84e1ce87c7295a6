/*
 * utf8.c — see utf8.h. The byte ranges are those of RFC 3629's UTF8-octets grammar (section 4).
 */
#include "utf8.h"

#include <stdlib.h>

#include "banned.h" /* last: bans footguns in this file only */

/* The length of the well-formed sequence at p[0..left) (1 to 4), or 0 when none starts there. */
static size_t seq_len(const unsigned char *p, size_t left)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t n, i;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		n = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		n = 3;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		n = 4;
	else
		return 0; /* a continuation byte, C0/C1 (overlong two-byte forms) or F5..FF */
	if (p[0] == 0xe0)
		lo = 0xa0; /* overlong three-byte forms */
	else if (p[0] == 0xed)
		hi = 0x9f; /* surrogates U+D800..U+DFFF */
	else if (p[0] == 0xf0)
		lo = 0x90; /* overlong four-byte forms */
	else if (p[0] == 0xf4)
		hi = 0x8f; /* above U+10FFFF */
	if (left < n || p[1] < lo || p[1] > hi)
		return 0;
	for (i = 2; i < n; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return n;
}

int utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, n;

	while (i < len) {
		if ((n = seq_len(p + i, len - i)) == 0)
			return 0;
		i += n;
	}
	return 1;
}

char *utf8_repair(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	unsigned char *out;
	size_t i = 0, o = 0, n;

	/* worst case: every byte becomes the 3-byte U+FFFD */
	if (len > (((size_t)-1) - 1) / 3 || (out = malloc(len * 3 + 1)) == NULL)
		return NULL;
	while (i < len && p[i] != 0) {
		if ((n = seq_len(p + i, len - i)) == 0) {
			out[o++] = 0xef, out[o++] = 0xbf, out[o++] = 0xbd;
			i++;
			continue;
		}
		while (n--)
			out[o++] = p[i++];
	}
	out[o] = 0;
	return (char *)out;
}
