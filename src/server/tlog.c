/*
 * tlog.c — the server's transparency log (see tlog.h, docs/transparency.md). Leaves are appended through the
 * store's primitives in the caller's transaction, so a change and its log entry commit together or not at
 * all; every complete subtree's hash is stored as it completes, so roots and proofs take O(log n) reads.
 * The proof maths and the note format are the pure src/proto/ code that clients verify with. This file owns
 * the log's signing key and the one-a-second checkpoint cache; it knows nothing of HTTP.
 */
#include "tlog.h"

#include "log.h"
#include "proto.h"
#include "timefmt.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "banned.h" /* last: bans footguns in this file only */

#define LEAF_VERSION 1
#define MAX_WITNESSES 16

static struct {
	int ready;
	struct proto_note_key key;
	char verifier[PROTO_NOTE_NAME_MAX + 128];
	struct proto_note_key witnesses[MAX_WITNESSES];
	size_t n_witnesses;
	pthread_mutex_t lock;
	char *note;        /* the last checkpoint signed (malloc'd), without cosignatures */
	int64_t note_size;
	int64_t note_at;   /* when it was signed, ms */
} signer = {.lock = PTHREAD_MUTEX_INITIALIZER};

/* ---- start-up ---- */

static enum srv_err load_witnesses(const char *path)
{
	char line[512];
	FILE *f;
	if (path == NULL || path[0] == '\0')
		return SRV_E_OK;
	if ((f = fopen(path, "r")) == NULL) {
		log_error("cannot read the witness keys in %s: %s", path, strerror(errno));
		return SRV_E_INTERNAL;
	}
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\r\n")] = '\0';
		if (line[0] == '\0' || line[0] == '#')
			continue;
		if (signer.n_witnesses == MAX_WITNESSES || proto_note_verifier_parse(line, &signer.witnesses[signer.n_witnesses]) != PROTO_E_OK) {
			log_error("%s: not a witness verifier key (or more than %d): %s", path, MAX_WITNESSES, line);
			fclose(f);
			return SRV_E_INTERNAL;
		}
		signer.witnesses[signer.n_witnesses++].is_cosigner = 1;
	}
	fclose(f);
	return SRV_E_OK;
}

enum srv_err tlog_init(const char *path, const char *origin, const char *witnesses_path)
{
	char text[512], name[PROTO_NOTE_NAME_MAX + 1];
	FILE *f;
	int fd;

	if ((f = fopen(path, "r")) != NULL) {
		int ok = fgets(text, sizeof(text), f) != NULL;
		fclose(f);
		if (!ok)
			text[0] = '\0';
		text[strcspn(text, "\r\n")] = '\0';
		if (!ok || proto_note_signer_parse(text, &signer.key) != PROTO_E_OK) {
			log_error("%s is not a log signing key", path);
			return SRV_E_INTERNAL;
		}
	} else {
		unsigned char r[4];
		if (origin == NULL || origin[0] == '\0') {
			randombytes_buf(r, sizeof(r));
			snprintf(name, sizeof(name), "postern-%02x%02x%02x%02x", r[0], r[1], r[2], r[3]);
			origin = name;
		}
		if (proto_note_key_new(origin, 0, &signer.key) != PROTO_E_OK ||
		    proto_note_signer_format(&signer.key, text, sizeof(text)) != PROTO_E_OK) {
			log_error("cannot make a log key named %s", origin);
			return SRV_E_INTERNAL;
		}
		/* the key is written once, 0600, and never changes: clients pin it */
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text) || write(fd, "\n", 1) != 1 || fsync(fd) != 0) {
			log_error("cannot write the log key %s: %s", path, strerror(errno));
			if (fd >= 0)
				close(fd);
			return SRV_E_INTERNAL;
		}
		close(fd);
	}
	sodium_memzero(text, sizeof(text));
	if (proto_note_verifier_format(&signer.key, signer.verifier, sizeof(signer.verifier)) != PROTO_E_OK)
		return SRV_E_INTERNAL;
	if (load_witnesses(witnesses_path) != SRV_E_OK)
		return SRV_E_INTERNAL;
	signer.ready = 1;
	return SRV_E_OK;
}

