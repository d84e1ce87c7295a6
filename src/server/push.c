/*
 * push.c — SSE streams (see push.h).
 *
 * Life of a stream: references are held by the MHD response (dropped in the free callback when the
 * connection ends) and by an in-flight fetch job. Locks: the stream lock guards its buffer and flags; the
 * registry lock guards the list used for heartbeats. MHD_suspend_connection is called with the stream lock
 * held (inside the content reader, as MHD requires); MHD_resume_connection is called after releasing it.
 */
#include "push.h"
#include "jsontext.h"

#include "appwatch.h"
#include "dbexec.h"
#include "handlers.h"
#include "hub.h"
#include "log.h"
#include "partner.h"
#include "timefmt.h"

#include <inttypes.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "banned.h" /* last: bans footguns in this file only */

#define PUSH_BUF_MAX (1u << 20)   /* a client this far behind is cut off; it resumes from its cursor */
#define PUSH_FETCH_LIMIT 100
#define PUSH_REFILL_BELOW (64u << 10)

struct stream {
	pthread_mutex_t lock;
	struct MHD_Connection *conn;
	int suspended, ended, gone;
	int fetching, fetch_again, more;
	char *buf;
	size_t len, off;
	int64_t cursor;
	int64_t last_write;
	int refs;
	/* the identity a fetch runs as (a whole struct req per idle stream would cost kilobytes) */
	const struct config *cfg;
	int64_t user_id, device_id;
	int64_t session_id;        /* a person's stream: it lives only as long as this session (0 for apps) */
	int check_session;         /* set at each heartbeat: the next fetch looks the session up (not every fetch) */
	int cred;
	struct store_app *app;     /* app streams: copies of the credential, checked again on every fetch */
	struct store_grant *grant;
	int64_t token_id, token_expires; /* the access token it was opened with: it ends when that token does */
	struct hub_waiter waiter;
	struct dbexec_job job;
	struct stream *next, *prev; /* registry */
};

static struct {
	pthread_mutex_t lock;
	struct stream *head;
	int count;
	int64_t heartbeat_ms;
} reg;

void push_init(const struct config *cfg)
{
	pthread_mutex_init(&reg.lock, NULL);
	reg.heartbeat_ms = cfg->heartbeat_ms;
}

static void stream_unref(struct stream *s)
{
	int left;
	pthread_mutex_lock(&s->lock);
	left = --s->refs;
	pthread_mutex_unlock(&s->lock);
	if (left > 0)
		return;
	pthread_mutex_destroy(&s->lock);
	free(s->buf);
	free(s->app);
	free(s->grant);
	free(s);
}

/* Append text; caller holds s->lock. Returns 1 if the connection must be resumed. */
static int append_locked(struct stream *s, const char *text, size_t n)
{
	if (s->gone || s->ended)
		return 0;
	if (s->len + n > PUSH_BUF_MAX) {
		s->ended = 1; /* too far behind: end the stream; the client resumes from its last id */
	} else {
		char *nb = realloc(s->buf, s->len + n);
		if (nb == NULL) {
			s->ended = 1;
		} else {
			s->buf = nb;
			memcpy(s->buf + s->len, text, n);
			s->len += n;
		}
	}
	if (s->suspended) {
		s->suspended = 0;
		return 1;
	}
	return 0;
}

static void fetch_submit_locked(struct stream *s);

static enum srv_err fetch_run(struct dbexec_job *job, const struct store_ops *ops, struct store_conn *c)
{
	struct stream *s = (struct stream *)((char *)job - offsetof(struct stream, job));
	json_t *arr = json_array();
	struct req *rq = NULL;
	int64_t cursor;
	int more = 0, check_session;
	enum srv_err rc;
	size_t i;
	json_t *ev;
	char *text = NULL;
	size_t tlen = 0;
	FILE *mem = NULL;

