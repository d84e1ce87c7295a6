/*
 * fuzz_envelope.c — libFuzzer target for every parser of the E2EE protocol (src/proto/proto*.c): the
 * envelope decoder, the full decrypt path against a fixed inbound session, the session-key payload
 * checker, the sealed hand-over (peek and open with fixed prekeys), the outbound and inbound state loaders,
 * the signed statements, the membership chain after a LINK parses, the backup and identity-box decoders,
 * and the transparency log's text (proto_checkpoint_parse, proto_note_open). Properties: loaded state saves
 * back to the same bytes; a parsed statement re-encodes to the same signed bytes; a refused link leaves the
 * chain unchanged and an applied one moves exactly one member; the input used as a plaintext survives
 * encrypt/decrypt; a parsed checkpoint formats back to the same bytes; a note opens only with a known key's
 * signature, its body ends where a blank line does, and signed again it still opens. Any crash, sanitizer
 * report or failed property is a bug.
 *
 * The keys, ids and session are those of tests/vectors/proto_v2.json (Alice sends, Bob receives), so the seed
 * corpus tests/fuzz/corpus/proto_*.bin, which gen_proto_vectors.py writes from the same vectors, reaches past
 * the signature and AEAD checks. When the vectors change, regenerate both. Likewise the note keys are those
 * of tests/vectors/merkle.json, whose generator (gen_merkle_vectors.py) writes the seeds proto_checkpoint.bin
 * and proto_note.bin (a checkpoint cosigned by both keys).
 */
#include "proto.h"
#include "proto_internal.h"

#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "banned.h" /* last: bans footguns in this file only */

#define THREAD "t_OV5-EG5xAHC2JNC41ckJIQ" /* the vectors' thread: from their CREATE link */
#define SENDER "d_A1iceDev1ce0000000000a"
#define ME "d_B0bDev1ce000000000000b"
/* the log and witness keys of tests/vectors/merkle.json (test keys from fixed seeds) */
#define LOG_SKEY "PRIVATE+KEY+log.postern.example/test+33c49714+AfQvnndiBHCoMeEmW49Lv8CvEEFU0XMHuJlJm2AaBpnR"
#define WITNESS_SKEY "PRIVATE+KEY+witness.postern.example/w1+340b56f9+BL7nPfD2xBUm3eo1hey2XkKj+e1EkYpcePnQhqBCTkft"

static struct proto_device_keys sender, me;
static struct proto_outbound base_out;
static struct proto_inbound base_in, in;
static unsigned char out[PROTO_ENVELOPE_MAX], state[PROTO_INBOUND_STATE_MAX];
static unsigned char spk_sk[32], opk_sk[32];
static struct proto_statement st;
static struct proto_chain base_group, base_direct, chain, keep;
static unsigned char stmt[PROTO_STATEMENT_MAX];
static struct proto_note_key note_keys[2]; /* the log's signer, the witness's */
static char note_in[PROTO_NOTE_MAX + 1], note_out[PROTO_NOTE_MAX + 1];

static void seq(unsigned char *p, unsigned start, size_t n)
{
	size_t i;
	for (i = 0; i < n; i++)
		p[i] = (unsigned char)(start + i);
}

/* A chain made by u_a with members (group: u_a u_b u_c; direct: u_a u_b), for the links the fuzzer makes. */
static void base_chain(struct proto_chain *c, unsigned kind)
{
	static const char *const members[] = {"u_a", "u_b", "u_c"};
	unsigned char h[32];
	size_t i, n = 0;

	memset(&st, 0, sizeof(st));
	st.type = PROTO_ST_LINK;
	st.op = PROTO_LINK_CREATE;
	st.kind = kind;
	memcpy(st.actor_user_id, "u_a", 4);
	memcpy(st.actor_device_id, "d_a", 4);
	st.n_ids = kind == PROTO_THREAD_GROUP ? 3 : 2;
	for (i = 0; i < st.n_ids; i++)
		memcpy(st.ids[i], members[i], 4);
	if (proto_statement_sign(&st, sender.sign_sk, stmt, sizeof(stmt), &n) != PROTO_E_OK ||
	    proto_statement_hash(stmt, n, h) != PROTO_E_OK)
		abort();
	proto_chain_init(c);
	if (proto_chain_apply(c, &st, h) != PROTO_E_OK)
		abort();
}

