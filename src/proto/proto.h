/*
 * proto.h — the end-to-end encryption protocol of Postern (sender keys, like Signal groups or Matrix Megolm),
 * as a pure module of the client library: device identity, outbound and inbound sessions, the signed
 * message envelope, the sealed session hand-over, rotation rules and the stored form of session state.
 * docs/protocol.md is the specification; this header is its C face.
 *
 * It sits under libpostern's client code (include/postern/postern.h) and above libsodium, and knows nothing
 * of HTTP, JSON, files or the clock: the caller passes the time, owns every buffer and structure, persists
 * state, and moves bytes to and from the server (base64url'd into a message `body` or a to-device `body`).
 * It never allocates, prints, aborts or exits. Every function that can fail returns an `enum proto_err`
 * (0 = success); on failure, output structures and the session passed in are left unchanged unless the
 * contract says otherwise. Secrets are compared with sodium_memcmp and wiped with sodium_memzero.
 *
 * Thread safety: no global state apart from libsodium's; a structure may be used by one thread at a time.
 * proto_init() must have succeeded once before any other call.
 */
#ifndef POSTERN_PROTO_H
#define POSTERN_PROTO_H

#include <stddef.h>
#include <stdint.h>

/* ---- sizes and limits (docs/protocol.md §2) ---- */

#define PROTO_MAGIC 0x50u   /* 'P': first byte of every binary structure of this protocol */
#define PROTO_VERSION 0x01u /* the only version this code speaks */

#define PROTO_ID_MAX 64 /* thread, device and user ids: 1..64 bytes of 0x21..0x7e */
#define PROTO_SIGN_PK_BYTES 32
#define PROTO_SIGN_SK_BYTES 64
#define PROTO_BOX_PK_BYTES 32
#define PROTO_BOX_SK_BYTES 32
#define PROTO_SEED_BYTES 32
#define PROTO_SIG_BYTES 64
#define PROTO_SESSION_ID_BYTES 16
#define PROTO_CHAIN_KEY_BYTES 32
#define PROTO_MESSAGE_KEY_BYTES 32
#define PROTO_NONCE_BYTES 24
#define PROTO_TAG_BYTES 16
#define PROTO_SEAL_BYTES 48 /* crypto_box_SEALBYTES */
#define PROTO_HASH_BYTES 32 /* recipient-set hash */

#define PROTO_INDEX_MAX 0xFFFFFFFEu /* highest message index; 0xFFFFFFFF is never valid */
#define PROTO_PLAINTEXT_MAX 65024u  /* largest plaintext of one envelope */
/* Envelope bytes around the plaintext for thread and device ids of tlen and dlen bytes. */
#define PROTO_ENVELOPE_OVERHEAD(tlen, dlen) \
	(3u + 1u + (size_t)(tlen) + 1u + (size_t)(dlen) + 16u + 4u + 24u + 4u + 16u + 64u)
#define PROTO_ENVELOPE_MAX (PROTO_PLAINTEXT_MAX + PROTO_ENVELOPE_OVERHEAD(PROTO_ID_MAX, PROTO_ID_MAX)) /* 65285 */
/* Signed session-key payload and its sealed form (largest ids). */
#define PROTO_HANDOVER_PAYLOAD_MAX (3u + 3u * (1u + PROTO_ID_MAX) + 16u + 4u + 32u + 64u) /* 314 */
#define PROTO_HANDOVER_SEALED_MAX (PROTO_HANDOVER_PAYLOAD_MAX + PROTO_SEAL_BYTES)         /* 362 */

#define PROTO_MAX_SKIPPED 2000u /* skipped message keys an inbound session keeps */
#define PROTO_MAX_JUMP 25000u   /* largest forward jump of one decryption */

#define PROTO_ROTATE_MESSAGES 100u                            /* an outbound session encrypts at most this many */
#define PROTO_ROTATE_AGE_MS (7LL * 24 * 60 * 60 * 1000)       /* and lives at most this long */
#define PROTO_RECIPIENTS_MAX 1024u                            /* device ids in one recipient set */
#define PROTO_FINGERPRINT_LEN 36                              /* "ddddd ddddd ddddd ddddd ddddd ddddd" + NUL */

