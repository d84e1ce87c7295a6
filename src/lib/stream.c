/*
 * stream.c — following a person's (or an app's) event log live over Server-Sent Events in libpostern:
 * reading the stream line by line under a bound, handing each event to e2ee.c (key hand-overs taken,
 * messages decrypted) and to the caller, keeping the cursor, and reconnecting after a drop. It never
 * decides anything about trust; e2ee.c does.
 */
#include "client_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "banned.h" /* last: bans footguns in this file only */

/* ---- the live stream ---- */

struct watch {
	pst_client *c;
	pst_event_cb cb;
	void *arg;
	char *line;     /* the line being read */
	size_t len;
	char *data;     /* the event's data lines */
	size_t dlen;
	char event[48];
	int stop;
};

static void dispatch(struct watch *w)
{
	json_error_t jerr;
	json_t *ev = w->data ? json_loadb(w->data, w->dlen, 0, &jerr) : NULL;
	const char *type = json_string_value(json_object_get(ev, "type"));
	pst_message msg;
	int has_msg = 0;

	if (ev == NULL || type == NULL)
		goto out;
	if (strcmp(type, "to_device") == 0)
		pst__take_handover(w->c, ev);
	if (strcmp(type, "message.created") == 0 && json_is_object(json_object_get(ev, "message"))) {
		pst__decrypt_message(w->c, NULL, json_object_get(ev, "message"), &msg);
		has_msg = 1;
	}
	if (json_string_value(json_object_get(ev, "cursor")))
		snprintf(w->c->cursor, sizeof(w->c->cursor), "%s", json_string_value(json_object_get(ev, "cursor")));
	pst__save_session(w->c);
	if (w->cb && w->cb(w->arg, type, w->data, has_msg ? &msg : NULL))
		w->stop = 1;
	if (has_msg)
		pst__message_clear(&msg);
out:
	json_decref(ev);
	free(w->data);
	w->data = NULL;
	w->dlen = 0;
	w->event[0] = '\0';
}

/* One SSE line (without its newline). */
static void sse_line(struct watch *w, const char *line, size_t n)
{
	if (n == 0) { /* a blank line ends an event */
		if (w->data)
			dispatch(w);
		return;
	}
	if (n >= 5 && memcmp(line, "data:", 5) == 0) {
		size_t skip = (n > 5 && line[5] == ' ') ? 6 : 5;
		char *nd = realloc(w->data, w->dlen + (n - skip) + 2);
		if (nd == NULL)
			return;
		if (w->dlen)
			nd[w->dlen++] = '\n';
		memcpy(nd + w->dlen, line + skip, n - skip);
		w->dlen += n - skip;
		nd[w->dlen] = '\0';
		w->data = nd;
	}
	/* id: and event: are repeated inside the data; comments (":") are heartbeats */
}

static size_t sse_write(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct watch *w = arg;
	size_t n = size * nmemb, i;
	for (i = 0; i < n && !w->stop; i++) {
		if (ptr[i] == '\n') {
			size_t l = w->len;
			if (l && w->line[l - 1] == '\r')
				l--;
			sse_line(w, w->line ? w->line : "", l);
			w->len = 0;
			continue;
		}
		if (w->len >= (1u << 22))
			return 0; /* a line over 4 MiB: not a stream from our server */
		{
			char *nl = realloc(w->line, w->len + 2);
			if (nl == NULL)
				return 0;
			w->line = nl;
			w->line[w->len++] = ptr[i];
			w->line[w->len] = '\0';
		}
	}
	return w->stop ? 0 : n;
}

void pst_watch_stop(pst_client *c)
{
	if (c)
		c->stop_watch = 1;
}

/* libcurl calls this about once a second even on an idle stream: the place to notice pst_watch_stop. */
static int watch_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
	struct watch *w = arg;
	(void)dltotal;
	(void)dlnow;
	(void)ultotal;
	(void)ulnow;
	if (w->c->stop_watch)
		w->stop = 1;
	return w->stop;
}

