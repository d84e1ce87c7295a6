/*
 * b64url.h — base64url without padding (RFC 4648 §5), the encoding of every key, token and body in the API.
 * A thin, bounded wrapper over libsodium's codec so call sites never size buffers by hand.
 * Generic: includes nothing of the server.
 */
#ifndef POSTERN_B64URL_H
#define POSTERN_B64URL_H

#include <stddef.h>

/* Length of the text (without NUL) that encodes n bytes. */
size_t b64url_encoded_len(size_t n);

/* Largest number of bytes that text of length n can decode to. */
size_t b64url_max_decoded_len(size_t n);

/*
 * Encode bin[0..n) into out, which must hold b64url_encoded_len(n) + 1 bytes; NUL-terminates.
 * Returns 0, or -1 if outlen is too small. Thread-safe.
 */
int b64url_encode(const unsigned char *bin, size_t n, char *out, size_t outlen);

/*
 * Decode text[0..len) into out (capacity outcap) and store the decoded length in *outlen.
 * Strict: no padding, no whitespace, no characters outside the URL-safe alphabet, no trailing bits set
 * (libsodium rejects non-canonical text). Returns 0, or -1 on bad text or too small a buffer.
 */
int b64url_decode(const char *text, size_t len, unsigned char *out, size_t outcap, size_t *outlen);

/* Decode into exactly want bytes: fails unless the text decodes to that length. */
int b64url_decode_exact(const char *text, size_t len, unsigned char *out, size_t want);


/*
 * Check that text[0..len) is canonical base64url without padding, without decoding it, and store the
 * decoded length in *decoded_len. Returns 0 when valid, -1 otherwise. Used to validate large opaque bodies
 * without a scratch buffer.
 */
int b64url_check(const char *text, size_t len, size_t *decoded_len);
#endif
