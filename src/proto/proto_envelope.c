/*
 * proto_envelope.c — the message envelope (see proto.h, docs/protocol.md §5): encrypting the next message
 * of an outbound session into a signed, versioned binary envelope, decoding envelopes under strict bounds,
 * and verifying and decrypting them with an inbound session. Pure: the caller base64url-encodes the bytes
 * for a message `body`, supplies the candidate sessions and persists them after a successful decryption.
 */
#include "proto.h"
#include "proto_internal.h"

#include <sodium.h>
#include <string.h>

#include "banned.h" /* last: bans footguns in this file only */

int pst__proto_encrypt_with_nonce(struct proto_outbound *s, const unsigned char sign_sk[PROTO_SIGN_SK_BYTES],
				  const unsigned char nonce[PROTO_NONCE_BYTES], const unsigned char *plaintext,
				  size_t len, unsigned char *out, size_t cap, size_t *out_len)
{
	unsigned char mk[PROTO_MESSAGE_KEY_BYTES], next_ck[PROTO_CHAIN_KEY_BYTES];
	struct pst__proto_writer w = {out, cap, 0, 0};
	static const unsigned char empty[1] = {0};
	unsigned long long clen = 0;
	size_t tl, dl, header_len;
	int rc = PROTO_E_OK;

	if (s == NULL || sign_sk == NULL || nonce == NULL || out == NULL || out_len == NULL ||
	    (plaintext == NULL && len > 0))
		return PROTO_E_INVALID_ARG;
	tl = pst__proto_id_len(s->thread_id);
	dl = pst__proto_id_len(s->device_id);
	if (tl == 0 || dl == 0)
		return PROTO_E_INVALID_ARG;
	if (plaintext == NULL)
		plaintext = empty; /* len == 0: never hand libsodium a NULL message */
	if (len > PROTO_PLAINTEXT_MAX)
		return PROTO_E_TOO_LARGE;
	if (s->next_index > PROTO_INDEX_MAX)
		return PROTO_E_EXHAUSTED;
	if (cap < PROTO_ENVELOPE_OVERHEAD(tl, dl) + len)
		return PROTO_E_BUFFER_TOO_SMALL;
	if ((rc = pst__proto_chain_step(s->chain_key, mk, next_ck)) != PROTO_E_OK)
		goto out;

	pst__proto_put_u8(&w, PROTO_MAGIC);
	pst__proto_put_u8(&w, PROTO_VERSION);
	pst__proto_put_u8(&w, PST__PROTO_TYPE_MESSAGE);
	pst__proto_put_id(&w, s->thread_id);
	pst__proto_put_id(&w, s->device_id);
	pst__proto_put(&w, s->head, PROTO_HEAD_BYTES);
	pst__proto_put(&w, s->session_id, PROTO_SESSION_ID_BYTES);
	pst__proto_put_u32(&w, s->next_index);
	pst__proto_put(&w, nonce, PROTO_NONCE_BYTES);
	pst__proto_put_u32(&w, (uint32_t)(len + PROTO_TAG_BYTES));
	header_len = w.len;
	if (w.overflow) {
		rc = PROTO_E_BUFFER_TOO_SMALL;
		goto out;
	}
	/* The whole header (version, type, thread, sender device, membership head, session, index, nonce,
	 * length) is the AD. */
	crypto_aead_xchacha20poly1305_ietf_encrypt(out + header_len, &clen, plaintext, len, out, header_len, NULL, nonce, mk);
	w.len += (size_t)clen;
	crypto_sign_detached(out + w.len, NULL, out, w.len, sign_sk);
	w.len += PROTO_SIG_BYTES;

	memcpy(s->chain_key, next_ck, sizeof(next_ck));
	s->next_index++;
	*out_len = w.len;
out:
	sodium_memzero(mk, sizeof(mk));
	sodium_memzero(next_ck, sizeof(next_ck));
	return rc;
}

int proto_encrypt(struct proto_outbound *s, const unsigned char sign_sk[PROTO_SIGN_SK_BYTES],
		  const unsigned char *plaintext, size_t len, unsigned char *out, size_t cap, size_t *out_len)
{
	unsigned char nonce[PROTO_NONCE_BYTES];

	randombytes_buf(nonce, sizeof(nonce));
	return pst__proto_encrypt_with_nonce(s, sign_sk, nonce, plaintext, len, out, cap, out_len);
}

