/*
 * h_me.c — what a person sees of the partner platform: connected apps (grants) with revocation, the
 * access log, the same two as server-rendered pages that work without JavaScript, the share page where a
 * person picks which friends an app may send to, and the partner's report endpoint.
 */
#include "handlers.h"

#include "auth.h"
#include "events.h"
#include "html.h"
#include "jsonv.h"
#include "partner.h"
#include "reports.h"
#include "routes.h"
#include "scopes.h"
#include "strnum.h"
#include "timefmt.h"
#include "tlog.h"
#include "views.h"

#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "banned.h" /* last: bans footguns in this file only */

/* A leaf index as a link to its inclusion proof in the tree of size, or a warning when there is none. */
static void html_log_index(struct html *h, int64_t idx, int64_t size)
{
	if (idx < 0)
		html_raw(h, "<span class=\"warn\">not in the log</span>");
	else
		html_raw(h, "<a href=\"/v1/log/proof/inclusion?index=%" PRId64 "&amp;size=%" PRId64 "\">#%" PRId64 "</a>", idx, size, idx);
}

/* ---- grants ---- */

static int grant_active(const struct store_grant *g, int64_t now)
{
	return g->revoked_at == 0 && g->expires_at > now;
}

/* An app device of the person's, as the connected-apps page shows it: where its signed authorisation and
 * revocation are in the transparency log (-1: not there). */
struct log_device {
	int64_t grant_id;
	char name[STORE_NAME_LEN];
	int64_t auth_idx, revoke_idx;
};

#define PAGE_LOG_DEVICES 64

struct grant_walk {
	struct req *rq;
	json_t *arr;
	struct html *page;
	char csrf[AUTH_TOKEN_TEXT_LEN + 1];
	enum srv_err rc;
	struct log_device devs[PAGE_LOG_DEVICES];
	size_t n_devs;
	int64_t log_size;
};

static json_t *view_grant(const struct store_grant *g, const struct store_app *a, int64_t now)
{
	json_error_t jerr;
	json_t *details = json_loads(g->details, 0, &jerr);
	return json_pack("{s:s,s:{s:s,s:s},s:s,s:o,s:o,s:o,s:o,s:o,s:b}", "grant_id", g->public_id, "app", "client_id",
			 a->client_id, "name", a->name, "scope", g->scopes, "authorization_details", details ? details : json_array(),
			 "created_at", view_time(g->created_at), "expires_at", view_time(g->expires_at), "last_used_at",
			 g->last_used_at ? view_time(g->last_used_at) : json_null(), "revoked_at",
			 g->revoked_at ? view_time(g->revoked_at) : json_null(), "active", grant_active(g, now));
}

/* The name app shows for the person, as {"alias","chosen"}; NULL on a storage error (w->rc set). */
static json_t *view_alias(struct req *rq, int64_t app_id, enum srv_err *rc)
{
	char alias[PARTNER_ALIAS_LEN];
	int chosen = 0;
	*rc = partner_alias(rq, app_id, rq->user.id, alias, &chosen);
	return *rc == SRV_E_OK ? json_pack("{s:s,s:b}", "alias", alias, "chosen", chosen) : NULL;
}

static int grant_json_row(void *arg, const struct store_grant *g, const struct store_app *a)
{
	struct grant_walk *w = arg;
	json_t *v = view_grant(g, a, w->rq->now), *alias = view_alias(w->rq, a->id, &w->rc);
	if (alias == NULL || v == NULL) {
		json_decref(v);
		json_decref(alias);
		if (w->rc == SRV_E_OK)
			w->rc = SRV_E_INTERNAL;
		return 1;
	}
	json_object_update(v, alias); /* "alias", "chosen": what this app calls the person */
	json_decref(alias);
	json_array_append_new(w->arr, v);
	return 0;
}

