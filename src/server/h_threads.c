/*
 * h_threads.c — threads (conversations) and their members: create (a direct thread between two people is
 * unique and asking again returns it), the inbox, one thread with the devices that may decrypt it, adding
 * and removing members, and the read marker. A thread the caller is not in answers 404, exactly like one
 * that does not exist. A thread created with a signed CREATE link has a membership chain (chain.c): its
 * members then change only with a signed link that extends the chain, in the same transaction.
 */
#include "handlers.h"

#include "chain.h"
#include "events.h"
#include "jsonv.h"
#include "pubid.h"
#include "views.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "banned.h" /* last: bans footguns in this file only */

/* --thread-max-members (members besides the creator: a thread never has more than that + 1) is at most this */
#define THREAD_MEMBERS_CAP 1024

static int member_into(void *arg, const struct store_member *m)
{
	json_array_append_new((json_t *)arg, view_user(m->public_id, m->username));
	return 0;
}

/* thread.created: the thread as every member sees it (no per-member read state). */
static json_t *thread_event(struct req *rq, const struct store_thread *t)
{
	json_t *members = json_array();
	if (rq->ops->member_list(rq->db, t->id, member_into, members) != SRV_E_OK) {
		json_decref(members);
		return NULL;
	}
	return json_pack("{s:{s:s,s:s,s:o,s:o}}", "thread", "thread_id", t->public_id, "kind",
			 t->kind == STORE_THREAD_DIRECT ? "direct" : "group", "members", members, "created_at",
			 view_time(t->created_at));
}

/* Reply with thread t as rq's user sees it now. */
static enum srv_err reply_thread(struct req *rq, int status, const struct store_thread *t)
{
	json_t *view = NULL;
	enum srv_err rc = view_thread(rq, t, 0, &view);
	return rc == SRV_E_OK ? req_reply(rq, status, view) : rc;
}

/*
 * The direct thread with direct_key, if it exists (NOT_FOUND otherwise), as the answer to asking for it
 * again: the caller is back in if they had left. In a thread with a chain, coming back is a membership
 * change like any other: link_text must be an ADD link of the caller on the chain's head (the protocol
 * lets either of a direct thread's two people add themself back); without one it is SRV_E_CONFLICT.
 */
static enum srv_err existing_direct(struct req *rq, const char *direct_key, const char *link_text, struct store_thread *t)
{
	struct chain_link link = {0};
	enum srv_err rc = rq->ops->thread_by_direct_key(rq->db, direct_key, t);
	if (rc != SRV_E_OK || rq->ops->thread_by_id_for_member(rq->db, t->id, rq->user.id, t) != SRV_E_NOT_FOUND)
		return rc;
	/* the caller had left: back in, from now on */
	if (t->chain_length > 0) {
		if (link_text == NULL)
			return req_fail(rq, SRV_E_CONFLICT, "you left this conversation: coming back takes an ADD link of yourself on its chain");
		if ((rc = chain_read(rq, "link", link_text, PROTO_LINK_ADD, &link)) != SRV_E_OK)
			return rc;
		rc = chain_check_change(rq, &link, t, rq->user.public_id);
		if (rc == SRV_E_OK)
			rc = chain_append(rq, t, &link);
		chain_link_release(&link);
		if (rc != SRV_E_OK)
			return rc;
	}
	rc = rq->ops->member_add(rq->db, t->id, rq->user.id, t->last_seq);
	if (rc == SRV_E_OK)
		rc = events_emit_members(rq, t->id, "thread.member_added", 0,
					 json_pack("{s:s,s:s}", "thread_id", t->public_id, "user_id", rq->user.public_id));
	if (rc == SRV_E_OK)
		rc = rq->ops->thread_by_id_for_member(rq->db, t->id, rq->user.id, t);
	return rc;
}

enum srv_err h_thread_create(struct req *rq)
{
	json_t *members = json_object_get(rq->body, "members"), *item;
	int64_t ids[THREAD_MEMBERS_CAP];
	const char *pub[THREAD_MEMBERS_CAP]; /* public ids of ids[], borrowed from rq->body */
	int max = (int)rq->cfg->thread_max_members;
	int n = 0, i, j;
	size_t k;
	struct store_thread t = {0};
	struct chain_link link = {0};
	const char *link_text = NULL;
	char direct_key[64], chain_id[PROTO_ID_MAX + 1];
	enum srv_err rc;

