/*
 * proto_handover.c — giving an outbound session to another device (see proto.h, docs/protocol.md §6 and
 * §17): the session-key payload (thread, sender and recipient devices, membership head, session id, index,
 * chain key) signed by the sender's Ed25519 key, then encrypted to the recipient with an ephemeral X25519
 * key combined with the recipient's box key, its signed prekey and, when one was left, a one-time prekey
 * (X3DH-style: once the recipient erases the prekeys, a later theft of its long-term keys opens nothing);
 * and the reverse, which yields a fresh inbound session only when every check passes. Pure: the caller
 * claims the prekeys, moves the bytes as a to-device message and persists the inbound session.
 */
#include "proto.h"
#include "proto_internal.h"

#include <sodium.h>
#include <string.h>

#include "banned.h" /* last: bans footguns in this file only */

int pst__proto_handover_payload(const struct proto_outbound *s, const unsigned char sign_sk[PROTO_SIGN_SK_BYTES],
				const char *recipient_device_id, unsigned char *out, size_t cap, size_t *out_len)
{
	struct pst__proto_writer w = {out, cap, 0, 0};

	if (s == NULL || sign_sk == NULL || out == NULL || out_len == NULL || pst__proto_id_len(s->thread_id) == 0 ||
	    pst__proto_id_len(s->device_id) == 0 || pst__proto_id_len(recipient_device_id) == 0)
		return PROTO_E_INVALID_ARG;
	if (s->next_index > PROTO_INDEX_MAX)
		return PROTO_E_EXHAUSTED;
	pst__proto_put_u8(&w, PROTO_MAGIC);
	pst__proto_put_u8(&w, PROTO_VERSION);
	pst__proto_put_u8(&w, PST__PROTO_TYPE_SESSION_KEY);
	pst__proto_put_id(&w, s->thread_id);
	pst__proto_put_id(&w, s->device_id);
	pst__proto_put_id(&w, recipient_device_id);
	pst__proto_put(&w, s->head, PROTO_HEAD_BYTES);
	pst__proto_put(&w, s->session_id, PROTO_SESSION_ID_BYTES);
	pst__proto_put_u32(&w, s->next_index);
	pst__proto_put(&w, s->chain_key, PROTO_CHAIN_KEY_BYTES);
	if (w.overflow || w.cap - w.len < PROTO_SIG_BYTES) {
		sodium_memzero(out, w.len);
		return PROTO_E_BUFFER_TOO_SMALL;
	}
	crypto_sign_detached(out + w.len, NULL, out, w.len, sign_sk);
	*out_len = w.len + PROTO_SIG_BYTES;
	return PROTO_E_OK;
}

