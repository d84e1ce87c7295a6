/*
 * routes.c — the route table and its matcher (see routes.h). To add an endpoint: write the handler, add
 * one row here, add its expectation to tests/integration/t14_authz.py, and document it in docs/api.md.
 */
#include "routes.h"

#include "handlers.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "banned.h" /* last: bans footguns in this file only */

#define S CRED_SESSION
#define N CRED_NONE
#define A CRED_APP
#define K CRED_CLIENT
#define C CRED_COOKIE
#define J ROUTE_JSON_BODY
#define F ROUTE_FORM_BODY
#define H ROUTE_HTML
#define O ROUTE_OAUTH
#define W ROUTE_CORS

const struct route route_table[] = {
	/* method  path                                         kind         creds scope flags handler prepare */
	{"GET",    "/",                                         ROUTE_READ,  N, NULL, 0, h_web_index, NULL, "the web client"},
	{"GET",    "/assets/{name}",                            ROUTE_READ,  N, NULL, 0, h_web_asset, NULL, "the web client's scripts and styles"},
	{"GET",    "/v1/health",                                ROUTE_READ,  N, NULL, 0, h_health, NULL, "server status"},
	{"POST",   "/v1/accounts",                              ROUTE_WRITE, N, NULL, J, h_account_create, h_account_create_prepare, "register"},
	{"POST",   "/v1/sessions",                              ROUTE_WRITE, N, NULL, J, h_session_create, h_session_create_prepare, "log in"},
	{"DELETE", "/v1/sessions/current",                      ROUTE_WRITE, S, NULL, 0, h_session_delete, NULL, "log out"},
	{"DELETE", "/v1/sessions",                              ROUTE_WRITE, S, NULL, 0, h_sessions_delete_all, NULL, "log out everywhere"},
	{"GET",    "/v1/sessions",                              ROUTE_READ,  S, NULL, 0, h_sessions_list, NULL, "where I am logged in"},
	{"DELETE", "/v1/sessions/{id}",                         ROUTE_WRITE, S, NULL, 0, h_session_end, NULL, "end one of my sessions"},
	{"GET",    "/v1/me",                                    ROUTE_READ,  S, NULL, 0, h_me, NULL, "who am I"},
	{"POST",   "/v1/me/password",                           ROUTE_WRITE, S, NULL, J, h_password_change, h_password_change_prepare, "change the password; other sessions end"},
	{"DELETE", "/v1/me",                                    ROUTE_WRITE, S, NULL, J, h_account_delete, h_account_delete_prepare, "delete my account (password); everything of it ends"},
	{"POST",   "/v1/friends/requests",                      ROUTE_WRITE, S, NULL, J, h_friend_request_create, NULL, "ask to be friends"},
	{"GET",    "/v1/friends/requests",                      ROUTE_READ,  S, NULL, 0, h_friend_requests_list, NULL, "pending requests"},
	{"POST",   "/v1/friends/requests/{id}/accept",          ROUTE_WRITE, S, NULL, 0, h_friend_request_accept, NULL, "accept a request"},
	{"POST",   "/v1/friends/requests/{id}/decline",         ROUTE_WRITE, S, NULL, 0, h_friend_request_decline, NULL, "decline a request"},
	{"DELETE", "/v1/friends/requests/{id}",                 ROUTE_WRITE, S, NULL, 0, h_friend_request_withdraw, NULL, "take back a request I sent"},
	{"GET",    "/v1/friends",                               ROUTE_READ,  S, NULL, 0, h_friends_list, NULL, "list friends"},
	{"DELETE", "/v1/friends/{user_id}",                     ROUTE_WRITE, S, NULL, 0, h_friend_delete, NULL, "unfriend"},
	{"POST",   "/v1/devices",                               ROUTE_WRITE, S, NULL, J, h_device_create, NULL, "register a device"},
	{"GET",    "/v1/devices",                               ROUTE_READ,  S, NULL, 0, h_devices_list, NULL, "my devices"},
	{"DELETE", "/v1/devices/{id}",                          ROUTE_WRITE, S, NULL, 0, h_device_delete, NULL, "remove a device"},
	{"GET",    "/v1/users/{user_id}/devices",               ROUTE_READ,  S, NULL, 0, h_user_devices, NULL, "a contact's devices"},

	/* identity keys and signed devices (protocol version 2): the server keeps what clients sign */
	{"PUT",    "/v1/me/identity",                           ROUTE_WRITE, S, NULL, J, h_identity_put, NULL, "publish my identity key and its sealed backup"},
	{"GET",    "/v1/me/identity/backup",                    ROUTE_READ,  S, NULL, 0, h_identity_backup, NULL, "my sealed identity backup (rate-limited)"},
	{"GET",    "/v1/devices/pending",                       ROUTE_READ,  S, NULL, 0, h_device_pending, NULL, "my unapproved device with this approval code"},
	{"PUT",    "/v1/devices/{id}/cert",                     ROUTE_WRITE, S, NULL, J, h_device_cert, NULL, "approve one of my devices"},
	{"POST",   "/v1/device-revocations",                    ROUTE_WRITE, S, NULL, J, h_device_revocation, NULL, "remove one of my devices for good (signed)"},
	{"POST",   "/v1/me/contacts",                           ROUTE_WRITE, S, NULL, J, h_contact_add, NULL, "record a contact's identity key as seen or verified"},
	{"GET",    "/v1/me/contacts",                           ROUTE_READ,  S, NULL, 0, h_contacts_list, NULL, "my contact statements"},
	{"POST",   "/v1/keys",                                  ROUTE_WRITE, S, NULL, J, h_keys_upload, NULL, "upload my device's prekeys"},
	{"GET",    "/v1/keys",                                  ROUTE_READ,  S, NULL, 0, h_keys_count, NULL, "my device's prekeys left"},
	{"POST",   "/v1/keys/claim",                            ROUTE_WRITE, S, NULL, J, h_keys_claim, NULL, "take devices' prekeys (one-time keys once)"},
	{"POST",   "/v1/threads",                               ROUTE_WRITE, S, NULL, J, h_thread_create, NULL, "start a thread"},
	{"GET",    "/v1/threads",                               ROUTE_READ,  S, NULL, 0, h_threads_list, NULL, "the inbox"},
	{"GET",    "/v1/threads/{id}",                          ROUTE_READ,  S, NULL, 0, h_thread_get, NULL, "a thread with its devices"},
	{"POST",   "/v1/threads/{id}/members",                  ROUTE_WRITE, S, NULL, J, h_thread_member_add, NULL, "add a member"},
	{"DELETE", "/v1/threads/{id}/members/{user_id}",        ROUTE_WRITE, S, NULL, 0, h_thread_member_remove, NULL, "remove a member or leave"},
	{"GET",    "/v1/threads/{id}/chain",                    ROUTE_READ,  S, NULL, 0, h_thread_chain, NULL, "a thread's membership chain"},
	{"POST",   "/v1/threads/{id}/messages",                 ROUTE_WRITE, S, NULL, J, h_message_create, NULL, "send"},
	{"GET",    "/v1/threads/{id}/messages",                 ROUTE_READ,  S, NULL, 0, h_messages_list, NULL, "read history"},
	{"DELETE", "/v1/threads/{id}/messages/{message_id}",    ROUTE_WRITE, S, NULL, 0, h_message_delete, NULL, "delete own message"},
	{"POST",   "/v1/threads/{id}/read",                     ROUTE_WRITE, S, NULL, J, h_thread_read, NULL, "move the read marker"},
	{"POST",   "/v1/to-device",                             ROUTE_WRITE, S, NULL, J, h_to_device, NULL, "send to devices"},
	{"GET",    "/v1/sync",                                  ROUTE_SYNC,  S, NULL, 0, h_sync, NULL, "long-poll the event log"},
	{"GET",    "/v1/events",                                ROUTE_SSE,   S, NULL, 0, h_events, NULL, "stream the event log"},

	/* the transparency log (public: it holds hashes and commitments only) */
	{"GET",    "/v1/log/checkpoint",                        ROUTE_READ,  N, NULL, 0, h_log_checkpoint, NULL, "the log's signed checkpoint"},
	{"GET",    "/v1/log/proof/inclusion",                   ROUTE_READ,  N, NULL, 0, h_log_inclusion, NULL, "an inclusion proof"},
	{"GET",    "/v1/log/proof/consistency",                 ROUTE_READ,  N, NULL, 0, h_log_consistency, NULL, "a consistency proof"},
	{"GET",    "/v1/log/leaves",                            ROUTE_READ,  N, NULL, 0, h_log_leaves, NULL, "raw leaves, for auditors and monitors"},
	{"POST",   "/v1/log/cosignatures",                      ROUTE_WRITE, N, NULL, J, h_log_cosignature, NULL, "a witness cosigns a checkpoint"},
	{"GET",    "/v1/me/log-key",                            ROUTE_READ,  S, NULL, 0, h_log_my_key, NULL, "my key to my access-log lines in the log"},

	/* the OAuth 2.0 authorization server */
	{"GET",    "/.well-known/oauth-authorization-server",   ROUTE_READ,  N, NULL, W, h_oauth_metadata, NULL, "authorization server metadata (RFC 8414)"},
	{"GET",    "/oauth/authorize",                          ROUTE_READ,  N | C, NULL, H, h_oauth_authorize, NULL, "login, then the consent page"},
	{"POST",   "/oauth/authorize",                          ROUTE_WRITE, N | C, NULL, F | H, h_oauth_decide, NULL, "approve or deny (CSRF-checked)"},
	{"POST",   "/oauth/login",                              ROUTE_WRITE, N, NULL, F | H, h_oauth_login, h_oauth_login_prepare, "browser login form"},
	{"POST",   "/oauth/token",                              ROUTE_WRITE, N, NULL, F | O | W, h_oauth_token, NULL, "token endpoint"},
	{"POST",   "/oauth/revoke",                             ROUTE_WRITE, N, NULL, F | O | W, h_oauth_revoke, NULL, "token revocation (RFC 7009)"},
	{"POST",   "/oauth/introspect",                         ROUTE_READ,  N, NULL, F | O, h_oauth_introspect, NULL, "token introspection (RFC 7662)"},
	{"GET",    "/oauth/share",                              ROUTE_READ,  N | C, NULL, H, h_page_share, NULL, "pick friends an app may send to"},
	{"POST",   "/oauth/share",                              ROUTE_WRITE, N | C, NULL, F | H, h_page_share_post, NULL, "the picks, back to the app"},

	/* the partner Inbox API: an app acting for one person, within one grant (all on the writer: each call is
	 * logged in the person's access log in the same transaction) */
	{"GET",    "/v1/partner/friends",                       ROUTE_WRITE, A, "friends:read", W, h_partner_friends, NULL, "friends who also use the app"},
	{"POST",   "/v1/partner/shares",                        ROUTE_WRITE, A, "messages:send", J | W, h_partner_share, NULL, "share an item to a friend"},
	{"POST",   "/v1/partner/threads",                       ROUTE_WRITE, A, "messages:send", J | W, h_partner_thread_open, NULL, "the app thread with a friend, and its readers"},
	{"GET",    "/v1/partner/threads",                       ROUTE_WRITE, A, "messages:read", W, h_partner_threads, NULL, "the grant's app threads"},
	{"GET",    "/v1/partner/threads/{id}/messages",         ROUTE_WRITE, A, "messages:read", W, h_partner_messages, NULL, "read an app thread"},
	{"DELETE", "/v1/partner/threads/{id}/messages/{message_id}", ROUTE_WRITE, A, "messages:delete", W, h_partner_delete, NULL, "delete what the app sent"},
	{"POST",   "/v1/partner/devices",                       ROUTE_WRITE, A, NULL, J | W, h_partner_device, NULL, "register the app's E2EE device"},
	{"POST",   "/v1/partner/to-device",                     ROUTE_WRITE, A, "messages:send", J | W, h_partner_to_device, NULL, "hand session keys to readers"},
	{"POST",   "/v1/partner/keys",                          ROUTE_WRITE, A, NULL, J | W, h_partner_keys_upload, NULL, "upload the app device's prekeys"},
	{"GET",    "/v1/partner/keys",                          ROUTE_WRITE, A, NULL, W, h_partner_keys_count, NULL, "the app device's prekeys left"},
	{"POST",   "/v1/partner/keys/claim",                    ROUTE_WRITE, A, "messages:send", J | W, h_partner_keys_claim, NULL, "take readers' prekeys"},
	{"GET",    "/v1/partner/sync",                          ROUTE_SYNC,  A, "messages:read", W, h_sync, NULL, "long-poll the grant's threads"},
	{"GET",    "/v1/partner/events",                        ROUTE_SSE,   A, "messages:read", W, h_events, NULL, "stream the grant's threads"},
	{"GET",    "/v1/partner/reports",                       ROUTE_WRITE, K, "reports:read", 0, h_partner_reports, NULL, "the app's biweekly report"},

	/* the person's side of the partner platform */
	{"POST",   "/v1/threads/{id}/app-consent",              ROUTE_WRITE, S, NULL, J, h_app_consent, NULL, "let the app read my replies, or not"},
	{"POST",   "/v1/shares/{id}/click",                     ROUTE_WRITE, S, NULL, 0, h_share_click, NULL, "the recipient opened a share"},
	{"GET",    "/v1/me/grants",                             ROUTE_READ,  S, NULL, 0, h_me_grants, NULL, "connected apps"},
	{"DELETE", "/v1/me/grants/{id}",                        ROUTE_WRITE, S, NULL, 0, h_me_grant_revoke, NULL, "disconnect an app"},
	{"PUT",    "/v1/me/grants/{id}/alias",                  ROUTE_WRITE, S, NULL, J, h_me_grant_alias, NULL, "the name this app shows for me"},
	{"GET",    "/v1/me/access-log",                         ROUTE_READ,  S, NULL, 0, h_me_access_log, NULL, "what apps did"},
	{"GET",    "/v1/me/app-devices",                        ROUTE_READ,  S, NULL, 0, h_app_devices_list, NULL, "my apps' devices and what I signed for them"},
	{"PUT",    "/v1/me/app-devices/{id}/authorisation",     ROUTE_WRITE, S, NULL, J, h_app_device_authorise, NULL, "let an app's device read and write (signed)"},
	{"POST",   "/v1/me/app-devices/{id}/revocation",        ROUTE_WRITE, S, NULL, J, h_app_device_revoke, NULL, "end an app's device and its grant (signed)"},
	{"GET",    "/account/apps",                             ROUTE_READ,  N | C, NULL, H, h_page_apps, NULL, "connected apps page"},
	{"POST",   "/account/apps/{id}/revoke",                 ROUTE_WRITE, N | C, NULL, F | H, h_page_app_revoke, NULL, "end one grant (CSRF-checked)"},
	{"GET",    "/account/apps/{id}/disconnect",             ROUTE_READ,  N | C, NULL, H, h_page_app_disconnect_confirm, NULL, "what disconnecting the app {client_id} stops"},
	{"POST",   "/account/apps/{id}/disconnect",             ROUTE_WRITE, N | C, NULL, F | H, h_page_app_disconnect, NULL, "end every grant of the app (CSRF-checked)"},
	{"GET",    "/account/access-log",                       ROUTE_READ,  N | C, NULL, H, h_page_access_log, NULL, "access log page"},
};

