/*
 * handlers.h — every route handler, grouped by the file that holds it. Handlers validate input, call the
 * domain helpers and storage primitives through rq->ops/rq->db, and render with views.c. Contracts: each
 * returns SRV_E_OK with rq->status/rq->resp set, or an error (with rq->errmsg for detail); on error, the
 * caller rolls back anything the handler wrote.
 */
#ifndef POSTERN_HANDLERS_H
#define POSTERN_HANDLERS_H

#include "req.h"

/* h_accounts.c — health, accounts, sessions, me */
enum srv_err h_health(struct req *rq);
enum srv_err h_account_create_prepare(struct req *rq);
enum srv_err h_account_create(struct req *rq);
enum srv_err h_session_create_prepare(struct req *rq);
enum srv_err h_session_create(struct req *rq);
enum srv_err h_session_delete(struct req *rq);
enum srv_err h_sessions_delete_all(struct req *rq);
enum srv_err h_sessions_list(struct req *rq);
enum srv_err h_session_end(struct req *rq);
enum srv_err h_password_change_prepare(struct req *rq);
enum srv_err h_password_change(struct req *rq);
/* h_account_delete.c: DELETE /v1/me (the password checked on a reader first). */
enum srv_err h_account_delete_prepare(struct req *rq);
enum srv_err h_account_delete(struct req *rq);
enum srv_err h_me(struct req *rq);

/* h_friends.c */
enum srv_err h_friend_request_create(struct req *rq);
enum srv_err h_friend_requests_list(struct req *rq);
enum srv_err h_friend_request_accept(struct req *rq);
enum srv_err h_friend_request_decline(struct req *rq);
enum srv_err h_friend_request_withdraw(struct req *rq);
enum srv_err h_friends_list(struct req *rq);
enum srv_err h_friend_delete(struct req *rq);

/* h_devices.c */
enum srv_err h_device_create(struct req *rq);
enum srv_err h_devices_list(struct req *rq);
enum srv_err h_device_delete(struct req *rq);
enum srv_err h_user_devices(struct req *rq);
enum srv_err h_to_device(struct req *rq);
/*
 * Remove device d of rq's user (DELETE /v1/devices/{id}, a signed revocation): its sessions lose the binding,
 * its waiting to-device events and prekeys go, and the person's contacts get device.removed. In the
 * current transaction; returns SRV_E_OK or a storage error.
 */
enum srv_err devices_remove(struct req *rq, const struct store_device *d);
/* SRV_E_OK when rq's user may see other's devices (self, friend, thread co-member), else SRV_E_NOT_FOUND. */
enum srv_err devices_may_see(struct req *rq, int64_t other);

/* h_identity.c — identity keys, device certificates and approval, revocations, contact statements */
enum srv_err h_identity_put(struct req *rq);
enum srv_err h_identity_backup(struct req *rq);
enum srv_err h_device_cert(struct req *rq);
enum srv_err h_device_pending(struct req *rq);
enum srv_err h_device_revocation(struct req *rq);
enum srv_err h_contact_add(struct req *rq);
enum srv_err h_contacts_list(struct req *rq);

/* h_keys.c — prekeys: upload, count, claim (a person's devices and partner apps' devices) */
enum srv_err h_keys_upload(struct req *rq);
enum srv_err h_keys_count(struct req *rq);
enum srv_err h_keys_claim(struct req *rq);
enum srv_err h_partner_keys_upload(struct req *rq);
enum srv_err h_partner_keys_count(struct req *rq);
enum srv_err h_partner_keys_claim(struct req *rq);

/* h_chain.c — a thread's membership chain */
enum srv_err h_thread_chain(struct req *rq);

/* h_app_devices.c — the person's signed authorisations and revocations of partner apps' devices */
enum srv_err h_app_devices_list(struct req *rq);
enum srv_err h_app_device_authorise(struct req *rq);
enum srv_err h_app_device_revoke(struct req *rq);

/* h_threads.c */
enum srv_err h_thread_create(struct req *rq);
enum srv_err h_threads_list(struct req *rq);
enum srv_err h_thread_get(struct req *rq);
enum srv_err h_thread_member_add(struct req *rq);
enum srv_err h_thread_member_remove(struct req *rq);
enum srv_err h_thread_read(struct req *rq);

/* h_messages.c */
enum srv_err h_message_create(struct req *rq);
enum srv_err h_messages_list(struct req *rq);
enum srv_err h_message_delete(struct req *rq);

/* h_sync.c — the event log, read by long-poll and SSE */
enum srv_err h_sync(struct req *rq);
enum srv_err h_events(struct req *rq);

/* oauth.c — the authorization server */
enum srv_err h_oauth_metadata(struct req *rq);
enum srv_err h_oauth_authorize(struct req *rq);
enum srv_err h_oauth_decide(struct req *rq);
enum srv_err h_oauth_login_prepare(struct req *rq);
enum srv_err h_oauth_login(struct req *rq);
enum srv_err h_oauth_token(struct req *rq);
enum srv_err h_oauth_revoke(struct req *rq);
enum srv_err h_oauth_introspect(struct req *rq);
/* h_partner.c — the scoped Inbox API, app consent, clicks */
enum srv_err h_partner_friends(struct req *rq);
enum srv_err h_partner_share(struct req *rq);
enum srv_err h_partner_threads(struct req *rq);
enum srv_err h_partner_messages(struct req *rq);
enum srv_err h_partner_delete(struct req *rq);
enum srv_err h_app_consent(struct req *rq);
enum srv_err h_share_click(struct req *rq);
enum srv_err h_partner_device(struct req *rq);
enum srv_err h_partner_thread_open(struct req *rq);
enum srv_err h_partner_to_device(struct req *rq);

/* h_me.c — grants, access log, account pages, share page, partner reports */
enum srv_err h_me_grants(struct req *rq);
enum srv_err h_me_grant_revoke(struct req *rq);
enum srv_err h_me_grant_alias(struct req *rq);
enum srv_err h_me_access_log(struct req *rq);
enum srv_err h_page_apps(struct req *rq);
enum srv_err h_page_app_revoke(struct req *rq);
enum srv_err h_page_access_log(struct req *rq);
enum srv_err h_page_share(struct req *rq);
enum srv_err h_page_share_post(struct req *rq);
enum srv_err h_partner_reports(struct req *rq);

/* The login form (status, where to return after, an optional message); used by every page needing a login. */
enum srv_err oauth_login_page(struct req *rq, int status, const char *return_to, const char *message);

/*
 * Append up to limit events of rq's user after *cursor to out (a JSON array, borrowed), rendered for the
 * wire, and advance *cursor past them. Sets *more when the limit was hit. Used by h_sync and push.c.
 */
enum srv_err sync_collect(struct req *rq, int64_t *cursor, int limit, json_t *out, int *more);

/* h_log.c: the transparency log */
enum srv_err h_log_checkpoint(struct req *rq);
enum srv_err h_log_inclusion(struct req *rq);
enum srv_err h_log_consistency(struct req *rq);
enum srv_err h_log_leaves(struct req *rq);
enum srv_err h_log_cosignature(struct req *rq);
enum srv_err h_log_my_key(struct req *rq);

#endif
