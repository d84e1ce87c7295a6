/*
 * proto_merkle.c — the Merkle trees of the transparency log (RFC 9162 §2.1; see proto.h, docs/transparency.md):
 * leaf and node hashes, the tree hash of the first n entries, inclusion and consistency proofs, their
 * verification exactly as RFC 9162 §2.1.3.2 and §2.1.4.2 write it, and the compact frontier a client keeps
 * while it scans the log.
 *
 * The log never holds its tree here: roots and proofs are assembled from the hashes of aligned power-of-two
 * subtrees, which the caller's callback reads from wherever it keeps them (the server's database). Every
 * range the RFC's recursion names starts at a multiple of a power of two at least its length, so it splits
 * into at most 64 such subtrees, combined from the right. Pure: SHA-256 from libsodium, no I/O, no
 * allocation, no state; sizes stay below 2^63, which bounds every proof by PROTO_MERKLE_PROOF_MAX.
 */
#include "proto.h"

#include <sodium.h>
#include <string.h>

#include "banned.h" /* last: bans footguns in this file only */

#define HASH_BYTES PROTO_MERKLE_HASH_BYTES
#define SIZE_LIMIT ((uint64_t)1 << 63) /* tree sizes are below this */

/* MTH({}) (RFC 9162 §2.1.1): the hash of an empty string */
static void empty_root(unsigned char out[HASH_BYTES])
{
	static const unsigned char nothing[1];

	crypto_hash_sha256(out, nothing, 0);
}

int proto_merkle_leaf_hash(const unsigned char *leaf, size_t len, unsigned char out[PROTO_MERKLE_HASH_BYTES])
{
	static const unsigned char prefix = 0x00;
	crypto_hash_sha256_state st;

	if ((leaf == NULL && len > 0) || out == NULL)
		return PROTO_E_INVALID_ARG;
	if (len > PROTO_LOG_LEAF_MAX)
		return PROTO_E_TOO_LARGE;
	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, &prefix, 1);
	if (len > 0)
		crypto_hash_sha256_update(&st, leaf, len);
	crypto_hash_sha256_final(&st, out);
	return PROTO_E_OK;
}

void proto_merkle_node_hash(const unsigned char left[PROTO_MERKLE_HASH_BYTES], const unsigned char right[PROTO_MERKLE_HASH_BYTES],
			    unsigned char out[PROTO_MERKLE_HASH_BYTES])
{
	unsigned char in[1 + 2 * HASH_BYTES];

	in[0] = 0x01;
	memcpy(in + 1, left, HASH_BYTES);
	memcpy(in + 1 + HASH_BYTES, right, HASH_BYTES);
	crypto_hash_sha256(out, in, sizeof(in)); /* out may be left or right: both were copied */
}

/* k of RFC 9162 §2.1.1: the largest power of two smaller than n (n >= 2). */
static uint64_t split_point(uint64_t n)
{
	uint64_t k = n - 1;

	k |= k >> 1;
	k |= k >> 2;
	k |= k >> 4;
	k |= k >> 8;
	k |= k >> 16;
	k |= k >> 32;
	return (k >> 1) + 1;
}

/*
 * MTH(D[start:end]) for end > start, start a multiple of a power of two >= end - start (every range of the
 * RFC's recursion is). Its maximal aligned subtrees are taken from the right, smallest first, and folded in:
 * MTH = node(s1, node(s2, ... node(s_m-1, s_m))). Returns PROTO_E_OK or PROTO_E_CRYPTO (fn failed).
 */
static int range_hash(proto_merkle_subtree_fn fn, void *arg, uint64_t start, uint64_t end, unsigned char out[HASH_BYTES])
{
	unsigned char sub[HASH_BYTES], acc[HASH_BYTES];
	uint64_t left = end - start, cur = end;
	int have = 0;

	while (left > 0) {
		uint64_t width = left & (~left + 1); /* lowest set bit: the rightmost subtree's width */
		if (fn(arg, cur - width, cur, sub) != 0)
			return PROTO_E_CRYPTO;
		if (have)
			proto_merkle_node_hash(sub, acc, acc);
		else
			memcpy(acc, sub, HASH_BYTES);
		have = 1;
		cur -= width;
		left -= width;
	}
	memcpy(out, acc, HASH_BYTES);
	return PROTO_E_OK;
}

int proto_merkle_root(uint64_t size, proto_merkle_subtree_fn fn, void *arg, unsigned char out[PROTO_MERKLE_HASH_BYTES])
{
	if (fn == NULL || out == NULL || size >= SIZE_LIMIT)
		return PROTO_E_INVALID_ARG;
	if (size == 0) {
		empty_root(out);
		return PROTO_E_OK;
	}
	return range_hash(fn, arg, 0, size, out);
}

/*
 * The ranges a proof names are found top-down (root first) but listed bottom-up (RFC 9162: the recursive
 * part first, then the sibling): hash them in reverse into a scratch list, then copy it out whole, so that
 * proof and *n are untouched on error.
 */
