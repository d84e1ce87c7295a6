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
	size_t got = 0;

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

static int b64url_value(char ch)
{
	if (ch >= 'A' && ch <= 'Z')
		return ch - 'A';
	if (ch >= 'a' && ch <= 'z')
		return ch - 'a' + 26;
	if (ch >= '0' && ch <= '9')
		return ch - '0' + 52;
	if (ch == '-')
		return 62;
	if (ch == '_')
		return 63;
	return -1;
}

int b64url_check(const char *text, size_t len, size_t *decoded_len)
{
	size_t i;
	int last = 0;
	if (len % 4 == 1)
		return -1;
	for (i = 0; i < len; i++)
		if ((last = b64url_value(text[i])) < 0)
			return -1;
	/* canonical: the bits past the last whole byte are zero */
	if (len % 4 == 2 && (last & 0x0f) != 0)
		return -1;
	if (len % 4 == 3 && (last & 0x03) != 0)
		return -1;
	*decoded_len = len / 4 * 3 + (len % 4 == 0 ? 0 : len % 4 - 1);
	return 0;
}
