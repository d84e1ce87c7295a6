/*
 * h_account_pages.c — the person's account pages for the partner platform, server-rendered and working
 * without JavaScript: connected apps (one card per app, all its grants inside, in Active / Expired /
 * Removed sections), disconnecting an app (a confirmation page, then a CSRF-checked POST that ends every
 * grant of that app, then a result), and the access log (conversations by name, refusals worded as
 * refusals, a filter by app). An app the person never granted is answered like an app that does not
 * exist. No SQL here: the store is reached through rq->ops; the JSON twins of these pages are in h_me.c.
 */
#include "handlers.h"

#include "auth.h"
#include "html.h"
#include "pageview.h"
#include "partner.h"
#include "scopes.h"
#include "strnum.h"
#include "tlog.h"

#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "banned.h" /* last: bans footguns in this file only */

#define PAGE_APPS 64          /* apps on one connected-apps page; more are listed by `postern apps` */
#define PAGE_GRANTS 500       /* grant_list_user's own ceiling */
#define PAGE_LOG_DEVICES 64
#define PAGE_LOG_LINES 50

static enum srv_err finish_page(struct req *rq, struct html *h, int status)
{
	rq->html = html_finish(h);
	rq->status = status;
	return rq->html ? SRV_E_OK : SRV_E_INTERNAL;
}

/* A page that says a thing is not there (the same for "not yours"). */
static enum srv_err not_found_page(struct req *rq, const char *title, const char *text)
{
	struct html h;
	html_begin(&h, title);
	html_raw(&h, "<h1>");
	html_text(&h, title);
	html_raw(&h, "</h1><p>");
	html_text(&h, text);
	html_raw(&h, "</p><p><a href=\"/account/apps\">Back to connected apps</a></p>");
	return finish_page(rq, &h, 404);
}

/* ---- the person's grants, grouped by app ---- */

enum grant_state { GRANT_ACTIVE, GRANT_EXPIRED, GRANT_REMOVED };

struct app_grants {
	struct store_app app;
	struct store_grant *grants; /* into person_grants.grants, newest first */
	size_t n[3];                /* grants per grant_state */
};

struct person_grants {
	struct req *rq;
	struct store_grant *grants; /* malloc'd, PAGE_GRANTS */
	size_t n_grants;
	struct app_grants *apps;    /* malloc'd, PAGE_APPS */
	size_t n_apps;
	int64_t app_of[PAGE_GRANTS]; /* index into apps of each grant */
};

static enum grant_state state_of(const struct store_grant *g, int64_t now)
{
	return g->revoked_at ? GRANT_REMOVED : g->expires_at > now ? GRANT_ACTIVE : GRANT_EXPIRED;
}

static int collect_row(void *arg, const struct store_grant *g, const struct store_app *a)
{
	struct person_grants *p = arg;
	size_t i;
	if (p->n_grants == PAGE_GRANTS)
		return 1;
	for (i = 0; i < p->n_apps && p->apps[i].app.id != a->id; i++)
		;
	if (i == p->n_apps) {
		if (p->n_apps == PAGE_APPS)
			return 0; /* this app's grants are left off the page */
		p->apps[p->n_apps++].app = *a;
	}
	p->apps[i].n[state_of(g, p->rq->now)]++;
	p->app_of[p->n_grants] = (int64_t)i;
	p->grants[p->n_grants++] = *g;
	return 0;
}

/* Load the person's grants and their apps; release with person_grants_release. */
static enum srv_err person_grants_load(struct req *rq, struct person_grants *p)
{
	memset(p, 0, sizeof(*p));
	p->rq = rq;
	if ((p->grants = calloc(PAGE_GRANTS, sizeof(*p->grants))) == NULL ||
	    (p->apps = calloc(PAGE_APPS, sizeof(*p->apps))) == NULL)
		return SRV_E_INTERNAL;
	return rq->ops->grant_list_user(rq->db, rq->user.id, collect_row, p);
}

static void person_grants_release(struct person_grants *p)
{
	free(p->grants);
	free(p->apps);
	p->grants = NULL;
	p->apps = NULL;
}