static void setup(void)
{
	static int done;
	unsigned char s1[32], s2[32], sid[16], ck[32], h[32];

	if (done)
		return;
	done = 1;
	if (proto_init() != PROTO_E_OK)
		abort();
	seq(s1, 0x00, 32);
	seq(s2, 0x20, 32);
	pst__proto_device_keys_from_seeds(&sender, s1, s2);
	seq(s1, 0x40, 32);
	seq(s2, 0x60, 32);
	pst__proto_device_keys_from_seeds(&me, s1, s2);
	seq(spk_sk, 0x31, 32);
	seq(opk_sk, 0x51, 32);
	seq(sid, 0xc0, 16);
	seq(ck, 0xa0, 32);
	memset(h, 0, sizeof(h));
	if (pst__proto_outbound_init(&base_out, THREAD, SENDER, sid, ck, 0, h, 0) != PROTO_E_OK ||
	    proto_inbound_from_outbound(&base_in, &base_out, sender.sign_pk) != PROTO_E_OK)
		abort();
	base_chain(&base_group, PROTO_THREAD_GROUP);
	base_chain(&base_direct, PROTO_THREAD_DIRECT);
	if (proto_note_signer_parse(LOG_SKEY, &note_keys[0]) != PROTO_E_OK ||
	    proto_note_signer_parse(WITNESS_SKEY, &note_keys[1]) != PROTO_E_OK)
		abort();
}

/* The transparency log's text: checkpoints and signed notes. */
static void fuzz_note(const uint8_t *data, size_t size)
{
	struct proto_checkpoint cp;
	const char *text = (const char *)data;
	size_t body_len = 0, again = 0;
	int verified[2] = {0, 0};
	uint64_t ts[2] = {0, 0};

	/* a checkpoint that parses is in its one canonical form */
	if (proto_checkpoint_parse(text, size, &cp) == PROTO_E_OK) {
		if (proto_checkpoint_format(&cp, note_out, sizeof(note_out)) != PROTO_E_OK || strlen(note_out) != size ||
		    memcmp(note_out, data, size) != 0)
			abort();
	}
	/* no note opens without a known key's signature */
	if (proto_note_open(text, size, note_keys, 0, &body_len, verified, ts) == PROTO_E_OK)
		abort();
	if (proto_note_open(text, size, note_keys, 2, &body_len, verified, ts) != PROTO_E_OK)
		return;
	if (!(verified[0] || verified[1]) || body_len == 0 || body_len + 2 > size || text[body_len - 1] != '\n' ||
	    text[body_len] != '\n' || (!verified[1] && ts[1] != 0) || ts[0] != 0 || memchr(data, 0, size) != NULL)
		abort();
	if (verified[1] && proto_checkpoint_parse(text, body_len, &cp) != PROTO_E_OK)
		abort(); /* the witness signs only checkpoints */
	/* signed again by the log (its line replaced or added), the note still opens, with the same body */
	memcpy(note_in, data, size);
	note_in[size] = '\0';
	if (proto_note_sign(note_in, &note_keys[0], 0, note_out, sizeof(note_out)) != PROTO_E_OK)
		return; /* too large with the new line */
	if (proto_note_open(note_out, strlen(note_out), note_keys, 1, &again, verified, NULL) != PROTO_E_OK || again != body_len ||
	    !verified[0] || memcmp(note_out, data, body_len) != 0)
		abort();
}

