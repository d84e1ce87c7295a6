/* chain.c — checking and appending membership links (see chain.h). */
#include "chain.h"

#include <sodium.h>
#include <string.h>

#include "banned.h" /* last: bans footguns in this file only */

void chain_link_release(struct chain_link *l)
{
	statement_release(&l->s);
}

enum srv_err chain_read(struct req *rq, const char *what, const char *text, unsigned op, struct chain_link *l)
{
	struct store_device d;
	unsigned char spk[32];
	enum srv_err rc;

	memset(l, 0, sizeof(*l));
	if (rq->session.device_id == 0)
		return req_fail(rq, SRV_E_INVALID_FIELD, "register a device first: a membership link is signed by the session's device");
	rc = rq->ops->device_by_public(rq->db, rq->session.device_public_id, &d);
	if (rc == SRV_E_OK)
		rc = statement_key(d.sign_pk, spk);
	if (rc != SRV_E_OK)
		return rc == SRV_E_NOT_FOUND ? SRV_E_INTERNAL : rc; /* a session is unbound when its device goes */
	if ((rc = statement_read(rq, what, text, PROTO_STATEMENT_MAX, PROTO_ST_LINK, spk, &l->s)) != SRV_E_OK)
		return rc;
	if (strcmp(l->s.st->actor_user_id, rq->user.public_id) != 0 || strcmp(l->s.st->actor_device_id, d.public_id) != 0)
		rc = req_fail(rq, SRV_E_INVALID_KEY, "'%s' must name you and this session's device as its actor", what);
	else if (l->s.st->op != op)
		rc = req_fail(rq, SRV_E_INVALID_KEY, "'%s' must be a %s link", what,
			      op == PROTO_LINK_CREATE ? "CREATE" : op == PROTO_LINK_ADD ? "ADD" : "REMOVE");
	else if (proto_statement_hash(l->s.bytes, l->s.len, l->hash) != PROTO_E_OK)
		rc = SRV_E_INTERNAL;
	if (rc != SRV_E_OK)
		chain_link_release(l);
	return rc;
}

/* 1 when id is among the link's ids. */
static int link_names(const struct proto_statement *st, const char *id)
{
	size_t i;
	for (i = 0; i < st->n_ids; i++)
		if (strcmp(st->ids[i], id) == 0)
			return 1;
	return 0;
}

enum srv_err chain_check_create(struct req *rq, const struct chain_link *l, const char *const *members, size_t n,
				char *thread_id, size_t cap)
{
	static const unsigned char zero[PROTO_HEAD_BYTES];
	const struct proto_statement *st = l->s.st;
	size_t i;

	/* the link's ids are distinct (the protocol refuses repeats), so equal counts and inclusion make equal sets */
	if (st->n_ids != n + 1 || !link_names(st, rq->user.public_id))
		return req_fail(rq, SRV_E_INVALID_KEY, "'link' must name exactly you and 'members'");
	for (i = 0; i < n; i++)
		if (!link_names(st, members[i]))
			return req_fail(rq, SRV_E_INVALID_KEY, "'link' must name exactly you and 'members'");
	if (st->kind != (n == 1 ? PROTO_THREAD_DIRECT : PROTO_THREAD_GROUP))
		return req_fail(rq, SRV_E_INVALID_KEY, "'link' must make a %s thread", n == 1 ? "direct" : "group");
	if (sodium_memcmp(st->prev, zero, sizeof(zero)) != 0)
		return req_fail(rq, SRV_E_INVALID_KEY, "a CREATE link has no link before it (prev is zero)");
	if (proto_link_thread_id(l->hash, thread_id, cap) != PROTO_E_OK)
		return SRV_E_INTERNAL;
	return SRV_E_OK;
}

enum srv_err chain_check_change(struct req *rq, const struct chain_link *l, const struct store_thread *t,
				const char *target_public_id)
{
	const struct proto_statement *st = l->s.st;
	if (st->n_ids != 1 || strcmp(st->ids[0], target_public_id) != 0)
		return req_fail(rq, SRV_E_INVALID_KEY, "'link' must name exactly the member added or removed");
	if (st->kind != (t->kind == STORE_THREAD_DIRECT ? PROTO_THREAD_DIRECT : PROTO_THREAD_GROUP))
		return req_fail(rq, SRV_E_INVALID_KEY, "'link' names another kind of thread");
	if (sodium_memcmp(st->prev, t->chain_head, PROTO_HEAD_BYTES) != 0)
		return req_fail(rq, SRV_E_CONFLICT, "the members changed first: the link must follow the chain's head");
	return SRV_E_OK;
}

enum srv_err chain_append(struct req *rq, struct store_thread *t, const struct chain_link *l)
{
	enum srv_err rc = rq->ops->chain_append(rq->db, t->id, t->chain_length, l->hash, l->s.bytes, l->s.len, rq->now);
	if (rc == SRV_E_CONFLICT)
		return req_fail(rq, SRV_E_CONFLICT, "the members changed first: the link must follow the chain's head");
	if (rc == SRV_E_OK) {
		t->chain_length++;
		memcpy(t->chain_head, l->hash, sizeof(t->chain_head));
	}
	return rc;
}