/* The app of the person's grants with this client id, or NULL (never granted, or no such app). */
static const struct app_grants *person_app(const struct person_grants *p, const char *client_id)
{
	size_t i;
	for (i = 0; client_id && i < p->n_apps; i++)
		if (strcmp(p->apps[i].app.client_id, client_id) == 0)
			return &p->apps[i];
	return NULL;
}

/* ---- connected apps ---- */

/* An app device of the person's: where its signed authorisation and revocation are in the log (-1: not). */
struct log_device {
	int64_t grant_id;
	char name[STORE_NAME_LEN];
	int64_t auth_idx, revoke_idx;
};

struct log_devices {
	struct req *rq;
	struct log_device devs[PAGE_LOG_DEVICES];
	size_t n;
	int64_t log_size;
};

/* A leaf index as a link to its inclusion proof in the tree of size, or a warning when there is none. */
static void log_index_html(struct html *h, int64_t idx, int64_t size)
{
	if (idx < 0)
		html_raw(h, "<span class=\"warn\">not in the log</span>");
	else
		html_raw(h, "<a href=\"/v1/log/proof/inclusion?index=%" PRId64 "&amp;size=%" PRId64 "\">#%" PRId64 "</a>", idx, size, idx);
}

static int64_t statement_index(struct req *rq, int64_t device, int which, int64_t size)
{
	unsigned char *stmt = NULL;
	size_t len = 0;
	int64_t idx = -1;
	if (rq->ops->app_statement_get(rq->db, device, which, &stmt, &len) == SRV_E_OK &&
	    tlog_statement_index(rq->ops, rq->db, stmt, len, size, &idx) != SRV_E_OK)
		idx = -1;
	free(stmt);
	return idx;
}

static int log_device_row(void *arg, const struct store_device *d)
{
	struct log_devices *w = arg;
	struct log_device *ld;
	if (w->n == PAGE_LOG_DEVICES)
		return 1;
	ld = &w->devs[w->n++];
	ld->grant_id = d->grant_id;
	snprintf(ld->name, sizeof(ld->name), "%s", d->name);
	ld->auth_idx = d->id; /* the device's row id until the statements are looked up below */
	ld->revoke_idx = -1;
	return 0;
}

static enum srv_err log_devices_load(struct log_devices *w)
{
	struct req *rq = w->rq;
	size_t i;
	enum srv_err rc;
	if ((rc = rq->ops->tlog_size(rq->db, &w->log_size)) != SRV_E_OK ||
	    (rc = rq->ops->app_device_list_user(rq->db, rq->user.id, log_device_row, w)) != SRV_E_OK)
		return rc;
	for (i = 0; i < w->n; i++) {
		int64_t row = w->devs[i].auth_idx;
		w->devs[i].auth_idx = statement_index(rq, row, STORE_APP_AUTH, w->log_size);
		w->devs[i].revoke_idx = statement_index(rq, row, STORE_APP_REVOKE, w->log_size);
	}
	return SRV_E_OK;
}

static void log_devices_html(struct html *h, const struct log_devices *w, int64_t grant_id)
{
	size_t i;
	int any = 0;
	for (i = 0; i < w->n; i++) {
		const struct log_device *ld = &w->devs[i];
		if (ld->grant_id != grant_id)
			continue;
		html_raw(h, "%s", any ? "; " : "");
		any = 1;
		html_text(h, ld->name);
		html_raw(h, ": authorised ");
		log_index_html(h, ld->auth_idx, w->log_size);
		if (ld->revoke_idx >= 0) {
			html_raw(h, ", revoked ");
			log_index_html(h, ld->revoke_idx, w->log_size);
		}
	}
	if (!any)
		html_raw(h, "no device of it was authorised to read");
}

struct thread_list {
	struct req *rq;
	struct html *h;
	int n;
	enum srv_err rc;
};

static int thread_item(void *arg, const struct store_thread *t)
{
	struct thread_list *w = arg;
	html_raw(w->h, "<li>");
	w->rc = pageview_thread(w->rq, w->h, t->id, "with ");
	html_raw(w->h, "</li>");
	w->n++;
	return w->rc != SRV_E_OK;
}

