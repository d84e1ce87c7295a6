/*
 * proto_device.c — a device's long-term identity (see proto.h): its Ed25519 and X25519 key pairs, the
 * registration signature the server checks on POST /v1/devices, and the fingerprint people compare to
 * trust a device. Pure: keys come from libsodium's generator or fixed seeds, nothing is stored here.
 */
#include "proto.h"
#include "proto_internal.h"

#include "b64url.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "banned.h" /* last: bans footguns in this file only */

#define DEVICE_SIG_PREFIX "postern-device-v1:"
#define FINGERPRINT_PREFIX "postern-fingerprint-v1:"
#define FINGERPRINT_GROUPS 6

int proto_device_keygen(struct proto_device_keys *keys)
{
	if (keys == NULL)
		return PROTO_E_INVALID_ARG;
	crypto_sign_keypair(keys->sign_pk, keys->sign_sk);
	crypto_box_keypair(keys->box_pk, keys->box_sk);
	return PROTO_E_OK;
}

int pst__proto_device_keys_from_seeds(struct proto_device_keys *keys, const unsigned char sign_seed[PROTO_SEED_BYTES],
				      const unsigned char box_seed[PROTO_SEED_BYTES])
{
	if (keys == NULL || sign_seed == NULL || box_seed == NULL)
		return PROTO_E_INVALID_ARG;
	crypto_sign_seed_keypair(keys->sign_pk, keys->sign_sk, sign_seed);
	crypto_box_seed_keypair(keys->box_pk, keys->box_sk, box_seed);
	return PROTO_E_OK;
}

void proto_device_keys_wipe(struct proto_device_keys *keys)
{
	if (keys != NULL)
		sodium_memzero(keys, sizeof(*keys));
}

/* The registration message; returns its length, or 0 when user_id is not a valid id. */
static size_t registration_message(const char *user_id, const unsigned char box_pk[PROTO_BOX_PK_BYTES],
				   char *msg, size_t cap)
{
	char box_t[64];
	int n;

	if (pst__proto_id_len(user_id) == 0 || b64url_encode(box_pk, PROTO_BOX_PK_BYTES, box_t, sizeof(box_t)) != 0)
		return 0;
	n = snprintf(msg, cap, DEVICE_SIG_PREFIX "%s:%s", user_id, box_t);
	return (n < 0 || (size_t)n >= cap) ? 0 : (size_t)n;
}

int proto_device_sign_registration(const struct proto_device_keys *keys, const char *user_id,
				   unsigned char sig[PROTO_SIG_BYTES])
{
	char msg[160];
	size_t n;

	if (keys == NULL || sig == NULL)
		return PROTO_E_INVALID_ARG;
	if ((n = registration_message(user_id, keys->box_pk, msg, sizeof(msg))) == 0)
		return PROTO_E_INVALID_ARG;
	crypto_sign_detached(sig, NULL, (const unsigned char *)msg, (unsigned long long)n, keys->sign_sk);
	return PROTO_E_OK;
}

int proto_device_verify_registration(const unsigned char sign_pk[PROTO_SIGN_PK_BYTES],
				     const unsigned char box_pk[PROTO_BOX_PK_BYTES], const char *user_id,
				     const unsigned char sig[PROTO_SIG_BYTES])
{
	char msg[160];
	size_t n;

	if (sign_pk == NULL || box_pk == NULL || sig == NULL)
		return PROTO_E_INVALID_ARG;
	if ((n = registration_message(user_id, box_pk, msg, sizeof(msg))) == 0)
		return PROTO_E_INVALID_ARG;
	if (crypto_sign_verify_detached(sig, (const unsigned char *)msg, (unsigned long long)n, sign_pk) != 0)
		return PROTO_E_BAD_SIGNATURE;
	return PROTO_E_OK;
}

int proto_device_fingerprint(const unsigned char sign_pk[PROTO_SIGN_PK_BYTES],
			     const unsigned char box_pk[PROTO_BOX_PK_BYTES], char *out, size_t cap)
{
	crypto_generichash_state st;
	unsigned char h[32];
	size_t g, i, pos = 0;

	if (sign_pk == NULL || box_pk == NULL || out == NULL)
		return PROTO_E_INVALID_ARG;
	if (cap < PROTO_FINGERPRINT_LEN)
		return PROTO_E_BUFFER_TOO_SMALL;
	crypto_generichash_init(&st, NULL, 0, sizeof(h));
	crypto_generichash_update(&st, (const unsigned char *)FINGERPRINT_PREFIX, sizeof(FINGERPRINT_PREFIX) - 1);
	crypto_generichash_update(&st, sign_pk, PROTO_SIGN_PK_BYTES);
	crypto_generichash_update(&st, box_pk, PROTO_BOX_PK_BYTES);
	crypto_generichash_final(&st, h, sizeof(h));
	/* Each group: 5 hash bytes as a big-endian 40-bit number, mod 100000, as five digits (Signal's way). */
	for (g = 0; g < FINGERPRINT_GROUPS; g++) {
		uint64_t v = 0;
		for (i = 0; i < 5; i++)
			v = v << 8 | h[g * 5 + i];
		v %= 100000u;
		if (g > 0)
			out[pos++] = ' ';
		for (i = 5; i-- > 0;) {
			out[pos + i] = (char)('0' + (int)(v % 10u));
			v /= 10u;
		}
		pos += 5;
	}
	out[pos] = '\0';
	return PROTO_E_OK;
}