	if (max > THREAD_MEMBERS_CAP)
		max = THREAD_MEMBERS_CAP;
	if (!json_is_array(members) || json_array_size(members) == 0 || json_array_size(members) > (size_t)max)
		return req_fail(rq, SRV_E_INVALID_FIELD, "'members' must be an array of 1 to %d user ids", max);
	if ((rc = jsonv_str_opt(rq, "link", 1, SIZE_MAX, &link_text)) != SRV_E_OK)
		return rc;
	json_array_foreach(members, k, item) {
		struct store_user u;
		if (!json_is_string(item) || json_string_length(item) == 0 || json_string_length(item) >= STORE_ID_LEN)
			return req_fail(rq, SRV_E_INVALID_FIELD, "members[%zu] must be a user id", k);
		rc = rq->ops->user_by_public(rq->db, json_string_value(item), &u);
		if (rc == SRV_E_OK && u.id == rq->user.id)
			continue;
		if (rc == SRV_E_OK)
			rc = rq->ops->friend_check(rq->db, rq->user.id, u.id);
		if (rc == SRV_E_NOT_FOUND)
			return req_fail(rq, SRV_E_NOT_FRIENDS, "members[%zu] is not your friend", k);
		if (rc != SRV_E_OK)
			return rc;
		for (j = 0; j < n && ids[j] != u.id; j++)
			;
		if (j == n) {
			pub[n] = json_string_value(item);
			ids[n++] = u.id;
		}
	}
	if (n == 0)
		return req_fail(rq, SRV_E_INVALID_FIELD, "a thread needs at least one member besides you");
	t.kind = n == 1 ? STORE_THREAD_DIRECT : STORE_THREAD_GROUP;
	if (t.kind == STORE_THREAD_DIRECT) {
		/* one direct thread per pair: asking again answers it (a CREATE link that came along is not used) */
		int64_t a = rq->user.id < ids[0] ? rq->user.id : ids[0], b = rq->user.id < ids[0] ? ids[0] : rq->user.id;
		snprintf(direct_key, sizeof(direct_key), "%" PRId64 ":%" PRId64, a, b);
		rc = existing_direct(rq, direct_key, link_text, &t);
		if (rc == SRV_E_OK)
			rc = reply_thread(rq, 200, &t);
		if (rc != SRV_E_NOT_FOUND)
			goto out;
	}
	if (link_text) { /* protocol 2: the thread's id and first members come from the creator's signed link */
		if ((rc = chain_read(rq, "link", link_text, PROTO_LINK_CREATE, &link)) != SRV_E_OK)
			return rc;
		if ((rc = chain_check_create(rq, &link, pub, (size_t)n, chain_id, sizeof(chain_id))) != SRV_E_OK)
			goto out;
		if (strlen(chain_id) >= sizeof(t.public_id)) {
			rc = SRV_E_INTERNAL;
			goto out;
		}
	}
	if (t.kind != STORE_THREAD_DIRECT && link_text) {
		/* the same link again (a retry) answers the thread it made */
		rc = rq->ops->thread_for_member(rq->db, chain_id, rq->user.id, &t);
		if (rc == SRV_E_OK)
			rc = reply_thread(rq, 200, &t);
		if (rc != SRV_E_NOT_FOUND)
			goto out;
	}
	if (link_text)
		snprintf(t.public_id, sizeof(t.public_id), "%s", chain_id);
	else
		pubid_new("t", t.public_id, sizeof(t.public_id));
	t.creator = rq->user.id;
	t.created_at = rq->now;
	rc = rq->ops->thread_insert(rq->db, &t, t.kind == STORE_THREAD_DIRECT ? direct_key : NULL);
	if (rc == SRV_E_CONFLICT) /* only a link's id can collide: someone else's thread has it */
		rc = req_fail(rq, SRV_E_CONFLICT, "the thread this link makes exists already");
	if (rc == SRV_E_OK)
		rc = rq->ops->member_add(rq->db, t.id, rq->user.id, 0);
	for (i = 0; rc == SRV_E_OK && i < n; i++)
		rc = rq->ops->member_add(rq->db, t.id, ids[i], 0);
	if (rc == SRV_E_OK && link_text)
		rc = chain_append(rq, &t, &link);
	if (rc == SRV_E_OK)
		rc = events_emit_members(rq, t.id, "thread.created", 0, thread_event(rq, &t));
	if (rc == SRV_E_OK)
		rc = reply_thread(rq, 201, &t);
out:
	chain_link_release(&link);
	return rc;
}

