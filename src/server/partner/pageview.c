/*
 * pageview.c — parts of the people's pages that need the store (see pageview.h): conversation names, app
 * identity, action limits, the account tabs. Read-only; never builds a whole page, never answers a request.
 */
#include "pageview.h"

#include "store.h"

#include <stdio.h>
#include <string.h>

#include "banned.h" /* last: bans footguns in this file only */

#define NAMES_SHOWN 3 /* other people named before "and N others" */

struct thread_names {
	int64_t self;
	char names[NAMES_SHOWN][STORE_USERNAME_LEN];
	int n, others; /* names kept, members beyond them */
};

static int name_row(void *arg, const struct store_member *m)
{
	struct thread_names *t = arg;
	if (m->user_id == t->self)
		return 0; /* never the person themself */
	if (t->n < NAMES_SHOWN)
		snprintf(t->names[t->n++], STORE_USERNAME_LEN, "%s", m->username);
	else
		t->others++;
	return 0;
}

enum srv_err pageview_thread(struct req *rq, struct html *h, int64_t thread_id, const char *lead)
{
	struct thread_names t = {.self = rq->user.id};
	struct store_thread th;
	enum srv_err rc = rq->ops->thread_by_id_for_member(rq->db, thread_id, rq->user.id, &th);
	int i;
	if (rc == SRV_E_NOT_FOUND) {
		html_raw(h, "a conversation you are not in");
		return SRV_E_OK;
	}
	if (rc != SRV_E_OK || (rc = rq->ops->member_list(rq->db, thread_id, name_row, &t)) != SRV_E_OK)
		return rc;
	if (t.n == 0) {
		html_raw(h, "a conversation with nobody else in it");
		return SRV_E_OK;
	}
	html_text(h, lead);
	for (i = 0; i < t.n; i++) {
		if (i > 0)
			html_raw(h, i == t.n - 1 && t.others == 0 ? " and " : ", ");
		html_raw(h, "<strong>");
		html_text(h, t.names[i]);
		html_raw(h, "</strong>");
	}
	if (t.others)
		html_raw(h, " and %d other%s", t.others, t.others == 1 ? "" : "s");
	return SRV_E_OK;
}

enum srv_err pageview_thread_public(struct req *rq, struct html *h, const char *thread_public)
{
	struct store_thread th;
	enum srv_err rc;
	if (thread_public == NULL || thread_public[0] == '\0' || strlen(thread_public) >= STORE_ID_LEN) {
		html_raw(h, "a conversation you are not in");
		return SRV_E_OK;
	}
	rc = rq->ops->thread_for_member(rq->db, thread_public, rq->user.id, &th);
	if (rc == SRV_E_NOT_FOUND) {
		html_raw(h, "a conversation you are not in");
		return SRV_E_OK;
	}
	return rc == SRV_E_OK ? pageview_thread(rq, h, th.id, "with ") : rc;
}

void pageview_link(struct html *h, const char *url, const char *text)
{
	if (url == NULL || url[0] == '\0')
		return;
	html_raw(h, "<a href=\"");
	html_attr(h, url);
	html_raw(h, "\" rel=\"noopener noreferrer\">");
	html_text(h, text);
	html_raw(h, "</a>");
}

void pageview_app_identity(struct html *h, const struct store_app *a)
{
	html_raw(h, "<dl class=\"facts\"><dt>Website</dt><dd>");
	if (a->homepage[0]) {
		char host[STORE_URL_LEN];
		const char *p = strstr(a->homepage, "://");
		p = p ? p + 3 : a->homepage;
		snprintf(host, sizeof(host), "%.*s", (int)strcspn(p, "/?#"), p);
		pageview_link(h, a->homepage, host);
	} else
		html_raw(h, "<span class=\"muted\">none given to this server</span>");
	html_raw(h, "</dd><dt>Privacy policy</dt><dd>");
	if (a->privacy_url[0])
		pageview_link(h, a->privacy_url, "Read the app's privacy policy");
	else
		html_raw(h, "<span class=\"warn\">none given to this server</span>");
	html_raw(h, "</dd></dl>");
}

/* The actions of a postern_threads entry in words. */
static const struct {
	const char *action, *words;
} action_words[] = {
	{"read", "read messages"},
	{"send", "send shares"},
	{"delete", "delete what it sent"},
};

static void actions_html(struct html *h, json_t *actions)
{
	size_t i, k;
	json_t *v;
	json_array_foreach(actions, i, v) {
		const char *a = json_string_value(v);
		for (k = 0; a && k < sizeof(action_words) / sizeof(action_words[0]); k++)
			if (strcmp(a, action_words[k].action) == 0) {
				html_raw(h, "<span class=\"chip\">");
				html_text(h, action_words[k].words);
				html_raw(h, "</span>");
			}
	}
}

enum srv_err pageview_details(struct req *rq, struct html *h, json_t *details)
{
	json_t *d, *v;
	size_t i, j;
	enum srv_err rc = SRV_E_OK;
	if (json_array_size(details) == 0)
		return SRV_E_OK;
	html_raw(h, "<ul class=\"plain\">");
	json_array_foreach(details, i, d) json_array_foreach(json_object_get(d, "threads"), j, v) {
		if (rc != SRV_E_OK)
			break;
		html_raw(h, "<li>");
		rc = pageview_thread_public(rq, h, json_string_value(v));
		html_raw(h, "<br><span class=\"muted small\">It may only: </span>");
		actions_html(h, json_object_get(d, "actions"));
		html_raw(h, "</li>");
	}
	html_raw(h, "</ul>");
	return rc;
}

void pageview_tabs(struct html *h, const struct req *rq, const char *current)
{
	html_raw(h, "<p class=\"who muted small\">Signed in as <strong>");
	html_text(h, rq->user.username);
	html_raw(h, "</strong></p><nav class=\"tabs\" aria-label=\"Your account\">"
		    "<a href=\"/account/apps\"%s>Connected apps</a><a href=\"/account/access-log\"%s>Access log</a></nav>",
		 strcmp(current, "apps") == 0 ? " aria-current=\"page\"" : "",
		 strcmp(current, "log") == 0 ? " aria-current=\"page\"" : "");
}
