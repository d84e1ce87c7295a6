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
#define PROTO_VERSION 0x02u /* the only version this code speaks (version 1 is refused: PROTO_E_VERSION) */

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
#define PROTO_HEAD_BYTES 32 /* a membership chain head: BLAKE2b-256 of the newest link (§15) */

#define PROTO_INDEX_MAX 0xFFFFFFFEu /* highest message index; 0xFFFFFFFF is never valid */
#define PROTO_PLAINTEXT_MAX 65024u  /* largest plaintext of one envelope */
/* Envelope bytes around the plaintext for thread and device ids of tlen and dlen bytes. */
#define PROTO_ENVELOPE_OVERHEAD(tlen, dlen) \
	(3u + 1u + (size_t)(tlen) + 1u + (size_t)(dlen) + 32u + 16u + 4u + 24u + 4u + 16u + 64u)
#define PROTO_ENVELOPE_MAX (PROTO_PLAINTEXT_MAX + PROTO_ENVELOPE_OVERHEAD(PROTO_ID_MAX, PROTO_ID_MAX)) /* 65317 */
/* Signed session-key payload and its sealed form (largest ids): docs/protocol.md §6 and §17. */
#define PROTO_HANDOVER_PAYLOAD_MAX (3u + 3u * (1u + PROTO_ID_MAX) + 32u + 16u + 4u + 32u + 64u) /* 346 */
#define PROTO_HANDOVER_HEADER_MAX (3u + 1u + PROTO_ID_MAX + 4u + 4u + 32u + 24u)               /* 132 */
#define PROTO_HANDOVER_SEALED_MAX (PROTO_HANDOVER_HEADER_MAX + PROTO_HANDOVER_PAYLOAD_MAX + 16u) /* 494 */
#define PROTO_PREKEY_BYTES 32 /* an X25519 prekey (public or secret) */

#define PROTO_MAX_SKIPPED 2000u /* skipped message keys an inbound session keeps */
#define PROTO_MAX_JUMP 25000u   /* largest forward jump of one decryption */

#define PROTO_ROTATE_MESSAGES 100u                            /* an outbound session encrypts at most this many */
#define PROTO_ROTATE_AGE_MS (7LL * 24 * 60 * 60 * 1000)       /* and lives at most this long */
#define PROTO_RECIPIENTS_MAX 1024u                            /* device ids in one recipient set */
#define PROTO_FINGERPRINT_LEN 36                              /* "ddddd ddddd ddddd ddddd ddddd ddddd" + NUL */

#define PROTO_OUTBOUND_STATE_MAX (3u + 2u * (1u + PROTO_ID_MAX) + 16u + 32u + 4u + 8u + 32u + 32u) /* 257 */
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
	X(CRYPTO,          "a libsodium call failed") \
	X(CHAIN,           "the membership link does not extend the chain or breaks its rules") \
	X(WRONG_KEY,       "the recovery key or code does not match")

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
	unsigned char head[PROTO_HEAD_BYTES];           /* the membership chain head it is bound to (the caller
							 * sets it; proto_outbound_new zeroes it) */
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
	unsigned char head[PROTO_HEAD_BYTES]; /* the membership chain head the sender had verified */
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
 * sender device and session id is used, its index is stored in *which (optional), the decoded header
 * (head, session id, index: for order and membership checks) in *info (optional; ciphertext NULL), and on success it
 * advances (skipped keys kept, used keys erased) — the caller then persists it. Plaintext goes to out
 * (capacity cap, ciphertext_len - 16 bytes needed), its length to *out_len.
 * Errors, with no session changed: PROTO_E_INVALID_ARG, PROTO_E_TOO_LARGE, PROTO_E_MALFORMED,
 * PROTO_E_VERSION, PROTO_E_WRONG_THREAD, PROTO_E_WRONG_SENDER, PROTO_E_UNKNOWN_SESSION,
 * PROTO_E_BAD_SIGNATURE, PROTO_E_BEFORE_SESSION, PROTO_E_REPLAY, PROTO_E_KEY_DISCARDED, PROTO_E_TOO_FAR,
 * PROTO_E_BUFFER_TOO_SMALL, PROTO_E_DECRYPT.
 */
int proto_decrypt(struct proto_inbound *sessions, size_t n, const char *thread_id, const char *sender_device_id,
		  const unsigned char *env, size_t len, unsigned char *out, size_t cap, size_t *out_len,
		  size_t *which, struct proto_envelope *info);

/* ---- session hand-over (proto_handover.c) ---- */