/* A parsed LINK against a fresh chain, and against a made-up chain whose head is the link's prev. */
static void fuzz_chain(const unsigned char *data, size_t size)
{
	unsigned char h[32];
	size_t before;
	int rc;

	if (proto_statement_hash(data, size, h) != PROTO_E_OK)
		abort();
	proto_chain_init(&chain);
	rc = proto_chain_apply(&chain, &st, h);
	if (rc == PROTO_E_OK) {
		if (st.op != PROTO_LINK_CREATE || chain.n_members != st.n_ids || chain.length != 1 || memcmp(chain.head, h, 32) != 0)
			abort();
		return;
	}
	if (rc != PROTO_E_CHAIN || chain.length != 0)
		abort();
	memcpy(&chain, st.kind == PROTO_THREAD_DIRECT ? &base_direct : &base_group, sizeof(chain));
	memcpy(chain.head, st.prev, 32);
	memcpy(&keep, &chain, sizeof(chain));
	before = chain.n_members;
	rc = proto_chain_apply(&chain, &st, h);
	if (rc == PROTO_E_CHAIN) {
		if (memcmp(&chain, &keep, sizeof(chain)) != 0)
			abort();
		return;
	}
	if (rc != PROTO_E_OK || st.n_ids != 1 || chain.length != 2 ||
	    (st.op == PROTO_LINK_ADD && (chain.n_members != before + 1 || !proto_chain_is_member(&chain, st.ids[0]))) ||
	    (st.op == PROTO_LINK_REMOVE && (chain.n_members != before - 1 || proto_chain_is_member(&chain, st.ids[0]))))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct proto_envelope e;
	struct proto_outbound o;
	struct proto_identity id;
	char who[PROTO_ID_MAX + 1];
	unsigned char pk[32], head[32];
	uint32_t spk_id = 0, opk_id = 0;
	size_t n = 0, which = 0;

	setup();

	(void)proto_envelope_decode(data, size, &e);
	memcpy(&in, &base_in, sizeof(in));
	(void)proto_decrypt(&in, 1, THREAD, SENDER, data, size, out, sizeof(out), &n, &which, &e);
	(void)pst__proto_handover_accept(data, size, ME, SENDER, sender.sign_pk, NULL, &in, head);
	if (proto_handover_peek(data, size, who, &spk_id, &opk_id) == PROTO_E_OK)
		(void)proto_handover_open(data, size, &me, spk_sk, opk_id ? opk_sk : NULL, ME, SENDER, sender.sign_pk, THREAD, &in,
					  head);
	(void)proto_backup_peek(data, size, who, pk);
	(void)proto_identity_box_open(data, size, &me, ME, &id);

	/* a statement that parses encodes back to the same signed bytes */
	if (proto_statement_parse(data, size, 0, &st) == PROTO_E_OK) {
		if (proto_statement_sign(&st, sender.sign_sk, stmt, sizeof(stmt), &n) != PROTO_E_OK || n != size ||
		    st.signed_len != size - PROTO_SIG_BYTES || memcmp(stmt, data, st.signed_len) != 0)
			abort();
		if (st.type == PROTO_ST_LINK)
			fuzz_chain(data, size);
	}

	/* a state that loads saves back to the same bytes */
	if (proto_outbound_load(&o, data, size) == PROTO_E_OK) {
		if (proto_outbound_save(&o, state, sizeof(state), &n) != PROTO_E_OK || n != size || memcmp(state, data, size) != 0)
			abort();
	}
	if (proto_inbound_load(&in, data, size) == PROTO_E_OK) {
		if (proto_inbound_save(&in, state, sizeof(state), &n) != PROTO_E_OK || n != size || memcmp(state, data, size) != 0)
			abort();
	}

	fuzz_note(data, size);

	/* the input as a message survives a round trip */
	if (size <= PROTO_PLAINTEXT_MAX) {
		static unsigned char env[PROTO_ENVELOPE_MAX];
		size_t en = 0;
		memcpy(&o, &base_out, sizeof(o));
		memcpy(&in, &base_in, sizeof(in));
		if (proto_encrypt(&o, sender.sign_sk, data, size, env, sizeof(env), &en) != PROTO_E_OK ||
		    proto_decrypt(&in, 1, THREAD, SENDER, env, en, out, sizeof(out), &n, &which, NULL) != PROTO_E_OK || n != size ||
		    (size > 0 && memcmp(out, data, size) != 0))
			abort();
	}
	return 0;
}
