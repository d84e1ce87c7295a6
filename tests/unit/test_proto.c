/*
 * test_proto.c — the end-to-end encryption protocol (src/proto/proto*.c) against the fixed vectors of
 * tests/vectors/proto_v1.json, which an independent Python implementation of docs/protocol.md produced
 * (tests/vectors/gen_proto_vectors.py), then every rejection rule, the limits and the round trips.
 * Runs from the repository root (the vectors are opened by relative path).
 */
#include "unit.h"

#include "b64url.h"
#include "proto.h"
#include "proto_internal.h"

#include <jansson.h>
#include <sodium.h>

#include "banned.h" /* last: bans footguns in this file only */

#define VECTORS "tests/vectors/proto_v1.json"

static struct {
	json_t *v;
	struct proto_device_keys alice, bob, carol, mallory;
	const char *user, *thread, *alice_dev, *bob_dev;
	unsigned char ck0[32], sid[16], nonce[24];
} fx;

/* ---- helpers ---- */

static const char *vstr(const char *a, const char *b, const char *c)
{
	json_t *j = json_object_get(fx.v, a);
	if (b)
		j = json_object_get(j, b);
	if (c)
		j = json_object_get(j, c);
	if (!json_is_string(j)) {
		fprintf(stderr, "  vector %s.%s.%s missing\n", a, b ? b : "", c ? c : "");
		_exit(1);
	}
	return json_string_value(j);
}

/* Decode a hex vector into out; returns its length, fails the test when it is not hex or too long. */
static size_t vhex(const char *a, const char *b, const char *c, unsigned char *out, size_t cap)
{
	const char *h = vstr(a, b, c);
	size_t n = 0;
	CHECK(sodium_hex2bin(out, cap, h, strlen(h), NULL, &n, NULL) == 0);
	CHECK(n * 2 == strlen(h));
	return n;
}

static void vhex_exact(const char *a, const char *b, const char *c, unsigned char *out, size_t want)
{
	CHECK_EQ_INT(vhex(a, b, c, out, want), want);
}

static void setup(void)
{
	unsigned char s1[32], s2[32];
	json_error_t err;

	CHECK(proto_init() == PROTO_E_OK);
	fx.v = json_load_file(VECTORS, 0, &err);
	if (fx.v == NULL)
		fprintf(stderr, "  %s: %s (run from the repository root)\n", VECTORS, err.text);
	CHECK(fx.v != NULL);
	fx.user = vstr("ids", "user_id", NULL);
	fx.thread = vstr("ids", "thread_id", NULL);
	fx.alice_dev = vstr("ids", "alice_device_id", NULL);
	fx.bob_dev = vstr("ids", "bob_device_id", NULL);
	vhex_exact("devices", "alice", "sign_seed", s1, 32);
	vhex_exact("devices", "alice", "box_seed", s2, 32);
	CHECK(pst__proto_device_keys_from_seeds(&fx.alice, s1, s2) == PROTO_E_OK);
	vhex_exact("devices", "bob", "sign_seed", s1, 32);
	vhex_exact("devices", "bob", "box_seed", s2, 32);
	CHECK(pst__proto_device_keys_from_seeds(&fx.bob, s1, s2) == PROTO_E_OK);
	CHECK(proto_device_keygen(&fx.carol) == PROTO_E_OK);
	CHECK(proto_device_keygen(&fx.mallory) == PROTO_E_OK);
	vhex_exact("chain", "chain_key_0", NULL, fx.ck0, 32);
	vhex_exact("envelope", "session_id", NULL, fx.sid, 16);
	vhex_exact("envelope", "nonce", NULL, fx.nonce, 24);
}

static struct proto_inbound *inbound_new(void)
{
	struct proto_inbound *in = calloc(1, sizeof(*in));
	CHECK(in != NULL);
	return in;
}

static void inbound_free(struct proto_inbound *in)
{
	proto_inbound_wipe(in);
	free(in);
}

/* Alice's vector session (thread, session id, ck0) moved to index k. */
static void outbound_at(struct proto_outbound *s, const char *thread, uint32_t k)
{
	unsigned char ck[32], h[32] = {0};
	uint32_t i;
	memcpy(ck, fx.ck0, 32);
	for (i = 0; i < k; i++)
		CHECK(pst__proto_chain_step(ck, NULL, ck) == PROTO_E_OK);
	CHECK(pst__proto_outbound_init(s, thread, fx.alice_dev, fx.sid, ck, k, h, 0) == PROTO_E_OK);
}

/* Encrypt one message of s (random nonce) into env[PROTO_ENVELOPE_MAX]. */
static size_t enc(struct proto_outbound *s, const char *text, unsigned char *env)
{
	size_t n = 0;
	CHECK_EQ_INT(proto_encrypt(s, fx.alice.sign_sk, (const unsigned char *)text, strlen(text), env, PROTO_ENVELOPE_MAX, &n),
		     PROTO_E_OK);
	return n;
}

/* The envelope Alice sends at index k of the vector session. */
static size_t enc_at(uint32_t k, const char *text, unsigned char *env)
{
	struct proto_outbound s;
	outbound_at(&s, fx.thread, k);
	return enc(&s, text, env);
}

/* Decrypt env into a NUL-terminated string; returns the proto error. */
static int dec(struct proto_inbound *in, const unsigned char *env, size_t n, char *text, size_t cap)
{
	size_t got = 0;
	int rc = proto_decrypt(in, 1, fx.thread, fx.alice_dev, env, n, (unsigned char *)text, cap - 1, &got, NULL);
	text[rc == PROTO_E_OK ? got : 0] = '\0';
	return rc;
}

/* Re-sign env[0..n) in place with sk, as a holder of that key could after editing the envelope. */
static void resign(unsigned char *env, size_t n, const unsigned char *sk)
{
	crypto_sign_detached(env + n - 64, NULL, env, n - 64, sk);
}

/* Bob's inbound session for Alice's vector session, starting at index k (no hand-over round trip). */
static void bob_inbound_at(struct proto_inbound *in, const char *thread, uint32_t k)
{
	struct proto_outbound s;
	outbound_at(&s, thread, k);
	CHECK(proto_inbound_from_outbound(in, &s, fx.alice.sign_pk) == PROTO_E_OK);
}

/* ---- vectors ---- */

static void vector_device_keys_and_registration(void)
{
	unsigned char pk[32], sig[64], want[64];
	const char *msg;

	setup();
	vhex_exact("devices", "alice", "sign_pk", pk, 32);
	CHECK(memcmp(pk, fx.alice.sign_pk, 32) == 0);
	vhex_exact("devices", "alice", "box_pk", pk, 32);
	CHECK(memcmp(pk, fx.alice.box_pk, 32) == 0);
	vhex_exact("devices", "bob", "box_sk", pk, 32);
	CHECK(memcmp(pk, fx.bob.box_sk, 32) == 0);

	CHECK(proto_device_sign_registration(&fx.alice, fx.user, sig) == PROTO_E_OK);
	vhex_exact("registration", "signature", NULL, want, 64);
	CHECK(memcmp(sig, want, 64) == 0);
	/* exactly what the server verifies (h_devices.c): the text message with base64url(box_pk) */
	msg = vstr("registration", "message", NULL);
	CHECK(crypto_sign_verify_detached(sig, (const unsigned char *)msg, strlen(msg), fx.alice.sign_pk) == 0);
	CHECK_EQ_INT(proto_device_verify_registration(fx.alice.sign_pk, fx.alice.box_pk, fx.user, sig), PROTO_E_OK);
	CHECK_EQ_INT(proto_device_verify_registration(fx.alice.sign_pk, fx.alice.box_pk, "u_someoneElse", sig), PROTO_E_BAD_SIGNATURE);
	CHECK_EQ_INT(proto_device_verify_registration(fx.alice.sign_pk, fx.bob.box_pk, fx.user, sig), PROTO_E_BAD_SIGNATURE);
	CHECK_EQ_INT(proto_device_verify_registration(fx.bob.sign_pk, fx.alice.box_pk, fx.user, sig), PROTO_E_BAD_SIGNATURE);
	CHECK_EQ_INT(proto_device_sign_registration(&fx.alice, "", sig), PROTO_E_INVALID_ARG);
	CHECK_EQ_INT(proto_device_sign_registration(&fx.alice, "u with space", sig), PROTO_E_INVALID_ARG);
	CHECK_EQ_INT(proto_device_sign_registration(NULL, fx.user, sig), PROTO_E_INVALID_ARG);
}

