/* partner.c — pairwise ids, access log, issuer (see partner.h). */
#include "partner.h"

#include "auth.h"
#include "b64url.h"

#include <stdio.h>
#include <string.h>

#include "banned.h" /* last: bans footguns in this file only */

static char issuer[256];

void partner_set_issuer(const char *url)
{
	size_t n;
	snprintf(issuer, sizeof(issuer), "%s", url);
	n = strlen(issuer);
	while (n > 0 && issuer[n - 1] == '/')
		issuer[--n] = '\0';
}

const char *partner_issuer(void)
{
	return issuer;
}

void partner_pairwise(int64_t app_id, int64_t user_id, char out[PARTNER_PAIRWISE_LEN])
{
	int64_t pair[2] = {app_id, user_id};
	unsigned char h[32];
	char text[48];
	auth_keyed_hash("pairwise", pair, sizeof(pair), h);
	b64url_encode(h, 16, text, sizeof(text));
	snprintf(out, PARTNER_PAIRWISE_LEN, "p_%.22s", text);
}

enum pst_err partner_pairwise_put(struct req *rq, int64_t app_id, int64_t user_id, char out[PARTNER_PAIRWISE_LEN])
{
	partner_pairwise(app_id, user_id, out);
	return rq->ops->pairwise_put(rq->db, app_id, user_id, out);
}

static void fill_entry(struct req *rq, struct store_access_entry *e, const char *action, const char *thread_public,
		       const char *message_public, int64_t count)
{
	memset(e, 0, sizeof(*e));
	e->user_id = rq->user.id;
	e->app_id = rq->app ? rq->app->id : 0;
	e->grant_id = rq->grant ? rq->grant->id : 0;
	snprintf(e->action, sizeof(e->action), "%s", action);
	snprintf(e->thread_public_id, sizeof(e->thread_public_id), "%s", thread_public ? thread_public : "");
	snprintf(e->message_public_id, sizeof(e->message_public_id), "%s", message_public ? message_public : "");
	e->count = count;
	e->at = rq->now;
}

enum pst_err partner_log(struct req *rq, const char *action, const char *thread_public, const char *message_public, int64_t count)
{
	struct store_access_entry e;
	enum pst_err rc;
	fill_entry(rq, &e, action, thread_public, message_public, count);
	rc = rq->ops->access_insert(rq->db, &e);
	if (rc == PST_E_OK && rq->grant)
		rc = rq->ops->grant_touch(rq->db, rq->grant->id, rq->now);
	return rc;
}

void partner_log_attempt(struct req *rq, const char *action, const char *thread_public)
{
	char what[40];
	if (rq->cred != CRED_APP)
		return;
	snprintf(what, sizeof(what), "denied:%s", action);
	fill_entry(rq, &rq->attempt, what, thread_public, NULL, 0);
	rq->has_attempt = 1;
}

int partner_thread_allowed(struct req *rq, int64_t thread_id, const char *thread_public, const char *action)
{
	json_t *details, *d;
	json_error_t jerr;
	size_t i;
	int limited = 0, ok = 0;

	if (rq->ops->grant_thread_check(rq->db, rq->grant->id, thread_id) != PST_E_OK)
		return 0;
	details = json_loads(rq->grant->details, 0, &jerr);
	json_array_foreach(details, i, d) {
		json_t *threads = json_object_get(d, "threads"), *t, *actions = json_object_get(d, "actions"), *a;
		size_t j, k;
		int act_ok = 0;
		limited = 1;
		json_array_foreach(actions, k, a)
			if (json_is_string(a) && strcmp(json_string_value(a), action) == 0)
				act_ok = 1;
		if (!act_ok)
			continue;
		json_array_foreach(threads, j, t)
			if (json_is_string(t) && strcmp(json_string_value(t), thread_public) == 0)
				ok = 1;
	}
	json_decref(details);
	return limited ? ok : 1;
}
