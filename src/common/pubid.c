/* pubid.c — random public ids (see pubid.h). */
#include "pubid.h"

#include "b64url.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "banned.h" /* last: bans footguns in this file only */

int pubid_new(const char *prefix, char *out, size_t cap)
{
	unsigned char raw[16];
	char text[24];
	int n;
	randombytes_buf(raw, sizeof(raw));
	b64url_encode(raw, sizeof(raw), text, sizeof(text));
	n = snprintf(out, cap, "%s_%s", prefix, text);
	return (n < 0 || (size_t)n >= cap) ? -1 : 0;
}

int pubid_new_ordered(const char *prefix, int64_t now_ms, char *out, size_t cap)
{
	unsigned char raw[16];
	char text[24];
	int i, n;
	for (i = 0; i < 6; i++)
		raw[i] = (unsigned char)((uint64_t)now_ms >> (8 * (5 - i)));
	randombytes_buf(raw + 6, sizeof(raw) - 6);
	b64url_encode(raw, sizeof(raw), text, sizeof(text));
	n = snprintf(out, cap, "%s_%s", prefix, text);
	return (n < 0 || (size_t)n >= cap) ? -1 : 0;
}

int pubid_plausible(const char *s)
{
	size_t i, n = strlen(s);
	if (n < 3 || n >= PUBID_MAX)
		return 0;
	for (i = 0; i < n; i++) {
		char ch = s[i];
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '_' || ch == '-'))
			return 0;
	}
	return 1;
}
