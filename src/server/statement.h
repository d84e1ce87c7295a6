/*
 * statement.h — the signed statements clients upload (protocol version 2, docs/protocol.md §12-§18), as
 * the handlers read them: a JSON field's base64url text decoded into bytes, then parsed and its signature
 * checked with the protocol module's public functions (src/proto/proto.h) — never by hand. Anything that is
 * not a well-formed statement of the expected type signed by the expected key is `400 invalid_key`, with a
 * detail naming the field. The server keeps the bytes exactly as uploaded; clients check them again.
 *
 * Nothing here writes to the database or decides who may do what: that stays in the handlers.
 */
#ifndef POSTERN_STATEMENT_H
#define POSTERN_STATEMENT_H

#include "req.h"

#include "proto.h"
#include <stddef.h>

/* A statement as uploaded: the decoded bytes (malloc'd) and its decoded form (heap: ~68 KB). */
struct statement {
	unsigned char *bytes;
	size_t len;
	struct proto_statement *st;
};

/* Release what s holds (s itself stays); safe on a zeroed or released struct. */
void statement_release(struct statement *s);

/*
 * Decode base64url text (of JSON field or query parameter `what`, for the detail) of at most max bytes
 * into s->bytes, and parse it as a statement of want_type (0: any type). With pk not NULL the signature
 * must verify with that Ed25519 public key. On success s owns the bytes and the decoded statement (release
 * with statement_release); on error s is left released.
 * Errors: SRV_E_INVALID_KEY (bad encoding, too large, not such a statement, bad signature), SRV_E_INTERNAL.
 */
enum srv_err statement_read(struct req *rq, const char *what, const char *text, size_t max, unsigned want_type,
			    const unsigned char *pk, struct statement *s);

/*
 * statement_read on the string field `key` of rq->body. A missing field is SRV_E_INVALID_FIELD unless
 * optional, when SRV_E_OK is returned with s->bytes NULL.
 */
enum srv_err statement_field(struct req *rq, const char *key, int optional, size_t max, unsigned want_type,
			     const unsigned char *pk, struct statement *s);

/* Check s's signature with pk (after statement_read without a key); SRV_E_INVALID_KEY naming `what`. */
enum srv_err statement_check_sig(struct req *rq, const char *what, struct statement *s, const unsigned char pk[32]);

/*
 * The identity of rq's user, whose key signs their statements: SRV_E_OK with *out filled, SRV_E_CONFLICT
 * (with a detail) when the account has none yet, or a storage error.
 */
enum srv_err statement_identity(struct req *rq, struct store_identity *out);

/* Decode an uploaded opaque blob (base64url, 1..max bytes) into out (capacity >= max); SRV_E_INVALID_KEY. */
enum srv_err statement_blob(struct req *rq, const char *what, const char *text, size_t max, unsigned char *out, size_t *len);

/* The 32 bytes of a key stored as base64url text (a device's sign_pk or box_pk); SRV_E_INTERNAL when the
 * stored text is not one (it was checked when it was stored). */
enum srv_err statement_key(const char *b64, unsigned char out[32]);

#endif
