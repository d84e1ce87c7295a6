/*
 * h_log.c — the transparency log over HTTP (docs/transparency.md, docs/api.md "Transparency log"): the
 * latest signed checkpoint with its witnesses' cosignatures, inclusion proofs by leaf index or by entry,
 * consistency proofs, ranges of raw leaves for auditors and monitors, witnesses posting cosignatures, and a
 * person's own log key. Public except the log key: the log holds only hashes and keyed commitments.
 */
#include "handlers.h"

#include "b64url.h"
#include "jsonv.h"
#include "tlog.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "banned.h" /* last: bans footguns in this file only */

#define LEAVES_PAGE_MAX 1000

static json_t *b64_json(const unsigned char *bin, size_t n)
{
	char text[256];
	if (b64url_encode(bin, n, text, sizeof(text)) != 0)
		return json_null();
	return json_string(text);
}

static json_t *proof_json(unsigned char proof[][TLOG_HASH_BYTES], size_t n)
{
	json_t *arr = json_array();
	size_t i;
	for (i = 0; i < n; i++)
		json_array_append_new(arr, b64_json(proof[i], TLOG_HASH_BYTES));
	return arr;
}

enum srv_err h_log_checkpoint(struct req *rq)
{
	char *note = NULL, *cosigned = NULL;
	int64_t size = 0, cosigned_size = 0;
	enum srv_err rc = tlog_checkpoint(rq->ops, rq->db, rq->now, &note, &size);
	if (rc != SRV_E_OK)
		return rc;
	if ((rc = tlog_cosigned_checkpoint(rq->ops, rq->db, &cosigned, &cosigned_size)) != SRV_E_OK && rc != SRV_E_NOT_FOUND) {
		free(note);
		return rc;
	}
	rc = req_reply(rq, 200, json_pack("{s:s,s:I,s:s,s:s?}", "checkpoint", note, "size", (json_int_t)size, "log_key", tlog_verifier(),
					  "cosigned_checkpoint", cosigned));
	free(note);
	free(cosigned);
	return rc;
}

/* The tree size a proof is asked for: ?size=N, at most the log's size. */
static enum srv_err proof_size(struct req *rq, const char *key, int64_t *out)
{
	int64_t have = 0;
	enum srv_err rc = rq->ops->tlog_size(rq->db, &have);
	if (rc != SRV_E_OK)
		return rc;
	if ((rc = jsonv_query_int(rq, key, 0, INT64_MAX, -1, out)) != SRV_E_OK)
		return rc;
	if (*out < 0 || *out > have)
		return req_fail(rq, SRV_E_INVALID_FIELD, "'%s' must be a tree size up to %lld (the log's size)", key, (long long)have);
	return SRV_E_OK;
}

enum srv_err h_log_inclusion(struct req *rq)
{
	unsigned char proof[TLOG_PROOF_MAX][TLOG_HASH_BYTES], leaf[TLOG_LEAF_MAX], entry[TLOG_HASH_BYTES];
	const char *by_entry = req_query(rq, "entry");
	int64_t size = 0, index = 0;
	size_t n = 0, len = 0;
	enum srv_err rc;

	if ((rc = proof_size(rq, "size", &size)) != SRV_E_OK)
		return rc;
	if (by_entry) {
		if (b64url_decode_exact(by_entry, strlen(by_entry), entry, sizeof(entry)) != 0)
			return req_fail(rq, SRV_E_INVALID_FIELD, "'entry' must be 32 bytes of base64url");
		if ((rc = rq->ops->tlog_find(rq->db, entry, size, &index)) == SRV_E_NOT_FOUND)
			return req_fail(rq, SRV_E_NOT_FOUND, "no such entry in the first %lld leaves", (long long)size);
		if (rc != SRV_E_OK)
			return rc;
	} else if ((rc = jsonv_query_int(rq, "index", 0, INT64_MAX, -1, &index)) != SRV_E_OK) {
		return rc;
	} else if (index < 0 || index >= size) {
		return req_fail(rq, SRV_E_INVALID_FIELD, "give 'entry', or an 'index' below 'size'");
	}
	if ((rc = rq->ops->tlog_leaf_get(rq->db, index, leaf, sizeof(leaf), &len)) != SRV_E_OK ||
	    (rc = tlog_inclusion(rq->ops, rq->db, index, size, proof, &n)) != SRV_E_OK)
		return rc;
	return req_reply(rq, 200, json_pack("{s:I,s:I,s:o,s:o}", "index", (json_int_t)index, "size", (json_int_t)size, "leaf", b64_json(leaf, len),
					    "proof", proof_json(proof, n)));
}