/* One grant inside its app's card: what it allows, where, since when, until when. */
static enum srv_err grant_html(struct req *rq, struct html *h, const struct store_grant *g, const struct log_devices *devs)
{
	json_error_t jerr;
	json_t *details = json_loads(g->details, 0, &jerr);
	const char *p;
	enum srv_err rc = SRV_E_OK;
	enum grant_state st = state_of(g, rq->now);

	html_raw(h, "<div class=\"grant\"><dl class=\"facts\"><dt>Allowed</dt><dd>");
	for (p = g->scopes; *p;) { /* each scope in the consent page's words */
		char word[64];
		size_t n = strcspn(p, " ");
		const struct scope_def *d;
		snprintf(word, sizeof(word), "%.*s", (int)(n < 63 ? n : 63), p);
		d = scope_find(word);
		html_raw(h, "<div>");
		html_text(h, d ? d->plain : word);
		html_raw(h, "</div>");
		p += n;
		if (*p == ' ')
			p++;
	}
	html_raw(h, "</dd><dt>Conversations</dt><dd>");
	if (json_array_size(details))
		rc = pageview_details(rq, h, details);
	else {
		struct thread_list w = {rq, h, 0, SRV_E_OK};
		html_raw(h, "<ul class=\"plain\">");
		rc = rq->ops->grant_thread_list(rq->db, g->id, thread_item, &w, rq->user.id);
		if (rc == SRV_E_OK)
			rc = w.rc;
		html_raw(h, "</ul>");
		if (w.n == 0)
			html_raw(h, "<span class=\"muted\">only those it starts for you; none yet</span>");
	}
	json_decref(details);
	html_raw(h, "</dd><dt>Allowed on</dt><dd>");
	html_time(h, g->created_at);
	html_raw(h, "</dd><dt>Last used</dt><dd>");
	if (g->last_used_at)
		html_time(h, g->last_used_at);
	else
		html_raw(h, "never");
	html_raw(h, "</dd><dt>%s</dt><dd>", st == GRANT_ACTIVE ? "Access until" : st == GRANT_EXPIRED ? "Expired" : "Disconnected");
	html_time(h, st == GRANT_REMOVED ? g->revoked_at : g->expires_at);
	html_raw(h, "</dd><dt>Reads with</dt><dd>");
	log_devices_html(h, devs, g->id);
	html_raw(h, "</dd></dl></div>");
	return rc;
}

/* One section of the connected-apps page: a card per app that has grants in state st. */
static enum srv_err section_html(struct req *rq, struct html *h, const struct person_grants *p, enum grant_state st,
				 const struct log_devices *devs)
{
	static const char *const titles[] = {"Active", "Expired", "Removed"};
	static const char *const empty[] = {"No app can use your account now.", "None.", "None."};
	size_t i, k;
	int any = 0;
	enum srv_err rc = SRV_E_OK;
	html_raw(h, "<section aria-labelledby=\"s%d\"><h2 id=\"s%d\">%s</h2>", (int)st, (int)st, titles[st]);
	for (i = 0; rc == SRV_E_OK && i < p->n_apps; i++) {
		const struct app_grants *ag = &p->apps[i];
		if (ag->n[st] == 0)
			continue;
		any = 1;
		html_raw(h, "<article class=\"card\"><div class=\"app-head\"><h3>");
		html_text(h, ag->app.name);
		html_raw(h, "</h3><span class=\"muted small\">");
		if (ag->n[st] > 1)
			html_raw(h, "%zu consents", ag->n[st]);
		html_raw(h, "</span></div>");
		pageview_app_identity(h, &ag->app);
		for (k = 0; rc == SRV_E_OK && k < p->n_grants; k++)
			if (p->app_of[k] == (int64_t)i && state_of(&p->grants[k], rq->now) == st)
				rc = grant_html(rq, h, &p->grants[k], devs);
		if (st == GRANT_ACTIVE) {
			html_raw(h, "<div class=\"actions\"><a class=\"btn danger\" href=\"/account/apps/");
			html_attr(h, ag->app.client_id);
			html_raw(h, "/disconnect\">Disconnect ");
			html_text(h, ag->app.name);
			html_raw(h, "</a><a class=\"btn\" href=\"/account/access-log?app=");
			html_attr(h, ag->app.client_id);
			html_raw(h, "\">See what it did</a></div>");
		}
		html_raw(h, "</article>");
	}
	if (!any)
		html_raw(h, "<p class=\"muted\">%s</p>", empty[st]);
	html_raw(h, "</section>");
	return rc;
}