const char *tlog_verifier(void)
{
	return signer.verifier;
}

/* ---- leaves ---- */

/* Subtree hashes for the proof maths: an aligned power-of-two range is one stored node. */
struct subtrees {
	const struct store_ops *ops;
	struct store_conn *db;
};

static int subtree(void *arg, uint64_t start, uint64_t end, unsigned char out[PROTO_MERKLE_HASH_BYTES])
{
	struct subtrees *s = arg;
	int level = 0;
	while (((uint64_t)1 << level) < end - start)
		level++;
	return s->ops->tlog_node_get(s->db, level, (int64_t)(start >> level), out) == SRV_E_OK ? 0 : -1;
}

/*
 * Append one leaf at the log's size, with the hashes of the subtrees it completes: leaf n closes the
 * subtree of level l ending at n for every l with 2^l dividing n + 1. A leaf whose entry is already in the
 * log is not appended again.
 */
static enum srv_err append(const struct store_ops *ops, struct store_conn *db, const unsigned char *leaf, size_t len,
			   const unsigned char entry[TLOG_HASH_BYTES], int64_t at)
{
	unsigned char h[PROTO_MERKLE_HASH_BYTES], left[PROTO_MERKLE_HASH_BYTES];
	int64_t n = 0, found = 0;
	int level;
	enum srv_err rc;

	if ((rc = ops->tlog_lock(db)) != SRV_E_OK || (rc = ops->tlog_size(db, &n)) != SRV_E_OK)
		return rc; /* the lock first: another node may be appending at the same size */
	rc = ops->tlog_find(db, entry, n, &found);
	if (rc == SRV_E_OK)
		return SRV_E_OK; /* logged before: the log holds each entry once */
	if (rc != SRV_E_NOT_FOUND)
		return rc;
	if (proto_merkle_leaf_hash(leaf, len, h) != PROTO_E_OK)
		return SRV_E_INTERNAL;
	if ((rc = ops->tlog_leaf_put(db, n, leaf, len, entry, at)) != SRV_E_OK || (rc = ops->tlog_node_put(db, 0, n, h)) != SRV_E_OK)
		return rc;
	for (level = 1; level < 63 && ((uint64_t)(n + 1) & (((uint64_t)1 << level) - 1)) == 0; level++) {
		int64_t idx = ((n + 1) >> level) - 1; /* the new node; its children are 2idx and 2idx+1 one level down */
		if ((rc = ops->tlog_node_get(db, level - 1, 2 * idx, left)) != SRV_E_OK)
			return rc;
		{
			unsigned char up[PROTO_MERKLE_HASH_BYTES];
			proto_merkle_node_hash(left, h, up);
			memcpy(h, up, sizeof(h));
		}
		if ((rc = ops->tlog_node_put(db, level, idx, h)) != SRV_E_OK)
			return rc;
	}
	return SRV_E_OK;
}

/* The fixed part of a leaf: version, type, time. */
static size_t leaf_head(unsigned char *leaf, unsigned type, int64_t at)
{
	int i;
	leaf[0] = LEAF_VERSION;
	leaf[1] = (unsigned char)type;
	for (i = 0; i < 8; i++)
		leaf[2 + i] = (unsigned char)((uint64_t)at >> (56 - 8 * i));
	return 10;
}

enum srv_err tlog_append_statement(const struct store_ops *ops, struct store_conn *db, const char *user_public_id,
				   const unsigned char *stmt, size_t len, int64_t at)
{
	unsigned char leaf[TLOG_LEAF_MAX], entry[TLOG_HASH_BYTES];
	size_t n;
	if (stmt == NULL || len < 3)
		return SRV_E_INTERNAL;
	/* 01 01 at | label | statement type | BLAKE2b-256(statement) */
	n = leaf_head(leaf, TLOG_KEY, at);
	proto_log_label(user_public_id, leaf + n);
	n += TLOG_HASH_BYTES;
	leaf[n++] = stmt[2];
	crypto_generichash(entry, sizeof(entry), stmt, len, NULL, 0);
	memcpy(leaf + n, entry, sizeof(entry));
	n += sizeof(entry);
	return append(ops, db, leaf, n, entry, at);
}

