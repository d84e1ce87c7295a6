/* events.c — event-log appends with wake-up bookkeeping (see events.h). */
#include "events.h"
#include "jsontext.h"

#include <stdio.h>
#include <stdlib.h>

#include "banned.h" /* last: bans footguns in this file only */

static enum srv_err emit_text(struct req *rq, int64_t user, int64_t device_id, const char *type, int64_t ref_id,
			      const char *text)
{
	struct store_event e = {0};
	enum srv_err rc;

	e.user_id = user;
	e.device_id = device_id;
	snprintf(e.type, sizeof(e.type), "%s", type);
	e.ref_id = ref_id;
	e.data = text;
	e.created_at = rq->now;
	rc = rq->ops->event_append(rq->db, &e);
	if (rc == SRV_E_OK)
		req_notify(rq, user);
	return rc;
}

enum srv_err events_emit(struct req *rq, int64_t user, int64_t device_id, const char *type, int64_t ref_id, json_t *data)
{
	enum srv_err rc;
	char *text = data ? jsontext_dump(data, JSON_COMPACT) : NULL;

	json_decref(data);
	if (text == NULL)
		return SRV_E_INTERNAL;
	rc = emit_text(rq, user, device_id, type, ref_id, text);
	free(text);
	return rc;
}

static int cmp_id(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

struct member_ids {
	int64_t ids[1024];
	int n;
};

static int collect_member(void *arg, const struct store_member *m)
{
	struct member_ids *mi = arg;
	if (mi->n < (int)(sizeof(mi->ids) / sizeof(mi->ids[0])))
		mi->ids[mi->n++] = m->user_id;
	return 0;
}

enum srv_err events_emit_members(struct req *rq, int64_t thread_id, const char *type, int64_t ref_id, json_t *data)
{
	struct member_ids *mi = calloc(1, sizeof(*mi));
	char *text = data ? jsontext_dump(data, JSON_COMPACT) : NULL;
	enum srv_err rc = SRV_E_INTERNAL;
	int i;

	json_decref(data);
	if (mi == NULL || text == NULL)
		goto out;
	rc = rq->ops->member_list(rq->db, thread_id, collect_member, mi);
	/* logs in ascending user order, as store.h asks of a writer that appends to several (no deadlock) */
	qsort(mi->ids, (size_t)mi->n, sizeof(mi->ids[0]), cmp_id);
	for (i = 0; rc == SRV_E_OK && i < mi->n; i++)
		rc = emit_text(rq, mi->ids[i], 0, type, ref_id, text);
out:
	free(text);
	free(mi);
	return rc;
}

struct contact_set {
	int64_t *ids; /* with repeats until sorted */
	size_t n, cap;
	int failed;
	struct req *rq;
};

static void contact_add(struct contact_set *cs, int64_t id)
{
	if (cs->n == cs->cap) {
		size_t cap = cs->cap ? cs->cap * 2 : 64;
		int64_t *n = cap <= (1u << 22) ? realloc(cs->ids, cap * sizeof(*n)) : NULL;
		if (n == NULL) {
			cs->failed = 1;
			return;
		}
		cs->ids = n;
		cs->cap = cap;
	}
	cs->ids[cs->n++] = id;
}

static int contact_friend(void *arg, const struct store_friend *f)
{
	contact_add(arg, f->user.id);
	return 0;
}

static int contact_member(void *arg, const struct store_member *m)
{
	contact_add(arg, m->user_id);
	return 0;
}

static int contact_thread(void *arg, const struct store_thread *t)
{
	struct contact_set *cs = arg;
	return cs->rq->ops->member_list(cs->rq->db, t->id, contact_member, cs) != SRV_E_OK;
}

enum srv_err events_emit_contacts(struct req *rq, const char *type, json_t *data)
{
	struct contact_set cs = {NULL, 0, 0, 0, rq};
	char *text = data ? jsontext_dump(data, JSON_COMPACT) : NULL;
	enum srv_err rc = SRV_E_INTERNAL;
	size_t i;

	json_decref(data);
	if (text == NULL)
		goto out;
	contact_add(&cs, rq->user.id);
	rc = rq->ops->friend_list(rq->db, rq->user.id, contact_friend, &cs);
	if (rc == SRV_E_OK)
		rc = rq->ops->thread_list_for_user(rq->db, rq->user.id, 0, 0, 10000, contact_thread, &cs);
	if (rc == SRV_E_OK && cs.failed)
		rc = SRV_E_INTERNAL;
	if (rc != SRV_E_OK)
		goto out;
	qsort(cs.ids, cs.n, sizeof(cs.ids[0]), cmp_id); /* each contact once */
	for (i = 0; rc == SRV_E_OK && i < cs.n; i++)
		if (i == 0 || cs.ids[i] != cs.ids[i - 1])
			rc = emit_text(rq, cs.ids[i], 0, type, 0, text);
out:
	free(text);
	free(cs.ids);
	return rc;
}