enum srv_err h_me_grants(struct req *rq)
{
	struct grant_walk w = {.rq = rq, .arr = json_array(), .rc = SRV_E_OK};
	enum srv_err rc = rq->ops->grant_list_user(rq->db, rq->user.id, grant_json_row, &w);
	if (rc == SRV_E_OK)
		rc = w.rc;
	if (rc != SRV_E_OK) {
		json_decref(w.arr);
		return rc;
	}
	return req_reply(rq, 200, json_pack("{s:o}", "grants", w.arr));
}

enum srv_err h_me_grant_revoke(struct req *rq)
{
	struct store_grant g;
	enum srv_err rc = rq->ops->grant_by_public(rq->db, rq->params[0], rq->user.id, &g);
	if (rc == SRV_E_OK)
		rc = partner_grant_revoke(rq, &g);
	if (rc != SRV_E_OK)
		return rc;
	return req_reply(rq, 204, NULL);
}

/*
 * PUT /v1/me/grants/{id}/alias {"alias": NAME | null}: the name the app of that grant shows for the person
 * (to every grant of that app); null goes back to the default. Any grant of theirs, live or not: the app
 * keeps what it learnt, and a new grant of the same app finds the name again.
 */
enum srv_err h_me_grant_alias(struct req *rq)
{
	struct store_grant g;
	struct store_app a;
	json_t *v = json_object_get(rq->body, "alias"), *out;
	const char *alias = NULL;
	enum srv_err rc;

	if (v == NULL || (!json_is_null(v) && !json_is_string(v)))
		return req_fail(rq, SRV_E_INVALID_FIELD, "'alias' must be a string, or null for the default");
	if (json_is_string(v)) {
		alias = json_string_value(v);
		if (strlen(alias) != json_string_length(v))
			return req_fail(rq, SRV_E_INVALID_FIELD, "'alias' must not contain control characters");
		if ((rc = partner_alias_check(rq, alias)) != SRV_E_OK)
			return rc;
	}
	if ((rc = rq->ops->grant_by_public(rq->db, rq->params[0], rq->user.id, &g)) != SRV_E_OK ||
	    (rc = rq->ops->app_by_id(rq->db, g.app_id, &a)) != SRV_E_OK ||
	    (rc = rq->ops->alias_set(rq->db, g.app_id, rq->user.id, alias)) != SRV_E_OK)
		return rc;
	if ((out = view_alias(rq, g.app_id, &rc)) == NULL)
		return rc != SRV_E_OK ? rc : SRV_E_INTERNAL;
	json_object_set_new(out, "grant_id", json_string(g.public_id));
	json_object_set_new(out, "app", json_pack("{s:s,s:s}", "client_id", a.client_id, "name", a.name));
	return req_reply(rq, 200, out);
}

/* ---- the access log ---- */

/* The access log's actions in words, for the page (the JSON keeps the codes). */
static const struct {
	const char *action, *words;
} action_words[] = {
	{"grant.created", "You connected the app"},
	{"grant.revoked", "You disconnected the app"},
	{"grant.revoked.code_replay", "Disconnected: its login code was used twice (someone may have copied it)"},
	{"grant.revoked.refresh_reuse", "Disconnected: its refresh token was used twice (someone may have copied it)"},
	{"grant.revoked.by_app", "The app disconnected itself"},
	{"friends.list", "Listed which of your friends use it"},
	{"shares.send", "Sent a share for you"},
	{"threads.list", "Listed its conversations"},
	{"threads.open", "Opened a conversation for a share"},
	{"messages.read", "Read messages"},
	{"messages.delete", "Deleted a message it had sent"},
	{"events.read", "Received new messages and events"},
	{"events.wait", "Waited for new messages and events"},
	{"shares.repeat", "Sent a share again (already sent: nothing new)"},
	{"events.stream", "Opened its live connection"},
	{"devices.register", "Registered its encryption device"},
	{"keys.share", "Shared its encryption keys with readers"},
	{"keys.upload", "Uploaded its encryption device's prekeys"},
	{"keys.claim", "Took readers' prekeys to share its keys with them"},
	{"keys.count", "Counted its encryption device's prekeys"},
	{"share_page.pick", "You chose friends it may send to"},
};