/*
 * Share s at its current index with one recipient device (docs/protocol.md §17): build the signed
 * session-key payload (signed by sign_sk, addressed to recipient_device_id, bound to s->head) and encrypt it
 * under a key from a fresh ephemeral X25519 key and the recipient's box key, its signed prekey (spk_id, spk:
 * required) and one-time prekey (opk_id, opk; 0 and NULL when the recipient had none left). The caller has
 * verified both prekeys' signatures (PROTO_ST_PREKEY by the recipient device). Writes at most
 * PROTO_HANDOVER_SEALED_MAX bytes to out. Errors: PROTO_E_INVALID_ARG, PROTO_E_BUFFER_TOO_SMALL,
 * PROTO_E_EXHAUSTED, PROTO_E_CRYPTO (a low-order key). Secrets are wiped before returning.
 */
int proto_handover_seal(const struct proto_outbound *s, const unsigned char sign_sk[PROTO_SIGN_SK_BYTES],
			const char *recipient_device_id, const unsigned char recipient_box_pk[PROTO_BOX_PK_BYTES],
			uint32_t spk_id, const unsigned char spk[PROTO_PREKEY_BYTES], uint32_t opk_id,
			const unsigned char *opk, unsigned char *out, size_t cap, size_t *out_len);

/*
 * Read a received container's header without any key: the device it is addressed to and the ids of the
 * prekeys it used (opk_id 0: none), so the receiver can find their secret halves. Errors: PROTO_E_INVALID_ARG,
 * PROTO_E_TOO_LARGE, PROTO_E_MALFORMED, PROTO_E_VERSION.
 */
int proto_handover_peek(const unsigned char *sealed, size_t len, char recipient[PROTO_ID_MAX + 1], uint32_t *spk_id,
			uint32_t *opk_id);

/*
 * Open a hand-over received by this device (me, my_device_id) with the secret halves of the prekeys it
 * names (opk_sk NULL exactly when its opk_id is 0), from expected_sender_device_id whose certified signing
 * key is expected_sender_sign_pk: decrypt, parse, verify the inner signature, check the sender, the
 * recipient and (when expected_thread_id is not NULL) the thread. On success *in is a fresh inbound session
 * starting at the shared index and head_out (optional) the membership head the sender bound; when
 * expected_thread_id is NULL the caller must check that the sender belongs to in->thread_id. The caller
 * then erases the one-time prekey. Errors: PROTO_E_INVALID_ARG, PROTO_E_TOO_LARGE, PROTO_E_DECRYPT (not for
 * me, or altered), PROTO_E_MALFORMED, PROTO_E_VERSION, PROTO_E_BAD_SIGNATURE, PROTO_E_WRONG_SENDER,
 * PROTO_E_WRONG_RECIPIENT, PROTO_E_WRONG_THREAD; *in is untouched on error.
 */
int proto_handover_open(const unsigned char *sealed, size_t len, const struct proto_device_keys *me,
			const unsigned char spk_sk[PROTO_PREKEY_BYTES], const unsigned char *opk_sk,
			const char *my_device_id, const char *expected_sender_device_id,
			const unsigned char expected_sender_sign_pk[PROTO_SIGN_PK_BYTES],
			const char *expected_thread_id, struct proto_inbound *in, unsigned char head_out[PROTO_HEAD_BYTES]);

/* A fresh X25519 prekey pair (crypto_box_keypair). The caller wipes sk. */
int proto_prekey_new(unsigned char pk[PROTO_PREKEY_BYTES], unsigned char sk[PROTO_PREKEY_BYTES]);

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

/* ==== version 2: identities, signed statements, membership chains, prekeys (docs/protocol.md §12-§18) ==== */

#define PROTO_ID_KEY_BYTES 32       /* an account's identity key (Ed25519 public) */
#define PROTO_LINK_NONCE_BYTES 16
#define PROTO_IDS_MAX 1025          /* user ids in one membership link, thread ids in one app authorisation */
#define PROTO_STATEMENT_MAX (3u + 6u * (1u + PROTO_ID_MAX) + 3u * 32u + 16u + 8u + 8u + 8u + 2u + \
			     PROTO_IDS_MAX * (1u + PROTO_ID_MAX) + 64u) /* 67220: any signed statement */
