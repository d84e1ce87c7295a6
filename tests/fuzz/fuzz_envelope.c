/*
 * fuzz_envelope.c — libFuzzer target for every parser of the E2EE protocol (src/proto/proto*.c): the
 * envelope decoder, the full decrypt path against a fixed inbound session, the session-key payload
 * checker, the sealed hand-over opener, and the outbound and inbound state loaders. Loaded state must
 * save back to the same bytes, and the input used as a plaintext must survive encrypt/decrypt. Any crash,
 * sanitizer report or failed property is a bug. Seed corpus: tests/fuzz/corpus/proto_*.bin (the binary vectors of proto_v1.json).
 */
#include "proto.h"
#include "proto_internal.h"

#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "banned.h" /* last: bans footguns in this file only */

#define THREAD "t_fuzzThread"
#define SENDER "d_fuzzSender"
#define ME "d_fuzzMe"

static struct proto_device_keys sender, me;
static struct proto_outbound base_out;
static struct proto_inbound base_in, in;
static unsigned char out[PROTO_ENVELOPE_MAX], state[PROTO_INBOUND_STATE_MAX];

static void setup(void)
{
	static int done;
	unsigned char seed[32], sid[16], ck[32], h[32];

	if (done)
		return;
	done = 1;
	if (proto_init() != PROTO_E_OK)
		abort();
	memset(seed, 1, sizeof(seed));
	memset(sid, 2, sizeof(sid));
	memset(ck, 3, sizeof(ck));
	memset(h, 4, sizeof(h));
	pst__proto_device_keys_from_seeds(&sender, seed, seed);
	memset(seed, 5, sizeof(seed));
	pst__proto_device_keys_from_seeds(&me, seed, seed);
	if (pst__proto_outbound_init(&base_out, THREAD, SENDER, sid, ck, 0, h, 0) != PROTO_E_OK ||
	    proto_inbound_from_outbound(&base_in, &base_out, sender.sign_pk) != PROTO_E_OK)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct proto_envelope e;
	struct proto_outbound o;
	size_t n = 0, which = 0;

	setup();

	(void)proto_envelope_decode(data, size, &e);
	memcpy(&in, &base_in, sizeof(in));
	(void)proto_decrypt(&in, 1, THREAD, SENDER, data, size, out, sizeof(out), &n, &which);
	(void)pst__proto_handover_accept(data, size, ME, SENDER, sender.sign_pk, NULL, &in);
	(void)proto_handover_open(data, size, &me, ME, SENDER, sender.sign_pk, THREAD, &in);

	/* a state that loads saves back to the same bytes */
	if (proto_outbound_load(&o, data, size) == PROTO_E_OK) {
		if (proto_outbound_save(&o, state, sizeof(state), &n) != PROTO_E_OK || n != size || memcmp(state, data, size) != 0)
			abort();
	}
	if (proto_inbound_load(&in, data, size) == PROTO_E_OK) {
		if (proto_inbound_save(&in, state, sizeof(state), &n) != PROTO_E_OK || n != size || memcmp(state, data, size) != 0)
			abort();
	}

	/* the input as a message survives a round trip */
	if (size <= PROTO_PLAINTEXT_MAX) {
		static unsigned char env[PROTO_ENVELOPE_MAX];
		size_t en = 0;
		memcpy(&o, &base_out, sizeof(o));
		memcpy(&in, &base_in, sizeof(in));
		if (proto_encrypt(&o, sender.sign_sk, data, size, env, sizeof(env), &en) != PROTO_E_OK ||
		    proto_decrypt(&in, 1, THREAD, SENDER, env, en, out, sizeof(out), &n, &which) != PROTO_E_OK || n != size ||
		    (size > 0 && memcmp(out, data, size) != 0))
			abort();
	}
	return 0;
}
