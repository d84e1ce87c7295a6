/*
 * test_merkle.c — the transparency log's pure code (src/proto/proto_merkle.c and proto_note.c) against
 * tests/vectors/merkle.json, which an independent Python implementation wrote (tests/vectors/rfc9162.py:
 * RFC 9162 §2.1 from its text; gen_merkle_vectors.py: C2SP notes with RFC 8032's reference Ed25519): every
 * root, proof, key text and note byte for byte; then every refusal (flipped bits, wrong index or size,
 * proofs a hash short or long, malformed checkpoints, keys and notes), the callback contract, trees near
 * 2^63 leaves, and the frontier against the tree hash. Proofs are built through a subtree callback over an
 * in-memory log that checks it is asked only for aligned power-of-two ranges inside the tree.
 * Runs from the repository root (the vectors are opened by relative path).
 */
#include "unit.h"

#include "proto.h"

#include <inttypes.h>
#include <jansson.h>
#include <sodium.h>
#include <stdint.h>

#include "banned.h" /* last: bans footguns in this file only */

#define VECTORS "tests/vectors/merkle.json"
#define H PROTO_MERKLE_HASH_BYTES
#define BIG_LOG 100000u
#define EM_DASH "\xe2\x80\x94"

static json_t *vec;

/* ---- vectors ---- */

static void load_vectors(void)
{
	json_error_t err;

	CHECK(proto_init() == PROTO_E_OK);
	vec = json_load_file(VECTORS, 0, &err);
	if (vec == NULL)
		fprintf(stderr, "  %s: %s (run from the repository root)\n", VECTORS, err.text);
	CHECK(vec != NULL);
}

static json_t *get(json_t *o, const char *key)
{
	json_t *j = json_object_get(o, key);
	if (j == NULL) {
		fprintf(stderr, "  vector field %s missing\n", key);
		_exit(1);
	}
	return j;
}

static const char *str(json_t *o, const char *key)
{
	json_t *j = get(o, key);
	CHECK(json_is_string(j));
	return json_string_value(j);
}

static uint64_t num(json_t *o, const char *key)
{
	json_t *j = get(o, key);
	CHECK(json_is_integer(j) && json_integer_value(j) >= 0);
	return (uint64_t)json_integer_value(j);
}

static void hex32(const char *hex, unsigned char out[H])
{
	size_t n = 0;
	CHECK(strlen(hex) == 2 * H);
	CHECK(sodium_hex2bin(out, H, hex, 2 * H, NULL, &n, NULL) == 0 && n == H);
}

/* A JSON array of hex hashes into proof; returns its length. */
static size_t hex_list(json_t *a, unsigned char proof[][H], size_t cap)
{
	size_t i;
	CHECK(json_is_array(a) && json_array_size(a) <= cap);
	for (i = 0; i < json_array_size(a); i++) {
		CHECK(json_is_string(json_array_get(a, i)));
		hex32(json_string_value(json_array_get(a, i)), proof[i]);
	}
	return json_array_size(a);
}

static void hex_check(const unsigned char *got, const char *want_hex)
{
	unsigned char want[H];
	hex32(want_hex, want);
	CHECK(memcmp(got, want, H) == 0);
}

/* ---- an in-memory log: level[h][j] is the hash of aligned subtree j of width 2^h ---- */

struct mem_log {
	uint64_t size;  /* leaves held */
	uint64_t limit; /* the tree size of the call under way: the callback may not look past it */
	unsigned char *level[64];
	int levels;
	unsigned long calls, fail_at; /* fail_at > 0: that call fails */
};

static void leaf_rule_hash(uint64_t i, unsigned char out[H])
{
	char leaf[32];
	int n = snprintf(leaf, sizeof(leaf), "leaf %" PRIu64, i);
	CHECK(proto_merkle_leaf_hash((const unsigned char *)leaf, (size_t)n, out) == PROTO_E_OK);
}

/* The log of leaf hashes (n of them, or the vectors' rule "leaf <i>" when hashes is NULL). */
static void log_build(struct mem_log *m, uint64_t n, const unsigned char (*hashes)[H])
{
	uint64_t i, count;
	int h;

	memset(m, 0, sizeof(*m));
	m->size = m->limit = n;
	m->level[0] = malloc(n ? n * H : 1);
	CHECK(m->level[0] != NULL);
	for (i = 0; i < n; i++) {
		if (hashes)
			memcpy(m->level[0] + i * H, hashes[i], H);
		else
			leaf_rule_hash(i, m->level[0] + i * H);
	}
	for (h = 1, count = n / 2; count > 0; h++, count /= 2) {
		m->level[h] = malloc(count * H);
		CHECK(m->level[h] != NULL);
		for (i = 0; i < count; i++)
			proto_merkle_node_hash(m->level[h - 1] + 2 * i * H, m->level[h - 1] + (2 * i + 1) * H, m->level[h] + i * H);
	}
	m->levels = h;
}

static void log_free(struct mem_log *m)
{
	int h;
	for (h = 0; h < m->levels; h++)
		free(m->level[h]);
}

static int subtree(void *arg, uint64_t start, uint64_t end, unsigned char out[H])
{
	struct mem_log *m = arg;
	uint64_t w = end - start;
	int h = 0;

	m->calls++;
	if (m->fail_at > 0 && m->calls == m->fail_at)
		return -1;
	/* the contract: an aligned power-of-two range inside the tree of the call */
	CHECK(end > start && (w & (w - 1)) == 0 && start % w == 0 && end <= m->limit && end <= m->size);
	while (((uint64_t)1 << h) < w)
		h++;
	memcpy(out, m->level[h] + (start >> h) * H, H);
	return 0;
}

static void root_of(struct mem_log *m, uint64_t size, unsigned char out[H])
{
	m->limit = size;
	CHECK_EQ_INT(proto_merkle_root(size, subtree, m, out), PROTO_E_OK);
	m->limit = m->size;
}

static size_t inclusion(struct mem_log *m, uint64_t index, uint64_t size, unsigned char proof[][H])
{
	size_t n = 999;
	m->limit = size;
	CHECK_EQ_INT(proto_merkle_inclusion_proof(index, size, subtree, m, proof, &n), PROTO_E_OK);
	m->limit = m->size;
	CHECK(n <= PROTO_MERKLE_PROOF_MAX);
	return n;
}

static size_t consistency(struct mem_log *m, uint64_t first, uint64_t second, unsigned char proof[][H])
{
	size_t n = 999;
	m->limit = second;
	CHECK_EQ_INT(proto_merkle_consistency_proof(first, second, subtree, m, proof, &n), PROTO_E_OK);
	m->limit = m->size;
	CHECK(n <= PROTO_MERKLE_PROOF_MAX);
	return n;
}

static void flip(unsigned char *p, size_t bit)
{
	p[bit / 8 % H] ^= (unsigned char)(1u << (bit % 8));
}

/*
 * Everything that must refuse an inclusion proof of leaf index in (size, root): each hash flipped, the leaf
 * and the root flipped, one hash short and one long, a neighbouring index, a neighbouring size (with that
 * size's true root), an index past the size. all_bits: flip every bit of every hash, not one.
 */
static void inclusion_refusals(struct mem_log *m, uint64_t index, uint64_t size, unsigned char proof[][H], size_t n,
			       int all_bits)
{
	unsigned char leaf[H], root[H], other[H], bad[H];
	uint64_t s2;
	size_t j, b;

	memcpy(leaf, m->level[0] + index * H, H);
	root_of(m, size, root);
	CHECK_EQ_INT(proto_merkle_verify_inclusion(index, size, leaf, proof, n, root), PROTO_E_OK);
	for (j = 0; j < n; j++)
		for (b = all_bits ? 0 : (j * 37) % 256; b < (all_bits ? 256 : (j * 37) % 256 + 1); b++) {
			flip(proof[j], b);
			CHECK_EQ_INT(proto_merkle_verify_inclusion(index, size, leaf, proof, n, root), PROTO_E_BAD_SIGNATURE);
			flip(proof[j], b);
		}
	memcpy(bad, leaf, H);
	flip(bad, 200);
	CHECK_EQ_INT(proto_merkle_verify_inclusion(index, size, bad, proof, n, root), PROTO_E_BAD_SIGNATURE);
	memcpy(bad, root, H);
	flip(bad, 7);
	CHECK_EQ_INT(proto_merkle_verify_inclusion(index, size, leaf, proof, n, bad), PROTO_E_BAD_SIGNATURE);
	if (n > 0)
		CHECK_EQ_INT(proto_merkle_verify_inclusion(index, size, leaf, proof, n - 1, root), PROTO_E_BAD_SIGNATURE);
	memcpy(proof[n], root, H);
	CHECK_EQ_INT(proto_merkle_verify_inclusion(index, size, leaf, proof, n + 1, root), PROTO_E_BAD_SIGNATURE);
	memcpy(proof[n], leaf, H);
	CHECK_EQ_INT(proto_merkle_verify_inclusion(index, size, leaf, proof, n + 1, root), PROTO_E_BAD_SIGNATURE);
	if (index + 1 < size)
		CHECK_EQ_INT(proto_merkle_verify_inclusion(index + 1, size, leaf, proof, n, root), PROTO_E_BAD_SIGNATURE);
	if (index > 0)
		CHECK_EQ_INT(proto_merkle_verify_inclusion(index - 1, size, leaf, proof, n, root), PROTO_E_BAD_SIGNATURE);
	for (s2 = size > index + 1 ? size - 1 : size + 1; s2 <= size + 1 && s2 <= m->size; s2 += 2) {
		root_of(m, s2, other);
		CHECK_EQ_INT(proto_merkle_verify_inclusion(index, s2, leaf, proof, n, other), PROTO_E_BAD_SIGNATURE);
	}
	CHECK_EQ_INT(proto_merkle_verify_inclusion(index, 2 * size, leaf, proof, n, root), PROTO_E_BAD_SIGNATURE);
	CHECK_EQ_INT(proto_merkle_verify_inclusion(size, size, leaf, proof, n, root), PROTO_E_INVALID_ARG);
	CHECK_EQ_INT(proto_merkle_verify_inclusion(index, index, leaf, proof, n, root), PROTO_E_INVALID_ARG);
	CHECK_EQ_INT(proto_merkle_verify_inclusion(index, size, NULL, proof, n, root), PROTO_E_INVALID_ARG);
	CHECK_EQ_INT(proto_merkle_verify_inclusion(index, size, leaf, NULL, n + 1, root), PROTO_E_INVALID_ARG);
}

