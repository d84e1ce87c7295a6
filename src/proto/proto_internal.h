/*
 * proto_internal.h — what the proto_*.c files share and what the tests reach past the API for: bounded
 * byte writers and readers, id checks, the chain step, and deterministic twins of the randomised calls
 * (fixed seeds, chain keys, session ids and nonces) that the test vectors are made from.
 *
 * Not for the rest of the client library: production code uses proto.h, whose calls draw fresh randomness.
 * Nothing here does I/O or allocates.
 */
#ifndef POSTERN_PROTO_INTERNAL_H
#define POSTERN_PROTO_INTERNAL_H

#include "proto.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Type byte (offset 2) of each structure; docs/protocol.md §2. */
#define PST__PROTO_TYPE_MESSAGE 0x01u
#define PST__PROTO_TYPE_SESSION_KEY 0x02u
#define PST__PROTO_TYPE_HANDOVER 0x03u /* the encrypted container of a session-key payload */
#define PST__PROTO_TYPE_OUTBOUND_STATE 0x10u
#define PST__PROTO_TYPE_INBOUND_STATE 0x11u
#define PST__PROTO_TYPE_BACKUP 0x25u       /* identity backup (proto_identity.c) */
#define PST__PROTO_TYPE_IDENTITY_BOX 0x26u /* identity seed for an approved device */

/* KDF contexts (exactly crypto_kdf_CONTEXTBYTES = 8 characters) and subkey ids. */
#define PST__PROTO_KDF_MSG_CTX "pstmsgky"
#define PST__PROTO_KDF_MSG_ID 1u
#define PST__PROTO_KDF_CHAIN_CTX "pstchain"
#define PST__PROTO_KDF_CHAIN_ID 2u

/* ---- bounded writer: every put checks room; the first overflow sticks ---- */

struct pst__proto_writer {
	unsigned char *p;
	size_t cap, len;
	int overflow;
};

static inline void pst__proto_put(struct pst__proto_writer *w, const void *src, size_t n)
{
	if (w->overflow || n > w->cap - w->len) {
		w->overflow = 1;
		return;
	}
	if (n)
		memcpy(w->p + w->len, src, n);
	w->len += n;
}

static inline void pst__proto_put_u8(struct pst__proto_writer *w, unsigned v)
{
	unsigned char b = (unsigned char)v;
	pst__proto_put(w, &b, 1);
}

static inline void pst__proto_put_u32(struct pst__proto_writer *w, uint32_t v)
{
	unsigned char b[4] = {(unsigned char)(v >> 24), (unsigned char)(v >> 16), (unsigned char)(v >> 8), (unsigned char)v};
	pst__proto_put(w, b, 4);
}

static inline void pst__proto_put_u64(struct pst__proto_writer *w, uint64_t v)
{
	pst__proto_put_u32(w, (uint32_t)(v >> 32));
	pst__proto_put_u32(w, (uint32_t)v);
}

/* u8 length then the bytes; the id was validated by the caller. */
static inline void pst__proto_put_id(struct pst__proto_writer *w, const char *id)
{
	size_t n = strlen(id);
	pst__proto_put_u8(w, (unsigned)n);
	pst__proto_put(w, id, n);
}

/* ---- bounded reader: a short read marks it bad and yields zeros ---- */

struct pst__proto_reader {
	const unsigned char *p;
	size_t len, off;
	int bad;
};

static inline const unsigned char *pst__proto_get(struct pst__proto_reader *r, size_t n)
{
	const unsigned char *at;
	if (r->bad || n > r->len - r->off) {
		r->bad = 1;
		return NULL;
	}
	at = r->p + r->off;
	r->off += n;
	return at;
}

static inline void pst__proto_get_bytes(struct pst__proto_reader *r, void *dst, size_t n)
{
	const unsigned char *at = pst__proto_get(r, n);
	if (at)
		memcpy(dst, at, n);
	else
		memset(dst, 0, n);
}

static inline unsigned pst__proto_get_u8(struct pst__proto_reader *r)
{
	const unsigned char *at = pst__proto_get(r, 1);
	return at ? at[0] : 0u;
}

static inline uint32_t pst__proto_get_u32(struct pst__proto_reader *r)
{
	const unsigned char *at = pst__proto_get(r, 4);
	return at ? ((uint32_t)at[0] << 24 | (uint32_t)at[1] << 16 | (uint32_t)at[2] << 8 | (uint32_t)at[3]) : 0u;
}

static inline uint64_t pst__proto_get_u64(struct pst__proto_reader *r)
{
	uint64_t hi = pst__proto_get_u32(r);
	return hi << 32 | pst__proto_get_u32(r);
}

/*
 * Length of id when it is a valid protocol id (1..PROTO_ID_MAX bytes, each 0x21..0x7e), else 0.
 * NULL gives 0. Reads at most PROTO_ID_MAX + 1 bytes.
 */
size_t pst__proto_id_len(const char *id);

/*
 * Read a u8-length-prefixed id into out (PROTO_ID_MAX + 1 bytes, NUL-terminated). Returns 0, or -1 (and
 * marks r bad) when the length is 0, over PROTO_ID_MAX, truncated, or a byte is outside 0x21..0x7e.
 */
int pst__proto_get_id(struct pst__proto_reader *r, char out[PROTO_ID_MAX + 1]);