int pst__proto_handover_accept(const unsigned char *payload, size_t len, const char *my_device_id,
			       const char *expected_sender_device_id,
			       const unsigned char expected_sender_sign_pk[PROTO_SIGN_PK_BYTES],
			       const char *expected_thread_id, struct proto_inbound *in,
			       unsigned char head_out[PROTO_HEAD_BYTES])
{
	struct pst__proto_reader r = {payload, len, 0, 0};
	char thread[PROTO_ID_MAX + 1], sender[PROTO_ID_MAX + 1], recipient[PROTO_ID_MAX + 1];
	unsigned char sid[PROTO_SESSION_ID_BYTES], ck[PROTO_CHAIN_KEY_BYTES], sig[PROTO_SIG_BYTES], head[PROTO_HEAD_BYTES];
	size_t signed_len;
	uint32_t index;
	int rc;

	if (payload == NULL || in == NULL || expected_sender_sign_pk == NULL || pst__proto_id_len(my_device_id) == 0 ||
	    pst__proto_id_len(expected_sender_device_id) == 0 ||
	    (expected_thread_id != NULL && pst__proto_id_len(expected_thread_id) == 0))
		return PROTO_E_INVALID_ARG;
	if (len > PROTO_HANDOVER_PAYLOAD_MAX)
		return PROTO_E_TOO_LARGE;
	if ((rc = pst__proto_check_prefix(&r, PST__PROTO_TYPE_SESSION_KEY)) != PROTO_E_OK)
		return rc;
	if (pst__proto_get_id(&r, thread) != 0 || pst__proto_get_id(&r, sender) != 0 || pst__proto_get_id(&r, recipient) != 0)
		return PROTO_E_MALFORMED;
	pst__proto_get_bytes(&r, head, sizeof(head));
	pst__proto_get_bytes(&r, sid, sizeof(sid));
	index = pst__proto_get_u32(&r);
	pst__proto_get_bytes(&r, ck, sizeof(ck));
	signed_len = r.off;
	pst__proto_get_bytes(&r, sig, sizeof(sig));
	if (r.bad || r.off != len || index > PROTO_INDEX_MAX) {
		rc = PROTO_E_MALFORMED;
		goto out;
	}
	if (strcmp(sender, expected_sender_device_id) != 0) {
		rc = PROTO_E_WRONG_SENDER;
		goto out;
	}
	if (crypto_sign_verify_detached(sig, payload, signed_len, expected_sender_sign_pk) != 0) {
		rc = PROTO_E_BAD_SIGNATURE;
		goto out;
	}
	if (strcmp(recipient, my_device_id) != 0) {
		rc = PROTO_E_WRONG_RECIPIENT;
		goto out;
	}
	if (expected_thread_id != NULL && strcmp(thread, expected_thread_id) != 0) {
		rc = PROTO_E_WRONG_THREAD;
		goto out;
	}
	memset(in->thread_id, 0, sizeof(in->thread_id));
	memset(in->sender_device_id, 0, sizeof(in->sender_device_id));
	memcpy(in->thread_id, thread, strlen(thread));
	memcpy(in->sender_device_id, sender, strlen(sender));
	memmove(in->sender_sign_pk, expected_sender_sign_pk, PROTO_SIGN_PK_BYTES);
	memcpy(in->session_id, sid, sizeof(sid));
	memcpy(in->chain_key, ck, sizeof(ck));
	in->start_index = in->next_index = index;
	in->discarded_below = 0;
	in->n_skipped = 0;
	sodium_memzero(in->skipped, sizeof(in->skipped));
	if (head_out != NULL)
		memcpy(head_out, head, sizeof(head));
out:
	sodium_memzero(ck, sizeof(ck));
	return rc;
}

/* ---- the sealed container (type 0x03) ---- */

#define HANDOVER_KDF_PREFIX "postern-handover-v2:"

/*
 * The key of one container: BLAKE2b-256 over the prefix, DH(e, box), DH(e, signed prekey), DH(e, one-time
 * prekey) when there is one, the container header (everything before the ciphertext, e_pk included) and the
 * recipient's public keys in the same order. dh() is X25519 with the local secret; an all-zero result (a
 * low-order point) is refused.
 */
static int container_key(const unsigned char *header, size_t header_len, const unsigned char dh[3][32], int with_opk,
			 const unsigned char box_pk[32], const unsigned char spk[32], const unsigned char *opk,
			 unsigned char key[32])
{
	crypto_generichash_state st;
	crypto_generichash_init(&st, NULL, 0, 32);
	crypto_generichash_update(&st, (const unsigned char *)HANDOVER_KDF_PREFIX, sizeof(HANDOVER_KDF_PREFIX) - 1);
	crypto_generichash_update(&st, dh[0], 32);
	crypto_generichash_update(&st, dh[1], 32);
	if (with_opk)
		crypto_generichash_update(&st, dh[2], 32);
	crypto_generichash_update(&st, header, header_len);
	crypto_generichash_update(&st, box_pk, 32);
	crypto_generichash_update(&st, spk, 32);
	if (with_opk)
		crypto_generichash_update(&st, opk, 32);
	return crypto_generichash_final(&st, key, 32) == 0 ? PROTO_E_OK : PROTO_E_CRYPTO;
}