enum srv_err h_page_apps(struct req *rq)
{
	struct html h;
	struct person_grants p;
	struct log_devices *devs = NULL;
	const struct app_grants *done;
	enum srv_err rc;

	if (rq->cred != CRED_COOKIE)
		return oauth_login_page(rq, 200, NULL, "/account/apps", NULL);
	html_begin(&h, "Connected apps");
	if ((rc = person_grants_load(rq, &p)) != SRV_E_OK)
		goto out;
	if ((devs = calloc(1, sizeof(*devs))) == NULL) {
		rc = SRV_E_INTERNAL;
		goto out;
	}
	devs->rq = rq;
	if ((rc = log_devices_load(devs)) != SRV_E_OK)
		goto out;
	html_raw(&h, "<h1>Connected apps</h1>");
	pageview_tabs(&h, rq, "apps");
	done = person_app(&p, req_query(rq, "disconnected"));
	if (done && done->n[GRANT_ACTIVE] == 0) {
		html_raw(&h, "<p class=\"notice\" role=\"status\"><strong>");
		html_text(&h, done->app.name);
		html_raw(&h, "</strong> is disconnected. Its access has ended and its tokens no longer work.</p>");
	}
	html_raw(&h, "<p class=\"muted\">Apps you allowed to use your Postern account. Disconnecting an app stops it at once: "
		     "its tokens stop working, its open connections close, and the people in its conversations are told.</p>");
	if ((rc = section_html(rq, &h, &p, GRANT_ACTIVE, devs)) != SRV_E_OK ||
	    (rc = section_html(rq, &h, &p, GRANT_EXPIRED, devs)) != SRV_E_OK ||
	    (rc = section_html(rq, &h, &p, GRANT_REMOVED, devs)) != SRV_E_OK)
		goto out;
	html_raw(&h, "<p class=\"muted small\">An app reads your messages only on a device your identity key authorised; each "
		     "authorisation is in the server's transparency log (the number links to its proof). This page is the "
		     "server's word: your own client checks the proofs, and warns you of any authorisation your devices did "
		     "not make (<code>postern log verify</code>). Times are in UTC.</p>");
out:
	free(devs);
	person_grants_release(&p);
	if (rc != SRV_E_OK) {
		free(html_finish(&h));
		return rc;
	}
	return finish_page(rq, &h, 200);
}

/* ---- disconnecting an app ---- */

/*
 * The person's grants into *p and, in *ag, the app {params[0]} that still has a live grant among them; the
 * caller then releases *p. Otherwise *p is already released and *ag is NULL: a storage error is returned, or
 * the not-found page is set (for an app that is not connected, someone else's included) and SRV_E_OK returned.
 */
static enum srv_err connected_app(struct req *rq, struct person_grants *p, const struct app_grants **ag)
{
	enum srv_err rc = person_grants_load(rq, p);
	*ag = NULL;
	if (rc != SRV_E_OK) {
		person_grants_release(p);
		return rc;
	}
	*ag = person_app(p, rq->params[0]);
	if (*ag == NULL || (*ag)->n[GRANT_ACTIVE] == 0) {
		*ag = NULL;
		person_grants_release(p);
		return not_found_page(rq, "Nothing to disconnect", "No app by that name is connected to your account.");
	}
	return SRV_E_OK;
}

enum srv_err h_page_app_disconnect_confirm(struct req *rq)
{
	struct html h;
	struct person_grants p;
	const struct app_grants *ag;
	char csrf[AUTH_TOKEN_TEXT_LEN + 1];
	size_t k;
	enum srv_err rc;

