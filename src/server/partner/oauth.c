/*
 * oauth.c — the OAuth 2.0 authorization server, to RFC 9700 / OAuth 2.1 practice: authorization code with
 * PKCE S256 only (plain refused), exact redirect-URI matching (any port on loopback for public native
 * clients, RFC 8252), a login form and a consent page with a CSRF token tied to the session cookie, the
 * issuer in every authorization response (RFC 9207), single-use 60-second codes whose replay revokes the
 * grant (a code presented by another client, or refused, is not used up), refresh tokens rotated on every
 * use whose reuse revokes the grant, client_credentials for the
 * app's own endpoints, revocation (RFC 7009), introspection (RFC 7662) and metadata (RFC 8414). A grant
 * narrower than its scopes is carried as RFC 9396 authorization_details of type "postern_threads".
 *
 * Errors before the client and redirect URI are known to be good show a page and never redirect; later
 * errors redirect with error, state and iss. Token-endpoint errors use the RFC 6749 JSON format and
 * return SRV_E_OK so that a revocation decided while refusing (code replay, refresh reuse) commits.
 */
#include "handlers.h"
#include "jsontext.h"

#include "auth.h"
#include "b64url.h"
#include "html.h"
#include "pageview.h"
#include "partner.h"
#include "pubid.h"
#include "routes.h"
#include "scopes.h"
#include "strnum.h"
#include "timefmt.h"
#include "tlog.h"
#include "views.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "banned.h" /* last: bans footguns in this file only */

#define OAUTH_STATE_MAX 512
#define OAUTH_URI_MAX 1000

/* ---- the authorization request ---------------------------------------------------------------------- */

struct authz {
	const char *client_id, *redirect_uri, *response_type, *scope, *state, *challenge, *method, *details_text;
	char scopes[STORE_SCOPES_LEN];  /* normalised */
	json_t *details;                /* validated authorization_details, or NULL */
	char error[40];                 /* an error to redirect with ("" = none) */
	char error_description[160];
};

/* Parameters come from the query (GET) or the form (POST). */
static const char *param(struct req *rq, const char *key)
{
	return (rq->route->flags & ROUTE_FORM_BODY) ? req_form(rq, key) : req_query(rq, key);
}

/* RFC 8252 7.3: a public client's loopback redirect may use any port. Returns 1 for a match. */
static int loopback_match(const char *registered, const char *uri)
{
	static const char *const hosts[] = {"http://127.0.0.1", "http://[::1]"};
	size_t i;
	for (i = 0; i < 2; i++) {
		size_t hl = strlen(hosts[i]), pl;
		char stripped[OAUTH_URI_MAX + 1];
		if (strncmp(uri, hosts[i], hl) != 0 || uri[hl] != ':')
			continue;
		pl = strspn(uri + hl + 1, "0123456789");
		if (pl == 0 || pl > 5 || (uri[hl + 1 + pl] != '/' && uri[hl + 1 + pl] != '\0'))
			return 0;
		{ /* a real port: 1..65535, no leading zero */
			int64_t port = 0;
			if (strnum_parse_i64(uri + hl + 1, pl, 1, 65535, &port) != 0)
				return 0;
		}
		if (snprintf(stripped, sizeof(stripped), "%.*s%s", (int)hl, uri, uri + hl + 1 + pl) >= (int)sizeof(stripped))
			return 0;
		return strcmp(stripped, registered) == 0;
	}
	return 0;
}

/* 1 when uri is one of the app's registered redirect URIs (exact string comparison). */
static int redirect_allowed(const struct store_app *app, const char *uri)
{
	json_error_t jerr;
	json_t *list = json_loads(app->redirect_uris, 0, &jerr), *v;
	size_t i;
	int ok = 0;
	if (uri == NULL || strlen(uri) > OAUTH_URI_MAX)
		ok = 0;
	else
		json_array_foreach(list, i, v) {
			const char *reg = json_string_value(v);
			if (reg && (strcmp(reg, uri) == 0 || (!app->has_secret && loopback_match(reg, uri))))
				ok = 1;
		}
	json_decref(list);
	return ok;
}