#define PROTO_OUTBOUND_STATE_MAX (3u + 2u * (1u + PROTO_ID_MAX) + 16u + 32u + 4u + 8u + 32u) /* 225 */
#define PROTO_INBOUND_STATE_MAX \
	(3u + 2u * (1u + PROTO_ID_MAX) + 32u + 16u + 32u + 16u + PROTO_MAX_SKIPPED * 36u) /* 72229 */

/* ---- errors: one X-macro table, 0 = success ---- */

/*      name              message */
#define PROTO_ERROR_MAP(X) \
	X(OK,              "success") \
	X(INVALID_ARG,     "an argument is NULL, out of range, or an id is malformed") \
	X(BUFFER_TOO_SMALL, "the output buffer is too small") \
	X(TOO_LARGE,       "the input exceeds a protocol maximum") \
	X(MALFORMED,       "the bytes are truncated, have trailing data, or a field is out of bounds") \
	X(VERSION,         "unknown protocol version") \
	X(BAD_SIGNATURE,   "the signature does not verify with the sender's key") \
	X(WRONG_THREAD,    "the envelope or session belongs to another thread") \
	X(WRONG_SENDER,    "the envelope or session belongs to another sender device") \
	X(WRONG_RECIPIENT, "the session key was addressed to another device") \
	X(UNKNOWN_SESSION, "no inbound session for this sender device and session id") \
	X(BEFORE_SESSION,  "the message precedes the index at which the session was shared with this device") \
	X(REPLAY,          "this message index was already decrypted") \
	X(KEY_DISCARDED,   "the key for this index was discarded (skipped-key cap) or already used") \
	X(TOO_FAR,         "the message index jumps too far ahead") \
	X(DECRYPT,         "authenticated decryption failed") \
	X(EXHAUSTED,       "the outbound session has no index left; rotate") \
	X(CRYPTO,          "a libsodium call failed")

enum proto_err {
#define PROTO_ERR_ENUM(name, msg) PROTO_E_##name,
	PROTO_ERROR_MAP(PROTO_ERR_ENUM)
#undef PROTO_ERR_ENUM
	PROTO_E__COUNT
};

/* ---- structures (caller-owned; plain data, no pointers, safe to place anywhere) ---- */

/* A device's long-term keys. Wipe with proto_device_keys_wipe() when done. */
struct proto_device_keys {
	unsigned char sign_pk[PROTO_SIGN_PK_BYTES]; /* Ed25519 */
	unsigned char sign_sk[PROTO_SIGN_SK_BYTES];
	unsigned char box_pk[PROTO_BOX_PK_BYTES]; /* X25519 */
	unsigned char box_sk[PROTO_BOX_SK_BYTES];
};

/* This device's sending session for one thread. */
struct proto_outbound {
	char thread_id[PROTO_ID_MAX + 1];
	char device_id[PROTO_ID_MAX + 1]; /* the sending device (this one) */
	unsigned char session_id[PROTO_SESSION_ID_BYTES];
	unsigned char chain_key[PROTO_CHAIN_KEY_BYTES]; /* chain key for next_index */
	uint32_t next_index;                            /* index of the next message */
	int64_t created_at_ms;                          /* caller's clock, Unix ms */
	unsigned char recipients_hash[PROTO_HASH_BYTES]; /* proto_recipients_hash of the set it was shared with */
};

/* One kept message key of an index that was skipped over. */
struct proto_skipped_key {
	uint32_t index;
	unsigned char key[PROTO_MESSAGE_KEY_BYTES];
};

/* A session received from another device: (sender device, session id) -> chain key. ~72 KB. */
struct proto_inbound {
	char thread_id[PROTO_ID_MAX + 1];
	char sender_device_id[PROTO_ID_MAX + 1];
	unsigned char sender_sign_pk[PROTO_SIGN_PK_BYTES];
	unsigned char session_id[PROTO_SESSION_ID_BYTES];
	unsigned char chain_key[PROTO_CHAIN_KEY_BYTES]; /* chain key for next_index */
	uint32_t start_index;                           /* first index this device can read */
	uint32_t next_index;                            /* lowest index never derived past */
	uint32_t discarded_below;                       /* every evicted skipped key had an index below this */
	uint32_t n_skipped;                             /* entries of skipped[], ascending by index */
	struct proto_skipped_key skipped[PROTO_MAX_SKIPPED];
};

