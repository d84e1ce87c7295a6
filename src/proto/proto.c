/*
 * proto.c — the shared core of the protocol module (see proto.h): start-up, the error table, id rules,
 * the 3-byte structure prefix and the KDF chain step every other proto_*.c builds on. Pure: no I/O, no
 * allocation, no global state beyond libsodium's.
 */
#include "proto.h"
#include "proto_internal.h"

#include <sodium.h>
#include <string.h>

#include "banned.h" /* last: bans footguns in this file only */

/* The header's sizes are written as numbers so it need not include sodium.h; pin them to libsodium. */
_Static_assert(PROTO_SIGN_PK_BYTES == crypto_sign_PUBLICKEYBYTES, "sign pk");
_Static_assert(PROTO_SIGN_SK_BYTES == crypto_sign_SECRETKEYBYTES, "sign sk");
_Static_assert(PROTO_SIG_BYTES == crypto_sign_BYTES, "sig");
_Static_assert(PROTO_SEED_BYTES == crypto_sign_SEEDBYTES && PROTO_SEED_BYTES == crypto_box_SEEDBYTES, "seed");
_Static_assert(PROTO_BOX_PK_BYTES == crypto_box_PUBLICKEYBYTES, "box pk");
_Static_assert(PROTO_BOX_SK_BYTES == crypto_box_SECRETKEYBYTES, "box sk");
_Static_assert(PROTO_SEAL_BYTES == crypto_box_SEALBYTES, "seal");
_Static_assert(PROTO_NONCE_BYTES == crypto_aead_xchacha20poly1305_ietf_NPUBBYTES, "nonce");
_Static_assert(PROTO_TAG_BYTES == crypto_aead_xchacha20poly1305_ietf_ABYTES, "tag");
_Static_assert(PROTO_MESSAGE_KEY_BYTES == crypto_aead_xchacha20poly1305_ietf_KEYBYTES, "aead key");
_Static_assert(PROTO_CHAIN_KEY_BYTES == crypto_kdf_KEYBYTES, "kdf key");
_Static_assert(sizeof(PST__PROTO_KDF_MSG_CTX) - 1 == crypto_kdf_CONTEXTBYTES, "kdf ctx");
_Static_assert(sizeof(PST__PROTO_KDF_CHAIN_CTX) - 1 == crypto_kdf_CONTEXTBYTES, "kdf ctx");
_Static_assert(PROTO_ENVELOPE_MAX <= 65536, "an envelope fits the server's default 64 KiB body");

static const char *const proto_messages[] = {
#define PROTO_ERR_MSG(name, msg) msg,
	PROTO_ERROR_MAP(PROTO_ERR_MSG)
#undef PROTO_ERR_MSG
};

int proto_init(void)
{
	return sodium_init() < 0 ? PROTO_E_CRYPTO : PROTO_E_OK;
}

const char *proto_strerror(int e)
{
	if (e < 0 || e >= PROTO_E__COUNT)
		return "unknown error";
	return proto_messages[e];
}

size_t pst__proto_id_len(const char *id)
{
	size_t n;

	if (id == NULL)
		return 0;
	for (n = 0; n <= PROTO_ID_MAX && id[n] != '\0'; n++)
		if ((unsigned char)id[n] < 0x21 || (unsigned char)id[n] > 0x7e)
			return 0;
	return n > PROTO_ID_MAX ? 0 : n;
}

int pst__proto_get_id(struct pst__proto_reader *r, char out[PROTO_ID_MAX + 1])
{
	unsigned n = pst__proto_get_u8(r), i;
	const unsigned char *at;

	out[0] = '\0';
	if (r->bad || n == 0 || n > PROTO_ID_MAX) {
		r->bad = 1;
		return -1;
	}
	if ((at = pst__proto_get(r, n)) == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		if (at[i] < 0x21 || at[i] > 0x7e) {
			r->bad = 1;
			out[0] = '\0';
			return -1;
		}
		out[i] = (char)at[i];
	}
	out[n] = '\0';
	return 0;
}

int pst__proto_check_prefix(struct pst__proto_reader *r, unsigned type)
{
	unsigned magic = pst__proto_get_u8(r), version = pst__proto_get_u8(r), t = pst__proto_get_u8(r);

	if (r->bad || magic != PROTO_MAGIC)
		return PROTO_E_MALFORMED;
	if (version != PROTO_VERSION)
		return PROTO_E_VERSION;
	return t == type ? PROTO_E_OK : PROTO_E_MALFORMED;
}

int pst__proto_chain_step(const unsigned char ck[PROTO_CHAIN_KEY_BYTES], unsigned char *mk,
			  unsigned char next[PROTO_CHAIN_KEY_BYTES])
{
	unsigned char tmp[PROTO_CHAIN_KEY_BYTES];
	int rc = PROTO_E_OK;

	if (mk != NULL && crypto_kdf_derive_from_key(mk, PROTO_MESSAGE_KEY_BYTES, PST__PROTO_KDF_MSG_ID,
						     PST__PROTO_KDF_MSG_CTX, ck) != 0) {
		rc = PROTO_E_CRYPTO;
		goto out;
	}
	if (crypto_kdf_derive_from_key(tmp, sizeof(tmp), PST__PROTO_KDF_CHAIN_ID, PST__PROTO_KDF_CHAIN_CTX, ck) != 0) {
		rc = PROTO_E_CRYPTO;
		goto out;
	}
	memcpy(next, tmp, sizeof(tmp));
out:
	sodium_memzero(tmp, sizeof(tmp));
	return rc;
}