/* Refused calls: the prefix of their action, in words. */
static const struct {
	const char *prefix, *words;
} refusal_words[] = {
	{"denied:", "Refused: "},
	{"denied.scope:", "Refused, you did not allow it: "},
	{"denied.route:", "Refused, apps may not call your own account's "},
	{"denied.rate:", "Refused, over its agreed rate: "},
};

static void html_action(struct html *h, const char *action)
{
	size_t i;
	for (i = 0; i < sizeof(refusal_words) / sizeof(refusal_words[0]); i++)
		if (strncmp(action, refusal_words[i].prefix, strlen(refusal_words[i].prefix)) == 0) {
			html_raw(h, "<span class=\"warn\">");
			html_text(h, refusal_words[i].words);
			html_raw(h, "</span>");
			action += strlen(refusal_words[i].prefix);
			break;
		}
	for (i = 0; i < sizeof(action_words) / sizeof(action_words[0]); i++)
		if (strcmp(action_words[i].action, action) == 0) {
			html_text(h, action_words[i].words);
			return;
		}
	html_text(h, action);
}

struct access_walk {
	json_t *arr;
	struct html *page;
	int want, got;
	int64_t last_id;
	struct req *rq;    /* the page only: each line's place in the transparency log */
	unsigned char log_key[TLOG_HASH_BYTES];
	int have_log_key;
	int64_t log_size;
};

static int access_row(void *arg, const struct store_access_entry *e)
{
	struct access_walk *w = arg;
	if (w->got == w->want) {
		w->got++;
		return 1;
	}
	w->got++;
	w->last_id = e->id;
	if (w->arr)
		json_array_append_new(w->arr, json_pack("{s:I,s:o,s:{s:s},s:s?,s:s,s:s?,s:s?,s:I}", "seq", (json_int_t)e->seq, "at",
							view_time(e->at), "app", "name", e->app_name, "grant_id",
							e->grant_public_id[0] ? e->grant_public_id : NULL, "action", e->action, "thread_id",
							e->thread_public_id[0] ? e->thread_public_id : NULL, "message_id",
							e->message_public_id[0] ? e->message_public_id : NULL, "count", (json_int_t)e->count));
	if (w->page) {
		html_raw(w->page, "<tr><td data-l=\"When\">");
		html_time(w->page, e->at);
		html_raw(w->page, "</td><td data-l=\"App\">");
		html_text(w->page, e->app_name);
		html_raw(w->page, "</td><td data-l=\"Action\">");
		html_action(w->page, e->action);
		html_raw(w->page, "</td><td class=\"muted\" data-l=\"Conversation\">");
		html_text(w->page, e->thread_public_id);
		html_raw(w->page, "</td><td data-l=\"Items\">%lld</td><td data-l=\"Transparency log\">", (long long)e->count);
		{
			int64_t idx = -1;
			if (!w->have_log_key || tlog_access_index(w->rq->ops, w->rq->db, w->log_key, e, w->log_size, &idx) != SRV_E_OK)
				idx = -1;
			html_log_index(w->page, idx, w->log_size);
		}
		html_raw(w->page, "</td></tr>");
	}
	return 0;
}

static enum srv_err access_page(struct req *rq, struct access_walk *w, int64_t *next)
{
	int64_t before = 0, limit;
	const char *cursor = req_query(rq, "cursor");
	enum srv_err rc;
	if ((rc = jsonv_query_int(rq, "limit", 1, 200, 50, &limit)) != SRV_E_OK)
		return rc;
	if (cursor && strnum_parse_cstr(cursor, 1, INT64_MAX, &before) != 0)
		return req_fail(rq, SRV_E_INVALID_CURSOR, "bad 'cursor'");
	w->want = (int)limit;
	rc = rq->ops->access_list(rq->db, rq->user.id, before, (int)limit + 1, access_row, w);
	*next = w->got > w->want ? w->last_id : 0;
	return rc;
}