/* A decoded envelope. ciphertext points into the buffer given to proto_envelope_decode. */
struct proto_envelope {
	unsigned version, type;
	char thread_id[PROTO_ID_MAX + 1];
	char sender_device_id[PROTO_ID_MAX + 1];
	unsigned char session_id[PROTO_SESSION_ID_BYTES];
	uint32_t index;
	unsigned char nonce[PROTO_NONCE_BYTES];
	const unsigned char *ciphertext; /* ciphertext_len bytes, the 16-byte tag last */
	size_t ciphertext_len;
	unsigned char signature[PROTO_SIG_BYTES];
	size_t header_len; /* bytes [0, header_len) of the envelope are the AEAD associated data */
	size_t signed_len; /* bytes [0, signed_len) are what the signature covers */
};

/* Reasons returned by proto_outbound_must_rotate (a bit set; 0 = keep the session). */
#define PROTO_ROTATE_COUNT 1u      /* PROTO_ROTATE_MESSAGES messages were sent */
#define PROTO_ROTATE_AGE 2u        /* older than PROTO_ROTATE_AGE_MS, or the clock went backwards */
#define PROTO_ROTATE_RECIPIENTS 4u /* the recipient device set changed */

/* ---- library ---- */

/*
 * Initialise libsodium. Call once (more calls are harmless) before anything else.
 * Returns PROTO_E_OK, or PROTO_E_CRYPTO when libsodium cannot start. Thread-safe.
 */
int proto_init(void);

/* One line describing e (a static string; "unknown error" for values outside the table). Never fails. */
const char *proto_strerror(int e);

/* ---- device identity (proto_device.c) ---- */

/*
 * Make fresh device keys into *keys (Ed25519 and X25519, independent random). The caller owns *keys and
 * wipes it with proto_device_keys_wipe. Returns PROTO_E_OK or PROTO_E_INVALID_ARG (NULL).
 */
int proto_device_keygen(struct proto_device_keys *keys);

/* Wipe *keys (sodium_memzero). NULL is allowed. Never fails. */
void proto_device_keys_wipe(struct proto_device_keys *keys);

/*
 * The device-registration signature the server checks on POST /v1/devices: Ed25519 by keys->sign_sk over
 * "postern-device-v1:" + user_id + ":" + base64url(box_pk) (no padding). Writes 64 bytes to sig.
 * Returns PROTO_E_OK, or PROTO_E_INVALID_ARG (NULL, or user_id not a valid id).
 */
int proto_device_sign_registration(const struct proto_device_keys *keys, const char *user_id,
				   unsigned char sig[PROTO_SIG_BYTES]);

/*
 * Check a device-registration signature (the same message as above) against sign_pk.
 * Returns PROTO_E_OK, PROTO_E_BAD_SIGNATURE, or PROTO_E_INVALID_ARG.
 */
int proto_device_verify_registration(const unsigned char sign_pk[PROTO_SIGN_PK_BYTES],
				     const unsigned char box_pk[PROTO_BOX_PK_BYTES], const char *user_id,
				     const unsigned char sig[PROTO_SIG_BYTES]);

/*
 * The human-comparable fingerprint of a device: six groups of five decimal digits separated by spaces,
 * from BLAKE2b-256("postern-fingerprint-v1:" || sign_pk || box_pk) (docs/protocol.md §3.3). out must hold
 * PROTO_FINGERPRINT_LEN bytes; it is NUL-terminated. Returns PROTO_E_OK, PROTO_E_INVALID_ARG or
 * PROTO_E_BUFFER_TOO_SMALL.
 */
int proto_device_fingerprint(const unsigned char sign_pk[PROTO_SIGN_PK_BYTES],
			     const unsigned char box_pk[PROTO_BOX_PK_BYTES], char *out, size_t cap);

/* ---- sessions (proto_session.c) ---- */

/*
 * Hash a set of recipient device ids into out (32 bytes), independent of order and duplicates, for the
 * rotation rule. n may be 0 (ids may then be NULL). Returns PROTO_E_OK, PROTO_E_INVALID_ARG (a NULL or
 * malformed id) or PROTO_E_TOO_LARGE (n > PROTO_RECIPIENTS_MAX).
 */
int proto_recipients_hash(const char *const *device_ids, size_t n, unsigned char out[PROTO_HASH_BYTES]);