	pthread_mutex_lock(&s->lock);
	cursor = s->cursor;
	check_session = s->check_session;
	s->check_session = 0;
	pthread_mutex_unlock(&s->lock);
	rq = calloc(1, sizeof(*rq));
	if (rq == NULL) {
		rc = SRV_E_INTERNAL;
		goto out;
	}
	rq->ops = ops;
	rq->db = c;
	rq->cfg = s->cfg;
	rq->now = timefmt_now_ms();
	rq->cred = s->cred;
	rq->user.id = s->user_id;
	rq->session.device_id = s->device_id;
	rq->app = s->app;
	rq->grant = s->grant;
	if (check_session && s->session_id && ops->session_alive(c, s->session_id, rq->now) != SRV_E_OK) {
		rc = SRV_E_UNAUTHORIZED; /* logged out, expired, or ended by a password change */
		goto out;
	}
	/* an app's stream lives only as long as its token, its grant and its app: every fetch checks them (a
	 * revocation wakes the stream, push_tick ends it at the token's expiry, appwatch.c wakes it when an
	 * operator suspends or deletes the app) */
	if (s->grant && (rc = partner_credential_live(ops, c, s->token_id, rq->now)) != SRV_E_OK)
		goto out;
	rc = sync_collect(rq, &cursor, PUSH_FETCH_LIMIT, arr, &more);
	if (rc != SRV_E_OK || json_array_size(arr) == 0)
		goto out;
	mem = open_memstream(&text, &tlen);
	if (mem == NULL) {
		rc = SRV_E_INTERNAL;
		goto out;
	}
	json_array_foreach(arr, i, ev) {
		char *data = jsontext_dump(ev, JSON_COMPACT);
		if (data == NULL)
			continue;
		fprintf(mem, "id: %s\nevent: %s\ndata: %s\n\n", json_string_value(json_object_get(ev, "cursor")),
			json_string_value(json_object_get(ev, "type")), data);
		free(data);
	}
	fclose(mem);
	mem = NULL;
	{
		int resume;
		pthread_mutex_lock(&s->lock);
		s->cursor = cursor;
		s->more = more;
		resume = append_locked(s, text, tlen);
		pthread_mutex_unlock(&s->lock);
		if (resume)
			MHD_resume_connection(s->conn);
	}
out:
	if (rq) { /* borrowed pointers: nothing of rq is freed but rq itself */
		rq->app = NULL;
		rq->grant = NULL;
		free(rq);
	}
	free(text);
	json_decref(arr);
	return rc;
}

static void fetch_done(struct dbexec_job *job, enum srv_err rc)
{
	struct stream *s = (struct stream *)((char *)job - offsetof(struct stream, job));
	int resume = 0;
	pthread_mutex_lock(&s->lock);
	if (rc != SRV_E_OK && !s->gone) {
		if (rc != SRV_E_UNAUTHORIZED)
			log_warn("sse fetch failed: %s", error_code(rc));
		s->ended = 1;
		if (s->suspended) {
			s->suspended = 0;
			resume = 1;
		}
	}
	s->fetching = 0;
	if (!s->gone && !s->ended && (s->fetch_again || (s->more && s->len - s->off < PUSH_REFILL_BELOW))) {
		s->fetch_again = 0;
		fetch_submit_locked(s); /* takes a new reference */
	}
	pthread_mutex_unlock(&s->lock);
	if (resume)
		MHD_resume_connection(s->conn);
	stream_unref(s);
}

/* Start a fetch unless one runs (then make it run again). Caller holds s->lock. */
static void fetch_submit_locked(struct stream *s)
{
	if (s->fetching) {
		s->fetch_again = 1;
		return;
	}
	s->fetching = 1;
	s->refs++;
	s->job.run = fetch_run;
	s->job.done = fetch_done;
	dbexec_submit_read(&s->job);
}

static void stream_wake(struct hub_waiter *w)
{
	struct stream *s = (struct stream *)((char *)w - offsetof(struct stream, waiter));
	pthread_mutex_lock(&s->lock);
	if (!s->gone && !s->ended)
		fetch_submit_locked(s);
	pthread_mutex_unlock(&s->lock);
}

static ssize_t stream_read(void *cls, uint64_t pos, char *out, size_t max)
{
	struct stream *s = cls;
	ssize_t n = 0;
	int refill = 0;
	(void)pos;

	pthread_mutex_lock(&s->lock);
	if (s->len > s->off) {
		size_t avail = s->len - s->off;
		if (avail > max)
			avail = max;
		memcpy(out, s->buf + s->off, avail);
		s->off += avail;
		if (s->off == s->len) {
			s->off = s->len = 0;
			refill = s->more;
		}
		s->last_write = timefmt_mono_ms();
		n = (ssize_t)avail;
		if (refill && !s->ended)
			fetch_submit_locked(s);
	} else if (s->ended) {
		n = MHD_CONTENT_READER_END_OF_STREAM;
	} else {
		s->suspended = 1;
		MHD_suspend_connection(s->conn);
		n = 0;
	}
	pthread_mutex_unlock(&s->lock);
	return n;
}

static void stream_free_cb(void *cls)
{
	struct stream *s = cls;
	hub_unregister(&s->waiter);
	pthread_mutex_lock(&reg.lock);
	if (s->prev)
		s->prev->next = s->next;
	else if (reg.head == s)
		reg.head = s->next;
	if (s->next)
		s->next->prev = s->prev;
	reg.count--;
	pthread_mutex_unlock(&reg.lock);
	pthread_mutex_lock(&s->lock);
	s->gone = 1;
	pthread_mutex_unlock(&s->lock);
	stream_unref(s);
}

struct MHD_Response *push_stream_response(struct MHD_Connection *conn, const struct req *rq)
{
	struct stream *s = calloc(1, sizeof(*s));
	struct MHD_Response *resp;
	static const char hello[] = "retry: 2000\n: connected\n\n";

