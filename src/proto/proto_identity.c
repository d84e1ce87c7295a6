/*
 * proto_identity.c — an account's identity key and what people do with it (see proto.h and
 * docs/protocol.md §12, §14, §16): making it, the safety number two people compare, the approval code a new
 * device shows, the recovery key and the identity backup it opens, and the box that carries the identity to
 * a newly approved device. Pure: no I/O; the argon2id cost is the caller's choice within fixed limits.
 */
#include "proto.h"
#include "proto_internal.h"

#include <sodium.h>
#include <string.h>

#include "banned.h" /* last: bans footguns in this file only */

#define APPROVAL_PREFIX "postern-approval-v2:"
#define RECOVERY_PREFIX "postern-recovery-v2:"
#define SAFETY_ITERATIONS 5200
#define CODE_CHARS 12         /* 60 bits */
#define RECOVERY_CHARS 32     /* 160 bits */
#define RECOVERY_CHECK_CHARS 4 /* 20 bits of a hash of the secret: typos are caught before any argon2 */
#define BACKUP_SALT_BYTES 16
#define BACKUP_SEALED_BYTES (PROTO_SEED_BYTES + PROTO_TAG_BYTES)

/* Crockford's base32: no I, L, O or U, so that what a person reads is what they type. */
static const char crockford[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/* Write nchars base32 characters of the bits of in (most significant first) to out, grouped by 4 with dashes. */
static void base32_groups(const unsigned char *in, size_t nchars, char *out)
{
	size_t i, pos = 0;
	for (i = 0; i < nchars; i++) {
		size_t bit = i * 5, byte = bit / 8, shift = bit % 8;
		unsigned v = (unsigned)in[byte] << 8 | (byte + 1 < (nchars * 5 + 7) / 8 ? in[byte + 1] : 0u);
		if (i > 0 && i % 4 == 0)
			out[pos++] = '-';
		out[pos++] = crockford[(v >> (11 - shift)) & 0x1f];
	}
	out[pos] = '\0';
}

/* The value of one typed character, -1 when it is not one (case and look-alikes forgiven). */
static int base32_value(char ch)
{
	const char *at;
	if (ch >= 'a' && ch <= 'z')
		ch = (char)(ch - 'a' + 'A');
	if (ch == 'O')
		ch = '0';
	if (ch == 'I' || ch == 'L')
		ch = '1';
	at = ch ? strchr(crockford, ch) : NULL;
	return at ? (int)(at - crockford) : -1;
}

/* Read up to max characters of typed (dashes and spaces skipped) as 5-bit values; returns the count, or -1. */
static int base32_read(const char *typed, unsigned char *vals, size_t max)
{
	size_t n = 0;
	for (; *typed; typed++) {
		int v;
		if (*typed == '-' || *typed == ' ')
			continue;
		if ((v = base32_value(*typed)) < 0 || n == max)
			return -1;
		vals[n++] = (unsigned char)v;
	}
	return (int)n;
}

/* Pack 5-bit values back into bytes (most significant first); out holds (n * 5 + 7) / 8 bytes. */
static void base32_pack(const unsigned char *vals, size_t n, unsigned char *out)
{
	size_t i, nbytes = (n * 5 + 7) / 8;
	memset(out, 0, nbytes);
	for (i = 0; i < n; i++) {
		size_t bit = i * 5, byte = bit / 8, shift = bit % 8;
		unsigned v = (unsigned)vals[i] << (11 - shift);
		out[byte] |= (unsigned char)(v >> 8);
		if (byte + 1 < nbytes)
			out[byte + 1] |= (unsigned char)v;
	}
}

/* ---- identity keys ---- */

int proto_identity_from_seed(struct proto_identity *id, const unsigned char seed[PROTO_SEED_BYTES])
{
	if (id == NULL || seed == NULL)
		return PROTO_E_INVALID_ARG;
	memmove(id->seed, seed, PROTO_SEED_BYTES); /* seed may be id->seed itself */
	return crypto_sign_seed_keypair(id->pk, id->sk, id->seed) == 0 ? PROTO_E_OK : PROTO_E_CRYPTO;
}

int proto_identity_keygen(struct proto_identity *id)
{
	if (id == NULL)
		return PROTO_E_INVALID_ARG;
	randombytes_buf(id->seed, sizeof(id->seed));
	return proto_identity_from_seed(id, id->seed);
}

/* ---- safety numbers ---- */

/* One side's 30 digits: SHA-512 iterated over its identity key (Signal's numeric fingerprint, adapted). */
static void safety_half(const char *user_id, const unsigned char pk[PROTO_ID_KEY_BYTES], char out[31])
{
	unsigned char h[crypto_hash_sha512_BYTES];
	crypto_hash_sha512_state st;
	static const unsigned char version[2] = {0, 0};
	size_t i, g;

	crypto_hash_sha512_init(&st);
	crypto_hash_sha512_update(&st, version, sizeof(version));
	crypto_hash_sha512_update(&st, pk, PROTO_ID_KEY_BYTES);
	crypto_hash_sha512_update(&st, (const unsigned char *)user_id, strlen(user_id));
	crypto_hash_sha512_final(&st, h);
	for (i = 1; i < SAFETY_ITERATIONS; i++) {
		crypto_hash_sha512_init(&st);
		crypto_hash_sha512_update(&st, h, sizeof(h));
		crypto_hash_sha512_update(&st, pk, PROTO_ID_KEY_BYTES);
		crypto_hash_sha512_final(&st, h);
	}
	for (g = 0; g < 6; g++) {
		uint64_t v = 0;
		for (i = 0; i < 5; i++)
			v = v << 8 | h[g * 5 + i];
		v %= 100000u;
		for (i = 5; i-- > 0;) {
			out[g * 5 + i] = (char)('0' + (int)(v % 10u));
			v /= 10u;
		}
	}
	out[30] = '\0';
}

int proto_safety_number(const char *user_a, const unsigned char id_pk_a[PROTO_ID_KEY_BYTES], const char *user_b,
			const unsigned char id_pk_b[PROTO_ID_KEY_BYTES], char *out, size_t cap)
{
	char a[31], b[31], both[61];
	size_t i, pos = 0;

	if (pst__proto_id_len(user_a) == 0 || pst__proto_id_len(user_b) == 0 || id_pk_a == NULL || id_pk_b == NULL || out == NULL)
		return PROTO_E_INVALID_ARG;
	if (cap < PROTO_SAFETY_LEN)
		return PROTO_E_BUFFER_TOO_SMALL;
	safety_half(user_a, id_pk_a, a);
	safety_half(user_b, id_pk_b, b);
	memcpy(both, strcmp(a, b) <= 0 ? a : b, 30); /* the smaller first: both sides print the same */
	memcpy(both + 30, strcmp(a, b) <= 0 ? b : a, 30);
	for (i = 0; i < 60; i++) {
		if (i > 0 && i % 5 == 0)
			out[pos++] = ' ';
		out[pos++] = both[i];
	}
	out[pos] = '\0';
	return PROTO_E_OK;
}

/* ---- approval codes ---- */

int proto_approval_code(const char *user_id, const char *device_id, const unsigned char sign_pk[PROTO_SIGN_PK_BYTES],
			const unsigned char box_pk[PROTO_BOX_PK_BYTES], char *out, size_t cap)
{
	crypto_generichash_state st;
	unsigned char h[32], len;

	if (pst__proto_id_len(user_id) == 0 || pst__proto_id_len(device_id) == 0 || sign_pk == NULL || box_pk == NULL || out == NULL)
		return PROTO_E_INVALID_ARG;
	if (cap < PROTO_CODE_LEN)
		return PROTO_E_BUFFER_TOO_SMALL;
	crypto_generichash_init(&st, NULL, 0, sizeof(h));
	crypto_generichash_update(&st, (const unsigned char *)APPROVAL_PREFIX, sizeof(APPROVAL_PREFIX) - 1);
	len = (unsigned char)strlen(user_id);
	crypto_generichash_update(&st, &len, 1);
	crypto_generichash_update(&st, (const unsigned char *)user_id, len);
	len = (unsigned char)strlen(device_id);
	crypto_generichash_update(&st, &len, 1);
	crypto_generichash_update(&st, (const unsigned char *)device_id, len);
	crypto_generichash_update(&st, sign_pk, PROTO_SIGN_PK_BYTES);
	crypto_generichash_update(&st, box_pk, PROTO_BOX_PK_BYTES);
	crypto_generichash_final(&st, h, sizeof(h));
	base32_groups(h, CODE_CHARS, out);
	return PROTO_E_OK;
}

int proto_code_normalize(const char *typed, char *out, size_t cap)
{
	unsigned char vals[CODE_CHARS], bytes[8];
	if (typed == NULL || out == NULL)
		return PROTO_E_INVALID_ARG;
	if (cap < PROTO_CODE_LEN)
		return PROTO_E_BUFFER_TOO_SMALL;
	if (base32_read(typed, vals, CODE_CHARS) != CODE_CHARS)
		return PROTO_E_MALFORMED;
	base32_pack(vals, CODE_CHARS, bytes);
	base32_groups(bytes, CODE_CHARS, out);
	return PROTO_E_OK;
}

/* ---- recovery keys ---- */

/* The 20 check bits of a secret, as the first bytes of a hash. */
static void recovery_check(const unsigned char secret[PROTO_RECOVERY_BYTES], unsigned char check[32])
{
	crypto_generichash_state st;
	crypto_generichash_init(&st, NULL, 0, 32);
	crypto_generichash_update(&st, (const unsigned char *)RECOVERY_PREFIX, sizeof(RECOVERY_PREFIX) - 1);
	crypto_generichash_update(&st, secret, PROTO_RECOVERY_BYTES);
	crypto_generichash_final(&st, check, 32);
}

int proto_recovery_new(unsigned char secret[PROTO_RECOVERY_BYTES])
{
	if (secret == NULL)
		return PROTO_E_INVALID_ARG;
	randombytes_buf(secret, PROTO_RECOVERY_BYTES);
	return PROTO_E_OK;
}

int proto_recovery_format(const unsigned char secret[PROTO_RECOVERY_BYTES], char *out, size_t cap)
{
	unsigned char check[32], all[PROTO_RECOVERY_BYTES + 3];
	if (secret == NULL || out == NULL)
		return PROTO_E_INVALID_ARG;
	if (cap < PROTO_RECOVERY_LEN)
		return PROTO_E_BUFFER_TOO_SMALL;
	recovery_check(secret, check);
	memcpy(all, secret, PROTO_RECOVERY_BYTES); /* 160 bits, then the first 20 bits of the check */
	memcpy(all + PROTO_RECOVERY_BYTES, check, 3);
	base32_groups(all, RECOVERY_CHARS + RECOVERY_CHECK_CHARS, out);
	sodium_memzero(all, sizeof(all));
	return PROTO_E_OK;
}

int proto_recovery_parse(const char *typed, unsigned char secret[PROTO_RECOVERY_BYTES])
{
	unsigned char vals[RECOVERY_CHARS + RECOVERY_CHECK_CHARS], all[PROTO_RECOVERY_BYTES + 3];
	char again[PROTO_RECOVERY_LEN], want[PROTO_RECOVERY_LEN];
	int rc = PROTO_E_MALFORMED;

	if (typed == NULL || secret == NULL)
		return PROTO_E_INVALID_ARG;
	if (base32_read(typed, vals, sizeof(vals)) != (int)sizeof(vals))
		goto out;
	base32_pack(vals, sizeof(vals), all);
	/* the check: format the secret part again and compare the whole text, check characters included */
	base32_groups(all, sizeof(vals), want);
	if (proto_recovery_format(all, again, sizeof(again)) != PROTO_E_OK || strcmp(again, want) != 0)
		goto out;
	memcpy(secret, all, PROTO_RECOVERY_BYTES);
	rc = PROTO_E_OK;
out:
	sodium_memzero(vals, sizeof(vals));
	sodium_memzero(all, sizeof(all));
	sodium_memzero(again, sizeof(again));
	sodium_memzero(want, sizeof(want));
	return rc;
}

/* ---- the identity backup (type 0x25) ---- */

/*
 * 50 02 25 | id(user_id) | id_pk (32) | salt (16) | u64 ops | u64 mem | nonce (24) | sealed seed (48).
 * The AEAD key is argon2id(secret, salt, ops, mem); the associated data is every byte before the seal.
 */
struct backup_view {
	char user_id[PROTO_ID_MAX + 1];
	unsigned char id_pk[PROTO_ID_KEY_BYTES], salt[BACKUP_SALT_BYTES], nonce[PROTO_NONCE_BYTES];
	uint64_t ops, mem;
	size_t ad_len;
	const unsigned char *sealed;
};

static int backup_decode(const unsigned char *in, size_t len, struct backup_view *v)
{
	struct pst__proto_reader r = {in, len, 0, 0};
	int rc;
	if (in == NULL)
		return PROTO_E_INVALID_ARG;
	if (len > PROTO_BACKUP_MAX)
		return PROTO_E_TOO_LARGE;
	if ((rc = pst__proto_check_prefix(&r, PST__PROTO_TYPE_BACKUP)) != PROTO_E_OK)
		return rc;
	pst__proto_get_id(&r, v->user_id);
	pst__proto_get_bytes(&r, v->id_pk, sizeof(v->id_pk));
	pst__proto_get_bytes(&r, v->salt, sizeof(v->salt));
	v->ops = pst__proto_get_u64(&r);
	v->mem = pst__proto_get_u64(&r);
	pst__proto_get_bytes(&r, v->nonce, sizeof(v->nonce));
	v->ad_len = r.off;
	v->sealed = pst__proto_get(&r, BACKUP_SEALED_BYTES);
	if (r.bad || r.off != len)
		return PROTO_E_MALFORMED;
	return PROTO_E_OK;
}

int proto_backup_seal(const struct proto_identity *id, const char *user_id, const unsigned char secret[PROTO_RECOVERY_BYTES],
		      uint64_t ops, uint64_t mem, unsigned char *out, size_t cap, size_t *out_len)
{
	unsigned char salt[BACKUP_SALT_BYTES], nonce[PROTO_NONCE_BYTES];
	randombytes_buf(salt, sizeof(salt));
	randombytes_buf(nonce, sizeof(nonce));
	return pst__proto_backup_seal_with(id, user_id, secret, ops, mem, salt, nonce, out, cap, out_len);
}

int pst__proto_backup_seal_with(const struct proto_identity *id, const char *user_id, const unsigned char secret[PROTO_RECOVERY_BYTES],
				uint64_t ops, uint64_t mem, const unsigned char salt[16], const unsigned char nonce[PROTO_NONCE_BYTES],
				unsigned char *out, size_t cap, size_t *out_len)
{
	struct pst__proto_writer w = {out, cap, 0, 0};
	unsigned char key[32];
	unsigned long long clen = 0;
	int rc = PROTO_E_OK;

	if (id == NULL || pst__proto_id_len(user_id) == 0 || secret == NULL || salt == NULL || nonce == NULL || out == NULL ||
	    out_len == NULL || ops < crypto_pwhash_OPSLIMIT_MIN || ops > PROTO_BACKUP_OPS_MAX || mem < crypto_pwhash_MEMLIMIT_MIN ||
	    mem > PROTO_BACKUP_MEM_MAX)
		return PROTO_E_INVALID_ARG;
	pst__proto_put_u8(&w, PROTO_MAGIC);
	pst__proto_put_u8(&w, PROTO_VERSION);
	pst__proto_put_u8(&w, PST__PROTO_TYPE_BACKUP);
	pst__proto_put_id(&w, user_id);
	pst__proto_put(&w, id->pk, PROTO_ID_KEY_BYTES);
	pst__proto_put(&w, salt, BACKUP_SALT_BYTES);
	pst__proto_put_u64(&w, ops);
	pst__proto_put_u64(&w, mem);
	pst__proto_put(&w, nonce, PROTO_NONCE_BYTES);
	if (w.overflow || cap - w.len < BACKUP_SEALED_BYTES)
		return PROTO_E_BUFFER_TOO_SMALL;
	if (crypto_pwhash(key, sizeof(key), (const char *)secret, PROTO_RECOVERY_BYTES, salt, ops, (size_t)mem,
			  crypto_pwhash_ALG_ARGON2ID13) != 0 ||
	    crypto_aead_xchacha20poly1305_ietf_encrypt(out + w.len, &clen, id->seed, PROTO_SEED_BYTES, out, w.len, NULL, nonce, key) != 0) {
		rc = PROTO_E_CRYPTO;
		goto out;
	}
	*out_len = w.len + (size_t)clen;
out:
	sodium_memzero(key, sizeof(key));
	return rc;
}

int proto_backup_peek(const unsigned char *in, size_t len, char user_id[PROTO_ID_MAX + 1], unsigned char id_pk[PROTO_ID_KEY_BYTES])
{
	struct backup_view v;
	int rc = backup_decode(in, len, &v);
	if (rc != PROTO_E_OK)
		return rc;
	if (user_id)
		memcpy(user_id, v.user_id, sizeof(v.user_id));
	if (id_pk)
		memcpy(id_pk, v.id_pk, sizeof(v.id_pk));
	return PROTO_E_OK;
}

int proto_backup_open(const unsigned char *in, size_t len, const char *user_id, const unsigned char secret[PROTO_RECOVERY_BYTES],
		      struct proto_identity *id)
{
	struct backup_view v;
	struct proto_identity got;
	unsigned char key[32];
	unsigned long long mlen = 0;
	int rc;

	if (user_id == NULL || secret == NULL || id == NULL)
		return PROTO_E_INVALID_ARG;
	if ((rc = backup_decode(in, len, &v)) != PROTO_E_OK)
		return rc;
	if (strcmp(v.user_id, user_id) != 0)
		return PROTO_E_MALFORMED;
	if (v.ops < crypto_pwhash_OPSLIMIT_MIN || v.ops > PROTO_BACKUP_OPS_MAX || v.mem < crypto_pwhash_MEMLIMIT_MIN ||
	    v.mem > PROTO_BACKUP_MEM_MAX)
		return PROTO_E_TOO_LARGE; /* a server must not make a client spend unbounded memory or time */
	if (crypto_pwhash(key, sizeof(key), (const char *)secret, PROTO_RECOVERY_BYTES, v.salt, v.ops, (size_t)v.mem,
			  crypto_pwhash_ALG_ARGON2ID13) != 0) {
		rc = PROTO_E_CRYPTO;
		goto out;
	}
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(got.seed, &mlen, NULL, v.sealed, BACKUP_SEALED_BYTES, in, v.ad_len, v.nonce, key) != 0 ||
	    mlen != PROTO_SEED_BYTES) {
		rc = PROTO_E_WRONG_KEY;
		goto out;
	}
	if ((rc = proto_identity_from_seed(&got, got.seed)) != PROTO_E_OK)
		goto out;
	if (sodium_memcmp(got.pk, v.id_pk, sizeof(got.pk)) != 0) {
		rc = PROTO_E_MALFORMED; /* sealed by the right key but naming another identity */
		goto out;
	}
	*id = got;
out:
	sodium_memzero(&got, sizeof(got));
	sodium_memzero(key, sizeof(key));
	return rc;
}

