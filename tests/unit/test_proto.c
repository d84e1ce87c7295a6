/*
 * test_proto.c — the end-to-end encryption protocol, version 2 (src/proto/proto*.c), against the fixed vectors
 * of tests/vectors/proto_v2.json, which an independent Python implementation of docs/protocol.md produced
 * (tests/vectors/gen_proto_vectors.py): every deterministic structure byte for byte, the randomised ones
 * (identity box) by round trip; then every rejection rule, the limits, the membership-chain rules and the
 * round trips. Runs from the repository root (the vectors are opened by relative path).
 */
#include "unit.h"

#include "b64url.h"
#include "proto.h"
#include "proto_internal.h"

#include <jansson.h>
#include <sodium.h>

#include "banned.h" /* last: bans footguns in this file only */

#define VECTORS "tests/vectors/proto_v2.json"

static struct {
	json_t *v;
	struct proto_device_keys alice, bob, carol, mallory, alice_new;
	struct proto_identity alice_id, bob_id;
	const char *user, *bob_user, *thread, *alice_dev, *bob_dev, *alice_new_dev;
	unsigned char ck0[32], sid[16], nonce[24], head[32];
	/* Bob's prekeys (secret and public halves) and their ids */
	unsigned char spk_sk[32], spk[32], opk_sk[32], opk[32];
	uint32_t spk_id, opk_id;
} fx;

/* ---- helpers ---- */

static json_t *vget(const char *a, const char *b, const char *c)
{
	json_t *j = json_object_get(fx.v, a);
	if (b)
		j = json_object_get(j, b);
	if (c)
		j = json_object_get(j, c);
	if (j == NULL) {
		fprintf(stderr, "  vector %s.%s.%s missing\n", a, b ? b : "", c ? c : "");
		_exit(1);
	}
	return j;
}

static const char *vstr(const char *a, const char *b, const char *c)
{
	json_t *j = vget(a, b, c);
	if (!json_is_string(j)) {
		fprintf(stderr, "  vector %s.%s.%s is not a string\n", a, b ? b : "", c ? c : "");
		_exit(1);
	}
	return json_string_value(j);
}