static int challenge_ok(const char *c)
{
	size_t n = c ? strlen(c) : 0;
	return n >= 43 && n <= 128 && strspn(c, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~") == n;
}

static void authz_fail(struct authz *az, const char *error, const char *desc)
{
	if (az->error[0])
		return;
	snprintf(az->error, sizeof(az->error), "%s", error);
	snprintf(az->error_description, sizeof(az->error_description), "%s", desc);
}

/*
 * Validate authorization_details: a JSON array of {"type":"postern_threads","threads":[ids],"actions":[...]}
 * naming app threads of this app that the person is in. Unknown types and anything else are refused.
 */
static void check_details(struct req *rq, struct authz *az, int64_t app_id, int64_t user_id)
{
	json_error_t jerr;
	json_t *d, *item;
	size_t i;
	if (az->details_text == NULL || az->details_text[0] == '\0')
		return;
	d = json_loads(az->details_text, JSON_REJECT_DUPLICATES, &jerr);
	if (!json_is_array(d) || json_array_size(d) == 0 || json_array_size(d) > 8) {
		json_decref(d);
		authz_fail(az, "invalid_authorization_details", "authorization_details must be a JSON array of 1 to 8 objects");
		return;
	}
	json_array_foreach(d, i, item) {
		json_t *type = json_object_get(item, "type"), *threads = json_object_get(item, "threads"),
		       *actions = json_object_get(item, "actions"), *v;
		const char *key;
		size_t j;
		if (!json_is_object(item) || !json_is_string(type) || strcmp(json_string_value(type), "postern_threads") != 0) {
			authz_fail(az, "invalid_authorization_details", "unknown authorization_details type");
			break;
		}
		json_object_foreach(item, key, v)
			if (strcmp(key, "type") && strcmp(key, "threads") && strcmp(key, "actions"))
				authz_fail(az, "invalid_authorization_details", "unknown field in postern_threads");
		if (!json_is_array(threads) || json_array_size(threads) == 0 || json_array_size(threads) > 50 ||
		    !json_is_array(actions) || json_array_size(actions) == 0 || json_array_size(actions) > 3) {
			authz_fail(az, "invalid_authorization_details", "postern_threads needs threads and actions arrays");
			break;
		}
		json_array_foreach(actions, j, v) {
			const char *a = json_string_value(v);
			if (a == NULL || (strcmp(a, "read") && strcmp(a, "send") && strcmp(a, "delete")))
				authz_fail(az, "invalid_authorization_details", "actions are read, send and delete");
		}
		json_array_foreach(threads, j, v) {
			struct store_thread t;
			const char *tid = json_string_value(v);
			if (tid == NULL || strlen(tid) >= STORE_ID_LEN ||
			    (user_id && (rq->ops->thread_for_member(rq->db, tid, user_id, &t) != SRV_E_OK || t.app_id != app_id)))
				authz_fail(az, "invalid_authorization_details", "a thread is not one of your conversations with this app");
		}
	}
	if (az->error[0])
		json_decref(d);
	else
		az->details = d;
}

/*
 * Read and check an authorization request. Returns SRV_E_NOT_FOUND (with *page_error set) when the client
 * or redirect URI is bad — never redirect then; otherwise OK with az->error set for errors to redirect.
 */
static enum srv_err authz_read(struct req *rq, struct authz *az, const char **page_error)
{
	char bad[64];
	enum srv_err rc;

	memset(az, 0, sizeof(*az));
	az->client_id = param(rq, "client_id");
	az->redirect_uri = param(rq, "redirect_uri");
	az->response_type = param(rq, "response_type");
	az->scope = param(rq, "scope");
	az->state = param(rq, "state");
	az->challenge = param(rq, "code_challenge");
	az->method = param(rq, "code_challenge_method");
	az->details_text = param(rq, "authorization_details");
	*page_error = NULL;
	if (req_app(rq) == NULL)
		return SRV_E_INTERNAL;
	if (az->client_id == NULL || strlen(az->client_id) >= STORE_ID_LEN) {
		*page_error = "The request does not name a known app (client_id).";
		return SRV_E_NOT_FOUND;
	}
	rc = rq->ops->app_by_client_id(rq->db, az->client_id, rq->app);
	if (rc == SRV_E_NOT_FOUND || (rc == SRV_E_OK && rq->app->suspended)) {
		*page_error = "The request does not name a known app (client_id).";
		return SRV_E_NOT_FOUND;
	}
	if (rc != SRV_E_OK)
		return rc;
	if (!redirect_allowed(rq->app, az->redirect_uri)) {
		*page_error = "The app asked to send you back to an address it did not register (redirect_uri). "
			      "Nothing was shared; you can close this page.";
		return SRV_E_NOT_FOUND;
	}
	if (az->state && strlen(az->state) > OAUTH_STATE_MAX)
		authz_fail(az, "invalid_request", "state is too long");
	if (az->response_type == NULL || strcmp(az->response_type, "code") != 0)
		authz_fail(az, "unsupported_response_type", "only response_type=code is supported");
	if (az->method == NULL || strcmp(az->method, "S256") != 0)
		authz_fail(az, "invalid_request", "PKCE with code_challenge_method=S256 is required");
	if (!challenge_ok(az->challenge))
		authz_fail(az, "invalid_request", "code_challenge must be 43 to 128 characters of base64url");
	if (az->scope == NULL || az->scope[0] == '\0' ||
	    scope_check(az->scope, rq->app->scopes, 1, az->scopes, sizeof(az->scopes), bad, sizeof(bad)) != 0)
		authz_fail(az, "invalid_scope", "a requested scope is unknown or not in the app's agreement");
	if (!az->error[0])
		check_details(rq, az, rq->app->id, rq->cred == CRED_COOKIE ? rq->user.id : 0);
	return SRV_E_OK;
}

/* Append "name=value" (percent-encoded) to a URL being built in buf. */
static int url_add(char *buf, size_t cap, const char *name, const char *value)
{
	char enc[2 * OAUTH_URI_MAX + 64];
	size_t n = strlen(buf);
	if (value == NULL)
		return 0;
	if (html_urlencode(value, enc, sizeof(enc)) != 0)
		return -1;
	if (snprintf(buf + n, cap - n, "%s%s=%s", strchr(buf, '?') ? "&" : "?", name, enc) >= (int)(cap - n))
		return -1;
	return 0;
}

/* 303 back to the app with the given parameters plus state and iss. */
static enum srv_err redirect_back(struct req *rq, const struct authz *az, const char *k1, const char *v1, const char *k2,
				  const char *v2)
{
	char *url = malloc(8192);
	enum srv_err rc = SRV_E_INTERNAL;
	if (url == NULL)
		return rc;
	snprintf(url, 8192, "%s", az->redirect_uri);
	if (url_add(url, 8192, k1, v1) == 0 && url_add(url, 8192, k2, v2) == 0 && url_add(url, 8192, "state", az->state) == 0 &&
	    url_add(url, 8192, "iss", partner_issuer()) == 0)
		rc = req_redirect(rq, 303, "%s", url);
	free(url);
	return rc;
}

/* ---- pages ------------------------------------------------------------------------------------------ */

static enum srv_err page(struct req *rq, int status, struct html *h)
{
	rq->html = html_finish(h);
	rq->status = status;
	return rq->html ? SRV_E_OK : SRV_E_INTERNAL;
}

static enum srv_err error_page(struct req *rq, int status, const char *title, const char *text)
{
	struct html h;
	html_begin(&h, title);
	html_raw(&h, "<h1>");
	html_text(&h, title);
	html_raw(&h, "</h1><p>");
	html_text(&h, text);
	html_raw(&h, "</p>");
	return page(rq, status, &h);
}

/* Hidden fields that carry an authorization request through a form. */
static void hidden(struct html *h, const char *name, const char *value)
{
	if (value == NULL)
		return;
	html_raw(h, "<input type=\"hidden\" name=\"%s\" value=\"", name);
	html_attr(h, value);
	html_raw(h, "\">");
}

/* The path and query of the current authorization request, to come back to after logging in. */
static int authorize_url(struct req *rq, char *out, size_t cap)
{
	static const char *const keys[] = {"response_type", "client_id", "redirect_uri", "scope", "state",
					   "code_challenge", "code_challenge_method", "authorization_details"};
	size_t i;
	snprintf(out, cap, "/oauth/authorize");
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (url_add(out, cap, keys[i], param(rq, keys[i])) != 0)
			return -1;
	return 0;
}

/* The server as people know it: the issuer's host ("chat.example.org"). */
static void server_name(char *out, size_t cap)
{
	const char *iss = partner_issuer(), *p = strstr(iss, "://");
	p = p ? p + 3 : iss;
	snprintf(out, cap, "%.*s", (int)strcspn(p, "/"), p);
}

enum srv_err oauth_login_page(struct req *rq, int status, const struct store_app *app, const char *return_to, const char *message)
{
	struct html h;
	unsigned char raw[32];
	char login_csrf[AUTH_TOKEN_TEXT_LEN + 1], server[256];

	/* login CSRF: the form must come back with the value of a cookie only this page set (double submit) */
	randombytes_buf(raw, sizeof(raw));
	b64url_encode(raw, sizeof(raw), login_csrf, sizeof(login_csrf));
	snprintf(rq->set_cookie, sizeof(rq->set_cookie), "postern_login=%s; Path=/oauth/login; HttpOnly; SameSite=Strict; Max-Age=3600",
		 login_csrf);
	server_name(server, sizeof(server));
	html_begin(&h, app ? "Sign in to continue" : "Sign in to Postern");
	if (app) {
		html_raw(&h, "<h1>Sign in to continue to ");
		html_text(&h, app->name);
		html_raw(&h, "</h1><p><strong>");
		html_text(&h, app->name);
		html_raw(&h, "</strong> is asking to use your Postern account on the server <strong>");
		html_text(&h, server);
		html_raw(&h, "</strong>. Sign in here, on Postern's own page: the app never sees your password. Next you "
			     "will see what it asks for, and can still say no.</p>");
	} else {
		html_raw(&h, "<h1>Sign in to Postern</h1><p>Your account on the server <strong>");
		html_text(&h, server);
		html_raw(&h, "</strong>.</p>");
	}
	if (message) {
		html_raw(&h, "<p class=\"notice bad\" role=\"alert\">");
		html_text(&h, message);
		html_raw(&h, "</p>");
	}
	html_raw(&h, "<form class=\"card\" method=\"post\" action=\"/oauth/login\"><label for=\"username\">Username</label>"
		     "<input type=\"text\" id=\"username\" name=\"username\" autocomplete=\"username\" autocapitalize=\"none\" required>"
		     "<label for=\"password\">Password</label><input id=\"password\" name=\"password\" type=\"password\" "
		     "autocomplete=\"current-password\" required>");
	hidden(&h, "return_to", return_to);
	hidden(&h, "login_csrf", login_csrf);
	html_raw(&h, "<div class=\"actions\"><button class=\"primary\" type=\"submit\">Sign in</button></div></form>"
		     "<p>New to Postern? <a href=\"/#/register\">Create an account</a> on this server, then come back here.</p>");
	return page(rq, status, &h);
}

/* The lifetimes the consent page offers, each with the date it would end. */
static void lifetime_choices(struct req *rq, struct html *h)
{
	const char *p;
	html_raw(h, "<fieldset class=\"card\"><legend><h2>For how long?</h2></legend>");
	for (p = rq->cfg->grant_expiries; *p;) {
		int64_t days = 0;
		size_t n = strcspn(p, ",");
		if (strnum_parse_i64(p, n, 1, 3650, &days) == 0) {
			html_raw(h, "<label class=\"check\"><input type=\"radio\" name=\"expiry_days\" value=\"%lld\"%s><span>%lld %s, until ",
				 (long long)days, days == rq->cfg->grant_expiry_default ? " checked" : "", (long long)days,
				 days == 1 ? "day" : "days");
			html_date(h, rq->now + days * 86400000LL);
			html_raw(h, "</span></label>");
		}
		p += n;
		if (*p == ',')
			p++;
	}
	html_raw(h, "<p class=\"muted small\">Dates are in UTC. You can disconnect it sooner at any time, under Connected "
		    "apps.</p></fieldset>");
}

static enum srv_err consent_page(struct req *rq, const struct authz *az)
{
	struct html h;
	char csrf[AUTH_TOKEN_TEXT_LEN + 1], list[64], server[256];
	const char *p;
	enum srv_err rc = SRV_E_OK;

	auth_csrf_token(rq->session.id, csrf);
	server_name(server, sizeof(server));
	html_begin(&h, "Allow access?");
	html_raw(&h, "<h1>Allow ");
	html_text(&h, rq->app->name);
	html_raw(&h, " to use your Postern account?</h1><p class=\"muted\">Signed in as <strong>");
	html_text(&h, rq->user.username);
	html_raw(&h, "</strong> on <strong>");
	html_text(&h, server);
	html_raw(&h, "</strong>.</p><section class=\"card\" aria-labelledby=\"who\"><h2 id=\"who\">Who is asking</h2><h3>");
	html_text(&h, rq->app->name);
	html_raw(&h, "</h3>");
	pageview_app_identity(&h, rq->app);
	html_raw(&h, "<p class=\"muted small\">Registered on this server by its operator.</p></section>"
		     "<section class=\"card\" aria-labelledby=\"may\"><h2 id=\"may\">It will be able to</h2><ul class=\"plain\">");
	for (p = az->scopes; *p;) {
		size_t n = strcspn(p, " ");
		const struct scope_def *d;
		snprintf(list, sizeof(list), "%.*s", (int)n, p);
		d = scope_find(list);
		if (d) {
			html_raw(&h, "<li>");
			html_text(&h, d->plain);
			html_raw(&h, " <code class=\"muted small\">");
			html_text(&h, d->name);
			html_raw(&h, "</code></li>");
		}
		p += n;
		if (*p == ' ')
			p++;
	}
	html_raw(&h, "</ul></section><section class=\"card\" aria-labelledby=\"where\"><h2 id=\"where\">In which conversations</h2>");
	if (az->details) {
		html_raw(&h, "<p>Only in these conversations, and in each only what is listed:</p>");
		rc = pageview_details(rq, &h, az->details);
	} else
		html_raw(&h, "<p>Only in conversations this app starts for you. It never sees your other messages.</p>");
	html_raw(&h, "</section><section class=\"card\" aria-labelledby=\"sees\"><h2 id=\"sees\">What it will see of people</h2>");
	{ /* never a username */
		char alias[PARTNER_ALIAS_LEN];
		if (rc == SRV_E_OK && (rc = partner_alias(rq, rq->app->id, rq->user.id, alias, NULL)) == SRV_E_OK) {
			html_raw(&h, "<p><strong>");
			html_text(&h, rq->app->name);
			html_raw(&h, "</strong> knows you as <strong>");
			html_text(&h, alias);
			html_raw(&h, "</strong>, and your friends by the names they chose for it, never by their usernames or "
				     "yours; to it, each person is an id that no other app shares. You can change the name it "
				     "shows for you (<code>postern apps alias</code>).</p>");
		}
	}
	html_raw(&h, "<p>Friends it sends to get messages labelled with <strong>");
	html_text(&h, rq->app->name);
	html_raw(&h, "</strong>. They are told that the app can read those conversations, and it reads their replies only if "
		     "they agree.</p><p>The shares it sends for you, and your friends' clicks on them, count towards the app's "
		     "aggregate reports: totals per item, with no person in them.</p><p class=\"muted small\">Everything it does "
		     "is listed in your access log.</p></section>");
	html_raw(&h, "<form method=\"post\" action=\"/oauth/authorize\">");
	hidden(&h, "client_id", az->client_id);
	hidden(&h, "redirect_uri", az->redirect_uri);
	hidden(&h, "response_type", az->response_type);
	hidden(&h, "scope", az->scope);
	hidden(&h, "state", az->state);
	hidden(&h, "code_challenge", az->challenge);
	hidden(&h, "code_challenge_method", az->method);
	hidden(&h, "authorization_details", az->details_text);
	hidden(&h, "csrf", csrf);
	lifetime_choices(rq, &h);
	html_raw(&h, "<div class=\"actions\"><button class=\"primary\" type=\"submit\" name=\"decision\" value=\"approve\">Allow</button>"
		     "<button type=\"submit\" name=\"decision\" value=\"deny\">Deny</button></div></form>");
	sodium_memzero(csrf, sizeof(csrf));
	if (rc != SRV_E_OK) {
		free(html_finish(&h));
		return rc;
	}
	return page(rq, 200, &h);
}

/* 1 when days is one of the comma-separated lifetimes the consent page offers (not a substring of one). */
static int expiry_offered(const char *list, int64_t days)
{
	const char *p = list;
	while (*p) {
		size_t n = strcspn(p, ",");
		int64_t v = 0;
		if (strnum_parse_i64(p, n, 1, 3650, &v) == 0 && v == days)
			return 1;
		p += n;
		if (*p == ',')
			p++;
	}
	return 0;
}

/* ---- endpoints -------------------------------------------------------------------------------------- */

enum srv_err h_oauth_metadata(struct req *rq)
{
	const char *iss = partner_issuer();
	char ep[5][300];
	json_t *scopes = json_array();
	int i;
	snprintf(ep[0], sizeof(ep[0]), "%s/oauth/authorize", iss);
	snprintf(ep[1], sizeof(ep[1]), "%s/oauth/token", iss);
	snprintf(ep[2], sizeof(ep[2]), "%s/oauth/revoke", iss);
	snprintf(ep[3], sizeof(ep[3]), "%s/oauth/introspect", iss);
	snprintf(ep[4], sizeof(ep[4]), "%s/docs/api.md", iss);
	for (i = 0; i < scope_count; i++)
		json_array_append_new(scopes, json_string(scope_table[i].name));
	return req_reply(rq, 200, json_pack("{s:s,s:s,s:s,s:s,s:s,s:o,s:[s],s:[s],s:[sss],s:[sss],s:[s],s:[s],s:[s],s:b,s:[s],s:s}",
					    "issuer", iss, "authorization_endpoint", ep[0], "token_endpoint", ep[1],
					    "revocation_endpoint", ep[2], "introspection_endpoint", ep[3], "scopes_supported", scopes,
					    "response_types_supported", "code", "response_modes_supported", "query",
					    "grant_types_supported", "authorization_code", "refresh_token", "client_credentials",
					    "token_endpoint_auth_methods_supported", "client_secret_basic", "client_secret_post", "none",
					    "revocation_endpoint_auth_methods_supported", "client_secret_basic",
					    "introspection_endpoint_auth_methods_supported", "client_secret_basic",
					    "code_challenge_methods_supported", "S256",
					    "authorization_response_iss_parameter_supported", 1,
					    "authorization_details_types_supported", "postern_threads", "service_documentation", ep[4]));
}

enum srv_err h_oauth_authorize(struct req *rq)
{
	struct authz az;
	const char *page_error;
	enum srv_err rc = authz_read(rq, &az, &page_error);

	if (rc == SRV_E_NOT_FOUND)
		return error_page(rq, 400, "This link cannot be used", page_error);
	if (rc != SRV_E_OK)
		return rc;
	if (az.error[0]) {
		json_decref(az.details);
		return redirect_back(rq, &az, "error", az.error, "error_description", az.error_description);
	}
	if (rq->cred != CRED_COOKIE) {
		char *back = malloc(16384);
		json_decref(az.details);
		if (back == NULL)
			return SRV_E_INTERNAL;
		rc = authorize_url(rq, back, 16384) == 0 ? oauth_login_page(rq, 200, rq->app, back, NULL)
							 : error_page(rq, 400, "This link cannot be used", "The request is too long.");
		free(back);
		return rc;
	}
	rc = consent_page(rq, &az);
	json_decref(az.details);
	return rc;
}

/* The decision: approve creates the grant and a code; deny tells the app. */
enum srv_err h_oauth_decide(struct req *rq)
{
	struct authz az;
	const char *page_error, *decision = req_form(rq, "decision"), *days_text = req_form(rq, "expiry_days");
	struct store_grant g = {0};
	struct store_code code = {0};
	char codetext[AUTH_PREFIXED_LEN + 1], pw[PARTNER_PAIRWISE_LEN];
	unsigned char hash[32];
	int64_t days = 0;
	enum srv_err rc;

	if (rq->cred != CRED_COOKIE)
		return oauth_login_page(rq, 401, NULL, NULL, "Your session ended. Start again from the app.");
	if (!auth_csrf_ok(rq->session.id, req_form(rq, "csrf")))
		return error_page(rq, 403, "This form has expired", "The form did not come from this session. Go back to the app and start again.");
	rc = authz_read(rq, &az, &page_error);
	if (rc == SRV_E_NOT_FOUND)
		return error_page(rq, 400, "This link cannot be used", page_error);
	if (rc != SRV_E_OK)
		return rc;
	if (az.error[0]) {
		rc = redirect_back(rq, &az, "error", az.error, "error_description", az.error_description);
		goto out;
	}
	if (decision == NULL || strcmp(decision, "approve") != 0) {
		rc = redirect_back(rq, &az, "error", "access_denied", "error_description", "the person declined");
		goto out;
	}
	/* only a lifetime the page offered */
	if (days_text == NULL || strnum_parse_cstr(days_text, 1, 3650, &days) != 0 || !expiry_offered(rq->cfg->grant_expiries, days)) {
		rc = error_page(rq, 400, "Choose how long to allow", "Pick one of the offered durations.");
		goto out;
	}
	pubid_new("g", g.public_id, sizeof(g.public_id));
	g.app_id = rq->app->id;
	g.user_id = rq->user.id;
	snprintf(g.scopes, sizeof(g.scopes), "%s", az.scopes);
	if (az.details) {
		char *dt = jsontext_dump(az.details, JSON_COMPACT | JSON_SORT_KEYS);
		snprintf(g.details, sizeof(g.details), "%s", dt ? dt : "[]");
		free(dt);
	} else
		snprintf(g.details, sizeof(g.details), "[]");
	g.created_at = rq->now;
	g.expires_at = rq->now + days * 86400000LL;
	rc = rq->ops->grant_insert(rq->db, &g);
	if (rc == SRV_E_OK) /* the grant, its scopes, conversations and expiry, in the transparency log */
		rc = tlog_append_grant(rq->ops, rq->db, &g, rq->app->client_id, TLOG_GRANT_CREATED);
	if (rc == SRV_E_OK)
		rc = partner_pairwise_put(rq, rq->app->id, rq->user.id, pw);
	if (rc == SRV_E_OK && az.details) { /* the conversations the person named become this grant's threads */
		json_t *d, *v;
		size_t i, j;
		json_array_foreach(az.details, i, d) json_array_foreach(json_object_get(d, "threads"), j, v) {
			struct store_thread t;
			if (rc == SRV_E_OK)
				rc = rq->ops->thread_for_member(rq->db, json_string_value(v), rq->user.id, &t);
			if (rc == SRV_E_OK)
				rc = rq->ops->grant_thread_add(rq->db, g.id, t.id);
		}
	}
	if (rc != SRV_E_OK)
		goto out;
	auth_token_new_prefixed(AUTH_PREFIX_CODE, codetext, sizeof(codetext), hash);
	code.grant_id = g.id;
	code.app_id = rq->app->id;
	snprintf(code.redirect_uri, sizeof(code.redirect_uri), "%s", az.redirect_uri);
	snprintf(code.challenge, sizeof(code.challenge), "%s", az.challenge);
	code.expires_at = rq->now + rq->cfg->code_ttl_s * 1000;
	rc = rq->ops->code_insert(rq->db, hash, &code);
	if (rc == SRV_E_OK) {
		struct store_grant *saved = rq->grant;
		rq->grant = &g;
		rc = partner_log(rq, "grant.created", NULL, NULL, 0);
		rq->grant = saved;
	}
	if (rc == SRV_E_OK)
		rc = redirect_back(rq, &az, "code", codetext, NULL, NULL);
	sodium_memzero(codetext, sizeof(codetext));
out:
	json_decref(az.details);
	return rc;
}

struct login_prep {
	int64_t user_id;
};

enum srv_err h_oauth_login_prepare(struct req *rq)
{
	const char *username = req_form(rq, "username"), *password = req_form(rq, "password");
	struct store_user u;
	struct login_prep *prep;
	enum srv_err rc;

	if (username == NULL || password == NULL || strlen(username) > 64 || strlen(password) > 1024)
		return SRV_E_OK; /* the page says so */
	rc = auth_login(rq, username, password, &u);
	if (rc == SRV_E_RATE_LIMITED || rc == SRV_E_INVALID_CREDENTIALS)
		return SRV_E_OK; /* no prep: h_oauth_login shows the form again, saying why */
	if (rc != SRV_E_OK)
		return rc;
	prep = calloc(1, sizeof(*prep));
	if (prep == NULL)
		return SRV_E_INTERNAL;
	prep->user_id = u.id;
	rq->prep = prep;
	return SRV_E_OK;
}

/* return_to must be one of our own pages: never an open redirect. */
static int local_target(const char *t)
{
	return t && (strncmp(t, "/oauth/authorize?", 17) == 0 || strncmp(t, "/oauth/share?", 13) == 0 ||
		     strcmp(t, "/account/apps") == 0 || strcmp(t, "/account/access-log") == 0) &&
	       strpbrk(t, "\r\n\\") == NULL;
}

/*
 * The app a sign-in is for, from its return_to ("/oauth/authorize?…&client_id=app_…"), so that the form shown
 * again after a wrong password still names it. Client ids are base64url, never percent-encoded. 1 when found.
 */
static int login_app(struct req *rq, const char *back, struct store_app *out)
{
	const char *p = back ? strchr(back, '?') : NULL;
	char cid[STORE_ID_LEN];
	size_t n;
	while (p && strncmp(p + 1, "client_id=", 10) != 0)
		p = strchr(p + 1, '&');
	if (p == NULL)
		return 0;
	p += 11;
	n = strspn(p, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_");
	if (n == 0 || n >= sizeof(cid) || (p[n] != '&' && p[n] != '\0'))
		return 0;
	snprintf(cid, sizeof(cid), "%.*s", (int)n, p);
	return rq->ops->app_by_client_id(rq->db, cid, out) == SRV_E_OK && !out->suspended;
}

enum srv_err h_oauth_login(struct req *rq)
{
	struct login_prep *prep = rq->prep;
	const char *back = req_form(rq, "return_to");
	struct store_app app;
	const struct store_app *for_app = NULL;
	struct store_session s = {0};
	char token[AUTH_TOKEN_TEXT_LEN + 1];
	unsigned char hash[32];
	enum srv_err rc;

	if (!local_target(back))
		back = "/account/apps";
	if (login_app(rq, back, &app))
		for_app = &app;
	{
		const char *sent = req_form(rq, "login_csrf");
		if (sent == NULL || strlen(sent) != AUTH_TOKEN_TEXT_LEN || strlen(rq->login_cookie) != AUTH_TOKEN_TEXT_LEN ||
		    sodium_memcmp(sent, rq->login_cookie, AUTH_TOKEN_TEXT_LEN) != 0)
			return oauth_login_page(rq, 403, for_app, back, "This form expired or did not come from this site. Log in again.");
	}
	if (prep == NULL)
		return oauth_login_page(rq, rq->retry_after ? 429 : 401, for_app, back,
					rq->retry_after ? "Too many failed attempts. Wait a few minutes and try again."
							: "Wrong username or password.");
	auth_token_new(token, hash);
	s.user_id = prep->user_id;
	s.created_at = rq->now;
	s.expires_at = rq->now + rq->cfg->session_ttl_s * 1000;
	rc = rq->ops->session_insert(rq->db, hash, &s);
	if (rc == SRV_E_OK) {
		snprintf(rq->set_cookie, sizeof(rq->set_cookie), "postern_session=%s; Path=/; HttpOnly; SameSite=Lax; Max-Age=%lld%s",
			 token, (long long)rq->cfg->session_ttl_s, strncmp(partner_issuer(), "https:", 6) == 0 ? "; Secure" : "");
		rc = req_redirect(rq, 303, "%s", back);
	}
	sodium_memzero(token, sizeof(token));
	return rc;
}

/* ---- the token endpoint ----------------------------------------------------------------------------- */

static enum srv_err oauth_error(struct req *rq, int status, const char *error, const char *desc)
{
	if (status == 401)
		snprintf(rq->www_authenticate, sizeof(rq->www_authenticate), "Basic realm=\"postern\"");
	return req_reply(rq, status, json_pack("{s:s,s:s}", "error", error, "error_description", desc));
}

/* Issue an access token (and a refresh token for grants) and answer the token request. */
static enum srv_err issue(struct req *rq, const struct store_grant *g, const char *scopes)
{
	char at[AUTH_PREFIXED_LEN + 1], rt[AUTH_PREFIXED_LEN + 1];
	unsigned char h[32];
	struct store_token t = {0};
	json_t *body;
	enum srv_err rc;
	int64_t ttl = (g ? rq->cfg->access_ttl_s : rq->cfg->client_ttl_s) * 1000;

	if (g && g->expires_at - rq->now < ttl) /* nothing outlives the grant */
		ttl = g->expires_at - rq->now;
	t.kind = g ? STORE_TOKEN_ACCESS : STORE_TOKEN_CLIENT;
	t.app_id = rq->app->id;
	t.grant_id = g ? g->id : 0;
	snprintf(t.scopes, sizeof(t.scopes), "%s", scopes);
	t.created_at = rq->now;
	t.expires_at = rq->now + ttl;
	auth_token_new_prefixed(g ? AUTH_PREFIX_ACCESS : AUTH_PREFIX_CLIENT, at, sizeof(at), h);
	rc = rq->ops->token_insert(rq->db, h, &t);
	if (rc != SRV_E_OK)
		goto out;
	body = json_pack("{s:s,s:s,s:I,s:s}", "access_token", at, "token_type", "Bearer", "expires_in",
			 (json_int_t)((ttl + 999) / 1000), "scope", scopes);
	if (g) {
		json_error_t jerr;
		json_t *details = json_loads(g->details, 0, &jerr);
		t.kind = STORE_TOKEN_REFRESH;
		t.expires_at = g->expires_at;
		auth_token_new_prefixed(AUTH_PREFIX_REFRESH, rt, sizeof(rt), h);
		rc = rq->ops->token_insert(rq->db, h, &t);
		json_object_set_new(body, "refresh_token", json_string(rt));
		{ /* the person, as this app knows them (what an app device's registration signs) */
			char pw[PARTNER_PAIRWISE_LEN];
			partner_pairwise(g->app_id, g->user_id, pw);
			json_object_set_new(body, "sub", json_string(pw));
		}
		if (json_array_size(details))
			json_object_set_new(body, "authorization_details", details);
		else
			json_decref(details);
		sodium_memzero(rt, sizeof(rt));
	}
	if (rc == SRV_E_OK)
		rc = req_reply(rq, 200, body);
	else
		json_decref(body);
out:
	sodium_memzero(at, sizeof(at));
	return rc;
}

static int grant_live(const struct store_grant *g, int64_t now)
{
	return g->revoked_at == 0 && g->expires_at > now;
}

/*
 * End the grant of grant_id for cause (its code replayed, its refresh token reused, its refresh token
 * revoked by the app): partner_grant_end, so its streams end and the person's log says why.
 */
static enum srv_err grant_end_by_id(struct req *rq, int64_t grant_id, const char *action)
{
	struct store_grant g;
	enum srv_err rc = rq->ops->grant_by_id(rq->db, grant_id, &g);
	if (rc == SRV_E_NOT_FOUND)
		return SRV_E_OK;
	return rc == SRV_E_OK ? partner_grant_end(rq, &g, action) : rc;
}

static enum srv_err code_replayed(struct req *rq, int64_t grant_id)
{
	enum srv_err rc = grant_end_by_id(rq, grant_id, "grant.revoked.code_replay");
	if (rc != SRV_E_OK)
		return rc;
	return oauth_error(rq, 400, "invalid_grant", "this code was already used; its grant is revoked");
}

static enum srv_err grant_authorization_code(struct req *rq)
{
	const char *code = req_form(rq, "code"), *verifier = req_form(rq, "code_verifier"), *redirect = req_form(rq, "redirect_uri");
	struct store_code c;
	struct store_grant g;
	unsigned char h[32], digest[crypto_hash_sha256_BYTES];
	char computed[64];
	enum srv_err rc;

	if (code == NULL || verifier == NULL || redirect == NULL)
		return oauth_error(rq, 400, "invalid_request", "code, code_verifier and redirect_uri are required");
	if (!challenge_ok(verifier))
		return oauth_error(rq, 400, "invalid_grant", "code_verifier must be 43 to 128 unreserved characters");
	auth_token_hash(code, strlen(code), h);
	/* another app's code is not found, and stays good for its own app (RFC 6749 4.1.3) */
	rc = rq->ops->code_get(rq->db, h, rq->app->id, &c);
	if (rc == SRV_E_NOT_FOUND)
		return oauth_error(rq, 400, "invalid_grant", "unknown or expired code");
	if (rc != SRV_E_OK)
		return rc;
	if (c.used_at) /* a replay: whatever the first redemption issued dies with the grant */
		return code_replayed(rq, c.grant_id);
	if (c.expires_at <= rq->now)
		return oauth_error(rq, 400, "invalid_grant", "unknown or expired code");
	if (strcmp(c.redirect_uri, redirect) != 0)
		return oauth_error(rq, 400, "invalid_grant", "redirect_uri does not match the authorization request");
	crypto_hash_sha256(digest, (const unsigned char *)verifier, strlen(verifier));
	b64url_encode(digest, sizeof(digest), computed, sizeof(computed));
	if (strlen(c.challenge) != strlen(computed) || sodium_memcmp(computed, c.challenge, strlen(computed)) != 0)
		return oauth_error(rq, 400, "invalid_grant", "code_verifier does not match code_challenge");
	rc = rq->ops->grant_by_id(rq->db, c.grant_id, &g);
	if (rc != SRV_E_OK)
		return rc;
	if (!grant_live(&g, rq->now))
		return oauth_error(rq, 400, "invalid_grant", "the grant is no longer valid");
	/* used up only by a redemption that succeeds: a refused one (wrong verifier or redirect) leaves it */
	rc = rq->ops->code_use(rq->db, c.id, rq->now);
	if (rc == SRV_E_NOT_FOUND) /* redeemed meanwhile: a replay after all */
		return code_replayed(rq, c.grant_id);
	if (rc != SRV_E_OK)
		return rc;
	return issue(rq, &g, g.scopes);
}

static enum srv_err grant_refresh_token(struct req *rq)
{
	const char *rt = req_form(rq, "refresh_token"), *scope = req_form(rq, "scope");
	struct store_token t;
	struct store_grant g;
	unsigned char h[32];
	char narrowed[STORE_SCOPES_LEN], bad[64];
	enum srv_err rc;

	if (rt == NULL)
		return oauth_error(rq, 400, "invalid_request", "refresh_token is required");
	auth_token_hash(rt, strlen(rt), h);
	rc = rq->ops->token_by_hash(rq->db, h, &t);
	if (rc == SRV_E_NOT_FOUND || (rc == SRV_E_OK && (t.kind != STORE_TOKEN_REFRESH || t.app_id != rq->app->id)))
		return oauth_error(rq, 400, "invalid_grant", "unknown refresh token");
	if (rc != SRV_E_OK)
		return rc;
	if (t.revoked_at || t.expires_at <= rq->now)
		return oauth_error(rq, 400, "invalid_grant", "the refresh token is no longer valid");
	if (t.used_at || rq->ops->token_use(rq->db, t.id, rq->now) == SRV_E_NOT_FOUND) {
		/* presented twice: someone holds a copy, so the whole grant ends */
		rc = grant_end_by_id(rq, t.grant_id, "grant.revoked.refresh_reuse");
		if (rc != SRV_E_OK)
			return rc;
		return oauth_error(rq, 400, "invalid_grant", "this refresh token was already used; its grant is revoked");
	}
	rc = rq->ops->grant_by_id(rq->db, t.grant_id, &g);
	if (rc != SRV_E_OK)
		return rc;
	if (!grant_live(&g, rq->now))
		return oauth_error(rq, 400, "invalid_grant", "the grant is no longer valid");
	if (scope) { /* narrowing only */
		if (scope_check(scope, t.scopes, 1, narrowed, sizeof(narrowed), bad, sizeof(bad)) != 0 || narrowed[0] == '\0')
			return oauth_error(rq, 400, "invalid_scope", "scope may only narrow the grant");
		return issue(rq, &g, narrowed);
	}
	return issue(rq, &g, t.scopes);
}

static enum srv_err grant_client_credentials(struct req *rq)
{
	const char *scope = req_form(rq, "scope");
	char scopes[STORE_SCOPES_LEN], bad[64];
	int i;

	if (!rq->app->has_secret)
		return oauth_error(rq, 400, "unauthorized_client", "public clients cannot use client_credentials");
	if (scope == NULL) { /* default: every app-level scope in the agreement */
		scopes[0] = '\0';
		for (i = 0; i < scope_count; i++)
			if (!scope_table[i].for_person && scope_has(rq->app->scopes, scope_table[i].name))
				snprintf(scopes + strlen(scopes), sizeof(scopes) - strlen(scopes), "%s%s", scopes[0] ? " " : "",
					 scope_table[i].name);
	} else if (scope_check(scope, rq->app->scopes, 0, scopes, sizeof(scopes), bad, sizeof(bad)) != 0)
		return oauth_error(rq, 400, "invalid_scope", "a requested scope is unknown or not in the app's agreement");
	if (scopes[0] == '\0')
		return oauth_error(rq, 400, "invalid_scope", "the app's agreement has no app-level scope");
	return issue(rq, NULL, scopes);
}

/* The grant types, as a table. */
static const struct {
	const char *name;
	enum srv_err (*fn)(struct req *rq);
} grant_types[] = {
	{"authorization_code", grant_authorization_code},
	{"refresh_token", grant_refresh_token},
	{"client_credentials", grant_client_credentials},
};

enum srv_err h_oauth_token(struct req *rq)
{
	const char *gt = req_form(rq, "grant_type");
	size_t i;
	if (auth_client(rq) != SRV_E_OK)
		return oauth_error(rq, 401, "invalid_client", "client authentication failed");
	if (gt == NULL)
		return oauth_error(rq, 400, "invalid_request", "grant_type is required");
	for (i = 0; i < sizeof(grant_types) / sizeof(grant_types[0]); i++)
		if (strcmp(gt, grant_types[i].name) == 0)
			return grant_types[i].fn(rq);
	return oauth_error(rq, 400, "unsupported_grant_type", "grant_type must be authorization_code, refresh_token or client_credentials");
}

enum srv_err h_oauth_revoke(struct req *rq)
{
	const char *tok = req_form(rq, "token");
	struct store_token t;
	unsigned char h[32];
	enum srv_err rc;

	if (auth_client(rq) != SRV_E_OK)
		return oauth_error(rq, 401, "invalid_client", "client authentication failed");
	if (tok == NULL)
		return oauth_error(rq, 400, "invalid_request", "token is required");
	auth_token_hash(tok, strlen(tok), h);
	rc = rq->ops->token_by_hash(rq->db, h, &t);
	if (rc == SRV_E_OK && t.app_id == rq->app->id) {
		/* a refresh token stands for the grant (RFC 7009 2.1): its access tokens go too */
		if (t.kind == STORE_TOKEN_REFRESH)
			rc = grant_end_by_id(rq, t.grant_id, "grant.revoked.by_app");
		else
			rc = rq->ops->token_revoke(rq->db, t.id, rq->now);
		if (rc == SRV_E_OK && t.kind == STORE_TOKEN_ACCESS) { /* its streams re-check it and end */
			struct store_grant g;
			rc = rq->ops->grant_by_id(rq->db, t.grant_id, &g);
			if (rc == SRV_E_OK)
				req_notify(rq, g.user_id);
			else if (rc == SRV_E_NOT_FOUND)
				rc = SRV_E_OK;
		}
		if (rc != SRV_E_OK)
			return rc;
	} else if (rc != SRV_E_OK && rc != SRV_E_NOT_FOUND)
		return rc;
	return req_reply(rq, 200, json_object()); /* the same answer whether or not it existed */
}

enum srv_err h_oauth_introspect(struct req *rq)
{
	const char *tok = req_form(rq, "token");
	struct store_token t;
	struct store_grant g;
	unsigned char h[32];
	char pw[PARTNER_PAIRWISE_LEN];
	json_t *body;
	enum srv_err rc;

	if (auth_client(rq) != SRV_E_OK || !rq->app->has_secret)
		return oauth_error(rq, 401, "invalid_client", "client authentication failed");
	if (tok == NULL)
		return oauth_error(rq, 400, "invalid_request", "token is required");
	auth_token_hash(tok, strlen(tok), h);
	rc = rq->ops->token_by_hash(rq->db, h, &t);
	if (rc == SRV_E_NOT_FOUND || (rc == SRV_E_OK && (t.app_id != rq->app->id || t.revoked_at || t.expires_at <= rq->now)))
		return req_reply(rq, 200, json_pack("{s:b}", "active", 0));
	if (rc != SRV_E_OK)
		return rc;
	body = json_pack("{s:b,s:s,s:s,s:I,s:I,s:s,s:s}", "active", 1, "scope", t.scopes, "client_id", rq->app->client_id,
			 "exp", (json_int_t)(t.expires_at / 1000), "iat", (json_int_t)(t.created_at / 1000), "iss", partner_issuer(),
			 "token_type", t.kind == STORE_TOKEN_REFRESH ? "refresh_token" : "Bearer");
	if (t.grant_id) {
		json_error_t jerr;
		json_t *details;
		rc = rq->ops->grant_by_id(rq->db, t.grant_id, &g);
		if (rc != SRV_E_OK || !grant_live(&g, rq->now)) {
			json_decref(body);
			return rc != SRV_E_OK ? rc : req_reply(rq, 200, json_pack("{s:b}", "active", 0));
		}
		partner_pairwise(g.app_id, g.user_id, pw);
		json_object_set_new(body, "sub", json_string(pw));
		details = json_loads(g.details, 0, &jerr);
		if (json_array_size(details))
			json_object_set_new(body, "authorization_details", details);
		else
			json_decref(details);
	}
	return req_reply(rq, 200, body);
}
