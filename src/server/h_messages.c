/*
 * h_messages.c — sending, reading and deleting messages. The body is an opaque base64url ciphertext
 * envelope: checked for encoding and size only, never interpreted. Sends are idempotent per
 * (sender, client_msg_id); a delete erases the body and leaves a tombstone that keeps the seq.
 */
#include "handlers.h"

#include "b64url.h"
#include "events.h"
#include "jsonv.h"
#include "pubid.h"
#include "views.h"

#include <stdio.h>
#include <string.h>

#include "banned.h" /* last: bans footguns in this file only */

static int kind_valid(const char *k)
{
	size_t n = strlen(k), i;
	if (n < 1 || n > 32)
		return 0;
	for (i = 0; i < n; i++)
		if (!((k[i] >= 'a' && k[i] <= 'z') || k[i] == '_' || k[i] == '.'))
			return 0;
	return 1;
}

static json_t *send_result(const struct store_message *m)
{
	return json_pack("{s:s,s:I,s:o}", "message_id", m->public_id, "seq", (json_int_t)m->seq, "created_at", view_time(m->created_at));
}

enum srv_err h_message_create(struct req *rq)
{
	const char *cmid, *body, *kind;
	size_t body_len, decoded = 0;
	struct store_thread t;
	struct store_message m = {0};
	int64_t read_seq;
	enum srv_err rc;

	if ((rc = jsonv_str(rq, "client_msg_id", 1, 64, &cmid)) != SRV_E_OK)
		return rc;
	if (!jsonv_is_token_chars(cmid))
		return req_fail(rq, SRV_E_INVALID_FIELD, "'client_msg_id' must be 1 to 64 of A-Z a-z 0-9 _ -");
	if ((rc = jsonv_str(rq, "body", 1, (size_t)rq->cfg->max_request_bytes, &body)) != SRV_E_OK)
		return rc;
	body_len = strlen(body);
	if (b64url_check(body, body_len, &decoded) != 0)
		return req_fail(rq, SRV_E_INVALID_FIELD, "'body' must be base64url without padding");
	if (decoded > (size_t)rq->cfg->max_body_bytes)
		return req_fail(rq, SRV_E_TOO_LARGE, "'body' decodes to more than %lld bytes", (long long)rq->cfg->max_body_bytes);
	if ((rc = jsonv_str_opt(rq, "kind", 1, 32, &kind)) != SRV_E_OK)
		return rc;
	if (kind && !kind_valid(kind))
		return req_fail(rq, SRV_E_INVALID_FIELD, "'kind' must be 1 to 32 of a-z _ .");
	if ((rc = rq->ops->thread_for_member(rq->db, rq->params[0], rq->user.id, &t)) != SRV_E_OK)
		return rc;

	rc = rq->ops->message_by_client_id(rq->db, rq->user.id, cmid, &m);
	if (rc == SRV_E_OK) { /* a retry: the first answer, nothing new */
		if (m.thread_id != t.id)
			return req_fail(rq, SRV_E_CONFLICT, "'client_msg_id' was already used in another thread");
		return req_reply(rq, 200, send_result(&m));
	}
	if (rc != SRV_E_NOT_FOUND)
		return rc;

	memset(&m, 0, sizeof(m));
	pubid_new_ordered("m", rq->now, m.public_id, sizeof(m.public_id));
	snprintf(m.thread_public_id, sizeof(m.thread_public_id), "%s", t.public_id);
	m.thread_id = t.id;
	m.sender_id = rq->user.id;
	m.sender_device = rq->session.device_id;
	snprintf(m.client_msg_id, sizeof(m.client_msg_id), "%s", cmid);
	snprintf(m.kind, sizeof(m.kind), "%s", kind ? kind : "message");
	m.body = body;
	m.body_len = body_len;
	m.created_at = rq->now;
	rc = rq->ops->thread_next_seq(rq->db, t.id, rq->now, &m.seq);
	if (rc == SRV_E_OK)
		rc = rq->ops->message_insert(rq->db, &m);
	if (rc == SRV_E_OK)
		rc = rq->ops->member_mark_read(rq->db, t.id, rq->user.id, m.seq, &read_seq);
	if (rc == SRV_E_OK)
		rc = events_emit_members(rq, t.id, "message.created", m.id, json_object()); /* rendered from the row */
	if (rc != SRV_E_OK)
		return rc;
	return req_reply(rq, 201, send_result(&m));
}

struct msg_page {
	json_t *arr;
	int want, got;
};

static int msg_row(void *arg, const struct store_message *m)
{
	struct msg_page *p = arg;
	if (p->got == p->want) {
		p->got++;
		return 1;
	}
	json_array_append_new(p->arr, view_message(m));
	p->got++;
	return 0;
}

enum srv_err h_messages_list(struct req *rq)
{
	struct store_thread t;
	struct msg_page p = {0};
	int64_t after, before, limit;
	enum srv_err rc;

	if ((rc = jsonv_query_int(rq, "after", 0, INT64_MAX, 0, &after)) != SRV_E_OK ||
	    (rc = jsonv_query_int(rq, "before", 1, INT64_MAX, 0, &before)) != SRV_E_OK ||
	    (rc = jsonv_query_int(rq, "limit", 1, 200, 50, &limit)) != SRV_E_OK)
		return rc;
	if ((rc = rq->ops->thread_for_member(rq->db, rq->params[0], rq->user.id, &t)) != SRV_E_OK)
		return rc;
	p.arr = json_array();
	p.want = (int)limit;
	rc = rq->ops->message_list(rq->db, t.id, t.joined_seq, after, before, (int)limit + 1, before != 0, msg_row, &p);
	if (rc != SRV_E_OK) {
		json_decref(p.arr);
		return rc;
	}
	if (before != 0) { /* fetched newest first: show ascending */
		size_t i, n = json_array_size(p.arr);
		json_t *asc = json_array();
		for (i = n; i > 0; i--)
			json_array_append(asc, json_array_get(p.arr, i - 1));
		json_decref(p.arr);
		p.arr = asc;
	}
	return req_reply(rq, 200, json_pack("{s:o,s:b}", "messages", p.arr, "has_more", p.got > p.want));
}

enum srv_err h_message_delete(struct req *rq)
{
	struct store_thread t;
	struct store_message m;
	enum srv_err rc = rq->ops->thread_for_member(rq->db, rq->params[0], rq->user.id, &t);

	if (rc == SRV_E_OK)
		rc = rq->ops->message_by_public(rq->db, t.id, rq->params[1], &m);
	if (rc == SRV_E_OK && (m.sender_id != rq->user.id || m.seq <= t.joined_seq))
		rc = SRV_E_NOT_FOUND;
	if (rc != SRV_E_OK)
		return rc;
	if (m.deleted_at == 0) {
		rc = rq->ops->message_erase(rq->db, m.id, rq->now);
		if (rc == SRV_E_OK)
			rc = events_emit_members(rq, t.id, "message.deleted", 0,
						 json_pack("{s:s,s:s,s:I}", "thread_id", t.public_id, "message_id", m.public_id,
							   "seq", (json_int_t)m.seq));
		if (rc != SRV_E_OK)
			return rc;
	}
	return req_reply(rq, 204, NULL);
}
