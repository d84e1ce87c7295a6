/*
 * tlog_bench.c — the transparency log at scale (BENCHMARKS.md, "Transparency log"): builds a log of N entries
 * (default 1,000,000) with the server's own code (tlog.c over the SQLite store, in transactions of 1,000
 * appends as the group-commit writer would batch them), then measures on the full tree:
 *   - the append cost per entry and the database bytes per entry;
 *   - inclusion and consistency proofs as the server makes them (stored subtree reads): time and size;
 *   - their verification as a client does it (src/proto/): time;
 * each time also as a ratio to one Ed25519 signature verification measured in the same run (the reference:
 * a client already checks one per statement it uses).
 *
 *   tlog_bench [ENTRIES] [DIR]      DIR for the database (default: a fresh directory under /tmp)
 */
#include "proto.h"
#include "store.h"
#include "tlog.h"

#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "banned.h" /* last: bans footguns in this file only */

#define SAMPLES 2000
#define BATCH 1000

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A uniform integer in [0, n). */
static uint64_t pick(uint64_t n)
{
	uint64_t r;
	randombytes_buf(&r, sizeof(r));
	return n ? r % n : 0;
}

static int fail(const char *what)
{
	fprintf(stderr, "tlog_bench: %s\n", what);
	return 1;
}

/* Seconds for one Ed25519 verification of a 100-byte message: the reference. */
static double ed25519_verify_s(void)
{
	unsigned char pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES], sig[crypto_sign_BYTES], msg[100];
	int i, bad = 0;
	double t;
	crypto_sign_keypair(pk, sk);
	randombytes_buf(msg, sizeof(msg));
	crypto_sign_detached(sig, NULL, msg, sizeof(msg), sk);
	t = now_s();
	for (i = 0; i < SAMPLES; i++)
		bad |= crypto_sign_verify_detached(sig, msg, sizeof(msg), pk);
	t = now_s() - t;
	return bad ? -1 : t / SAMPLES;
}