#define PROTO_SAFETY_LEN 72         /* 12 groups of 5 digits, spaces between, NUL */
#define PROTO_CODE_LEN 15           /* approval code "XXXX-XXXX-XXXX" + NUL (60 bits) */
#define PROTO_RECOVERY_BYTES 20     /* the secret of a recovery key (160 bits) */
#define PROTO_RECOVERY_LEN 45       /* 9 groups of 4 base32 characters (the last a check), dashes, NUL */
#define PROTO_BACKUP_MAX 256        /* an identity backup (type 0x25) */
#define PROTO_IDENTITY_BOX_MAX (3u + 1u + PROTO_ID_MAX + 32u + PROTO_SEAL_BYTES) /* 148 */
#define PROTO_BACKUP_OPS_MAX 16u            /* argon2id limits a client accepts from a backup */
#define PROTO_BACKUP_MEM_MAX (1024u << 20)

/* Statement types (byte 2), each signed by the key the table of docs/protocol.md §13 names. */
enum proto_statement_type {
	PROTO_ST_IDENTITY = 0x20,      /* an account's identity key, self-signed */
	PROTO_ST_DEVICE_CERT = 0x21,   /* identity signs a device's keys */
	PROTO_ST_DEVICE_REVOKE = 0x22, /* identity removes a device, for good */
	PROTO_ST_PREKEY = 0x23,        /* a device signs one of its X25519 prekeys */
	PROTO_ST_CONTACT = 0x24,       /* identity records another account's identity key: seen or verified */
	PROTO_ST_LINK = 0x30,          /* a device of a member changes a thread's membership */
	PROTO_ST_APP_AUTH = 0x40,      /* identity lets a partner app's device read and write */
	PROTO_ST_APP_REVOKE = 0x41,    /* identity ends that */
	PROTO_ST_APP_CONSENT = 0x42,   /* identity of a friend in an app thread accepts (or declines) the app */
};

/* Membership link operations and thread kinds (PROTO_ST_LINK). */
enum { PROTO_LINK_CREATE = 1, PROTO_LINK_ADD = 2, PROTO_LINK_REMOVE = 3 };
enum { PROTO_THREAD_DIRECT = 1, PROTO_THREAD_GROUP = 2 };
/* Contact statement levels (PROTO_ST_CONTACT). */
enum { PROTO_CONTACT_SEEN = 1, PROTO_CONTACT_VERIFIED = 2, PROTO_CONTACT_UNVERIFIED = 3 };
/* Prekey kinds (PROTO_ST_PREKEY). */
enum { PROTO_PREKEY_ONE_TIME = 1, PROTO_PREKEY_SIGNED = 2 };

/*
 * A signed statement, decoded. Which fields a type uses is the layout table of docs/protocol.md §13 (and
 * of proto_statement.c); the others are zero. Plain data, ~68 KB because of ids[]: allocate it on the heap.
 */
struct proto_statement {
	unsigned type;                          /* enum proto_statement_type */
	char user_id[PROTO_ID_MAX + 1];         /* IDENTITY: the account; CONTACT: the other account */
	char username[PROTO_ID_MAX + 1];        /* IDENTITY */
	char device_id[PROTO_ID_MAX + 1];       /* DEVICE_CERT, DEVICE_REVOKE, PREKEY, APP_AUTH, APP_REVOKE */
	char thread_id[PROTO_ID_MAX + 1];       /* APP_CONSENT */
	char client_id[PROTO_ID_MAX + 1];       /* APP_AUTH, APP_REVOKE, APP_CONSENT */
	char grant_id[PROTO_ID_MAX + 1];        /* APP_AUTH, APP_REVOKE */
	char actor_user_id[PROTO_ID_MAX + 1];   /* LINK: who makes the change */
	char actor_device_id[PROTO_ID_MAX + 1]; /* LINK: the device that signs it */
	unsigned char key[32];  /* IDENTITY: id_pk; DEVICE_CERT, DEVICE_REVOKE, APP_AUTH: sign_pk; PREKEY: the
				 * X25519 key; CONTACT: the other account's id_pk */
	unsigned char key2[32]; /* DEVICE_CERT, APP_AUTH: box_pk */
	unsigned char prev[PROTO_HEAD_BYTES];           /* LINK: hash of the link before (zeros for CREATE) */
	unsigned char nonce[PROTO_LINK_NONCE_BYTES];    /* LINK: random (makes every thread id unique) */
	unsigned op;            /* LINK: PROTO_LINK_*; CONTACT: PROTO_CONTACT_*; PREKEY: PROTO_PREKEY_*;
				 * APP_CONSENT: 1 accept, 0 decline */
	unsigned kind;          /* LINK: PROTO_THREAD_* */
	uint32_t key_id;        /* PREKEY */
	uint64_t at_ms;         /* every type: when it was made (the signer's clock, Unix ms) */
	uint64_t expires_ms;    /* APP_AUTH */
	size_t n_ids;           /* LINK: members (CREATE: all, the actor too; ADD/REMOVE: exactly one);
				 * APP_AUTH: the threads it covers besides the app's own (0..PROTO_IDS_MAX) */
	char ids[PROTO_IDS_MAX][PROTO_ID_MAX + 1];
	size_t signed_len;      /* parse: bytes [0, signed_len) are what the signature covers */
	unsigned char sig[PROTO_SIG_BYTES];
};