/*
 * Start a new outbound session for (device_id, thread_id): random chain key and session id, index 0,
 * created now_ms, to be shared with the device set whose hash is recipients_hash. *s is overwritten.
 * Returns PROTO_E_OK or PROTO_E_INVALID_ARG. Wipe *s with proto_outbound_wipe when dropping it.
 */
int proto_outbound_new(struct proto_outbound *s, const char *thread_id, const char *device_id,
		       const unsigned char recipients_hash[PROTO_HASH_BYTES], int64_t now_ms);

/* Wipe *s. NULL is allowed. Never fails. */
void proto_outbound_wipe(struct proto_outbound *s);

/*
 * Say whether s must be replaced by a new session before the next message: *reasons gets a set of
 * PROTO_ROTATE_* bits (0 = keep). current_hash is proto_recipients_hash of the thread's devices now.
 * An exhausted session (next_index past PROTO_INDEX_MAX) reports PROTO_ROTATE_COUNT.
 * Returns PROTO_E_OK or PROTO_E_INVALID_ARG.
 */
int proto_outbound_must_rotate(const struct proto_outbound *s, int64_t now_ms,
			       const unsigned char current_hash[PROTO_HASH_BYTES], unsigned *reasons);

/*
 * Make the inbound twin of this device's own outbound session (so the sender can read its own messages
 * back), starting at s->next_index. *in is overwritten. Returns PROTO_E_OK or PROTO_E_INVALID_ARG.
 */
int proto_inbound_from_outbound(struct proto_inbound *in, const struct proto_outbound *s,
				const unsigned char sender_sign_pk[PROTO_SIGN_PK_BYTES]);

/* Wipe *in. NULL is allowed. Never fails. */
void proto_inbound_wipe(struct proto_inbound *in);

/* ---- envelope (proto_envelope.c) ---- */

/*
 * Encrypt plaintext[0..len) as the next message of s and sign the envelope with sign_sk (the sending
 * device's key). Writes the envelope to out (capacity cap; PROTO_ENVELOPE_OVERHEAD(thread, device) + len
 * bytes are needed) and its length to *out_len. On success s advances: its chain key moves to the next
 * index and the used keys are wiped. The nonce is random. The caller base64url-encodes out for `body`.
 * Errors: PROTO_E_INVALID_ARG, PROTO_E_TOO_LARGE (len > PROTO_PLAINTEXT_MAX), PROTO_E_BUFFER_TOO_SMALL,
 * PROTO_E_EXHAUSTED; s is unchanged on error.
 */
int proto_encrypt(struct proto_outbound *s, const unsigned char sign_sk[PROTO_SIGN_SK_BYTES],
		  const unsigned char *plaintext, size_t len, unsigned char *out, size_t cap, size_t *out_len);

/*
 * Parse env[0..len) into *e without any key: strict bounds (every length checked before use, no trailing
 * bytes, len <= PROTO_ENVELOPE_MAX). Use it to find the session to decrypt with. Nothing is verified.
 * e->ciphertext points into env. Errors: PROTO_E_INVALID_ARG, PROTO_E_TOO_LARGE, PROTO_E_MALFORMED,
 * PROTO_E_VERSION.
 */
int proto_envelope_decode(const unsigned char *env, size_t len, struct proto_envelope *e);

/*
 * Verify and decrypt env[0..len), a message the server delivered in thread_id from sender_device_id.
 * sessions[0..n) are the caller's candidate inbound sessions (n may be 0); the one matching the envelope's
 * sender device and session id is used, its index is stored in *which (optional), and on success it
 * advances (skipped keys kept, used keys erased) — the caller then persists it. Plaintext goes to out
 * (capacity cap, ciphertext_len - 16 bytes needed), its length to *out_len.
 * Errors, with no session changed: PROTO_E_INVALID_ARG, PROTO_E_TOO_LARGE, PROTO_E_MALFORMED,
 * PROTO_E_VERSION, PROTO_E_WRONG_THREAD, PROTO_E_WRONG_SENDER, PROTO_E_UNKNOWN_SESSION,
 * PROTO_E_BAD_SIGNATURE, PROTO_E_BEFORE_SESSION, PROTO_E_REPLAY, PROTO_E_KEY_DISCARDED, PROTO_E_TOO_FAR,
 * PROTO_E_BUFFER_TOO_SMALL, PROTO_E_DECRYPT.
 */
