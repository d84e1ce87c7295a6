/*
 * h_friends.c — friend requests and friendships. A request to someone who already asked you completes the
 * friendship at once; a declined request disappears from both lists without telling the requester why.
 * Both sides get events for every change, so all their devices stay in step.
 */
#include "handlers.h"

#include "events.h"
#include "jsonv.h"
#include "pubid.h"
#include "views.h"

#include <string.h>

#include "banned.h" /* last: bans footguns in this file only */

static json_t *req_event(const struct store_friend_request *r, const struct store_user *from, const struct store_user *to)
{
	return json_pack("{s:s,s:o,s:o}", "request_id", r->public_id, "from", view_user(from->public_id, from->username),
			 "to", view_user(to->public_id, to->username));
}

/* Make me and other friends, settle the request row, tell both. */
static enum srv_err befriend(struct req *rq, const struct store_friend_request *r, const struct store_user *other)
{
	enum srv_err rc = rq->ops->friend_insert(rq->db, rq->user.id, other->id, rq->now);
	if (rc == SRV_E_CONFLICT)
		return req_fail(rq, SRV_E_CONFLICT, "already friends");
	if (rc == SRV_E_OK)
		rc = rq->ops->freq_set_state(rq->db, r->id, STORE_FREQ_ACCEPTED, r->created_at);
	if (rc == SRV_E_OK)
		rc = events_emit(rq, rq->user.id, 0, "friend.accepted", 0,
				 json_pack("{s:o}", "user", view_user(other->public_id, other->username)));
	if (rc == SRV_E_OK)
		rc = events_emit(rq, other->id, 0, "friend.accepted", 0,
				 json_pack("{s:o}", "user", view_user(rq->user.public_id, rq->user.username)));
	if (rc == SRV_E_OK)
		rc = req_reply(rq, 200, json_pack("{s:s,s:o}", "state", "accepted", "user",
						  view_user(other->public_id, other->username)));
	return rc;
}

static int count_request(void *arg, const struct store_friend_request *r)
{
	(void)r;
	(*(int64_t *)arg)++;
	return 0;
}

enum srv_err h_friend_request_create(struct req *rq)
{
	const char *username;
	struct store_user other;
	struct store_friend_request r;
	enum srv_err rc;

	if ((rc = jsonv_str(rq, "username", 1, 64, &username)) != SRV_E_OK)
		return rc;
	rc = rq->ops->user_by_name(rq->db, username, &other);
	if (rc == SRV_E_NOT_FOUND)
		return req_fail(rq, SRV_E_NOT_FOUND, "no such user");
	if (rc != SRV_E_OK)
		return rc;
	if (other.id == rq->user.id)
		return req_fail(rq, SRV_E_INVALID_FIELD, "you cannot befriend yourself");
	rc = rq->ops->friend_check(rq->db, rq->user.id, other.id);
	if (rc == SRV_E_OK)
		return req_fail(rq, SRV_E_CONFLICT, "already friends");
	if (rc != SRV_E_NOT_FOUND)
		return rc;
	/* they asked first: this completes the friendship */
	rc = rq->ops->freq_get_pair(rq->db, other.id, rq->user.id, &r);
	if (rc == SRV_E_OK && r.state == STORE_FREQ_PENDING)
		return befriend(rq, &r, &other);
	if (rc != SRV_E_OK && rc != SRV_E_NOT_FOUND)
		return rc;
	rc = rq->ops->freq_get_pair(rq->db, rq->user.id, other.id, &r);
	if (rc == SRV_E_OK && r.state == STORE_FREQ_PENDING) /* asking again: same request */
		return req_reply(rq, 200, json_pack("{s:s,s:s,s:o,s:o}", "request_id", r.public_id, "state", "pending",
						    "user", view_user(other.public_id, other.username), "created_at",
						    view_time(r.created_at)));
	if (rc == SRV_E_OK || rc == SRV_E_NOT_FOUND) { /* a new request: one account cannot ask the whole directory */
		int64_t pending = 0;
		enum srv_err lrc = rq->ops->freq_list_pending(rq->db, rq->user.id, 0, count_request, &pending);
		if (lrc != SRV_E_OK)
			return lrc;
		if (pending >= rq->cfg->max_pending_requests)
			return req_fail(rq, SRV_E_RATE_LIMITED, "you have %lld unanswered friend requests, the most allowed; "
					"wait for some to be answered", (long long)pending);
	}
	if (rc == SRV_E_OK) { /* an old, settled request: ask anew */
		r.state = STORE_FREQ_PENDING;
		r.created_at = rq->now;
		rc = rq->ops->freq_set_state(rq->db, r.id, STORE_FREQ_PENDING, rq->now);
	} else if (rc == SRV_E_NOT_FOUND) {
		memset(&r, 0, sizeof(r));
		pubid_new("fr", r.public_id, sizeof(r.public_id));
		r.from_user = rq->user.id;
		r.to_user = other.id;
		r.state = STORE_FREQ_PENDING;
		r.created_at = rq->now;
		rc = rq->ops->freq_insert(rq->db, &r);
	}
	if (rc == SRV_E_OK)
		rc = events_emit(rq, other.id, 0, "friend.request", 0, req_event(&r, &rq->user, &other));
	if (rc == SRV_E_OK)
		rc = events_emit(rq, rq->user.id, 0, "friend.request", 0, req_event(&r, &rq->user, &other));
	if (rc == SRV_E_OK)
		rc = req_reply(rq, 201, json_pack("{s:s,s:s,s:o,s:o}", "request_id", r.public_id, "state", "pending", "user",
						  view_user(other.public_id, other.username), "created_at", view_time(r.created_at)));
	return rc;
}