/*
 * Encode st (its type's fields) and sign it with the 64-byte Ed25519 secret key sk (the identity's or the
 * device's, per type). Writes at most PROTO_STATEMENT_MAX bytes to out and the length to *out_len.
 * st->signed_len and st->sig are not read. Errors: PROTO_E_INVALID_ARG (unknown type, a bad id, counts out
 * of range), PROTO_E_BUFFER_TOO_SMALL.
 */
int proto_statement_sign(const struct proto_statement *st, const unsigned char sk[PROTO_SIGN_SK_BYTES],
			 unsigned char *out, size_t cap, size_t *out_len);

/*
 * Decode in[0..len) into *st without checking the signature (strict: exact length, valid ids, known
 * type, counts in range, no trailing bytes). want_type 0 accepts any type, else only that one.
 * Errors: PROTO_E_INVALID_ARG, PROTO_E_TOO_LARGE, PROTO_E_MALFORMED, PROTO_E_VERSION.
 */
int proto_statement_parse(const unsigned char *in, size_t len, unsigned want_type, struct proto_statement *st);

/* proto_statement_parse, then the signature with pk. Adds PROTO_E_BAD_SIGNATURE. */
int proto_statement_verify(const unsigned char *in, size_t len, unsigned want_type,
			   const unsigned char pk[PROTO_SIGN_PK_BYTES], struct proto_statement *st);

/* BLAKE2b-256 of in[0..len) (a link's hash, the next link's prev). Returns PROTO_E_OK or _INVALID_ARG. */
int proto_statement_hash(const unsigned char *in, size_t len, unsigned char out[PROTO_HEAD_BYTES]);

/* The thread id a CREATE link makes: "t_" + base64url(first 16 bytes of its hash). out: PROTO_ID_MAX + 1. */
int proto_link_thread_id(const unsigned char create_hash[PROTO_HEAD_BYTES], char *out, size_t cap);

/*
 * A thread's membership as a verified chain computes it. Start with proto_chain_init, then apply the
 * links in order with proto_chain_apply after checking each link's signature with the actor device's key
 * (and that the device is the actor's: a certified device of actor_user_id, docs/protocol.md §15).
 */
struct proto_chain {
	char thread_id[PROTO_ID_MAX + 1];   /* from the CREATE link */
	unsigned kind;                      /* PROTO_THREAD_* */
	char creator[PROTO_ID_MAX + 1];
	unsigned char head[PROTO_HEAD_BYTES]; /* hash of the last link applied; zeros before the first */
	uint32_t length;                    /* links applied */
	size_t n_members;
	char members[PROTO_IDS_MAX][PROTO_ID_MAX + 1]; /* in the order they joined */
	size_t n_ever;                      /* direct threads: the two people of CREATE, who may rejoin */
	char ever[2][PROTO_ID_MAX + 1];
};

void proto_chain_init(struct proto_chain *c);

/*
 * Apply one parsed link (link_hash = proto_statement_hash of its bytes): its prev must be c->head, and its
 * operation must follow the rules (CREATE first, once: the actor among 2..PROTO_IDS_MAX distinct members,
 * exactly 2 for a direct thread; ADD: group threads by any member, of someone not a member — and in a
 * direct thread only one of its two people adding themself back; REMOVE: a member removed by themself, or
 * by the creator). On success c moves on; on error c is unchanged. Errors: PROTO_E_INVALID_ARG,
 * PROTO_E_CHAIN.
 */
int proto_chain_apply(struct proto_chain *c, const struct proto_statement *link, const unsigned char link_hash[PROTO_HEAD_BYTES]);

/* 1 when user_id is a member of c now, else 0. */
int proto_chain_is_member(const struct proto_chain *c, const char *user_id);

/*
 * The safety number of two accounts: 60 decimal digits, 12 groups of 5 separated by spaces, the same
 * whichever side computes it (each side's 30 digits come from 5,200 iterations of SHA-512 over its
 * identity key and user id; the smaller half first). out must hold PROTO_SAFETY_LEN bytes.
 */
int proto_safety_number(const char *user_a, const unsigned char id_pk_a[PROTO_ID_KEY_BYTES], const char *user_b,
			const unsigned char id_pk_b[PROTO_ID_KEY_BYTES], char *out, size_t cap);