static void vector_fingerprint(void)
{
	char fp[PROTO_FINGERPRINT_LEN], other[PROTO_FINGERPRINT_LEN];

	setup();
	CHECK_EQ_INT(proto_device_fingerprint(fx.alice.sign_pk, fx.alice.box_pk, fp, sizeof(fp)), PROTO_E_OK);
	CHECK_EQ_STR(fp, vstr("fingerprint", "text", NULL));
	CHECK_EQ_INT(strlen(fp), PROTO_FINGERPRINT_LEN - 1);
	CHECK_EQ_INT(proto_device_fingerprint(fx.alice.sign_pk, fx.bob.box_pk, other, sizeof(other)), PROTO_E_OK);
	CHECK(strcmp(fp, other) != 0);
	CHECK_EQ_INT(proto_device_fingerprint(fx.alice.sign_pk, fx.alice.box_pk, fp, PROTO_FINGERPRINT_LEN - 1),
		     PROTO_E_BUFFER_TOO_SMALL);
}

static void vector_chain(void)
{
	json_t *steps;
	unsigned char ck[32], mk[32], want[32];
	size_t i, checked = 0;
	uint32_t at = 0;

	setup();
	steps = json_object_get(json_object_get(fx.v, "chain"), "steps");
	CHECK(json_array_size(steps) >= 5);
	memcpy(ck, fx.ck0, 32);
	for (i = 0; i < json_array_size(steps); i++) {
		json_t *st = json_array_get(steps, i);
		uint32_t idx = (uint32_t)json_integer_value(json_object_get(st, "index"));
		size_t n = 0;
		for (; at < idx; at++)
			CHECK(pst__proto_chain_step(ck, NULL, ck) == PROTO_E_OK);
		CHECK(sodium_hex2bin(want, 32, json_string_value(json_object_get(st, "chain_key")), 64, NULL, &n, NULL) == 0 && n == 32);
		CHECK(memcmp(ck, want, 32) == 0);
		CHECK(pst__proto_chain_step(ck, mk, ck) == PROTO_E_OK);
		at++;
		CHECK(sodium_hex2bin(want, 32, json_string_value(json_object_get(st, "message_key")), 64, NULL, &n, NULL) == 0 && n == 32);
		CHECK(memcmp(mk, want, 32) == 0);
		checked++;
	}
	CHECK(checked >= 5);
}

static void vector_envelope_encrypt(void)
{
	unsigned char env[PROTO_ENVELOPE_MAX], want[1024], pt[256], ck[32];
	char text[PROTO_ENVELOPE_MAX * 2];
	struct proto_outbound s;
	size_t n = 0, wn, pn;

	setup();
	vhex_exact("envelope", "chain_key", NULL, ck, 32);
	CHECK(pst__proto_outbound_init(&s, fx.thread, fx.alice_dev, fx.sid, ck, 3, ck, 0) == PROTO_E_OK);
	pn = vhex("envelope", "plaintext", NULL, pt, sizeof(pt));
	CHECK_EQ_INT(pst__proto_encrypt_with_nonce(&s, fx.alice.sign_sk, fx.nonce, pt, pn, env, sizeof(env), &n), PROTO_E_OK);
	wn = vhex("envelope", "envelope", NULL, want, sizeof(want));
	CHECK_EQ_INT(n, wn);
	CHECK(memcmp(env, want, n) == 0);
	CHECK_EQ_INT(n, PROTO_ENVELOPE_OVERHEAD(strlen(fx.thread), strlen(fx.alice_dev)) + pn);
	CHECK(b64url_encode(env, n, text, sizeof(text)) == 0);
	CHECK_EQ_STR(text, vstr("envelope", "envelope_b64url", NULL));
	/* the session moved on and erased its old chain key */
	CHECK_EQ_INT(s.next_index, 4);
	vhex_exact("envelope", "next_chain_key", NULL, ck, 32);
	CHECK(memcmp(s.chain_key, ck, 32) == 0);
}

static void vector_envelope_decode(void)
{
	unsigned char env[1024], want[1024];
	struct proto_envelope e;
	size_t n, wn;

	setup();
	n = vhex("envelope", "envelope", NULL, env, sizeof(env));
	CHECK_EQ_INT(proto_envelope_decode(env, n, &e), PROTO_E_OK);
	CHECK_EQ_INT(e.version, 1);
	CHECK_EQ_INT(e.type, 1);
	CHECK_EQ_STR(e.thread_id, fx.thread);
	CHECK_EQ_STR(e.sender_device_id, fx.alice_dev);
	CHECK(memcmp(e.session_id, fx.sid, 16) == 0);
	CHECK_EQ_INT(e.index, 3);
	CHECK(memcmp(e.nonce, fx.nonce, 24) == 0);
	wn = vhex("envelope", "associated_data", NULL, want, sizeof(want));
	CHECK_EQ_INT(e.header_len, wn);
	CHECK(memcmp(env, want, wn) == 0);
	wn = vhex("envelope", "ciphertext", NULL, want, sizeof(want));
	CHECK_EQ_INT(e.ciphertext_len, wn);
	CHECK(e.ciphertext == env + e.header_len && memcmp(e.ciphertext, want, wn) == 0);
	vhex_exact("envelope", "signature", NULL, want, 64);
	CHECK(memcmp(e.signature, want, 64) == 0);
	CHECK_EQ_INT(e.signed_len + 64, n);
}

static void vector_session_key_payload_and_decrypt(void)
{
	unsigned char payload[PROTO_HANDOVER_PAYLOAD_MAX], want[512], env[1024], pt[256];
	unsigned char state[PROTO_INBOUND_STATE_MAX];
	struct proto_inbound *in = inbound_new();
	struct proto_outbound s;
	char text[512];
	size_t n = 0, wn, en, pn, sn = 0;

	setup();
	outbound_at(&s, fx.thread, 0);
	CHECK_EQ_INT(pst__proto_handover_payload(&s, fx.alice.sign_sk, fx.bob_dev, payload, sizeof(payload), &n), PROTO_E_OK);
	wn = vhex("session_key", "payload", NULL, want, sizeof(want));
	CHECK_EQ_INT(n, wn);
	CHECK(memcmp(payload, want, n) == 0);
	vhex_exact("session_key", "signature", NULL, want, 64);
	CHECK(memcmp(payload + n - 64, want, 64) == 0);

	/* Bob accepts the vector payload and reads the vector envelope (index 3, skipping 0..2) */
	wn = vhex("session_key", "payload", NULL, payload, sizeof(payload));
	CHECK_EQ_INT(pst__proto_handover_accept(payload, wn, fx.bob_dev, fx.alice_dev, fx.alice.sign_pk, fx.thread, in), PROTO_E_OK);
	CHECK_EQ_INT(in->start_index, 0);
	en = vhex("envelope", "envelope", NULL, env, sizeof(env));
	CHECK_EQ_INT(dec(in, env, en, text, sizeof(text)), PROTO_E_OK);
	pn = vhex("envelope", "plaintext", NULL, pt, sizeof(pt));
	CHECK_EQ_INT(strlen(text), pn);
	CHECK(memcmp(text, pt, pn) == 0);
	CHECK_EQ_INT(in->n_skipped, 3);
	CHECK_EQ_INT(in->next_index, 4);

	/* and its stored state is byte-for-byte the vector's */
	CHECK_EQ_INT(proto_inbound_save(in, state, sizeof(state), &sn), PROTO_E_OK);
	wn = vhex("inbound_state", "bytes", NULL, want, sizeof(want));
	CHECK_EQ_INT(sn, wn);
	CHECK(memcmp(state, want, sn) == 0);
	inbound_free(in);
}