enum srv_err h_me_access_log(struct req *rq)
{
	struct access_walk w = {.arr = json_array()};
	int64_t next = 0;
	char buf[24];
	enum srv_err rc = access_page(rq, &w, &next);
	if (rc != SRV_E_OK) {
		json_decref(w.arr);
		return rc;
	}
	snprintf(buf, sizeof(buf), "%" PRId64, next);
	return req_reply(rq, 200, json_pack("{s:o,s:o}", "entries", w.arr, "next_cursor", next ? json_string(buf) : json_null()));
}

/* ---- pages ---- */

static enum srv_err finish_page(struct req *rq, struct html *h)
{
	rq->html = html_finish(h);
	rq->status = 200;
	return rq->html ? SRV_E_OK : SRV_E_INTERNAL;
}

static void nav(struct html *h, const struct req *rq)
{
	html_raw(h, "<p class=\"muted\">Signed in as ");
	html_text(h, rq->user.username);
	html_raw(h, " · <a href=\"/account/apps\">Connected apps</a> · <a href=\"/account/access-log\">Access log</a></p>");
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
	struct grant_walk *w = arg;
	struct log_device *ld;
	if (w->n_devs == PAGE_LOG_DEVICES)
		return 1;
	ld = &w->devs[w->n_devs++];
	ld->grant_id = d->grant_id;
	snprintf(ld->name, sizeof(ld->name), "%s", d->name);
	ld->auth_idx = d->id; /* the device's row id until the statements are looked up below */
	ld->revoke_idx = -1;
	return 0;
}

/* The person's app devices with the log indexes of their authorisations and revocations. */
static enum srv_err log_devices_load(struct grant_walk *w)
{
	struct req *rq = w->rq;
	size_t i;
	enum srv_err rc;
	if ((rc = rq->ops->tlog_size(rq->db, &w->log_size)) != SRV_E_OK ||
	    (rc = rq->ops->app_device_list_user(rq->db, rq->user.id, log_device_row, w)) != SRV_E_OK)
		return rc;
	for (i = 0; i < w->n_devs; i++) {
		int64_t row = w->devs[i].auth_idx;
		w->devs[i].auth_idx = statement_index(rq, row, STORE_APP_AUTH, w->log_size);
		w->devs[i].revoke_idx = statement_index(rq, row, STORE_APP_REVOKE, w->log_size);
	}
	return SRV_E_OK;
}

/* The "In the transparency log" cell of a grant: each of its devices' signed authorisation and revocation. */
static void log_devices_html(struct grant_walk *w, int64_t grant_id)
{
	size_t i;
	int any = 0;
	for (i = 0; i < w->n_devs; i++) {
		const struct log_device *ld = &w->devs[i];
		if (ld->grant_id != grant_id)
			continue;
		any = 1;
		html_raw(w->page, "<div>");
		html_text(w->page, ld->name);
		html_raw(w->page, ": authorised ");
		html_log_index(w->page, ld->auth_idx, w->log_size);
		if (ld->revoke_idx >= 0) {
			html_raw(w->page, ", revoked ");
			html_log_index(w->page, ld->revoke_idx, w->log_size);
		}
		html_raw(w->page, "</div>");
	}
	if (!any)
		html_text(w->page, "no device authorised to read");
}

