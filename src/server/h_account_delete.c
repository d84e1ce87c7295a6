/*
 * h_account_delete.c — leaving: DELETE /v1/me ends a person's account at once. The password is checked in the
 * prepare step on a reader (auth_login, under the failed-login limit), so a stolen session alone cannot
 * delete anyone. The writer tells the people the account shared something with — its friends, the members
 * of its threads — and then storage's account_delete removes or erases everything of the account in the
 * same transaction (store.h says exactly what goes and what stays; docs/api.md says what the others keep).
 * Nothing here knows SQL; the username stays taken for --username-quarantine days.
 */
#include "handlers.h"

#include "auth.h"
#include "events.h"
#include "jsonv.h"

#include <stdlib.h>
#include <string.h>

#include "banned.h" /* last: bans footguns in this file only */

enum srv_err h_account_delete_prepare(struct req *rq)
{
	const char *password;
	struct store_user u;
	enum srv_err rc;

	if ((rc = jsonv_str(rq, "password", 1, 1024, &password)) != SRV_E_OK)
		return rc;
	rc = auth_login(rq, rq->user.username, password, &u);
	if (rc == SRV_E_RATE_LIMITED)
		return req_fail(rq, SRV_E_RATE_LIMITED, "too many wrong passwords for this user; retry later");
	if (rc == SRV_E_INVALID_CREDENTIALS) /* not 401: the session itself is fine */
		return req_fail(rq, SRV_E_FORBIDDEN, "the password is wrong");
	if (rc != SRV_E_OK)
		return rc;
	return u.id == rq->user.id ? SRV_E_OK : SRV_E_INTERNAL;
}

/* Ids collected from a listing before events are written (no writes while a listing runs). */
struct id_list {
	int64_t *ids;
	char (*public_ids)[STORE_ID_LEN];
	size_t n, cap;
	int failed;
};

static void id_add(struct id_list *l, int64_t id, const char *public_id)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		int64_t *ids = realloc(l->ids, cap * sizeof(*ids));
		char (*pub)[STORE_ID_LEN] = ids ? realloc(l->public_ids, cap * sizeof(*pub)) : NULL;
		if (ids)
			l->ids = ids;
		if (pub)
			l->public_ids = pub;
		if (ids == NULL || pub == NULL) {
			l->failed = 1;
			return;
		}
		l->cap = cap;
	}
	l->ids[l->n] = id;
	snprintf(l->public_ids[l->n], STORE_ID_LEN, "%s", public_id);
	l->n++;
}

static int friend_row(void *arg, const struct store_friend *row)
{
	id_add(arg, row->user.id, row->user.public_id);
	return 0;
}

static int thread_row(void *arg, const struct store_thread *row)
{
	id_add(arg, row->id, row->public_id);
	return 0;
}

/* DELETE /v1/me: see the file comment. 204; the caller's session is gone with the rest. */
enum srv_err h_account_delete(struct req *rq)
{
	struct id_list friends = {0}, threads = {0};
	const char *me = rq->user.public_id;
	size_t i;
	enum srv_err rc = rq->ops->friend_list(rq->db, rq->user.id, friend_row, &friends);

	if (rc == SRV_E_OK) /* the same bound as events_emit_contacts */
		rc = rq->ops->thread_list_for_user(rq->db, rq->user.id, 0, 0, 10000, thread_row, &threads);
	if (rc == SRV_E_OK && (friends.failed || threads.failed))
		rc = SRV_E_INTERNAL;
	/* what each of them hears is what they would hear had the person unfriended them and left each thread,
	 * then one account.deleted: their clients drop the person's devices and show the tombstones */
	for (i = 0; rc == SRV_E_OK && i < friends.n; i++)
		rc = events_emit(rq, friends.ids[i], 0, "friend.removed", 0, json_pack("{s:s}", "user_id", me));
	for (i = 0; rc == SRV_E_OK && i < threads.n; i++)
		rc = events_emit_members(rq, threads.ids[i], "thread.member_removed", 0,
					 json_pack("{s:s,s:s}", "thread_id", threads.public_ids[i], "user_id", me));
	if (rc == SRV_E_OK)
		rc = events_emit_contacts(rq, "account.deleted", json_pack("{s:s}", "user_id", me));
	if (rc == SRV_E_OK)
		rc = rq->ops->account_delete(rq->db, rq->user.id, rq->now,
					     rq->now + rq->cfg->username_quarantine_days * 86400 * 1000);
	if (rc == SRV_E_OK)
		rq->sessions_ended = rq->user.id; /* the person's own streams end once this is durable */
	free(friends.ids);
	free(friends.public_ids);
	free(threads.ids);
	free(threads.public_ids);
	if (rc != SRV_E_OK)
		return rc;
	return req_reply(rq, 204, NULL);
}