/* The same for a consistency proof from first to second (0 < first < second). */
static void consistency_refusals(struct mem_log *m, uint64_t first, uint64_t second, unsigned char proof[][H], size_t n,
				 int all_bits)
{
	unsigned char r1[H], r2[H], other[H], bad[H], alt[PROTO_MERKLE_PROOF_MAX + 1][H];
	size_t j, b, an;
	uint64_t f2, s2;

	root_of(m, first, r1);
	root_of(m, second, r2);
	CHECK_EQ_INT(proto_merkle_verify_consistency(first, second, r1, r2, proof, n), PROTO_E_OK);
	for (j = 0; j < n; j++)
		for (b = all_bits ? 0 : (j * 53) % 256; b < (all_bits ? 256 : (j * 53) % 256 + 1); b++) {
			flip(proof[j], b);
			CHECK_EQ_INT(proto_merkle_verify_consistency(first, second, r1, r2, proof, n), PROTO_E_BAD_SIGNATURE);
			flip(proof[j], b);
		}
	memcpy(bad, r1, H);
	flip(bad, 100);
	CHECK_EQ_INT(proto_merkle_verify_consistency(first, second, bad, r2, proof, n), PROTO_E_BAD_SIGNATURE);
	memcpy(bad, r2, H);
	flip(bad, 3);
	CHECK_EQ_INT(proto_merkle_verify_consistency(first, second, r1, bad, proof, n), PROTO_E_BAD_SIGNATURE);
	CHECK_EQ_INT(proto_merkle_verify_consistency(first, second, r1, r2, proof, n - 1), PROTO_E_BAD_SIGNATURE);
	CHECK_EQ_INT(proto_merkle_verify_consistency(first, second, r1, r2, proof, 0), PROTO_E_BAD_SIGNATURE);
	memcpy(proof[n], r2, H);
	CHECK_EQ_INT(proto_merkle_verify_consistency(first, second, r1, r2, proof, n + 1), PROTO_E_BAD_SIGNATURE);
	memcpy(proof[n], r1, H);
	CHECK_EQ_INT(proto_merkle_verify_consistency(first, second, r1, r2, proof, n + 1), PROTO_E_BAD_SIGNATURE);
	/* neighbouring sizes with their true roots: refused, unless their own proof happens to be this one */
	for (f2 = first - 1; f2 <= first + 1; f2 += 2) {
		if (f2 == 0 || f2 >= second)
			continue;
		root_of(m, f2, other);
		an = consistency(m, f2, second, alt);
		if (an != n || memcmp(alt, proof, n * H) != 0)
			CHECK_EQ_INT(proto_merkle_verify_consistency(f2, second, other, r2, proof, n), PROTO_E_BAD_SIGNATURE);
	}
	for (s2 = second - 1; s2 <= second + 1; s2 += 2) {
		if (s2 <= first || s2 > m->size)
			continue;
		root_of(m, s2, other);
		an = consistency(m, first, s2, alt);
		if (an != n || memcmp(alt, proof, n * H) != 0)
			CHECK_EQ_INT(proto_merkle_verify_consistency(first, s2, r1, other, proof, n), PROTO_E_BAD_SIGNATURE);
	}
	/* this proof and root claimed for a tree twice the size: one level short (RFC 9162's final "sn is 0";
	 * a neighbouring size may share the path's shape, and then the same proof and root pass) */
	CHECK_EQ_INT(proto_merkle_verify_consistency(first, 2 * second, r1, r2, proof, n), PROTO_E_BAD_SIGNATURE);
	/* the roots swapped, the sizes swapped */
	CHECK_EQ_INT(proto_merkle_verify_consistency(first, second, r2, r1, proof, n), PROTO_E_BAD_SIGNATURE);
	CHECK_EQ_INT(proto_merkle_verify_consistency(second, first, r2, r1, proof, n), PROTO_E_INVALID_ARG);
	CHECK_EQ_INT(proto_merkle_verify_consistency(first, second, NULL, r2, proof, n), PROTO_E_INVALID_ARG);
	CHECK_EQ_INT(proto_merkle_verify_consistency(first, second, r1, r2, NULL, n), PROTO_E_INVALID_ARG);
}

/* ---- Merkle tests ---- */

/* RFC 6962's reference inputs: roots at sizes 1..8 as certificate-transparency publishes them. */
static void ct_reference_roots(void)
{
	json_t *ref, *leaves, *roots;
	unsigned char hashes[8][H], leaf[16], root[H], max[PROTO_LOG_LEAF_MAX + 1] = {0};
	struct mem_log m;
	size_t i, n;

	load_vectors();
	ref = get(vec, "ct_reference");
	leaves = get(ref, "leaves");
	roots = get(ref, "roots");
	CHECK(json_array_size(leaves) == 8 && json_array_size(roots) == 8);
	for (i = 0; i < 8; i++) {
		const char *hx = json_string_value(json_array_get(leaves, i));
		CHECK(sodium_hex2bin(leaf, sizeof(leaf), hx, strlen(hx), NULL, &n, NULL) == 0);
		CHECK_EQ_INT(proto_merkle_leaf_hash(leaf, n, hashes[i]), PROTO_E_OK);
	}
	log_build(&m, 8, (const unsigned char (*)[H])hashes);
	for (i = 1; i <= 8; i++) {
		root_of(&m, i, root);
		hex_check(root, json_string_value(json_array_get(roots, i - 1)));
	}
	root_of(&m, 0, root);
	hex_check(root, str(vec, "empty_root"));
	log_free(&m);

	/* leaf hash limits */
	CHECK_EQ_INT(proto_merkle_leaf_hash(NULL, 0, root), PROTO_E_OK);
	hex_check(root, "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d");
	CHECK_EQ_INT(proto_merkle_leaf_hash(max, PROTO_LOG_LEAF_MAX, root), PROTO_E_OK);
	CHECK_EQ_INT(proto_merkle_leaf_hash(max, PROTO_LOG_LEAF_MAX + 1, root), PROTO_E_TOO_LARGE);
	CHECK_EQ_INT(proto_merkle_leaf_hash(NULL, 1, root), PROTO_E_INVALID_ARG);
	CHECK_EQ_INT(proto_merkle_leaf_hash(max, 1, NULL), PROTO_E_INVALID_ARG);
}

/* Every tree of the vectors: root, leaf hashes, each inclusion and consistency proof byte for byte, and the
 * refusals of each (every bit of every hash for the small trees). */
static void vector_trees(void)
{
	static unsigned char proof[PROTO_MERKLE_PROOF_MAX + 1][H], want[PROTO_MERKLE_PROOF_MAX + 1][H];
	struct mem_log m;
	json_t *trees, *t, *a, *e;
	unsigned char root[H];
	size_t i, j, n, wn, checked = 0;

	load_vectors();
	log_build(&m, BIG_LOG, NULL);
	trees = get(vec, "trees");
	CHECK(json_array_size(trees) == 9);
	json_array_foreach(trees, i, t) {
		uint64_t size = num(t, "size");
		int small = size < 100;
		root_of(&m, size, root);
		hex_check(root, str(t, "root"));
		if (json_object_get(t, "leaf_hashes")) {
			a = get(t, "leaf_hashes");
			CHECK_EQ_INT(json_array_size(a), size);
			for (j = 0; j < size; j++)
				hex_check(m.level[0] + j * H, json_string_value(json_array_get(a, j)));
		}
		a = get(t, "inclusion");
		CHECK(json_array_size(a) > 0 || size == 0);
		json_array_foreach(a, j, e) {
			uint64_t index = num(e, "index");
			wn = hex_list(get(e, "proof"), want, PROTO_MERKLE_PROOF_MAX);
			n = inclusion(&m, index, size, proof);
			CHECK_EQ_INT(n, wn);
			CHECK(n == 0 || memcmp(proof, want, n * H) == 0);
			inclusion_refusals(&m, index, size, proof, n, small);
			checked++;
		}
		a = get(t, "consistency");
		json_array_foreach(a, j, e) {
			uint64_t first = num(e, "first");
			unsigned char r1[H];
			wn = hex_list(get(e, "proof"), want, PROTO_MERKLE_PROOF_MAX);
			root_of(&m, first, r1);
			hex_check(r1, str(e, "first_root"));
			n = consistency(&m, first, size, proof);
			CHECK_EQ_INT(n, wn);
			CHECK(n == 0 || memcmp(proof, want, n * H) == 0);
			if (first > 0 && first < size) {
				consistency_refusals(&m, first, size, proof, n, small);
			} else {
				CHECK_EQ_INT(proto_merkle_verify_consistency(first, size, r1, root, proof, 0), PROTO_E_OK);
				CHECK_EQ_INT(proto_merkle_verify_consistency(first, size, r1, root, want, 1), PROTO_E_BAD_SIGNATURE);
			}
			checked++;
		}
	}
	CHECK(checked > 150);
	log_free(&m);
}

/* Every index and every pair of sizes up to 70 leaves: proofs verify, and the refusals hold. */
static void all_small_trees(void)
{
	static unsigned char proof[PROTO_MERKLE_PROOF_MAX + 1][H];
	struct mem_log m;
	uint64_t size, i;
	size_t n;

	CHECK(proto_init() == PROTO_E_OK);
	log_build(&m, 72, NULL);
	for (size = 1; size <= 70; size++) {
		for (i = 0; i < size; i++) {
			n = inclusion(&m, i, size, proof);
			inclusion_refusals(&m, i, size, proof, n, 0);
		}
		for (i = 1; i < size; i++) {
			n = consistency(&m, i, size, proof);
			CHECK(n > 0);
			consistency_refusals(&m, i, size, proof, n, 0);
		}
	}
	log_free(&m);
}