/* ---- the identity box (type 0x26): 50 02 26 | id(device_id) | seed, sealed to the device's box key ---- */

int proto_identity_box_seal(const struct proto_identity *id, const char *device_id, const unsigned char box_pk[PROTO_BOX_PK_BYTES],
			    unsigned char *out, size_t cap, size_t *out_len)
{
	unsigned char plain[3 + 1 + PROTO_ID_MAX + PROTO_SEED_BYTES];
	struct pst__proto_writer w = {plain, sizeof(plain), 0, 0};
	int rc = PROTO_E_OK;

	if (id == NULL || pst__proto_id_len(device_id) == 0 || box_pk == NULL || out == NULL || out_len == NULL)
		return PROTO_E_INVALID_ARG;
	pst__proto_put_u8(&w, PROTO_MAGIC);
	pst__proto_put_u8(&w, PROTO_VERSION);
	pst__proto_put_u8(&w, PST__PROTO_TYPE_IDENTITY_BOX);
	pst__proto_put_id(&w, device_id);
	pst__proto_put(&w, id->seed, PROTO_SEED_BYTES);
	if (cap < w.len + PROTO_SEAL_BYTES) {
		rc = PROTO_E_BUFFER_TOO_SMALL;
		goto out;
	}
	if (crypto_box_seal(out, plain, w.len, box_pk) != 0) {
		rc = PROTO_E_CRYPTO;
		goto out;
	}
	*out_len = w.len + PROTO_SEAL_BYTES;
out:
	sodium_memzero(plain, sizeof(plain));
	return rc;
}