static int grant_html_row(void *arg, const struct store_grant *g, const struct store_app *a)
{
	struct grant_walk *w = arg;
	int active = grant_active(g, w->rq->now);
	const char *p;
	html_raw(w->page, "<tr><td data-l=\"App\"><strong>");
	html_text(w->page, a->name);
	html_raw(w->page, "</strong></td><td data-l=\"Allowed\">");
	for (p = g->scopes; *p;) { /* each scope in the consent page's words */
		char word[64];
		size_t n = strcspn(p, " ");
		const struct scope_def *d;
		snprintf(word, sizeof(word), "%.*s", (int)(n < 63 ? n : 63), p);
		d = scope_find(word);
		html_raw(w->page, "<div>");
		html_text(w->page, d ? d->plain : word);
		html_raw(w->page, "</div>");
		p += n;
		if (*p == ' ')
			p++;
	}
	html_raw(w->page, "</td><td data-l=\"Granted\">");
	html_time(w->page, g->created_at);
	html_raw(w->page, "</td><td data-l=\"Last used\">");
	if (g->last_used_at)
		html_time(w->page, g->last_used_at);
	else
		html_text(w->page, "never");
	html_raw(w->page, "</td><td data-l=\"Expires\">");
	if (active)
		html_time(w->page, g->expires_at);
	else
		html_text(w->page, g->revoked_at ? "disconnected" : "expired");
	html_raw(w->page, "</td><td data-l=\"Reads with (transparency log)\">");
	log_devices_html(w, g->id);
	html_raw(w->page, "</td><td>");
	if (active) {
		html_raw(w->page, "<form method=\"post\" action=\"/account/apps/");
		html_attr(w->page, g->public_id);
		html_raw(w->page, "/revoke\"><input type=\"hidden\" name=\"csrf\" value=\"%s\"><button type=\"submit\">Disconnect</button></form>",
			 w->csrf);
	}
	html_raw(w->page, "</td></tr>");
	return 0;
}

enum srv_err h_page_apps(struct req *rq)
{
	struct html h;
	struct grant_walk w = {.rq = rq, .page = &h, .rc = SRV_E_OK};
	enum srv_err rc;
	if (rq->cred != CRED_COOKIE)
		return oauth_login_page(rq, 200, "/account/apps", NULL);
	auth_csrf_token(rq->session.id, w.csrf);
	html_begin(&h, "Connected apps");
	html_raw(&h, "<h1>Connected apps</h1>");
	nav(&h, rq);
	html_raw(&h, "<table><tr><th>App</th><th>Allowed</th><th>Granted</th><th>Last used</th><th>Expires</th>"
		     "<th>Reads with (transparency log)</th><th></th></tr>");
	rc = log_devices_load(&w);
	if (rc == SRV_E_OK)
		rc = rq->ops->grant_list_user(rq->db, rq->user.id, grant_html_row, &w);
	html_raw(&h, "</table><p class=\"muted\">Disconnecting an app stops it at once: its tokens stop working, its open "
		     "connections close, and the people in its conversations are told.</p>"
		     "<p class=\"muted\">An app reads your messages only on a device your identity key authorised; each "
		     "authorisation is in the server's transparency log (the number links to its proof). This page is the "
		     "server's word: your own client checks the proofs, and warns you of any authorisation your devices did "
		     "not make (<code>postern log verify</code>).</p>");
	if (rc != SRV_E_OK) {
		free(html_finish(&h));
		return rc;
	}
	return finish_page(rq, &h);
}

enum srv_err h_page_app_revoke(struct req *rq)
{
	struct store_grant g;
	enum srv_err rc;
	if (rq->cred != CRED_COOKIE)
		return oauth_login_page(rq, 401, "/account/apps", "Log in again to disconnect the app.");
	if (!auth_csrf_ok(rq->session.id, req_form(rq, "csrf")))
		return req_fail(rq, SRV_E_FORBIDDEN, "the form did not come from this session");
	rc = rq->ops->grant_by_public(rq->db, rq->params[0], rq->user.id, &g);
	if (rc == SRV_E_OK)
		rc = partner_grant_revoke(rq, &g);
	if (rc != SRV_E_OK)
		return rc;
	return req_redirect(rq, 303, "/account/apps");
}