static void vector_recipients_hash(void)
{
	unsigned char h[32], h2[32], want[32];
	const char *ids[3], *perm[2], *more[3];
	json_t *arr;
	size_t i;

	setup();
	arr = json_object_get(json_object_get(fx.v, "recipients_hash"), "device_ids");
	CHECK_EQ_INT(json_array_size(arr), 3);
	for (i = 0; i < 3; i++)
		ids[i] = json_string_value(json_array_get(arr, i));
	CHECK_EQ_INT(proto_recipients_hash(ids, 3, h), PROTO_E_OK);
	vhex_exact("recipients_hash", "hash", NULL, want, 32);
	CHECK(memcmp(h, want, 32) == 0);
	/* order and duplicates do not matter; a new device does */
	perm[0] = fx.alice_dev;
	perm[1] = fx.bob_dev;
	CHECK_EQ_INT(proto_recipients_hash(perm, 2, h2), PROTO_E_OK);
	CHECK(memcmp(h, h2, 32) == 0);
	more[0] = fx.alice_dev;
	more[1] = fx.bob_dev;
	more[2] = "d_carol";
	CHECK_EQ_INT(proto_recipients_hash(more, 3, h2), PROTO_E_OK);
	CHECK(memcmp(h, h2, 32) != 0);
	CHECK_EQ_INT(proto_recipients_hash(NULL, 0, h2), PROTO_E_OK);
	CHECK(memcmp(h, h2, 32) != 0);
	more[2] = "bad id";
	CHECK_EQ_INT(proto_recipients_hash(more, 3, h2), PROTO_E_INVALID_ARG);
	CHECK_EQ_INT(proto_recipients_hash(more, PROTO_RECIPIENTS_MAX + 1, h2), PROTO_E_TOO_LARGE);
}

static void vector_stored_states(void)
{
	unsigned char out[PROTO_INBOUND_STATE_MAX], want[PROTO_INBOUND_STATE_MAX], env[PROTO_ENVELOPE_MAX], rh[32], pt[256];
	struct proto_inbound *in = inbound_new(), *back = inbound_new();
	struct proto_outbound s, t;
	size_t n = 0, wn, pn, m = 0;

	setup();
	/* Alice's outbound after sending index 3 */
	vhex_exact("recipients_hash", "hash", NULL, rh, 32);
	outbound_at(&s, fx.thread, 3);
	memcpy(s.recipients_hash, rh, 32);
	s.created_at_ms = (int64_t)json_integer_value(json_object_get(json_object_get(fx.v, "outbound_state"), "created_at_ms"));
	pn = vhex("envelope", "plaintext", NULL, pt, sizeof(pt));
	CHECK_EQ_INT(pst__proto_encrypt_with_nonce(&s, fx.alice.sign_sk, fx.nonce, pt, pn, env, sizeof(env), &m), PROTO_E_OK);
	CHECK_EQ_INT(proto_outbound_save(&s, out, sizeof(out), &n), PROTO_E_OK);
	wn = vhex("outbound_state", "bytes", NULL, want, sizeof(want));
	CHECK_EQ_INT(n, wn);
	CHECK(memcmp(out, want, n) == 0);
	memset(&t, 0, sizeof(t));
	CHECK_EQ_INT(proto_outbound_load(&t, want, wn), PROTO_E_OK);
	CHECK(memcmp(&s, &t, sizeof(s)) == 0);
	CHECK_EQ_INT(proto_outbound_save(&s, out, n - 1, &n), PROTO_E_BUFFER_TOO_SMALL);

	/* Bob's inbound from the vector bytes round-trips, then decrypts the next message */
	wn = vhex("inbound_state", "bytes", NULL, want, sizeof(want));
	CHECK_EQ_INT(proto_inbound_load(in, want, wn), PROTO_E_OK);
	CHECK_EQ_INT(in->n_skipped, 3);
	CHECK_EQ_INT(in->skipped[2].index, 2);
	CHECK_EQ_INT(proto_inbound_save(in, out, sizeof(out), &n), PROTO_E_OK);
	CHECK(n == wn && memcmp(out, want, n) == 0);
	CHECK_EQ_INT(proto_inbound_load(back, out, n), PROTO_E_OK);
	CHECK(memcmp(in, back, sizeof(*in)) == 0);
	{
		char text[64];
		size_t en = enc(&s, "index four", env);
		CHECK_EQ_INT(dec(in, env, en, text, sizeof(text)), PROTO_E_OK);
		CHECK_EQ_STR(text, "index four");
	}
	inbound_free(in);
	inbound_free(back);
}

/* ---- round trips ---- */

static void handover_seal_open_round_trip(void)
{
	unsigned char sealed[PROTO_HANDOVER_SEALED_MAX], env[PROTO_ENVELOPE_MAX], h[32] = {0};
	struct proto_inbound *in = inbound_new(), *keep = inbound_new();
	struct proto_outbound s;
	char text[64];
	size_t n = 0, en;

	setup();
	CHECK_EQ_INT(proto_outbound_new(&s, fx.thread, fx.alice_dev, h, 1000), PROTO_E_OK);
	CHECK_EQ_INT(proto_handover_seal(&s, fx.alice.sign_sk, fx.bob_dev, fx.bob.box_pk, sealed, sizeof(sealed), &n), PROTO_E_OK);
	CHECK(n <= PROTO_HANDOVER_SEALED_MAX);
	memset(keep, 0x5a, sizeof(*keep));
	memcpy(in, keep, sizeof(*in));
	/* every failed open leaves *in untouched */
	CHECK_EQ_INT(proto_handover_open(sealed, n, &fx.carol, fx.bob_dev, fx.alice_dev, fx.alice.sign_pk, fx.thread, in), PROTO_E_DECRYPT);
	CHECK_EQ_INT(proto_handover_open(sealed, n, &fx.bob, fx.bob_dev, fx.alice_dev, fx.mallory.sign_pk, fx.thread, in), PROTO_E_BAD_SIGNATURE);
	CHECK_EQ_INT(proto_handover_open(sealed, n, &fx.bob, fx.bob_dev, "d_someoneElse", fx.alice.sign_pk, fx.thread, in), PROTO_E_WRONG_SENDER);
	CHECK_EQ_INT(proto_handover_open(sealed, n, &fx.bob, "d_bobsOtherDevice", fx.alice_dev, fx.alice.sign_pk, fx.thread, in), PROTO_E_WRONG_RECIPIENT);
	CHECK_EQ_INT(proto_handover_open(sealed, n, &fx.bob, fx.bob_dev, fx.alice_dev, fx.alice.sign_pk, "t_otherThread", in), PROTO_E_WRONG_THREAD);
	CHECK_EQ_INT(proto_handover_open(sealed, n - 1, &fx.bob, fx.bob_dev, fx.alice_dev, fx.alice.sign_pk, fx.thread, in), PROTO_E_DECRYPT);
	CHECK_EQ_INT(proto_handover_open(sealed, 10, &fx.bob, fx.bob_dev, fx.alice_dev, fx.alice.sign_pk, fx.thread, in), PROTO_E_MALFORMED);
	CHECK_EQ_INT(proto_handover_open(sealed, PROTO_HANDOVER_SEALED_MAX + 1, &fx.bob, fx.bob_dev, fx.alice_dev, fx.alice.sign_pk,
					 fx.thread, in), PROTO_E_TOO_LARGE);
	sealed[n / 2] ^= 1;
	CHECK_EQ_INT(proto_handover_open(sealed, n, &fx.bob, fx.bob_dev, fx.alice_dev, fx.alice.sign_pk, fx.thread, in), PROTO_E_DECRYPT);
	sealed[n / 2] ^= 1;
	CHECK(memcmp(in, keep, sizeof(*in)) == 0);
	/* thread unknown to the caller (NULL): accepted, and the thread is reported */
	CHECK_EQ_INT(proto_handover_open(sealed, n, &fx.bob, fx.bob_dev, fx.alice_dev, fx.alice.sign_pk, NULL, in), PROTO_E_OK);
	CHECK_EQ_STR(in->thread_id, fx.thread);
	CHECK_EQ_STR(in->sender_device_id, fx.alice_dev);
	CHECK(memcmp(in->session_id, s.session_id, 16) == 0 && memcmp(in->chain_key, s.chain_key, 32) == 0);
	CHECK(in->start_index == 0 && in->next_index == 0 && in->n_skipped == 0);
	en = enc(&s, "sealed and delivered", env);
	CHECK_EQ_INT(dec(in, env, en, text, sizeof(text)), PROTO_E_OK);
	CHECK_EQ_STR(text, "sealed and delivered");
	/* a low-order recipient key cannot be sealed to */
	memset(h, 0, sizeof(h));
	CHECK_EQ_INT(proto_handover_seal(&s, fx.alice.sign_sk, fx.bob_dev, h, sealed, sizeof(sealed), &n), PROTO_E_CRYPTO);
	CHECK_EQ_INT(proto_handover_seal(&s, fx.alice.sign_sk, fx.bob_dev, fx.bob.box_pk, sealed, 100, &n), PROTO_E_BUFFER_TOO_SMALL);
	proto_outbound_wipe(&s);
	inbound_free(in);
	inbound_free(keep);
}

