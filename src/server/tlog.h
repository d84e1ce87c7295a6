/*
 * tlog.h — the server's transparency log (docs/transparency.md): one append-only RFC 9162 Merkle log of
 * every identity key, device certificate and revocation, app authorisation, revocation and consent, grant,
 * and partner access-log line, appended in the transaction of the change it records; and checkpoints signed
 * by the log's key in the C2SP signed-note format, co-signed by witnesses. Handlers call the tlog_append_*
 * functions next to the store operation they log; h_log.c serves checkpoints and proofs.
 */
#ifndef POSTERN_TLOG_H
#define POSTERN_TLOG_H

#include "error.h"
#include "store.h"

#include <stddef.h>
#include <stdint.h>

#define TLOG_HASH_BYTES 32
#define TLOG_LEAF_MAX 128
#define TLOG_PROOF_MAX 64 /* hashes in a proof (PROTO_MERKLE_PROOF_MAX) */

/* Leaf types (docs/transparency.md §2): byte 1 of a leaf, after the format version byte 0x01. */
enum tlog_type { TLOG_KEY = 1, TLOG_ACCESS = 2, TLOG_GRANT = 3 };

/*
 * Start the log's signer: read the key from path (a C2SP signer key, "PRIVATE+KEY+<origin>+…"), or make one
 * named origin (when path does not exist; origin NULL: "postern-" and 8 random hex digits) and write it there
 * (mode 0600). witnesses_path (NULL or "": none) names a file of witness verifier keys, one per line, whose
 * cosignatures the server accepts and serves. Call once at start-up, before serving. Returns SRV_E_OK or
 * SRV_E_INTERNAL (the message is logged).
 */
enum srv_err tlog_init(const char *path, const char *origin, const char *witnesses_path);

/* The log's verifier key text ("<origin>+<hex id>+<base64 key>"), for `posternd log-key` and the docs. */
const char *tlog_verifier(void);

/*
 * Append a KEY leaf for a signed statement of user_public_id (its type byte taken from the statement), once:
 * the same statement bytes already in the log add nothing. Writer only, inside the change's transaction.
 */
enum srv_err tlog_append_statement(const struct store_ops *ops, struct store_conn *db, const char *user_public_id,
				   const unsigned char *stmt, size_t len, int64_t at);

/*
 * Append an ACCESS leaf for an access-log line: its entry is BLAKE2b-256 keyed by the person's log key
 * (made now when they have none) over the line's canonical bytes (proto_log_access_entry), so that only the
 * person can tell which lines are theirs. Writer only.
 */
enum srv_err tlog_append_access(const struct store_ops *ops, struct store_conn *db, const struct store_access_entry *e);

/* A grant's events in the log (docs/transparency.md §2). */
enum tlog_grant_event { TLOG_GRANT_CREATED = 1, TLOG_GRANT_ENDED = 2 };

/* Append a GRANT leaf for that event (proto_log_grant_entry; for TLOG_GRANT_ENDED, g->revoked_at is when it
 * ended), under the label of the grant's person (looked up by g->user_id). Writer only. */
enum srv_err tlog_append_grant(const struct store_ops *ops, struct store_conn *db, const struct store_grant *g, const char *client_id,
			       int event);

/*
 * Where a person's access-log line (key: their log key) or a statement is in the first `below` leaves, for
 * the pages that show it: *idx, or SRV_E_NOT_FOUND. Read-only. (A page is the server's word: the person's
 * own client checks the proof.)
 */
enum srv_err tlog_access_index(const struct store_ops *ops, struct store_conn *db, const unsigned char key[TLOG_HASH_BYTES],
			       const struct store_access_entry *e, int64_t below, int64_t *idx);
enum srv_err tlog_statement_index(const struct store_ops *ops, struct store_conn *db, const unsigned char *stmt, size_t len, int64_t below,
				  int64_t *idx);

/* MTH of the first size leaves into out. */
enum srv_err tlog_root(const struct store_ops *ops, struct store_conn *db, int64_t size, unsigned char out[TLOG_HASH_BYTES]);

/* Inclusion proof of leaf index in the tree of size (at most 64 hashes into proof, *n of them). */
enum srv_err tlog_inclusion(const struct store_ops *ops, struct store_conn *db, int64_t index, int64_t size,
			    unsigned char proof[][TLOG_HASH_BYTES], size_t *n);
/* Consistency proof from first to second. */
enum srv_err tlog_consistency(const struct store_ops *ops, struct store_conn *db, int64_t first, int64_t second,
			      unsigned char proof[][TLOG_HASH_BYTES], size_t *n);

/*
 * The signed checkpoint of the log at its current size (size as read by db), as a C2SP note in a malloc'd
 * string (*size_out: its tree size), with the cosignatures stored for that size. A new checkpoint is signed
 * at most once a second: within that second the last one is served even when the log grew. Thread-safe.
 */
enum srv_err tlog_checkpoint(const struct store_ops *ops, struct store_conn *db, int64_t now_ms, char **note_out, int64_t *size_out);

/* The newest checkpoint witnesses co-signed (the log's signature, then theirs; malloc'd) and its size:
 * clients that require witnesses use it while the newest waits for them. SRV_E_NOT_FOUND when none. */
enum srv_err tlog_cosigned_checkpoint(const struct store_ops *ops, struct store_conn *db, char **note_out, int64_t *size_out);

/*
 * Check a witness's cosignature line for the checkpoint of size (rebuilt from the log) and, when it comes
 * from a configured witness and verifies, store it. SRV_E_NOT_FOUND: no checkpoint of that size;
 * SRV_E_INVALID_KEY: it does not verify with any configured witness's key. Writer only.
 */
enum srv_err tlog_cosignature_add(const struct store_ops *ops, struct store_conn *db, int64_t size, const char *line, int64_t now_ms);

#endif