enum srv_err h_page_access_log(struct req *rq)
{
	struct html h;
	struct access_walk w = {.page = &h, .rq = rq};
	int64_t next = 0;
	enum srv_err rc;
	if (rq->cred != CRED_COOKIE)
		return oauth_login_page(rq, 200, "/account/access-log", NULL);
	if ((rc = rq->ops->tlog_size(rq->db, &w.log_size)) != SRV_E_OK)
		return rc;
	if ((rc = rq->ops->user_log_key(rq->db, rq->user.id, NULL, w.log_key)) == SRV_E_OK)
		w.have_log_key = 1;
	else if (rc != SRV_E_NOT_FOUND)
		return rc;
	html_begin(&h, "Access log");
	html_raw(&h, "<h1>What apps did with your account</h1>");
	nav(&h, rq);
	html_raw(&h, "<table><tr><th>When (UTC)</th><th>App</th><th>Action</th><th>Conversation</th><th>Items</th>"
		     "<th>Transparency log</th></tr>");
	rc = access_page(rq, &w, &next);
	sodium_memzero(w.log_key, sizeof(w.log_key));
	html_raw(&h, "</table><p class=\"muted\">Each line is also in the server's transparency log, as a commitment "
		     "only your key opens (the number links to its proof). This page is the server's word: "
		     "<code>postern access-log</code> checks each line's proof on your own device.</p>");
	if (next)
		html_raw(&h, "<p><a href=\"/account/access-log?cursor=%" PRId64 "\">Older entries</a></p>", next);
	if (rc != SRV_E_OK) {
		free(html_finish(&h));
		return rc;
	}
	return finish_page(rq, &h);
}

/* ---- the share page ---- */

struct pick_walk {
	struct html *page;
};

static int pick_row(void *arg, const struct store_friend *f)
{
	struct pick_walk *w = arg;
	html_raw(w->page, "<p><label><input type=\"checkbox\" name=\"f_");
	html_attr(w->page, f->user.public_id);
	html_raw(w->page, "\" value=\"1\"> ");
	html_text(w->page, f->user.username);
	html_raw(w->page, "</label></p>");
	return 0;
}

/* The live grant of rq's user for the app named by client_id (with messages:send), and a good redirect URI. */
static enum srv_err share_context(struct req *rq, int from_form, struct store_grant *g)
{
	const char *cid = from_form ? req_form(rq, "client_id") : req_query(rq, "client_id");
	const char *redirect = from_form ? req_form(rq, "redirect_uri") : req_query(rq, "redirect_uri");
	json_error_t jerr;
	json_t *uris, *v;
	size_t i;
	int ok = 0;
	struct grant_find {
		int64_t app;
		struct store_grant *g;
		int found;
	};
	enum srv_err rc;

	if (cid == NULL || redirect == NULL || strlen(cid) >= STORE_ID_LEN || req_app(rq) == NULL)
		return SRV_E_NOT_FOUND;
	rc = rq->ops->app_by_client_id(rq->db, cid, rq->app);
	if (rc == SRV_E_NOT_FOUND || (rc == SRV_E_OK && rq->app->suspended))
		return SRV_E_NOT_FOUND;
	if (rc != SRV_E_OK) /* a storage failure is no fault of the visitor's */
		return rc;
	if ((uris = json_loads(rq->app->redirect_uris, 0, &jerr)) == NULL)
		return SRV_E_INTERNAL; /* stored as valid JSON: only memory runs out here */
	json_array_foreach(uris, i, v) if (json_is_string(v) && strcmp(json_string_value(v), redirect) == 0) ok = 1;
	json_decref(uris);
	if (!ok)
		return SRV_E_NOT_FOUND;
	if (rq->cred != CRED_COOKIE)
		return SRV_E_UNAUTHORIZED;
	(void)g;
	return rq->ops->grant_live_check(rq->db, rq->app->id, rq->user.id, "messages:send", rq->now);
}

enum srv_err h_page_share(struct req *rq)
{
	struct html h;
	struct pick_walk w = {&h};
	char csrf[AUTH_TOKEN_TEXT_LEN + 1];
	const char *state = req_query(rq, "state");
	enum srv_err rc = share_context(rq, 0, NULL);