	if (rq->cred != CRED_COOKIE)
		return oauth_login_page(rq, 200, NULL, "/account/apps", NULL);
	if ((rc = connected_app(rq, &p, &ag)) != SRV_E_OK || ag == NULL)
		return rc;
	auth_csrf_token(rq->session.id, csrf);
	html_begin(&h, "Disconnect the app?");
	html_raw(&h, "<h1>Disconnect ");
	html_text(&h, ag->app.name);
	html_raw(&h, "?</h1><section class=\"card\" aria-labelledby=\"stops\"><h2 id=\"stops\">What stops</h2><ul>"
		     "<li>Every permission you gave it ends now");
	if (ag->n[GRANT_ACTIVE] > 1)
		html_raw(&h, " (you allowed it %zu times; all of them end)", ag->n[GRANT_ACTIVE]);
	html_raw(&h, ".</li><li>Its tokens stop working and its open connections close at once.</li>"
		     "<li>It can no longer read, send or delete in these conversations:<ul>");
	for (k = 0; rc == SRV_E_OK && k < p.n_grants; k++)
		if (p.app_of[k] == ag - p.apps && state_of(&p.grants[k], rq->now) == GRANT_ACTIVE) {
			struct thread_list w = {rq, &h, 0, SRV_E_OK};
			rc = rq->ops->grant_thread_list(rq->db, p.grants[k].id, thread_item, &w, rq->user.id);
			if (rc == SRV_E_OK)
				rc = w.rc;
		}
	html_raw(&h, "<li class=\"muted\">and any it would have started for you</li></ul></li>"
		     "<li>The people in its conversations are told that it no longer acts for you.</li></ul>"
		     "<p class=\"muted\">What the app already received stays with it; its lines in your access log stay. "
		     "To use it again you would allow it again.</p></section><form method=\"post\" action=\"/account/apps/");
	html_attr(&h, ag->app.client_id);
	html_raw(&h, "/disconnect\"><input type=\"hidden\" name=\"csrf\" value=\"%s\"><div class=\"actions\">"
		     "<button class=\"danger\" type=\"submit\">Disconnect ", csrf);
	html_text(&h, ag->app.name);
	html_raw(&h, "</button><a class=\"btn\" href=\"/account/apps\">Cancel</a></div></form>");
	sodium_memzero(csrf, sizeof(csrf));
	person_grants_release(&p);
	if (rc != SRV_E_OK) {
		free(html_finish(&h));
		return rc;
	}
	return finish_page(rq, &h, 200);
}

enum srv_err h_page_app_disconnect(struct req *rq)
{
	struct person_grants p;
	const struct app_grants *ag;
	char enc[3 * STORE_ID_LEN + 1];
	size_t k;
	enum srv_err rc;

	if (rq->cred != CRED_COOKIE)
		return oauth_login_page(rq, 401, NULL, "/account/apps", "Sign in again to disconnect the app.");
	if (!auth_csrf_ok(rq->session.id, req_form(rq, "csrf")))
		return req_fail(rq, SRV_E_FORBIDDEN, "the form did not come from this session");
	if ((rc = connected_app(rq, &p, &ag)) != SRV_E_OK || ag == NULL)
		return rc;
	for (k = 0; rc == SRV_E_OK && k < p.n_grants; k++) /* every live grant of the app: one connection ends whole */
		if (p.app_of[k] == ag - p.apps && state_of(&p.grants[k], rq->now) == GRANT_ACTIVE)
			rc = partner_grant_revoke(rq, &p.grants[k]);
	if (rc == SRV_E_OK && html_urlencode(ag->app.client_id, enc, sizeof(enc)) != 0)
		rc = SRV_E_INTERNAL;
	person_grants_release(&p);
	if (rc != SRV_E_OK)
		return rc;
	return req_redirect(rq, 303, "/account/apps?disconnected=%s", enc);
}

