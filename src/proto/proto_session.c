/*
 * proto_session.c — session keys over time (see proto.h): starting an outbound session, the rotation rule,
 * the recipient-set hash it relies on, and the inbound chain — which key opens index j, and how the chain
 * moves forward while keeping (a bounded number of) keys of skipped indices. Pure: the caller passes the
 * clock and owns every structure; nothing is allocated.
 */
#include "proto.h"
#include "proto_internal.h"

#include <sodium.h>
#include <string.h>

#include "banned.h" /* last: bans footguns in this file only */

#define RECIPIENTS_PREFIX "postern-recipients-v1:"

/* Copy a valid id (length n, checked by the caller) into a PROTO_ID_MAX + 1 field. */
static void copy_id(char dst[PROTO_ID_MAX + 1], const char *src, size_t n)
{
	memset(dst, 0, PROTO_ID_MAX + 1);
	memcpy(dst, src, n);
}

int proto_recipients_hash(const char *const *device_ids, size_t n, unsigned char out[PROTO_HASH_BYTES])
{
	crypto_generichash_state st;
	const char *prev = NULL;
	size_t i;

	if (out == NULL || (n > 0 && device_ids == NULL))
		return PROTO_E_INVALID_ARG;
	if (n > PROTO_RECIPIENTS_MAX)
		return PROTO_E_TOO_LARGE;
	for (i = 0; i < n; i++)
		if (pst__proto_id_len(device_ids[i]) == 0)
			return PROTO_E_INVALID_ARG;
	crypto_generichash_init(&st, NULL, 0, PROTO_HASH_BYTES);
	crypto_generichash_update(&st, (const unsigned char *)RECIPIENTS_PREFIX, sizeof(RECIPIENTS_PREFIX) - 1);
	/*
	 * Distinct ids in ascending byte order, without sorting the caller's array: each round picks the
	 * smallest id above the previous one. O(n^2) strcmp with n <= PROTO_RECIPIENTS_MAX.
	 */
	for (;;) {
		const char *next = NULL;
		unsigned char len;
		for (i = 0; i < n; i++)
			if ((prev == NULL || strcmp(device_ids[i], prev) > 0) && (next == NULL || strcmp(device_ids[i], next) < 0))
				next = device_ids[i];
		if (next == NULL)
			break;
		len = (unsigned char)strlen(next);
		crypto_generichash_update(&st, &len, 1);
		crypto_generichash_update(&st, (const unsigned char *)next, len);
		prev = next;
	}
	crypto_generichash_final(&st, out, PROTO_HASH_BYTES);
	return PROTO_E_OK;
}

int pst__proto_outbound_init(struct proto_outbound *s, const char *thread_id, const char *device_id,
			     const unsigned char session_id[PROTO_SESSION_ID_BYTES],
			     const unsigned char chain_key[PROTO_CHAIN_KEY_BYTES], uint32_t index,
			     const unsigned char recipients_hash[PROTO_HASH_BYTES], int64_t now_ms)
{
	size_t tl = pst__proto_id_len(thread_id), dl = pst__proto_id_len(device_id);

	if (s == NULL || tl == 0 || dl == 0 || session_id == NULL || chain_key == NULL || recipients_hash == NULL ||
	    index > PROTO_INDEX_MAX)
		return PROTO_E_INVALID_ARG;
	copy_id(s->thread_id, thread_id, tl);
	copy_id(s->device_id, device_id, dl);
	memmove(s->session_id, session_id, PROTO_SESSION_ID_BYTES);
	memmove(s->chain_key, chain_key, PROTO_CHAIN_KEY_BYTES);
	memmove(s->recipients_hash, recipients_hash, PROTO_HASH_BYTES);
	s->next_index = index;
	s->created_at_ms = now_ms;
	memset(s->head, 0, sizeof(s->head)); /* the caller binds the session to its thread's head */
	return PROTO_E_OK;
}