static void handover_payload_tampering(void)
{
	unsigned char p[PROTO_HANDOVER_PAYLOAD_MAX];
	struct proto_inbound *in = inbound_new();
	struct proto_outbound s;
	size_t n = 0, i;

	setup();
	outbound_at(&s, fx.thread, 7);
	CHECK_EQ_INT(pst__proto_handover_payload(&s, fx.alice.sign_sk, fx.bob_dev, p, sizeof(p), &n), PROTO_E_OK);
	/* any flipped byte after the prefix fails (signature, or a malformed id) */
	for (i = 3; i < n; i++) {
		int rc;
		p[i] ^= 0x01;
		rc = pst__proto_handover_accept(p, n, fx.bob_dev, fx.alice_dev, fx.alice.sign_pk, fx.thread, in);
		CHECK(rc != PROTO_E_OK);
		p[i] ^= 0x01;
	}
	for (i = 0; i < n; i++)
		CHECK(pst__proto_handover_accept(p, i, fx.bob_dev, fx.alice_dev, fx.alice.sign_pk, fx.thread, in) != PROTO_E_OK);
	p[1] = 2;
	CHECK_EQ_INT(pst__proto_handover_accept(p, n, fx.bob_dev, fx.alice_dev, fx.alice.sign_pk, fx.thread, in), PROTO_E_VERSION);
	p[1] = 1;
	p[2] = 1; /* a message envelope type is not a session key */
	CHECK_EQ_INT(pst__proto_handover_accept(p, n, fx.bob_dev, fx.alice_dev, fx.alice.sign_pk, fx.thread, in), PROTO_E_MALFORMED);
	p[2] = 2;
	CHECK_EQ_INT(pst__proto_handover_accept(p, n, fx.bob_dev, fx.alice_dev, fx.alice.sign_pk, fx.thread, in), PROTO_E_OK);
	CHECK_EQ_INT(in->start_index, 7);
	inbound_free(in);
}

static void round_trip_in_and_out_of_order(void)
{
	unsigned char env[10][1024], h[32] = {0};
	size_t len[10], i;
	struct proto_inbound *bob = inbound_new(), *self = inbound_new();
	struct proto_outbound s;
	char text[64], want[64];
	static const int order[10] = {0, 5, 2, 9, 1, 3, 4, 8, 6, 7};

	setup();
	CHECK_EQ_INT(proto_outbound_new(&s, fx.thread, fx.alice_dev, h, 0), PROTO_E_OK);
	CHECK_EQ_INT(proto_inbound_from_outbound(bob, &s, fx.alice.sign_pk), PROTO_E_OK);
	CHECK_EQ_INT(proto_inbound_from_outbound(self, &s, fx.alice.sign_pk), PROTO_E_OK);
	for (i = 0; i < 10; i++) {
		snprintf(want, sizeof(want), "message %zu", i);
		len[i] = enc(&s, want, env[i]);
	}
	CHECK_EQ_INT(s.next_index, 10);
	/* two nonces never repeat, and equal plaintexts of one session give different envelopes */
	CHECK(memcmp(env[0], env[1], 100) != 0);
	for (i = 0; i < 10; i++) {
		int k = order[i];
		snprintf(want, sizeof(want), "message %d", k);
		CHECK_EQ_INT(dec(bob, env[k], len[k], text, sizeof(text)), PROTO_E_OK);
		CHECK_EQ_STR(text, want);
		/* the sender reads its own messages back in order */
		snprintf(want, sizeof(want), "message %zu", i);
		CHECK_EQ_INT(dec(self, env[i], len[i], text, sizeof(text)), PROTO_E_OK);
		CHECK_EQ_STR(text, want);
	}
	CHECK_EQ_INT(bob->n_skipped, 0); /* every kept key was used and erased */
	CHECK_EQ_INT(bob->next_index, 10);
	for (i = 0; i < 10; i++)
		CHECK_EQ_INT(dec(bob, env[i], len[i], text, sizeof(text)), PROTO_E_REPLAY);
	inbound_free(bob);
	inbound_free(self);
}

static void envelope_limits(void)
{
	static unsigned char big[PROTO_PLAINTEXT_MAX + 1], env[PROTO_ENVELOPE_MAX + 1], back[PROTO_PLAINTEXT_MAX];
	struct proto_inbound *in = inbound_new();
	struct proto_outbound s, before;
	size_t n = 0, got = 0;

	setup();
	outbound_at(&s, fx.thread, 0);
	bob_inbound_at(in, fx.thread, 0);
	randombytes_buf(big, sizeof(big));
	before = s;
	CHECK_EQ_INT(proto_encrypt(&s, fx.alice.sign_sk, big, PROTO_PLAINTEXT_MAX + 1, env, sizeof(env), &n), PROTO_E_TOO_LARGE);
	CHECK_EQ_INT(proto_encrypt(&s, fx.alice.sign_sk, big, 100, env, 100, &n), PROTO_E_BUFFER_TOO_SMALL);
	CHECK(memcmp(&s, &before, sizeof(s)) == 0);
	/* the largest plaintext, with the longest ids, still fits PROTO_ENVELOPE_MAX */
	{
		struct proto_outbound l;
		char tid[PROTO_ID_MAX + 1], did[PROTO_ID_MAX + 1];
		unsigned char h[32] = {0};
		memset(tid, 't', PROTO_ID_MAX);
		tid[PROTO_ID_MAX] = '\0';
		memset(did, 'd', PROTO_ID_MAX);
		did[PROTO_ID_MAX] = '\0';
		CHECK_EQ_INT(pst__proto_outbound_init(&l, tid, did, fx.sid, fx.ck0, 0, h, 0), PROTO_E_OK);
		CHECK_EQ_INT(proto_encrypt(&l, fx.alice.sign_sk, big, PROTO_PLAINTEXT_MAX, env, sizeof(env), &n), PROTO_E_OK);
		CHECK_EQ_INT(n, PROTO_ENVELOPE_MAX);
		tid[PROTO_ID_MAX - 1] = '\0';
		CHECK_EQ_INT(pst__proto_outbound_init(&l, tid, did, fx.sid, fx.ck0, 0, h, 0), PROTO_E_OK);
		did[3] = ' ';
		CHECK_EQ_INT(pst__proto_outbound_init(&l, tid, did, fx.sid, fx.ck0, 0, h, 0), PROTO_E_INVALID_ARG);
	}
	CHECK_EQ_INT(proto_encrypt(&s, fx.alice.sign_sk, big, PROTO_PLAINTEXT_MAX, env, sizeof(env), &n), PROTO_E_OK);
	CHECK_EQ_INT(proto_decrypt(in, 1, fx.thread, fx.alice_dev, env, n, back, PROTO_PLAINTEXT_MAX - 1, &got, NULL), PROTO_E_BUFFER_TOO_SMALL);
	CHECK_EQ_INT(in->next_index, 0);
	CHECK_EQ_INT(proto_decrypt(in, 1, fx.thread, fx.alice_dev, env, n, back, sizeof(back), &got, NULL), PROTO_E_OK);
	CHECK(got == PROTO_PLAINTEXT_MAX && memcmp(back, big, got) == 0);
	/* empty message */
	CHECK_EQ_INT(proto_encrypt(&s, fx.alice.sign_sk, NULL, 0, env, sizeof(env), &n), PROTO_E_OK);
	CHECK_EQ_INT(proto_decrypt(in, 1, fx.thread, fx.alice_dev, env, n, back, sizeof(back), &got, NULL), PROTO_E_OK);
	CHECK_EQ_INT(got, 0);
	/* the last index is PROTO_INDEX_MAX; after it the session is exhausted */
	s.next_index = PROTO_INDEX_MAX;
	CHECK_EQ_INT(proto_encrypt(&s, fx.alice.sign_sk, big, 1, env, sizeof(env), &n), PROTO_E_OK);
	CHECK_EQ_INT(proto_encrypt(&s, fx.alice.sign_sk, big, 1, env, sizeof(env), &n), PROTO_E_EXHAUSTED);
	inbound_free(in);
}