int main(int argc, char **argv)
{
	const struct store_ops *ops = &store_sqlite_ops;
	struct store_options o = {0};
	struct store *st = NULL;
	struct store_conn *db = NULL;
	char dir[256] = "/tmp/postern-tlog-bench.XXXXXX", path[300];
	unsigned char stmt[120], root[TLOG_HASH_BYTES], proof[PROTO_MERKLE_PROOF_MAX][TLOG_HASH_BYTES];
	unsigned char leaf[256], lh[TLOG_HASH_BYTES];
	int64_t n = argc > 1 ? strtoll(argv[1], NULL, 10) : 1000000, i, size = 0;
	double t, ref, t_append, t_inc = 0, t_con = 0, v_inc = 0, v_con = 0;
	size_t k, len, inc_hashes = 0, con_hashes = 0, inc_max = 0, con_max = 0;
	struct stat sb;
	int rc = 1;

	if (sodium_init() < 0 || n < 2)
		return fail("usage: tlog_bench [ENTRIES >= 2] [DIR]");
	if (argc > 2)
		snprintf(dir, sizeof(dir), "%s", argv[2]);
	else if (mkdtemp(dir) == NULL)
		return fail("cannot make a directory");
	snprintf(path, sizeof(path), "%s/bench.db", dir);
	o.path = path;
	o.durable = 0; /* the log's own work: the fsync of a group is paid by the change it records anyway */
	if (ops->open(&o, &st) != SRV_E_OK || ops->conn_open(st, 1, &db) != SRV_E_OK)
		return fail("cannot open the store");
	if (ops->tlog_size(db, &size) != SRV_E_OK)
		goto out;
	if ((ref = ed25519_verify_s()) <= 0)
		goto out;

	/* build: statement-like entries (type byte at [2], random bytes), BATCH per transaction */
	t = now_s();
	for (i = size; i < n; i++) {
		if (i % BATCH == 0 && ops->begin(db) != SRV_E_OK)
			goto out;
		randombytes_buf(stmt, sizeof(stmt));
		stmt[2] = 0x02;
		if (tlog_append_statement(ops, db, "u_benchbenchbenchbench", stmt, sizeof(stmt), 1700000000000 + i) != SRV_E_OK)
			goto out;
		if ((i % BATCH == BATCH - 1 || i == n - 1) && ops->commit(db) != SRV_E_OK)
			goto out;
	}
	t_append = (now_s() - t) / (double)(n - size > 0 ? n - size : 1);
	if (ops->tlog_size(db, &size) != SRV_E_OK || size != n || tlog_root(ops, db, n, root) != SRV_E_OK)
		goto out;
	if (stat(path, &sb) != 0)
		goto out;
	{ /* what is still in the write-ahead log counts too */
		char wal[320];
		struct stat wb;
		snprintf(wal, sizeof(wal), "%s-wal", path);
		if (stat(wal, &wb) == 0)
			sb.st_size += wb.st_size;
	}

	for (k = 0; k < SAMPLES; k++) {
		int64_t idx = (int64_t)pick((uint64_t)n), first = 1 + (int64_t)pick((uint64_t)n - 1);
		size_t m = 0;
		unsigned char first_root[TLOG_HASH_BYTES];
		/* inclusion of a random leaf in the whole tree */
		t = now_s();
		if (tlog_inclusion(ops, db, idx, n, proof, &m) != SRV_E_OK)
			goto out;
		t_inc += now_s() - t;
		inc_hashes += m;
		inc_max = m > inc_max ? m : inc_max;
		if (ops->tlog_leaf_get(db, idx, leaf, sizeof(leaf), &len) != SRV_E_OK)
			goto out;
		t = now_s();
		if (proto_merkle_leaf_hash(leaf, len, lh) != PROTO_E_OK ||
		    proto_merkle_verify_inclusion((uint64_t)idx, (uint64_t)n, lh, (const unsigned char(*)[TLOG_HASH_BYTES])proof, m, root) != PROTO_E_OK)
			goto out;
		v_inc += now_s() - t;
		/* consistency from a random earlier size to the whole tree */
		if (tlog_root(ops, db, first, first_root) != SRV_E_OK)
			goto out;
		t = now_s();
		if (tlog_consistency(ops, db, first, n, proof, &m) != SRV_E_OK)
			goto out;
		t_con += now_s() - t;
		con_hashes += m;
		con_max = m > con_max ? m : con_max;
		t = now_s();
		if (proto_merkle_verify_consistency((uint64_t)first, (uint64_t)n, first_root, root, (const unsigned char(*)[TLOG_HASH_BYTES])proof,
						    m) != PROTO_E_OK)
			goto out;
		v_con += now_s() - t;
	}
	printf("tlog_bench: %" PRId64 " entries, %d random proofs of each kind\n", n, SAMPLES);
	printf("reference: one Ed25519 verification        %8.1f us\n", ref * 1e6);
	printf("append (store + subtree hashes), per entry  %8.1f us  (%.2f x reference)\n", t_append * 1e6, t_append / ref);
	printf("database size per entry (with its WAL)      %8.0f bytes\n", (double)sb.st_size / (double)n);
	printf("inclusion proof: hashes mean / max          %8.1f / %zu  (%zu bytes max; %zu in JSON)\n", (double)inc_hashes / SAMPLES,
	       inc_max, inc_max * TLOG_HASH_BYTES, inc_max * 46);
	printf("inclusion proof: make (server)              %8.1f us  (%.2f x reference)\n", t_inc / SAMPLES * 1e6, t_inc / SAMPLES / ref);
	printf("inclusion proof: verify (client)            %8.1f us  (%.3f x reference)\n", v_inc / SAMPLES * 1e6, v_inc / SAMPLES / ref);
	printf("consistency proof: hashes mean / max        %8.1f / %zu  (%zu bytes max; %zu in JSON)\n", (double)con_hashes / SAMPLES,
	       con_max, con_max * TLOG_HASH_BYTES, con_max * 46);
	printf("consistency proof: make (server)            %8.1f us  (%.2f x reference)\n", t_con / SAMPLES * 1e6, t_con / SAMPLES / ref);
	printf("consistency proof: verify (client)          %8.1f us  (%.3f x reference)\n", v_con / SAMPLES * 1e6, v_con / SAMPLES / ref);
	rc = 0;
out:
	if (rc)
		fprintf(stderr, "tlog_bench: failed\n");
	if (db)
		ops->conn_close(db);
	if (st)
		ops->close(st);
	return rc;
}