static int freq_row(void *arg, const struct store_friend_request *r)
{
	json_array_append_new((json_t *)arg, json_pack("{s:s,s:o,s:o}", "request_id", r->public_id, "user",
						       view_user(r->other.public_id, r->other.username), "created_at",
						       view_time(r->created_at)));
	return 0;
}

enum srv_err h_friend_requests_list(struct req *rq)
{
	json_t *in = json_array(), *outg = json_array();
	enum srv_err rc = rq->ops->freq_list_pending(rq->db, rq->user.id, 1, freq_row, in);
	if (rc == SRV_E_OK)
		rc = rq->ops->freq_list_pending(rq->db, rq->user.id, 0, freq_row, outg);
	if (rc != SRV_E_OK) {
		json_decref(in);
		json_decref(outg);
		return rc;
	}
	return req_reply(rq, 200, json_pack("{s:o,s:o}", "incoming", in, "outgoing", outg));
}

/* The pending request {id} addressed to the caller, and its sender; NOT_FOUND for anything else. */
static enum srv_err incoming_request(struct req *rq, struct store_friend_request *r, struct store_user *from)
{
	enum srv_err rc = rq->ops->freq_by_public(rq->db, rq->params[0], r);
	if (rc == SRV_E_OK && (r->to_user != rq->user.id || r->state != STORE_FREQ_PENDING))
		rc = SRV_E_NOT_FOUND;
	if (rc == SRV_E_OK)
		rc = rq->ops->user_by_id(rq->db, r->from_user, from);
	return rc;
}

enum srv_err h_friend_request_accept(struct req *rq)
{
	struct store_friend_request r;
	struct store_user from;
	enum srv_err rc = incoming_request(rq, &r, &from);
	if (rc != SRV_E_OK)
		return rc;
	return befriend(rq, &r, &from);
}

enum srv_err h_friend_request_decline(struct req *rq)
{
	struct store_friend_request r;
	struct store_user from;
	enum srv_err rc = incoming_request(rq, &r, &from);
	if (rc == SRV_E_OK)
		rc = rq->ops->freq_set_state(rq->db, r.id, STORE_FREQ_DECLINED, r.created_at);
	if (rc == SRV_E_OK)
		rc = events_emit(rq, rq->user.id, 0, "friend.declined", 0, json_pack("{s:s}", "request_id", r.public_id));
	if (rc == SRV_E_OK)
		rc = req_reply(rq, 200, json_pack("{s:s,s:s}", "request_id", r.public_id, "state", "declined"));
	return rc;
}

/* DELETE /v1/friends/requests/{id}: the sender takes back a request that is still pending; both sides are
 * told (the recipient's list drops it). Anything else, someone else's request included, is 404. */
enum srv_err h_friend_request_withdraw(struct req *rq)
{
	struct store_friend_request r;
	enum srv_err rc = rq->ops->freq_by_public(rq->db, rq->params[0], &r);
	if (rc == SRV_E_OK && (r.from_user != rq->user.id || r.state != STORE_FREQ_PENDING))
		rc = SRV_E_NOT_FOUND;
	if (rc == SRV_E_OK)
		rc = rq->ops->freq_set_state(rq->db, r.id, STORE_FREQ_WITHDRAWN, r.created_at);
	if (rc == SRV_E_OK)
		rc = events_emit(rq, r.to_user, 0, "friend.withdrawn", 0, json_pack("{s:s}", "request_id", r.public_id));
	if (rc == SRV_E_OK)
		rc = events_emit(rq, rq->user.id, 0, "friend.withdrawn", 0, json_pack("{s:s}", "request_id", r.public_id));
	if (rc == SRV_E_OK)
		rc = req_reply(rq, 204, NULL);
	return rc;
}

static int friend_row(void *arg, const struct store_friend *f)
{
	json_t *u = view_user(f->user.public_id, f->user.username);
	json_object_set_new(u, "since", view_time(f->since));
	json_array_append_new((json_t *)arg, u);
	return 0;
}

enum srv_err h_friends_list(struct req *rq)
{
	json_t *arr = json_array();
	enum srv_err rc = rq->ops->friend_list(rq->db, rq->user.id, friend_row, arr);
	if (rc != SRV_E_OK) {
		json_decref(arr);
		return rc;
	}
	return req_reply(rq, 200, json_pack("{s:o}", "friends", arr));
}

enum srv_err h_friend_delete(struct req *rq)
{
	struct store_user other;
	enum srv_err rc = rq->ops->user_by_public(rq->db, rq->params[0], &other);
	if (rc == SRV_E_OK)
		rc = rq->ops->friend_delete(rq->db, rq->user.id, other.id);
	if (rc == SRV_E_OK)
		rc = rq->ops->freq_delete_pair(rq->db, rq->user.id, other.id);
	if (rc == SRV_E_OK)
		rc = events_emit(rq, rq->user.id, 0, "friend.removed", 0, json_pack("{s:s}", "user_id", other.public_id));
	if (rc == SRV_E_OK)
		rc = events_emit(rq, other.id, 0, "friend.removed", 0, json_pack("{s:s}", "user_id", rq->user.public_id));
	if (rc == SRV_E_OK)
		rc = req_reply(rq, 204, NULL);
	return rc;
}