const int route_count = (int)(sizeof(route_table) / sizeof(route_table[0]));

#undef S
#undef N
#undef A
#undef K
#undef C
#undef J
#undef F
#undef H
#undef O
#undef W

/* Match one pattern against path; fills params on success. Returns 1 match, 0 no, -1 a segment too long. */
static int pattern_match(const char *pat, const char *path, struct req *rq)
{
	int np = 0;
	while (*pat && *path) {
		if (*pat == '{') {
			const char *seg_end = strchr(path, '/');
			size_t len = seg_end ? (size_t)(seg_end - path) : strlen(path);
			pat = strchr(pat, '}');
			if (pat == NULL || len == 0)
				return 0;
			pat++;
			if (len >= REQ_PARAM_LEN || np >= REQ_MAX_PARAMS)
				return -1;
			if (rq) {
				memcpy(rq->params[np], path, len);
				rq->params[np][len] = '\0';
			}
			np++;
			path += len;
			continue;
		}
		if (*pat != *path)
			return 0;
		pat++;
		path++;
	}
	if (*pat || *path)
		return 0;
	if (rq)
		rq->nparams = np;
	return 1;
}

const struct route *routes_match(const char *method, const char *path, struct req *rq, int *status)
{
	int i, path_known = 0;
	*status = 404;
	for (i = 0; i < route_count; i++) {
		int m = pattern_match(route_table[i].path, path, NULL);
		if (m < 0) {
			*status = 400;
			return NULL;
		}
		if (m == 0)
			continue;
		path_known = 1;
		if (strcmp(route_table[i].method, method) == 0) {
			pattern_match(route_table[i].path, path, rq);
			return &route_table[i];
		}
	}
	*status = path_known ? 405 : 404;
	return NULL;
}

