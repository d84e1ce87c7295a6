/*
 * proto_note.c — the transparency log's signed text (see proto.h, docs/transparency.md): checkpoints
 * (c2sp.org/tlog-checkpoint), signed notes with Ed25519 keys (c2sp.org/signed-note), timestamped witness
 * cosignatures (c2sp.org/tlog-cosignature, the Ed25519 cosignature/v1), and the text forms of their keys
 * (verifier keys as signed-note writes them, signer keys as golang.org/x/mod/sumdb/note does).
 *
 * A note reaches a client from the server and the server from witnesses, so everything here is parsed as
 * hostile input under one set of strict rules: at most PROTO_NOTE_MAX bytes, valid UTF-8 without control
 * characters but newline, standard padded base64 (RFC 4648 §4) in its one canonical form, decimal numbers
 * without leading zeros. Pure: libsodium's SHA-256, Ed25519 and base64; no I/O, no allocation, no state,
 * and every buffer is the caller's or a bounded one on the stack.
 */
#include "proto.h"

#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "banned.h" /* last: bans footguns in this file only */

#define ALG_ED25519 0x01u        /* signed-note signature type of plain Ed25519 note signatures */
#define ALG_COSIGNATURE_V1 0x04u /* signed-note signature type of tlog-cosignature's Ed25519 cosignatures */
#define LINE_PREFIX "\xe2\x80\x94 " /* U+2014 EM DASH, then a space */
#define LINE_PREFIX_LEN 4u
#define COSIG_HEADER "cosignature/v1\ntime "
#define TIMESTAMP_MAX ((uint64_t)INT64_MAX) /* tlog-cosignature: a timestamp MUST NOT exceed 2^63 - 1 */
#define ROOT_B64_LEN 44u                    /* base64 of 32 bytes */
#define KEY_B64_LEN 44u                     /* base64 of the type byte and 32 key bytes */
#define PRIVATE_PREFIX "PRIVATE+KEY+"
#define KEY_TEXT_MAX (sizeof(PRIVATE_PREFIX) - 1 + PROTO_NOTE_NAME_MAX + 1 + 8 + 1 + KEY_B64_LEN)
#define SIG_PLAIN_BYTES (4u + PROTO_SIG_BYTES)      /* key id || signature */
#define SIG_COSIG_BYTES (4u + 8u + PROTO_SIG_BYTES) /* key id || timestamp || signature */
#define BLOB_MAX (PROTO_NOTE_MAX / 4u * 3u)         /* the largest decoded signature a note can hold */
#define COSIG_MESSAGE_MAX (sizeof(COSIG_HEADER) - 1 + 20 + 1 + PROTO_NOTE_MAX)

/* ---- text: a bounded writer that keeps room for the final NUL (the first overflow sticks), or, with no
 * buffer, a measure ---- */

struct text {
	char *p;
	size_t cap, len;
	int overflow;
};

static void put(struct text *t, const void *src, size_t n)
{
	if (t->p == NULL) { /* measuring */
		t->len += n;
		return;
	}
	if (t->overflow || t->cap == 0 || n > t->cap - 1 - t->len) {
		t->overflow = 1;
		return;
	}
	memcpy(t->p + t->len, src, n);
	t->len += n;
}

static void puts_(struct text *t, const char *s)
{
	put(t, s, strlen(s));
}

/* NUL-terminate t: PROTO_E_OK, or PROTO_E_BUFFER_TOO_SMALL with the buffer wiped (it may hold a secret). */
static int finish(struct text *t)
{
	if (t->overflow) {
		if (t->cap > 0)
			sodium_memzero(t->p, t->cap);
		return PROTO_E_BUFFER_TOO_SMALL;
	}
	t->p[t->len] = '\0';
	return PROTO_E_OK;
}

/* ---- UTF-8, names, numbers, base64 ---- */

/*
 * One UTF-8 sequence at p (n bytes available): its length with *cp set, or 0 when it is not the shortest
 * form of a scalar value (truncated, overlong, a surrogate, above U+10FFFF, a stray continuation byte).
 */