int pst__proto_handover_seal_with(const struct proto_outbound *s, const unsigned char sign_sk[PROTO_SIGN_SK_BYTES],
				  const char *recipient_device_id, const unsigned char recipient_box_pk[PROTO_BOX_PK_BYTES],
				  uint32_t spk_id, const unsigned char spk[PROTO_PREKEY_BYTES], uint32_t opk_id,
				  const unsigned char *opk, const unsigned char e_sk[32],
				  const unsigned char nonce[PROTO_NONCE_BYTES], unsigned char *out, size_t cap, size_t *out_len)
{
	unsigned char payload[PROTO_HANDOVER_PAYLOAD_MAX], e_pk[32], dh[3][32], key[32];
	struct pst__proto_writer w = {out, cap, 0, 0};
	unsigned long long clen = 0;
	size_t plen = 0;
	int rc;

	if (recipient_box_pk == NULL || spk == NULL || spk_id == 0 || (opk == NULL) != (opk_id == 0) || e_sk == NULL ||
	    nonce == NULL || out == NULL || out_len == NULL || pst__proto_id_len(recipient_device_id) == 0)
		return PROTO_E_INVALID_ARG;
	if ((rc = pst__proto_handover_payload(s, sign_sk, recipient_device_id, payload, sizeof(payload), &plen)) != PROTO_E_OK)
		goto out;
	crypto_scalarmult_base(e_pk, e_sk);
	if (crypto_scalarmult(dh[0], e_sk, recipient_box_pk) != 0 || crypto_scalarmult(dh[1], e_sk, spk) != 0 ||
	    (opk && crypto_scalarmult(dh[2], e_sk, opk) != 0)) {
		rc = PROTO_E_CRYPTO; /* a low-order public key */
		goto out;
	}
	pst__proto_put_u8(&w, PROTO_MAGIC);
	pst__proto_put_u8(&w, PROTO_VERSION);
	pst__proto_put_u8(&w, PST__PROTO_TYPE_HANDOVER);
	pst__proto_put_id(&w, recipient_device_id);
	pst__proto_put_u32(&w, spk_id);
	pst__proto_put_u32(&w, opk_id);
	pst__proto_put(&w, e_pk, sizeof(e_pk));
	pst__proto_put(&w, nonce, PROTO_NONCE_BYTES);
	if (w.overflow || cap - w.len < plen + PROTO_TAG_BYTES) {
		rc = PROTO_E_BUFFER_TOO_SMALL;
		goto out;
	}
	if ((rc = container_key(out, w.len, (const unsigned char(*)[32])dh, opk != NULL, recipient_box_pk, spk, opk, key)) != PROTO_E_OK)
		goto out;
	crypto_aead_xchacha20poly1305_ietf_encrypt(out + w.len, &clen, payload, plen, out, w.len, NULL, nonce, key);
	*out_len = w.len + (size_t)clen;
out:
	sodium_memzero(payload, sizeof(payload));
	sodium_memzero(dh, sizeof(dh));
	sodium_memzero(key, sizeof(key));
	return rc;
}

int proto_handover_seal(const struct proto_outbound *s, const unsigned char sign_sk[PROTO_SIGN_SK_BYTES],
			const char *recipient_device_id, const unsigned char recipient_box_pk[PROTO_BOX_PK_BYTES],
			uint32_t spk_id, const unsigned char spk[PROTO_PREKEY_BYTES], uint32_t opk_id,
			const unsigned char *opk, unsigned char *out, size_t cap, size_t *out_len)
{
	unsigned char e_sk[32], nonce[PROTO_NONCE_BYTES];
	int rc;
	randombytes_buf(e_sk, sizeof(e_sk));
	randombytes_buf(nonce, sizeof(nonce));
	rc = pst__proto_handover_seal_with(s, sign_sk, recipient_device_id, recipient_box_pk, spk_id, spk, opk_id, opk, e_sk,
					   nonce, out, cap, out_len);
	sodium_memzero(e_sk, sizeof(e_sk)); /* the ephemeral secret never outlives the call */
	return rc;
}

/* The header of a container: recipient, prekey ids, ephemeral key and nonce; *header_len = its length. */
static int container_header(const unsigned char *sealed, size_t len, char recipient[PROTO_ID_MAX + 1], uint32_t *spk_id,
			    uint32_t *opk_id, unsigned char e_pk[32], unsigned char nonce[PROTO_NONCE_BYTES], size_t *header_len)
{
	struct pst__proto_reader r = {sealed, len, 0, 0};
	int rc;
	if (len > PROTO_HANDOVER_SEALED_MAX)
		return PROTO_E_TOO_LARGE;
	if ((rc = pst__proto_check_prefix(&r, PST__PROTO_TYPE_HANDOVER)) != PROTO_E_OK)
		return rc;
	pst__proto_get_id(&r, recipient);
	*spk_id = pst__proto_get_u32(&r);
	*opk_id = pst__proto_get_u32(&r);
	pst__proto_get_bytes(&r, e_pk, 32);
	pst__proto_get_bytes(&r, nonce, PROTO_NONCE_BYTES);
	if (r.bad || *spk_id == 0 || len - r.off < PROTO_TAG_BYTES)
		return PROTO_E_MALFORMED;
	*header_len = r.off;
	return PROTO_E_OK;
}

