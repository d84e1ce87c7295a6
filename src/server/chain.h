/*
 * chain.h — a thread's membership chain (protocol version 2, docs/protocol.md §15) as the server keeps it:
 * each membership change of a thread with a chain is a link signed by a device of the member who makes it,
 * naming the hash of the link before it. The server checks that a link fits the request it comes with —
 * made by the caller's session device, the operation and the people the request names, on top of the
 * chain's current head — and appends it; clients verify the whole chain themselves and compute the members
 * from it, so a server that lists someone else cannot make them a reader.
 */
#ifndef POSTERN_CHAIN_H
#define POSTERN_CHAIN_H

#include "req.h"
#include "statement.h"

/* A link as uploaded, checked against its signer, with its hash. Release with chain_link_release. */
struct chain_link {
	struct statement s;
	unsigned char hash[PROTO_HEAD_BYTES];
};

void chain_link_release(struct chain_link *l);

/*
 * Read the link `text` (JSON field or query parameter `what`) for operation op (PROTO_LINK_*): a membership
 * link whose actor is rq's user and rq's session device, signed by that device. On success l owns the link
 * (chain_link_release). Errors: SRV_E_INVALID_FIELD (the session has no device), SRV_E_INVALID_KEY (not
 * such a link, another actor or operation, a bad signature), storage errors.
 */
enum srv_err chain_read(struct req *rq, const char *what, const char *text, unsigned op, struct chain_link *l);

/*
 * Check a CREATE link for a new thread: its members are exactly rq's user and the n users members[]
 * (public ids, distinct, without the caller), its kind direct exactly when n is 1, its prev all zero.
 * Writes the thread id the link makes into thread_id (PROTO_ID_MAX + 1 bytes). SRV_E_INVALID_KEY otherwise.
 */
enum srv_err chain_check_create(struct req *rq, const struct chain_link *l, const char *const *members, size_t n,
				char *thread_id, size_t cap);

/*
 * Check an ADD or REMOVE link for thread t (which has a chain): it names exactly the user target_public_id
 * and the thread's kind, and its prev is the chain's head (SRV_E_CONFLICT when not: someone changed the
 * members first). SRV_E_INVALID_KEY for the rest.
 */
enum srv_err chain_check_change(struct req *rq, const struct chain_link *l, const struct store_thread *t,
				const char *target_public_id);

/*
 * Append l to thread t's chain (as link t->chain_length + 1) and move t's head and length along.
 * SRV_E_CONFLICT when the chain moved since t was read.
 */
enum srv_err chain_append(struct req *rq, struct store_thread *t, const struct chain_link *l);

#endif