struct inbox {
	struct req *rq;
	json_t *arr;
	int want, got;
	int64_t last_activity, last_id;
	enum srv_err rc;
};

static int inbox_row(void *arg, const struct store_thread *t)
{
	struct inbox *ib = arg;
	json_t *v = NULL;
	if (ib->got == ib->want) { /* one more than a page: there is a next page */
		ib->got++;
		return 1;
	}
	ib->rc = view_thread(ib->rq, t, 0, &v);
	if (ib->rc != SRV_E_OK)
		return 1;
	json_array_append_new(ib->arr, v);
	ib->got++;
	ib->last_activity = t->last_activity;
	ib->last_id = t->id;
	return 0;
}

enum srv_err h_threads_list(struct req *rq)
{
	struct inbox ib = {0};
	int64_t limit, before_activity = 0, before_id = 0;
	const char *cursor = req_query(rq, "cursor");
	enum srv_err rc;
	json_t *next = json_null();

	if ((rc = jsonv_query_int(rq, "limit", 1, 100, 50, &limit)) != SRV_E_OK)
		return rc;
	if (cursor) {
		char tail;
		long long a, b;
		if (sscanf(cursor, "%lld.%lld%c", &a, &b, &tail) != 2 || a < 0 || b <= 0)
			return req_fail(rq, SRV_E_INVALID_CURSOR, "bad 'cursor'");
		before_activity = a;
		before_id = b;
	}
	ib.rq = rq;
	ib.arr = json_array();
	ib.want = (int)limit;
	rc = rq->ops->thread_list_for_user(rq->db, rq->user.id, before_activity, before_id, (int)limit + 1, inbox_row, &ib);
	if (rc == SRV_E_OK)
		rc = ib.rc;
	if (rc != SRV_E_OK) {
		json_decref(ib.arr);
		return rc;
	}
	if (ib.got > ib.want) {
		char buf[48];
		snprintf(buf, sizeof(buf), "%" PRId64 ".%" PRId64, ib.last_activity, ib.last_id);
		next = json_string(buf);
	}
	return req_reply(rq, 200, json_pack("{s:o,s:o}", "threads", ib.arr, "next_cursor", next));
}

/* The thread {params[0]} if the caller is a member; NOT_FOUND otherwise. */
static enum srv_err my_thread(struct req *rq, struct store_thread *t)
{
	return rq->ops->thread_for_member(rq->db, rq->params[0], rq->user.id, t);
}

enum srv_err h_thread_get(struct req *rq)
{
	struct store_thread t;
	json_t *v = NULL;
	enum srv_err rc = my_thread(rq, &t);
	if (rc == SRV_E_OK)
		rc = view_thread(rq, &t, 1, &v);
	if (rc != SRV_E_OK)
		return rc;
	return req_reply(rq, 200, v);
}

static int count_member(void *arg, const struct store_member *row)
{
	(void)row;
	(*(int *)arg)++;
	return 0;
}

enum srv_err h_thread_member_add(struct req *rq)
{
	struct store_thread t;
	struct store_user u;
	struct chain_link link = {0};
	const char *uid, *link_text = NULL;
	int members = 0;
	enum srv_err rc = my_thread(rq, &t);