/*
 * The approval code a new device shows: 60 bits of BLAKE2b("postern-approval-v2:" || id(user) ||
 * id(device) || sign_pk || box_pk) as 12 Crockford base32 characters, "XXXX-XXXX-XXXX". It commits to the
 * new device's keys, so a server cannot offer another device under the same code. out: PROTO_CODE_LEN.
 */
int proto_approval_code(const char *user_id, const char *device_id, const unsigned char sign_pk[PROTO_SIGN_PK_BYTES],
			const unsigned char box_pk[PROTO_BOX_PK_BYTES], char *out, size_t cap);

/*
 * A code as a person typed it into canonical form (upper case, Crockford's O->0, I/L->1, dashes and
 * spaces dropped, then regrouped). Returns PROTO_E_OK or PROTO_E_MALFORMED (not 12 such characters).
 */
int proto_code_normalize(const char *typed, char *out, size_t cap);

/* ---- identity keys, recovery keys and backups ---- */

/* A fresh identity: a random 32-byte seed and its Ed25519 key pair. Wipe with sodium_memzero. */
struct proto_identity {
	unsigned char seed[PROTO_SEED_BYTES];
	unsigned char pk[PROTO_ID_KEY_BYTES];
	unsigned char sk[PROTO_SIGN_SK_BYTES];
};
int proto_identity_keygen(struct proto_identity *id);
int proto_identity_from_seed(struct proto_identity *id, const unsigned char seed[PROTO_SEED_BYTES]);

/* A new random recovery secret, and its text form "XXXX-XXXX-…-XXXX" (32 data characters and a 4-character
 * check). out: PROTO_RECOVERY_LEN. */
int proto_recovery_new(unsigned char secret[PROTO_RECOVERY_BYTES]);
int proto_recovery_format(const unsigned char secret[PROTO_RECOVERY_BYTES], char *out, size_t cap);
/* Parse a typed recovery key (case, dashes and spaces forgiven). PROTO_E_MALFORMED when it is not one
 * (wrong length, a character outside the alphabet, or the check does not match: a typo). */
int proto_recovery_parse(const char *typed, unsigned char secret[PROTO_RECOVERY_BYTES]);

/*
 * The identity backup (type 0x25): the identity seed sealed with XChaCha20-Poly1305 under
 * argon2id(recovery secret, random salt, ops, mem), bound to user_id and id_pk. The server stores it and
 * cannot open it. out: PROTO_BACKUP_MAX. Errors: PROTO_E_INVALID_ARG, PROTO_E_BUFFER_TOO_SMALL, PROTO_E_CRYPTO.
 */
int proto_backup_seal(const struct proto_identity *id, const char *user_id, const unsigned char secret[PROTO_RECOVERY_BYTES],
		      uint64_t ops, uint64_t mem, unsigned char *out, size_t cap, size_t *out_len);
/* Decode a backup without opening it: its user id and identity key (for the server's checks). */
int proto_backup_peek(const unsigned char *in, size_t len, char user_id[PROTO_ID_MAX + 1], unsigned char id_pk[PROTO_ID_KEY_BYTES]);
/*
 * Open a backup with a recovery secret into *id (checking that the seed gives the id_pk it names, and
 * that it names user_id). Errors: PROTO_E_MALFORMED, PROTO_E_VERSION, PROTO_E_TOO_LARGE (argon2 limits
 * over PROTO_BACKUP_*_MAX), PROTO_E_WRONG_KEY (the secret does not open it), PROTO_E_CRYPTO.
 */
int proto_backup_open(const unsigned char *in, size_t len, const char *user_id, const unsigned char secret[PROTO_RECOVERY_BYTES],
		      struct proto_identity *id);

/*
 * The identity seed for a newly approved device of the same account (type 0x26), sealed to its box key
 * with crypto_box_seal and naming the device. The receiver checks that the seed gives its account's
 * published identity key. out: PROTO_IDENTITY_BOX_MAX.
 */
int proto_identity_box_seal(const struct proto_identity *id, const char *device_id, const unsigned char box_pk[PROTO_BOX_PK_BYTES],
			    unsigned char *out, size_t cap, size_t *out_len);
int proto_identity_box_open(const unsigned char *in, size_t len, const struct proto_device_keys *me, const char *my_device_id,
			    struct proto_identity *id);

/* ==== the transparency log (docs/transparency.md): RFC 9162 Merkle trees and C2SP signed notes ==== */