static int emit(proto_merkle_subtree_fn fn, void *arg, const uint64_t *lo, const uint64_t *hi, size_t count,
		unsigned char proof[][PROTO_MERKLE_HASH_BYTES], size_t *n)
{
	unsigned char tmp[PROTO_MERKLE_PROOF_MAX][HASH_BYTES];
	size_t i;
	int rc;

	for (i = 0; i < count; i++)
		if ((rc = range_hash(fn, arg, lo[count - 1 - i], hi[count - 1 - i], tmp[i])) != PROTO_E_OK)
			return rc;
	if (count > 0)
		memcpy(proof, tmp, count * HASH_BYTES);
	*n = count;
	return PROTO_E_OK;
}

int proto_merkle_inclusion_proof(uint64_t index, uint64_t size, proto_merkle_subtree_fn fn, void *arg,
				 unsigned char proof[][PROTO_MERKLE_HASH_BYTES], size_t *n)
{
	uint64_t lo[PROTO_MERKLE_PROOF_MAX], hi[PROTO_MERKLE_PROOF_MAX];
	uint64_t start = 0, end = size, m = index;
	size_t count = 0;

	if (fn == NULL || proof == NULL || n == NULL || size >= SIZE_LIMIT || index >= size)
		return PROTO_E_INVALID_ARG;
	/* PATH(m, D[n]) = PATH(m, D[0:k]) : MTH(D[k:n]) for m < k, PATH(m - k, D[k:n]) : MTH(D[0:k]) otherwise */
	while (end - start > 1) {
		uint64_t k = split_point(end - start);
		if (m < k) {
			lo[count] = start + k;
			hi[count] = end;
			end = start + k;
		} else {
			lo[count] = start;
			hi[count] = start + k;
			start += k;
			m -= k;
		}
		count++; /* at most 63: the range halves at least each time */
	}
	return emit(fn, arg, lo, hi, count, proof, n);
}

int proto_merkle_consistency_proof(uint64_t first, uint64_t second, proto_merkle_subtree_fn fn, void *arg,
				   unsigned char proof[][PROTO_MERKLE_HASH_BYTES], size_t *n)
{
	uint64_t lo[PROTO_MERKLE_PROOF_MAX], hi[PROTO_MERKLE_PROOF_MAX];
	uint64_t start = 0, end = second, m = first;
	size_t count = 0;
	int known = 1; /* the b of SUBPROOF: MTH(D[0:m]) is the first tree's root, which the verifier has */

	if (fn == NULL || proof == NULL || n == NULL || second >= SIZE_LIMIT || first > second)
		return PROTO_E_INVALID_ARG;
	if (first == 0 || first == second) {
		*n = 0;
		return PROTO_E_OK;
	}
	for (;;) {
		uint64_t k;
		if (m == end - start) { /* SUBPROOF(m, D[m], b) = {} when b, {MTH(D[m])} otherwise */
			if (!known) {
				lo[count] = start;
				hi[count] = end;
				count++;
			}
			break;
		}
		k = split_point(end - start);
		if (m <= k) { /* SUBPROOF(m, D[0:k], b) : MTH(D[k:n]) */
			lo[count] = start + k;
			hi[count] = end;
			end = start + k;
		} else { /* SUBPROOF(m - k, D[k:n], false) : MTH(D[0:k]) */
			lo[count] = start;
			hi[count] = start + k;
			start += k;
			m -= k;
			known = 0;
		}
		count++; /* at most 63 steps and the final hash: PROTO_MERKLE_PROOF_MAX */
	}
	return emit(fn, arg, lo, hi, count, proof, n);
}

int proto_merkle_verify_inclusion(uint64_t index, uint64_t size, const unsigned char leaf_hash[PROTO_MERKLE_HASH_BYTES],
				  const unsigned char proof[][PROTO_MERKLE_HASH_BYTES], size_t n,
				  const unsigned char root[PROTO_MERKLE_HASH_BYTES])
{
	unsigned char r[HASH_BYTES];
	uint64_t fn, sn;
	size_t i;

	if (leaf_hash == NULL || root == NULL || (proof == NULL && n > 0) || index >= size)
		return PROTO_E_INVALID_ARG;
	/* RFC 9162 §2.1.3.2, step by step */
	fn = index;
	sn = size - 1;
	memcpy(r, leaf_hash, HASH_BYTES);
	for (i = 0; i < n; i++) {
		if (sn == 0)
			return PROTO_E_BAD_SIGNATURE; /* the proof is longer than the path */
		if ((fn & 1) || fn == sn) {
			proto_merkle_node_hash(proof[i], r, r);
			while (!(fn & 1) && fn != 0) {
				fn >>= 1;
				sn >>= 1;
			}
		} else {
			proto_merkle_node_hash(r, proof[i], r);
		}
		fn >>= 1;
		sn >>= 1;
	}
	return sn == 0 && memcmp(r, root, HASH_BYTES) == 0 ? PROTO_E_OK : PROTO_E_BAD_SIGNATURE;
}