/* The entry of an access-log line (the person's log key, the line as they are shown it). */
static enum srv_err access_entry(const unsigned char key[TLOG_HASH_BYTES], const struct store_access_entry *e, unsigned char entry[TLOG_HASH_BYTES])
{
	return proto_log_access_entry(key, e->seq, e->at, e->grant_public_id, e->action, e->thread_public_id, e->message_public_id, e->count,
				      entry) == PROTO_E_OK
		       ? SRV_E_OK
		       : SRV_E_INTERNAL;
}

enum srv_err tlog_append_access(const struct store_ops *ops, struct store_conn *db, const struct store_access_entry *e)
{
	unsigned char leaf[TLOG_LEAF_MAX], entry[TLOG_HASH_BYTES], key[TLOG_HASH_BYTES], fresh[TLOG_HASH_BYTES];
	size_t n;
	enum srv_err rc;

	randombytes_buf(fresh, sizeof(fresh));
	rc = ops->user_log_key(db, e->user_id, fresh, key);
	sodium_memzero(fresh, sizeof(fresh));
	if (rc != SRV_E_OK)
		return rc;
	/* 01 02 at | the keyed commitment: opaque to everyone else */
	rc = access_entry(key, e, entry);
	sodium_memzero(key, sizeof(key));
	if (rc != SRV_E_OK)
		return rc;
	n = leaf_head(leaf, TLOG_ACCESS, e->at);
	memcpy(leaf + n, entry, sizeof(entry));
	n += sizeof(entry);
	return append(ops, db, leaf, n, entry, e->at);
}

enum srv_err tlog_append_grant(const struct store_ops *ops, struct store_conn *db, const struct store_grant *g, const char *client_id,
			       int event)
{
	unsigned char leaf[TLOG_LEAF_MAX], entry[TLOG_HASH_BYTES];
	char expires[TIMEFMT_RFC3339_LEN], when[TIMEFMT_RFC3339_LEN];
	struct store_user u;
	size_t n;
	int64_t at = event == TLOG_GRANT_ENDED ? g->revoked_at : g->created_at;
	enum srv_err rc;
	/* the times as the API shows them, so that a client rebuilds the entry from its grant list */
	if (timefmt_rfc3339(g->expires_at, expires, sizeof(expires)) != 0 || timefmt_rfc3339(at, when, sizeof(when)) != 0 ||
	    proto_log_grant_entry(event == TLOG_GRANT_ENDED, g->public_id, client_id, g->scopes, g->details[0] ? g->details : "[]", expires,
				  when, entry) != PROTO_E_OK)
		return SRV_E_INTERNAL;
	if ((rc = ops->user_by_id(db, g->user_id, &u)) != SRV_E_OK)
		return rc;
	/* 01 03 at | label | event | the grant event's entry */
	n = leaf_head(leaf, TLOG_GRANT, at);
	proto_log_label(u.public_id, leaf + n);
	n += TLOG_HASH_BYTES;
	leaf[n++] = (unsigned char)event;
	memcpy(leaf + n, entry, sizeof(entry));
	n += sizeof(entry);
	return append(ops, db, leaf, n, entry, at);
}

enum srv_err tlog_access_index(const struct store_ops *ops, struct store_conn *db, const unsigned char key[TLOG_HASH_BYTES],
			       const struct store_access_entry *e, int64_t below, int64_t *idx)
{
	unsigned char entry[TLOG_HASH_BYTES];
	enum srv_err rc = access_entry(key, e, entry);
	return rc == SRV_E_OK ? ops->tlog_find(db, entry, below, idx) : rc;
}