/* The older one-grant form (POST /account/apps/{grant}/revoke), kept for links already out there. */
enum srv_err h_page_app_revoke(struct req *rq)
{
	struct store_grant g;
	struct store_app a;
	char enc[3 * STORE_ID_LEN + 1];
	enum srv_err rc;
	if (rq->cred != CRED_COOKIE)
		return oauth_login_page(rq, 401, NULL, "/account/apps", "Sign in again to disconnect the app.");
	if (!auth_csrf_ok(rq->session.id, req_form(rq, "csrf")))
		return req_fail(rq, SRV_E_FORBIDDEN, "the form did not come from this session");
	rc = rq->ops->grant_by_public(rq->db, rq->params[0], rq->user.id, &g);
	if (rc == SRV_E_OK)
		rc = partner_grant_revoke(rq, &g);
	if (rc == SRV_E_OK)
		rc = rq->ops->app_by_id(rq->db, g.app_id, &a);
	if (rc != SRV_E_OK)
		return rc;
	if (html_urlencode(a.client_id, enc, sizeof(enc)) != 0)
		return SRV_E_INTERNAL;
	return req_redirect(rq, 303, "/account/apps?disconnected=%s", enc);
}

/* ---- the access log ---- */

/*
 * The access log's actions in words for the page (the JSON keeps the codes): what was done, and what the
 * app tried when it was refused. `to`: the line's conversation names the recipients ("to bob").
 */
static const struct {
	const char *action, *done, *tried;
	int to;
} action_words[] = {
	{"grant.created", "You connected the app", "connect", 0},
	{"grant.revoked", "You disconnected the app", "disconnect", 0},
	{"grant.revoked.code_replay", "Disconnected: its sign-in code was used twice (someone may have copied it)", "", 0},
	{"grant.revoked.refresh_reuse", "Disconnected: its refresh token was used twice (someone may have copied it)", "", 0},
	{"grant.revoked.by_app", "The app disconnected itself", "", 0},
	{"friends.list", "Listed which of your friends use it", "list which of your friends use it", 0},
	{"shares.send", "Sent a share", "send a share", 1},
	{"threads.list", "Listed its conversations", "list its conversations", 0},
	{"threads.open", "Opened a conversation for a share", "open a conversation", 1},
	{"messages.read", "Read messages", "read messages", 0},
	{"messages.delete", "Deleted a message it had sent", "delete a message", 0},
	{"events.read", "Received new messages and events", "receive new messages and events", 0},
	{"events.wait", "Waited for new messages and events", "wait for new messages and events", 0},
	{"shares.repeat", "Sent a share again (already sent: nothing new)", "send a share again", 1},
	{"events.stream", "Opened its live connection", "open its live connection", 0},
	{"devices.register", "Registered its encryption device", "register an encryption device", 0},
	{"keys.share", "Shared its encryption keys with readers", "share its encryption keys", 0},
	{"keys.upload", "Uploaded its encryption device's prekeys", "upload prekeys", 0},
	{"keys.claim", "Took readers' prekeys to share its keys with them", "take readers' prekeys", 0},
	{"keys.count", "Counted its encryption device's prekeys", "count its prekeys", 0},
	{"share_page.pick", "You chose friends it may send to", "", 0},
	{"share_page.unpick", "You took back a friend it could send to", "", 0},
};

/* Refused calls: the prefix of their action, and why, in words. */
static const struct {
	const char *prefix, *why;
} refusal_words[] = {
	{"denied:", "not something your grant lets it reach"},
	{"denied.scope:", "not allowed by your grant"},
	{"denied.route:", "apps may not use your own account's"},
	{"denied.rate:", "over its agreed rate"},
};