/*
 * Check the 3-byte prefix (magic, version, type) of a structure. Returns PROTO_E_OK, PROTO_E_MALFORMED
 * (short, wrong magic or type) or PROTO_E_VERSION.
 */
int pst__proto_check_prefix(struct pst__proto_reader *r, unsigned type);

/*
 * One step of the chain: mk = KDF(ck, 1, "pstmsgky") when mk is not NULL, next = KDF(ck, 2, "pstchain").
 * next may equal ck (the step is done in a temporary). Returns PROTO_E_OK or PROTO_E_CRYPTO.
 */
int pst__proto_chain_step(const unsigned char ck[PROTO_CHAIN_KEY_BYTES], unsigned char *mk,
			  unsigned char next[PROTO_CHAIN_KEY_BYTES]);

/*
 * The message key of index j in inbound session in, without changing it (proto_decrypt's first pass).
 * Returns PROTO_E_OK with mk filled, or PROTO_E_BEFORE_SESSION, PROTO_E_REPLAY, PROTO_E_KEY_DISCARDED,
 * PROTO_E_TOO_FAR, PROTO_E_MALFORMED (j > PROTO_INDEX_MAX), PROTO_E_CRYPTO. mk is wiped on error.
 */
int pst__proto_inbound_key(const struct proto_inbound *in, uint32_t j, unsigned char mk[PROTO_MESSAGE_KEY_BYTES]);

/*
 * Record that index j of in was decrypted (call only after pst__proto_inbound_key(j) succeeded and the
 * message authenticated): j's kept key is erased, or the chain moves past j keeping the skipped keys
 * (at most PROTO_MAX_SKIPPED, the oldest evicted). Returns PROTO_E_OK or PROTO_E_CRYPTO.
 */
int pst__proto_inbound_commit(struct proto_inbound *in, uint32_t j);

/* ---- deterministic twins, for test vectors ---- */

/*
 * Device keys from two 32-byte seeds (crypto_sign_seed_keypair, crypto_box_seed_keypair).
 * Returns PROTO_E_OK or PROTO_E_INVALID_ARG.
 */
int pst__proto_device_keys_from_seeds(struct proto_device_keys *keys, const unsigned char sign_seed[PROTO_SEED_BYTES],
				      const unsigned char box_seed[PROTO_SEED_BYTES]);

/*
 * proto_outbound_new with a given session id, chain key (for index) and index.
 * Returns PROTO_E_OK or PROTO_E_INVALID_ARG.
 */
int pst__proto_outbound_init(struct proto_outbound *s, const char *thread_id, const char *device_id,
			     const unsigned char session_id[PROTO_SESSION_ID_BYTES],
			     const unsigned char chain_key[PROTO_CHAIN_KEY_BYTES], uint32_t index,
			     const unsigned char recipients_hash[PROTO_HASH_BYTES], int64_t now_ms);

/* proto_encrypt with a given nonce. Same contract otherwise. */
int pst__proto_encrypt_with_nonce(struct proto_outbound *s, const unsigned char sign_sk[PROTO_SIGN_SK_BYTES],
				  const unsigned char nonce[PROTO_NONCE_BYTES], const unsigned char *plaintext,
				  size_t len, unsigned char *out, size_t cap, size_t *out_len);

/*
 * The signed session-key payload of s for recipient_device_id (what proto_handover_seal seals). It is
 * deterministic (Ed25519). Writes at most PROTO_HANDOVER_PAYLOAD_MAX bytes. The caller wipes out.
 * Errors: PROTO_E_INVALID_ARG, PROTO_E_BUFFER_TOO_SMALL, PROTO_E_EXHAUSTED.
 */
int pst__proto_handover_payload(const struct proto_outbound *s, const unsigned char sign_sk[PROTO_SIGN_SK_BYTES],
				const char *recipient_device_id, unsigned char *out, size_t cap, size_t *out_len);

/*
 * Parse and verify an unsealed payload; the checks and outputs of proto_handover_open after unsealing.
 */
int pst__proto_handover_accept(const unsigned char *payload, size_t len, const char *my_device_id,
			       const char *expected_sender_device_id,
			       const unsigned char expected_sender_sign_pk[PROTO_SIGN_PK_BYTES],
			       const char *expected_thread_id, struct proto_inbound *in,
			       unsigned char head_out[PROTO_HEAD_BYTES]);

/* proto_handover_seal with a given ephemeral secret and nonce (deterministic, for the vectors). */
int pst__proto_handover_seal_with(const struct proto_outbound *s, const unsigned char sign_sk[PROTO_SIGN_SK_BYTES],
				  const char *recipient_device_id, const unsigned char recipient_box_pk[PROTO_BOX_PK_BYTES],
				  uint32_t spk_id, const unsigned char spk[PROTO_PREKEY_BYTES], uint32_t opk_id,
				  const unsigned char *opk, const unsigned char e_sk[32],
				  const unsigned char nonce[PROTO_NONCE_BYTES], unsigned char *out, size_t cap, size_t *out_len);

/* proto_backup_seal with a given salt (16 bytes) and nonce (deterministic, for the vectors). */
int pst__proto_backup_seal_with(const struct proto_identity *id, const char *user_id, const unsigned char secret[PROTO_RECOVERY_BYTES],
				uint64_t ops, uint64_t mem, const unsigned char salt[16], const unsigned char nonce[PROTO_NONCE_BYTES],
				unsigned char *out, size_t cap, size_t *out_len);

#endif