#define PROTO_MERKLE_HASH_BYTES 32 /* SHA-256 */
#define PROTO_MERKLE_PROOF_MAX 64  /* hashes in any inclusion or consistency proof of a tree under 2^63 leaves */
#define PROTO_LOG_LEAF_MAX 128     /* a log entry (docs/transparency.md §2) */
#define PROTO_NOTE_MAX 8192        /* a signed note: checkpoint text plus up to 32 signature lines */
#define PROTO_NOTE_NAME_MAX 128    /* a key name in a note */

/* Leaf hash (RFC 9162 §2.1.1): SHA-256(0x00 || leaf). Errors: PROTO_E_INVALID_ARG, PROTO_E_TOO_LARGE (len over
 * PROTO_LOG_LEAF_MAX). */
int proto_merkle_leaf_hash(const unsigned char *leaf, size_t len, unsigned char out[PROTO_MERKLE_HASH_BYTES]);
/* Interior node hash: SHA-256(0x01 || left || right). out may be left or right. */
void proto_merkle_node_hash(const unsigned char left[PROTO_MERKLE_HASH_BYTES], const unsigned char right[PROTO_MERKLE_HASH_BYTES],
			    unsigned char out[PROTO_MERKLE_HASH_BYTES]);

/*
 * A source of subtree hashes for building roots and proofs without holding the tree: fn(arg, start, end,
 * out) writes MTH(D[start:end]) for an aligned power-of-two range (end - start = 2^k, start a multiple of it)
 * — what a log stores as it appends — and returns 0, or -1 when it cannot (storage error). It is asked only
 * for ranges inside the tree of the call, at most 64 of them per hash of the result.
 *
 * Tree sizes are below 2^63 (PROTO_E_INVALID_ARG otherwise). The proof and root functions leave their
 * outputs unchanged on error.
 */
typedef int (*proto_merkle_subtree_fn)(void *arg, uint64_t start, uint64_t end, unsigned char out[PROTO_MERKLE_HASH_BYTES]);

/* MTH of the first size leaves (RFC 9162 §2.1.1; the empty tree hashes to SHA-256 of nothing). Errors:
 * PROTO_E_INVALID_ARG, PROTO_E_CRYPTO (fn failed). */
int proto_merkle_root(uint64_t size, proto_merkle_subtree_fn fn, void *arg, unsigned char out[PROTO_MERKLE_HASH_BYTES]);

/* The inclusion proof of leaf index in the tree of size leaves (RFC 9162 §2.1.3.1), in the RFC's order: the
 * leaf's sibling first, the root's child last. *n hashes into proof (at most PROTO_MERKLE_PROOF_MAX; 0 for a
 * tree of one leaf). Errors: PROTO_E_INVALID_ARG (index >= size), PROTO_E_CRYPTO. */
int proto_merkle_inclusion_proof(uint64_t index, uint64_t size, proto_merkle_subtree_fn fn, void *arg,
				 unsigned char proof[][PROTO_MERKLE_HASH_BYTES], size_t *n);
/* The consistency proof from size first to size second (RFC 9162 §2.1.4.1); empty when first == second or
 * first == 0. Errors: PROTO_E_INVALID_ARG (first > second), PROTO_E_CRYPTO. */
int proto_merkle_consistency_proof(uint64_t first, uint64_t second, proto_merkle_subtree_fn fn, void *arg,
				   unsigned char proof[][PROTO_MERKLE_HASH_BYTES], size_t *n);

/* Verify an inclusion proof (RFC 9162 §2.1.3.2). PROTO_E_OK, or PROTO_E_BAD_SIGNATURE when it does not prove
 * the leaf hash at index in the tree of that size and root (PROTO_E_INVALID_ARG for impossible arguments:
 * index >= size, NULL). */
int proto_merkle_verify_inclusion(uint64_t index, uint64_t size, const unsigned char leaf_hash[PROTO_MERKLE_HASH_BYTES],
				  const unsigned char proof[][PROTO_MERKLE_HASH_BYTES], size_t n,
				  const unsigned char root[PROTO_MERKLE_HASH_BYTES]);
/*
 * Verify a consistency proof between (first, first_root) and (second, second_root) (RFC 9162 §2.1.4.2, which
 * defines it for 0 < first < second). Outside that range only an empty proof passes: for first == second when
 * the roots are equal, for first == 0 when first_root is the empty tree's hash. PROTO_E_OK,
 * PROTO_E_BAD_SIGNATURE, or PROTO_E_INVALID_ARG (first > second, NULL).
 */