	if (s == NULL)
		return NULL;
	pthread_mutex_init(&s->lock, NULL);
	s->conn = conn;
	s->refs = 1; /* the response */
	s->cfg = rq->cfg;
	s->user_id = rq->user.id;
	s->device_id = rq->session.device_id;
	s->cred = rq->cred;
	if (rq->cred == CRED_SESSION)
		s->session_id = rq->session.id;
	if (rq->cred == CRED_APP) {
		s->app = malloc(sizeof(*s->app));
		s->grant = malloc(sizeof(*s->grant));
		if (s->app == NULL || s->grant == NULL) {
			stream_unref(s);
			return NULL;
		}
		*s->app = *rq->app;
		*s->grant = *rq->grant;
		s->token_id = rq->token->id;
		s->token_expires = rq->token->expires_at;
	}
	s->cursor = json_integer_value(json_object_get(rq->resp, "since"));
	s->last_write = timefmt_mono_ms();
	s->buf = malloc(sizeof(hello) - 1);
	if (s->buf) {
		memcpy(s->buf, hello, sizeof(hello) - 1);
		s->len = sizeof(hello) - 1;
	}
	/* Over HTTP/1.1 the stream is chunked and libmicrohttpd has stream_read fill the connection's own
	 * write buffer, so the response's block is never used: keep it to a few bytes (it is allocated and
	 * zeroed for every idle stream). HTTP/1.0 has no chunking and reads through that block. */
	resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, rq->http10 ? 1024 : 16, stream_read, s,
						 stream_free_cb);
	if (resp == NULL) {
		stream_unref(s);
		return NULL;
	}
	MHD_add_response_header(resp, "Content-Type", "text/event-stream");
	MHD_add_response_header(resp, "Cache-Control", "no-store");
	MHD_add_response_header(resp, "X-Accel-Buffering", "no");
	pthread_mutex_lock(&reg.lock);
	s->next = reg.head;
	if (reg.head)
		reg.head->prev = s;
	reg.head = s;
	reg.count++;
	pthread_mutex_unlock(&reg.lock);
	s->waiter.user_id = rq->user.id;
	s->waiter.wake = stream_wake;
	pthread_mutex_lock(&s->lock);
	fetch_submit_locked(s); /* the backlog after the cursor */
	pthread_mutex_unlock(&s->lock);
	hub_register(&s->waiter, rq->hub_seen);
	return resp;
}

void push_tick(int64_t now)
{
	struct stream *s;
	static const char hb[] = ": hb\n\n";
	int64_t wall = timefmt_now_ms();
	appwatch_tick(now);
	pthread_mutex_lock(&reg.lock);
	for (s = reg.head; s; s = s->next) {
		int resume = 0;
		pthread_mutex_lock(&s->lock);
		if (s->grant && !s->gone && !s->ended && wall >= s->token_expires) {
			s->ended = 1; /* the token expired: the stream ends now, idle or not, not at a heartbeat */
			if (s->suspended) {
				s->suspended = 0;
				resume = 1;
			}
		} else if (!s->gone && now - s->last_write >= reg.heartbeat_ms && s->len == s->off) {
			resume = append_locked(s, hb, sizeof(hb) - 1);
			s->last_write = now;
			if ((s->grant || s->session_id) && !s->ended) {
				s->check_session = s->session_id != 0;
				fetch_submit_locked(s); /* re-checks the session, or the grant and the token's expiry */
			}
		}
		pthread_mutex_unlock(&s->lock);
		if (resume)
			MHD_resume_connection(s->conn);
	}
	pthread_mutex_unlock(&reg.lock);
}

void push_sessions_ended(int64_t user_id)
{
	struct stream *s;
	pthread_mutex_lock(&reg.lock);
	for (s = reg.head; s; s = s->next) {
		pthread_mutex_lock(&s->lock);
		if (s->session_id && s->waiter.user_id == user_id && !s->gone && !s->ended) {
			s->check_session = 1;
			fetch_submit_locked(s);
		}
		pthread_mutex_unlock(&s->lock);
	}
	pthread_mutex_unlock(&reg.lock);
}

void push_close_all(void)
{
	struct stream *s;
	pthread_mutex_lock(&reg.lock);
	for (s = reg.head; s; s = s->next) {
		int resume = 0;
		pthread_mutex_lock(&s->lock);
		s->ended = 1;
		if (s->suspended) {
			s->suspended = 0;
			resume = 1;
		}
		pthread_mutex_unlock(&s->lock);
		if (resume)
			MHD_resume_connection(s->conn);
	}
	pthread_mutex_unlock(&reg.lock);
}

int push_count(void)
{
	int n;
	pthread_mutex_lock(&reg.lock);
	n = reg.count;
	pthread_mutex_unlock(&reg.lock);
	return n;
}