static size_t utf8_decode(const unsigned char *p, size_t n, uint32_t *cp)
{
	uint32_t c;
	size_t len, i;

	if (n == 0)
		return 0;
	c = p[0];
	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		c &= 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		c &= 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		c &= 0x07;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (p[i] & 0x3fu);
	}
	if ((len == 3 && c < 0x800) || (len == 4 && (c < 0x10000 || c > 0x10ffff)) || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

/* 1 when p[0..n) is valid UTF-8 without ASCII control characters (below U+0020), newline allowed when nl. */
static int text_ok(const char *p, size_t n, int nl)
{
	size_t i = 0, step;
	uint32_t c;

	while (i < n) {
		if ((step = utf8_decode((const unsigned char *)p + i, n - i, &c)) == 0)
			return 0;
		if (c < 0x20 && !(nl && c == '\n'))
			return 0;
		i += step;
	}
	return 1;
}

/* Unicode White_Space (what Go's unicode.IsSpace, which the note format's reference code uses, accepts). */
static int is_space(uint32_t c)
{
	return c == ' ' || (c >= 0x09 && c <= 0x0d) || c == 0x85 || c == 0xa0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200a) ||
	       c == 0x2028 || c == 0x2029 || c == 0x202f || c == 0x205f || c == 0x3000;
}

/* signed-note: a key name is non-empty, without Unicode spaces or '+' (and, as all note text, UTF-8 without
 * control characters). 1 when p[0..n) is one. */
static int name_ok(const char *p, size_t n)
{
	size_t i = 0, step;
	uint32_t c;

	if (n == 0)
		return 0;
	while (i < n) {
		if ((step = utf8_decode((const unsigned char *)p + i, n - i, &c)) == 0 || c < 0x20 || c == '+' || is_space(c))
			return 0;
		i += step;
	}
	return 1;
}