/* The edges outside RFC 9162's 0 < first < second, and first > second. */
static void consistency_edges(void)
{
	unsigned char proof[2][H], r5[H], r7[H], empty[H];
	struct mem_log m;
	size_t n = 77;

	CHECK(proto_init() == PROTO_E_OK);
	log_build(&m, 8, NULL);
	root_of(&m, 5, r5);
	root_of(&m, 7, r7);
	root_of(&m, 0, empty);
	CHECK_EQ_INT(proto_merkle_consistency_proof(7, 5, subtree, &m, proof, &n), PROTO_E_INVALID_ARG);
	CHECK_EQ_INT(n, 77);
	CHECK_EQ_INT(proto_merkle_verify_consistency(7, 5, r7, r5, proof, 0), PROTO_E_INVALID_ARG);
	CHECK_EQ_INT(proto_merkle_consistency_proof(5, 5, subtree, &m, proof, &n), PROTO_E_OK);
	CHECK_EQ_INT(n, 0);
	CHECK_EQ_INT(proto_merkle_verify_consistency(5, 5, r5, r5, NULL, 0), PROTO_E_OK);
	CHECK_EQ_INT(proto_merkle_verify_consistency(5, 5, r5, r7, NULL, 0), PROTO_E_BAD_SIGNATURE);
	memcpy(proof[0], r5, H);
	CHECK_EQ_INT(proto_merkle_verify_consistency(5, 5, r5, r5, proof, 1), PROTO_E_BAD_SIGNATURE);
	n = 77;
	CHECK_EQ_INT(proto_merkle_consistency_proof(0, 7, subtree, &m, proof, &n), PROTO_E_OK);
	CHECK_EQ_INT(n, 0);
	CHECK_EQ_INT(proto_merkle_verify_consistency(0, 7, empty, r7, NULL, 0), PROTO_E_OK);
	CHECK_EQ_INT(proto_merkle_verify_consistency(0, 0, empty, empty, NULL, 0), PROTO_E_OK);
	CHECK_EQ_INT(proto_merkle_verify_consistency(0, 7, r5, r7, NULL, 0), PROTO_E_BAD_SIGNATURE);
	CHECK_EQ_INT(proto_merkle_verify_consistency(0, 7, empty, r7, proof, 1), PROTO_E_BAD_SIGNATURE);
	n = 77;
	CHECK_EQ_INT(proto_merkle_inclusion_proof(7, 7, subtree, &m, proof, &n), PROTO_E_INVALID_ARG);
	CHECK_EQ_INT(proto_merkle_inclusion_proof(0, 0, subtree, &m, proof, &n), PROTO_E_INVALID_ARG);
	CHECK_EQ_INT(n, 77);
	log_free(&m);
}

/* A failing callback fails the call (PROTO_E_CRYPTO) and leaves the outputs as they were. */
static void callback_failures(void)
{
	static unsigned char proof[PROTO_MERKLE_PROOF_MAX][H], keep[PROTO_MERKLE_PROOF_MAX][H];
	unsigned char root[H], root_keep[H];
	struct mem_log m;
	unsigned long k, total;
	size_t n;

	CHECK(proto_init() == PROTO_E_OK);
	log_build(&m, 1000, NULL);
	memset(proof, 0xa5, sizeof(proof));
	memcpy(keep, proof, sizeof(proof));
	memset(root, 0x5a, H);
	memcpy(root_keep, root, H);

	m.calls = 0;
	(void)inclusion(&m, 333, 999, proof);
	total = m.calls;
	CHECK(total > 0);
	for (k = 1; k <= total; k++) {
		m.calls = 0;
		m.fail_at = k;
		n = 77;
		memcpy(proof, keep, sizeof(proof));
		CHECK_EQ_INT(proto_merkle_inclusion_proof(333, 999, subtree, &m, proof, &n), PROTO_E_CRYPTO);
		CHECK(n == 77 && memcmp(proof, keep, sizeof(proof)) == 0);
	}
	m.fail_at = 0;
	m.calls = 0;
	(void)consistency(&m, 333, 999, proof);
	total = m.calls;
	for (k = 1; k <= total; k++) {
		m.calls = 0;
		m.fail_at = k;
		n = 77;
		memcpy(proof, keep, sizeof(proof));
		CHECK_EQ_INT(proto_merkle_consistency_proof(333, 999, subtree, &m, proof, &n), PROTO_E_CRYPTO);
		CHECK(n == 77 && memcmp(proof, keep, sizeof(proof)) == 0);
	}
	for (k = 1; k <= 8; k++) { /* 999 leaves: 8 subtrees */
		m.calls = 0;
		m.fail_at = k;
		CHECK_EQ_INT(proto_merkle_root(999, subtree, &m, root), PROTO_E_CRYPTO);
		CHECK(memcmp(root, root_keep, H) == 0);
	}
	m.fail_at = 0;
	CHECK_EQ_INT(proto_merkle_root(5, NULL, &m, root), PROTO_E_INVALID_ARG);
	CHECK_EQ_INT(proto_merkle_root(5, subtree, &m, NULL), PROTO_E_INVALID_ARG);
	CHECK_EQ_INT(proto_merkle_inclusion_proof(1, 5, subtree, &m, proof, NULL), PROTO_E_INVALID_ARG);
	CHECK_EQ_INT(proto_merkle_consistency_proof(1, 5, subtree, &m, NULL, &n), PROTO_E_INVALID_ARG);
	log_free(&m);
}

/* ---- trees too big to hold: every leaf the same, so a subtree's hash depends on its width alone ---- */

static unsigned char same[64][H]; /* same[h]: the hash of 2^h equal leaves */

static int same_subtree(void *arg, uint64_t start, uint64_t end, unsigned char out[H])
{
	uint64_t w = end - start, limit = *(const uint64_t *)arg;
	int h = 0;

	CHECK(end > start && (w & (w - 1)) == 0 && start % w == 0 && end <= limit);
	while (((uint64_t)1 << h) < w)
		h++;
	memcpy(out, same[h], H);
	return 0;
}

static void huge_trees(void)
{
	static unsigned char proof[PROTO_MERKLE_PROOF_MAX + 1][H];
	static const uint64_t sizes[] = {((uint64_t)1 << 63) - 1, ((uint64_t)1 << 62) + 1, ((uint64_t)1 << 62), 0x5555555555555555u,
					 ((uint64_t)1 << 40) + 12345};
	struct proto_merkle_frontier f;
	unsigned char r1[H], r2[H], fr[H];
	uint64_t limit;
	size_t i, j, n, longest = 0;
	int h;

	CHECK(proto_init() == PROTO_E_OK);
	CHECK_EQ_INT(proto_merkle_leaf_hash((const unsigned char *)"x", 1, same[0]), PROTO_E_OK);
	for (h = 1; h < 64; h++)
		proto_merkle_node_hash(same[h - 1], same[h - 1], same[h]);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		uint64_t size = sizes[i];
		const uint64_t idx[] = {0, 1, size / 3, size / 2, size - 2, size - 1};
		const uint64_t firsts[] = {1, 2, 3, size / 3, size / 2 + 1, ((uint64_t)1 << 61) + 1, size - 1};
		limit = size;
		CHECK_EQ_INT(proto_merkle_root(size, same_subtree, &limit, r2), PROTO_E_OK);
		/* the frontier of the same tree, made by hand: one subtree per 1 bit of size, largest first */
		proto_merkle_frontier_init(&f);
		f.size = size;
		for (h = 63; h >= 0; h--)
			if (size >> h & 1)
				memcpy(f.hash[f.n++], same[h], H);
		CHECK_EQ_INT(proto_merkle_frontier_root(&f, fr), PROTO_E_OK);
		CHECK(memcmp(fr, r2, H) == 0);
		for (j = 0; j < sizeof(idx) / sizeof(idx[0]); j++) {
			CHECK_EQ_INT(proto_merkle_inclusion_proof(idx[j], size, same_subtree, &limit, proof, &n), PROTO_E_OK);
			CHECK(n <= 63);
			CHECK_EQ_INT(proto_merkle_verify_inclusion(idx[j], size, same[0], proof, n, r2), PROTO_E_OK);
			CHECK_EQ_INT(proto_merkle_verify_inclusion(idx[j], size, same[1], proof, n, r2), PROTO_E_BAD_SIGNATURE);
			memcpy(proof[n], same[5], H);
			CHECK_EQ_INT(proto_merkle_verify_inclusion(idx[j], size, same[0], proof, n + 1, r2), PROTO_E_BAD_SIGNATURE);
		}
		for (j = 0; j < sizeof(firsts) / sizeof(firsts[0]); j++) {
			uint64_t first = firsts[j];
			if (first >= size)
				continue;
			limit = first;
			CHECK_EQ_INT(proto_merkle_root(first, same_subtree, &limit, r1), PROTO_E_OK);
			limit = size;
			CHECK_EQ_INT(proto_merkle_consistency_proof(first, size, same_subtree, &limit, proof, &n), PROTO_E_OK);
			CHECK(n <= PROTO_MERKLE_PROOF_MAX);
			if (n > longest)
				longest = n;
			CHECK_EQ_INT(proto_merkle_verify_consistency(first, size, r1, r2, proof, n), PROTO_E_OK);
			CHECK_EQ_INT(proto_merkle_verify_consistency(first, size, r2, r2, proof, n), PROTO_E_BAD_SIGNATURE);
		}
	}
	CHECK(longest == PROTO_MERKLE_PROOF_MAX); /* 3 -> 2^63 - 1: the bound is reached, not passed */
	/* 2^63 leaves and more are refused; the frontier stops one short of it */
	limit = UINT64_MAX;
	CHECK_EQ_INT(proto_merkle_root((uint64_t)1 << 63, same_subtree, &limit, r1), PROTO_E_INVALID_ARG);
	CHECK_EQ_INT(proto_merkle_inclusion_proof(0, (uint64_t)1 << 63, same_subtree, &limit, proof, &n), PROTO_E_INVALID_ARG);
	CHECK_EQ_INT(proto_merkle_consistency_proof(1, UINT64_MAX, same_subtree, &limit, proof, &n), PROTO_E_INVALID_ARG);
	proto_merkle_frontier_init(&f);
	f.size = ((uint64_t)1 << 63) - 2;
	for (h = 62; h >= 1; h--)
		memcpy(f.hash[f.n++], same[h], H);
	CHECK_EQ_INT(proto_merkle_frontier_append(&f, same[0]), PROTO_E_OK);
	CHECK_EQ_INT(proto_merkle_frontier_append(&f, same[0]), PROTO_E_TOO_LARGE);
	CHECK_EQ_INT(f.size, ((uint64_t)1 << 63) - 1);
	limit = f.size;
	CHECK_EQ_INT(proto_merkle_root(f.size, same_subtree, &limit, r1), PROTO_E_OK);
	CHECK_EQ_INT(proto_merkle_frontier_root(&f, fr), PROTO_E_OK);
	CHECK(memcmp(fr, r1, H) == 0);
}