int proto_decrypt(struct proto_inbound *sessions, size_t n, const char *thread_id, const char *sender_device_id,
		  const unsigned char *env, size_t len, unsigned char *out, size_t cap, size_t *out_len,
		  size_t *which);

/* ---- session hand-over (proto_handover.c) ---- */

/*
 * Share s at its current index with one recipient device: build the signed session-key payload (signed
 * by sign_sk, addressed to recipient_device_id) and seal it to recipient_box_pk with crypto_box_seal.
 * Writes at most PROTO_HANDOVER_SEALED_MAX bytes to out and the length to *out_len; the caller
 * base64url-encodes it for a to-device `body`. Errors: PROTO_E_INVALID_ARG, PROTO_E_BUFFER_TOO_SMALL,
 * PROTO_E_EXHAUSTED, PROTO_E_CRYPTO. The payload is wiped before returning.
 */
int proto_handover_seal(const struct proto_outbound *s, const unsigned char sign_sk[PROTO_SIGN_SK_BYTES],
			const char *recipient_device_id, const unsigned char recipient_box_pk[PROTO_BOX_PK_BYTES],
			unsigned char *out, size_t cap, size_t *out_len);

/*
 * Open a sealed hand-over received by this device (me, my_device_id) from expected_sender_device_id,
 * whose registered signing key is expected_sender_sign_pk: unseal, parse, verify the inner signature,
 * check the sender, the recipient and (when expected_thread_id is not NULL) the thread. On success *in is a
 * fresh inbound session starting at the shared index; when expected_thread_id is NULL the caller must
 * check that the sender belongs to in->thread_id. Errors: PROTO_E_INVALID_ARG, PROTO_E_TOO_LARGE,
 * PROTO_E_DECRYPT (not sealed to me), PROTO_E_MALFORMED, PROTO_E_VERSION, PROTO_E_BAD_SIGNATURE,
 * PROTO_E_WRONG_SENDER, PROTO_E_WRONG_RECIPIENT, PROTO_E_WRONG_THREAD; *in is untouched on error.
 */
int proto_handover_open(const unsigned char *sealed, size_t len, const struct proto_device_keys *me,
			const char *my_device_id, const char *expected_sender_device_id,
			const unsigned char expected_sender_sign_pk[PROTO_SIGN_PK_BYTES],
			const char *expected_thread_id, struct proto_inbound *in);

/* ---- stored state (proto_state.c). The bytes hold secrets: the key store must seal them at rest. ---- */

/*
 * Serialise s into out (capacity cap, at most PROTO_OUTBOUND_STATE_MAX) and the length into *out_len.
 * Errors: PROTO_E_INVALID_ARG, PROTO_E_BUFFER_TOO_SMALL.
 */
int proto_outbound_save(const struct proto_outbound *s, unsigned char *out, size_t cap, size_t *out_len);

/*
 * Load *s from in[0..len) written by proto_outbound_save. Strict: exact length, valid ids, known version.
 * Errors: PROTO_E_INVALID_ARG, PROTO_E_TOO_LARGE, PROTO_E_MALFORMED, PROTO_E_VERSION; *s untouched then.
 */
int proto_outbound_load(struct proto_outbound *s, const unsigned char *in, size_t len);

/*
 * Serialise in into out (capacity cap; 101 + both id lengths + 36 per skipped key, at most
 * PROTO_INBOUND_STATE_MAX) and the length into *out_len. Errors: PROTO_E_INVALID_ARG (also for an
 * inconsistent session), PROTO_E_BUFFER_TOO_SMALL.
 */
int proto_inbound_save(const struct proto_inbound *in, unsigned char *out, size_t cap, size_t *out_len);

/*
 * Load *in from bytes written by proto_inbound_save. Strict: exact length, valid ids, at most
 * PROTO_MAX_SKIPPED keys with strictly ascending indices in [start_index, next_index), start <= next.
 * Errors: PROTO_E_INVALID_ARG, PROTO_E_TOO_LARGE, PROTO_E_MALFORMED, PROTO_E_VERSION; *in untouched then.
 */
int proto_inbound_load(struct proto_inbound *in, const unsigned char *bytes, size_t len);

#endif
