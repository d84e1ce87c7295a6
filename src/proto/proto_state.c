/*
 * proto_state.c — session state as bytes for the client's key store (see proto.h, docs/protocol.md §8):
 * a versioned, exact-length layout for outbound and inbound sessions, loaded under the same strict bounds
 * as anything from the network, since a store file can be damaged or planted. Pure: the caller reads and
 * writes the store and seals these bytes at rest (they hold chain keys).
 */
#include "proto.h"
#include "proto_internal.h"

#include <sodium.h>
#include <string.h>

#include "banned.h" /* last: bans footguns in this file only */

#define SKIPPED_ENTRY_BYTES (4u + PROTO_MESSAGE_KEY_BYTES)

int proto_outbound_save(const struct proto_outbound *s, unsigned char *out, size_t cap, size_t *out_len)
{
	struct pst__proto_writer w = {out, cap, 0, 0};

	if (s == NULL || out == NULL || out_len == NULL || pst__proto_id_len(s->thread_id) == 0 ||
	    pst__proto_id_len(s->device_id) == 0)
		return PROTO_E_INVALID_ARG;
	pst__proto_put_u8(&w, PROTO_MAGIC);
	pst__proto_put_u8(&w, PROTO_VERSION);
	pst__proto_put_u8(&w, PST__PROTO_TYPE_OUTBOUND_STATE);
	pst__proto_put_id(&w, s->thread_id);
	pst__proto_put_id(&w, s->device_id);
	pst__proto_put(&w, s->session_id, PROTO_SESSION_ID_BYTES);
	pst__proto_put(&w, s->chain_key, PROTO_CHAIN_KEY_BYTES);
	pst__proto_put_u32(&w, s->next_index);
	pst__proto_put_u64(&w, (uint64_t)s->created_at_ms);
	pst__proto_put(&w, s->recipients_hash, PROTO_HASH_BYTES);
	pst__proto_put(&w, s->head, PROTO_HEAD_BYTES);
	if (w.overflow) {
		sodium_memzero(out, w.len);
		return PROTO_E_BUFFER_TOO_SMALL;
	}
	*out_len = w.len;
	return PROTO_E_OK;
}

int proto_outbound_load(struct proto_outbound *s, const unsigned char *in, size_t len)
{
	struct pst__proto_reader r = {in, len, 0, 0};
	struct proto_outbound t;
	int rc;

	if (s == NULL || in == NULL)
		return PROTO_E_INVALID_ARG;
	if (len > PROTO_OUTBOUND_STATE_MAX)
		return PROTO_E_TOO_LARGE;
	memset(&t, 0, sizeof(t));
	if ((rc = pst__proto_check_prefix(&r, PST__PROTO_TYPE_OUTBOUND_STATE)) != PROTO_E_OK)
		goto out;
	if (pst__proto_get_id(&r, t.thread_id) != 0 || pst__proto_get_id(&r, t.device_id) != 0) {
		rc = PROTO_E_MALFORMED;
		goto out;
	}
	pst__proto_get_bytes(&r, t.session_id, PROTO_SESSION_ID_BYTES);
	pst__proto_get_bytes(&r, t.chain_key, PROTO_CHAIN_KEY_BYTES);
	t.next_index = pst__proto_get_u32(&r);
	t.created_at_ms = (int64_t)pst__proto_get_u64(&r);
	pst__proto_get_bytes(&r, t.recipients_hash, PROTO_HASH_BYTES);
	pst__proto_get_bytes(&r, t.head, PROTO_HEAD_BYTES);
	if (r.bad || r.off != len) {
		rc = PROTO_E_MALFORMED;
		goto out;
	}
	*s = t;
out:
	sodium_memzero(&t, sizeof(t));
	return rc;
}

/* The invariants of an inbound session; 1 when they hold. */
static int inbound_consistent(const struct proto_inbound *in)
{
	uint32_t i;

	if (pst__proto_id_len(in->thread_id) == 0 || pst__proto_id_len(in->sender_device_id) == 0 ||
	    in->start_index > PROTO_INDEX_MAX || in->start_index > in->next_index ||
	    in->discarded_below > in->next_index || in->n_skipped > PROTO_MAX_SKIPPED)
		return 0;
	for (i = 0; i < in->n_skipped; i++)
		if (in->skipped[i].index < in->start_index || in->skipped[i].index >= in->next_index ||
		    (i > 0 && in->skipped[i].index <= in->skipped[i - 1].index))
			return 0;
	return 1;
}