	if (rc != SRV_E_OK)
		return rc;
	if ((rc = jsonv_str(rq, "user_id", 1, STORE_ID_LEN - 1, &uid)) != SRV_E_OK ||
	    (rc = jsonv_str_opt(rq, "link", 1, SIZE_MAX, &link_text)) != SRV_E_OK)
		return rc;
	if (t.kind == STORE_THREAD_DIRECT)
		return req_fail(rq, SRV_E_INVALID_FIELD, "a direct thread has exactly two members; start a group thread");
	/* the cap of thread creation holds for growth too: each message writes an event per member */
	if ((rc = rq->ops->member_list(rq->db, t.id, count_member, &members)) != SRV_E_OK)
		return rc;
	if (members > rq->cfg->thread_max_members)
		return req_fail(rq, SRV_E_CONFLICT, "the thread has %d members, the most a thread may have", members);
	rc = rq->ops->user_by_public(rq->db, uid, &u);
	if (rc == SRV_E_OK)
		rc = u.id == rq->user.id ? SRV_E_CONFLICT : rq->ops->friend_check(rq->db, rq->user.id, u.id);
	if (rc == SRV_E_NOT_FOUND)
		return req_fail(rq, SRV_E_NOT_FRIENDS, "that user is not your friend");
	if (rc == SRV_E_OK && t.chain_length > 0) { /* a thread with a chain grows only by a signed link */
		if (link_text == NULL)
			return req_fail(rq, SRV_E_INVALID_FIELD, "this thread has a membership chain: 'link' (an ADD link) is required");
		if ((rc = chain_read(rq, "link", link_text, PROTO_LINK_ADD, &link)) == SRV_E_OK)
			rc = chain_check_change(rq, &link, &t, u.public_id);
	}
	if (rc == SRV_E_OK && (rc = rq->ops->member_add(rq->db, t.id, u.id, t.last_seq)) == SRV_E_CONFLICT)
		rc = req_fail(rq, SRV_E_CONFLICT, "already a member");
	if (rc == SRV_E_OK && link.s.bytes)
		rc = chain_append(rq, &t, &link);
	if (rc == SRV_E_OK)
		rc = events_emit_members(rq, t.id, "thread.member_added", 0,
					 json_pack("{s:s,s:s}", "thread_id", t.public_id, "user_id", u.public_id));
	if (rc == SRV_E_OK)
		rc = reply_thread(rq, 200, &t);
	chain_link_release(&link);
	return rc;
}

enum srv_err h_thread_member_remove(struct req *rq)
{
	struct store_thread t, them;
	struct store_user u;
	struct chain_link link = {0};
	const char *link_text = req_query(rq, "link");
	json_t *ev;
	enum srv_err rc = my_thread(rq, &t);

	if (rc == SRV_E_OK)
		rc = rq->ops->user_by_public(rq->db, rq->params[1], &u);
	if (rc == SRV_E_OK && u.id != rq->user.id && t.creator != rq->user.id)
		rc = SRV_E_NOT_FOUND; /* only the creator removes others */
	if (rc == SRV_E_OK)
		rc = rq->ops->thread_by_id_for_member(rq->db, t.id, u.id, &them); /* not a member: nothing to remove */
	if (rc != SRV_E_OK)
		return rc;
	if (t.chain_length > 0) { /* a thread with a chain shrinks only by a signed link */
		if (link_text == NULL)
			return req_fail(rq, SRV_E_INVALID_FIELD, "this thread has a membership chain: '?link=' (a REMOVE link) is required");
		if ((rc = chain_read(rq, "link", link_text, PROTO_LINK_REMOVE, &link)) == SRV_E_OK)
			rc = chain_check_change(rq, &link, &t, u.public_id);
		if (rc == SRV_E_OK)
			rc = chain_append(rq, &t, &link);
		chain_link_release(&link);
		if (rc != SRV_E_OK)
			return rc;
	}
	ev = json_pack("{s:s,s:s}", "thread_id", t.public_id, "user_id", u.public_id);
	/* tell everyone, the removed member included, before they are gone */
	rc = events_emit_members(rq, t.id, "thread.member_removed", 0, json_incref(ev));
	if (rc == SRV_E_OK)
		rc = rq->ops->member_remove(rq->db, t.id, u.id);
	json_decref(ev);
	if (rc != SRV_E_OK)
		return rc;
	return req_reply(rq, 204, NULL);
}

enum srv_err h_thread_read(struct req *rq)
{
	struct store_thread t;
	json_int_t seq;
	int64_t now_seq = 0;
	enum srv_err rc = my_thread(rq, &t);

	if (rc == SRV_E_OK)
		rc = jsonv_int(rq, "seq", 0, INT64_MAX, &seq);
	if (rc == SRV_E_OK)
		rc = rq->ops->member_mark_read(rq->db, t.id, rq->user.id, seq, &now_seq);
	if (rc == SRV_E_OK)
		rc = events_emit(rq, rq->user.id, 0, "read", 0, json_pack("{s:s,s:I}", "thread_id", t.public_id, "seq", (json_int_t)now_seq));
	if (rc != SRV_E_OK)
		return rc;
	return req_reply(rq, 200, json_pack("{s:I}", "read_seq", (json_int_t)now_seq));
}