/* tlog-checkpoint: the size is ASCII decimal without leading zeros ("0" alone for the empty tree). */
static int parse_decimal(const char *p, size_t n, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (n == 0 || n > 20 || (n > 1 && p[0] == '0'))
		return -1;
	for (i = 0; i < n; i++) {
		unsigned d = (unsigned char)p[i] - (unsigned)'0';
		if (d > 9 || v > (UINT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

/* signed-note: the key id in a key's text is 8 lowercase hex digits. */
static int parse_hex32(const char *p, uint32_t *out)
{
	uint32_t v = 0;
	size_t i;

	for (i = 0; i < 8; i++) {
		char c = p[i];
		unsigned d;
		if (c >= '0' && c <= '9')
			d = (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			d = (unsigned)(c - 'a') + 10;
		else
			return -1;
		v = v << 4 | d;
	}
	*out = v;
	return 0;
}

/*
 * Decode standard padded base64 p[0..n) into out (cap bytes): 0 with *got set, or -1 when it is not
 * canonical base64 of at most cap bytes. libsodium refuses bad padding and nonzero trailing bits, but its
 * decoder (1.0.18) reads some bytes from 0x80 up as base64 digits (0xce as '/'), so the alphabet is checked
 * here first.
 */
static int b64_decode(const char *p, size_t n, unsigned char *out, size_t cap, size_t *got)
{
	const char *end = NULL;
	size_t i;

	for (i = 0; i < n; i++) {
		char c = p[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/' || c == '='))
			return -1;
	}
	if (sodium_base642bin(out, cap, p, n, NULL, got, &end, sodium_base64_VARIANT_ORIGINAL) != 0 || end != p + n)
		return -1;
	return 0;
}

static int b64_decode_exact(const char *p, size_t n, unsigned char *out, size_t want)
{
	size_t got = 0;

	return b64_decode(p, n, out, want, &got) == 0 && got == want ? 0 : -1;
}

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static uint64_t be64(const unsigned char *p)
{
	return (uint64_t)be32(p) << 32 | be32(p + 4);
}

static void put_be32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

/* ---- checkpoints ---- */

/* Extension lines: none, or non-empty lines each ending in newline. */
static int extension_ok(const char *p, size_t n)
{
	size_t i;

	if (n == 0)
		return 1;
	if (p[0] == '\n' || p[n - 1] != '\n' || !text_ok(p, n, 1))
		return 0;
	for (i = 1; i < n; i++)
		if (p[i] == '\n' && p[i - 1] == '\n')
			return 0;
	return 1;
}

int proto_checkpoint_format(const struct proto_checkpoint *cp, char *out, size_t cap)
{
	char num[21], root[ROOT_B64_LEN + 1];
	struct text t = {out, cap, 0, 0};
	size_t on, en;

	if (cp == NULL || out == NULL)
		return PROTO_E_INVALID_ARG;
	on = strnlen(cp->origin, sizeof(cp->origin));
	en = strnlen(cp->extension, sizeof(cp->extension));
	if (on == 0 || on == sizeof(cp->origin) || !text_ok(cp->origin, on, 0) || en == sizeof(cp->extension) ||
	    !extension_ok(cp->extension, en))
		return PROTO_E_INVALID_ARG;
	snprintf(num, sizeof(num), "%" PRIu64, cp->size);
	sodium_bin2base64(root, sizeof(root), cp->root, PROTO_MERKLE_HASH_BYTES, sodium_base64_VARIANT_ORIGINAL);
	put(&t, cp->origin, on);
	puts_(&t, "\n");
	puts_(&t, num);
	puts_(&t, "\n");
	puts_(&t, root);
	puts_(&t, "\n");
	put(&t, cp->extension, en);
	return finish(&t);
}

int proto_checkpoint_parse(const char *body, size_t len, struct proto_checkpoint *cp)
{
	struct proto_checkpoint t;
	const char *p = body, *end = body + len, *nl;
	size_t n;

	if (body == NULL || cp == NULL)
		return PROTO_E_INVALID_ARG;
	if (len > PROTO_NOTE_MAX)
		return PROTO_E_TOO_LARGE;
	if (len == 0 || body[len - 1] != '\n' || !text_ok(body, len, 1))
		return PROTO_E_MALFORMED;
	memset(&t, 0, sizeof(t));
	/* origin: non-empty */
	nl = memchr(p, '\n', (size_t)(end - p));
	n = (size_t)(nl - p);
	if (n == 0)
		return PROTO_E_MALFORMED;
	if (n > PROTO_NOTE_NAME_MAX)
		return PROTO_E_TOO_LARGE;
	memcpy(t.origin, p, n);
	/* tree size */
	p = nl + 1;
	if (p == end)
		return PROTO_E_MALFORMED;
	nl = memchr(p, '\n', (size_t)(end - p));
	if (parse_decimal(p, (size_t)(nl - p), &t.size) != 0)
		return PROTO_E_MALFORMED;
	/* root hash */
	p = nl + 1;
	if (p == end)
		return PROTO_E_MALFORMED;
	nl = memchr(p, '\n', (size_t)(end - p));
	if ((size_t)(nl - p) != ROOT_B64_LEN || b64_decode_exact(p, ROOT_B64_LEN, t.root, PROTO_MERKLE_HASH_BYTES) != 0)
		return PROTO_E_MALFORMED;
	/* extension lines */
	p = nl + 1;
	n = (size_t)(end - p);
	if (n >= sizeof(t.extension))
		return PROTO_E_TOO_LARGE;
	if (!extension_ok(p, n))
		return PROTO_E_MALFORMED;
	memcpy(t.extension, p, n);
	*cp = t;
	return PROTO_E_OK;
}

/* ---- keys ---- */

static unsigned key_alg(const struct proto_note_key *k)
{
	return k->is_cosigner ? ALG_COSIGNATURE_V1 : ALG_ED25519;
}

/* signed-note: key ID = SHA-256(key name || 0x0A || signature type || public key)[:4], big-endian. */
static uint32_t key_id(const char *name, size_t n, unsigned alg, const unsigned char pk[PROTO_SIGN_PK_BYTES])
{
	crypto_hash_sha256_state st;
	unsigned char h[crypto_hash_sha256_BYTES], sep[2];

	sep[0] = '\n';
	sep[1] = (unsigned char)alg;
	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, (const unsigned char *)name, n);
	crypto_hash_sha256_update(&st, sep, sizeof(sep));
	crypto_hash_sha256_update(&st, pk, PROTO_SIGN_PK_BYTES);
	crypto_hash_sha256_final(&st, h);
	return be32(h);
}

/*
 * 0 when k is a usable key: a NUL-terminated key name, is_cosigner 0 or 1, and the id its name, type and
 * public key give; a signer must also hold the secret key of that public key. *name_len gets the name's
 * length.
 */
static int key_check(const struct proto_note_key *k, int signer, size_t *name_len)
{
	size_t n = strnlen(k->name, sizeof(k->name));

	if (n == sizeof(k->name) || !name_ok(k->name, n) || (k->is_cosigner != 0 && k->is_cosigner != 1) ||
	    k->id != key_id(k->name, n, key_alg(k), k->pk))
		return -1;
	if (signer && (sodium_is_zero(k->sk, PROTO_SIGN_SK_BYTES) ||
		       sodium_memcmp(k->sk + PROTO_SIGN_SK_BYTES - PROTO_SIGN_PK_BYTES, k->pk, PROTO_SIGN_PK_BYTES) != 0))
		return -1;
	*name_len = n;
	return 0;
}

int proto_note_key_new(const char *name, int is_cosigner, struct proto_note_key *k)
{
	struct proto_note_key t;
	size_t n;

	if (name == NULL || k == NULL)
		return PROTO_E_INVALID_ARG;
	n = strnlen(name, PROTO_NOTE_NAME_MAX + 1);
	if (n > PROTO_NOTE_NAME_MAX || !name_ok(name, n))
		return PROTO_E_INVALID_ARG;
	memset(&t, 0, sizeof(t));
	memcpy(t.name, name, n);
	t.is_cosigner = is_cosigner != 0;
	if (crypto_sign_keypair(t.pk, t.sk) != 0) {
		sodium_memzero(&t, sizeof(t));
		return PROTO_E_CRYPTO;
	}
	t.id = key_id(t.name, n, key_alg(&t), t.pk);
	*k = t;
	sodium_memzero(&t, sizeof(t));
	return PROTO_E_OK;
}

/* "<name>+<8 hex>+<base64(type || key)>" into t, the type byte and key bytes given. */
static int format_key_text(struct text *t, const struct proto_note_key *k, size_t name_len, const unsigned char key[32])
{
	unsigned char raw[1 + 32];
	char hex[9], b64[KEY_B64_LEN + 1];

	raw[0] = (unsigned char)key_alg(k);
	memcpy(raw + 1, key, 32);
	snprintf(hex, sizeof(hex), "%08" PRIx32, k->id);
	sodium_bin2base64(b64, sizeof(b64), raw, sizeof(raw), sodium_base64_VARIANT_ORIGINAL);
	put(t, k->name, name_len);
	puts_(t, "+");
	puts_(t, hex);
	puts_(t, "+");
	puts_(t, b64);
	sodium_memzero(raw, sizeof(raw));
	sodium_memzero(b64, sizeof(b64));
	return finish(t);
}

int proto_note_verifier_format(const struct proto_note_key *k, char *out, size_t cap)
{
	struct text t = {out, cap, 0, 0};
	size_t n;

	if (k == NULL || out == NULL || key_check(k, 0, &n) != 0)
		return PROTO_E_INVALID_ARG;
	return format_key_text(&t, k, n, k->pk);
}

int proto_note_signer_format(const struct proto_note_key *k, char *out, size_t cap)
{
	struct text t = {out, cap, 0, 0};
	unsigned char seed[PROTO_SEED_BYTES];
	size_t n;
	int rc;

	if (k == NULL || out == NULL || key_check(k, 1, &n) != 0)
		return PROTO_E_INVALID_ARG;
	crypto_sign_ed25519_sk_to_seed(seed, k->sk);
	puts_(&t, PRIVATE_PREFIX);
	rc = format_key_text(&t, k, n, seed);
	sodium_memzero(seed, sizeof(seed));
	return rc;
}

/*
 * Parse "<name>+<8 hex>+<base64(type || 32 bytes)>" (NUL-terminated): name, id as written and is_cosigner
 * into t, the 32 bytes into key. The caller checks the id. PROTO_E_TOO_LARGE or PROTO_E_MALFORMED.
 */
static int parse_key_text(const char *text, struct proto_note_key *t, unsigned char key[32])
{
	unsigned char raw[1 + 32];
	const char *plus, *b64;
	size_t len = strnlen(text, KEY_TEXT_MAX + 1), n;
	uint32_t id = 0;
	int rc = PROTO_E_MALFORMED;

	if (len > KEY_TEXT_MAX)
		return PROTO_E_TOO_LARGE;
	if ((plus = memchr(text, '+', len)) == NULL)
		return PROTO_E_MALFORMED;
	n = (size_t)(plus - text);
	if (n > PROTO_NOTE_NAME_MAX || !name_ok(text, n) || len - n - 1 < 9 || plus[9] != '+' || parse_hex32(plus + 1, &id) != 0)
		return PROTO_E_MALFORMED;
	b64 = plus + 10;
	if (b64_decode_exact(b64, (size_t)(text + len - b64), raw, sizeof(raw)) != 0 ||
	    (raw[0] != ALG_ED25519 && raw[0] != ALG_COSIGNATURE_V1))
		goto out;
	memset(t, 0, sizeof(*t));
	memcpy(t->name, text, n);
	t->id = id;
	t->is_cosigner = raw[0] == ALG_COSIGNATURE_V1;
	memcpy(key, raw + 1, 32);
	rc = PROTO_E_OK;
out:
	sodium_memzero(raw, sizeof(raw));
	return rc;
}

int proto_note_verifier_parse(const char *text, struct proto_note_key *k)
{
	struct proto_note_key t;
	int rc;

	if (text == NULL || k == NULL)
		return PROTO_E_INVALID_ARG;
	if ((rc = parse_key_text(text, &t, t.pk)) != PROTO_E_OK)
		return rc;
	if (t.id != key_id(t.name, strlen(t.name), key_alg(&t), t.pk))
		return PROTO_E_MALFORMED;
	*k = t;
	return PROTO_E_OK;
}

int proto_note_signer_parse(const char *text, struct proto_note_key *k)
{
	struct proto_note_key t;
	unsigned char seed[PROTO_SEED_BYTES];
	int rc;

	if (text == NULL || k == NULL)
		return PROTO_E_INVALID_ARG;
	if (strncmp(text, PRIVATE_PREFIX, sizeof(PRIVATE_PREFIX) - 1) != 0)
		return PROTO_E_MALFORMED;
	if ((rc = parse_key_text(text + sizeof(PRIVATE_PREFIX) - 1, &t, seed)) != PROTO_E_OK)
		return rc;
	if (crypto_sign_seed_keypair(t.pk, t.sk, seed) != 0)
		rc = PROTO_E_CRYPTO;
	else if (t.id != key_id(t.name, strlen(t.name), key_alg(&t), t.pk))
		rc = PROTO_E_MALFORMED;
	else
		*k = t;
	sodium_memzero(seed, sizeof(seed));
	sodium_memzero(&t, sizeof(t));
	return rc;
}

/* ---- notes ---- */

/* One signature line, without its newline: "— <name> <base64>". */
struct sig_line {
	const char *name;
	size_t name_len;
	const char *b64;
	size_t b64_len;
};

/* Parse line p[0..n) and decode its signature into blob (BLOB_MAX bytes): PROTO_E_OK or PROTO_E_MALFORMED. */
static int parse_line(const char *p, size_t n, struct sig_line *l, unsigned char *blob, size_t *blob_len)
{
	const char *sp;

	if (n < LINE_PREFIX_LEN || memcmp(p, LINE_PREFIX, LINE_PREFIX_LEN) != 0)
		return PROTO_E_MALFORMED;
	p += LINE_PREFIX_LEN;
	n -= LINE_PREFIX_LEN;
	if ((sp = memchr(p, ' ', n)) == NULL)
		return PROTO_E_MALFORMED;
	l->name = p;
	l->name_len = (size_t)(sp - p);
	l->b64 = sp + 1;
	l->b64_len = n - l->name_len - 1;
	/* signed-note: the key id and at least one byte of signature */
	if (!name_ok(l->name, l->name_len) || b64_decode(l->b64, l->b64_len, blob, BLOB_MAX, blob_len) != 0 || *blob_len < 5)
		return PROTO_E_MALFORMED;
	return PROTO_E_OK;
}

/*
 * Split a note into its text (note[0..*body_len), ending in newline) and one or more signature lines after
 * the last blank line, checking every line. PROTO_E_MALFORMED unless the whole note is UTF-8 without control
 * characters but newline and ends in newline.
 */
static int note_split(const char *note, size_t len, size_t *body_len)
{
	unsigned char blob[BLOB_MAX];
	struct sig_line l;
	const char *p, *end = note + len;
	size_t i, blob_len;

	if (len == 0 || note[len - 1] != '\n' || !text_ok(note, len, 1))
		return PROTO_E_MALFORMED;
	for (i = len - 1; i > 0; i--)
		if (note[i] == '\n' && note[i - 1] == '\n')
			break;
	if (i == 0 || i == len - 1) /* no blank line, or no signature line after the last one */
		return PROTO_E_MALFORMED;
	for (p = note + i + 1; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		if (parse_line(p, (size_t)(nl - p), &l, blob, &blob_len) != PROTO_E_OK)
			return PROTO_E_MALFORMED;
		p = nl + 1;
	}
	*body_len = i;
	return PROTO_E_OK;
}

/* "cosignature/v1\ntime <timestamp>\n" || body into out (COSIG_MESSAGE_MAX bytes); returns its length. */
static size_t cosig_message(unsigned char *out, uint64_t timestamp, const char *body, size_t body_len)
{
	char num[21];
	size_t hl = sizeof(COSIG_HEADER) - 1, nl;

	snprintf(num, sizeof(num), "%" PRIu64, timestamp);
	nl = strlen(num);
	memcpy(out, COSIG_HEADER, hl);
	memcpy(out + hl, num, nl);
	out[hl + nl] = '\n';
	memcpy(out + hl + nl + 1, body, body_len);
	return hl + nl + 1 + body_len;
}

/* Check blob (key id, [timestamp,] signature) of key k over body: PROTO_E_OK or PROTO_E_BAD_SIGNATURE. */
static int verify_blob(const struct proto_note_key *k, const unsigned char *blob, size_t blob_len, const char *body,
		       size_t body_len)
{
	unsigned char msg[COSIG_MESSAGE_MAX];
	size_t n;

	if (!k->is_cosigner)
		return blob_len == SIG_PLAIN_BYTES &&
				       crypto_sign_verify_detached(blob + 4, (const unsigned char *)body, body_len, k->pk) == 0
			       ? PROTO_E_OK
			       : PROTO_E_BAD_SIGNATURE;
	if (blob_len != SIG_COSIG_BYTES || be64(blob + 4) > TIMESTAMP_MAX)
		return PROTO_E_BAD_SIGNATURE;
	n = cosig_message(msg, be64(blob + 4), body, body_len);
	return crypto_sign_verify_detached(blob + 12, msg, n, k->pk) == 0 ? PROTO_E_OK : PROTO_E_BAD_SIGNATURE;
}

/*
 * Find each key's line (same name and key id) among the signature lines of a split note. Checking pass
 * (verified NULL): a key with two lines is PROTO_E_MALFORMED, a line that does not verify
 * PROTO_E_BAD_SIGNATURE, and no verified line at all PROTO_E_BAD_SIGNATURE. Writing pass, after a checking
 * pass succeeded: verified[i] and ts[i] (when ts is not NULL) for every key.
 */
static int match_keys(const char *note, size_t len, size_t body_len, const struct proto_note_key *keys, size_t nkeys,
		      int *verified, uint64_t *ts)
{
	unsigned char blob[BLOB_MAX];
	const char *end = note + len;
	size_t i, blob_len;
	int any = 0, rc;

	for (i = 0; i < nkeys; i++) {
		const struct proto_note_key *k = &keys[i];
		size_t name_len = strlen(k->name);
		const char *p;
		uint64_t when = 0;
		int found = 0;

		for (p = note + body_len + 1; p < end;) {
			const char *nl = memchr(p, '\n', (size_t)(end - p));
			struct sig_line l;
			if (parse_line(p, (size_t)(nl - p), &l, blob, &blob_len) != PROTO_E_OK)
				return PROTO_E_MALFORMED; /* note_split checked every line */
			p = nl + 1;
			if (l.name_len != name_len || memcmp(l.name, k->name, name_len) != 0 || be32(blob) != k->id)
				continue; /* signed-note: lines of other keys are ignored, even sharing a name or an id */
			if (found)
				return PROTO_E_MALFORMED;
			found = 1;
			if (verified == NULL && (rc = verify_blob(k, blob, blob_len, note, body_len)) != PROTO_E_OK)
				return rc;
			if (k->is_cosigner)
				when = be64(blob + 4);
		}
		any |= found;
		if (verified != NULL) {
			verified[i] = found;
			if (ts != NULL)
				ts[i] = when;
		}
	}
	return verified == NULL && !any ? PROTO_E_BAD_SIGNATURE : PROTO_E_OK;
}

int proto_note_open(const char *note, size_t len, const struct proto_note_key *keys, size_t nkeys, size_t *body_len,
		    int *verified, uint64_t *ts)
{
	size_t i, n, split = 0;
	int rc;

	if (note == NULL || body_len == NULL || (nkeys > 0 && (keys == NULL || verified == NULL)))
		return PROTO_E_INVALID_ARG;
	for (i = 0; i < nkeys; i++)
		if (key_check(&keys[i], 0, &n) != 0)
			return PROTO_E_INVALID_ARG;
	if (len > PROTO_NOTE_MAX)
		return PROTO_E_TOO_LARGE;
	if ((rc = note_split(note, len, &split)) != PROTO_E_OK ||
	    (rc = match_keys(note, len, split, keys, nkeys, NULL, NULL)) != PROTO_E_OK)
		return rc;
	(void)match_keys(note, len, split, keys, nkeys, verified, ts);
	*body_len = split;
	return PROTO_E_OK;
}

/*
 * The signed note: body, blank line, the lines already there but this key's, then line (its text, without
 * the newline). Into t, or measured when t has no buffer.
 */
static int assemble(struct text *t, const char *in, size_t len, size_t body_len, const struct proto_note_key *k,
		    size_t name_len, const char *sig_b64)
{
	unsigned char blob[BLOB_MAX];
	const char *p, *end = in + len;
	size_t blob_len;

	put(t, in, body_len);
	puts_(t, "\n");
	for (p = body_len < len ? in + body_len + 1 : end; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		struct sig_line l;
		if (parse_line(p, (size_t)(nl - p), &l, blob, &blob_len) != PROTO_E_OK)
			return PROTO_E_MALFORMED; /* note_split checked every line */
		if (l.name_len != name_len || memcmp(l.name, k->name, name_len) != 0 || be32(blob) != k->id)
			put(t, p, (size_t)(nl - p) + 1);
		p = nl + 1;
	}
	puts_(t, LINE_PREFIX);
	put(t, k->name, name_len);
	puts_(t, " ");
	puts_(t, sig_b64);
	puts_(t, "\n");
	return PROTO_E_OK;
}

int proto_note_sign(const char *body_or_note, const struct proto_note_key *k, uint64_t timestamp, char *out, size_t cap)
{
	unsigned char msg[COSIG_MESSAGE_MAX], sig[SIG_COSIG_BYTES];
	char b64[sodium_base64_ENCODED_LEN(SIG_COSIG_BYTES, sodium_base64_VARIANT_ORIGINAL)];
	struct text t = {out, cap, 0, 0}, measure = {NULL, 0, 0, 0};
	struct proto_checkpoint cp;
	const char *in = body_or_note;
	size_t len, body_len = 0, name_len, sig_len;
	int rc;

	if (in == NULL || k == NULL || out == NULL || key_check(k, 1, &name_len) != 0)
		return PROTO_E_INVALID_ARG;
	if ((len = strnlen(in, PROTO_NOTE_MAX + 1)) > PROTO_NOTE_MAX)
		return PROTO_E_TOO_LARGE;
	/* a note keeps its signature lines; anything else is a body, which must be note text */
	if (note_split(in, len, &body_len) != PROTO_E_OK) {
		if (len == 0 || in[len - 1] != '\n' || !text_ok(in, len, 1))
			return PROTO_E_MALFORMED;
		body_len = len;
	}

	put_be32(sig, k->id);
	if (k->is_cosigner) {
		/* tlog-cosignature: a cosignature is over a checkpoint, at a time below 2^63 */
		if (timestamp > TIMESTAMP_MAX)
			return PROTO_E_INVALID_ARG;
		if ((rc = proto_checkpoint_parse(in, body_len, &cp)) != PROTO_E_OK)
			return rc;
		put_be32(sig + 4, (uint32_t)(timestamp >> 32));
		put_be32(sig + 8, (uint32_t)timestamp);
		if (crypto_sign_detached(sig + 12, NULL, msg, cosig_message(msg, timestamp, in, body_len), k->sk) != 0)
			return PROTO_E_CRYPTO;
		sig_len = SIG_COSIG_BYTES;
	} else {
		if (crypto_sign_detached(sig + 4, NULL, (const unsigned char *)in, body_len, k->sk) != 0)
			return PROTO_E_CRYPTO;
		sig_len = SIG_PLAIN_BYTES;
	}
	sodium_bin2base64(b64, sizeof(b64), sig, sig_len, sodium_base64_VARIANT_ORIGINAL);

	if ((rc = assemble(&measure, in, len, body_len, k, name_len, b64)) != PROTO_E_OK)
		return rc;
	if (measure.len > PROTO_NOTE_MAX)
		return PROTO_E_TOO_LARGE;
	if ((rc = assemble(&t, in, len, body_len, k, name_len, b64)) != PROTO_E_OK)
		return rc;
	return finish(&t);
}
