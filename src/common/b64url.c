/* b64url.c — base64url codec over libsodium (see b64url.h). */
#include "b64url.h"

#include <sodium.h>

#include "banned.h" /* last: bans footguns in this file only */

size_t b64url_encoded_len(size_t n)
{
	return sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_URLSAFE_NO_PADDING) - 1;
}

size_t b64url_max_decoded_len(size_t n)
{
	return n / 4 * 3 + 2;
}

int b64url_encode(const unsigned char *bin, size_t n, char *out, size_t outlen)
{
	if (outlen < b64url_encoded_len(n) + 1)
		return -1;
	sodium_bin2base64(out, outlen, bin, n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	return 0;
}

int b64url_decode(const char *text, size_t len, unsigned char *out, size_t outcap, size_t *outlen)
{
	const char *end = NULL;
	size_t got = 0, want = 0;

	/* libsodium 1.0.18 reads some bytes from 0x80 up as base64 digits: the alphabet is checked here first */
	if (b64url_check(text, len, &want) != 0 || want > outcap)
		return -1;
	if (sodium_base642bin(out, outcap, text, len, NULL, &got, &end,
			      sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0)
		return -1;
	if (end != text + len)
		return -1;
	*outlen = got;
	return 0;
}

int b64url_decode_exact(const char *text, size_t len, unsigned char *out, size_t want)
{
	size_t got = 0;
	if (b64url_decode(text, len, out, want, &got) != 0 || got != want)
		return -1;
	return 0;
}

/* Value of each base64url character, -1 for anything else: a table, since bodies of 64 KiB pass through here. */
static const signed char b64url_values[256] = {
	['A'] = 0, ['B'] = 1, ['C'] = 2, ['D'] = 3, ['E'] = 4, ['F'] = 5, ['G'] = 6, ['H'] = 7, ['I'] = 8, ['J'] = 9,
	['K'] = 10, ['L'] = 11, ['M'] = 12, ['N'] = 13, ['O'] = 14, ['P'] = 15, ['Q'] = 16, ['R'] = 17, ['S'] = 18,
	['T'] = 19, ['U'] = 20, ['V'] = 21, ['W'] = 22, ['X'] = 23, ['Y'] = 24, ['Z'] = 25, ['a'] = 26, ['b'] = 27,
	['c'] = 28, ['d'] = 29, ['e'] = 30, ['f'] = 31, ['g'] = 32, ['h'] = 33, ['i'] = 34, ['j'] = 35, ['k'] = 36,
	['l'] = 37, ['m'] = 38, ['n'] = 39, ['o'] = 40, ['p'] = 41, ['q'] = 42, ['r'] = 43, ['s'] = 44, ['t'] = 45,
	['u'] = 46, ['v'] = 47, ['w'] = 48, ['x'] = 49, ['y'] = 50, ['z'] = 51, ['0'] = 52, ['1'] = 53, ['2'] = 54,
	['3'] = 55, ['4'] = 56, ['5'] = 57, ['6'] = 58, ['7'] = 59, ['8'] = 60, ['9'] = 61, ['-'] = 62, ['_'] = 63,
};

/* The table's zero entries are real zeros only for 'A': tell them apart from "not in the alphabet". */
static int b64url_value(unsigned char ch)
{
	int v = b64url_values[ch];
	return (v == 0 && ch != 'A') ? -1 : v;
}

int b64url_check(const char *text, size_t len, size_t *decoded_len)
{
	size_t i;
	int last = 0;
	if (len % 4 == 1)
		return -1;
	for (i = 0; i < len; i++)
		if ((last = b64url_value((unsigned char)text[i])) < 0)
			return -1;
	/* canonical: the bits past the last whole byte are zero */
	if (len % 4 == 2 && (last & 0x0f) != 0)
		return -1;
	if (len % 4 == 3 && (last & 0x03) != 0)
		return -1;
	*decoded_len = len / 4 * 3 + (len % 4 == 0 ? 0 : len % 4 - 1);
	return 0;
}