static long long vint(const char *a, const char *b, const char *c)
{
	json_t *j = vget(a, b, c);
	CHECK(json_is_integer(j));
	return (long long)json_integer_value(j);
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
	fx.bob_user = vstr("ids", "bob_user_id", NULL);
	fx.thread = vstr("ids", "thread_id", NULL);
	fx.alice_dev = vstr("ids", "alice_device_id", NULL);
	fx.bob_dev = vstr("ids", "bob_device_id", NULL);
	fx.alice_new_dev = vstr("ids", "alice_new_device_id", NULL);
	vhex_exact("devices", "alice", "sign_seed", s1, 32);
	vhex_exact("devices", "alice", "box_seed", s2, 32);
	CHECK(pst__proto_device_keys_from_seeds(&fx.alice, s1, s2) == PROTO_E_OK);
	vhex_exact("devices", "bob", "sign_seed", s1, 32);
	vhex_exact("devices", "bob", "box_seed", s2, 32);
	CHECK(pst__proto_device_keys_from_seeds(&fx.bob, s1, s2) == PROTO_E_OK);
	vhex_exact("devices", "alice_new", "sign_seed", s1, 32);
	vhex_exact("devices", "alice_new", "box_seed", s2, 32);
	CHECK(pst__proto_device_keys_from_seeds(&fx.alice_new, s1, s2) == PROTO_E_OK);
	vhex_exact("identities", "alice", "seed", s1, 32);
	CHECK(proto_identity_from_seed(&fx.alice_id, s1) == PROTO_E_OK);
	vhex_exact("identities", "bob", "seed", s1, 32);
	CHECK(proto_identity_from_seed(&fx.bob_id, s1) == PROTO_E_OK);
	CHECK(proto_device_keygen(&fx.carol) == PROTO_E_OK);
	CHECK(proto_device_keygen(&fx.mallory) == PROTO_E_OK);
	vhex_exact("chain", "chain_key_0", NULL, fx.ck0, 32);
	vhex_exact("envelope", "session_id", NULL, fx.sid, 16);
	vhex_exact("envelope", "nonce", NULL, fx.nonce, 24);
	vhex_exact("envelope", "head", NULL, fx.head, 32);
	vhex_exact("handover", "spk_sk", NULL, fx.spk_sk, 32);
	vhex_exact("handover", "opk_sk", NULL, fx.opk_sk, 32);
	CHECK(crypto_scalarmult_base(fx.spk, fx.spk_sk) == 0);
	CHECK(crypto_scalarmult_base(fx.opk, fx.opk_sk) == 0);
	fx.spk_id = (uint32_t)vint("handover", "spk_id", NULL);
	fx.opk_id = (uint32_t)vint("handover", "opk_id", NULL);
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

static struct proto_statement *statement_new(void)
{
	struct proto_statement *st = calloc(1, sizeof(*st));
	CHECK(st != NULL);
	return st;
}

static struct proto_chain *chain_new(void)
{
	struct proto_chain *c = calloc(1, sizeof(*c));
	CHECK(c != NULL);
	proto_chain_init(c);
	return c;
}

/* Alice's vector session (thread, session id, ck0, the vector head) moved to index k. */
static void outbound_at(struct proto_outbound *s, const char *thread, uint32_t k)
{
	unsigned char ck[32], h[32] = {0};
	uint32_t i;
	memcpy(ck, fx.ck0, 32);
	for (i = 0; i < k; i++)
		CHECK(pst__proto_chain_step(ck, NULL, ck) == PROTO_E_OK);
	CHECK(pst__proto_outbound_init(s, thread, fx.alice_dev, fx.sid, ck, k, h, 0) == PROTO_E_OK);
	memcpy(s->head, fx.head, 32);
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
	int rc = proto_decrypt(in, 1, fx.thread, fx.alice_dev, env, n, (unsigned char *)text, cap - 1, &got, NULL, NULL);
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

/* Seal s to Bob with his vector prekeys (the one-time one when with_opk). */
static size_t seal_to_bob(const struct proto_outbound *s, int with_opk, unsigned char *out, size_t cap)
{
	size_t n = 0;
	CHECK_EQ_INT(proto_handover_seal(s, fx.alice.sign_sk, fx.bob_dev, fx.bob.box_pk, fx.spk_id, fx.spk,
					 with_opk ? fx.opk_id : 0, with_opk ? fx.opk : NULL, out, cap, &n),
		     PROTO_E_OK);
	return n;
}

/* Bob opens a hand-over from Alice's device (the one-time secret when with_opk). */
static int open_as_bob(const unsigned char *sealed, size_t n, int with_opk, const char *thread, struct proto_inbound *in,
		       unsigned char *head)
{
	return proto_handover_open(sealed, n, &fx.bob, fx.spk_sk, with_opk ? fx.opk_sk : NULL, fx.bob_dev, fx.alice_dev,
				   fx.alice.sign_pk, thread, in, head);
}

/* ---- statements: the vector's fields, its signer, comparison ---- */

static void copy_id(char *dst, json_t *o, const char *name)
{
	json_t *j = json_object_get(o, name);
	if (j) {
		CHECK(json_is_string(j) && strlen(json_string_value(j)) <= PROTO_ID_MAX);
		snprintf(dst, PROTO_ID_MAX + 1, "%s", json_string_value(j));
	}
}

static void copy_hex(unsigned char *dst, size_t want, json_t *o, const char *name)
{
	json_t *j = json_object_get(o, name);
	size_t n = 0;
	if (j) {
		CHECK(json_is_string(j));
		CHECK(sodium_hex2bin(dst, want, json_string_value(j), strlen(json_string_value(j)), NULL, &n, NULL) == 0);
		CHECK_EQ_INT(n, want);
	}
}

static uint64_t opt_int(json_t *o, const char *name)
{
	json_t *j = json_object_get(o, name);
	return j ? (uint64_t)json_integer_value(j) : 0;
}

/* The statement named `name` of the vectors, as the struct proto_statement_sign takes. */
static void statement_from_vector(const char *name, struct proto_statement *st)
{
	json_t *o = vget("statements", name, NULL), *ids;
	size_t i;

	memset(st, 0, sizeof(*st));
	st->type = (unsigned)opt_int(o, "type");
	copy_id(st->user_id, o, "user_id");
	copy_id(st->username, o, "username");
	copy_id(st->device_id, o, "device_id");
	copy_id(st->thread_id, o, "thread_id");
	copy_id(st->client_id, o, "client_id");
	copy_id(st->grant_id, o, "grant_id");
	copy_id(st->actor_user_id, o, "actor_user_id");
	copy_id(st->actor_device_id, o, "actor_device_id");
	copy_hex(st->key, 32, o, "key");
	copy_hex(st->key2, 32, o, "key2");
	copy_hex(st->prev, 32, o, "prev");
	copy_hex(st->nonce, 16, o, "nonce");
	st->op = (unsigned)opt_int(o, "op");
	st->kind = (unsigned)opt_int(o, "kind");
	st->key_id = (uint32_t)opt_int(o, "key_id");
	st->at_ms = opt_int(o, "at");
	st->expires_ms = opt_int(o, "expires_ms");
	ids = json_object_get(o, "ids");
	st->n_ids = json_array_size(ids);
	CHECK(st->n_ids <= PROTO_IDS_MAX);
	for (i = 0; i < st->n_ids; i++)
		snprintf(st->ids[i], PROTO_ID_MAX + 1, "%s", json_string_value(json_array_get(ids, i)));
}

/* The statement's vector bytes into out; returns the length. */
static size_t statement_bytes(const char *name, unsigned char *out, size_t cap)
{
	return vhex("statements", name, "bytes", out, cap);
}

/* The secret key that signs statement `name`, and its public half. */
static const unsigned char *signer_sk(const char *name, const unsigned char **pk)
{
	const char *who = vstr("statements", name, "signer");
	if (strcmp(who, "alice_identity") == 0)
		return *pk = fx.alice_id.pk, fx.alice_id.sk;
	if (strcmp(who, "bob_identity") == 0)
		return *pk = fx.bob_id.pk, fx.bob_id.sk;
	if (strcmp(who, "alice_device") == 0)
		return *pk = fx.alice.sign_pk, fx.alice.sign_sk;
	if (strcmp(who, "bob_device") == 0)
		return *pk = fx.bob.sign_pk, fx.bob.sign_sk;
	fprintf(stderr, "  unknown signer %s\n", who);
	_exit(1);
}

/* Every field of two decoded statements (not signed_len and sig). */
static void check_statement_fields(const struct proto_statement *a, const struct proto_statement *b)
{
	size_t i;
	CHECK_EQ_INT(a->type, b->type);
	CHECK_EQ_STR(a->user_id, b->user_id);
	CHECK_EQ_STR(a->username, b->username);
	CHECK_EQ_STR(a->device_id, b->device_id);
	CHECK_EQ_STR(a->thread_id, b->thread_id);
	CHECK_EQ_STR(a->client_id, b->client_id);
	CHECK_EQ_STR(a->grant_id, b->grant_id);
	CHECK_EQ_STR(a->actor_user_id, b->actor_user_id);
	CHECK_EQ_STR(a->actor_device_id, b->actor_device_id);
	CHECK(memcmp(a->key, b->key, 32) == 0);
	CHECK(memcmp(a->key2, b->key2, 32) == 0);
	CHECK(memcmp(a->prev, b->prev, 32) == 0);
	CHECK(memcmp(a->nonce, b->nonce, 16) == 0);
	CHECK_EQ_INT(a->op, b->op);
	CHECK_EQ_INT(a->kind, b->kind);
	CHECK_EQ_INT(a->key_id, b->key_id);
	CHECK_EQ_INT(a->at_ms, b->at_ms);
	CHECK_EQ_INT(a->expires_ms, b->expires_ms);
	CHECK_EQ_INT(a->n_ids, b->n_ids);
	for (i = 0; i < a->n_ids; i++)
		CHECK_EQ_STR(a->ids[i], b->ids[i]);
}

/* Every statement of the vectors, by name. */
static const char *const statement_names[] = {
	"identity", "device_cert", "device_revoke", "prekey_signed", "prekey_one_time", "contact",
	"link_create", "link_add", "link_remove", "app_auth", "app_revoke", "app_consent",
};
#define N_STATEMENTS (sizeof(statement_names) / sizeof(statement_names[0]))

/*
 * A link signed by dev (any key: chain_apply does not verify) over prev, made by actor, of the given
 * users; parsed into *st and hashed into hash. Returns what proto_statement_sign returned.
 */
static int make_link(struct proto_statement *st, unsigned char hash[32], const unsigned char prev[32], unsigned op,
		     unsigned kind, const char *actor, const char *const *users, size_t n)
{
	static unsigned char buf[PROTO_STATEMENT_MAX];
	size_t len = 0, i;
	int rc;

	memset(st, 0, sizeof(*st));
	st->type = PROTO_ST_LINK;
	memcpy(st->prev, prev, 32);
	randombytes_buf(st->nonce, sizeof(st->nonce));
	st->op = op;
	st->kind = kind;
	snprintf(st->actor_user_id, sizeof(st->actor_user_id), "%s", actor);
	snprintf(st->actor_device_id, sizeof(st->actor_device_id), "d_of_%s", actor);
	st->n_ids = n;
	for (i = 0; i < n; i++)
		snprintf(st->ids[i], sizeof(st->ids[i]), "%s", users[i]);
	st->at_ms = 1704067200000ULL;
	rc = proto_statement_sign(st, fx.alice.sign_sk, buf, sizeof(buf), &len);
	if (rc != PROTO_E_OK)
		return rc;
	CHECK_EQ_INT(proto_statement_parse(buf, len, PROTO_ST_LINK, st), PROTO_E_OK);
	CHECK_EQ_INT(proto_statement_hash(buf, len, hash), PROTO_E_OK);
	return PROTO_E_OK;
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
	vhex_exact("devices", "alice_new", "box_pk", pk, 32);
	CHECK(memcmp(pk, fx.alice_new.box_pk, 32) == 0);
	vhex_exact("identities", "alice", "pk", pk, 32);
	CHECK(memcmp(pk, fx.alice_id.pk, 32) == 0);
	vhex_exact("identities", "bob", "pk", pk, 32);
	CHECK(memcmp(pk, fx.bob_id.pk, 32) == 0);

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
	steps = vget("chain", "steps", NULL);
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
	unsigned char env[PROTO_ENVELOPE_MAX], want[1024], pt[256], ck[32], zero[32] = {0};
	char text[PROTO_ENVELOPE_MAX * 2];
	struct proto_outbound s;
	size_t n = 0, wn, pn;

	setup();
	CHECK_EQ_STR(vstr("envelope", "thread_id", NULL), fx.thread);
	CHECK(memcmp(fx.head, zero, 32) != 0); /* the vector binds a real chain head */
	vhex_exact("envelope", "chain_key", NULL, ck, 32);
	CHECK(pst__proto_outbound_init(&s, fx.thread, fx.alice_dev, fx.sid, ck, 3, ck, 0) == PROTO_E_OK);
	CHECK(memcmp(s.head, zero, 32) == 0);
	memcpy(s.head, fx.head, 32);
	pn = vhex("envelope", "plaintext", NULL, pt, sizeof(pt));
	CHECK_EQ_INT(pst__proto_encrypt_with_nonce(&s, fx.alice.sign_sk, fx.nonce, pt, pn, env, sizeof(env), &n), PROTO_E_OK);
	wn = vhex("envelope", "envelope", NULL, want, sizeof(want));
	CHECK_EQ_INT(n, wn);
	CHECK(memcmp(env, want, n) == 0);
	CHECK_EQ_INT(n, PROTO_ENVELOPE_OVERHEAD(strlen(fx.thread), strlen(fx.alice_dev)) + pn);
	CHECK_EQ_INT(n, pn + 165 + strlen(fx.thread) + strlen(fx.alice_dev)); /* §5: plaintext + 165 + T + D */
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
	CHECK_EQ_INT(e.version, 2);
	CHECK_EQ_INT(e.type, 1);
	CHECK_EQ_STR(e.thread_id, fx.thread);
	CHECK_EQ_STR(e.sender_device_id, fx.alice_dev);
	CHECK(memcmp(e.head, fx.head, 32) == 0);
	CHECK(memcmp(e.session_id, fx.sid, 16) == 0);
	CHECK_EQ_INT(e.index, 3);
	CHECK(memcmp(e.nonce, fx.nonce, 24) == 0);
	wn = vhex("envelope", "associated_data", NULL, want, sizeof(want));
	CHECK_EQ_INT(e.header_len, wn);
	CHECK_EQ_INT(e.header_len, 85 + strlen(fx.thread) + strlen(fx.alice_dev));
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
	unsigned char payload[PROTO_HANDOVER_PAYLOAD_MAX], want[512], env[1024], pt[256], head[32];
	unsigned char state[PROTO_INBOUND_STATE_MAX];
	struct proto_inbound *in = inbound_new();
	struct proto_outbound s;
	struct proto_envelope info;
	char text[512];
	size_t n = 0, wn, en, pn, sn = 0, got = 0, which = 9;

	setup();
	outbound_at(&s, fx.thread, 0);
	CHECK_EQ_INT(pst__proto_handover_payload(&s, fx.alice.sign_sk, fx.bob_dev, payload, sizeof(payload), &n), PROTO_E_OK);
	wn = vhex("session_key", "payload", NULL, want, sizeof(want));
	CHECK_EQ_INT(n, wn);
	CHECK(memcmp(payload, want, n) == 0);
	CHECK_EQ_INT(n, 154 + strlen(fx.thread) + strlen(fx.alice_dev) + strlen(fx.bob_dev));
	vhex_exact("session_key", "signature", NULL, want, 64);
	CHECK(memcmp(payload + n - 64, want, 64) == 0);

	/* Bob accepts the vector payload (and learns the head) and reads the vector envelope (index 3, skipping 0..2) */
	wn = vhex("session_key", "payload", NULL, payload, sizeof(payload));
	memset(head, 0, sizeof(head));
	CHECK_EQ_INT(pst__proto_handover_accept(payload, wn, fx.bob_dev, fx.alice_dev, fx.alice.sign_pk, fx.thread, in, head),
		     PROTO_E_OK);
	CHECK(memcmp(head, fx.head, 32) == 0);
	CHECK_EQ_INT(in->start_index, 0);
	en = vhex("envelope", "envelope", NULL, env, sizeof(env));
	memset(&info, 0x77, sizeof(info));
	CHECK_EQ_INT(proto_decrypt(in, 1, fx.thread, fx.alice_dev, env, en, (unsigned char *)text, sizeof(text), &got, &which, &info),
		     PROTO_E_OK);
	pn = vhex("envelope", "plaintext", NULL, pt, sizeof(pt));
	CHECK_EQ_INT(got, pn);
	CHECK(memcmp(text, pt, pn) == 0);
	CHECK_EQ_INT(which, 0);
	/* the decoded header comes back for the reader's order and membership checks (§18) */
	CHECK(memcmp(info.head, fx.head, 32) == 0);
	CHECK_EQ_INT(info.index, 3);
	CHECK(memcmp(info.session_id, fx.sid, 16) == 0);
	CHECK(info.ciphertext == NULL);
	CHECK_EQ_INT(in->n_skipped, 3);
	CHECK_EQ_INT(in->next_index, 4);

	/* and its stored state is byte-for-byte the vector's */
	CHECK_EQ_INT(proto_inbound_save(in, state, sizeof(state), &sn), PROTO_E_OK);
	wn = vhex("inbound_state", "bytes", NULL, want, sizeof(want));
	CHECK_EQ_INT(sn, wn);
	CHECK(memcmp(state, want, sn) == 0);
	inbound_free(in);
}

/* The §17 container of the vector payload, with (1) or without (0) the one-time prekey. */
static void check_handover_vector(int with_opk)
{
	const char *which = with_opk ? "with_opk" : "without_opk";
	unsigned char sealed[PROTO_HANDOVER_SEALED_MAX], want[PROTO_HANDOVER_SEALED_MAX + 1], e_sk[32], nonce[24], head[32];
	unsigned char wrong[32], ad[256];
	struct proto_inbound *in = inbound_new(), *keep = inbound_new();
	struct proto_outbound s;
	char rcpt[PROTO_ID_MAX + 1];
	uint32_t spk_id = 0, opk_id = 99;
	size_t n = 0, wn, adn;

	setup();
	vhex_exact("handover", "e_sk", NULL, e_sk, 32);
	vhex_exact("handover", "nonce", NULL, nonce, 24);
	outbound_at(&s, fx.thread, 0);
	CHECK_EQ_INT(pst__proto_handover_seal_with(&s, fx.alice.sign_sk, fx.bob_dev, fx.bob.box_pk, fx.spk_id, fx.spk,
						   with_opk ? fx.opk_id : 0, with_opk ? fx.opk : NULL, e_sk, nonce, sealed,
						   sizeof(sealed), &n),
		     PROTO_E_OK);
	wn = vhex("handover", which, "bytes", want, sizeof(want));
	CHECK_EQ_INT(n, wn);
	CHECK(memcmp(sealed, want, n) == 0);
	adn = vhex("handover", which, "associated_data", ad, sizeof(ad));
	CHECK(memcmp(sealed, ad, adn) == 0);
	CHECK_EQ_INT(n, adn + vhex("session_key", "payload", NULL, want, sizeof(want)) + 16);

	/* the header names the recipient and the prekeys, readable without a key */
	CHECK_EQ_INT(proto_handover_peek(sealed, n, rcpt, &spk_id, &opk_id), PROTO_E_OK);
	CHECK_EQ_STR(rcpt, fx.bob_dev);
	CHECK_EQ_INT(spk_id, fx.spk_id);
	CHECK_EQ_INT(opk_id, with_opk ? fx.opk_id : 0);

	/* a wrong secret for a prekey it names: decrypt fails, *in untouched */
	memset(keep, 0x5a, sizeof(*keep));
	memcpy(in, keep, sizeof(*in));
	memcpy(wrong, with_opk ? fx.opk_sk : fx.spk_sk, 32);
	wrong[5] ^= 0x10;
	CHECK_EQ_INT(proto_handover_open(sealed, n, &fx.bob, with_opk ? fx.spk_sk : wrong, with_opk ? wrong : NULL, fx.bob_dev,
					 fx.alice_dev, fx.alice.sign_pk, fx.thread, in, head),
		     PROTO_E_DECRYPT);
	CHECK_EQ_INT(proto_handover_open(sealed, n, &fx.carol, fx.spk_sk, with_opk ? fx.opk_sk : NULL, fx.bob_dev, fx.alice_dev,
					 fx.alice.sign_pk, fx.thread, in, head),
		     PROTO_E_DECRYPT);
	/* an all-zero (low-order) ephemeral key is refused (§17), as is an altered one */
	{
		unsigned char bad[PROTO_HANDOVER_SEALED_MAX];
		size_t e_off = 3 + 1 + strlen(fx.bob_dev) + 4 + 4;
		memcpy(bad, sealed, n);
		memset(bad + e_off, 0, 32);
		CHECK_EQ_INT(open_as_bob(bad, n, with_opk, fx.thread, in, head), PROTO_E_DECRYPT);
		memcpy(bad, sealed, n);
		bad[e_off + 3] ^= 0x40;
		CHECK_EQ_INT(open_as_bob(bad, n, with_opk, fx.thread, in, head), PROTO_E_DECRYPT);
		/* the prekey ids are in the associated data */
		memcpy(bad, sealed, n);
		bad[e_off - 1] ^= 0x01; /* opk_id: 42 -> 43, or 0 -> 1 */
		CHECK_EQ_INT(proto_handover_open(bad, n, &fx.bob, fx.spk_sk, fx.opk_sk, fx.bob_dev, fx.alice_dev, fx.alice.sign_pk,
						 fx.thread, in, head), PROTO_E_DECRYPT);
	}
	/* a one-time secret for a container that names none is a caller error */
	if (!with_opk)
		CHECK_EQ_INT(proto_handover_open(sealed, n, &fx.bob, fx.spk_sk, fx.opk_sk, fx.bob_dev, fx.alice_dev, fx.alice.sign_pk,
						 fx.thread, in, head), PROTO_E_INVALID_ARG);
	CHECK(memcmp(in, keep, sizeof(*in)) == 0);

	/* Bob opens the vector bytes */
	CHECK_EQ_INT(vhex("handover", which, "bytes", want, sizeof(want)), n);
	memset(head, 0, sizeof(head));
	CHECK_EQ_INT(open_as_bob(want, n, with_opk, fx.thread, in, head), PROTO_E_OK);
	CHECK(memcmp(head, fx.head, 32) == 0);
	CHECK_EQ_STR(in->thread_id, fx.thread);
	CHECK_EQ_STR(in->sender_device_id, fx.alice_dev);
	CHECK(memcmp(in->sender_sign_pk, fx.alice.sign_pk, 32) == 0);
	CHECK(memcmp(in->session_id, fx.sid, 16) == 0 && memcmp(in->chain_key, fx.ck0, 32) == 0);
	CHECK(in->start_index == 0 && in->next_index == 0 && in->discarded_below == 0 && in->n_skipped == 0);
	/* head_out is optional */
	CHECK_EQ_INT(open_as_bob(sealed, n, with_opk, fx.thread, in, NULL), PROTO_E_OK);
	inbound_free(in);
	inbound_free(keep);
}

static void vector_handover_with_one_time_prekey(void)
{
	check_handover_vector(1);
}

static void vector_handover_signed_prekey_only(void)
{
	check_handover_vector(0);
}

static void vector_recipients_hash(void)
{
	unsigned char h[32], h2[32], want[32];
	const char *ids[3], *perm[2], *more[3];
	json_t *arr;
	size_t i;

	setup();
	arr = vget("recipients_hash", "device_ids", NULL);
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
	/* Alice's outbound after sending index 3, bound to the vector head */
	vhex_exact("recipients_hash", "hash", NULL, rh, 32);
	outbound_at(&s, fx.thread, 3);
	memcpy(s.recipients_hash, rh, 32);
	s.created_at_ms = (int64_t)vint("outbound_state", "created_at_ms", NULL);
	pn = vhex("envelope", "plaintext", NULL, pt, sizeof(pt));
	CHECK_EQ_INT(pst__proto_encrypt_with_nonce(&s, fx.alice.sign_sk, fx.nonce, pt, pn, env, sizeof(env), &m), PROTO_E_OK);
	CHECK_EQ_INT(proto_outbound_save(&s, out, sizeof(out), &n), PROTO_E_OK);
	wn = vhex("outbound_state", "bytes", NULL, want, sizeof(want));
	CHECK_EQ_INT(n, wn);
	CHECK(memcmp(out, want, n) == 0);
	CHECK_EQ_INT(n, 129 + strlen(fx.thread) + strlen(fx.alice_dev));
	memset(&t, 0, sizeof(t));
	CHECK_EQ_INT(proto_outbound_load(&t, want, wn), PROTO_E_OK);
	CHECK(memcmp(&s, &t, sizeof(s)) == 0);
	CHECK(memcmp(t.head, fx.head, 32) == 0);
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

/* Every statement type of §13: signed by C from the vector's fields, it is the vector's bytes; parsed, its fields. */
static void vector_statements(void)
{
	static unsigned char out[PROTO_STATEMENT_MAX], want[PROTO_STATEMENT_MAX];
	struct proto_statement *st = statement_new(), *got = statement_new();
	const unsigned char *pk, *sk;
	unsigned seen_types[0x100] = {0};
	size_t i, n, wn;

	setup();
	for (i = 0; i < N_STATEMENTS; i++) {
		const char *name = statement_names[i];
		statement_from_vector(name, st);
		sk = signer_sk(name, &pk);
		n = 0;
		CHECK_EQ_INT(proto_statement_sign(st, sk, out, sizeof(out), &n), PROTO_E_OK);
		wn = statement_bytes(name, want, sizeof(want));
		CHECK_EQ_INT(n, wn);
		CHECK(memcmp(out, want, n) == 0);
		CHECK_EQ_INT(vint("statements", name, "signed_len"), wn - 64);
		/* a buffer one byte short is refused */
		CHECK_EQ_INT(proto_statement_sign(st, sk, out, wn - 1, &n), PROTO_E_BUFFER_TOO_SMALL);

		memset(got, 0x55, sizeof(*got));
		CHECK_EQ_INT(proto_statement_parse(want, wn, 0, got), PROTO_E_OK);
		check_statement_fields(got, st);
		CHECK_EQ_INT(got->signed_len, wn - 64);
		CHECK(memcmp(got->sig, want + wn - 64, 64) == 0);
		CHECK_EQ_INT(proto_statement_parse(want, wn, st->type, got), PROTO_E_OK);
		CHECK_EQ_INT(proto_statement_verify(want, wn, st->type, pk, got), PROTO_E_OK);
		check_statement_fields(got, st);
		/* by anyone else's key it does not verify (an identity is not its device, nor the other way) */
		CHECK_EQ_INT(proto_statement_verify(want, wn, st->type, fx.mallory.sign_pk, got), PROTO_E_BAD_SIGNATURE);
		CHECK_EQ_INT(proto_statement_verify(want, wn, st->type, pk == fx.alice_id.pk ? fx.alice.sign_pk : fx.alice_id.pk, got),
			     PROTO_E_BAD_SIGNATURE);
		seen_types[st->type]++;
	}
	/* IDENTITY is self-signed: its own key verifies it */
	statement_from_vector("identity", st);
	wn = statement_bytes("identity", want, sizeof(want));
	CHECK_EQ_INT(proto_statement_verify(want, wn, PROTO_ST_IDENTITY, st->key, got), PROTO_E_OK);
	/* every type of the §13 table is covered */
	CHECK(seen_types[PROTO_ST_IDENTITY] && seen_types[PROTO_ST_DEVICE_CERT] && seen_types[PROTO_ST_DEVICE_REVOKE] &&
	      seen_types[PROTO_ST_PREKEY] == 2 && seen_types[PROTO_ST_CONTACT] && seen_types[PROTO_ST_LINK] == 3 &&
	      seen_types[PROTO_ST_APP_AUTH] && seen_types[PROTO_ST_APP_REVOKE] && seen_types[PROTO_ST_APP_CONSENT]);
	free(st);
	free(got);
}

/* The vector chain: link hashes, the thread id of its CREATE link, the members after each link. */
static void vector_links_and_chain(void)
{
	static unsigned char raw[PROTO_STATEMENT_MAX];
	struct proto_statement *st = statement_new();
	struct proto_chain *c = chain_new();
	char tid[PROTO_ID_MAX + 1];
	unsigned char h[32], want[32];
	json_t *order, *hashes, *members;
	size_t i, j, n;

	setup();
	order = vget("links", "order", NULL);
	hashes = vget("links", "hashes", NULL);
	members = vget("links", "members", NULL);
	CHECK_EQ_INT(json_array_size(order), 3);
	CHECK_EQ_INT(c->length, 0);
	for (i = 0; i < json_array_size(order); i++) {
		const char *name = json_string_value(json_array_get(order, i));
		json_t *m = json_array_get(members, i);
		const unsigned char *pk;
		(void)signer_sk(name, &pk);
		n = statement_bytes(name, raw, sizeof(raw));
		CHECK_EQ_INT(proto_statement_verify(raw, n, PROTO_ST_LINK, pk, st), PROTO_E_OK);
		CHECK_EQ_INT(proto_statement_hash(raw, n, h), PROTO_E_OK);
		CHECK(sodium_hex2bin(want, 32, json_string_value(json_array_get(hashes, i)), 64, NULL, NULL, NULL) == 0);
		CHECK(memcmp(h, want, 32) == 0);
		/* each link names the one before */
		CHECK(memcmp(st->prev, c->head, 32) == 0);
		CHECK_EQ_INT(proto_chain_apply(c, st, h), PROTO_E_OK);
		CHECK(memcmp(c->head, h, 32) == 0);
		CHECK_EQ_INT(c->length, i + 1);
		CHECK_EQ_INT(c->n_members, json_array_size(m));
		for (j = 0; j < json_array_size(m); j++)
			CHECK(proto_chain_is_member(c, json_string_value(json_array_get(m, j))));
		if (i == 0) {
			CHECK_EQ_INT(proto_link_thread_id(h, tid, sizeof(tid)), PROTO_E_OK);
			CHECK_EQ_STR(tid, vstr("links", "thread_id", NULL));
			CHECK_EQ_STR(tid, fx.thread);
			CHECK_EQ_INT(strlen(tid), 24);
			CHECK(proto_link_thread_id(h, tid, 24) != PROTO_E_OK); /* no room for the NUL */
		}
	}
	CHECK_EQ_STR(c->thread_id, fx.thread);
	CHECK_EQ_INT(c->kind, PROTO_THREAD_GROUP);
	CHECK_EQ_STR(c->creator, fx.user);
	vhex_exact("links", "head", NULL, want, 32);
	CHECK(memcmp(c->head, want, 32) == 0 && memcmp(c->head, fx.head, 32) == 0);
	CHECK(!proto_chain_is_member(c, vstr("ids", "carol_user_id", NULL)));
	CHECK(proto_chain_is_member(c, vstr("ids", "dave_user_id", NULL)));
	free(st);
	free(c);
}

static void vector_safety_number(void)
{
	unsigned char pa[32], pb[32];
	char out[PROTO_SAFETY_LEN], back[PROTO_SAFETY_LEN];
	const char *ua, *ub;

	setup();
	ua = vstr("safety_number", "user_a", NULL);
	ub = vstr("safety_number", "user_b", NULL);
	vhex_exact("safety_number", "id_pk_a", NULL, pa, 32);
	vhex_exact("safety_number", "id_pk_b", NULL, pb, 32);
	CHECK_EQ_INT(proto_safety_number(ua, pa, ub, pb, out, sizeof(out)), PROTO_E_OK);
	CHECK_EQ_STR(out, vstr("safety_number", "text", NULL));
	CHECK_EQ_INT(strlen(out), PROTO_SAFETY_LEN - 1);
	/* both sides compute the same number */
	CHECK_EQ_INT(proto_safety_number(ub, pb, ua, pa, back, sizeof(back)), PROTO_E_OK);
	CHECK_EQ_STR(back, out);
	/* another key for one side changes it */
	pb[0] ^= 1;
	CHECK_EQ_INT(proto_safety_number(ua, pa, ub, pb, back, sizeof(back)), PROTO_E_OK);
	CHECK(strcmp(back, out) != 0);
	CHECK_EQ_INT(proto_safety_number(ua, pa, ub, pb, back, PROTO_SAFETY_LEN - 1), PROTO_E_BUFFER_TOO_SMALL);
	CHECK_EQ_INT(proto_safety_number("bad user", pa, ub, pb, back, sizeof(back)), PROTO_E_INVALID_ARG);
}

static void vector_approval_code(void)
{
	unsigned char spk[32], bpk[32];
	char code[PROTO_CODE_LEN], other[PROTO_CODE_LEN];

	setup();
	vhex_exact("approval_code", "sign_pk", NULL, spk, 32);
	vhex_exact("approval_code", "box_pk", NULL, bpk, 32);
	CHECK(memcmp(spk, fx.alice_new.sign_pk, 32) == 0 && memcmp(bpk, fx.alice_new.box_pk, 32) == 0);
	CHECK_EQ_INT(proto_approval_code(vstr("approval_code", "user_id", NULL), vstr("approval_code", "device_id", NULL), spk, bpk,
					 code, sizeof(code)),
		     PROTO_E_OK);
	CHECK_EQ_STR(code, vstr("approval_code", "text", NULL));
	CHECK_EQ_INT(strlen(code), PROTO_CODE_LEN - 1);
	/* it commits to the keys, the device and the account */
	bpk[31] ^= 1;
	CHECK_EQ_INT(proto_approval_code(fx.user, fx.alice_new_dev, spk, bpk, other, sizeof(other)), PROTO_E_OK);
	CHECK(strcmp(code, other) != 0);
	bpk[31] ^= 1;
	CHECK_EQ_INT(proto_approval_code(fx.bob_user, fx.alice_new_dev, spk, bpk, other, sizeof(other)), PROTO_E_OK);
	CHECK(strcmp(code, other) != 0);
	CHECK_EQ_INT(proto_approval_code(fx.user, fx.alice_dev, spk, bpk, other, sizeof(other)), PROTO_E_OK);
	CHECK(strcmp(code, other) != 0);
	CHECK_EQ_INT(proto_approval_code(fx.user, fx.alice_new_dev, spk, bpk, other, PROTO_CODE_LEN - 1), PROTO_E_BUFFER_TOO_SMALL);
	CHECK_EQ_INT(proto_approval_code(fx.user, "", spk, bpk, other, sizeof(other)), PROTO_E_INVALID_ARG);
}

static void vector_recovery_key(void)
{
	unsigned char secret[PROTO_RECOVERY_BYTES], got[PROTO_RECOVERY_BYTES];
	char text[PROTO_RECOVERY_LEN];

	setup();
	vhex_exact("recovery_key", "secret", NULL, secret, sizeof(secret));
	CHECK_EQ_INT(proto_recovery_format(secret, text, sizeof(text)), PROTO_E_OK);
	CHECK_EQ_STR(text, vstr("recovery_key", "text", NULL));
	CHECK_EQ_INT(strlen(text), PROTO_RECOVERY_LEN - 1);
	CHECK_EQ_INT(proto_recovery_format(secret, text, PROTO_RECOVERY_LEN - 1), PROTO_E_BUFFER_TOO_SMALL);
	memset(got, 0, sizeof(got));
	CHECK_EQ_INT(proto_recovery_parse(vstr("recovery_key", "text", NULL), got), PROTO_E_OK);
	CHECK(memcmp(got, secret, sizeof(secret)) == 0);
}

static void vector_backup(void)
{
	unsigned char secret[PROTO_RECOVERY_BYTES], salt[16], nonce[24], want[PROTO_BACKUP_MAX], out[PROTO_BACKUP_MAX], pk[32];
	char user[PROTO_ID_MAX + 1];
	struct proto_identity id;
	size_t n = 0, wn;
	uint64_t ops, mem;

	setup();
	vhex_exact("backup", "secret", NULL, secret, sizeof(secret));
	vhex_exact("backup", "salt", NULL, salt, 16);
	vhex_exact("backup", "nonce", NULL, nonce, 24);
	ops = (uint64_t)vint("backup", "ops", NULL);
	mem = (uint64_t)vint("backup", "mem", NULL);
	CHECK_EQ_STR(vstr("backup", "user_id", NULL), fx.user);
	CHECK_EQ_INT(pst__proto_backup_seal_with(&fx.alice_id, fx.user, secret, ops, mem, salt, nonce, out, sizeof(out), &n),
		     PROTO_E_OK);
	wn = vhex("backup", "bytes", NULL, want, sizeof(want));
	CHECK_EQ_INT(n, wn);
	CHECK(memcmp(out, want, n) == 0);
	CHECK_EQ_INT(n, 3 + 1 + strlen(fx.user) + 32 + 16 + 8 + 8 + 24 + 48);
	/* the server's view: whose it is, without the key */
	CHECK_EQ_INT(proto_backup_peek(want, wn, user, pk), PROTO_E_OK);
	CHECK_EQ_STR(user, fx.user);
	CHECK(memcmp(pk, fx.alice_id.pk, 32) == 0);
	/* the owner opens it with the recovery secret */
	memset(&id, 0, sizeof(id));
	CHECK_EQ_INT(proto_backup_open(want, wn, fx.user, secret, &id), PROTO_E_OK);
	CHECK(memcmp(&id, &fx.alice_id, sizeof(id)) == 0);
	sodium_memzero(&id, sizeof(id));
}

/* The identity box is randomised (crypto_box_seal): round trip, and its plaintext is the vector's. */
static void vector_identity_box(void)
{
	unsigned char box[PROTO_IDENTITY_BOX_MAX], plain[PROTO_IDENTITY_BOX_MAX], want[PROTO_IDENTITY_BOX_MAX], sk[32];
	struct proto_identity id;
	size_t n = 0, wn;

	setup();
	CHECK_EQ_STR(vstr("identity_box", "device_id", NULL), fx.alice_new_dev);
	vhex_exact("identity_box", "box_sk", NULL, sk, 32);
	CHECK(memcmp(sk, fx.alice_new.box_sk, 32) == 0);
	CHECK_EQ_INT(proto_identity_box_seal(&fx.alice_id, fx.alice_new_dev, fx.alice_new.box_pk, box, sizeof(box), &n), PROTO_E_OK);
	wn = vhex("identity_box", "plaintext", NULL, want, sizeof(want));
	CHECK_EQ_INT(n, wn + crypto_box_SEALBYTES);
	CHECK(crypto_box_seal_open(plain, box, n, fx.alice_new.box_pk, fx.alice_new.box_sk) == 0);
	CHECK(memcmp(plain, want, wn) == 0);
	memset(&id, 0, sizeof(id));
	CHECK_EQ_INT(proto_identity_box_open(box, n, &fx.alice_new, fx.alice_new_dev, &id), PROTO_E_OK);
	CHECK(memcmp(&id, &fx.alice_id, sizeof(id)) == 0);
	/* two seals of the same seed differ (fresh ephemeral key) */
	{
		unsigned char box2[PROTO_IDENTITY_BOX_MAX];
		size_t n2 = 0;
		CHECK_EQ_INT(proto_identity_box_seal(&fx.alice_id, fx.alice_new_dev, fx.alice_new.box_pk, box2, sizeof(box2), &n2),
			     PROTO_E_OK);
		CHECK(n2 == n && memcmp(box, box2, n) != 0);
	}
	/* the vector plaintext sealed by hand opens the same way */
	CHECK(crypto_box_seal(box, want, wn, fx.alice_new.box_pk) == 0);
	memset(&id, 0, sizeof(id));
	CHECK_EQ_INT(proto_identity_box_open(box, wn + crypto_box_SEALBYTES, &fx.alice_new, fx.alice_new_dev, &id), PROTO_E_OK);
	CHECK(memcmp(id.pk, fx.alice_id.pk, 32) == 0);
	sodium_memzero(&id, sizeof(id));
}

/* ---- round trips ---- */

/* ---- round trips ---- */

static void handover_seal_open_round_trip(void)
{
	unsigned char sealed[PROTO_HANDOVER_SEALED_MAX + 1], env[PROTO_ENVELOPE_MAX], h[32] = {0}, head[32];
	struct proto_inbound *in = inbound_new(), *keep = inbound_new();
	struct proto_outbound s;
	char text[64];
	size_t n = 0, en;

	setup();
	CHECK_EQ_INT(proto_outbound_new(&s, fx.thread, fx.alice_dev, h, 1000), PROTO_E_OK);
	memcpy(s.head, fx.head, 32);
	n = seal_to_bob(&s, 1, sealed, sizeof(sealed));
	CHECK(n <= PROTO_HANDOVER_SEALED_MAX);
	memset(keep, 0x5a, sizeof(*keep));
	memcpy(in, keep, sizeof(*in));
	/* every failed open leaves *in untouched */
	CHECK_EQ_INT(proto_handover_open(sealed, n, &fx.carol, fx.spk_sk, fx.opk_sk, fx.bob_dev, fx.alice_dev, fx.alice.sign_pk,
					 fx.thread, in, head), PROTO_E_DECRYPT);
	CHECK_EQ_INT(proto_handover_open(sealed, n, &fx.bob, fx.spk_sk, fx.opk_sk, fx.bob_dev, fx.alice_dev, fx.mallory.sign_pk,
					 fx.thread, in, head), PROTO_E_BAD_SIGNATURE);
	CHECK_EQ_INT(proto_handover_open(sealed, n, &fx.bob, fx.spk_sk, fx.opk_sk, fx.bob_dev, "d_someoneElse", fx.alice.sign_pk,
					 fx.thread, in, head), PROTO_E_WRONG_SENDER);
	CHECK_EQ_INT(proto_handover_open(sealed, n, &fx.bob, fx.spk_sk, fx.opk_sk, "d_bobsOtherDevice", fx.alice_dev,
					 fx.alice.sign_pk, fx.thread, in, head), PROTO_E_WRONG_RECIPIENT);
	CHECK_EQ_INT(open_as_bob(sealed, n, 1, "t_otherThread", in, head), PROTO_E_WRONG_THREAD);
	CHECK_EQ_INT(open_as_bob(sealed, n - 1, 1, fx.thread, in, head), PROTO_E_DECRYPT);
	CHECK_EQ_INT(open_as_bob(sealed, 10, 1, fx.thread, in, head), PROTO_E_MALFORMED);
	CHECK_EQ_INT(open_as_bob(sealed, PROTO_HANDOVER_SEALED_MAX + 1, 1, fx.thread, in, head), PROTO_E_TOO_LARGE);
	/* a container naming a one-time key, opened without its secret: the caller broke the contract (opk_sk
	 * NULL exactly when opk_id is 0). §17 calls the case of an erased one-time key *decrypt*: the caller
	 * that finds no secret for the id reports that. */
	CHECK_EQ_INT(open_as_bob(sealed, n, 0, fx.thread, in, head), PROTO_E_INVALID_ARG);
	CHECK_EQ_INT(proto_handover_open(sealed, n, &fx.bob, fx.spk_sk, fx.spk_sk, fx.bob_dev, fx.alice_dev, fx.alice.sign_pk,
					 fx.thread, in, head), PROTO_E_DECRYPT); /* a wrong one-time secret */
	sealed[n / 2] ^= 1;
	CHECK_EQ_INT(open_as_bob(sealed, n, 1, fx.thread, in, head), PROTO_E_DECRYPT);
	sealed[n / 2] ^= 1;
	sealed[n - 1] ^= 1; /* the tag */
	CHECK_EQ_INT(open_as_bob(sealed, n, 1, fx.thread, in, head), PROTO_E_DECRYPT);
	sealed[n - 1] ^= 1;
	sealed[1] = 1; /* a version 1 container */
	CHECK_EQ_INT(open_as_bob(sealed, n, 1, fx.thread, in, head), PROTO_E_VERSION);
	sealed[1] = 2;
	CHECK(memcmp(in, keep, sizeof(*in)) == 0);
	/* thread unknown to the caller (NULL): accepted, and the thread is reported */
	CHECK_EQ_INT(open_as_bob(sealed, n, 1, NULL, in, head), PROTO_E_OK);
	CHECK_EQ_STR(in->thread_id, fx.thread);
	CHECK_EQ_STR(in->sender_device_id, fx.alice_dev);
	CHECK(memcmp(head, fx.head, 32) == 0);
	CHECK(memcmp(in->session_id, s.session_id, 16) == 0 && memcmp(in->chain_key, s.chain_key, 32) == 0);
	CHECK(in->start_index == 0 && in->next_index == 0 && in->n_skipped == 0);
	en = enc(&s, "sealed and delivered", env);
	CHECK_EQ_INT(dec(in, env, en, text, sizeof(text)), PROTO_E_OK);
	CHECK_EQ_STR(text, "sealed and delivered");
	/* two seals of one session differ (fresh ephemeral key and nonce) and both open */
	{
		unsigned char again[PROTO_HANDOVER_SEALED_MAX];
		size_t m = seal_to_bob(&s, 0, again, sizeof(again));
		CHECK_EQ_INT(m, n);
		CHECK(memcmp(again, sealed, n) != 0);
		CHECK_EQ_INT(open_as_bob(again, m, 0, fx.thread, in, head), PROTO_E_OK);
		CHECK_EQ_INT(in->start_index, 1);
	}
	/* a low-order recipient or prekey cannot be sealed to */
	CHECK_EQ_INT(proto_handover_seal(&s, fx.alice.sign_sk, fx.bob_dev, h, fx.spk_id, fx.spk, 0, NULL, sealed, sizeof(sealed), &n),
		     PROTO_E_CRYPTO);
	memset(h, 0, sizeof(h));
	CHECK_EQ_INT(proto_handover_seal(&s, fx.alice.sign_sk, fx.bob_dev, fx.bob.box_pk, fx.spk_id, h, 0, NULL, sealed, sizeof(sealed), &n),
		     PROTO_E_CRYPTO);
	CHECK_EQ_INT(proto_handover_seal(&s, fx.alice.sign_sk, fx.bob_dev, fx.bob.box_pk, fx.spk_id, fx.spk, fx.opk_id, h, sealed,
					 sizeof(sealed), &n), PROTO_E_CRYPTO);
	/* the signed prekey is required, its id is never 0, and a one-time id goes with a key */
	CHECK_EQ_INT(proto_handover_seal(&s, fx.alice.sign_sk, fx.bob_dev, fx.bob.box_pk, 0, fx.spk, 0, NULL, sealed, sizeof(sealed), &n),
		     PROTO_E_INVALID_ARG);
	CHECK_EQ_INT(proto_handover_seal(&s, fx.alice.sign_sk, fx.bob_dev, fx.bob.box_pk, fx.spk_id, NULL, 0, NULL, sealed, sizeof(sealed), &n),
		     PROTO_E_INVALID_ARG);
	CHECK_EQ_INT(proto_handover_seal(&s, fx.alice.sign_sk, fx.bob_dev, fx.bob.box_pk, fx.spk_id, fx.spk, fx.opk_id, NULL, sealed,
					 sizeof(sealed), &n), PROTO_E_INVALID_ARG);
	CHECK_EQ_INT(proto_handover_seal(&s, fx.alice.sign_sk, fx.bob_dev, fx.bob.box_pk, fx.spk_id, fx.spk, 0, NULL, sealed, 100, &n),
		     PROTO_E_BUFFER_TOO_SMALL);
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
		rc = pst__proto_handover_accept(p, n, fx.bob_dev, fx.alice_dev, fx.alice.sign_pk, fx.thread, in, NULL);
		CHECK(rc != PROTO_E_OK);
		p[i] ^= 0x01;
	}
	for (i = 0; i < n; i++)
		CHECK(pst__proto_handover_accept(p, i, fx.bob_dev, fx.alice_dev, fx.alice.sign_pk, fx.thread, in, NULL) != PROTO_E_OK);
	p[1] = 1; /* version 1 is refused, never read as version 2 */
	CHECK_EQ_INT(pst__proto_handover_accept(p, n, fx.bob_dev, fx.alice_dev, fx.alice.sign_pk, fx.thread, in, NULL), PROTO_E_VERSION);
	p[1] = 3;
	CHECK_EQ_INT(pst__proto_handover_accept(p, n, fx.bob_dev, fx.alice_dev, fx.alice.sign_pk, fx.thread, in, NULL), PROTO_E_VERSION);
	p[1] = 2;
	p[2] = 1; /* a message envelope type is not a session key */
	CHECK_EQ_INT(pst__proto_handover_accept(p, n, fx.bob_dev, fx.alice_dev, fx.alice.sign_pk, fx.thread, in, NULL), PROTO_E_MALFORMED);
	p[2] = 2;
	CHECK_EQ_INT(pst__proto_handover_accept(p, n, fx.bob_dev, fx.alice_dev, fx.alice.sign_pk, fx.thread, in, NULL), PROTO_E_OK);
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
	/* two nonces never repeat */
	{
		struct proto_envelope e0, e1;
		CHECK_EQ_INT(proto_envelope_decode(env[0], len[0], &e0), PROTO_E_OK);
		CHECK_EQ_INT(proto_envelope_decode(env[1], len[1], &e1), PROTO_E_OK);
		CHECK(memcmp(e0.nonce, e1.nonce, sizeof(e0.nonce)) != 0);
	}
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
	CHECK_EQ_INT(proto_decrypt(in, 1, fx.thread, fx.alice_dev, env, n, back, PROTO_PLAINTEXT_MAX - 1, &got, NULL, NULL), PROTO_E_BUFFER_TOO_SMALL);
	CHECK_EQ_INT(in->next_index, 0);
	CHECK_EQ_INT(proto_decrypt(in, 1, fx.thread, fx.alice_dev, env, n, back, sizeof(back), &got, NULL, NULL), PROTO_E_OK);
	CHECK(got == PROTO_PLAINTEXT_MAX && memcmp(back, big, got) == 0);
	/* empty message */
	CHECK_EQ_INT(proto_encrypt(&s, fx.alice.sign_sk, NULL, 0, env, sizeof(env), &n), PROTO_E_OK);
	CHECK_EQ_INT(proto_decrypt(in, 1, fx.thread, fx.alice_dev, env, n, back, sizeof(back), &got, NULL, NULL), PROTO_E_OK);
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
	/* the index (offset: 3 + 1 + thread + 1 + device + 32 + 16) */
	i = 3 + 1 + strlen(fx.thread) + 1 + strlen(fx.alice_dev) + 32 + 16 + 3;
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
	CHECK_EQ_INT(proto_decrypt(in, 1, "t_anotherThread", fx.alice_dev, env, n, (unsigned char *)text, sizeof(text), &got, NULL, NULL),
		     PROTO_E_WRONG_THREAD);
	/* an inbound session of another thread with the same id is not used for it */
	snprintf(moved, sizeof(moved), "%s", fx.thread);
	moved[2] = (char)(moved[2] == 'X' ? 'Y' : 'X');
	bob_inbound_at(other, moved, 0);
	CHECK_EQ_INT(dec(other, env, n, text, sizeof(text)), PROTO_E_WRONG_THREAD);
	/* the thread id rewritten inside and re-signed by the sender still fails: it is in the AEAD data */
	memcpy(env + 4, moved, strlen(moved));
	resign(env, n, fx.alice.sign_sk);
	CHECK_EQ_INT(proto_decrypt(other, 1, moved, fx.alice_dev, env, n, (unsigned char *)text, sizeof(text), &got, NULL, NULL),
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
	CHECK_EQ_INT(proto_decrypt(in, 1, fx.thread, fx.bob_dev, env, n, (unsigned char *)text, sizeof(text), &got, NULL, NULL),
		     PROTO_E_WRONG_SENDER);
	/* the sender id rewritten inside: there is no session for that device */
	snprintf(moved, sizeof(moved), "%s", fx.alice_dev);
	moved[2] = (char)(moved[2] == 'X' ? 'Y' : 'X');
	memcpy(env + off, moved, strlen(moved));
	resign(env, n, fx.alice.sign_sk);
	CHECK_EQ_INT(proto_decrypt(in, 1, fx.thread, moved, env, n, (unsigned char *)text, sizeof(text), &got, NULL, NULL),
		     PROTO_E_UNKNOWN_SESSION);
	/* even with a session under that name and the same keys, the AEAD data binds the real sender */
	memcpy(twin, in, sizeof(*twin));
	snprintf(twin->sender_device_id, sizeof(twin->sender_device_id), "%s", moved);
	CHECK_EQ_INT(proto_decrypt(twin, 1, fx.thread, moved, env, n, (unsigned char *)text, sizeof(text), &got, NULL, NULL),
		     PROTO_E_DECRYPT);
	/* and a session of another sender with a key that did not sign it */
	memcpy(twin->sender_sign_pk, fx.mallory.sign_pk, 32);
	CHECK_EQ_INT(proto_decrypt(twin, 1, fx.thread, moved, env, n, (unsigned char *)text, sizeof(text), &got, NULL, NULL),
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
	CHECK_EQ_INT(proto_decrypt(NULL, 0, fx.thread, fx.alice_dev, env, n, (unsigned char *)text, sizeof(text), &got, NULL, NULL),
		     PROTO_E_UNKNOWN_SESSION);
	/* other sessions of the same sender and thread do not open it */
	CHECK_EQ_INT(proto_outbound_new(&s, fx.thread, fx.alice_dev, h, 0), PROTO_E_OK);
	CHECK_EQ_INT(proto_inbound_from_outbound(&set[0], &s, fx.alice.sign_pk), PROTO_E_OK);
	CHECK_EQ_INT(proto_outbound_new(&s, fx.thread, fx.alice_dev, h, 0), PROTO_E_OK);
	CHECK_EQ_INT(proto_inbound_from_outbound(&set[1], &s, fx.alice.sign_pk), PROTO_E_OK);
	CHECK_EQ_INT(proto_decrypt(set, 2, fx.thread, fx.alice_dev, env, n, (unsigned char *)text, sizeof(text), &got, &which, NULL),
		     PROTO_E_UNKNOWN_SESSION);
	CHECK_EQ_INT(which, 99);
	/* the right one among several is found */
	bob_inbound_at(&set[2], fx.thread, 0);
	CHECK_EQ_INT(proto_decrypt(set, 3, fx.thread, fx.alice_dev, env, n, (unsigned char *)text, sizeof(text), &got, &which, NULL),
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
	unsigned char env[8][512], sealed[PROTO_HANDOVER_SEALED_MAX], spk[32], spk_sk[32];
	struct proto_inbound *carol = inbound_new();
	struct proto_outbound s;
	char text[64];
	size_t len[8], n = 0, i;

	setup();
	outbound_at(&s, fx.thread, 0);
	for (i = 0; i < 5; i++)
		len[i] = enc(&s, "before carol joined", env[i]);
	/* Carol's device is added: she gets the session at index 5 */
	CHECK_EQ_INT(proto_prekey_new(spk, spk_sk), PROTO_E_OK);
	CHECK_EQ_INT(proto_handover_seal(&s, fx.alice.sign_sk, "d_carol", fx.carol.box_pk, 1, spk, 0, NULL, sealed, sizeof(sealed), &n),
		     PROTO_E_OK);
	CHECK_EQ_INT(proto_handover_open(sealed, n, &fx.carol, spk_sk, NULL, "d_carol", fx.alice_dev, fx.alice.sign_pk, fx.thread,
					 carol, NULL), PROTO_E_OK);
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
	memset(env + 4 + tl + 1 + strlen(fx.alice_dev) + 32 + 16, 0xff, 4); /* index 0xFFFFFFFF */
	CHECK_EQ_INT(proto_envelope_decode(env, n, &e), PROTO_E_MALFORMED);
	clen_off = 4 + tl + 1 + strlen(fx.alice_dev) + 32 + 16 + 4 + 24;
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
	env[1] = 1;
	CHECK_EQ_INT(proto_envelope_decode(env, n, &e), PROTO_E_VERSION);
	resign(env, n, fx.alice.sign_sk); /* signed or not, a v1 envelope is not read as v2 */
	CHECK_EQ_INT(dec(in, env, n, text, sizeof(text)), PROTO_E_VERSION);
	env[1] = 3;
	CHECK_EQ_INT(proto_envelope_decode(env, n, &e), PROTO_E_VERSION);
	env[1] = 0;
	CHECK_EQ_INT(proto_envelope_decode(env, n, &e), PROTO_E_VERSION);
	sn = vhex("outbound_state", "bytes", NULL, st, sizeof(st));
	st[1] = 1;
	CHECK_EQ_INT(proto_outbound_load(&s, st, sn), PROTO_E_VERSION);
	sn = vhex("inbound_state", "bytes", NULL, st, sizeof(st));
	st[1] = 1;
	CHECK_EQ_INT(proto_inbound_load(in, st, sn), PROTO_E_VERSION);
	/* a version 1 outbound state (no head: 32 bytes shorter) is refused, not misread */
	sn = vhex("outbound_state", "bytes", NULL, st, sizeof(st));
	st[1] = 1;
	CHECK_EQ_INT(proto_outbound_load(&s, st, sn - 32), PROTO_E_VERSION);
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
	CHECK_EQ_INT(PROTO_OUTBOUND_STATE_MAX, 257);

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
	/* the limits of docs/protocol.md §2 and the layouts (§5, §6.1, §17, §13, §14) */
	CHECK_EQ_INT(PROTO_ENVELOPE_MAX, 65024 + 165 + 64 + 64);
	CHECK_EQ_INT(PROTO_ENVELOPE_OVERHEAD(0, 0), 165);
	CHECK_EQ_INT(PROTO_HANDOVER_PAYLOAD_MAX, 154 + 3 * 64);
	CHECK_EQ_INT(PROTO_HANDOVER_SEALED_MAX, 3 + 1 + 64 + 4 + 4 + 32 + 24 + PROTO_HANDOVER_PAYLOAD_MAX + 16);
	CHECK_EQ_INT(PROTO_IDENTITY_BOX_MAX, 148);
	CHECK(PROTO_BACKUP_MAX >= 3 + 1 + 64 + 32 + 16 + 8 + 8 + 24 + 48);
}

/* ---- version 2: statements, chains, identities ---- */

/* The head is signed and in the AEAD data: flipped, the signature fails; re-signed, decryption fails. */
static void reject_envelope_head_changed(void)
{
	unsigned char env[1024];
	struct proto_inbound *in = inbound_new(), *keep = inbound_new();
	struct proto_envelope e;
	char text[64];
	size_t n, off;

	setup();
	bob_inbound_at(in, fx.thread, 0);
	memcpy(keep, in, sizeof(*in));
	n = vhex("envelope", "envelope", NULL, env, sizeof(env));
	off = 3 + 1 + strlen(fx.thread) + 1 + strlen(fx.alice_dev); /* §5: head at 5 + T + D */
	CHECK(memcmp(env + off, fx.head, 32) == 0);
	env[off] ^= 0x01;
	CHECK_EQ_INT(proto_envelope_decode(env, n, &e), PROTO_E_OK);
	CHECK(memcmp(e.head, fx.head, 32) != 0);
	CHECK_EQ_INT(dec(in, env, n, text, sizeof(text)), PROTO_E_BAD_SIGNATURE);
	env[off] ^= 0x01;
	env[off + 31] ^= 0x80;
	CHECK_EQ_INT(dec(in, env, n, text, sizeof(text)), PROTO_E_BAD_SIGNATURE);
	/* the sender itself re-signing another head does not make the ciphertext follow */
	resign(env, n, fx.alice.sign_sk);
	CHECK_EQ_INT(dec(in, env, n, text, sizeof(text)), PROTO_E_DECRYPT);
	CHECK(memcmp(in, keep, sizeof(*in)) == 0);
	env[off + 31] ^= 0x80;
	resign(env, n, fx.alice.sign_sk);
	CHECK_EQ_INT(dec(in, env, n, text, sizeof(text)), PROTO_E_OK);
	inbound_free(in);
	inbound_free(keep);
}

/* The head in the session-key payload is signed too. */
static void reject_payload_head_changed(void)
{
	unsigned char p[PROTO_HANDOVER_PAYLOAD_MAX], head[32];
	struct proto_inbound *in = inbound_new();
	size_t n, off;

	setup();
	n = vhex("session_key", "payload", NULL, p, sizeof(p));
	off = 3 + 1 + strlen(fx.thread) + 1 + strlen(fx.alice_dev) + 1 + strlen(fx.bob_dev);
	CHECK(memcmp(p + off, fx.head, 32) == 0);
	p[off + 7] ^= 0x04;
	CHECK_EQ_INT(pst__proto_handover_accept(p, n, fx.bob_dev, fx.alice_dev, fx.alice.sign_pk, fx.thread, in, head),
		     PROTO_E_BAD_SIGNATURE);
	p[off + 7] ^= 0x04;
	CHECK_EQ_INT(pst__proto_handover_accept(p, n, fx.bob_dev, fx.alice_dev, fx.alice.sign_pk, fx.thread, in, head), PROTO_E_OK);
	CHECK(memcmp(head, fx.head, 32) == 0);
	inbound_free(in);
}

/* A container's header, read without a key: strict like every decoder. */
static void handover_peek_rejects(void)
{
	unsigned char c[PROTO_HANDOVER_SEALED_MAX + 1];
	char rcpt[PROTO_ID_MAX + 1];
	uint32_t spk_id, opk_id;
	size_t n, i, hdr;

	setup();
	n = vhex("handover", "with_opk", "bytes", c, sizeof(c));
	hdr = 3 + 1 + strlen(fx.bob_dev) + 4 + 4 + 32 + 24;
	for (i = 0; i < hdr; i++)
		CHECK_EQ_INT(proto_handover_peek(c, i, rcpt, &spk_id, &opk_id), PROTO_E_MALFORMED);
	CHECK_EQ_INT(proto_handover_peek(c, PROTO_HANDOVER_SEALED_MAX + 1, rcpt, &spk_id, &opk_id), PROTO_E_TOO_LARGE);
	c[1] = 1;
	CHECK_EQ_INT(proto_handover_peek(c, n, rcpt, &spk_id, &opk_id), PROTO_E_VERSION);
	c[1] = 2;
	c[2] = 2; /* an unsealed payload is not a container */
	CHECK_EQ_INT(proto_handover_peek(c, n, rcpt, &spk_id, &opk_id), PROTO_E_MALFORMED);
	c[2] = 3;
	c[3] = 0; /* empty recipient id */
	CHECK_EQ_INT(proto_handover_peek(c, n, rcpt, &spk_id, &opk_id), PROTO_E_MALFORMED);
	c[3] = (unsigned char)strlen(fx.bob_dev);
	memset(c + 4 + strlen(fx.bob_dev), 0, 4); /* spk_id 0: never valid */
	CHECK_EQ_INT(proto_handover_peek(c, n, rcpt, &spk_id, &opk_id), PROTO_E_MALFORMED);
	CHECK_EQ_INT(proto_handover_peek(NULL, n, rcpt, &spk_id, &opk_id), PROTO_E_INVALID_ARG);
}

/* Every statement: truncated, a trailing byte, another version, another type, a flipped signature bit, too large. */
static void statement_rejects(void)
{
	static unsigned char raw[PROTO_STATEMENT_MAX + 2];
	static const unsigned other_types[] = {0x00, 0x01, 0x02, 0x03, 0x10, 0x11, 0x25, 0x26, 0x27, 0x2f, 0x31, 0x43, 0xff};
	struct proto_statement *st = statement_new();
	const unsigned char *pk;
	size_t k, i, n;

	setup();
	for (k = 0; k < N_STATEMENTS; k++) {
		const char *name = statement_names[k];
		unsigned type;
		(void)signer_sk(name, &pk);
		n = statement_bytes(name, raw, sizeof(raw));
		type = raw[2];
		CHECK_EQ_INT(proto_statement_verify(raw, n, type, pk, st), PROTO_E_OK);
		for (i = 0; i < n; i++)
			CHECK_EQ_INT(proto_statement_parse(raw, i, 0, st), PROTO_E_MALFORMED);
		raw[n] = 0;
		CHECK_EQ_INT(proto_statement_parse(raw, n + 1, 0, st), PROTO_E_MALFORMED);
		CHECK_EQ_INT(proto_statement_verify(raw, n + 1, type, pk, st), PROTO_E_MALFORMED);
		/* version 1 is refused as such; nothing falls back */
		raw[1] = 0x01;
		CHECK_EQ_INT(proto_statement_parse(raw, n, 0, st), PROTO_E_VERSION);
		CHECK_EQ_INT(proto_statement_verify(raw, n, type, pk, st), PROTO_E_VERSION);
		raw[1] = 0x03;
		CHECK_EQ_INT(proto_statement_parse(raw, n, type, st), PROTO_E_VERSION);
		raw[1] = 0x02;
		raw[0] = 0x51;
		CHECK_EQ_INT(proto_statement_parse(raw, n, 0, st), PROTO_E_MALFORMED);
		raw[0] = 0x50;
		/* a statement of another type than expected */
		CHECK_EQ_INT(proto_statement_parse(raw, n, type == PROTO_ST_LINK ? PROTO_ST_IDENTITY : PROTO_ST_LINK, st),
			     PROTO_E_MALFORMED);
		CHECK_EQ_INT(proto_statement_verify(raw, n, type == PROTO_ST_LINK ? PROTO_ST_IDENTITY : PROTO_ST_LINK, pk, st),
			     PROTO_E_MALFORMED);
		/* and a type byte that is no statement */
		for (i = 0; i < sizeof(other_types) / sizeof(other_types[0]); i++) {
			raw[2] = (unsigned char)other_types[i];
			CHECK_EQ_INT(proto_statement_parse(raw, n, 0, st), PROTO_E_MALFORMED);
		}
		raw[2] = (unsigned char)type;
		/* the signature: one flipped bit, anywhere in it */
		for (i = n - 64; i < n; i += 9) {
			raw[i] ^= 0x20;
			CHECK_EQ_INT(proto_statement_parse(raw, n, type, st), PROTO_E_OK);
			CHECK_EQ_INT(proto_statement_verify(raw, n, type, pk, st), PROTO_E_BAD_SIGNATURE);
			raw[i] ^= 0x20;
		}
		/* the signed bytes: one flipped bit of the timestamp (last field) */
		raw[n - 65] ^= 0x01;
		CHECK_EQ_INT(proto_statement_verify(raw, n, type, pk, st), PROTO_E_BAD_SIGNATURE);
		raw[n - 65] ^= 0x01;
		CHECK_EQ_INT(proto_statement_verify(raw, n, type, pk, st), PROTO_E_OK);
	}
	memset(raw, 0, sizeof(raw));
	CHECK_EQ_INT(proto_statement_parse(raw, PROTO_STATEMENT_MAX + 1, 0, st), PROTO_E_TOO_LARGE);
	CHECK_EQ_INT(proto_statement_parse(NULL, 10, 0, st), PROTO_E_INVALID_ARG);
	free(st);
}

/* Hand-built statement bytes (no valid signature: for the decoder's range checks, which come first). */
struct sb {
	struct pst__proto_writer w;
	unsigned char buf[PROTO_STATEMENT_MAX + 200];
};

static void sb_start(struct sb *b, unsigned type)
{
	b->w.p = b->buf;
	b->w.cap = sizeof(b->buf);
	b->w.len = 0;
	b->w.overflow = 0;
	pst__proto_put_u8(&b->w, PROTO_MAGIC);
	pst__proto_put_u8(&b->w, PROTO_VERSION);
	pst__proto_put_u8(&b->w, type);
}

/* u16 n, then n ids "<stem>NNNN" (or the same id n times when dup) */
static void sb_ids(struct sb *b, unsigned n, const char *stem, int dup)
{
	unsigned i;
	char id[PROTO_ID_MAX + 1];
	pst__proto_put_u8(&b->w, n >> 8);
	pst__proto_put_u8(&b->w, n & 0xff);
	for (i = 0; i < n; i++) {
		snprintf(id, sizeof(id), "%s%04u", stem, dup ? 0u : i);
		pst__proto_put_id(&b->w, id);
	}
}

/* End: at and a 64-byte signature of zeros; parse with any type. */
static int sb_parse(struct sb *b, struct proto_statement *st)
{
	static const unsigned char zero[64];
	pst__proto_put_u64(&b->w, 1704067200000ULL);
	pst__proto_put(&b->w, zero, 64);
	CHECK(!b->w.overflow);
	return proto_statement_parse(b->buf, b->w.len, 0, st);
}

static void sb_link(struct sb *b, unsigned op, unsigned kind, unsigned n, int dup)
{
	static const unsigned char z[48];
	sb_start(b, PROTO_ST_LINK);
	pst__proto_put(&b->w, z, 48); /* prev, nonce */
	pst__proto_put_u8(&b->w, op);
	pst__proto_put_u8(&b->w, kind);
	pst__proto_put_id(&b->w, "u_0000");
	pst__proto_put_id(&b->w, "d_actor");
	sb_ids(b, n, "u_", dup);
}

static void sb_app_auth(struct sb *b, unsigned n, int dup)
{
	static const unsigned char z[64];
	sb_start(b, PROTO_ST_APP_AUTH);
	pst__proto_put_id(&b->w, "c_app");
	pst__proto_put_id(&b->w, "g_grant");
	pst__proto_put_id(&b->w, "d_appdev");
	pst__proto_put(&b->w, z, 64); /* sign_pk, box_pk */
	pst__proto_put_u64(&b->w, 1704067300000ULL);
	sb_ids(b, n, "t_", dup);
}

/* §13: each u8 within its listed values, each count within its bound, list ids distinct. */
static void statement_field_ranges(void)
{
	static unsigned char raw[PROTO_STATEMENT_MAX];
	static struct sb b;
	struct proto_statement *st = statement_new();
	size_t n, off;
	unsigned v;

	setup();
	/* PREKEY kind: 1 or 2 */
	n = statement_bytes("prekey_signed", raw, sizeof(raw));
	off = 3 + 1 + strlen(fx.bob_dev);
	CHECK_EQ_INT(raw[off], PROTO_PREKEY_SIGNED);
	for (v = 0; v < 256; v++) {
		raw[off] = (unsigned char)v;
		CHECK_EQ_INT(proto_statement_parse(raw, n, PROTO_ST_PREKEY, st), v == 1 || v == 2 ? PROTO_E_OK : PROTO_E_MALFORMED);
	}
	/* CONTACT level: 1, 2 or 3 */
	n = statement_bytes("contact", raw, sizeof(raw));
	off = 3 + 1 + strlen(fx.bob_user) + 32;
	CHECK_EQ_INT(raw[off], PROTO_CONTACT_VERIFIED);
	for (v = 0; v < 256; v++) {
		raw[off] = (unsigned char)v;
		CHECK_EQ_INT(proto_statement_parse(raw, n, PROTO_ST_CONTACT, st), v >= 1 && v <= 3 ? PROTO_E_OK : PROTO_E_MALFORMED);
	}
	/* APP_CONSENT accept: 0 or 1 */
	n = statement_bytes("app_consent", raw, sizeof(raw));
	statement_from_vector("app_consent", st);
	off = 3 + 1 + strlen(st->thread_id) + 1 + strlen(st->client_id);
	CHECK_EQ_INT(raw[off], 1);
	for (v = 0; v < 256; v++) {
		raw[off] = (unsigned char)v;
		CHECK_EQ_INT(proto_statement_parse(raw, n, PROTO_ST_APP_CONSENT, st), v <= 1 ? PROTO_E_OK : PROTO_E_MALFORMED);
	}
	/* LINK op 1..3 and kind 1..2 (the add link: one member, so every op's count holds) */
	n = statement_bytes("link_add", raw, sizeof(raw));
	off = 3 + 32 + 16;
	CHECK_EQ_INT(raw[off], PROTO_LINK_ADD);
	for (v = 0; v < 256; v++) {
		raw[off] = (unsigned char)v;
		CHECK_EQ_INT(proto_statement_parse(raw, n, PROTO_ST_LINK, st), v == 2 || v == 3 ? PROTO_E_OK : PROTO_E_MALFORMED);
	}
	raw[off] = PROTO_LINK_ADD;
	CHECK_EQ_INT(raw[off + 1], PROTO_THREAD_GROUP);
	for (v = 0; v < 256; v++) {
		raw[off + 1] = (unsigned char)v;
		CHECK_EQ_INT(proto_statement_parse(raw, n, PROTO_ST_LINK, st), v == 1 || v == 2 ? PROTO_E_OK : PROTO_E_MALFORMED);
	}
	/* a signed statement with a value out of range cannot be made either */
	statement_from_vector("prekey_signed", st);
	st->op = 3;
	CHECK_EQ_INT(proto_statement_sign(st, fx.bob.sign_sk, raw, sizeof(raw), &n), PROTO_E_INVALID_ARG);
	statement_from_vector("contact", st);
	st->op = 0;
	CHECK_EQ_INT(proto_statement_sign(st, fx.alice_id.sk, raw, sizeof(raw), &n), PROTO_E_INVALID_ARG);
	statement_from_vector("link_add", st);
	st->kind = 3;
	CHECK_EQ_INT(proto_statement_sign(st, fx.bob.sign_sk, raw, sizeof(raw), &n), PROTO_E_INVALID_ARG);
	statement_from_vector("link_add", st);
	st->n_ids = 2;
	snprintf(st->ids[1], sizeof(st->ids[1]), "u_another");
	CHECK_EQ_INT(proto_statement_sign(st, fx.bob.sign_sk, raw, sizeof(raw), &n), PROTO_E_INVALID_ARG);
	statement_from_vector("app_consent", st);
	st->op = 2;
	CHECK_EQ_INT(proto_statement_sign(st, fx.bob_id.sk, raw, sizeof(raw), &n), PROTO_E_INVALID_ARG);
	statement_from_vector("identity", st);
	st->type = 0x27;
	CHECK_EQ_INT(proto_statement_sign(st, fx.alice_id.sk, raw, sizeof(raw), &n), PROTO_E_INVALID_ARG);
	statement_from_vector("identity", st);
	snprintf(st->username, sizeof(st->username), "has space");
	CHECK_EQ_INT(proto_statement_sign(st, fx.alice_id.sk, raw, sizeof(raw), &n), PROTO_E_INVALID_ARG);

	/* LINK counts: create 2..1025, add and remove exactly 1 */
	sb_link(&b, PROTO_LINK_CREATE, PROTO_THREAD_GROUP, 2, 0);
	CHECK_EQ_INT(sb_parse(&b, st), PROTO_E_OK);
	sb_link(&b, PROTO_LINK_CREATE, PROTO_THREAD_GROUP, 1, 0);
	CHECK_EQ_INT(sb_parse(&b, st), PROTO_E_MALFORMED);
	sb_link(&b, PROTO_LINK_CREATE, PROTO_THREAD_GROUP, 0, 0);
	CHECK_EQ_INT(sb_parse(&b, st), PROTO_E_MALFORMED);
	sb_link(&b, PROTO_LINK_CREATE, PROTO_THREAD_GROUP, PROTO_IDS_MAX, 0);
	CHECK_EQ_INT(sb_parse(&b, st), PROTO_E_OK);
	CHECK_EQ_INT(st->n_ids, PROTO_IDS_MAX);
	CHECK_EQ_STR(st->ids[PROTO_IDS_MAX - 1], "u_1024");
	sb_link(&b, PROTO_LINK_CREATE, PROTO_THREAD_GROUP, PROTO_IDS_MAX + 1, 0);
	CHECK_EQ_INT(sb_parse(&b, st), PROTO_E_MALFORMED);
	sb_link(&b, PROTO_LINK_ADD, PROTO_THREAD_GROUP, 1, 0);
	CHECK_EQ_INT(sb_parse(&b, st), PROTO_E_OK);
	sb_link(&b, PROTO_LINK_ADD, PROTO_THREAD_GROUP, 0, 0);
	CHECK_EQ_INT(sb_parse(&b, st), PROTO_E_MALFORMED);
	sb_link(&b, PROTO_LINK_ADD, PROTO_THREAD_GROUP, 2, 0);
	CHECK_EQ_INT(sb_parse(&b, st), PROTO_E_MALFORMED);
	sb_link(&b, PROTO_LINK_REMOVE, PROTO_THREAD_DIRECT, 1, 0);
	CHECK_EQ_INT(sb_parse(&b, st), PROTO_E_OK);
	sb_link(&b, PROTO_LINK_REMOVE, PROTO_THREAD_DIRECT, 2, 0);
	CHECK_EQ_INT(sb_parse(&b, st), PROTO_E_MALFORMED);
	/* members are distinct */
	sb_link(&b, PROTO_LINK_CREATE, PROTO_THREAD_GROUP, 3, 1);
	CHECK_EQ_INT(sb_parse(&b, st), PROTO_E_MALFORMED);
	/* a huge count with nothing behind it: checked before any id is read */
	sb_link(&b, PROTO_LINK_CREATE, PROTO_THREAD_GROUP, 0, 0);
	b.w.len -= 2;
	pst__proto_put_u8(&b.w, 0xff);
	pst__proto_put_u8(&b.w, 0xff);
	CHECK_EQ_INT(sb_parse(&b, st), PROTO_E_MALFORMED);

	/* APP_AUTH: 0..1025 distinct thread ids */
	sb_app_auth(&b, 0, 0);
	CHECK_EQ_INT(sb_parse(&b, st), PROTO_E_OK);
	CHECK_EQ_INT(st->n_ids, 0);
	sb_app_auth(&b, PROTO_IDS_MAX, 0);
	CHECK_EQ_INT(sb_parse(&b, st), PROTO_E_OK);
	sb_app_auth(&b, PROTO_IDS_MAX + 1, 0);
	CHECK_EQ_INT(sb_parse(&b, st), PROTO_E_MALFORMED);
	sb_app_auth(&b, 2, 1);
	CHECK_EQ_INT(sb_parse(&b, st), PROTO_E_MALFORMED);
	sb_app_auth(&b, 0, 0);
	b.w.len -= 2;
	pst__proto_put_u8(&b.w, 0xff);
	pst__proto_put_u8(&b.w, 0xff);
	CHECK_EQ_INT(sb_parse(&b, st), PROTO_E_MALFORMED);

	/* the largest statement there can be fits PROTO_STATEMENT_MAX, and sign makes the same bytes */
	{
		struct proto_statement *big = statement_new();
		static unsigned char out[PROTO_STATEMENT_MAX];
		char id64[PROTO_ID_MAX + 1];
		size_t i, len = 0;
		memset(id64, 'x', PROTO_ID_MAX);
		id64[PROTO_ID_MAX] = '\0';
		big->type = PROTO_ST_APP_AUTH;
		snprintf(big->client_id, sizeof(big->client_id), "%s", id64);
		snprintf(big->grant_id, sizeof(big->grant_id), "%s", id64);
		snprintf(big->device_id, sizeof(big->device_id), "%s", id64);
		big->n_ids = PROTO_IDS_MAX;
		for (i = 0; i < PROTO_IDS_MAX; i++) {
			snprintf(big->ids[i], sizeof(big->ids[i]), "%s", id64);
			snprintf(big->ids[i] + PROTO_ID_MAX - 5, 6, "%05zu", i);
		}
		CHECK_EQ_INT(proto_statement_sign(big, fx.alice_id.sk, out, sizeof(out), &len), PROTO_E_OK);
		CHECK_EQ_INT(len, 3 + 3 * 65 + 64 + 8 + 2 + PROTO_IDS_MAX * 65 + 8 + 64);
		CHECK(len <= PROTO_STATEMENT_MAX);
		CHECK_EQ_INT(proto_statement_verify(out, len, PROTO_ST_APP_AUTH, fx.alice_id.pk, st), PROTO_E_OK);
		check_statement_fields(st, big);
		free(big);
	}
	free(st);
}

/* §15: the rules proto_chain_apply enforces; a refused link leaves the chain as it was. */
static void chain_rules(void)
{
	static const char *const abc[] = {"u_alice", "u_bob", "u_carol"};
	static const char *const ab[] = {"u_alice", "u_bob"};
	static const char *const a[] = {"u_alice"}, *const b[] = {"u_bob"}, *const c[] = {"u_carol"}, *const d[] = {"u_dave"};
	static const char *const dup[] = {"u_alice", "u_bob", "u_alice"};
	struct proto_statement *st = statement_new();
	struct proto_chain *g = chain_new(), *keep = chain_new(), *dt = chain_new();
	unsigned char h[32], zero[32] = {0}, create_hash[32];
	char tid[PROTO_ID_MAX + 1];

	setup();
	/* the first link must be a CREATE with prev zero */
	CHECK_EQ_INT(make_link(st, h, zero, PROTO_LINK_ADD, PROTO_THREAD_GROUP, "u_alice", d, 1), PROTO_E_OK);
	CHECK_EQ_INT(proto_chain_apply(g, st, h), PROTO_E_CHAIN);
	CHECK_EQ_INT(make_link(st, h, h, PROTO_LINK_CREATE, PROTO_THREAD_GROUP, "u_alice", abc, 3), PROTO_E_OK);
	CHECK_EQ_INT(proto_chain_apply(g, st, h), PROTO_E_CHAIN); /* a CREATE names no link before */
	/* the actor must be among the members */
	CHECK_EQ_INT(make_link(st, h, zero, PROTO_LINK_CREATE, PROTO_THREAD_GROUP, "u_dave", abc, 3), PROTO_E_OK);
	CHECK_EQ_INT(proto_chain_apply(g, st, h), PROTO_E_CHAIN);
	/* a direct thread has exactly two people (whether or not the signer lets one be made, the chain refuses it) */
	(void)make_link(st, h, zero, PROTO_LINK_CREATE, PROTO_THREAD_DIRECT, "u_alice", abc, 3);
	CHECK_EQ_INT(st->n_ids, 3);
	CHECK_EQ_INT(proto_chain_apply(g, st, h), PROTO_E_CHAIN);
	/* members are distinct (the signer refuses, and so would the parser) */
	CHECK_EQ_INT(make_link(st, h, zero, PROTO_LINK_CREATE, PROTO_THREAD_GROUP, "u_alice", dup, 3), PROTO_E_INVALID_ARG);
	CHECK_EQ_INT(g->length, 0);
	CHECK(memcmp(g->head, zero, 32) == 0);

	/* a group: Alice makes it with Bob and Carol */
	CHECK_EQ_INT(make_link(st, create_hash, zero, PROTO_LINK_CREATE, PROTO_THREAD_GROUP, "u_alice", abc, 3), PROTO_E_OK);
	CHECK_EQ_INT(proto_chain_apply(g, st, create_hash), PROTO_E_OK);
	CHECK_EQ_INT(proto_link_thread_id(create_hash, tid, sizeof(tid)), PROTO_E_OK);
	CHECK_EQ_STR(g->thread_id, tid);
	CHECK_EQ_STR(g->creator, "u_alice");
	CHECK_EQ_INT(g->n_members, 3);
	/* CREATE twice */
	CHECK_EQ_INT(make_link(st, h, g->head, PROTO_LINK_CREATE, PROTO_THREAD_GROUP, "u_alice", abc, 3), PROTO_E_OK);
	memcpy(keep, g, sizeof(*g));
	CHECK_EQ_INT(proto_chain_apply(g, st, h), PROTO_E_CHAIN);
	/* prev mismatch: a fork from the start, or a random prev */
	CHECK_EQ_INT(make_link(st, h, zero, PROTO_LINK_ADD, PROTO_THREAD_GROUP, "u_alice", d, 1), PROTO_E_OK);
	CHECK_EQ_INT(proto_chain_apply(g, st, h), PROTO_E_CHAIN);
	CHECK_EQ_INT(make_link(st, h, create_hash, PROTO_LINK_ADD, PROTO_THREAD_GROUP, "u_alice", d, 1), PROTO_E_OK);
	st->prev[0] ^= 1;
	CHECK_EQ_INT(proto_chain_apply(g, st, h), PROTO_E_CHAIN);
	/* the kind does not change along the chain */
	CHECK_EQ_INT(make_link(st, h, g->head, PROTO_LINK_REMOVE, PROTO_THREAD_DIRECT, "u_bob", b, 1), PROTO_E_OK);
	CHECK_EQ_INT(proto_chain_apply(g, st, h), PROTO_E_CHAIN);
	/* add by a non-member; add of a member */
	CHECK_EQ_INT(make_link(st, h, g->head, PROTO_LINK_ADD, PROTO_THREAD_GROUP, "u_dave", d, 1), PROTO_E_OK);
	CHECK_EQ_INT(proto_chain_apply(g, st, h), PROTO_E_CHAIN);
	CHECK_EQ_INT(make_link(st, h, g->head, PROTO_LINK_ADD, PROTO_THREAD_GROUP, "u_erin", d, 1), PROTO_E_OK);
	CHECK_EQ_INT(proto_chain_apply(g, st, h), PROTO_E_CHAIN);
	CHECK_EQ_INT(make_link(st, h, g->head, PROTO_LINK_ADD, PROTO_THREAD_GROUP, "u_bob", c, 1), PROTO_E_OK);
	CHECK_EQ_INT(proto_chain_apply(g, st, h), PROTO_E_CHAIN);
	/* remove by a non-creator of someone else; remove of a non-member */
	CHECK_EQ_INT(make_link(st, h, g->head, PROTO_LINK_REMOVE, PROTO_THREAD_GROUP, "u_bob", c, 1), PROTO_E_OK);
	CHECK_EQ_INT(proto_chain_apply(g, st, h), PROTO_E_CHAIN);
	CHECK_EQ_INT(make_link(st, h, g->head, PROTO_LINK_REMOVE, PROTO_THREAD_GROUP, "u_alice", d, 1), PROTO_E_OK);
	CHECK_EQ_INT(proto_chain_apply(g, st, h), PROTO_E_CHAIN);
	CHECK(memcmp(g, keep, sizeof(*g)) == 0);

	/* any member adds (Bob adds Dave); the creator removes anyone (Carol) */
	CHECK_EQ_INT(make_link(st, h, g->head, PROTO_LINK_ADD, PROTO_THREAD_GROUP, "u_bob", d, 1), PROTO_E_OK);
	CHECK_EQ_INT(proto_chain_apply(g, st, h), PROTO_E_OK);
	CHECK(proto_chain_is_member(g, "u_dave"));
	CHECK_EQ_INT(make_link(st, h, g->head, PROTO_LINK_REMOVE, PROTO_THREAD_GROUP, "u_alice", c, 1), PROTO_E_OK);
	CHECK_EQ_INT(proto_chain_apply(g, st, h), PROTO_E_OK);
	CHECK(!proto_chain_is_member(g, "u_carol"));
	/* a removed member cannot add anyone, not even themself */
	CHECK_EQ_INT(make_link(st, h, g->head, PROTO_LINK_ADD, PROTO_THREAD_GROUP, "u_carol", c, 1), PROTO_E_OK);
	CHECK_EQ_INT(proto_chain_apply(g, st, h), PROTO_E_CHAIN);
	/* leave: Bob removes himself */
	CHECK_EQ_INT(make_link(st, h, g->head, PROTO_LINK_REMOVE, PROTO_THREAD_GROUP, "u_bob", b, 1), PROTO_E_OK);
	CHECK_EQ_INT(proto_chain_apply(g, st, h), PROTO_E_OK);
	CHECK(!proto_chain_is_member(g, "u_bob"));
	CHECK_EQ_INT(g->n_members, 2);
	CHECK_EQ_INT(g->length, 4);
	/* the creator, once gone, removes no one else */
	CHECK_EQ_INT(make_link(st, h, g->head, PROTO_LINK_REMOVE, PROTO_THREAD_GROUP, "u_alice", a, 1), PROTO_E_OK);
	CHECK_EQ_INT(proto_chain_apply(g, st, h), PROTO_E_OK);
	CHECK_EQ_INT(make_link(st, h, g->head, PROTO_LINK_REMOVE, PROTO_THREAD_GROUP, "u_alice", d, 1), PROTO_E_OK);
	CHECK_EQ_INT(proto_chain_apply(g, st, h), PROTO_E_CHAIN);
	CHECK(proto_chain_is_member(g, "u_dave"));

	/* a direct thread: Alice and Bob */
	CHECK_EQ_INT(make_link(st, h, zero, PROTO_LINK_CREATE, PROTO_THREAD_DIRECT, "u_bob", ab, 2), PROTO_E_OK);
	CHECK_EQ_INT(proto_chain_apply(dt, st, h), PROTO_E_OK);
	CHECK_EQ_INT(dt->kind, PROTO_THREAD_DIRECT);
	/* no third person, by either of them or by themself */
	CHECK_EQ_INT(make_link(st, h, dt->head, PROTO_LINK_ADD, PROTO_THREAD_DIRECT, "u_alice", c, 1), PROTO_E_OK);
	CHECK_EQ_INT(proto_chain_apply(dt, st, h), PROTO_E_CHAIN);
	CHECK_EQ_INT(make_link(st, h, dt->head, PROTO_LINK_ADD, PROTO_THREAD_DIRECT, "u_carol", c, 1), PROTO_E_OK);
	CHECK_EQ_INT(proto_chain_apply(dt, st, h), PROTO_E_CHAIN);
	/* Alice leaves */
	CHECK_EQ_INT(make_link(st, h, dt->head, PROTO_LINK_REMOVE, PROTO_THREAD_DIRECT, "u_alice", a, 1), PROTO_E_OK);
	CHECK_EQ_INT(proto_chain_apply(dt, st, h), PROTO_E_OK);
	CHECK(!proto_chain_is_member(dt, "u_alice") && proto_chain_is_member(dt, "u_bob"));
	memcpy(keep, dt, sizeof(*dt));
	/* Bob cannot bring her back, nor anyone else; Carol cannot come in */
	CHECK_EQ_INT(make_link(st, h, dt->head, PROTO_LINK_ADD, PROTO_THREAD_DIRECT, "u_bob", a, 1), PROTO_E_OK);
	CHECK_EQ_INT(proto_chain_apply(dt, st, h), PROTO_E_CHAIN);
	CHECK_EQ_INT(make_link(st, h, dt->head, PROTO_LINK_ADD, PROTO_THREAD_DIRECT, "u_bob", c, 1), PROTO_E_OK);
	CHECK_EQ_INT(proto_chain_apply(dt, st, h), PROTO_E_CHAIN);
	CHECK_EQ_INT(make_link(st, h, dt->head, PROTO_LINK_ADD, PROTO_THREAD_DIRECT, "u_carol", c, 1), PROTO_E_OK);
	CHECK_EQ_INT(proto_chain_apply(dt, st, h), PROTO_E_CHAIN);
	/* only Alice herself can bring her back */
	CHECK(memcmp(dt, keep, sizeof(*dt)) == 0);
	CHECK_EQ_INT(make_link(st, h, dt->head, PROTO_LINK_ADD, PROTO_THREAD_DIRECT, "u_alice", a, 1), PROTO_E_OK);
	CHECK_EQ_INT(proto_chain_apply(dt, st, h), PROTO_E_OK);
	CHECK(proto_chain_is_member(dt, "u_alice") && proto_chain_is_member(dt, "u_bob"));
	CHECK_EQ_INT(dt->n_members, 2);
	/* and, being a member again, she cannot add herself twice */
	CHECK_EQ_INT(make_link(st, h, dt->head, PROTO_LINK_ADD, PROTO_THREAD_DIRECT, "u_alice", a, 1), PROTO_E_OK);
	CHECK_EQ_INT(proto_chain_apply(dt, st, h), PROTO_E_CHAIN);
	CHECK_EQ_INT(proto_chain_apply(NULL, st, h), PROTO_E_INVALID_ARG);
	CHECK_EQ_INT(proto_chain_apply(dt, NULL, h), PROTO_E_INVALID_ARG);
	free(st);
	free(g);
	free(keep);
	free(dt);
}

/* §14: typing is forgiving (case, dashes, spaces, O, I, L); a typo in any character is caught by the check. */
static void recovery_key_parse(void)
{
	static const char alphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
	unsigned char secret[PROTO_RECOVERY_BYTES], got[PROTO_RECOVERY_BYTES];
	char text[PROTO_RECOVERY_LEN], typed[128];
	const char *want;
	size_t i, j, k, pos;

	setup();
	want = vstr("recovery_key", "text", NULL);
	vhex_exact("recovery_key", "secret", NULL, secret, sizeof(secret));
	snprintf(text, sizeof(text), "%s", want);
	/* lower case, no dashes, spaces instead, O/I/L for 0/1 */
	for (i = 0, j = 0; text[i]; i++)
		if (text[i] != '-')
			typed[j++] = (char)(text[i] >= 'A' && text[i] <= 'Z' ? text[i] + 32 : text[i]);
	typed[j] = '\0';
	CHECK_EQ_INT(proto_recovery_parse(typed, got), PROTO_E_OK);
	CHECK(memcmp(got, secret, sizeof(secret)) == 0);
	for (i = 0, j = 0; text[i]; i++) {
		char ch = text[i] == '-' ? ' ' : text[i];
		if (ch == '0')
			ch = (i & 1) ? 'O' : 'o';
		else if (ch == '1')
			ch = (i % 3 == 0) ? 'I' : (i % 3 == 1) ? 'l' : 'L';
		typed[j++] = ch;
		if (i == 7)
			typed[j++] = '-'; /* a stray dash */
	}
	typed[j] = '\0';
	CHECK(strchr(text, '0') != NULL || strchr(text, '1') != NULL); /* the vector exercises O/I/L */
	memset(got, 0, sizeof(got));
	CHECK_EQ_INT(proto_recovery_parse(typed, got), PROTO_E_OK);
	CHECK(memcmp(got, secret, sizeof(secret)) == 0);
	/* a typo in every position, data and check characters alike, is refused */
	for (pos = 0, k = 0; text[pos]; pos++) {
		char saved = text[pos];
		if (saved == '-')
			continue;
		snprintf(typed, sizeof(typed), "%s", text);
		typed[pos] = saved == alphabet[(k * 7 + 3) % 32] ? alphabet[(k * 7 + 4) % 32] : alphabet[(k * 7 + 3) % 32];
		k++;
		CHECK_EQ_INT(proto_recovery_parse(typed, got), PROTO_E_MALFORMED);
	}
	CHECK_EQ_INT(k, 36);
	/* U is not in the alphabet; wrong lengths; other characters */
	snprintf(typed, sizeof(typed), "%s", text);
	typed[0] = 'U';
	CHECK_EQ_INT(proto_recovery_parse(typed, got), PROTO_E_MALFORMED);
	snprintf(typed, sizeof(typed), "%s", text);
	typed[strlen(typed) - 1] = '\0';
	CHECK_EQ_INT(proto_recovery_parse(typed, got), PROTO_E_MALFORMED);
	snprintf(typed, sizeof(typed), "%sA", text);
	CHECK_EQ_INT(proto_recovery_parse(typed, got), PROTO_E_MALFORMED);
	snprintf(typed, sizeof(typed), "%s", text);
	typed[4] = '_';
	CHECK_EQ_INT(proto_recovery_parse(typed, got), PROTO_E_MALFORMED);
	CHECK_EQ_INT(proto_recovery_parse("", got), PROTO_E_MALFORMED);
	/* a fresh key formats and parses back */
	CHECK_EQ_INT(proto_recovery_new(secret), PROTO_E_OK);
	CHECK_EQ_INT(proto_recovery_format(secret, text, sizeof(text)), PROTO_E_OK);
	CHECK_EQ_INT(proto_recovery_parse(text, got), PROTO_E_OK);
	CHECK(memcmp(got, secret, sizeof(secret)) == 0);
}

static void code_normalize(void)
{
	char out[PROTO_CODE_LEN];
	const char *code;

	setup();
	code = vstr("approval_code", "text", NULL); /* CP0V-8Z0R-KFPK */
	CHECK_EQ_INT(proto_code_normalize(code, out, sizeof(out)), PROTO_E_OK);
	CHECK_EQ_STR(out, code);
	CHECK_EQ_INT(proto_code_normalize("cp0v8z0rkfpk", out, sizeof(out)), PROTO_E_OK);
	CHECK_EQ_STR(out, code);
	CHECK_EQ_INT(proto_code_normalize("  CPoV 8ZOR-KFPK ", out, sizeof(out)), PROTO_E_OK);
	CHECK_EQ_STR(out, code);
	CHECK_EQ_INT(proto_code_normalize("il1L-0Oo0-abcd", out, sizeof(out)), PROTO_E_OK);
	CHECK_EQ_STR(out, "1111-0000-ABCD");
	CHECK_EQ_INT(proto_code_normalize("CP0V-8Z0R-KFP", out, sizeof(out)), PROTO_E_MALFORMED);
	CHECK_EQ_INT(proto_code_normalize("CP0V-8Z0R-KFPKK", out, sizeof(out)), PROTO_E_MALFORMED);
	CHECK_EQ_INT(proto_code_normalize("CP0V-8Z0R-KFPU", out, sizeof(out)), PROTO_E_MALFORMED);
	CHECK_EQ_INT(proto_code_normalize("CP0V-8Z0R-KFP!", out, sizeof(out)), PROTO_E_MALFORMED);
	CHECK_EQ_INT(proto_code_normalize("", out, sizeof(out)), PROTO_E_MALFORMED);
	CHECK_EQ_INT(proto_code_normalize(code, out, PROTO_CODE_LEN - 1), PROTO_E_BUFFER_TOO_SMALL);
}

/* Put a u64 at off (big-endian). */
static void put_u64_at(unsigned char *p, size_t off, uint64_t v)
{
	int i;
	for (i = 0; i < 8; i++)
		p[off + (size_t)i] = (unsigned char)(v >> (56 - 8 * i));
}

static void backup_rejects(void)
{
	unsigned char secret[PROTO_RECOVERY_BYTES], raw[PROTO_BACKUP_MAX + 2], b[PROTO_BACKUP_MAX + 2], salt[16], nonce[24];
	char user[PROTO_ID_MAX + 1];
	struct proto_identity id, before, fake;
	size_t n, i, ops_off;

	setup();
	vhex_exact("backup", "secret", NULL, secret, sizeof(secret));
	n = vhex("backup", "bytes", NULL, raw, sizeof(raw));
	ops_off = 3 + 1 + strlen(fx.user) + 32 + 16;
	memset(&id, 0x33, sizeof(id));
	before = id;
	/* a wrong recovery secret */
	secret[19] ^= 1;
	CHECK_EQ_INT(proto_backup_open(raw, n, fx.user, secret, &id), PROTO_E_WRONG_KEY);
	secret[19] ^= 1;
	/* an altered byte of the associated data or of the sealed seed */
	memcpy(b, raw, n);
	b[n - 1] ^= 1;
	CHECK_EQ_INT(proto_backup_open(b, n, fx.user, secret, &id), PROTO_E_WRONG_KEY);
	memcpy(b, raw, n);
	b[3 + 1 + strlen(fx.user) + 40] ^= 1; /* the salt: another key */
	CHECK_EQ_INT(proto_backup_open(b, n, fx.user, secret, &id), PROTO_E_WRONG_KEY);
	/* argon2 costs over the caps (a server must not make the client spend without bound): before any work */
	memcpy(b, raw, n);
	put_u64_at(b, ops_off, PROTO_BACKUP_OPS_MAX + 1);
	CHECK_EQ_INT(proto_backup_open(b, n, fx.user, secret, &id), PROTO_E_TOO_LARGE);
	put_u64_at(b, ops_off, UINT64_MAX);
	CHECK_EQ_INT(proto_backup_open(b, n, fx.user, secret, &id), PROTO_E_TOO_LARGE);
	memcpy(b, raw, n);
	put_u64_at(b, ops_off + 8, (uint64_t)PROTO_BACKUP_MEM_MAX + 1);
	CHECK_EQ_INT(proto_backup_open(b, n, fx.user, secret, &id), PROTO_E_TOO_LARGE);
	put_u64_at(b, ops_off + 8, UINT64_MAX);
	CHECK_EQ_INT(proto_backup_open(b, n, fx.user, secret, &id), PROTO_E_TOO_LARGE);
	/* a backup naming another user is refused before any work */
	CHECK_EQ_INT(proto_backup_open(raw, n, fx.bob_user, secret, &id), PROTO_E_MALFORMED);
	/* sealed with the right key but naming another identity key (the seed does not give it) */
	fake = fx.alice_id;
	memcpy(fake.pk, fx.bob_id.pk, 32);
	vhex_exact("backup", "salt", NULL, salt, 16);
	vhex_exact("backup", "nonce", NULL, nonce, 24);
	CHECK_EQ_INT(pst__proto_backup_seal_with(&fake, fx.user, secret, 1, 8192, salt, nonce, b, sizeof(b), &i), PROTO_E_OK);
	CHECK_EQ_INT(proto_backup_open(b, i, fx.user, secret, &id), PROTO_E_MALFORMED);
	/* strict decoding: truncated, trailing, version 1, another type */
	for (i = 0; i < n; i++) {
		CHECK_EQ_INT(proto_backup_peek(raw, i, user, NULL), PROTO_E_MALFORMED);
		CHECK_EQ_INT(proto_backup_open(raw, i, fx.user, secret, &id), PROTO_E_MALFORMED);
	}
	memcpy(b, raw, n);
	b[n] = 0;
	CHECK_EQ_INT(proto_backup_peek(b, n + 1, user, NULL), PROTO_E_MALFORMED);
	CHECK_EQ_INT(proto_backup_peek(b, PROTO_BACKUP_MAX + 1, user, NULL), PROTO_E_TOO_LARGE);
	b[1] = 1;
	CHECK_EQ_INT(proto_backup_peek(b, n, user, NULL), PROTO_E_VERSION);
	CHECK_EQ_INT(proto_backup_open(b, n, fx.user, secret, &id), PROTO_E_VERSION);
	b[1] = 2;
	b[2] = 0x26;
	CHECK_EQ_INT(proto_backup_peek(b, n, user, NULL), PROTO_E_MALFORMED);
	CHECK(memcmp(&id, &before, sizeof(id)) == 0);
	/* the sealer refuses costs a client would refuse */
	CHECK_EQ_INT(pst__proto_backup_seal_with(&fx.alice_id, fx.user, secret, PROTO_BACKUP_OPS_MAX + 1, 8192, salt, nonce, b, sizeof(b),
						 &i), PROTO_E_INVALID_ARG);
	/* a random-salt backup round-trips */
	CHECK_EQ_INT(proto_backup_seal(&fx.alice_id, fx.user, secret, 1, 8192, b, sizeof(b), &i), PROTO_E_OK);
	CHECK_EQ_INT(proto_backup_open(b, i, fx.user, secret, &id), PROTO_E_OK);
	CHECK(memcmp(&id, &fx.alice_id, sizeof(id)) == 0);
	sodium_memzero(&id, sizeof(id));
}

static void identity_box_rejects(void)
{
	unsigned char box[PROTO_IDENTITY_BOX_MAX + 1];
	struct proto_identity id, before;
	size_t n = 0;

	setup();
	memset(&id, 0x44, sizeof(id));
	before = id;
	CHECK_EQ_INT(proto_identity_box_seal(&fx.alice_id, fx.alice_new_dev, fx.alice_new.box_pk, box, sizeof(box), &n), PROTO_E_OK);
	/* for another device id (the same box key) */
	CHECK_EQ_INT(proto_identity_box_open(box, n, &fx.alice_new, "d_someOtherDevice", &id), PROTO_E_WRONG_RECIPIENT);
	/* for another device's box key */
	CHECK_EQ_INT(proto_identity_box_open(box, n, &fx.bob, fx.alice_new_dev, &id), PROTO_E_DECRYPT);
	box[n - 1] ^= 1;
	CHECK_EQ_INT(proto_identity_box_open(box, n, &fx.alice_new, fx.alice_new_dev, &id), PROTO_E_DECRYPT);
	box[n - 1] ^= 1;
	CHECK_EQ_INT(proto_identity_box_open(box, n - 1, &fx.alice_new, fx.alice_new_dev, &id), PROTO_E_DECRYPT);
	CHECK_EQ_INT(proto_identity_box_open(box, 10, &fx.alice_new, fx.alice_new_dev, &id), PROTO_E_MALFORMED);
	CHECK_EQ_INT(proto_identity_box_open(box, PROTO_IDENTITY_BOX_MAX + 1, &fx.alice_new, fx.alice_new_dev, &id), PROTO_E_TOO_LARGE);
	/* inside a valid seal: version 1, another type, trailing bytes */
	{
		unsigned char plain[PROTO_IDENTITY_BOX_MAX];
		size_t pn = vhex("identity_box", "plaintext", NULL, plain, sizeof(plain));
		plain[1] = 1;
		CHECK(crypto_box_seal(box, plain, pn, fx.alice_new.box_pk) == 0);
		CHECK_EQ_INT(proto_identity_box_open(box, pn + 48, &fx.alice_new, fx.alice_new_dev, &id), PROTO_E_VERSION);
		plain[1] = 2;
		plain[2] = 0x25;
		CHECK(crypto_box_seal(box, plain, pn, fx.alice_new.box_pk) == 0);
		CHECK_EQ_INT(proto_identity_box_open(box, pn + 48, &fx.alice_new, fx.alice_new_dev, &id), PROTO_E_MALFORMED);
		plain[2] = 0x26;
		CHECK(crypto_box_seal(box, plain, pn - 1, fx.alice_new.box_pk) == 0);
		CHECK_EQ_INT(proto_identity_box_open(box, pn - 1 + 48, &fx.alice_new, fx.alice_new_dev, &id), PROTO_E_MALFORMED);
	}
	CHECK(memcmp(&id, &before, sizeof(id)) == 0);
	n = 3 + 1 + strlen(fx.alice_new_dev) + 32 + 48;
	CHECK_EQ_INT(proto_identity_box_seal(&fx.alice_id, fx.alice_new_dev, fx.alice_new.box_pk, box, n - 1, &n),
		     PROTO_E_BUFFER_TOO_SMALL);
}

/* Identities: from a seed, deterministic; fresh ones differ. */
static void identity_keys(void)
{
	struct proto_identity a, b;
	unsigned char pk[32];

	setup();
	vhex_exact("identities", "alice", "pk", pk, 32);
	CHECK(memcmp(fx.alice_id.pk, pk, 32) == 0);
	CHECK(memcmp(fx.alice_id.sk + 32, pk, 32) == 0); /* libsodium's sk is seed || pk */
	CHECK_EQ_INT(proto_identity_keygen(&a), PROTO_E_OK);
	CHECK_EQ_INT(proto_identity_keygen(&b), PROTO_E_OK);
	CHECK(memcmp(a.pk, b.pk, 32) != 0);
	CHECK_EQ_INT(proto_identity_from_seed(&b, a.seed), PROTO_E_OK);
	CHECK(memcmp(&a, &b, sizeof(a)) == 0);
	sodium_memzero(&a, sizeof(a));
	sodium_memzero(&b, sizeof(b));
}

static const struct unit_case cases[] = {
	{"vector_device_keys_and_registration", vector_device_keys_and_registration},
	{"vector_fingerprint", vector_fingerprint},
	{"vector_chain", vector_chain},
	{"vector_envelope_encrypt", vector_envelope_encrypt},
	{"vector_envelope_decode", vector_envelope_decode},
	{"vector_session_key_payload_and_decrypt", vector_session_key_payload_and_decrypt},
	{"vector_handover_with_one_time_prekey", vector_handover_with_one_time_prekey},
	{"vector_handover_signed_prekey_only", vector_handover_signed_prekey_only},
	{"vector_recipients_hash", vector_recipients_hash},
	{"vector_stored_states", vector_stored_states},
	{"vector_statements", vector_statements},
	{"vector_links_and_chain", vector_links_and_chain},
	{"vector_safety_number", vector_safety_number},
	{"vector_approval_code", vector_approval_code},
	{"vector_recovery_key", vector_recovery_key},
	{"vector_backup", vector_backup},
	{"vector_identity_box", vector_identity_box},
	{"handover_seal_open_round_trip", handover_seal_open_round_trip},
	{"handover_payload_tampering", handover_payload_tampering},
	{"handover_peek_rejects", handover_peek_rejects},
	{"round_trip_in_and_out_of_order", round_trip_in_and_out_of_order},
	{"envelope_limits", envelope_limits},
	{"reject_replay", reject_replay},
	{"reject_bad_signature", reject_bad_signature},
	{"reject_envelope_head_changed", reject_envelope_head_changed},
	{"reject_payload_head_changed", reject_payload_head_changed},
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
	{"statement_rejects", statement_rejects},
	{"statement_field_ranges", statement_field_ranges},
	{"chain_rules", chain_rules},
	{"recovery_key_parse", recovery_key_parse},
	{"code_normalize", code_normalize},
	{"backup_rejects", backup_rejects},
	{"identity_box_rejects", identity_box_rejects},
	{"identity_keys", identity_keys},
	{"errors_have_messages", errors_have_messages},
};

UNIT_MAIN("proto", cases)
