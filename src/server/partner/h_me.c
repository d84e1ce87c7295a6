/*
 * h_me.c — what a person sees of the partner platform as JSON: connected apps (grants) with revocation and
 * the access log (their server-rendered pages are in h_account_pages.c); the share page where a person
 * picks, and takes back, the friends an app may send to; and the partner's report endpoint.
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

#include <ctype.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "banned.h" /* last: bans footguns in this file only */

/* ---- grants ---- */

static int grant_active(const struct store_grant *g, int64_t now)
{
	return g->revoked_at == 0 && g->expires_at > now;
}

struct grant_walk {
	struct req *rq;
	json_t *arr;
	enum srv_err rc;
};

static json_t *view_grant(const struct store_grant *g, const struct store_app *a, int64_t now)
{
	json_error_t jerr;
	json_t *details = json_loads(g->details, 0, &jerr);
	return json_pack("{s:s,s:{s:s,s:s,s:s?,s:s?},s:s,s:o,s:o,s:o,s:o,s:o,s:b}", "grant_id", g->public_id, "app", "client_id",
			 a->client_id, "name", a->name, "homepage", a->homepage[0] ? a->homepage : NULL, "privacy_url",
			 a->privacy_url[0] ? a->privacy_url : NULL, "scope", g->scopes, "authorization_details", details ? details : json_array(),
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

struct access_walk {
	json_t *arr;
	int want, got;
	int64_t last_id;
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
	json_array_append_new(w->arr, json_pack("{s:I,s:o,s:{s:s},s:s?,s:s,s:s?,s:s?,s:I}", "seq", (json_int_t)e->seq, "at",
							view_time(e->at), "app", "name", e->app_name, "grant_id",
							e->grant_public_id[0] ? e->grant_public_id : NULL, "action", e->action, "thread_id",
							e->thread_public_id[0] ? e->thread_public_id : NULL, "message_id",
							e->message_public_id[0] ? e->message_public_id : NULL, "count", (json_int_t)e->count));
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
	rc = rq->ops->access_list(rq->db, rq->user.id, 0, before, (int)limit + 1, access_row, w);
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

/* ---- the share page ---- */

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

/* The share page's query, to come back to (after logging in, after an un-pick): "/oauth/share?client_id=…". */
static void share_back(const char *cid, const char *redirect, const char *state, const char *extra, char *out, size_t cap)
{
	static const char *const keys[] = {"client_id", "redirect_uri", "state"};
	const char *vals[] = {cid, redirect, state};
	size_t i;
	snprintf(out, cap, "/oauth/share");
	for (i = 0; i < 3; i++) {
		char enc[2048];
		if (vals[i] && html_urlencode(vals[i], enc, sizeof(enc)) == 0)
			snprintf(out + strlen(out), cap - strlen(out), "%s%s=%s", strchr(out, '?') ? "&" : "?", keys[i], enc);
	}
	if (extra)
		snprintf(out + strlen(out), cap - strlen(out), "%s%s", strchr(out, '?') ? "&" : "?", extra);
}

/* The hidden fields that carry the app's request through the page's forms. */
static void share_hidden(struct html *h, struct req *rq, const char *state)
{
	html_raw(h, "<input type=\"hidden\" name=\"client_id\" value=\"");
	html_attr(h, rq->app->client_id);
	html_raw(h, "\"><input type=\"hidden\" name=\"redirect_uri\" value=\"");
	html_attr(h, req_query(rq, "redirect_uri"));
	html_raw(h, "\"><input type=\"hidden\" name=\"state\" value=\"");
	html_attr(h, state ? state : "");
	html_raw(h, "\">");
}

struct pick_walk {
	struct req *rq;
	struct html *page;
	int64_t grant_id;
	const char *search; /* only friends whose username contains it (any case); NULL: all */
	int picked_list;    /* 1: list the picked ones (with Remove), 0: the checkboxes */
	const char *csrf;
	int n;
	enum srv_err rc;
};

static int contains_nocase(const char *hay, const char *needle)
{
	size_t i, j, n = strlen(needle);
	for (i = 0; hay[i]; i++) {
		for (j = 0; j < n && hay[i + j] && tolower((unsigned char)hay[i + j]) == tolower((unsigned char)needle[j]); j++)
			;
		if (j == n)
			return 1;
	}
	return n == 0;
}

static int pick_row(void *arg, const struct store_friend *f)
{
	struct pick_walk *w = arg;
	enum srv_err rc = w->rq->ops->share_permit_check(w->rq->db, w->grant_id, f->user.id);
	int picked = rc == SRV_E_OK;
	if (rc != SRV_E_OK && rc != SRV_E_NOT_FOUND) {
		w->rc = rc;
		return 1;
	}
	if (w->picked_list) {
		if (!picked)
			return 0;
		html_raw(w->page, "<li class=\"app-head\"><span>");
		html_text(w->page, f->user.username);
		html_raw(w->page, "</span><button class=\"link\" type=\"submit\" name=\"unpick\" value=\"");
		html_attr(w->page, f->user.public_id);
		html_raw(w->page, "\" aria-label=\"Remove ");
		html_attr(w->page, f->user.username);
		html_raw(w->page, "\">Remove</button></li>");
		w->n++;
		return 0;
	}
	if (w->search && !contains_nocase(f->user.username, w->search))
		return 0;
	html_raw(w->page, "<label class=\"check\"><input type=\"checkbox\" name=\"f_");
	html_attr(w->page, f->user.public_id);
	html_raw(w->page, "\" value=\"1\"%s><span>", picked ? " checked" : "");
	html_text(w->page, f->user.username);
	if (picked)
		html_raw(w->page, " <span class=\"chip\">picked before</span>");
	html_raw(w->page, "</span></label>");
	w->n++;
	return 0;
}

enum srv_err h_page_share(struct req *rq)
{
	struct html h;
	struct grant_pick gp = {rq, 0};
	struct pick_walk w = {.rq = rq, .page = &h, .rc = SRV_E_OK};
	char csrf[AUTH_TOKEN_TEXT_LEN + 1];
	const char *state = req_query(rq, "state"), *q = req_query(rq, "q");
	enum srv_err rc = share_context(rq, 0, NULL);

	if (rc == SRV_E_UNAUTHORIZED) {
		char back[4096];
		share_back(req_query(rq, "client_id"), req_query(rq, "redirect_uri"), state, NULL, back, sizeof(back));
		return oauth_login_page(rq, 200, rq->app, back, NULL);
	}
	if (rc != SRV_E_OK) {
		html_begin(&h, "This link cannot be used");
		html_raw(&h, "<h1>This link cannot be used</h1><p>The app is unknown, sent a wrong return address, or you have not "
			     "allowed it to send shares.</p>");
		rq->html = html_finish(&h);
		rq->status = 400;
		return rq->html ? SRV_E_OK : SRV_E_INTERNAL;
	}
	if ((rc = rq->ops->grant_list_user(rq->db, rq->user.id, find_grant, &gp)) != SRV_E_OK)
		return rc;
	w.grant_id = gp.grant_id;
	w.search = q && q[0] ? q : NULL;
	auth_csrf_token(rq->session.id, csrf);
	html_begin(&h, "Share with friends");
	html_raw(&h, "<h1>Who may ");
	html_text(&h, rq->app->name);
	html_raw(&h, " send shares to?</h1>");
	if (req_query(rq, "unpicked"))
		html_raw(&h, "<p class=\"notice\" role=\"status\">Removed. The app can no longer send to that friend (unless they "
			     "use the app themselves).</p>");
	html_raw(&h, "<p>Friends you pick get messages labelled with <strong>");
	html_text(&h, rq->app->name);
	html_raw(&h, "</strong>, in a conversation with you. The app learns only the friends you pick, under names only it "
		     "knows, never their usernames.</p>");
	/* picked before: each can be taken back */
	html_raw(&h, "<section class=\"card\" aria-labelledby=\"picked\"><h2 id=\"picked\">Picked before</h2>"
		     "<form method=\"post\" action=\"/oauth/share\">");
	share_hidden(&h, rq, state);
	html_raw(&h, "<input type=\"hidden\" name=\"csrf\" value=\"%s\"><input type=\"hidden\" name=\"decision\" value=\"unpick\">"
		     "<ul class=\"plain\">", csrf);
	w.picked_list = 1;
	rc = rq->ops->friend_list(rq->db, rq->user.id, pick_row, &w);
	if (rc == SRV_E_OK)
		rc = w.rc;
	html_raw(&h, "</ul>%s</form></section>", w.n ? "" : "<p class=\"muted\">Nobody yet.</p>");
	/* search (a GET form: works without JavaScript) */
	html_raw(&h, "<form class=\"card row\" method=\"get\" action=\"/oauth/share\" role=\"search\">");
	share_hidden(&h, rq, state);
	html_raw(&h, "<div><label for=\"q\">Search your friends</label><input type=\"search\" id=\"q\" name=\"q\" value=\"");
	html_attr(&h, w.search ? w.search : "");
	html_raw(&h, "\"></div><button type=\"submit\">Search</button></form>");
	/* the picks */
	html_raw(&h, "<form method=\"post\" action=\"/oauth/share\"><fieldset class=\"card\"><legend><h2>Pick friends</h2></legend>");
	share_hidden(&h, rq, state);
	html_raw(&h, "<input type=\"hidden\" name=\"csrf\" value=\"%s\">", csrf);
	w.picked_list = 0;
	w.n = 0;
	if (rc == SRV_E_OK)
		rc = rq->ops->friend_list(rq->db, rq->user.id, pick_row, &w);
	if (rc == SRV_E_OK)
		rc = w.rc;
	if (w.n == 0)
		html_raw(&h, "<p class=\"muted\">%s</p>", w.search ? "No friend matches that search." : "You have no friends on Postern yet.");
	html_raw(&h, "</fieldset><p class=\"muted small\">The friends you tick are sent to the app now. Friends picked before "
		     "stay picked until you remove them above.</p><div class=\"actions\"><button class=\"primary\" type=\"submit\" "
		     "name=\"decision\" value=\"share\">Continue</button><button type=\"submit\" name=\"decision\" value=\"cancel\">"
		     "Cancel</button></div></form>");
	sodium_memzero(csrf, sizeof(csrf));
	if (rc != SRV_E_OK) {
		free(html_finish(&h));
		return rc;
	}
	rq->html = html_finish(&h);
	rq->status = 200;
	return rq->html ? SRV_E_OK : SRV_E_INTERNAL;
}

/*
 * Un-pick (decision=unpick, unpick=FRIEND_ID): the app may no longer send to that friend under this grant.
 * Anyone not a friend is answered like a friend never picked. Back to the share page, saying so.
 */
static enum srv_err share_unpick(struct req *rq, int64_t grant_id)
{
	const char *who = req_form(rq, "unpick");
	struct store_user u;
	char back[4096];
	enum srv_err rc = SRV_E_NOT_FOUND;
	if (who && strlen(who) < STORE_ID_LEN)
		rc = rq->ops->user_by_public(rq->db, who, &u);
	if (rc == SRV_E_OK)
		rc = rq->ops->friend_check(rq->db, rq->user.id, u.id);
	if (rc == SRV_E_NOT_FOUND || rc == SRV_E_NOT_FRIENDS)
		return req_fail(rq, SRV_E_BAD_REQUEST, "'unpick' is not one of your friends");
	if (rc == SRV_E_OK && rq->ops->share_permit_check(rq->db, grant_id, u.id) == SRV_E_OK) {
		struct store_grant g;
		struct store_grant *saved = rq->grant;
		rc = rq->ops->share_permit_remove(rq->db, grant_id, u.id);
		if (rc == SRV_E_OK)
			rc = rq->ops->grant_by_id(rq->db, grant_id, &g);
		rq->grant = &g;
		if (rc == SRV_E_OK)
			rc = partner_log(rq, "share_page.unpick", NULL, NULL, 1);
		rq->grant = saved;
	}
	if (rc != SRV_E_OK)
		return rc;
	share_back(rq->app->client_id, req_form(rq, "redirect_uri"), req_form(rq, "state"), "unpicked=1", back, sizeof(back));
	return req_redirect(rq, 303, "%s", back);
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
		return oauth_login_page(rq, 401, NULL, NULL, "Your session ended. Start again from the app.");
	if (rc != SRV_E_OK)
		return rc == SRV_E_NOT_FOUND ? req_fail(rq, SRV_E_BAD_REQUEST, "unknown app, wrong redirect_uri, or no grant to send shares")
					     : rc;
	if (!auth_csrf_ok(rq->session.id, req_form(rq, "csrf")))
		return req_fail(rq, SRV_E_FORBIDDEN, "the form did not come from this session");
	rc = rq->ops->grant_list_user(rq->db, rq->user.id, find_grant, &gp);
	if (rc == SRV_E_OK && decision && strcmp(decision, "unpick") == 0)
		return share_unpick(rq, gp.grant_id);
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