int proto_inbound_save(const struct proto_inbound *in, unsigned char *out, size_t cap, size_t *out_len)
{
	struct pst__proto_writer w = {out, cap, 0, 0};
	uint32_t i;

	if (in == NULL || out == NULL || out_len == NULL || !inbound_consistent(in))
		return PROTO_E_INVALID_ARG;
	pst__proto_put_u8(&w, PROTO_MAGIC);
	pst__proto_put_u8(&w, PROTO_VERSION);
	pst__proto_put_u8(&w, PST__PROTO_TYPE_INBOUND_STATE);
	pst__proto_put_id(&w, in->thread_id);
	pst__proto_put_id(&w, in->sender_device_id);
	pst__proto_put(&w, in->sender_sign_pk, PROTO_SIGN_PK_BYTES);
	pst__proto_put(&w, in->session_id, PROTO_SESSION_ID_BYTES);
	pst__proto_put(&w, in->chain_key, PROTO_CHAIN_KEY_BYTES);
	pst__proto_put_u32(&w, in->start_index);
	pst__proto_put_u32(&w, in->next_index);
	pst__proto_put_u32(&w, in->discarded_below);
	pst__proto_put_u32(&w, in->n_skipped);
	for (i = 0; i < in->n_skipped; i++) {
		pst__proto_put_u32(&w, in->skipped[i].index);
		pst__proto_put(&w, in->skipped[i].key, PROTO_MESSAGE_KEY_BYTES);
	}
	if (w.overflow) {
		sodium_memzero(out, w.len);
		return PROTO_E_BUFFER_TOO_SMALL;
	}
	*out_len = w.len;
	return PROTO_E_OK;
}

/*
 * Parse inbound state; with dst NULL only validate. Two passes (validate, then fill) keep *dst untouched
 * on error without a 72 KB temporary.
 */
static int inbound_parse(const unsigned char *bytes, size_t len, struct proto_inbound *dst)
{
	struct pst__proto_reader r = {bytes, len, 0, 0};
	char thread[PROTO_ID_MAX + 1], sender[PROTO_ID_MAX + 1];
	uint32_t start, next, discarded, n, i, prev = 0;
	const unsigned char *spk, *sid, *ck;
	int rc;

	if ((rc = pst__proto_check_prefix(&r, PST__PROTO_TYPE_INBOUND_STATE)) != PROTO_E_OK)
		return rc;
	if (pst__proto_get_id(&r, thread) != 0 || pst__proto_get_id(&r, sender) != 0)
		return PROTO_E_MALFORMED;
	spk = pst__proto_get(&r, PROTO_SIGN_PK_BYTES);
	sid = pst__proto_get(&r, PROTO_SESSION_ID_BYTES);
	ck = pst__proto_get(&r, PROTO_CHAIN_KEY_BYTES);
	start = pst__proto_get_u32(&r);
	next = pst__proto_get_u32(&r);
	discarded = pst__proto_get_u32(&r);
	n = pst__proto_get_u32(&r);
	if (r.bad || start > PROTO_INDEX_MAX || start > next || discarded > next || n > PROTO_MAX_SKIPPED)
		return PROTO_E_MALFORMED;
	/* n is bounded, so this cannot overflow; check the exact length before reading any entry. */
	if (len - r.off != (size_t)n * SKIPPED_ENTRY_BYTES)
		return PROTO_E_MALFORMED;
	if (dst != NULL) {
		memset(dst->thread_id, 0, sizeof(dst->thread_id));
		memset(dst->sender_device_id, 0, sizeof(dst->sender_device_id));
		memcpy(dst->thread_id, thread, strlen(thread));
		memcpy(dst->sender_device_id, sender, strlen(sender));
		memcpy(dst->sender_sign_pk, spk, PROTO_SIGN_PK_BYTES);
		memcpy(dst->session_id, sid, PROTO_SESSION_ID_BYTES);
		memcpy(dst->chain_key, ck, PROTO_CHAIN_KEY_BYTES);
		dst->start_index = start;
		dst->next_index = next;
		dst->discarded_below = discarded;
		dst->n_skipped = n;
	}
	for (i = 0; i < n; i++) {
		uint32_t index = pst__proto_get_u32(&r);
		const unsigned char *key = pst__proto_get(&r, PROTO_MESSAGE_KEY_BYTES);
		if (r.bad || index < start || index >= next || (i > 0 && index <= prev))
			return PROTO_E_MALFORMED; /* only reachable with dst == NULL: the first pass saw the same bytes */
		prev = index;
		if (dst != NULL) {
			dst->skipped[i].index = index;
			memcpy(dst->skipped[i].key, key, PROTO_MESSAGE_KEY_BYTES);
		}
	}
	if (dst != NULL)
		sodium_memzero(&dst->skipped[n], (PROTO_MAX_SKIPPED - n) * sizeof(dst->skipped[0]));
	return r.off == len ? PROTO_E_OK : PROTO_E_MALFORMED;
}

int proto_inbound_load(struct proto_inbound *in, const unsigned char *bytes, size_t len)
{
	int rc;

	if (in == NULL || bytes == NULL)
		return PROTO_E_INVALID_ARG;
	if (len > PROTO_INBOUND_STATE_MAX)
		return PROTO_E_TOO_LARGE;
	if ((rc = inbound_parse(bytes, len, NULL)) != PROTO_E_OK)
		return rc;
	return inbound_parse(bytes, len, in);
}
