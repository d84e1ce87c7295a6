/*
 * h_sync.c — reading a user's event log: the long-poll endpoint and the start of an SSE stream (push.c
 * keeps the stream going). Cursors are places in the user's own log (store.h's seq): the log only grows, a
 * user's numbers commit in order on every node, and an event is readable only after its transaction
 * committed, so resuming from a cursor, on any node, never misses or repeats an event. message.created events are rendered with the whole message as it is now (a deleted
 * message shows as a tombstone).
 */
#include "handlers.h"

#include "hub.h"
#include "jsonv.h"
#include "partner.h"
#include "strnum.h"
#include "views.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "banned.h" /* last: bans footguns in this file only */

#define SYNC_MAX_LIMIT 500

struct collect {
	struct req *rq;
	json_t *out;
	int64_t last;
	int n, scanned;
	enum srv_err rc;
};

static int msg_into(void *arg, const struct store_message *m)
{
	json_object_set_new((json_t *)arg, "message", view_message(m));
	return 1;
}

static int event_row(void *arg, const struct store_event *e)
{
	struct collect *c = arg;
	json_error_t jerr;
	json_t *ev;
	char cur[24];

	if (c->rq->cred == CRED_APP) { /* an app sees only its threads, as it may see them */
		if (partner_event_view(c->rq, e, &ev)) {
			json_array_append_new(c->out, ev);
			c->n++;
		}
		c->last = e->seq; /* skipped events still move the cursor */
		c->scanned++;
		return 0;
	}
	ev = json_loads(e->data, 0, &jerr);
	if (ev == NULL || !json_is_object(ev)) {
		json_decref(ev);
		c->rc = SRV_E_INTERNAL;
		return 1;
	}
	snprintf(cur, sizeof(cur), "%" PRId64, e->seq);
	json_object_set_new(ev, "cursor", json_string(cur));
	json_object_set_new(ev, "type", json_string(e->type));
	json_object_set_new(ev, "created_at", view_time(e->created_at));
	if (e->ref_id) {
		c->rc = c->rq->ops->message_by_id(c->rq->db, e->ref_id, msg_into, ev);
		if (c->rc != SRV_E_OK) {
			json_decref(ev);
			return 1;
		}
	}
	json_array_append_new(c->out, ev);
	c->last = e->seq;
	c->n++;
	c->scanned++;
	return 0;
}

enum srv_err sync_collect(struct req *rq, int64_t *cursor, int limit, json_t *out, int *more)
{
	struct collect c = {rq, out, *cursor, 0, 0, SRV_E_OK};
	enum srv_err rc = rq->ops->event_list(rq->db, rq->user.id, rq->session.device_id, *cursor, limit, event_row, &c);
	if (rc == SRV_E_OK)
		rc = c.rc;
	if (rc == SRV_E_OK) {
		*cursor = c.last;
		*more = c.scanned == limit;
	}
	return rc;
}

/* The cursor from ?since= (or, for SSE, Last-Event-ID): "" or absent is the start of the log. */
static enum srv_err parse_since(struct req *rq, int64_t *since)
{
	const char *s = req_query(rq, "since");
	*since = 0;
	if ((s == NULL || s[0] == '\0') && rq->last_event_id[0])
		s = rq->last_event_id;
	if (s == NULL || s[0] == '\0')
		return SRV_E_OK;
	if (strnum_parse_cstr(s, 0, INT64_MAX, since) != 0)
		return req_fail(rq, SRV_E_INVALID_CURSOR, "bad 'since' cursor");
	if (*since > 0) { /* a cursor past every number this log has given would skip its future events */
		int64_t last = 0;
		enum srv_err rc = rq->ops->event_last_seq(rq->db, rq->user.id, &last);
		if (rc != SRV_E_OK)
			return rc;
		if (*since > last)
			return req_fail(rq, SRV_E_INVALID_CURSOR, "'since' is not a cursor this server gave");
	}
	return SRV_E_OK;
}

/* Ask the HTTP layer to delete to-device events this session has acknowledged by syncing past them. */
static enum srv_err plan_prune(struct req *rq, int64_t since)
{
	int64_t n = 0;
	enum srv_err rc;
	if (rq->cred != CRED_SESSION || rq->session.device_id == 0 || since == 0)
		return SRV_E_OK;
	rc = rq->ops->event_count_to_device(rq->db, rq->session.device_id, since, &n);
	if (rc == SRV_E_OK && n > 0) {
		rq->prune_device = rq->session.device_id;
		rq->prune_upto = since;
	}
	return rc;
}

enum srv_err h_sync(struct req *rq)
{
	int64_t since, timeout, limit, cursor;
	int more = 0;
	char cur[24];
	json_t *events;
	enum srv_err rc;

	if ((rc = parse_since(rq, &since)) != SRV_E_OK ||
	    (rc = jsonv_query_int(rq, "timeout", 0, 60000, 0, &timeout)) != SRV_E_OK ||
	    (rc = jsonv_query_int(rq, "limit", 1, SYNC_MAX_LIMIT, 100, &limit)) != SRV_E_OK)
		return rc;
	if ((rc = plan_prune(rq, since)) != SRV_E_OK)
		return rc;
	/* an app's long-poll is run again each time it is woken: its token, grant and app may have ended since
	 * it was authenticated (a revocation wakes it so that it ends here, at once) */
	if (rq->cred == CRED_APP && (rc = partner_credential_live(rq->ops, rq->db, rq->token->id, rq->now)) != SRV_E_OK) {
		if (rc == SRV_E_UNAUTHORIZED)
			snprintf(rq->www_authenticate, sizeof(rq->www_authenticate), "Bearer realm=\"postern\", error=\"invalid_token\"");
		return rc == SRV_E_UNAUTHORIZED ? req_fail(rq, rc, "the token, its grant or its app ended") : rc;
	}
	/* A fresh snapshot taken after reading the hub version: a commit the snapshot misses bumps the
	 * version after we read it, so parking with it wakes us at once. */
	rq->ops->read_end(rq->db);
	rq->hub_seen = hub_version(rq->user.id);
	if ((rc = rq->ops->read_begin(rq->db)) != SRV_E_OK)
		return rc;
	cursor = since;
	events = json_array();
	rc = sync_collect(rq, &cursor, (int)limit, events, &more);
	if (rc != SRV_E_OK) {
		json_decref(events);
		return rc;
	}
	if (json_array_size(events) == 0 && timeout > 0) {
		rq->wait_ms = (int)timeout;
		/* an app waits no longer than its token lives: the answer comes at its expiry, not after */
		if (rq->cred == CRED_APP && rq->token->expires_at - rq->now < rq->wait_ms)
			rq->wait_ms = (int)(rq->token->expires_at - rq->now);
		/* one line per call: written now that it waits; what a later run returns is not counted */
		partner_log_after(rq, "events.wait", 0);
	} else
		partner_log_after(rq, "events.read", (int64_t)json_array_size(events));
	snprintf(cur, sizeof(cur), "%" PRId64, cursor);
	return req_reply(rq, 200, json_pack("{s:s,s:o}", "cursor", cur, "events", events));
}

enum srv_err h_events(struct req *rq)
{
	int64_t since;
	enum srv_err rc = parse_since(rq, &since);
	if (rc == SRV_E_OK)
		rc = plan_prune(rq, since);
	if (rc != SRV_E_OK)
		return rc;
	rq->hub_seen = hub_version(rq->user.id);
	partner_log_after(rq, "events.stream", 0); /* an app opened its event stream */
	return req_reply(rq, 200, json_pack("{s:I}", "since", (json_int_t)since));
}