/* ---- rejection rules ---- */

static void reject_replay(void)
{
	unsigned char e0[512], e5[512];
	struct proto_inbound *in = inbound_new();
	char text[64];
	size_t n0, n5;

	setup();
	bob_inbound_at(in, fx.thread, 0);
	n0 = enc_at(0, "zero", e0);
	n5 = enc_at(5, "five", e5);
	CHECK_EQ_INT(dec(in, e0, n0, text, sizeof(text)), PROTO_E_OK);
	CHECK_EQ_INT(dec(in, e0, n0, text, sizeof(text)), PROTO_E_REPLAY);
	CHECK_EQ_INT(dec(in, e5, n5, text, sizeof(text)), PROTO_E_OK);
	CHECK_EQ_INT(dec(in, e5, n5, text, sizeof(text)), PROTO_E_REPLAY);
	/* a replayed envelope changes nothing */
	CHECK_EQ_INT(in->next_index, 6);
	CHECK_EQ_INT(in->n_skipped, 4);
	/* skipped index 2: once, then replay */
	n0 = enc_at(2, "two", e0);
	CHECK_EQ_INT(dec(in, e0, n0, text, sizeof(text)), PROTO_E_OK);
	CHECK_EQ_STR(text, "two");
	CHECK_EQ_INT(in->n_skipped, 3);
	CHECK_EQ_INT(dec(in, e0, n0, text, sizeof(text)), PROTO_E_REPLAY);
	inbound_free(in);
}

static void reject_bad_signature(void)
{
	unsigned char env[512];
	struct proto_inbound *in = inbound_new();
	char text[64];
	size_t n, i;

	setup();
	bob_inbound_at(in, fx.thread, 0);
	n = enc_at(4, "signed by alice", env);
	env[n - 1] ^= 0x80; /* the signature itself */
	CHECK_EQ_INT(dec(in, env, n, text, sizeof(text)), PROTO_E_BAD_SIGNATURE);
	env[n - 1] ^= 0x80;
	env[n - 70] ^= 0x01; /* the ciphertext */
	CHECK_EQ_INT(dec(in, env, n, text, sizeof(text)), PROTO_E_BAD_SIGNATURE);
	env[n - 70] ^= 0x01;
	/* the index (offset: 3 + 1 + thread + 1 + device + 16) */
	i = 3 + 1 + strlen(fx.thread) + 1 + strlen(fx.alice_dev) + 16 + 3;
	env[i] ^= 0x01;
	CHECK_EQ_INT(dec(in, env, n, text, sizeof(text)), PROTO_E_BAD_SIGNATURE);
	env[i] ^= 0x01;
	/* a well-formed envelope signed by another key */
	resign(env, n, fx.mallory.sign_sk);
	CHECK_EQ_INT(dec(in, env, n, text, sizeof(text)), PROTO_E_BAD_SIGNATURE);
	CHECK(in->next_index == 0 && in->n_skipped == 0); /* nothing advanced */
	resign(env, n, fx.alice.sign_sk);
	CHECK_EQ_INT(dec(in, env, n, text, sizeof(text)), PROTO_E_OK);
	CHECK_EQ_STR(text, "signed by alice");
	inbound_free(in);
}

static void reject_moved_thread(void)
{
	unsigned char env[512];
	struct proto_inbound *in = inbound_new(), *other = inbound_new();
	char text[64], moved[PROTO_ID_MAX + 1];
	size_t n, got = 0;

	setup();
	bob_inbound_at(in, fx.thread, 0);
	n = enc_at(0, "for thread A", env);
	/* the server files it under another thread */
	CHECK_EQ_INT(proto_decrypt(in, 1, "t_anotherThread", fx.alice_dev, env, n, (unsigned char *)text, sizeof(text), &got, NULL),
		     PROTO_E_WRONG_THREAD);
	/* an inbound session of another thread with the same id is not used for it */
	snprintf(moved, sizeof(moved), "%s", fx.thread);
	moved[2] = (char)(moved[2] == 'X' ? 'Y' : 'X');
	bob_inbound_at(other, moved, 0);
	CHECK_EQ_INT(dec(other, env, n, text, sizeof(text)), PROTO_E_WRONG_THREAD);
	/* the thread id rewritten inside and re-signed by the sender still fails: it is in the AEAD data */
	memcpy(env + 4, moved, strlen(moved));
	resign(env, n, fx.alice.sign_sk);
	CHECK_EQ_INT(proto_decrypt(other, 1, moved, fx.alice_dev, env, n, (unsigned char *)text, sizeof(text), &got, NULL),
		     PROTO_E_DECRYPT);
	CHECK_EQ_INT(other->next_index, 0); /* a failed decryption does not move the chain */
	inbound_free(in);
	inbound_free(other);
}

static void reject_moved_sender(void)
{
	unsigned char env[512];
	struct proto_inbound *in = inbound_new(), *twin = inbound_new();
	char text[64], moved[PROTO_ID_MAX + 1];
	size_t n, got = 0, off;

	setup();
	off = 3 + 1 + strlen(fx.thread) + 1;
	bob_inbound_at(in, fx.thread, 0);
	n = enc_at(0, "from alice", env);
	/* the server says another device sent it */
	CHECK_EQ_INT(proto_decrypt(in, 1, fx.thread, fx.bob_dev, env, n, (unsigned char *)text, sizeof(text), &got, NULL),
		     PROTO_E_WRONG_SENDER);
	/* the sender id rewritten inside: there is no session for that device */
	snprintf(moved, sizeof(moved), "%s", fx.alice_dev);
	moved[2] = (char)(moved[2] == 'X' ? 'Y' : 'X');
	memcpy(env + off, moved, strlen(moved));
	resign(env, n, fx.alice.sign_sk);
	CHECK_EQ_INT(proto_decrypt(in, 1, fx.thread, moved, env, n, (unsigned char *)text, sizeof(text), &got, NULL),
		     PROTO_E_UNKNOWN_SESSION);
	/* even with a session under that name and the same keys, the AEAD data binds the real sender */
	memcpy(twin, in, sizeof(*twin));
	snprintf(twin->sender_device_id, sizeof(twin->sender_device_id), "%s", moved);
	CHECK_EQ_INT(proto_decrypt(twin, 1, fx.thread, moved, env, n, (unsigned char *)text, sizeof(text), &got, NULL),
		     PROTO_E_DECRYPT);
	/* and a session of another sender with a key that did not sign it */
	memcpy(twin->sender_sign_pk, fx.mallory.sign_pk, 32);
	CHECK_EQ_INT(proto_decrypt(twin, 1, fx.thread, moved, env, n, (unsigned char *)text, sizeof(text), &got, NULL),
		     PROTO_E_BAD_SIGNATURE);
	inbound_free(in);
	inbound_free(twin);
}