int proto_merkle_verify_consistency(uint64_t first, uint64_t second, const unsigned char first_root[PROTO_MERKLE_HASH_BYTES],
				    const unsigned char second_root[PROTO_MERKLE_HASH_BYTES],
				    const unsigned char proof[][PROTO_MERKLE_HASH_BYTES], size_t n);

/*
 * The compact range of a log as a client scans it: the hashes of the maximal aligned subtrees covering
 * [0, size) (at most 64), enough to append leaves and get the root without the rest of the tree.
 * Plain data: it may be stored and loaded as it is; n must equal the number of 1 bits of size
 * (PROTO_E_INVALID_ARG otherwise). _append takes a leaf hash (proto_merkle_leaf_hash), PROTO_E_TOO_LARGE at
 * 2^63 - 1 leaves; _root is MTH of the size leaves appended.
 */
struct proto_merkle_frontier {
	uint64_t size;
	size_t n;
	unsigned char hash[64][PROTO_MERKLE_HASH_BYTES]; /* left to right, largest subtree first */
};
void proto_merkle_frontier_init(struct proto_merkle_frontier *f);
int proto_merkle_frontier_append(struct proto_merkle_frontier *f, const unsigned char leaf_hash[PROTO_MERKLE_HASH_BYTES]);
int proto_merkle_frontier_root(const struct proto_merkle_frontier *f, unsigned char out[PROTO_MERKLE_HASH_BYTES]);

/* ---- C2SP checkpoints and signed notes (https://c2sp.org/tlog-checkpoint, signed-note, tlog-cosignature) ---- */

/*
 * Note text, as signed-note requires, is valid UTF-8 without control characters but newline; base64 is the
 * standard padded alphabet (RFC 4648 §4), and only its canonical form is accepted. Output text is
 * NUL-terminated; on PROTO_E_BUFFER_TOO_SMALL the output buffer is wiped.
 */

/* A checkpoint body: "<origin>\n<size>\n<base64 root>\n" plus extension lines (each non-empty, ending in "\n"). */
struct proto_checkpoint {
	char origin[PROTO_NOTE_NAME_MAX + 1];
	uint64_t size;
	unsigned char root[PROTO_MERKLE_HASH_BYTES];
	char extension[256]; /* the extension lines as they are ("" when none) */
};

/* Format a checkpoint body into out (NUL-terminated). Errors: PROTO_E_INVALID_ARG, PROTO_E_BUFFER_TOO_SMALL. */
int proto_checkpoint_format(const struct proto_checkpoint *cp, char *out, size_t cap);
/* Parse a checkpoint body (strict: non-empty origin, decimal size without leading zeros, standard base64 of 32
 * bytes, non-empty extension lines, final newline). The body of a note is note[0..body_len) of
 * proto_note_open. Errors: PROTO_E_MALFORMED, PROTO_E_TOO_LARGE (origin over PROTO_NOTE_NAME_MAX, extension
 * over 255 bytes, len over PROTO_NOTE_MAX), PROTO_E_INVALID_ARG. */
int proto_checkpoint_parse(const char *body, size_t len, struct proto_checkpoint *cp);

/*
 * An Ed25519 note key (C2SP signed-note): its name, key id and public key. The key id is the first 4 bytes
 * (big-endian) of SHA-256(name || "\n" || type || pk), type being 0x01 for a note signer (signed-note) and
 * 0x04 for a cosigner (tlog-cosignature, Ed25519 cosignature/v1). The text form of a verifier key is
 * "<name>+<8 lowercase hex digits of key id>+<base64(type || pk)>"; of a signer key,
 * "PRIVATE+KEY+<name>+<hex key id>+<base64(type || seed)>" (the form of golang.org/x/mod/sumdb/note). A
 * name is 1..PROTO_NOTE_NAME_MAX bytes without Unicode spaces or '+'. Parsing checks the key id against the
 * key. Wipe a signer with sodium_memzero when done. Errors: PROTO_E_INVALID_ARG (a bad name or key
 * structure), PROTO_E_BUFFER_TOO_SMALL, PROTO_E_MALFORMED, PROTO_E_TOO_LARGE, PROTO_E_CRYPTO.
 */
struct proto_note_key {
	char name[PROTO_NOTE_NAME_MAX + 1];
	uint32_t id;
	unsigned char pk[PROTO_SIGN_PK_BYTES];
	unsigned char sk[PROTO_SIGN_SK_BYTES]; /* zero in a verifier */
	int is_cosigner;                       /* a witness key: its lines are tlog-cosignature/v1 (timestamped) */
};
int proto_note_key_new(const char *name, int is_cosigner, struct proto_note_key *k);
int proto_note_verifier_format(const struct proto_note_key *k, char *out, size_t cap);
int proto_note_verifier_parse(const char *text, struct proto_note_key *k);
int proto_note_signer_format(const struct proto_note_key *k, char *out, size_t cap);
int proto_note_signer_parse(const char *text, struct proto_note_key *k);