enum srv_err tlog_statement_index(const struct store_ops *ops, struct store_conn *db, const unsigned char *stmt, size_t len, int64_t below,
				  int64_t *idx)
{
	unsigned char entry[TLOG_HASH_BYTES];
	crypto_generichash(entry, sizeof(entry), stmt, len, NULL, 0);
	return ops->tlog_find(db, entry, below, idx);
}

/* ---- roots, proofs, checkpoints ---- */

enum srv_err tlog_root(const struct store_ops *ops, struct store_conn *db, int64_t size, unsigned char out[TLOG_HASH_BYTES])
{
	struct subtrees s = {ops, db};
	return size >= 0 && proto_merkle_root((uint64_t)size, subtree, &s, out) == PROTO_E_OK ? SRV_E_OK : SRV_E_STORAGE;
}

enum srv_err tlog_inclusion(const struct store_ops *ops, struct store_conn *db, int64_t index, int64_t size,
			    unsigned char proof[][TLOG_HASH_BYTES], size_t *n)
{
	struct subtrees s = {ops, db};
	if (index < 0 || size <= index)
		return SRV_E_INVALID_FIELD;
	return proto_merkle_inclusion_proof((uint64_t)index, (uint64_t)size, subtree, &s, proof, n) == PROTO_E_OK ? SRV_E_OK : SRV_E_STORAGE;
}

enum srv_err tlog_consistency(const struct store_ops *ops, struct store_conn *db, int64_t first, int64_t second,
			      unsigned char proof[][TLOG_HASH_BYTES], size_t *n)
{
	struct subtrees s = {ops, db};
	if (first < 0 || second < first)
		return SRV_E_INVALID_FIELD;
	return proto_merkle_consistency_proof((uint64_t)first, (uint64_t)second, subtree, &s, proof, n) == PROTO_E_OK ? SRV_E_OK
														       : SRV_E_STORAGE;
}

/* The checkpoint body of the tree of size (origin, size, root). */
static enum srv_err body_at(const struct store_ops *ops, struct store_conn *db, int64_t size, char *out, size_t cap)
{
	struct proto_checkpoint cp;
	enum srv_err rc;
	memset(&cp, 0, sizeof(cp));
	snprintf(cp.origin, sizeof(cp.origin), "%s", signer.key.name);
	cp.size = (uint64_t)size;
	if ((rc = tlog_root(ops, db, size, cp.root)) != SRV_E_OK)
		return rc;
	return proto_checkpoint_format(&cp, out, cap) == PROTO_E_OK ? SRV_E_OK : SRV_E_INTERNAL;
}

struct cosig_walk {
	char *buf;
	size_t len, cap;
};

static int cosig_row(void *arg, const struct store_statement *row)
{
	struct cosig_walk *w = arg;
	if (row->bytes && w->len + row->len + 1 < w->cap) {
		memcpy(w->buf + w->len, row->bytes, row->len);
		w->len += row->len;
		w->buf[w->len++] = '\n';
		w->buf[w->len] = '\0';
	}
	return 0;
}

/* note (malloc'd, taken) with the witnesses' cosignatures of size after the log's own line, into *out. */
static enum srv_err with_cosignatures(const struct store_ops *ops, struct store_conn *db, int64_t size, char *note, char **out)
{
	struct cosig_walk w = {NULL, 0, 0};
	enum srv_err rc;
	w.cap = strlen(note) + 4096;
	if ((w.buf = malloc(w.cap)) == NULL) {
		free(note);
		return SRV_E_INTERNAL;
	}
	w.len = strlen(note);
	memcpy(w.buf, note, w.len + 1);
	free(note);
	if ((rc = ops->tlog_cosig_list(db, size, cosig_row, &w)) != SRV_E_OK) {
		free(w.buf);
		return rc;
	}
	*out = w.buf;
	return SRV_E_OK;
}

enum srv_err tlog_checkpoint(const struct store_ops *ops, struct store_conn *db, int64_t now_ms, char **note_out, int64_t *size_out)
{
	char body[1024], *note = NULL;
	int64_t size = 0;
	enum srv_err rc;