/* The frontier's root is MTH for every size up to 4096, and a frontier that does not add up is refused. */
static void frontier_roots(void)
{
	struct proto_merkle_frontier f, g;
	struct mem_log m;
	unsigned char a[H], b[H];
	uint64_t i;

	CHECK(proto_init() == PROTO_E_OK);
	log_build(&m, 4096, NULL);
	proto_merkle_frontier_init(&f);
	for (i = 0; i <= 4096; i++) {
		CHECK_EQ_INT(f.size, i);
		CHECK_EQ_INT(proto_merkle_frontier_root(&f, a), PROTO_E_OK);
		root_of(&m, i, b);
		CHECK(memcmp(a, b, H) == 0);
		if (i < 4096)
			CHECK_EQ_INT(proto_merkle_frontier_append(&f, m.level[0] + i * H), PROTO_E_OK);
	}
	CHECK_EQ_INT(f.n, 1); /* 4096 leaves: one subtree */
	memcpy(&g, &f, sizeof(g));
	g.n = 2;
	CHECK_EQ_INT(proto_merkle_frontier_root(&g, a), PROTO_E_INVALID_ARG);
	CHECK_EQ_INT(proto_merkle_frontier_append(&g, a), PROTO_E_INVALID_ARG);
	g.n = 65;
	CHECK_EQ_INT(proto_merkle_frontier_root(&g, a), PROTO_E_INVALID_ARG);
	CHECK_EQ_INT(proto_merkle_frontier_root(NULL, a), PROTO_E_INVALID_ARG);
	CHECK_EQ_INT(proto_merkle_frontier_append(&f, NULL), PROTO_E_INVALID_ARG);
	log_free(&m);
}

/* ---- checkpoints ---- */

static void checkpoint_vectors(void)
{
	static const char *const which[] = {"checkpoint", "checkpoint_ext"};
	struct proto_checkpoint cp;
	char out[PROTO_NOTE_MAX];
	size_t i, cap;

	load_vectors();
	for (i = 0; i < 2; i++) {
		json_t *v = get(get(vec, "notes"), which[i]);
		const char *body = str(v, "body");
		json_t *ext = json_object_get(v, "extension");
		CHECK_EQ_INT(proto_checkpoint_parse(body, strlen(body), &cp), PROTO_E_OK);
		CHECK_EQ_STR(cp.origin, str(v, "origin"));
		CHECK_EQ_INT(cp.size, num(v, "size"));
		hex_check(cp.root, str(v, "root"));
		CHECK_EQ_STR(cp.extension, ext ? json_string_value(ext) : "");
		CHECK_EQ_INT(proto_checkpoint_format(&cp, out, sizeof(out)), PROTO_E_OK);
		CHECK_EQ_STR(out, body);
		for (cap = 0; cap <= strlen(body); cap++) {
			memset(out, 'x', sizeof(out));
			CHECK_EQ_INT(proto_checkpoint_format(&cp, out, cap), PROTO_E_BUFFER_TOO_SMALL);
		}
		CHECK_EQ_INT(proto_checkpoint_format(&cp, out, strlen(body) + 1), PROTO_E_OK);
		CHECK_EQ_STR(out, body);
	}
	/* the empty tree, and the largest size */
	memset(&cp, 0, sizeof(cp));
	memcpy(cp.origin, "o", 2);
	crypto_hash_sha256(cp.root, (const unsigned char *)"", 0);
	CHECK_EQ_INT(proto_checkpoint_format(&cp, out, sizeof(out)), PROTO_E_OK);
	CHECK_EQ_STR(out, "o\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n");
	CHECK_EQ_INT(proto_checkpoint_parse(out, strlen(out), &cp), PROTO_E_OK);
	CHECK_EQ_INT(cp.size, 0);
	cp.size = UINT64_MAX;
	CHECK_EQ_INT(proto_checkpoint_format(&cp, out, sizeof(out)), PROTO_E_OK);
	CHECK_EQ_STR(out, "o\n18446744073709551615\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n");
	CHECK_EQ_INT(proto_checkpoint_parse(out, strlen(out), &cp), PROTO_E_OK);
	CHECK(cp.size == UINT64_MAX);
	/* what format refuses */
	cp.origin[0] = '\0';
	CHECK_EQ_INT(proto_checkpoint_format(&cp, out, sizeof(out)), PROTO_E_INVALID_ARG);
	memcpy(cp.origin, "a\nb", 4);
	CHECK_EQ_INT(proto_checkpoint_format(&cp, out, sizeof(out)), PROTO_E_INVALID_ARG);
	memset(cp.origin, 'a', sizeof(cp.origin));
	CHECK_EQ_INT(proto_checkpoint_format(&cp, out, sizeof(out)), PROTO_E_INVALID_ARG);
	memcpy(cp.origin, "o", 2);
	memcpy(cp.extension, "no newline", 11);
	CHECK_EQ_INT(proto_checkpoint_format(&cp, out, sizeof(out)), PROTO_E_INVALID_ARG);
	memcpy(cp.extension, "a\n\nb\n", 6);
	CHECK_EQ_INT(proto_checkpoint_format(&cp, out, sizeof(out)), PROTO_E_INVALID_ARG);
	memcpy(cp.extension, "\n", 2);
	CHECK_EQ_INT(proto_checkpoint_format(&cp, out, sizeof(out)), PROTO_E_INVALID_ARG);
	memcpy(cp.extension, "tab\there\n", 10);
	CHECK_EQ_INT(proto_checkpoint_format(&cp, out, sizeof(out)), PROTO_E_INVALID_ARG);
	CHECK_EQ_INT(proto_checkpoint_format(NULL, out, sizeof(out)), PROTO_E_INVALID_ARG);
}

#define TAIL "\n5\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n" /* what follows an origin */

static void checkpoint_refusals(void)
{
	static const struct {
		const char *body;
		int rc;
	} bad[] = {
		{"", PROTO_E_MALFORMED},
		{"o\n5\n", PROTO_E_MALFORMED},
		{"o\n5", PROTO_E_MALFORMED},
		{"o\n5\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=", PROTO_E_MALFORMED},   /* no final newline */
		{"\n5\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n", PROTO_E_MALFORMED}, /* empty origin */
		{"o\n05\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n", PROTO_E_MALFORMED},
		{"o\n00\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n", PROTO_E_MALFORMED},
		{"o\n\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n", PROTO_E_MALFORMED},
		{"o\n+5\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n", PROTO_E_MALFORMED},
		{"o\n-5\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n", PROTO_E_MALFORMED},
		{"o\n5 \n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n", PROTO_E_MALFORMED},
		{"o\n0x5\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n", PROTO_E_MALFORMED},
		{"o\n18446744073709551616\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n", PROTO_E_MALFORMED},
		{"o\n99999999999999999999\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n", PROTO_E_MALFORMED},
		{"o\n5\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU\n", PROTO_E_MALFORMED},   /* no padding */
		{"o\n5\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFV=\n", PROTO_E_MALFORMED},  /* nonzero trailing bits */
		{"o\n5\n47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU=\n", PROTO_E_MALFORMED},  /* base64url */
		{"o\n5\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuA==\n", PROTO_E_MALFORMED},  /* 31 bytes */
		{"o\n5\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFUA\n", PROTO_E_MALFORMED},  /* 33 bytes */
		{"o\n5\n 47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n", PROTO_E_MALFORMED},
		/* bytes from 0x80 up, which libsodium 1.0.18's decoder takes for letters (found by fuzz_envelope) */
		{"o\n5\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hS\xce\xafU=\n", PROTO_E_MALFORMED},
		{"o\n5\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSu\xc2\x80=\n", PROTO_E_MALFORMED},
		{"o\n5\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n\n", PROTO_E_MALFORMED}, /* empty extension line */
		{"o\n5\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\next\n\n", PROTO_E_MALFORMED},
		{"o\n5\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\next", PROTO_E_MALFORMED},
		{"o\r\n5\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n", PROTO_E_MALFORMED},
		{"o\xff\n5\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n", PROTO_E_MALFORMED},
		{"o\xc0\x80\n5\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n", PROTO_E_MALFORMED},     /* overlong */
		{"o\xed\xa0\x80\n5\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n", PROTO_E_MALFORMED}, /* surrogate */
		{"o\n5\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\nx\ty\n", PROTO_E_MALFORMED},
	};
	struct proto_checkpoint cp, keep;
	char body[PROTO_NOTE_MAX + 2];
	size_t i, n;

	CHECK(proto_init() == PROTO_E_OK);
	memset(&keep, 0x42, sizeof(keep));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memcpy(&cp, &keep, sizeof(cp));
		if (proto_checkpoint_parse(bad[i].body, strlen(bad[i].body), &cp) != bad[i].rc) {
			fprintf(stderr, "  checkpoint %zu not refused as expected\n", i);
			_exit(1);
		}
		CHECK(memcmp(&cp, &keep, sizeof(cp)) == 0);
	}
	/* a NUL inside is a control character */
	CHECK_EQ_INT(proto_checkpoint_parse("o\0" TAIL, 2 + sizeof(TAIL) - 1, &cp), PROTO_E_MALFORMED);
	/* an origin of 128 bytes passes, 129 does not */
	memset(body, 'o', PROTO_NOTE_NAME_MAX + 1);
	memcpy(body + PROTO_NOTE_NAME_MAX, TAIL, sizeof(TAIL));
	CHECK_EQ_INT(proto_checkpoint_parse(body, strlen(body), &cp), PROTO_E_OK);
	CHECK_EQ_INT(strlen(cp.origin), PROTO_NOTE_NAME_MAX);
	memset(body, 'o', PROTO_NOTE_NAME_MAX + 1);
	memcpy(body + PROTO_NOTE_NAME_MAX + 1, TAIL, sizeof(TAIL));
	CHECK_EQ_INT(proto_checkpoint_parse(body, strlen(body), &cp), PROTO_E_TOO_LARGE);
	/* extension lines: 255 bytes pass, 256 do not */
	n = (size_t)snprintf(body, sizeof(body), "o\n5\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n");
	memset(body + n, 'e', 254);
	memcpy(body + n + 254, "\n", 2);
	CHECK_EQ_INT(proto_checkpoint_parse(body, strlen(body), &cp), PROTO_E_OK);
	CHECK_EQ_INT(strlen(cp.extension), 255);
	memset(body + n, 'e', 255);
	memcpy(body + n + 255, "\n", 2);
	CHECK_EQ_INT(proto_checkpoint_parse(body, strlen(body), &cp), PROTO_E_TOO_LARGE);
	/* the size cap, before anything else */
	memset(body, 'x', sizeof(body));
	CHECK_EQ_INT(proto_checkpoint_parse(body, PROTO_NOTE_MAX + 1, &cp), PROTO_E_TOO_LARGE);
	CHECK_EQ_INT(proto_checkpoint_parse(NULL, 0, &cp), PROTO_E_INVALID_ARG);
	CHECK_EQ_INT(proto_checkpoint_parse("o\n", 2, NULL), PROTO_E_INVALID_ARG);
	/* origins may hold spaces and '+' (tlog-checkpoint: clients must not assume the URL form) */
	CHECK_EQ_INT(proto_checkpoint_parse("my log+1 \xc3\xa9" TAIL, strlen("my log+1 \xc3\xa9" TAIL), &cp), PROTO_E_OK);
	CHECK_EQ_STR(cp.origin, "my log+1 \xc3\xa9");
}