int proto_outbound_new(struct proto_outbound *s, const char *thread_id, const char *device_id,
		       const unsigned char recipients_hash[PROTO_HASH_BYTES], int64_t now_ms)
{
	unsigned char sid[PROTO_SESSION_ID_BYTES], ck[PROTO_CHAIN_KEY_BYTES];
	int rc;

	randombytes_buf(sid, sizeof(sid));
	randombytes_buf(ck, sizeof(ck));
	rc = pst__proto_outbound_init(s, thread_id, device_id, sid, ck, 0, recipients_hash, now_ms);
	sodium_memzero(ck, sizeof(ck));
	return rc;
}

void proto_outbound_wipe(struct proto_outbound *s)
{
	if (s != NULL)
		sodium_memzero(s, sizeof(*s));
}

int proto_outbound_must_rotate(const struct proto_outbound *s, int64_t now_ms,
			       const unsigned char current_hash[PROTO_HASH_BYTES], unsigned *reasons)
{
	unsigned r = 0;

	if (s == NULL || current_hash == NULL || reasons == NULL)
		return PROTO_E_INVALID_ARG;
	if (s->next_index >= PROTO_ROTATE_MESSAGES || s->next_index > PROTO_INDEX_MAX)
		r |= PROTO_ROTATE_COUNT;
	/* A clock that went backwards cannot prove the session young: rotating costs only a hand-over. */
	if (now_ms < s->created_at_ms || (uint64_t)now_ms - (uint64_t)s->created_at_ms >= (uint64_t)PROTO_ROTATE_AGE_MS)
		r |= PROTO_ROTATE_AGE;
	if (sodium_memcmp(s->recipients_hash, current_hash, PROTO_HASH_BYTES) != 0)
		r |= PROTO_ROTATE_RECIPIENTS;
	*reasons = r;
	return PROTO_E_OK;
}

int proto_inbound_from_outbound(struct proto_inbound *in, const struct proto_outbound *s,
				const unsigned char sender_sign_pk[PROTO_SIGN_PK_BYTES])
{
	size_t tl, dl;

	if (in == NULL || s == NULL || sender_sign_pk == NULL)
		return PROTO_E_INVALID_ARG;
	tl = pst__proto_id_len(s->thread_id);
	dl = pst__proto_id_len(s->device_id);
	if (tl == 0 || dl == 0 || s->next_index > PROTO_INDEX_MAX)
		return PROTO_E_INVALID_ARG;
	copy_id(in->thread_id, s->thread_id, tl);
	copy_id(in->sender_device_id, s->device_id, dl);
	memmove(in->sender_sign_pk, sender_sign_pk, PROTO_SIGN_PK_BYTES);
	memcpy(in->session_id, s->session_id, PROTO_SESSION_ID_BYTES);
	memcpy(in->chain_key, s->chain_key, PROTO_CHAIN_KEY_BYTES);
	in->start_index = in->next_index = s->next_index;
	in->discarded_below = 0;
	in->n_skipped = 0;
	sodium_memzero(in->skipped, sizeof(in->skipped));
	return PROTO_E_OK;
}

void proto_inbound_wipe(struct proto_inbound *in)
{
	if (in != NULL)
		sodium_memzero(in, sizeof(*in));
}