/* The line's action as a sentence; *to says whether its conversation names recipients. */
static void action_html(struct html *h, const char *action, int *to)
{
	size_t i, r;
	*to = 0;
	for (r = 0; r < sizeof(refusal_words) / sizeof(refusal_words[0]); r++)
		if (strncmp(action, refusal_words[r].prefix, strlen(refusal_words[r].prefix)) == 0)
			break;
	if (r < sizeof(refusal_words) / sizeof(refusal_words[0])) {
		const char *what = action + strlen(refusal_words[r].prefix);
		html_raw(h, "<span class=\"refused\">Tried to ");
		for (i = 0; i < sizeof(action_words) / sizeof(action_words[0]); i++)
			if (strcmp(action_words[i].action, what) == 0 && action_words[i].tried[0])
				break;
		if (i < sizeof(action_words) / sizeof(action_words[0]))
			html_text(h, action_words[i].tried);
		else {
			html_raw(h, "call ");
			html_text(h, what);
		}
		html_raw(h, " — refused</span>: ");
		html_text(h, refusal_words[r].why);
		if (strcmp(refusal_words[r].prefix, "denied.route:") == 0) {
			html_raw(h, " <code>");
			html_text(h, what);
			html_raw(h, "</code>");
		}
		return;
	}
	for (i = 0; i < sizeof(action_words) / sizeof(action_words[0]); i++)
		if (strcmp(action_words[i].action, action) == 0) {
			html_text(h, action_words[i].done);
			*to = action_words[i].to;
			return;
		}
	html_text(h, action);
}

struct log_walk {
	struct req *rq;
	struct html *h;
	const struct person_grants *p;
	int want, got;
	int64_t last_id;
	unsigned char log_key[TLOG_HASH_BYTES];
	int have_log_key;
	int64_t log_size;
	enum srv_err rc;
};

static int log_line(void *arg, const struct store_access_entry *e)
{
	struct log_walk *w = arg;
	struct html *h = w->h;
	const struct app_grants *ag = person_app(w->p, e->app_client_id);
	int64_t idx = -1;
	int to = 0;
	if (w->got == w->want) {
		w->got++;
		return 1;
	}
	w->got++;
	w->last_id = e->id;
	html_raw(h, "<li><div class=\"app-head\"><strong>");
	if (e->app_client_id[0]) {
		html_raw(h, "<a href=\"/account/access-log?app=");
		html_attr(h, e->app_client_id);
		html_raw(h, "\">");
		html_text(h, e->app_name);
		html_raw(h, "</a>");
	} else
		html_raw(h, "an app since deleted");
	html_raw(h, "</strong><span class=\"muted small\">");
	html_time(h, e->at);
	html_raw(h, "</span></div><p>");
	action_html(h, e->action, &to);
	if (e->thread_public_id[0]) {
		struct store_thread t;
		/* a share's app thread holds the person and the recipient: "to bob" */
		html_raw(h, to ? " " : ", in the conversation ");
		if (w->rq->ops->thread_for_member(w->rq->db, e->thread_public_id, w->rq->user.id, &t) == SRV_E_OK)
			w->rc = pageview_thread(w->rq, h, t.id, to ? "to " : "with ");
		else
			html_raw(h, "%s", to ? "in a conversation you are not in" : "you are not in");
	}
	if (e->count > 1)
		html_raw(h, " <span class=\"muted\">(%" PRId64 " items)</span>", e->count);
	html_raw(h, "</p><p class=\"small muted\">Transparency log: ");
	if (!w->have_log_key || tlog_access_index(w->rq->ops, w->rq->db, w->log_key, e, w->log_size, &idx) != SRV_E_OK)
		idx = -1;
	log_index_html(h, idx, w->log_size);
	if (ag && ag->n[GRANT_ACTIVE]) {
		html_raw(h, " · <a href=\"/account/apps/");
		html_attr(h, ag->app.client_id);
		html_raw(h, "/disconnect\">Disconnect ");
		html_text(h, ag->app.name);
		html_raw(h, "</a>");
	}
	html_raw(h, "</p></li>");
	return w->rc != SRV_E_OK;
}

enum srv_err h_page_access_log(struct req *rq)
{
	struct html h;
	struct person_grants p;
	struct log_walk w = {.rq = rq, .h = &h, .p = &p, .want = PAGE_LOG_LINES, .rc = SRV_E_OK};
	const char *cursor = req_query(rq, "cursor"), *filter = req_query(rq, "app");
	const struct app_grants *only = NULL;
	int64_t before = 0;
	size_t i;
	enum srv_err rc;