	*note_out = NULL;
	if (!signer.ready)
		return SRV_E_INTERNAL;
	if ((rc = ops->tlog_size(db, &size)) != SRV_E_OK)
		return rc;
	pthread_mutex_lock(&signer.lock);
	/* at most one new checkpoint a second: the one of the last second stands in for a grown log */
	if (signer.note == NULL || (size > signer.note_size && now_ms - signer.note_at >= 1000)) {
		char *fresh = malloc(PROTO_NOTE_MAX);
		if (fresh == NULL || (rc = body_at(ops, db, size, body, sizeof(body))) != SRV_E_OK ||
		    proto_note_sign(body, &signer.key, 0, fresh, PROTO_NOTE_MAX) != PROTO_E_OK) {
			free(fresh);
			pthread_mutex_unlock(&signer.lock);
			return rc != SRV_E_OK ? rc : SRV_E_INTERNAL;
		}
		free(signer.note);
		signer.note = fresh;
		signer.note_size = size;
		signer.note_at = now_ms;
	}
	note = strdup(signer.note);
	size = signer.note_size;
	pthread_mutex_unlock(&signer.lock);
	if (note == NULL)
		return SRV_E_INTERNAL;
	*size_out = size;
	return with_cosignatures(ops, db, size, note, note_out);
}

enum srv_err tlog_cosigned_checkpoint(const struct store_ops *ops, struct store_conn *db, char **note_out, int64_t *size_out)
{
	char body[1024], *note;
	int64_t size = 0;
	enum srv_err rc;

	*note_out = NULL;
	if (!signer.ready)
		return SRV_E_INTERNAL;
	if ((rc = ops->tlog_cosig_latest(db, &size)) != SRV_E_OK)
		return rc;
	/* Ed25519 is deterministic: signing that size's body again gives the very note the witnesses saw */
	if ((note = malloc(PROTO_NOTE_MAX)) == NULL)
		return SRV_E_INTERNAL;
	if ((rc = body_at(ops, db, size, body, sizeof(body))) != SRV_E_OK || proto_note_sign(body, &signer.key, 0, note, PROTO_NOTE_MAX) != PROTO_E_OK) {
		free(note);
		return rc != SRV_E_OK ? rc : SRV_E_INTERNAL;
	}
	*size_out = size;
	return with_cosignatures(ops, db, size, note, note_out);
}

enum srv_err tlog_cosignature_add(const struct store_ops *ops, struct store_conn *db, int64_t size, const char *line, int64_t now_ms)
{
	char body[1024], *note = NULL;
	int verified[MAX_WITNESSES] = {0};
	uint64_t ts[MAX_WITNESSES] = {0};
	size_t body_len = 0, i, blen;
	int64_t have = 0;
	enum srv_err rc;

	if ((rc = ops->tlog_size(db, &have)) != SRV_E_OK)
		return rc;
	if (size < 0 || size > have)
		return SRV_E_NOT_FOUND;
	if ((rc = body_at(ops, db, size, body, sizeof(body))) != SRV_E_OK)
		return rc;
	blen = strlen(body);
	if (strlen(line) > 512 || strchr(line, '\n'))
		return SRV_E_INVALID_KEY;
	if ((note = malloc(blen + 1 + strlen(line) + 2)) == NULL)
		return SRV_E_INTERNAL;
	/* the note as a verifier sees it: body, blank line, this one signature line */
	memcpy(note, body, blen);
	note[blen] = '\n';
	memcpy(note + blen + 1, line, strlen(line));
	memcpy(note + blen + 1 + strlen(line), "\n", 2);
	rc = proto_note_open(note, strlen(note), signer.witnesses, signer.n_witnesses, &body_len, verified, ts) == PROTO_E_OK ? SRV_E_OK
															: SRV_E_INVALID_KEY;
	free(note);
	if (rc != SRV_E_OK)
		return rc;
	for (i = 0; i < signer.n_witnesses; i++)
		if (verified[i])
			return ops->tlog_cosig_put(db, size, signer.witnesses[i].name, line, now_ms);
	return SRV_E_INVALID_KEY; /* a signature by no witness this server knows (proto_note_open refuses those too) */
}