int proto_identity_box_open(const unsigned char *in, size_t len, const struct proto_device_keys *me, const char *my_device_id,
			    struct proto_identity *id)
{
	unsigned char plain[PROTO_IDENTITY_BOX_MAX];
	struct pst__proto_reader r = {plain, 0, 0, 0};
	char dev[PROTO_ID_MAX + 1];
	unsigned char seed[PROTO_SEED_BYTES];
	int rc;

	if (in == NULL || me == NULL || my_device_id == NULL || id == NULL)
		return PROTO_E_INVALID_ARG;
	if (len > PROTO_IDENTITY_BOX_MAX)
		return PROTO_E_TOO_LARGE;
	if (len < PROTO_SEAL_BYTES)
		return PROTO_E_MALFORMED;
	if (crypto_box_seal_open(plain, in, len, me->box_pk, me->box_sk) != 0)
		return PROTO_E_DECRYPT;
	r.len = len - PROTO_SEAL_BYTES;
	if ((rc = pst__proto_check_prefix(&r, PST__PROTO_TYPE_IDENTITY_BOX)) != PROTO_E_OK)
		goto out;
	pst__proto_get_id(&r, dev);
	pst__proto_get_bytes(&r, seed, sizeof(seed));
	if (r.bad || r.off != r.len) {
		rc = PROTO_E_MALFORMED;
		goto out;
	}
	if (strcmp(dev, my_device_id) != 0) {
		rc = PROTO_E_WRONG_RECIPIENT;
		goto out;
	}
	rc = proto_identity_from_seed(id, seed);
out:
	sodium_memzero(plain, sizeof(plain));
	sodium_memzero(seed, sizeof(seed));
	return rc;
}