	if (rc == SRV_E_UNAUTHORIZED) {
		char back[4096];
		snprintf(back, sizeof(back), "/oauth/share");
		/* come back to the same page after logging in */
		{
			static const char *const keys[] = {"client_id", "redirect_uri", "state"};
			size_t i;
			for (i = 0; i < 3; i++) {
				char enc[2048];
				const char *v = req_query(rq, keys[i]);
				if (v && html_urlencode(v, enc, sizeof(enc)) == 0)
					snprintf(back + strlen(back), sizeof(back) - strlen(back), "%s%s=%s", strchr(back, '?') ? "&" : "?",
						 keys[i], enc);
			}
		}
		return oauth_login_page(rq, 200, back, NULL);
	}
	if (rc != SRV_E_OK) {
		html_begin(&h, "This link cannot be used");
		html_raw(&h, "<h1>This link cannot be used</h1><p>The app is unknown, sent a wrong return address, or you have not "
			     "allowed it to send shares.</p>");
		rq->html = html_finish(&h);
		rq->status = 400;
		return rq->html ? SRV_E_OK : SRV_E_INTERNAL;
	}
	auth_csrf_token(rq->session.id, csrf);
	html_begin(&h, "Share with friends");
	html_raw(&h, "<h1>Who may ");
	html_text(&h, rq->app->name);
	html_raw(&h, " send shares to?</h1><p>The app learns only the friends you tick here, under names only it knows.</p>"
		     "<form method=\"post\" action=\"/oauth/share\">");
	html_raw(&h, "<input type=\"hidden\" name=\"client_id\" value=\"");
	html_attr(&h, rq->app->client_id);
	html_raw(&h, "\"><input type=\"hidden\" name=\"redirect_uri\" value=\"");
	html_attr(&h, req_query(rq, "redirect_uri"));
	html_raw(&h, "\"><input type=\"hidden\" name=\"state\" value=\"");
	html_attr(&h, state ? state : "");
	html_raw(&h, "\"><input type=\"hidden\" name=\"csrf\" value=\"%s\"><fieldset>", csrf);
	rc = rq->ops->friend_list(rq->db, rq->user.id, pick_row, &w);
	html_raw(&h, "</fieldset><p><button type=\"submit\" name=\"decision\" value=\"share\">Continue</button>"
		     "<button type=\"submit\" name=\"decision\" value=\"cancel\">Cancel</button></p></form>");
	if (rc != SRV_E_OK) {
		free(html_finish(&h));
		return rc;
	}
	return finish_page(rq, &h);
}

struct grant_pick {
	struct req *rq;
	int64_t grant_id;
};

static int find_grant(void *arg, const struct store_grant *g, const struct store_app *a)
{
	struct grant_pick *p = arg;
	if (a->id == p->rq->app->id && grant_active(g, p->rq->now) && scope_has(g->scopes, "messages:send") && p->grant_id == 0)
		p->grant_id = g->id;
	return 0;
}

/*
 * The picks come back to the app as "friends=p_a,p_b": each a pairwise id written in full, or the answer is
 * an error (a storage failure midway answers 5xx and rolls the permits back; it never sends what it has).
 */
enum srv_err h_page_share_post(struct req *rq)
{
	const char *state = req_form(rq, "state"), *decision = req_form(rq, "decision");
	struct grant_pick gp = {rq, 0};
	char *list = NULL;
	size_t listlen = 0;
	FILE *mem = NULL;
	int i, picked = 0;
	enum srv_err rc = share_context(rq, 1, NULL);