/* Position of index j in in->skipped (ascending), or -1. */
static long skipped_find(const struct proto_inbound *in, uint32_t j)
{
	size_t lo = 0, hi = in->n_skipped;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (in->skipped[mid].index == j)
			return (long)mid;
		if (in->skipped[mid].index < j)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

int pst__proto_inbound_key(const struct proto_inbound *in, uint32_t j, unsigned char mk[PROTO_MESSAGE_KEY_BYTES])
{
	unsigned char ck[PROTO_CHAIN_KEY_BYTES];
	uint32_t k;
	long pos;
	int rc = PROTO_E_OK;

	sodium_memzero(mk, PROTO_MESSAGE_KEY_BYTES);
	if (j > PROTO_INDEX_MAX)
		return PROTO_E_MALFORMED;
	if (j < in->start_index)
		return PROTO_E_BEFORE_SESSION;
	if (j < in->next_index) {
		if ((pos = skipped_find(in, j)) >= 0) {
			memcpy(mk, in->skipped[pos].key, PROTO_MESSAGE_KEY_BYTES);
			return PROTO_E_OK;
		}
		return j < in->discarded_below ? PROTO_E_KEY_DISCARDED : PROTO_E_REPLAY;
	}
	if (j - in->next_index > PROTO_MAX_JUMP)
		return PROTO_E_TOO_FAR;
	memcpy(ck, in->chain_key, sizeof(ck));
	for (k = in->next_index; k < j && rc == PROTO_E_OK; k++)
		rc = pst__proto_chain_step(ck, NULL, ck);
	if (rc == PROTO_E_OK)
		rc = pst__proto_chain_step(ck, mk, ck);
	sodium_memzero(ck, sizeof(ck));
	if (rc != PROTO_E_OK)
		sodium_memzero(mk, PROTO_MESSAGE_KEY_BYTES);
	return rc;
}

int pst__proto_inbound_commit(struct proto_inbound *in, uint32_t j)
{
	unsigned char ck[PROTO_CHAIN_KEY_BYTES];
	uint32_t skip, keep, evict, k;
	long pos;
	int rc = PROTO_E_OK;

	if (j < in->next_index) {
		/* A kept key was used: erase it, close the gap. */
		if ((pos = skipped_find(in, j)) < 0)
			return PROTO_E_OK;
		memmove(&in->skipped[pos], &in->skipped[pos + 1], (in->n_skipped - (size_t)pos - 1) * sizeof(in->skipped[0]));
		in->n_skipped--;
		sodium_memzero(&in->skipped[in->n_skipped], sizeof(in->skipped[0]));
		return PROTO_E_OK;
	}
	/* Indices next..j-1 are skipped; only the newest PROTO_MAX_SKIPPED of old and new keys are kept. */
	skip = j - in->next_index;
	keep = skip < PROTO_MAX_SKIPPED ? skip : PROTO_MAX_SKIPPED;
	evict = in->n_skipped + keep > PROTO_MAX_SKIPPED ? in->n_skipped + keep - PROTO_MAX_SKIPPED : 0;
	if (evict > 0) {
		if (in->skipped[evict - 1].index + 1 > in->discarded_below)
			in->discarded_below = in->skipped[evict - 1].index + 1;
		sodium_memzero(in->skipped, evict * sizeof(in->skipped[0]));
		memmove(&in->skipped[0], &in->skipped[evict], (in->n_skipped - evict) * sizeof(in->skipped[0]));
		in->n_skipped -= evict;
		sodium_memzero(&in->skipped[in->n_skipped], evict * sizeof(in->skipped[0]));
	}
	if (skip > keep && j - keep > in->discarded_below)
		in->discarded_below = j - keep;
	memcpy(ck, in->chain_key, sizeof(ck));
	for (k = in->next_index; k < j && rc == PROTO_E_OK; k++) {
		if (k >= j - keep) {
			struct proto_skipped_key *sk = &in->skipped[in->n_skipped];
			if ((rc = pst__proto_chain_step(ck, sk->key, ck)) == PROTO_E_OK) {
				sk->index = k;
				in->n_skipped++;
			}
		} else {
			rc = pst__proto_chain_step(ck, NULL, ck);
		}
	}
	if (rc == PROTO_E_OK && (rc = pst__proto_chain_step(ck, NULL, ck)) == PROTO_E_OK) {
		memcpy(in->chain_key, ck, sizeof(ck));
		in->next_index = j + 1;
	}
	sodium_memzero(ck, sizeof(ck));
	return rc;
}