int proto_handover_peek(const unsigned char *sealed, size_t len, char recipient[PROTO_ID_MAX + 1], uint32_t *spk_id,
			uint32_t *opk_id)
{
	unsigned char e_pk[32], nonce[PROTO_NONCE_BYTES];
	size_t hl;
	if (sealed == NULL || recipient == NULL || spk_id == NULL || opk_id == NULL)
		return PROTO_E_INVALID_ARG;
	return container_header(sealed, len, recipient, spk_id, opk_id, e_pk, nonce, &hl);
}

int proto_handover_open(const unsigned char *sealed, size_t len, const struct proto_device_keys *me,
			const unsigned char spk_sk[PROTO_PREKEY_BYTES], const unsigned char *opk_sk,
			const char *my_device_id, const char *expected_sender_device_id,
			const unsigned char expected_sender_sign_pk[PROTO_SIGN_PK_BYTES],
			const char *expected_thread_id, struct proto_inbound *in, unsigned char head_out[PROTO_HEAD_BYTES])
{
	unsigned char payload[PROTO_HANDOVER_PAYLOAD_MAX], e_pk[32], nonce[PROTO_NONCE_BYTES], dh[3][32], key[32];
	unsigned char spk[32], opk[32];
	char recipient[PROTO_ID_MAX + 1];
	unsigned long long plen = 0;
	uint32_t spk_id = 0, opk_id = 0;
	size_t hl = 0;
	int rc;

	if (sealed == NULL || me == NULL || spk_sk == NULL || in == NULL || my_device_id == NULL)
		return PROTO_E_INVALID_ARG;
	if ((rc = container_header(sealed, len, recipient, &spk_id, &opk_id, e_pk, nonce, &hl)) != PROTO_E_OK)
		return rc;
	if (strcmp(recipient, my_device_id) != 0)
		return PROTO_E_WRONG_RECIPIENT;
	if ((opk_id != 0) != (opk_sk != NULL))
		return PROTO_E_INVALID_ARG; /* the caller looks the one-time key up by opk_id (proto_handover_peek) */
	if (len - hl - PROTO_TAG_BYTES > PROTO_HANDOVER_PAYLOAD_MAX)
		return PROTO_E_TOO_LARGE;
	crypto_scalarmult_base(spk, spk_sk);
	if (opk_sk)
		crypto_scalarmult_base(opk, opk_sk);
	if (crypto_scalarmult(dh[0], me->box_sk, e_pk) != 0 || crypto_scalarmult(dh[1], spk_sk, e_pk) != 0 ||
	    (opk_sk && crypto_scalarmult(dh[2], opk_sk, e_pk) != 0)) {
		rc = PROTO_E_DECRYPT;
		goto out;
	}
	if ((rc = container_key(sealed, hl, (const unsigned char(*)[32])dh, opk_sk != NULL, me->box_pk, spk, opk_sk ? opk : NULL, key)) != PROTO_E_OK)
		goto out;
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(payload, &plen, NULL, sealed + hl, len - hl, sealed, hl, nonce, key) != 0) {
		rc = PROTO_E_DECRYPT;
		goto out;
	}
	rc = pst__proto_handover_accept(payload, (size_t)plen, my_device_id, expected_sender_device_id, expected_sender_sign_pk,
					expected_thread_id, in, head_out);
out:
	sodium_memzero(payload, sizeof(payload));
	sodium_memzero(dh, sizeof(dh));
	sodium_memzero(key, sizeof(key));
	return rc;
}

/* ---- prekeys ---- */

int proto_prekey_new(unsigned char pk[PROTO_PREKEY_BYTES], unsigned char sk[PROTO_PREKEY_BYTES])
{
	if (pk == NULL || sk == NULL)
		return PROTO_E_INVALID_ARG;
	return crypto_box_keypair(pk, sk) == 0 ? PROTO_E_OK : PROTO_E_CRYPTO;
}