	if (rc == SRV_E_UNAUTHORIZED)
		return oauth_login_page(rq, 401, NULL, "Your session ended. Start again from the app.");
	if (rc != SRV_E_OK)
		return rc == SRV_E_NOT_FOUND ? req_fail(rq, SRV_E_BAD_REQUEST, "unknown app, wrong redirect_uri, or no grant to send shares")
					     : rc;
	if (!auth_csrf_ok(rq->session.id, req_form(rq, "csrf")))
		return req_fail(rq, SRV_E_FORBIDDEN, "the form did not come from this session");
	rc = rq->ops->grant_list_user(rq->db, rq->user.id, find_grant, &gp);
	if (rc == SRV_E_OK && (mem = open_memstream(&list, &listlen)) == NULL)
		rc = SRV_E_INTERNAL;
	for (i = 0; rc == SRV_E_OK && decision && strcmp(decision, "share") == 0 && i < rq->nform; i++) {
		struct store_user u;
		char pw[PARTNER_PAIRWISE_LEN];
		if (strncmp(rq->form[i].key, "f_", 2) != 0)
			continue;
		rc = rq->ops->user_by_public(rq->db, rq->form[i].key + 2, &u);
		if (rc == SRV_E_OK)
			rc = rq->ops->friend_check(rq->db, rq->user.id, u.id);
		if (rc == SRV_E_NOT_FOUND || rc == SRV_E_NOT_FRIENDS) {
			rc = SRV_E_OK;
			continue; /* only friends, whatever the form says */
		}
		if (rc == SRV_E_OK)
			rc = rq->ops->share_permit_add(rq->db, gp.grant_id, u.id);
		if (rc == SRV_E_OK)
			rc = partner_pairwise_put(rq, rq->app->id, u.id, pw);
		if (rc != SRV_E_OK)
			break; /* pw is no id (the permit failed before it was written): nothing of it is sent */
		fprintf(mem, "%s%s", picked ? "," : "", pw);
		picked++;
	}
	if (mem && fclose(mem) != 0 && rc == SRV_E_OK)
		rc = SRV_E_INTERNAL;
	if (rc == SRV_E_OK && picked) {
		struct store_grant g;
		struct store_grant *saved = rq->grant;
		rc = rq->ops->grant_by_id(rq->db, gp.grant_id, &g);
		rq->grant = &g;
		if (rc == SRV_E_OK)
			rc = partner_log(rq, "share_page.pick", NULL, NULL, picked);
		rq->grant = saved;
	}
	if (rc == SRV_E_OK) {
		char enc[4096], encs[1100];
		const char *redirect = req_form(rq, "redirect_uri");
		if (state && html_urlencode(state, encs, sizeof(encs)) != 0)
			encs[0] = '\0';
		if (html_urlencode(list ? list : "", enc, sizeof(enc)) != 0)
			rc = SRV_E_INTERNAL; /* cannot happen: at most REQ_MAX_FORM ids */
		else if (decision && strcmp(decision, "share") == 0)
			rc = req_redirect(rq, 303, "%s%sfriends=%s%s%s", redirect, strchr(redirect, '?') ? "&" : "?", enc,
					  state ? "&state=" : "", state ? encs : "");
		else
			rc = req_redirect(rq, 303, "%s%serror=access_denied%s%s", redirect, strchr(redirect, '?') ? "&" : "?",
					  state ? "&state=" : "", state ? encs : "");
	}
	free(list);
	return rc;
}

/* ---- reports ---- */

enum srv_err h_partner_reports(struct req *rq)
{
	const char *period = req_query(rq, "period_start"), *format = req_query(rq, "format"), *type = NULL;
	char *out = NULL, err[160] = "";
	size_t len = 0;
	enum srv_err rc;
	if (period == NULL)
		return req_fail(rq, SRV_E_INVALID_FIELD, "'period_start' is required (YYYY-MM-DD)");
	rc = reports_render(rq->ops, rq->db, rq->app, period, format ? format : "json", rq->now, &out, &len, &type, err,
			    sizeof(err));
	if (rc != SRV_E_OK)
		return err[0] ? req_fail(rq, rc, "%s", err) : rc;
	rq->text = out;
	rq->text_len = len;
	rq->content_type = type;
	rq->status = 200;
	return SRV_E_OK;
}