static void reject_unknown_session(void)
{
	unsigned char env[512];
	struct proto_inbound *set = calloc(3, sizeof(struct proto_inbound));
	struct proto_outbound s;
	unsigned char h[32] = {0};
	char text[64];
	size_t n, got = 0, which = 99;

	setup();
	CHECK(set != NULL);
	n = enc_at(0, "hi", env);
	CHECK_EQ_INT(proto_decrypt(NULL, 0, fx.thread, fx.alice_dev, env, n, (unsigned char *)text, sizeof(text), &got, NULL),
		     PROTO_E_UNKNOWN_SESSION);
	/* other sessions of the same sender and thread do not open it */
	CHECK_EQ_INT(proto_outbound_new(&s, fx.thread, fx.alice_dev, h, 0), PROTO_E_OK);
	CHECK_EQ_INT(proto_inbound_from_outbound(&set[0], &s, fx.alice.sign_pk), PROTO_E_OK);
	CHECK_EQ_INT(proto_outbound_new(&s, fx.thread, fx.alice_dev, h, 0), PROTO_E_OK);
	CHECK_EQ_INT(proto_inbound_from_outbound(&set[1], &s, fx.alice.sign_pk), PROTO_E_OK);
	CHECK_EQ_INT(proto_decrypt(set, 2, fx.thread, fx.alice_dev, env, n, (unsigned char *)text, sizeof(text), &got, &which),
		     PROTO_E_UNKNOWN_SESSION);
	CHECK_EQ_INT(which, 99);
	/* the right one among several is found */
	bob_inbound_at(&set[2], fx.thread, 0);
	CHECK_EQ_INT(proto_decrypt(set, 3, fx.thread, fx.alice_dev, env, n, (unsigned char *)text, sizeof(text), &got, &which),
		     PROTO_E_OK);
	CHECK_EQ_INT(which, 2);
	CHECK(got == 2 && memcmp(text, "hi", 2) == 0);
	CHECK(set[0].next_index == 0 && set[1].next_index == 0 && set[2].next_index == 1);
	proto_inbound_wipe(&set[0]);
	proto_inbound_wipe(&set[1]);
	proto_inbound_wipe(&set[2]);
	free(set);
}

static void reject_before_session(void)
{
	unsigned char env[8][512], sealed[PROTO_HANDOVER_SEALED_MAX];
	struct proto_inbound *carol = inbound_new();
	struct proto_outbound s;
	char text[64];
	size_t len[8], n = 0, i;

	setup();
	outbound_at(&s, fx.thread, 0);
	for (i = 0; i < 5; i++)
		len[i] = enc(&s, "before carol joined", env[i]);
	/* Carol's device is added: she gets the session at index 5 */
	CHECK_EQ_INT(proto_handover_seal(&s, fx.alice.sign_sk, "d_carol", fx.carol.box_pk, sealed, sizeof(sealed), &n), PROTO_E_OK);
	CHECK_EQ_INT(proto_handover_open(sealed, n, &fx.carol, "d_carol", fx.alice_dev, fx.alice.sign_pk, fx.thread, carol), PROTO_E_OK);
	len[5] = enc(&s, "after carol joined", env[5]);
	for (i = 0; i < 5; i++)
		CHECK_EQ_INT(dec(carol, env[i], len[i], text, sizeof(text)), PROTO_E_BEFORE_SESSION);
	CHECK_EQ_INT(dec(carol, env[5], len[5], text, sizeof(text)), PROTO_E_OK);
	CHECK_EQ_STR(text, "after carol joined");
	inbound_free(carol);
}

static void reject_too_far_jump(void)
{
	unsigned char far[512], edge[512], old[512];
	struct proto_inbound *in = inbound_new(), *keep = inbound_new();
	char text[64];
	size_t nf, ne, no;

	setup();
	bob_inbound_at(in, fx.thread, 0);
	nf = enc_at(PROTO_MAX_JUMP + 1, "too far", far);
	ne = enc_at(PROTO_MAX_JUMP, "just far enough", edge);
	memcpy(keep, in, sizeof(*in));
	CHECK_EQ_INT(dec(in, far, nf, text, sizeof(text)), PROTO_E_TOO_FAR);
	CHECK(memcmp(in, keep, sizeof(*in)) == 0);
	CHECK_EQ_INT(dec(in, edge, ne, text, sizeof(text)), PROTO_E_OK);
	CHECK_EQ_STR(text, "just far enough");
	/* 25,000 skipped, only the newest 2,000 kept */
	CHECK_EQ_INT(in->n_skipped, PROTO_MAX_SKIPPED);
	CHECK_EQ_INT(in->skipped[0].index, PROTO_MAX_JUMP - PROTO_MAX_SKIPPED);
	CHECK_EQ_INT(in->discarded_below, PROTO_MAX_JUMP - PROTO_MAX_SKIPPED);
	no = enc_at(PROTO_MAX_JUMP - PROTO_MAX_SKIPPED - 1, "dropped", old);
	CHECK_EQ_INT(dec(in, old, no, text, sizeof(text)), PROTO_E_KEY_DISCARDED);
	no = enc_at(PROTO_MAX_JUMP - PROTO_MAX_SKIPPED, "kept", old);
	CHECK_EQ_INT(dec(in, old, no, text, sizeof(text)), PROTO_E_OK);
	CHECK_EQ_STR(text, "kept");
	/* the far one is now within reach of the new position */
	CHECK_EQ_INT(dec(in, far, nf, text, sizeof(text)), PROTO_E_OK);
	CHECK_EQ_STR(text, "too far");
	inbound_free(in);
	inbound_free(keep);
}

static void skipped_key_cap(void)
{
	unsigned char env[512];
	struct proto_inbound *in = inbound_new();
	char text[64];
	size_t n;

	setup();
	bob_inbound_at(in, fx.thread, 0);
	/* skip 0..1499, then 1501..2499: 2,499 skipped, the 499 oldest evicted */
	n = enc_at(1500, "a", env);
	CHECK_EQ_INT(dec(in, env, n, text, sizeof(text)), PROTO_E_OK);
	CHECK_EQ_INT(in->n_skipped, 1500);
	CHECK_EQ_INT(in->discarded_below, 0);
	n = enc_at(2500, "b", env);
	CHECK_EQ_INT(dec(in, env, n, text, sizeof(text)), PROTO_E_OK);
	CHECK_EQ_INT(in->n_skipped, PROTO_MAX_SKIPPED);
	CHECK_EQ_INT(in->skipped[0].index, 499);
	CHECK_EQ_INT(in->skipped[PROTO_MAX_SKIPPED - 1].index, 2499);
	CHECK_EQ_INT(in->discarded_below, 499);
	n = enc_at(0, "evicted", env);
	CHECK_EQ_INT(dec(in, env, n, text, sizeof(text)), PROTO_E_KEY_DISCARDED);
	n = enc_at(498, "evicted", env);
	CHECK_EQ_INT(dec(in, env, n, text, sizeof(text)), PROTO_E_KEY_DISCARDED);
	n = enc_at(499, "oldest kept", env);
	CHECK_EQ_INT(dec(in, env, n, text, sizeof(text)), PROTO_E_OK);
	CHECK_EQ_STR(text, "oldest kept");
	n = enc_at(2499, "newest kept", env);
	CHECK_EQ_INT(dec(in, env, n, text, sizeof(text)), PROTO_E_OK);
	CHECK_EQ_INT(in->n_skipped, PROTO_MAX_SKIPPED - 2);
	/* the state with a full key list survives a save/load */
	{
		static unsigned char st[PROTO_INBOUND_STATE_MAX];
		struct proto_inbound *back = inbound_new();
		size_t sn = 0;
		CHECK_EQ_INT(proto_inbound_save(in, st, sizeof(st), &sn), PROTO_E_OK);
		CHECK_EQ_INT(sn, 3 + 1 + strlen(fx.thread) + 1 + strlen(fx.alice_dev) + 32 + 16 + 32 + 16 + (PROTO_MAX_SKIPPED - 2) * 36);
		CHECK_EQ_INT(proto_inbound_load(back, st, sn), PROTO_E_OK);
		CHECK(memcmp(back, in, sizeof(*in)) == 0);
		inbound_free(back);
	}
	inbound_free(in);
}