/*
 * Sign: append "— <name> <base64(key id || signature)>\n" for body. A plain signer signs the body; a
 * cosigner (tlog-cosignature/v1) signs "cosignature/v1\ntime <timestamp>\n" || body, and its line is
 * base64(key id || 8-byte big-endian timestamp || signature); it signs only a checkpoint body (the error of
 * proto_checkpoint_parse otherwise), at a timestamp (POSIX seconds) up to 2^63 - 1. The timestamp is
 * ignored for a plain signer. note (body, blank line, signature lines) is built in out, which must not
 * overlap the input. To add a signature to an existing note, pass the note as body_or_note with its
 * signatures: they are kept, but for an earlier line of the same key, which the new one replaces. Input text
 * that is not a note with well-formed signature lines is a body and must end in a newline. Errors:
 * PROTO_E_INVALID_ARG (not a signer), PROTO_E_MALFORMED, PROTO_E_TOO_LARGE (input or note over
 * PROTO_NOTE_MAX), PROTO_E_BUFFER_TOO_SMALL, PROTO_E_CRYPTO.
 */
int proto_note_sign(const char *body_or_note, const struct proto_note_key *k, uint64_t timestamp, char *out, size_t cap);

/*
 * Open a note: split body and signature lines, and check each signature line whose key (name and id) is
 * among keys[0..nkeys). *body_len gets the body's length; verified[i] is set to 1 for each key whose
 * signature verifies, 0 for the others (and, when ts is not NULL, ts[i] its timestamp for a cosigner, else
 * 0). Lines of unknown keys are ignored (but must be well-formed); a line of a known key that does not verify
 * is PROTO_E_BAD_SIGNATURE, and so is a note in which no known key's signature verifies (signed-note: such a
 * note MUST be rejected). A known key with two lines is PROTO_E_MALFORMED. A quorum of cosigners is the
 * caller's count of verified[]. Outputs are unchanged on error. Errors: PROTO_E_MALFORMED, PROTO_E_TOO_LARGE,
 * PROTO_E_BAD_SIGNATURE, PROTO_E_INVALID_ARG (NULL, a bad key structure).
 */
int proto_note_open(const char *note, size_t len, const struct proto_note_key *keys, size_t nkeys, size_t *body_len,
		    int *verified, uint64_t *ts);

/* ---- what the log's entries commit to (proto_log.c; docs/transparency.md §2) ---- */

#define PROTO_LOG_KEY_BYTES 32 /* a person's key to the commitments of their access-log lines */

/* An account's label: BLAKE2b-256("postern-log-user:" || user_id). Errors: PROTO_E_INVALID_ARG. */
int proto_log_label(const char *user_id, unsigned char out[PROTO_MERKLE_HASH_BYTES]);

/*
 * The entry of an access-log line: BLAKE2b-256 keyed by the person's log key over
 * "postern-access-v2\n" seq "\n" at_ms "\n" grant_id "\n" action "\n" thread_id "\n" message_id "\n" count "\n"
 * for a numbered line (seq > 0: the person's line number), or, for a line from before numbering (seq 0), the
 * same without the seq line and with "postern-access-v1"; numbers in decimal, an absent (NULL or empty) grant,
 * thread or message as "-". Errors: PROTO_E_INVALID_ARG (NULL key or out, no action, seq < 0).
 */
int proto_log_access_entry(const unsigned char key[PROTO_LOG_KEY_BYTES], int64_t seq, int64_t at_ms, const char *grant_id, const char *action,
			   const char *thread_id, const char *message_id, int64_t count, unsigned char out[PROTO_MERKLE_HASH_BYTES]);

/*
 * The entry of a grant's creation (ended 0) or end: BLAKE2b-256 over "postern-grant-v1\n" ("created" |
 * "ended") "\n" grant_id "\n" client_id "\n" scope "\n" details "\n" expires_at "\n" at "\n", with details
 * the grant's authorization_details as compact JSON with sorted keys and the times as the API writes them
 * (RFC 3339, milliseconds; at: created_at, or revoked_at when ended). Errors: PROTO_E_INVALID_ARG (a NULL).
 */
int proto_log_grant_entry(int ended, const char *grant_id, const char *client_id, const char *scope, const char *details,
			  const char *expires_at, const char *at, unsigned char out[PROTO_MERKLE_HASH_BYTES]);

#endif