int routes_cors_methods(const char *path, char *buf, size_t cap)
{
	int i, n = 0;
	size_t len = 0;
	buf[0] = '\0';
	for (i = 0; i < route_count; i++) {
		int w;
		if (!(route_table[i].flags & ROUTE_CORS) || pattern_match(route_table[i].path, path, NULL) != 1)
			continue;
		w = snprintf(buf + len, cap - len, "%s%s", n ? ", " : "", route_table[i].method);
		if (w < 0 || (size_t)w >= cap - len)
			break;
		len += (size_t)w;
		n++;
	}
	return n;
}

void routes_print_json(FILE *out)
{
	static const char *const kinds[] = {"read", "write", "sync", "sse"};
	json_t *arr = json_array();
	int i;
	char *text;
	for (i = 0; i < route_count; i++) {
		const struct route *r = &route_table[i];
		json_t *creds = json_array();
		if (r->creds & CRED_NONE)
			json_array_append_new(creds, json_string("none"));
		if (r->creds & CRED_SESSION)
			json_array_append_new(creds, json_string("session"));
		if (r->creds & CRED_APP)
			json_array_append_new(creds, json_string("app"));
		if (r->creds & CRED_CLIENT)
			json_array_append_new(creds, json_string("client"));
		if (r->creds & CRED_COOKIE)
			json_array_append_new(creds, json_string("cookie"));
		json_array_append_new(arr, json_pack("{s:s,s:s,s:s,s:o,s:s?,s:b,s:s}", "method", r->method, "path", r->path,
						     "kind", kinds[r->kind], "creds", creds, "scope", r->scope,
						     "cors", (r->flags & ROUTE_CORS) != 0, "summary", r->summary));
	}
	text = json_dumps(arr, JSON_INDENT(1));
	if (text)
		fprintf(out, "%s\n", text);
	free(text);
	json_decref(arr);
}