/* ---- keys ---- */

static uint32_t expected_id(const char *name, unsigned alg, const unsigned char pk[32])
{
	unsigned char in[PROTO_NOTE_NAME_MAX + 2 + 32], h[32];
	size_t n = strlen(name);
	memcpy(in, name, n);
	in[n] = '\n';
	in[n + 1] = (unsigned char)alg;
	memcpy(in + n + 2, pk, 32);
	crypto_hash_sha256(h, in, n + 2 + 32);
	return (uint32_t)h[0] << 24 | (uint32_t)h[1] << 16 | (uint32_t)h[2] << 8 | h[3];
}

static uint32_t hex_id(const char *hex)
{
	unsigned char b[4];
	size_t n = 0;
	CHECK(sodium_hex2bin(b, 4, hex, strlen(hex), NULL, &n, NULL) == 0 && n == 4);
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

static void key_vectors(void)
{
	static const char *const which[] = {"log", "cosigner"};
	struct proto_note_key k, v;
	unsigned char pk[32];
	char out[512];
	size_t i, cap;

	load_vectors();
	for (i = 0; i < 2; i++) {
		json_t *o = get(get(vec, "notes"), which[i]);
		const char *skey = str(o, "skey"), *vkey = str(o, "vkey");
		hex32(str(o, "public_key"), pk);
		CHECK_EQ_INT(proto_note_signer_parse(skey, &k), PROTO_E_OK);
		CHECK_EQ_STR(k.name, str(o, "name"));
		CHECK_EQ_INT(k.is_cosigner, i == 1);
		CHECK(memcmp(k.pk, pk, 32) == 0);
		CHECK_EQ_INT(k.id, hex_id(str(o, "key_id")));
		CHECK_EQ_INT(k.id, expected_id(k.name, i == 1 ? 0x04 : 0x01, pk));
		CHECK_EQ_INT(proto_note_verifier_parse(vkey, &v), PROTO_E_OK);
		CHECK(strcmp(v.name, k.name) == 0 && v.id == k.id && v.is_cosigner == k.is_cosigner && memcmp(v.pk, pk, 32) == 0);
		CHECK(sodium_is_zero(v.sk, sizeof(v.sk)));
		CHECK_EQ_INT(proto_note_verifier_format(&k, out, sizeof(out)), PROTO_E_OK);
		CHECK_EQ_STR(out, vkey);
		CHECK_EQ_INT(proto_note_verifier_format(&v, out, sizeof(out)), PROTO_E_OK);
		CHECK_EQ_STR(out, vkey);
		CHECK_EQ_INT(proto_note_signer_format(&k, out, sizeof(out)), PROTO_E_OK);
		CHECK_EQ_STR(out, skey);
		for (cap = 0; cap <= strlen(skey); cap++) {
			memset(out, 'x', sizeof(out));
			CHECK_EQ_INT(proto_note_signer_format(&k, out, cap), PROTO_E_BUFFER_TOO_SMALL);
			CHECK(cap == 0 || sodium_is_zero((const unsigned char *)out, cap)); /* no half of a secret left */
		}
		CHECK_EQ_INT(proto_note_verifier_format(&k, out, strlen(vkey)), PROTO_E_BUFFER_TOO_SMALL);
		CHECK_EQ_INT(proto_note_signer_format(&v, out, sizeof(out)), PROTO_E_INVALID_ARG); /* a verifier */
		CHECK_EQ_INT(proto_note_verifier_parse(skey, &v), PROTO_E_MALFORMED);
		CHECK_EQ_INT(proto_note_signer_parse(vkey, &v), PROTO_E_MALFORMED);
	}
	/* the cosigner's key id is tlog-cosignature's (type 0x04), not the plain signer's */
	CHECK(hex_id(str(get(get(vec, "notes"), "cosigner"), "key_id")) !=
	      hex_id(str(get(get(vec, "notes"), "cosigner"), "key_id_if_0x01")));
	/* the example of c2sp.org/signed-note */
	CHECK_EQ_INT(proto_note_verifier_parse(str(get(get(vec, "notes"), "spec_example"), "vkey"), &v), PROTO_E_OK);
	CHECK_EQ_STR(v.name, "example.com/foo");
	CHECK_EQ_INT(v.id, 0x530d903a);
	CHECK_EQ_INT(v.is_cosigner, 0);
}

static void key_refusals(void)
{
	static const char *const bad_vkeys[] = {
		"",
		"example.com/foo",
		"example.com/foo+530d903a",
		"example.com/foo+530d903a+",
		"example.com/foo+530d903b+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",  /* wrong id */
		"example.com/foo+530D903A+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",  /* uppercase hex */
		"example.com/foo+530d903+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",   /* 7 digits */
		"example.com/fo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",   /* another name */
		"+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",                 /* no name */
		"example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2",   /* truncated */
		"example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k=", /* trailing */
		"example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2kAA==",
		"example.com/foo+530d903a+AukyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",  /* type 0x02 */
		"example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U\xc3\x80", /* not base64 */
		"example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k\n",
		"example com+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",
		"PRIVATE+KEY+example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",
	};
	static const char *const bad_names[] = {"", "a b", "a+b", "a\tb", "a\nb", "a\xc2\xa0" "b", "a\xe3\x80\x80" "b",
						"a\xe2\x80\x8a" "b", "\xff", "a\x01"};
	struct proto_note_key k, keep, v;
	char name[PROTO_NOTE_NAME_MAX + 2], out[512];
	size_t i;

	CHECK(proto_init() == PROTO_E_OK);
	memset(&keep, 0x42, sizeof(keep));
	for (i = 0; i < sizeof(bad_vkeys) / sizeof(bad_vkeys[0]); i++) {
		memcpy(&k, &keep, sizeof(k));
		if (proto_note_verifier_parse(bad_vkeys[i], &k) == PROTO_E_OK) {
			fprintf(stderr, "  verifier key %zu accepted\n", i);
			_exit(1);
		}
		CHECK(memcmp(&k, &keep, sizeof(k)) == 0);
		CHECK(proto_note_signer_parse(bad_vkeys[i], &k) != PROTO_E_OK);
	}
	for (i = 0; i < sizeof(bad_names) / sizeof(bad_names[0]); i++)
		CHECK_EQ_INT(proto_note_key_new(bad_names[i], 0, &k), PROTO_E_INVALID_ARG);
	memset(name, 'n', PROTO_NOTE_NAME_MAX + 1);
	name[PROTO_NOTE_NAME_MAX + 1] = '\0';
	CHECK_EQ_INT(proto_note_key_new(name, 0, &k), PROTO_E_INVALID_ARG);
	name[PROTO_NOTE_NAME_MAX] = '\0';
	/* new keys of both kinds: ids per signed-note and tlog-cosignature, text round trips */
	for (i = 0; i < 2; i++) {
		CHECK_EQ_INT(proto_note_key_new(i ? "w\xc3\xa9.example/x" : name, (int)i * 7, &k), PROTO_E_OK);
		CHECK_EQ_INT(k.is_cosigner, (int)i);
		CHECK_EQ_INT(k.id, expected_id(k.name, i ? 0x04 : 0x01, k.pk));
		CHECK_EQ_INT(proto_note_signer_format(&k, out, sizeof(out)), PROTO_E_OK);
		CHECK_EQ_INT(proto_note_signer_parse(out, &v), PROTO_E_OK);
		CHECK(strcmp(v.name, k.name) == 0 && v.id == k.id && v.is_cosigner == k.is_cosigner && memcmp(v.pk, k.pk, 32) == 0 &&
		      memcmp(v.sk, k.sk, 64) == 0);
		CHECK_EQ_INT(proto_note_verifier_format(&k, out, sizeof(out)), PROTO_E_OK);
		CHECK_EQ_INT(proto_note_verifier_parse(out, &v), PROTO_E_OK);
		CHECK(strcmp(v.name, k.name) == 0 && v.id == k.id && memcmp(v.pk, k.pk, 32) == 0 && v.is_cosigner == k.is_cosigner);
		/* a structure whose id does not match is not a key */
		k.id ^= 1;
		CHECK_EQ_INT(proto_note_verifier_format(&k, out, sizeof(out)), PROTO_E_INVALID_ARG);
		k.id ^= 1;
		k.is_cosigner = !k.is_cosigner;
		CHECK_EQ_INT(proto_note_verifier_format(&k, out, sizeof(out)), PROTO_E_INVALID_ARG);
	}
	CHECK_EQ_INT(proto_note_key_new(NULL, 0, &k), PROTO_E_INVALID_ARG);
	CHECK_EQ_INT(proto_note_verifier_parse(NULL, &k), PROTO_E_INVALID_ARG);
}

/* ---- notes ---- */

struct fixture {
	struct proto_note_key log, witness, log_v, witness_v;
	const char *body, *signed_, *cosigned;
	uint64_t timestamp;
};

static void fixture(struct fixture *fx)
{
	json_t *n;

	load_vectors();
	n = get(vec, "notes");
	CHECK_EQ_INT(proto_note_signer_parse(str(get(n, "log"), "skey"), &fx->log), PROTO_E_OK);
	CHECK_EQ_INT(proto_note_signer_parse(str(get(n, "cosigner"), "skey"), &fx->witness), PROTO_E_OK);
	CHECK_EQ_INT(proto_note_verifier_parse(str(get(n, "log"), "vkey"), &fx->log_v), PROTO_E_OK);
	CHECK_EQ_INT(proto_note_verifier_parse(str(get(n, "cosigner"), "vkey"), &fx->witness_v), PROTO_E_OK);
	fx->body = str(get(n, "checkpoint"), "body");
	fx->signed_ = str(n, "signed");
	fx->cosigned = str(n, "cosigned");
	fx->timestamp = num(n, "timestamp");
}

/* Open note with keys; returns the error, with body length, verified and ts when it opened. */
static int open_note(const char *note, size_t len, const struct proto_note_key *keys, size_t nkeys, size_t *body_len,
		     int *verified, uint64_t *ts)
{
	return proto_note_open(note, len, keys, nkeys, body_len, verified, ts);
}

static void note_vectors(void)
{
	struct fixture fx;
	struct proto_note_key both[2];
	char out[PROTO_NOTE_MAX + 1];
	const char *ext_body, *spec;
	int verified[2];
	uint64_t ts[2];
	size_t body_len;

	fixture(&fx);
	/* signing reproduces the vectors byte for byte (Ed25519 is deterministic) */
	CHECK_EQ_INT(proto_note_sign(fx.body, &fx.log, 12345, out, sizeof(out)), PROTO_E_OK);
	CHECK_EQ_STR(out, fx.signed_);
	CHECK_EQ_INT(proto_note_sign(fx.signed_, &fx.witness, fx.timestamp, out, sizeof(out)), PROTO_E_OK);
	CHECK_EQ_STR(out, fx.cosigned);
	ext_body = str(get(get(vec, "notes"), "checkpoint_ext"), "body");
	CHECK_EQ_INT(proto_note_sign(ext_body, &fx.log, 0, out, sizeof(out)), PROTO_E_OK);
	CHECK_EQ_STR(out, str(get(vec, "notes"), "signed_ext"));
	/* the log's line, then the cosigner's, as the vectors order them: sign the other way and compare lines */
	CHECK_EQ_INT(proto_note_sign(fx.body, &fx.witness, fx.timestamp, out, sizeof(out)), PROTO_E_OK);
	CHECK(strstr(fx.cosigned, strstr(out, EM_DASH " witness")) != NULL);

	/* opening: both keys verify, the cosigner's time comes out */
	both[0] = fx.log_v;
	both[1] = fx.witness_v;
	memset(verified, 0x7f, sizeof(verified));
	memset(ts, 0x7f, sizeof(ts));
	CHECK_EQ_INT(open_note(fx.cosigned, strlen(fx.cosigned), both, 2, &body_len, verified, ts), PROTO_E_OK);
	CHECK_EQ_INT(body_len, strlen(fx.body));
	CHECK(memcmp(fx.cosigned, fx.body, body_len) == 0);
	CHECK(verified[0] == 1 && verified[1] == 1);
	CHECK(ts[0] == 0 && ts[1] == fx.timestamp);
	CHECK_EQ_INT(open_note(fx.cosigned, strlen(fx.cosigned), both, 2, &body_len, verified, NULL), PROTO_E_OK);
	CHECK_EQ_INT(open_note(fx.cosigned, strlen(fx.cosigned), &both[1], 1, &body_len, verified, ts), PROTO_E_OK);
	CHECK(verified[0] == 1 && ts[0] == fx.timestamp);
	CHECK_EQ_INT(open_note(fx.signed_, strlen(fx.signed_), both, 2, &body_len, verified, ts), PROTO_E_OK);
	CHECK(verified[0] == 1 && verified[1] == 0 && ts[1] == 0);
	/* signers open as verifiers too */
	both[0] = fx.log;
	both[1] = fx.witness;
	CHECK_EQ_INT(open_note(fx.cosigned, strlen(fx.cosigned), both, 2, &body_len, verified, ts), PROTO_E_OK);
	CHECK(verified[0] == 1 && verified[1] == 1);
	/* the example of c2sp.org/signed-note */
	spec = str(get(get(vec, "notes"), "spec_example"), "note");
	CHECK_EQ_INT(proto_note_verifier_parse(str(get(get(vec, "notes"), "spec_example"), "vkey"), &both[0]), PROTO_E_OK);
	CHECK_EQ_INT(open_note(spec, strlen(spec), both, 1, &body_len, verified, NULL), PROTO_E_OK);
	CHECK_EQ_INT(body_len, strlen(str(get(get(vec, "notes"), "spec_example"), "body")));
	CHECK(verified[0] == 1);
	/* the opened body is a checkpoint */
	{
		struct proto_checkpoint cp;
		CHECK_EQ_INT(proto_checkpoint_parse(fx.cosigned, strlen(fx.body), &cp), PROTO_E_OK);
		CHECK_EQ_INT(cp.size, 1000);
	}
}

/* Replace the first occurrence of what in note (a copy in out) by with; the note must contain it. */
static size_t edit(const char *note, const char *what, const char *with, char *out, size_t cap)
{
	const char *at = strstr(note, what);
	size_t pre, n;
	CHECK(at != NULL);
	pre = (size_t)(at - note);
	n = (size_t)snprintf(out, cap, "%.*s%s%s", (int)pre, note, with, at + strlen(what));
	CHECK(n < cap);
	return n;
}

static void note_refusals(void)
{
	struct fixture fx;
	struct proto_note_key keys[2], other, same_name;
	static char buf[2 * PROTO_NOTE_MAX], buf2[2 * PROTO_NOTE_MAX];
	char *line;
	int verified[2] = {7, 7};
	uint64_t ts[2] = {7, 7};
	size_t body_len = 7, n, i;

	fixture(&fx);
	keys[0] = fx.log_v;
	keys[1] = fx.witness_v;

	/* a flipped byte in the body: both signatures fail (and the outputs are left alone) */
	n = edit(fx.cosigned, "1000", "1001", buf, sizeof(buf));
	CHECK_EQ_INT(open_note(buf, n, keys, 2, &body_len, verified, ts), PROTO_E_BAD_SIGNATURE);
	CHECK_EQ_INT(open_note(buf, n, &keys[1], 1, &body_len, verified, ts), PROTO_E_BAD_SIGNATURE);
	n = edit(fx.cosigned, "log.postern", "Log.postern", buf, sizeof(buf));
	CHECK_EQ_INT(open_note(buf, n, keys, 2, &body_len, verified, ts), PROTO_E_BAD_SIGNATURE);
	CHECK(body_len == 7 && verified[0] == 7 && verified[1] == 7 && ts[0] == 7 && ts[1] == 7);
	/* a flipped byte in each signature (a base64 character changed in the middle) */
	for (i = 0; i < 2; i++) {
		memcpy(buf, fx.cosigned, strlen(fx.cosigned) + 1);
		line = strstr(buf, i ? EM_DASH " witness" : EM_DASH " log");
		line = strchr(line + 4, ' ') + 40;
		*line = *line == 'A' ? 'B' : 'A';
		CHECK_EQ_INT(open_note(buf, strlen(buf), keys, 2, &body_len, verified, ts), PROTO_E_BAD_SIGNATURE);
		/* only the other key known: that line is then not this key's business... */
		CHECK_EQ_INT(open_note(buf, strlen(buf), &keys[1 - i], 1, &body_len, verified, ts), PROTO_E_OK);
		CHECK_EQ_INT(open_note(buf, strlen(buf), &keys[i], 1, &body_len, verified, ts), PROTO_E_BAD_SIGNATURE);
	}
	/* the cosigner's timestamp changed: its signature covers it */
	n = edit(fx.cosigned, "NAtW+QAAAABlU/EA", "NAtW+QAAAABlU/EB", buf, sizeof(buf));
	CHECK_EQ_INT(open_note(buf, n, &keys[1], 1, &body_len, verified, ts), PROTO_E_BAD_SIGNATURE);

	/* lines of unknown keys are ignored: another key, the same name with another key, the same id under
	 * another name, a signature type this code does not know */
	CHECK_EQ_INT(proto_note_key_new("other.example/k", 0, &other), PROTO_E_OK);
	CHECK_EQ_INT(proto_note_key_new(fx.log.name, 0, &same_name), PROTO_E_OK);
	CHECK_EQ_INT(proto_note_sign(fx.cosigned, &other, 0, buf, sizeof(buf)), PROTO_E_OK);
	CHECK_EQ_INT(proto_note_sign(buf, &same_name, 0, buf2, sizeof(buf2)), PROTO_E_OK);
	n = strlen(buf2);
	{
		unsigned char blob[68] = {0};
		char b64[sodium_base64_ENCODED_LEN(68, sodium_base64_VARIANT_ORIGINAL)];
		blob[0] = (unsigned char)(fx.log.id >> 24);
		blob[1] = (unsigned char)(fx.log.id >> 16);
		blob[2] = (unsigned char)(fx.log.id >> 8);
		blob[3] = (unsigned char)fx.log.id;
		sodium_bin2base64(b64, sizeof(b64), blob, sizeof(blob), sodium_base64_VARIANT_ORIGINAL);
		n += (size_t)snprintf(buf2 + n, sizeof(buf2) - n, EM_DASH " other.example/k %s\n", b64);
	}
	n += (size_t)snprintf(buf2 + n, sizeof(buf2) - n, EM_DASH " pq.example/x AAAAAAAAAAAA\n");
	CHECK_EQ_INT(open_note(buf2, n, keys, 2, &body_len, verified, ts), PROTO_E_OK);
	CHECK(verified[0] == 1 && verified[1] == 1 && body_len == strlen(fx.body));
	/* but not when none of the known keys signed (signed-note: the note MUST be rejected) */
	CHECK_EQ_INT(open_note(buf2, n, &other, 0, &body_len, verified, ts), PROTO_E_BAD_SIGNATURE);
	n = edit(fx.signed_, "", "", buf, sizeof(buf));
	CHECK_EQ_INT(open_note(buf, n, &keys[1], 1, &body_len, verified, ts), PROTO_E_BAD_SIGNATURE);

	/* a known key's line twice */
	n = strlen(fx.cosigned);
	memcpy(buf, fx.cosigned, n);
	line = strstr(fx.cosigned, EM_DASH " log");
	memcpy(buf + n, line, (size_t)(strchr(line, '\n') - line) + 1);
	n += (size_t)(strchr(line, '\n') - line) + 1;
	CHECK_EQ_INT(open_note(buf, n, keys, 2, &body_len, verified, ts), PROTO_E_MALFORMED);
	/* a plain key's line of another length than a signature's */
	n = edit(fx.signed_, "zhRKKgI=", "zhRKKgIAAAAAAAAAAAA=", buf, sizeof(buf));
	CHECK_EQ_INT(open_note(buf, n, keys, 1, &body_len, verified, ts), PROTO_E_BAD_SIGNATURE);
	/* a cosignature dated after 2^63 - 1 */
	n = edit(fx.cosigned, "NAtW+QAAAABlU/EA", "NAtW+YAAAABlU/EA", buf, sizeof(buf));
	CHECK_EQ_INT(open_note(buf, n, &keys[1], 1, &body_len, verified, ts), PROTO_E_BAD_SIGNATURE);

	/* a cosignature validly signed at 2^63 (which the signer refuses to make): still refused */
	{
		unsigned char blob[76], msg[512];
		char b64[sodium_base64_ENCODED_LEN(76, sodium_base64_VARIANT_ORIGINAL)];
		size_t ml = (size_t)snprintf((char *)msg, sizeof(msg), "cosignature/v1\ntime 9223372036854775808\n%s", fx.body);
		blob[0] = (unsigned char)(fx.witness.id >> 24);
		blob[1] = (unsigned char)(fx.witness.id >> 16);
		blob[2] = (unsigned char)(fx.witness.id >> 8);
		blob[3] = (unsigned char)fx.witness.id;
		memset(blob + 4, 0, 8);
		blob[4] = 0x80;
		crypto_sign_detached(blob + 12, NULL, msg, ml, fx.witness.sk);
		sodium_bin2base64(b64, sizeof(b64), blob, sizeof(blob), sodium_base64_VARIANT_ORIGINAL);
		n = (size_t)snprintf(buf, sizeof(buf), "%s" EM_DASH " %s %s\n", fx.signed_, fx.witness.name, b64);
		CHECK_EQ_INT(open_note(buf, n, &keys[1], 1, &body_len, verified, ts), PROTO_E_BAD_SIGNATURE);
		/* and the same at 2^63 - 1 opens */
		ml = (size_t)snprintf((char *)msg, sizeof(msg), "cosignature/v1\ntime 9223372036854775807\n%s", fx.body);
		memset(blob + 4, 0xff, 8);
		blob[4] = 0x7f;
		crypto_sign_detached(blob + 12, NULL, msg, ml, fx.witness.sk);
		sodium_bin2base64(b64, sizeof(b64), blob, sizeof(blob), sodium_base64_VARIANT_ORIGINAL);
		n = (size_t)snprintf(buf, sizeof(buf), "%s" EM_DASH " %s %s\n", fx.signed_, fx.witness.name, b64);
		CHECK_EQ_INT(open_note(buf, n, &keys[1], 1, &body_len, verified, ts), PROTO_E_OK);
		CHECK(ts[0] == (uint64_t)INT64_MAX);
	}
	/* malformed notes */
	{
		static const struct {
			const char *what, *with;
		} bad[] = {
			{"=\n\n" EM_DASH, "=\n" EM_DASH},                /* no blank line */
			{EM_DASH " log", "- log"},                       /* no em dash */
			{EM_DASH " log", EM_DASH "log"},                 /* no space after it */
			{EM_DASH " log", "\xe2\x80\x93 log"},            /* en dash */
			{EM_DASH " log", " " EM_DASH " log"},            /* leading space */
			{"test M8SX", "testM8SX"},                       /* no space before the signature */
			{"test M8SX", "test  M8SX"},                     /* two */
			{"test M8SX", "test !8SX"},                      /* bad base64 */
			{"test M8SX", "test M8\xc3\x80"},               /* bytes over 0x7f in base64 */
			{"zhRKKgI=", "zhRKKgI"},                         /* unpadded */
			{"zhRKKgI=", "zhRKKgJ="},                        /* nonzero trailing bits */
			{"zhRKKgI=\n", "zhRKKgI= \n"},                   /* trailing space */
			{"zhRKKgI=\n", "zhRKKgI=\r\n"},                  /* CR */
			{"zhRKKgI=\n", "zhRKKgI=\n\n"},                  /* a blank line after the signatures */
			{"zhRKKgI=\n", "zhRKKgI=\nnot a signature\n"},   /* a line after them */
			{"log.postern", "log\xff.postern"},              /* invalid UTF-8 */
			{"log.postern", "log\xc0\xae.postern"},          /* overlong */
			{"log.postern", "log\x7f\x01.postern"},          /* control character */
			{"log.postern.example/test M8", "log+x M8"},     /* a '+' in a key name */
			{"log.postern.example/test M8", "log\xc2\xa0x M8"}, /* a Unicode space in a key name */
			{"log.postern.example/test M8", " M8"},          /* empty key name */
		};
		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			int rc;
			n = edit(fx.signed_, bad[i].what, bad[i].with, buf, sizeof(buf));
			rc = open_note(buf, n, keys, 2, &body_len, verified, ts);
			if (rc != PROTO_E_MALFORMED) {
				fprintf(stderr, "  malformed note %zu: %d\n", i, rc);
				_exit(1);
			}
		}
	}
	/* no final newline, no signature line, a signature under 5 bytes, a NUL, nothing at all */
	n = strlen(fx.signed_);
	CHECK_EQ_INT(open_note(fx.signed_, n - 1, keys, 1, &body_len, verified, ts), PROTO_E_MALFORMED);
	n = (size_t)snprintf(buf, sizeof(buf), "%s\n", fx.body);
	CHECK_EQ_INT(open_note(buf, n, keys, 1, &body_len, verified, ts), PROTO_E_MALFORMED);
	n = (size_t)snprintf(buf, sizeof(buf), "%s\n" EM_DASH " %s M8SXFA==\n", fx.body, fx.log.name);
	CHECK_EQ_INT(open_note(buf, n, keys, 1, &body_len, verified, ts), PROTO_E_MALFORMED);
	n = (size_t)snprintf(buf, sizeof(buf), "%s\n" EM_DASH " %s M8SXFAA=\n", fx.body, fx.log.name);
	CHECK_EQ_INT(open_note(buf, n, keys, 1, &body_len, verified, ts), PROTO_E_BAD_SIGNATURE); /* 5 bytes: well-formed */
	memcpy(buf, fx.signed_, strlen(fx.signed_) + 1);
	buf[3] = '\0';
	CHECK_EQ_INT(open_note(buf, strlen(fx.signed_), keys, 1, &body_len, verified, ts), PROTO_E_MALFORMED);
	CHECK_EQ_INT(open_note("", 0, keys, 1, &body_len, verified, ts), PROTO_E_MALFORMED);
	CHECK_EQ_INT(open_note("\n\n", 2, keys, 1, &body_len, verified, ts), PROTO_E_MALFORMED);
	/* from here on nothing opens: outputs stay as they were */
	body_len = 7;
	verified[0] = verified[1] = 7;
	ts[0] = ts[1] = 7;
	/* over the size cap: refused before anything else */
	memset(buf, 'a', PROTO_NOTE_MAX + 1);
	CHECK_EQ_INT(open_note(buf, PROTO_NOTE_MAX + 1, keys, 1, &body_len, verified, ts), PROTO_E_TOO_LARGE);
	/* arguments */
	CHECK_EQ_INT(open_note(NULL, 0, keys, 1, &body_len, verified, ts), PROTO_E_INVALID_ARG);
	CHECK_EQ_INT(open_note(fx.signed_, strlen(fx.signed_), keys, 1, NULL, verified, ts), PROTO_E_INVALID_ARG);
	CHECK_EQ_INT(open_note(fx.signed_, strlen(fx.signed_), keys, 1, &body_len, NULL, ts), PROTO_E_INVALID_ARG);
	CHECK_EQ_INT(open_note(fx.signed_, strlen(fx.signed_), NULL, 1, &body_len, verified, ts), PROTO_E_INVALID_ARG);
	other = keys[0];
	other.id ^= 1;
	CHECK_EQ_INT(open_note(fx.signed_, strlen(fx.signed_), &other, 1, &body_len, verified, ts), PROTO_E_INVALID_ARG);
	CHECK(body_len == 7 && verified[0] == 7 && verified[1] == 7 && ts[0] == 7 && ts[1] == 7);
}