static void reject_truncated_and_oversized_envelopes(void)
{
	static unsigned char env[PROTO_ENVELOPE_MAX + 2];
	unsigned char good[1024];
	struct proto_envelope e;
	struct proto_inbound *in = inbound_new();
	char text[64];
	size_t n, i, tl, clen_off;

	setup();
	tl = strlen(fx.thread);
	bob_inbound_at(in, fx.thread, 0);
	n = vhex("envelope", "envelope", NULL, good, sizeof(good));
	for (i = 0; i < n; i++) {
		memcpy(env, good, n);
		CHECK_EQ_INT(proto_envelope_decode(env, i, &e), PROTO_E_MALFORMED);
		CHECK_EQ_INT(dec(in, env, i, text, sizeof(text)), PROTO_E_MALFORMED);
	}
	memcpy(env, good, n);
	env[n] = 0;
	CHECK_EQ_INT(proto_envelope_decode(env, n + 1, &e), PROTO_E_MALFORMED); /* trailing byte */
	CHECK_EQ_INT(proto_envelope_decode(env, PROTO_ENVELOPE_MAX + 1, &e), PROTO_E_TOO_LARGE);
	CHECK_EQ_INT(dec(in, env, PROTO_ENVELOPE_MAX + 1, text, sizeof(text)), PROTO_E_TOO_LARGE);
	/* field by field */
	env[0] = 'Q';
	CHECK_EQ_INT(proto_envelope_decode(env, n, &e), PROTO_E_MALFORMED);
	memcpy(env, good, n);
	env[2] = 2; /* a session-key type */
	CHECK_EQ_INT(proto_envelope_decode(env, n, &e), PROTO_E_MALFORMED);
	memcpy(env, good, n);
	env[3] = 0; /* empty thread id */
	CHECK_EQ_INT(proto_envelope_decode(env, n, &e), PROTO_E_MALFORMED);
	env[3] = PROTO_ID_MAX + 1;
	CHECK_EQ_INT(proto_envelope_decode(env, n, &e), PROTO_E_MALFORMED);
	env[3] = 0xff;
	CHECK_EQ_INT(proto_envelope_decode(env, n, &e), PROTO_E_MALFORMED);
	memcpy(env, good, n);
	env[4] = ' '; /* not an id byte */
	CHECK_EQ_INT(proto_envelope_decode(env, n, &e), PROTO_E_MALFORMED);
	memcpy(env, good, n);
	env[4 + tl] = (unsigned char)(strlen(fx.alice_dev) + 40); /* device length overruns */
	CHECK_EQ_INT(proto_envelope_decode(env, n, &e), PROTO_E_MALFORMED);
	memcpy(env, good, n);
	memset(env + 4 + tl + 1 + strlen(fx.alice_dev) + 16, 0xff, 4); /* index 0xFFFFFFFF */
	CHECK_EQ_INT(proto_envelope_decode(env, n, &e), PROTO_E_MALFORMED);
	clen_off = 4 + tl + 1 + strlen(fx.alice_dev) + 16 + 4 + 24;
	memcpy(env, good, n);
	memset(env + clen_off, 0xff, 4); /* ciphertext length beyond the buffer */
	CHECK_EQ_INT(proto_envelope_decode(env, n, &e), PROTO_E_MALFORMED);
	memcpy(env + clen_off, "\x00\x00\x00\x0f", 4); /* shorter than a tag */
	CHECK_EQ_INT(proto_envelope_decode(env, n, &e), PROTO_E_MALFORMED);
	memcpy(env, good, n);
	env[clen_off + 3]++; /* one more than there is */
	CHECK_EQ_INT(proto_envelope_decode(env, n, &e), PROTO_E_MALFORMED);
	env[clen_off + 3] -= 2; /* one less: a trailing byte after the signature */
	CHECK_EQ_INT(proto_envelope_decode(env, n, &e), PROTO_E_MALFORMED);
	memcpy(env, good, n);
	CHECK_EQ_INT(proto_envelope_decode(env, n, &e), PROTO_E_OK);
	CHECK_EQ_INT(proto_envelope_decode(NULL, n, &e), PROTO_E_INVALID_ARG);
	inbound_free(in);
}

static void reject_version_mismatch(void)
{
	unsigned char env[1024], st[1024];
	struct proto_envelope e;
	struct proto_inbound *in = inbound_new();
	struct proto_outbound s;
	char text[64];
	size_t n, sn;

	setup();
	bob_inbound_at(in, fx.thread, 0);
	n = vhex("envelope", "envelope", NULL, env, sizeof(env));
	env[1] = 2;
	CHECK_EQ_INT(proto_envelope_decode(env, n, &e), PROTO_E_VERSION);
	resign(env, n, fx.alice.sign_sk); /* signed or not, a v2 envelope is not read as v1 */
	CHECK_EQ_INT(dec(in, env, n, text, sizeof(text)), PROTO_E_VERSION);
	env[1] = 0;
	CHECK_EQ_INT(proto_envelope_decode(env, n, &e), PROTO_E_VERSION);
	sn = vhex("outbound_state", "bytes", NULL, st, sizeof(st));
	st[1] = 2;
	CHECK_EQ_INT(proto_outbound_load(&s, st, sn), PROTO_E_VERSION);
	sn = vhex("inbound_state", "bytes", NULL, st, sizeof(st));
	st[1] = 2;
	CHECK_EQ_INT(proto_inbound_load(in, st, sn), PROTO_E_VERSION);
	inbound_free(in);
}

static void decrypt_failure_keeps_state(void)
{
	unsigned char env[512];
	struct proto_inbound *in = inbound_new(), *keep = inbound_new();
	struct proto_outbound s;
	char text[64];
	size_t n;

	setup();
	bob_inbound_at(in, fx.thread, 0);
	memcpy(keep, in, sizeof(*in));
	/* a sender that signs a ciphertext made with a wrong key: verified, but does not authenticate */
	outbound_at(&s, fx.thread, 3);
	s.chain_key[0] ^= 1;
	n = enc(&s, "wrong key", env);
	CHECK_EQ_INT(dec(in, env, n, text, sizeof(text)), PROTO_E_DECRYPT);
	CHECK(memcmp(in, keep, sizeof(*in)) == 0);
	CHECK_EQ_STR(text, "");
	/* the real index 3 still opens afterwards, keeping 0..2 */
	n = enc_at(3, "right key", env);
	CHECK_EQ_INT(dec(in, env, n, text, sizeof(text)), PROTO_E_OK);
	CHECK_EQ_INT(in->n_skipped, 3);
	inbound_free(in);
	inbound_free(keep);
}

static void rotation_rules(void)
{
	unsigned char env[512], h[32], h2[32];
	const char *ids[2];
	struct proto_outbound s;
	unsigned reasons = 99;
	int i;
	const int64_t t0 = 1704067200000LL;

	setup();
	ids[0] = fx.alice_dev;
	ids[1] = fx.bob_dev;
	CHECK_EQ_INT(proto_recipients_hash(ids, 2, h), PROTO_E_OK);
	CHECK_EQ_INT(proto_outbound_new(&s, fx.thread, fx.alice_dev, h, t0), PROTO_E_OK);
	CHECK_EQ_INT(proto_outbound_must_rotate(&s, t0, h, &reasons), PROTO_E_OK);
	CHECK_EQ_INT(reasons, 0);
	for (i = 0; i < (int)PROTO_ROTATE_MESSAGES - 1; i++)
		enc(&s, "m", env);
	CHECK_EQ_INT(proto_outbound_must_rotate(&s, t0, h, &reasons), PROTO_E_OK);
	CHECK_EQ_INT(reasons, 0);
	enc(&s, "the 100th", env);
	CHECK_EQ_INT(proto_outbound_must_rotate(&s, t0, h, &reasons), PROTO_E_OK);
	CHECK_EQ_INT(reasons, PROTO_ROTATE_COUNT);
	CHECK_EQ_INT(proto_outbound_new(&s, fx.thread, fx.alice_dev, h, t0), PROTO_E_OK);
	CHECK_EQ_INT(proto_outbound_must_rotate(&s, t0 + PROTO_ROTATE_AGE_MS - 1, h, &reasons), PROTO_E_OK);
	CHECK_EQ_INT(reasons, 0);
	CHECK_EQ_INT(proto_outbound_must_rotate(&s, t0 + PROTO_ROTATE_AGE_MS, h, &reasons), PROTO_E_OK);
	CHECK_EQ_INT(reasons, PROTO_ROTATE_AGE);
	CHECK_EQ_INT(proto_outbound_must_rotate(&s, t0 - 1, h, &reasons), PROTO_E_OK);
	CHECK_EQ_INT(reasons, PROTO_ROTATE_AGE);
	/* a device joins (or leaves): the set hash differs */
	ids[1] = "d_bobsNewPhone";
	CHECK_EQ_INT(proto_recipients_hash(ids, 2, h2), PROTO_E_OK);
	CHECK_EQ_INT(proto_outbound_must_rotate(&s, t0, h2, &reasons), PROTO_E_OK);
	CHECK_EQ_INT(reasons, PROTO_ROTATE_RECIPIENTS);
	CHECK_EQ_INT(proto_recipients_hash(ids, 1, h2), PROTO_E_OK);
	CHECK_EQ_INT(proto_outbound_must_rotate(&s, t0 + PROTO_ROTATE_AGE_MS, h2, &reasons), PROTO_E_OK);
	CHECK_EQ_INT(reasons, PROTO_ROTATE_AGE | PROTO_ROTATE_RECIPIENTS);
	/* a new session is fresh and has its own ids and keys */
	{
		struct proto_outbound t;
		CHECK_EQ_INT(proto_outbound_new(&t, fx.thread, fx.alice_dev, h2, t0), PROTO_E_OK);
		CHECK(memcmp(t.session_id, s.session_id, 16) != 0 && memcmp(t.chain_key, s.chain_key, 32) != 0);
	}
	CHECK_EQ_INT(proto_outbound_must_rotate(NULL, t0, h, &reasons), PROTO_E_INVALID_ARG);
}