enum srv_err h_log_consistency(struct req *rq)
{
	unsigned char proof[TLOG_PROOF_MAX][TLOG_HASH_BYTES];
	int64_t first = 0, second = 0;
	size_t n = 0;
	enum srv_err rc;

	if ((rc = proof_size(rq, "first", &first)) != SRV_E_OK || (rc = proof_size(rq, "second", &second)) != SRV_E_OK)
		return rc;
	if (first > second)
		return req_fail(rq, SRV_E_INVALID_FIELD, "'first' must not be larger than 'second'");
	if ((rc = tlog_consistency(rq->ops, rq->db, first, second, proof, &n)) != SRV_E_OK)
		return rc;
	return req_reply(rq, 200, json_pack("{s:I,s:I,s:o}", "first", (json_int_t)first, "second", (json_int_t)second, "proof", proof_json(proof, n)));
}

enum srv_err h_log_leaves(struct req *rq)
{
	unsigned char leaf[TLOG_LEAF_MAX];
	int64_t start = 0, end = 0, have = 0, i;
	json_t *arr;
	enum srv_err rc;

	if ((rc = rq->ops->tlog_size(rq->db, &have)) != SRV_E_OK || (rc = jsonv_query_int(rq, "start", 0, INT64_MAX, 0, &start)) != SRV_E_OK ||
	    (rc = jsonv_query_int(rq, "end", 0, INT64_MAX, -1, &end)) != SRV_E_OK)
		return rc;
	if (end < 0 || end > have)
		end = have;
	if (start > end)
		return req_fail(rq, SRV_E_INVALID_FIELD, "'start' is past the end of the log (%lld leaves)", (long long)have);
	if (end - start > LEAVES_PAGE_MAX) /* (start <= end <= the log's size: no overflow) */
		end = start + LEAVES_PAGE_MAX;
	arr = json_array();
	for (i = start; i < end; i++) {
		size_t len = 0;
		if ((rc = rq->ops->tlog_leaf_get(rq->db, i, leaf, sizeof(leaf), &len)) != SRV_E_OK) {
			json_decref(arr);
			return rc;
		}
		json_array_append_new(arr, b64_json(leaf, len));
	}
	return req_reply(rq, 200, json_pack("{s:I,s:I,s:o}", "start", (json_int_t)start, "size", (json_int_t)have, "leaves", arr));
}

enum srv_err h_log_cosignature(struct req *rq)
{
	const char *line;
	json_int_t size;
	enum srv_err rc;

	if ((rc = jsonv_int(rq, "size", 0, INT64_MAX, &size)) != SRV_E_OK || (rc = jsonv_str(rq, "cosignature", 1, 512, &line)) != SRV_E_OK)
		return rc;
	rc = tlog_cosignature_add(rq->ops, rq->db, (int64_t)size, line, rq->now);
	if (rc == SRV_E_NOT_FOUND)
		return req_fail(rq, SRV_E_NOT_FOUND, "no checkpoint of that size");
	if (rc == SRV_E_INVALID_KEY)
		return req_fail(rq, SRV_E_INVALID_KEY, "the cosignature does not verify, for the checkpoint of that size, with any witness key this server knows");
	if (rc != SRV_E_OK)
		return rc;
	return req_reply(rq, 204, NULL);
}

enum srv_err h_log_my_key(struct req *rq)
{
	unsigned char key[TLOG_HASH_BYTES];
	enum srv_err rc = rq->ops->user_log_key(rq->db, rq->user.id, NULL, key);
	json_t *v;
	if (rc != SRV_E_OK && rc != SRV_E_NOT_FOUND)
		return rc;
	/* none yet: no partner has acted for this person, so no line of theirs is in the log */
	v = rc == SRV_E_OK ? b64_json(key, sizeof(key)) : json_null();
	sodium_memzero(key, sizeof(key));
	return req_reply(rq, 200, json_pack("{s:o}", "log_key", v));
}