/* What the log's entries commit to: checked against Python's hashlib.blake2b over the texts of
 * docs/transparency.md §2 (the expected values were computed with it, independently of libsodium's API use here). */
static void log_entries(void)
{
	unsigned char key[PROTO_LOG_KEY_BYTES], out[PROTO_MERKLE_HASH_BYTES], want[PROTO_MERKLE_HASH_BYTES];
	size_t i, n = 0;
	for (i = 0; i < sizeof(key); i++)
		key[i] = (unsigned char)i;
	CHECK(proto_log_label("u_alice", out) == PROTO_E_OK);
	CHECK(sodium_hex2bin(want, sizeof(want), "ad5c3ffa684b6e39e3afac9e4ce36311297964e60824e83eb83300975a020a94", 64, NULL, &n, NULL) == 0);
	CHECK(memcmp(out, want, sizeof(out)) == 0);
	/* an absent thread is "-", as is an empty string */
	CHECK(proto_log_access_entry(key, 0, 1700000000123, "g_abc", "shares.send", NULL, "m_x", 3, out) == PROTO_E_OK);
	CHECK(sodium_hex2bin(want, sizeof(want), "c5a1d1e7678745053acf074aaa1fffbcaa241d3320ea76e92ac0838cdbed983b", 64, NULL, &n, NULL) == 0);
	CHECK(memcmp(out, want, sizeof(out)) == 0);
	CHECK(proto_log_access_entry(key, 0, 1700000000123, "g_abc", "shares.send", "", "m_x", 3, out) == PROTO_E_OK);
	CHECK(memcmp(out, want, sizeof(out)) == 0);
	/* a numbered line: its number is committed to */
	CHECK(proto_log_access_entry(key, 7, 1700000000123, "g_abc", "shares.send", NULL, "m_x", 3, out) == PROTO_E_OK);
	CHECK(sodium_hex2bin(want, sizeof(want), "79c09123a500be2cfd7fcd895c78c67871cf3001da45d3d05b4c5ca51552a721", 64, NULL, &n, NULL) == 0);
	CHECK(memcmp(out, want, sizeof(out)) == 0);
	CHECK(proto_log_access_entry(key, -1, 1700000000123, "g_abc", "shares.send", NULL, "m_x", 3, out) == PROTO_E_INVALID_ARG);
	key[0] ^= 1; /* another person's key: another commitment */
	CHECK(proto_log_access_entry(key, 0, 1700000000123, "g_abc", "shares.send", NULL, "m_x", 3, out) == PROTO_E_OK);
	CHECK(memcmp(out, want, sizeof(out)) != 0);
	CHECK(proto_log_access_entry(key, 0, 1, "g", "", NULL, NULL, 0, out) == PROTO_E_INVALID_ARG);
	CHECK(proto_log_grant_entry(1, "g_abc", "c_app", "friends:read", "[]", "2026-12-29T11:00:00.000Z", "2026-11-29T11:00:00.000Z", out) ==
	      PROTO_E_OK);
	CHECK(sodium_hex2bin(want, sizeof(want), "da030744e92bdcba30209b56924f7abd42d454c26ded81646d9e25cd255d0627", 64, NULL, &n, NULL) == 0);
	CHECK(memcmp(out, want, sizeof(out)) == 0);
	CHECK(proto_log_grant_entry(0, "g_abc", "c_app", "friends:read", "[]", "2026-12-29T11:00:00.000Z", "2026-11-29T11:00:00.000Z", out) ==
	      PROTO_E_OK);
	CHECK(memcmp(out, want, sizeof(out)) != 0); /* created is not ended */
	CHECK(proto_log_grant_entry(0, "g_abc", NULL, "s", "[]", "x", "y", out) == PROTO_E_INVALID_ARG);
}