	if (rq->cred != CRED_COOKIE)
		return oauth_login_page(rq, 200, NULL, "/account/access-log", NULL);
	if (cursor && strnum_parse_cstr(cursor, 1, INT64_MAX, &before) != 0)
		return req_fail(rq, SRV_E_INVALID_CURSOR, "bad 'cursor'");
	if (filter && filter[0] == '\0')
		filter = NULL;
	html_begin(&h, "Access log");
	if ((rc = person_grants_load(rq, &p)) != SRV_E_OK)
		goto out;
	if (filter && (only = person_app(&p, filter)) == NULL) { /* not one of the person's apps: as if none */
		person_grants_release(&p);
		free(html_finish(&h));
		return not_found_page(rq, "No such app", "None of the apps you connected has that id.");
	}
	if ((rc = rq->ops->tlog_size(rq->db, &w.log_size)) != SRV_E_OK)
		goto out;
	if ((rc = rq->ops->user_log_key(rq->db, rq->user.id, NULL, w.log_key)) == SRV_E_OK)
		w.have_log_key = 1;
	else if (rc != SRV_E_NOT_FOUND)
		goto out;
	html_raw(&h, "<h1>What apps did with your account</h1>");
	pageview_tabs(&h, rq, "log");
	html_raw(&h, "<form class=\"card row\" method=\"get\" action=\"/account/access-log\"><div><label for=\"app\">Show</label>"
		     "<select id=\"app\" name=\"app\"><option value=\"\">All apps</option>");
	for (i = 0; i < p.n_apps; i++) {
		html_raw(&h, "<option value=\"");
		html_attr(&h, p.apps[i].app.client_id);
		html_raw(&h, "\"%s>", only == &p.apps[i] ? " selected" : "");
		html_text(&h, p.apps[i].app.name);
		html_raw(&h, "</option>");
	}
	html_raw(&h, "</select></div><button type=\"submit\">Show</button></form>");
	if (only) {
		html_raw(&h, "<div class=\"card\"><div class=\"app-head\"><h2>");
		html_text(&h, only->app.name);
		html_raw(&h, "</h2><span class=\"muted small\">%s</span></div>", only->n[GRANT_ACTIVE] ? "connected" : "not connected");
		pageview_app_identity(&h, &only->app);
		if (only->n[GRANT_ACTIVE]) {
			html_raw(&h, "<div class=\"actions\"><a class=\"btn danger\" href=\"/account/apps/");
			html_attr(&h, only->app.client_id);
			html_raw(&h, "/disconnect\">Disconnect ");
			html_text(&h, only->app.name);
			html_raw(&h, "</a></div>");
		}
		html_raw(&h, "</div>");
	}
	html_raw(&h, "<p class=\"muted small\">Newest first. Times are in UTC (coordinated universal time).</p><ol class=\"log\">");
	rc = rq->ops->access_list(rq->db, rq->user.id, only ? only->app.id : 0, before, PAGE_LOG_LINES + 1, log_line, &w);
	if (rc == SRV_E_OK)
		rc = w.rc;
	html_raw(&h, "</ol>");
	if (w.got == 0)
		html_raw(&h, "<p class=\"muted\">Nothing yet.</p>");
	if (w.got > w.want) {
		html_raw(&h, "<p><a class=\"btn\" href=\"/account/access-log?cursor=%" PRId64, w.last_id);
		if (only) {
			html_raw(&h, "&amp;app=");
			html_attr(&h, only->app.client_id);
		}
		html_raw(&h, "\">Older entries</a></p>");
	}
	html_raw(&h, "<p class=\"muted small\">Each line is also in the server's transparency log, as a commitment only your key "
		     "opens (the number links to its proof). This page is the server's word: <code>postern access-log</code> "
		     "checks each line's proof on your own device.</p>");
out:
	sodium_memzero(w.log_key, sizeof(w.log_key));
	person_grants_release(&p);
	if (rc != SRV_E_OK) {
		free(html_finish(&h));
		return rc;
	}
	return finish_page(rq, &h, 200);
}