int proto_merkle_verify_consistency(uint64_t first, uint64_t second, const unsigned char first_root[PROTO_MERKLE_HASH_BYTES],
				    const unsigned char second_root[PROTO_MERKLE_HASH_BYTES],
				    const unsigned char proof[][PROTO_MERKLE_HASH_BYTES], size_t n)
{
	unsigned char fr[HASH_BYTES], sr[HASH_BYTES], empty[HASH_BYTES];
	uint64_t fn, sn;
	size_t i, total, prepend;

	if (first_root == NULL || second_root == NULL || (proof == NULL && n > 0) || first > second)
		return PROTO_E_INVALID_ARG;
	/* outside the RFC's 0 < first < second: nothing to prove but what the heads say themselves */
	if (first == 0) {
		empty_root(empty);
		return n == 0 && memcmp(first_root, empty, HASH_BYTES) == 0 ? PROTO_E_OK : PROTO_E_BAD_SIGNATURE;
	}
	if (first == second)
		return n == 0 && memcmp(first_root, second_root, HASH_BYTES) == 0 ? PROTO_E_OK : PROTO_E_BAD_SIGNATURE;

	/* RFC 9162 §2.1.4.2, step by step; the prepended first_hash (step 2) is element 0 of the path */
	if (n == 0)
		return PROTO_E_BAD_SIGNATURE;
	prepend = (first & (first - 1)) == 0;
	total = n + prepend;
#define PATH_AT(j) (prepend ? ((j) == 0 ? first_root : proof[(j) - 1]) : proof[(j)])
	fn = first - 1;
	sn = second - 1;
	while (fn & 1) {
		fn >>= 1;
		sn >>= 1;
	}
	memcpy(fr, PATH_AT(0), HASH_BYTES);
	memcpy(sr, PATH_AT(0), HASH_BYTES);
	for (i = 1; i < total; i++) {
		const unsigned char *c = PATH_AT(i);
		if (sn == 0)
			return PROTO_E_BAD_SIGNATURE;
		if ((fn & 1) || fn == sn) {
			proto_merkle_node_hash(c, fr, fr);
			proto_merkle_node_hash(c, sr, sr);
			while (!(fn & 1) && fn != 0) {
				fn >>= 1;
				sn >>= 1;
			}
		} else {
			proto_merkle_node_hash(sr, c, sr);
		}
		fn >>= 1;
		sn >>= 1;
	}
#undef PATH_AT
	return sn == 0 && memcmp(fr, first_root, HASH_BYTES) == 0 && memcmp(sr, second_root, HASH_BYTES) == 0
		       ? PROTO_E_OK
		       : PROTO_E_BAD_SIGNATURE;
}

/* ---- the frontier: one hash per set bit of size, the largest (leftmost) subtree first ---- */

static size_t popcount64(uint64_t x)
{
	size_t c = 0;

	for (; x; x &= x - 1)
		c++;
	return c;
}

void proto_merkle_frontier_init(struct proto_merkle_frontier *f)
{
	if (f != NULL)
		memset(f, 0, sizeof(*f));
}

int proto_merkle_frontier_append(struct proto_merkle_frontier *f, const unsigned char leaf_hash[PROTO_MERKLE_HASH_BYTES])
{
	unsigned char h[HASH_BYTES];
	uint64_t s;

	if (f == NULL || leaf_hash == NULL || f->n != popcount64(f->size))
		return PROTO_E_INVALID_ARG;
	if (f->size >= SIZE_LIMIT - 1)
		return PROTO_E_TOO_LARGE;
	/* like adding 1 to a binary counter: each trailing 1 bit of size is a subtree the new one completes */
	memcpy(h, leaf_hash, HASH_BYTES);
	for (s = f->size; s & 1; s >>= 1)
		proto_merkle_node_hash(f->hash[--f->n], h, h);
	memcpy(f->hash[f->n++], h, HASH_BYTES);
	f->size++;
	return PROTO_E_OK;
}

int proto_merkle_frontier_root(const struct proto_merkle_frontier *f, unsigned char out[PROTO_MERKLE_HASH_BYTES])
{
	unsigned char acc[HASH_BYTES];
	size_t i;

	if (f == NULL || out == NULL || f->n != popcount64(f->size))
		return PROTO_E_INVALID_ARG;
	if (f->n == 0) {
		empty_root(out);
		return PROTO_E_OK;
	}
	memcpy(acc, f->hash[f->n - 1], HASH_BYTES);
	for (i = f->n - 1; i > 0; i--)
		proto_merkle_node_hash(f->hash[i - 1], acc, acc);
	memcpy(out, acc, HASH_BYTES);
	return PROTO_E_OK;
}
