/*
 * proto_handover.c — giving an outbound session to another device (see proto.h, docs/protocol.md §6): the
 * session-key payload (thread, sender and recipient devices, session id, index, chain key) signed by the
 * sender's Ed25519 key, then sealed to the recipient's X25519 key with crypto_box_seal; and the reverse,
 * which yields a fresh inbound session only when every check passes. Pure: the caller moves the sealed
 * bytes as a to-device message and persists the inbound session.
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
			       const char *expected_thread_id, struct proto_inbound *in)
{
	struct pst__proto_reader r = {payload, len, 0, 0};
	char thread[PROTO_ID_MAX + 1], sender[PROTO_ID_MAX + 1], recipient[PROTO_ID_MAX + 1];
	unsigned char sid[PROTO_SESSION_ID_BYTES], ck[PROTO_CHAIN_KEY_BYTES], sig[PROTO_SIG_BYTES];
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
out:
	sodium_memzero(ck, sizeof(ck));
	return rc;
}

int proto_handover_seal(const struct proto_outbound *s, const unsigned char sign_sk[PROTO_SIGN_SK_BYTES],
			const char *recipient_device_id, const unsigned char recipient_box_pk[PROTO_BOX_PK_BYTES],
			unsigned char *out, size_t cap, size_t *out_len)
{
	unsigned char payload[PROTO_HANDOVER_PAYLOAD_MAX];
	size_t plen = 0;
	int rc;

	if (recipient_box_pk == NULL || out == NULL || out_len == NULL)
		return PROTO_E_INVALID_ARG;
	if ((rc = pst__proto_handover_payload(s, sign_sk, recipient_device_id, payload, sizeof(payload), &plen)) != PROTO_E_OK)
		goto out;
	if (cap < plen + PROTO_SEAL_BYTES) {
		rc = PROTO_E_BUFFER_TOO_SMALL;
		goto out;
	}
	if (crypto_box_seal(out, payload, plen, recipient_box_pk) != 0) {
		rc = PROTO_E_CRYPTO; /* e.g. a low-order public key */
		goto out;
	}
	*out_len = plen + PROTO_SEAL_BYTES;
out:
	sodium_memzero(payload, sizeof(payload));
	return rc;
}

int proto_handover_open(const unsigned char *sealed, size_t len, const struct proto_device_keys *me,
			const char *my_device_id, const char *expected_sender_device_id,
			const unsigned char expected_sender_sign_pk[PROTO_SIGN_PK_BYTES],
			const char *expected_thread_id, struct proto_inbound *in)
{
	unsigned char payload[PROTO_HANDOVER_PAYLOAD_MAX];
	size_t plen;
	int rc;

	if (sealed == NULL || me == NULL || in == NULL)
		return PROTO_E_INVALID_ARG;
	if (len > PROTO_HANDOVER_SEALED_MAX)
		return PROTO_E_TOO_LARGE;
	if (len < PROTO_SEAL_BYTES)
		return PROTO_E_MALFORMED;
	plen = len - PROTO_SEAL_BYTES;
	if (crypto_box_seal_open(payload, sealed, len, me->box_pk, me->box_sk) != 0) {
		rc = PROTO_E_DECRYPT;
		goto out;
	}
	rc = pst__proto_handover_accept(payload, plen, my_device_id, expected_sender_device_id, expected_sender_sign_pk,
					expected_thread_id, in);
out:
	sodium_memzero(payload, sizeof(payload));
	return rc;
}