static void note_signing(void)
{
	struct fixture fx;
	struct proto_note_key keys[33], w;
	static char buf[PROTO_NOTE_MAX + 1], buf2[PROTO_NOTE_MAX + 2];
	int verified[33];
	uint64_t ts[33];
	size_t body_len, n, cap, i;
	char name[32];

	fixture(&fx);
	/* signing again with the same key replaces its line */
	CHECK_EQ_INT(proto_note_sign(fx.cosigned, &fx.witness, fx.timestamp + 60, buf, sizeof(buf)), PROTO_E_OK);
	CHECK_EQ_INT(strlen(buf), strlen(fx.cosigned));
	CHECK(strncmp(buf, fx.signed_, strlen(fx.signed_)) == 0);
	keys[0] = fx.witness_v;
	CHECK_EQ_INT(proto_note_open(buf, strlen(buf), keys, 1, &body_len, verified, ts), PROTO_E_OK);
	CHECK(verified[0] == 1 && ts[0] == fx.timestamp + 60);
	CHECK_EQ_INT(proto_note_sign(fx.cosigned, &fx.log, 0, buf, sizeof(buf)), PROTO_E_OK);
	CHECK(strlen(buf) == strlen(fx.cosigned) && strstr(buf, EM_DASH " witness") < strstr(buf, EM_DASH " log"));
	/* a body with blank lines: the last one separates it from the signatures */
	CHECK_EQ_INT(proto_note_sign("a\n\nb\n\nc\n", &fx.log, 0, buf, sizeof(buf)), PROTO_E_OK);
	keys[0] = fx.log_v;
	CHECK_EQ_INT(proto_note_open(buf, strlen(buf), keys, 1, &body_len, verified, ts), PROTO_E_OK);
	CHECK_EQ_INT(body_len, 8);
	CHECK_EQ_INT(proto_note_sign("\n", &fx.log, 0, buf, sizeof(buf)), PROTO_E_OK);
	CHECK_EQ_INT(proto_note_open(buf, strlen(buf), keys, 1, &body_len, verified, ts), PROTO_E_OK);
	CHECK_EQ_INT(body_len, 1);
	/* what signing refuses */
	CHECK_EQ_INT(proto_note_sign("no newline", &fx.log, 0, buf, sizeof(buf)), PROTO_E_MALFORMED);
	CHECK_EQ_INT(proto_note_sign("", &fx.log, 0, buf, sizeof(buf)), PROTO_E_MALFORMED);
	CHECK_EQ_INT(proto_note_sign("tab\there\n", &fx.log, 0, buf, sizeof(buf)), PROTO_E_MALFORMED);
	CHECK_EQ_INT(proto_note_sign("bad \xff\n", &fx.log, 0, buf, sizeof(buf)), PROTO_E_MALFORMED);
	CHECK_EQ_INT(proto_note_sign("not a checkpoint\n", &fx.witness, 1, buf, sizeof(buf)), PROTO_E_MALFORMED);
	CHECK_EQ_INT(proto_note_sign(fx.body, &fx.witness, (uint64_t)INT64_MAX + 1, buf, sizeof(buf)), PROTO_E_INVALID_ARG);
	CHECK_EQ_INT(proto_note_sign(fx.body, &fx.witness, (uint64_t)INT64_MAX, buf, sizeof(buf)), PROTO_E_OK);
	keys[0] = fx.witness_v;
	CHECK_EQ_INT(proto_note_open(buf, strlen(buf), keys, 1, &body_len, verified, ts), PROTO_E_OK);
	CHECK(ts[0] == (uint64_t)INT64_MAX);
	CHECK_EQ_INT(proto_note_sign(fx.body, &fx.log_v, 0, buf, sizeof(buf)), PROTO_E_INVALID_ARG); /* a verifier */
	w = fx.log;
	w.sk[10] ^= 1;
	w.sk[40] ^= 1; /* the secret key of another public key */
	CHECK_EQ_INT(proto_note_sign(fx.body, &w, 0, buf, sizeof(buf)), PROTO_E_INVALID_ARG);
	CHECK_EQ_INT(proto_note_sign(NULL, &fx.log, 0, buf, sizeof(buf)), PROTO_E_INVALID_ARG);
	for (cap = 0; cap <= strlen(fx.signed_); cap++)
		CHECK_EQ_INT(proto_note_sign(fx.body, &fx.log, 0, buf, cap), PROTO_E_BUFFER_TOO_SMALL);
	CHECK_EQ_INT(proto_note_sign(fx.body, &fx.log, 0, buf, strlen(fx.signed_) + 1), PROTO_E_OK);
	CHECK_EQ_STR(buf, fx.signed_);
	/* the size cap: a body that fits, but not with its signature; and input over the cap */
	memset(buf2, 'b', PROTO_NOTE_MAX - 100);
	memcpy(buf2 + PROTO_NOTE_MAX - 100, "\n", 2);
	CHECK_EQ_INT(proto_note_sign(buf2, &fx.log, 0, buf, sizeof(buf)), PROTO_E_TOO_LARGE);
	memset(buf2, 'b', PROTO_NOTE_MAX - 200);
	memcpy(buf2 + PROTO_NOTE_MAX - 200, "\n", 2);
	CHECK_EQ_INT(proto_note_sign(buf2, &fx.log, 0, buf, sizeof(buf)), PROTO_E_OK);
	keys[0] = fx.log_v;
	CHECK_EQ_INT(proto_note_open(buf, strlen(buf), keys, 1, &body_len, verified, ts), PROTO_E_OK);
	memset(buf2, 'b', PROTO_NOTE_MAX + 1);
	buf2[PROTO_NOTE_MAX + 1] = '\0';
	CHECK_EQ_INT(proto_note_sign(buf2, &fx.log, 0, buf, sizeof(buf)), PROTO_E_TOO_LARGE);

	/* a checkpoint with 32 cosignatures and its log's signature opens, each verified (signed-note: at least 16) */
	CHECK_EQ_INT(proto_note_sign(fx.body, &fx.log, 0, buf, sizeof(buf)), PROTO_E_OK);
	keys[0] = fx.log_v;
	for (i = 1; i <= 32; i++) {
		snprintf(name, sizeof(name), "w%zu.example/witness", i);
		CHECK_EQ_INT(proto_note_key_new(name, 1, &keys[i]), PROTO_E_OK);
		CHECK_EQ_INT(proto_note_sign(buf, &keys[i], 1700000000 + i, buf2, sizeof(buf2)), PROTO_E_OK);
		memcpy(buf, buf2, strlen(buf2) + 1);
	}
	n = strlen(buf);
	CHECK(n < PROTO_NOTE_MAX);
	CHECK_EQ_INT(proto_note_open(buf, n, keys, 33, &body_len, verified, ts), PROTO_E_OK);
	CHECK_EQ_INT(body_len, strlen(fx.body));
	for (i = 0; i <= 32; i++)
		CHECK(verified[i] == 1 && ts[i] == (i ? 1700000000 + i : 0));
}

static const struct unit_case cases[] = {
	{"ct_reference_roots", ct_reference_roots},
	{"vector_trees", vector_trees},
	{"all_small_trees", all_small_trees},
	{"consistency_edges", consistency_edges},
	{"callback_failures", callback_failures},
	{"huge_trees", huge_trees},
	{"frontier_roots", frontier_roots},
	{"checkpoint_vectors", checkpoint_vectors},
	{"checkpoint_refusals", checkpoint_refusals},
	{"key_vectors", key_vectors},
	{"key_refusals", key_refusals},
	{"note_vectors", note_vectors},
	{"note_refusals", note_refusals},
	{"note_signing", note_signing},
	{"log_entries", log_entries},
};

UNIT_MAIN("merkle", cases)