pst_status pst_watch(pst_client *c, pst_event_cb cb, void *arg, int max_seconds)
{
	struct watch w;
	time_t deadline = max_seconds > 0 ? time(NULL) + max_seconds : 0;
	pst_status st = PST_OK;
	int failures = 0;

	if (c == NULL)
		return PST_ERR_INVALID;
	if (!c->token[0])
		return pst__fail(c, PST_ERR_AUTH, "not logged in (run: postern login USER)");
	if (c->stream == NULL && (c->stream = curl_easy_init()) == NULL)
		return pst__fail(c, PST_ERR_NOMEM, "out of memory");
	memset(&w, 0, sizeof(w));
	w.c = c;
	w.cb = cb;
	w.arg = arg;
	c->stop_watch = 0;
	if ((st = pst_sync(c)) != PST_OK) /* hand-overs that came while away */
		return st;
	while (!w.stop && !c->stop_watch) {
		struct curl_slist *hdrs = NULL;
		char *url = NULL, auth[160];
		CURLcode cc;
		long status = 0, left = deadline ? (long)(deadline - time(NULL)) : 0;
		if (deadline && left <= 0)
			break;
		if (asprintf(&url, "%s/v1/events%s%s", c->server, c->cursor[0] ? "?since=" : "", c->cursor) < 0) {
			st = pst__fail(c, PST_ERR_NOMEM, "out of memory");
			break;
		}
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s", c->token);
		hdrs = curl_slist_append(hdrs, auth);
		hdrs = curl_slist_append(hdrs, "Accept: text/event-stream");
		sodium_memzero(auth, sizeof(auth));
		curl_easy_reset(c->stream);
		curl_easy_setopt(c->stream, CURLOPT_URL, url);
		curl_easy_setopt(c->stream, CURLOPT_HTTPHEADER, hdrs);
		curl_easy_setopt(c->stream, CURLOPT_WRITEFUNCTION, sse_write);
		curl_easy_setopt(c->stream, CURLOPT_WRITEDATA, &w);
		curl_easy_setopt(c->stream, CURLOPT_NOSIGNAL, 1L);
		curl_easy_setopt(c->stream, CURLOPT_TCP_NODELAY, 1L);
		curl_easy_setopt(c->stream, CURLOPT_CONNECTTIMEOUT, 10L);
		curl_easy_setopt(c->stream, CURLOPT_PROTOCOLS_STR, "http,https");
		/* a stream with no heartbeat for 40 s is dead: the server sends one every 15 s */
		curl_easy_setopt(c->stream, CURLOPT_XFERINFOFUNCTION, watch_progress);
		curl_easy_setopt(c->stream, CURLOPT_XFERINFODATA, &w);
		curl_easy_setopt(c->stream, CURLOPT_NOPROGRESS, 0L);
		curl_easy_setopt(c->stream, CURLOPT_LOW_SPEED_LIMIT, 1L);
		curl_easy_setopt(c->stream, CURLOPT_LOW_SPEED_TIME, 40L);
		if (deadline)
			curl_easy_setopt(c->stream, CURLOPT_TIMEOUT, left);
		cc = curl_easy_perform(c->stream);
		curl_easy_getinfo(c->stream, CURLINFO_RESPONSE_CODE, &status);
		curl_slist_free_all(hdrs);
		free(url);
		w.len = 0;
		if (w.stop)
			break;
		if (status == 401) {
			st = pst__fail(c, PST_ERR_AUTH, "the session ended (log in again)");
			break;
		}
		if (status >= 400) {
			st = pst__fail(c, PST_ERR_HTTP, "the event stream was refused (HTTP %ld)", status);
			break;
		}
		if (cc == CURLE_OPERATION_TIMEDOUT && deadline && time(NULL) >= deadline)
			break;
		/* dropped: come back from the last cursor, a little later each time */
		failures = status == 200 ? 0 : failures + 1;
		if (failures > 30) {
			st = pst__fail(c, PST_ERR_NETWORK, "the event stream keeps failing: %s", curl_easy_strerror(cc));
			break;
		}
		if (!c->stop_watch)
			sleep(failures ? (failures < 5 ? (unsigned)failures : 5u) : 1u);
	}
	free(w.line);
	free(w.data);
	return st;
}