int proto_envelope_decode(const unsigned char *env, size_t len, struct proto_envelope *e)
{
	struct pst__proto_reader r = {env, len, 0, 0};
	struct proto_envelope d;
	uint32_t clen;
	int rc;

	if (env == NULL || e == NULL)
		return PROTO_E_INVALID_ARG;
	if (len > PROTO_ENVELOPE_MAX)
		return PROTO_E_TOO_LARGE;
	memset(&d, 0, sizeof(d));
	if ((rc = pst__proto_check_prefix(&r, PST__PROTO_TYPE_MESSAGE)) != PROTO_E_OK)
		return rc;
	d.version = PROTO_VERSION;
	d.type = PST__PROTO_TYPE_MESSAGE;
	if (pst__proto_get_id(&r, d.thread_id) != 0 || pst__proto_get_id(&r, d.sender_device_id) != 0)
		return PROTO_E_MALFORMED;
	pst__proto_get_bytes(&r, d.head, PROTO_HEAD_BYTES);
	pst__proto_get_bytes(&r, d.session_id, PROTO_SESSION_ID_BYTES);
	d.index = pst__proto_get_u32(&r);
	pst__proto_get_bytes(&r, d.nonce, PROTO_NONCE_BYTES);
	clen = pst__proto_get_u32(&r);
	if (r.bad || d.index > PROTO_INDEX_MAX || clen < PROTO_TAG_BYTES || clen > PROTO_PLAINTEXT_MAX + PROTO_TAG_BYTES)
		return PROTO_E_MALFORMED;
	d.header_len = r.off;
	d.ciphertext = pst__proto_get(&r, clen);
	d.ciphertext_len = clen;
	d.signed_len = r.off;
	pst__proto_get_bytes(&r, d.signature, PROTO_SIG_BYTES);
	if (r.bad || r.off != len)
		return PROTO_E_MALFORMED;
	*e = d;
	return PROTO_E_OK;
}

int proto_decrypt(struct proto_inbound *sessions, size_t n, const char *thread_id, const char *sender_device_id,
		  const unsigned char *env, size_t len, unsigned char *out, size_t cap, size_t *out_len,
		  size_t *which, struct proto_envelope *info)
{
	unsigned char mk[PROTO_MESSAGE_KEY_BYTES];
	struct proto_envelope e;
	struct proto_inbound *in = NULL;
	size_t i, ptlen;
	int rc;

	if ((sessions == NULL && n > 0) || env == NULL || out == NULL || out_len == NULL ||
	    pst__proto_id_len(thread_id) == 0 || pst__proto_id_len(sender_device_id) == 0)
		return PROTO_E_INVALID_ARG;
	if ((rc = proto_envelope_decode(env, len, &e)) != PROTO_E_OK)
		return rc;
	/* The server says where the message was posted and by which device; the envelope must agree. */
	if (strcmp(e.thread_id, thread_id) != 0)
		return PROTO_E_WRONG_THREAD;
	if (strcmp(e.sender_device_id, sender_device_id) != 0)
		return PROTO_E_WRONG_SENDER;
	for (i = 0; i < n && in == NULL; i++)
		if (strcmp(sessions[i].sender_device_id, e.sender_device_id) == 0 &&
		    sodium_memcmp(sessions[i].session_id, e.session_id, PROTO_SESSION_ID_BYTES) == 0)
			in = &sessions[i];
	if (in == NULL)
		return PROTO_E_UNKNOWN_SESSION;
	if (strcmp(in->thread_id, e.thread_id) != 0)
		return PROTO_E_WRONG_THREAD;
	/* Verify before any key work, so a forged envelope cannot make the receiver walk its chain. */
	if (crypto_sign_verify_detached(e.signature, env, e.signed_len, in->sender_sign_pk) != 0)
		return PROTO_E_BAD_SIGNATURE;
	ptlen = e.ciphertext_len - PROTO_TAG_BYTES;
	if (cap < ptlen)
		return PROTO_E_BUFFER_TOO_SMALL;
	if ((rc = pst__proto_inbound_key(in, e.index, mk)) != PROTO_E_OK)
		goto out;
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(out, NULL, NULL, e.ciphertext, e.ciphertext_len, env,
						       e.header_len, e.nonce, mk) != 0) {
		sodium_memzero(out, ptlen);
		rc = PROTO_E_DECRYPT;
		goto out;
	}
	if ((rc = pst__proto_inbound_commit(in, e.index)) != PROTO_E_OK) {
		sodium_memzero(out, ptlen);
		goto out;
	}
	*out_len = ptlen;
	if (which != NULL)
		*which = (size_t)(in - sessions);
	if (info != NULL) {
		*info = e;
		info->ciphertext = NULL; /* points into env, which the caller may free before looking */
	}
out:
	sodium_memzero(mk, sizeof(mk));
	return rc;
}