static void state_load_rejects(void)
{
	unsigned char good[PROTO_INBOUND_STATE_MAX], st[PROTO_INBOUND_STATE_MAX + 1];
	struct proto_inbound *in = inbound_new(), *keep = inbound_new();
	struct proto_outbound s, so;
	size_t n, i, hdr;

	setup();
	/* outbound: every truncation, a trailing byte, too large; *s untouched on error */
	n = vhex("outbound_state", "bytes", NULL, good, sizeof(good));
	memset(&s, 0x33, sizeof(s));
	so = s;
	for (i = 0; i < n; i++)
		CHECK(proto_outbound_load(&s, good, i) != PROTO_E_OK);
	memcpy(st, good, n);
	st[n] = 0;
	CHECK_EQ_INT(proto_outbound_load(&s, st, n + 1), PROTO_E_MALFORMED);
	CHECK_EQ_INT(proto_outbound_load(&s, st, PROTO_OUTBOUND_STATE_MAX + 1), PROTO_E_TOO_LARGE);
	st[2] = 0x11; /* an inbound type */
	CHECK_EQ_INT(proto_outbound_load(&s, st, n), PROTO_E_MALFORMED);
	CHECK(memcmp(&s, &so, sizeof(s)) == 0);
	CHECK_EQ_INT(PROTO_OUTBOUND_STATE_MAX, 225);

	/* inbound */
	n = vhex("inbound_state", "bytes", NULL, good, sizeof(good));
	memset(in, 0x44, sizeof(*in));
	memcpy(keep, in, sizeof(*in));
	for (i = 0; i < n; i++)
		CHECK(proto_inbound_load(in, good, i) != PROTO_E_OK);
	memcpy(st, good, n);
	st[n] = 0;
	CHECK_EQ_INT(proto_inbound_load(in, st, n + 1), PROTO_E_MALFORMED);
	CHECK_EQ_INT(proto_inbound_load(in, st, PROTO_INBOUND_STATE_MAX + 1), PROTO_E_TOO_LARGE);
	hdr = 3 + 1 + strlen(fx.thread) + 1 + strlen(fx.alice_dev) + 32 + 16 + 32; /* start of the four u32 */
	memcpy(st, good, n);
	memcpy(st + hdr, "\x00\x00\x00\x05", 4); /* start 5 > next 4 */
	CHECK_EQ_INT(proto_inbound_load(in, st, n), PROTO_E_MALFORMED);
	memcpy(st, good, n);
	memcpy(st + hdr + 8, "\x00\x00\x00\x05", 4); /* discarded_below 5 > next 4 */
	CHECK_EQ_INT(proto_inbound_load(in, st, n), PROTO_E_MALFORMED);
	memcpy(st, good, n);
	memcpy(st + hdr + 12, "\x00\x00\x07\xd1", 4); /* 2001 skipped keys */
	CHECK_EQ_INT(proto_inbound_load(in, st, n), PROTO_E_MALFORMED);
	memcpy(st, good, n);
	memcpy(st + hdr + 12, "\xff\xff\xff\xff", 4); /* a huge count must not overflow the length check */
	CHECK_EQ_INT(proto_inbound_load(in, st, n), PROTO_E_MALFORMED);
	memcpy(st, good, n);
	memcpy(st + hdr + 16 + 36, "\x00\x00\x00\x00", 4); /* skipped indices 0, 0, 2: not ascending */
	CHECK_EQ_INT(proto_inbound_load(in, st, n), PROTO_E_MALFORMED);
	memcpy(st, good, n);
	memcpy(st + hdr + 16 + 72, "\x00\x00\x00\x04", 4); /* a skipped index >= next */
	CHECK_EQ_INT(proto_inbound_load(in, st, n), PROTO_E_MALFORMED);
	CHECK(memcmp(in, keep, sizeof(*in)) == 0);
	CHECK_EQ_INT(PROTO_INBOUND_STATE_MAX, 72229);
	CHECK_EQ_INT(proto_inbound_load(in, good, n), PROTO_E_OK);
	/* saving refuses an inconsistent session */
	in->start_index = 9;
	CHECK_EQ_INT(proto_inbound_save(in, st, sizeof(st), &n), PROTO_E_INVALID_ARG);
	inbound_free(in);
	inbound_free(keep);
}

static void errors_have_messages(void)
{
	int e;
	for (e = 0; e < PROTO_E__COUNT; e++)
		CHECK(strlen(proto_strerror(e)) > 5);
	CHECK_EQ_STR(proto_strerror(PROTO_E__COUNT), "unknown error");
	CHECK_EQ_STR(proto_strerror(-1), "unknown error");
	CHECK_EQ_INT(PROTO_E_OK, 0);
	CHECK_EQ_INT(PROTO_ENVELOPE_MAX, 65285);
	CHECK_EQ_INT(PROTO_HANDOVER_PAYLOAD_MAX, 314);
}

static const struct unit_case cases[] = {
	{"vector_device_keys_and_registration", vector_device_keys_and_registration},
	{"vector_fingerprint", vector_fingerprint},
	{"vector_chain", vector_chain},
	{"vector_envelope_encrypt", vector_envelope_encrypt},
	{"vector_envelope_decode", vector_envelope_decode},
	{"vector_session_key_payload_and_decrypt", vector_session_key_payload_and_decrypt},
	{"vector_recipients_hash", vector_recipients_hash},
	{"vector_stored_states", vector_stored_states},
	{"handover_seal_open_round_trip", handover_seal_open_round_trip},
	{"handover_payload_tampering", handover_payload_tampering},
	{"round_trip_in_and_out_of_order", round_trip_in_and_out_of_order},
	{"envelope_limits", envelope_limits},
	{"reject_replay", reject_replay},
	{"reject_bad_signature", reject_bad_signature},
	{"reject_moved_thread", reject_moved_thread},
	{"reject_moved_sender", reject_moved_sender},
	{"reject_unknown_session", reject_unknown_session},
	{"reject_before_session", reject_before_session},
	{"reject_too_far_jump", reject_too_far_jump},
	{"skipped_key_cap", skipped_key_cap},
	{"reject_truncated_and_oversized_envelopes", reject_truncated_and_oversized_envelopes},
	{"reject_version_mismatch", reject_version_mismatch},
	{"decrypt_failure_keeps_state", decrypt_failure_keeps_state},
	{"rotation_rules", rotation_rules},
	{"state_load_rejects", state_load_rejects},
	{"errors_have_messages", errors_have_messages},
};

UNIT_MAIN("proto", cases)
