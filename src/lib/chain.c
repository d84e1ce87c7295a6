/*
 * chain.c — a thread as this client verifies it (docs/protocol.md §15-§16): its members computed from the
 * signed membership chain (each link checked against a device its actor's pinned identity certified, the
 * thread id against the chain's first link, the whole chain against the newest head this client pinned),
 * its readers from those members' verified devices, and partner app devices only under their person's
 * signed authorisation and, for a friend, the friend's own signed consent. The server's lists of members
 * and devices are read, never believed. Also: making the links this client signs.
 */
#include "client_int.h"

#include "b64url.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "banned.h" /* last: bans footguns in this file only */

void pst__thread_free(struct pst__thread *t)
{
	free(t->chain);
	free(t->heads);
	free(t->members);
	free(t->names);
	free(t->readers);
	free(t->senders);
	json_decref(t->view);
	memset(t, 0, sizeof(*t));
}

int pst__thread_knows_head(const struct pst__thread *t, const unsigned char head[PROTO_HEAD_BYTES])
{
	static const unsigned char zero[PROTO_HEAD_BYTES];
	size_t i;
	if (t->chain == NULL)
		return sodium_memcmp(head, zero, sizeof(zero)) == 0;
	for (i = 0; i < t->n_heads; i++)
		if (sodium_memcmp(t->heads[i], head, PROTO_HEAD_BYTES) == 0)
			return 1;
	return 0;
}

const char *pst__thread_name(const struct pst__thread *t, const char *user_id)
{
	size_t i;
	for (i = 0; t && t->names && i < t->n_members; i++)
		if (strcmp(t->members[i], user_id) == 0 && t->names[i][0])
			return t->names[i];
	return user_id;
}

const struct pst__device *pst__thread_sender(const struct pst__thread *t, const char *device_id)
{
	size_t i;
	for (i = 0; i < t->n_senders; i++)
		if (strcmp(t->senders[i].device_id, device_id) == 0)
			return &t->senders[i];
	return NULL;
}

static void problem(struct pst__thread *t, pst_status st, const char *fmt, const char *who)
{
	if (t->problem[0])
		return; /* the first reason is the one to tell */
	t->problem_status = st;
	snprintf(t->problem, sizeof(t->problem), fmt, who);
}

static const char *name_of(const struct pst__person *p)
{
	return p->username[0] ? p->username : p->user_id;
}

/* Add d to a device list (no duplicates). */
static int add_device(struct pst__device **list, size_t *n, const struct pst__device *d)
{
	struct pst__device *nl;
	size_t i;
	for (i = 0; i < *n; i++)
		if (strcmp((*list)[i].device_id, d->device_id) == 0)
			return 0;
	if ((nl = realloc(*list, (*n + 1) * sizeof(*nl))) == NULL)
		return -1;
	*list = nl;
	nl[(*n)++] = *d;
	return 0;
}

/* ---- the chain ---- */

/* Find the device object a list holds for (user, device); user "" matches any (a user's own listing). */
static json_t *chain_device(json_t *devices, const char *user_id, const char *device_id)
{
	json_t *d;
	size_t i;
	json_array_foreach(devices, i, d)
		if (strcmp(json_string_value(json_object_get(d, "device_id")) ? json_string_value(json_object_get(d, "device_id")) : "",
			   device_id) == 0 &&
		    (!user_id[0] ||
		     strcmp(json_string_value(json_object_get(d, "user_id")) ? json_string_value(json_object_get(d, "user_id")) : "", user_id) == 0))
			return d;
	return NULL;
}

/* ---- the pinned chain: what this device verified before, kept as its state ---- */

static void b64_into(const unsigned char *bin, size_t n, json_t *arr)
{
	char t[64];
	b64url_encode(bin, n, t, sizeof(t));
	json_array_append_new(arr, json_string(t));
}

/* Save t's verified chain (its state and every head) as chain.<thread>. */
static pst_status chain_save(pst_client *c, const struct pst__thread *t)
{
	json_t *j = json_object(), *heads = json_array(), *members = json_array(), *ever = json_array();
	char name[96], *text = NULL;
	size_t i;
	pst_status rc;
	for (i = 0; i < t->n_heads; i++)
		b64_into(t->heads[i], PROTO_HEAD_BYTES, heads);
	for (i = 0; i < t->chain->n_members; i++)
		json_array_append_new(members, json_string(t->chain->members[i]));
	for (i = 0; i < t->chain->n_ever; i++)
		json_array_append_new(ever, json_string(t->chain->ever[i]));
	json_object_set_new(j, "heads", heads);
	json_object_set_new(j, "members", members);
	json_object_set_new(j, "ever", ever);
	json_object_set_new(j, "kind", json_integer(t->chain->kind));
	json_object_set_new(j, "creator", json_string(t->chain->creator));
	json_object_set_new(j, "thread_id", json_string(t->chain->thread_id));
	snprintf(name, sizeof(name), "chain.%s", t->thread_id);
	if ((text = json_dumps(j, JSON_COMPACT)) == NULL)
		rc = pst__fail(c, PST_ERR_NOMEM, "out of memory");
	else
		rc = pst__store_write(c, name, text, strlen(text), 1);
	free(text);
	json_decref(j);
	return rc;
}

/*
 * Restore the chain state saved for t (0 links when none) and make t->heads room for it plus new_links more.
 * PST_ERR_STORE when the file is damaged.
 */
static pst_status chain_restore(pst_client *c, struct pst__thread *t, size_t new_links)
{
	char name[96];
	unsigned char *data = NULL;
	size_t len = 0, i;
	json_error_t jerr;
	json_t *j = NULL, *x;
	pst_status rc = PST_OK;

	snprintf(name, sizeof(name), "chain.%s", t->thread_id);
	if (pst__store_read(c, name, &data, &len, 1) == PST_OK) {
		j = json_loadb((const char *)data, len, 0, &jerr);
		free(data);
	}
	if ((t->heads = calloc(json_array_size(json_object_get(j, "heads")) + new_links + 1, PROTO_HEAD_BYTES)) == NULL) {
		rc = pst__fail(c, PST_ERR_NOMEM, "out of memory");
		goto out;
	}
	if (j == NULL)
		goto out;
	if (json_array_size(json_object_get(j, "members")) > PROTO_IDS_MAX ||
	    json_array_size(json_object_get(j, "ever")) > 2 || !json_is_string(json_object_get(j, "creator"))) {
		rc = pst__fail(c, PST_ERR_STORE, "%s in the home directory is damaged", name);
		goto out;
	}
	json_array_foreach(json_object_get(j, "heads"), i, x) {
		const char *h = json_string_value(x);
		if (h == NULL || b64url_decode_exact(h, strlen(h), t->heads[i], PROTO_HEAD_BYTES) != 0) {
			rc = pst__fail(c, PST_ERR_STORE, "%s in the home directory is damaged", name);
			goto out;
		}
	}
	t->n_heads = json_array_size(json_object_get(j, "heads"));
	json_array_foreach(json_object_get(j, "members"), i, x) snprintf(t->chain->members[i], PROTO_ID_MAX + 1, "%s", json_string_value(x) ? json_string_value(x) : "");
	t->chain->n_members = json_array_size(json_object_get(j, "members"));
	json_array_foreach(json_object_get(j, "ever"), i, x) snprintf(t->chain->ever[i], PROTO_ID_MAX + 1, "%s", json_string_value(x) ? json_string_value(x) : "");
	t->chain->n_ever = json_array_size(json_object_get(j, "ever"));
	t->chain->kind = (unsigned)json_integer_value(json_object_get(j, "kind"));
	snprintf(t->chain->creator, sizeof(t->chain->creator), "%s", json_string_value(json_object_get(j, "creator")));
	snprintf(t->chain->thread_id, sizeof(t->chain->thread_id), "%s",
		 json_string_value(json_object_get(j, "thread_id")) ? json_string_value(json_object_get(j, "thread_id")) : "");
	t->chain->length = (uint32_t)t->n_heads;
	if (t->n_heads)
		memcpy(t->chain->head, t->heads[t->n_heads - 1], PROTO_HEAD_BYTES);
out:
	json_decref(j);
	return rc;
}

/*
 * Verify the chain answer into t. The part this device verified before is not verified again (its signers
 * may have changed keys since): the server's link at the pinned position must hash to the pinned head —
 * each link names the hash of the one before, so that one hash covers the whole prefix — and the saved
 * state continues from there. Every newer link is checked: signed by a device certified by its actor's
 * pinned identity, and allowed by the rules. A link that does not verify stops the chain there (what
 * follows cannot be trusted): t->problem says so. A server answer that does not continue the pinned chain
 * is PST_ERR_UNTRUSTED.
 */
static pst_status chain_verify(pst_client *c, struct pst__people *ppl, json_t *answer, struct pst__thread *t)
{
	json_t *links = json_object_get(answer, "links"), *devices = json_object_get(answer, "devices"), *x;
	struct proto_statement *st = malloc(sizeof(*st));
	size_t i, pinned;
	pst_status rc = PST_OK;

	t->chain = malloc(sizeof(*t->chain));
	if (st == NULL || t->chain == NULL) {
		rc = pst__fail(c, PST_ERR_NOMEM, "out of memory");
		goto out;
	}
	proto_chain_init(t->chain);
	if ((rc = chain_restore(c, t, json_array_size(links))) != PST_OK)
		goto out;
	pinned = t->n_heads;
	if (pinned > 0) {
		size_t n = 0;
		unsigned char *bin = pinned <= json_array_size(links)
					     ? pst__b64_decode(json_string_value(json_array_get(links, pinned - 1)), PROTO_STATEMENT_MAX, &n)
					     : NULL;
		unsigned char hash[PROTO_HEAD_BYTES];
		int same = bin && proto_statement_hash(bin, n, hash) == PROTO_E_OK && sodium_memcmp(hash, t->heads[pinned - 1], PROTO_HEAD_BYTES) == 0;
		free(bin);
		if (!same) {
			rc = pst__fail(c, PST_ERR_UNTRUSTED,
				       "the server shows a history of this conversation's members that does not continue the one this device "
				       "saw before (%zu changes): it was rewritten or cut; nothing was sent",
				       pinned);
			goto out;
		}
	}
	json_array_foreach(links, i, x) {
		struct pst__person *actor = NULL;
		struct pst__device dev;
		json_t *signer;
		unsigned char *bin, hash[PROTO_HEAD_BYTES];
		size_t n = 0;
		int ok;
		if (i < pinned)
			continue; /* verified before, and covered by the head compared above */
		if ((bin = pst__b64_decode(json_string_value(x), PROTO_STATEMENT_MAX, &n)) == NULL ||
		    proto_statement_parse(bin, n, PROTO_ST_LINK, st) != PROTO_E_OK) {
			free(bin);
			problem(t, PST_ERR_UNTRUSTED, "the member list of this conversation holds a change that is not a valid signed link%s", "");
			break;
		}
		if ((rc = pst__person_get(c, ppl, st->actor_user_id, &actor)) != PST_OK) {
			free(bin);
			if (rc != PST_ERR_NOT_FOUND)
				goto out;
			rc = PST_OK;
			problem(t, PST_ERR_UNTRUSTED, "a change to the members of this conversation names an account the server does not show%s", "");
			break;
		}
		/* the signer: among the devices the chain answer lists (removed ones too), else the actor's current ones */
		signer = chain_device(devices, st->actor_user_id, st->actor_device_id);
		if (signer == NULL)
			signer = chain_device(json_object_get(actor->listing, "devices"), "", st->actor_device_id);
		ok = signer && pst__device_check(signer, actor->user_id, actor->pinned_pk, NULL, &dev) &&
		     proto_statement_verify(bin, n, PROTO_ST_LINK, dev.sign_pk, st) == PROTO_E_OK && proto_statement_hash(bin, n, hash) == PROTO_E_OK &&
		     proto_chain_apply(t->chain, st, hash) == PROTO_E_OK;
		free(bin);
		if (!ok) {
			if (actor->state == PST__ID_CHANGED)
				problem(t, PST_ERR_IDENTITY, "%s's identity key changed: check it with `postern verify`", name_of(actor));
			else
				problem(t, PST_ERR_UNTRUSTED,
					"a change to the members of this conversation is not signed by a device of %s: the server's member list "
					"is not used",
					name_of(actor));
			break;
		}
		memcpy(t->heads[t->n_heads++], hash, PROTO_HEAD_BYTES);
	}
	if (t->chain->length > 0 && strcmp(t->chain->thread_id, t->thread_id) != 0) {
		problem(t, PST_ERR_UNTRUSTED, "this conversation's member list belongs to another conversation%s", "");
		t->chain->length = 0;
		t->chain->n_members = 0;
		t->n_heads = 0;
		goto out;
	}
	memcpy(t->head, t->chain->head, PROTO_HEAD_BYTES);
	if (t->n_heads > pinned) /* the pin moves on to what was verified now */
		rc = chain_save(c, t);
out:
	free(st);
	return rc;
}

/* ---- partner app devices ---- */

/* The newest consent this person's identity signed for (thread, app), among the thread view's: 1, 0, or -1. */
static int my_consent(pst_client *c, json_t *view, const char *thread_id, const char *client_id, struct proto_statement *st)
{
	json_t *x;
	size_t i;
	uint64_t newest = 0;
	int answer = -1;
	if (!c->have_identity)
		return -1;
	json_array_foreach(json_object_get(json_object_get(view, "app"), "consents"), i, x) {
		if (strcmp(json_string_value(json_object_get(x, "user_id")) ? json_string_value(json_object_get(x, "user_id")) : "", c->user_id) != 0)
			continue;
		{
			size_t n = 0;
			unsigned char *bin = pst__b64_decode(json_string_value(json_object_get(x, "statement")), PROTO_STATEMENT_MAX, &n);
			int ok = bin && proto_statement_verify(bin, n, PROTO_ST_APP_CONSENT, c->identity.pk, st) == PROTO_E_OK &&
				 strcmp(st->thread_id, thread_id) == 0 && strcmp(st->client_id, client_id) == 0 && st->at_ms >= newest;
			free(bin);
			if (ok) {
				newest = st->at_ms;
				answer = (int)st->op;
			}
		}
	}
	return answer;
}

/* Check one app device of the thread; adds it to senders (authorised) and readers (and consented). */
static pst_status app_device(pst_client *c, struct pst__people *ppl, struct pst__thread *t, json_t *d, struct proto_statement *st)
{
	const char *uid = json_string_value(json_object_get(d, "user_id")), *did = json_string_value(json_object_get(d, "device_id"));
	struct pst__person *p = NULL;
	struct pst__device dev;
	size_t i, n = 0;
	unsigned char *bin;
	int ok, member = 0;
	pst_status rc;

	if (uid == NULL || did == NULL || strlen(did) > PST__ID_MAX)
		return PST_OK;
	for (i = 0; i < t->n_members; i++)
		member |= strcmp(t->members[i], uid) == 0;
	if (!member)
		return PST_OK; /* an app reads for one of the thread's people, or not at all */
	if ((rc = pst__person_get(c, ppl, uid, &p)) != PST_OK || p->state == PST__ID_NONE || p->state == PST__ID_CHANGED)
		return rc;
	memset(&dev, 0, sizeof(dev));
	if (!pst__json_key32(d, "sign_pk", dev.sign_pk) || !pst__json_key32(d, "box_pk", dev.box_pk))
		return PST_OK;
	/* the person's identity authorised exactly this device, for this app, until now at least */
	bin = pst__b64_decode(json_string_value(json_object_get(d, "authorisation")), PROTO_STATEMENT_MAX, &n);
	ok = bin && proto_statement_verify(bin, n, PROTO_ST_APP_AUTH, p->pinned_pk, st) == PROTO_E_OK && strcmp(st->device_id, did) == 0 &&
	     sodium_memcmp(st->key, dev.sign_pk, 32) == 0 && sodium_memcmp(st->key2, dev.box_pk, 32) == 0 &&
	     strcmp(st->client_id, t->app_client_id) == 0 && st->expires_ms > pst__now_ms();
	/* an authorisation the server shows but never logged is one the person's own devices never saw */
	if (ok && (rc = pst__log_prove_statement(c, uid, bin, n)) != PST_OK) {
		ok = 0;
		if (rc != PST_ERR_NOT_FOUND) {
			free(bin);
			return rc;
		}
	}
	free(bin);
	if (ok && st->n_ids > 0) { /* limited to some threads: this one must be among them */
		int listed = 0;
		for (i = 0; i < st->n_ids; i++)
			listed |= strcmp(st->ids[i], t->thread_id) == 0;
		ok = listed;
	}
	if (!ok)
		return PST_OK;
	snprintf(dev.client_id, sizeof(dev.client_id), "%s", st->client_id);
	/* ... and has not revoked it */
	bin = pst__b64_decode(json_string_value(json_object_get(d, "revocation")), PROTO_STATEMENT_MAX, &n);
	ok = !(bin && proto_statement_verify(bin, n, PROTO_ST_APP_REVOKE, p->pinned_pk, st) == PROTO_E_OK && strcmp(st->device_id, did) == 0);
	free(bin);
	if (!ok)
		return PST_OK;
	snprintf(dev.device_id, sizeof(dev.device_id), "%s", did);
	snprintf(dev.user_id, sizeof(dev.user_id), "%s", uid);
	dev.app = 1;
	if (add_device(&t->senders, &t->n_senders, &dev) != 0)
		return pst__fail(c, PST_ERR_NOMEM, "out of memory");
	/* it reads what I write only if it is mine, or I accepted that app here myself */
	if (strcmp(uid, c->user_id) == 0 || my_consent(c, t->view, t->thread_id, t->app_client_id, st) == 1)
		if (add_device(&t->readers, &t->n_readers, &dev) != 0)
			return pst__fail(c, PST_ERR_NOMEM, "out of memory");
	return PST_OK;
}

/* ---- a partner app's view of one of its threads ---- */

/*
 * As an app: the thread from the grant's list (GET /v1/partner/threads). Its people are pairwise ids, each
 * with an identity key the app pins on first use; a reader is a person's device certified by that key (an
 * app cannot check registrations: it never learns user ids).
 */
static pst_status app_side_load(pst_client *c, const char *thread_id, struct pst__thread *t)
{
	json_t *all = NULL, *x, *d, *m;
	size_t i, j;
	pst_status rc;

	if ((rc = pst__request(c, "GET", "/v1/partner/threads", NULL, &all)) != PST_OK)
		goto out;
	json_array_foreach(json_object_get(all, "threads"), i, x)
		if (t->view == NULL && strcmp(json_string_value(json_object_get(x, "thread_id")) ? json_string_value(json_object_get(x, "thread_id")) : "", thread_id) == 0)
			t->view = json_incref(x);
	if (t->view == NULL) {
		rc = pst__fail(c, PST_ERR_NOT_FOUND, "no such thread among this grant's");
		goto out;
	}
	t->app = 1;
	json_array_foreach(json_object_get(t->view, "devices"), i, d) {
		const char *who = json_string_value(json_object_get(d, "user")), *pkt = NULL;
		unsigned char pk[32];
		struct pst__device dev;
		int changed = 0;
		if (who == NULL || json_is_true(json_object_get(d, "app")))
			continue;
		json_array_foreach(json_object_get(t->view, "members"), j, m)
			if (strcmp(json_string_value(json_object_get(m, "id")) ? json_string_value(json_object_get(m, "id")) : "", who) == 0)
				pkt = json_string_value(json_object_get(m, "identity_pk"));
		if (pkt == NULL || b64url_decode_exact(pkt, strlen(pkt), pk, sizeof(pk)) != 0)
			continue;
		if ((rc = pst__pin_local(c, who, pk, &changed)) != PST_OK)
			goto out;
		if (changed) {
			problem(t, PST_ERR_IDENTITY, "the identity key of %s changed since this app first saw it: nothing is sent", who);
			continue;
		}
		if (!pst__device_check(d, NULL, pk, NULL, &dev))
			continue;
		snprintf(dev.user_id, sizeof(dev.user_id), "%s", who);
		if (add_device(&t->readers, &t->n_readers, &dev) != 0 || add_device(&t->senders, &t->n_senders, &dev) != 0) {
			rc = pst__fail(c, PST_ERR_NOMEM, "out of memory");
			goto out;
		}
	}
	if (t->n_readers == 0)
		problem(t, PST_ERR_UNTRUSTED, "nobody in this conversation has a device this app can verify%s", "");
	{
		struct pst__device self;
		memset(&self, 0, sizeof(self));
		snprintf(self.device_id, sizeof(self.device_id), "%s", c->device_id);
		memcpy(self.sign_pk, c->keys.sign_pk, 32);
		memcpy(self.box_pk, c->keys.box_pk, 32);
		self.app = 1;
		if (add_device(&t->senders, &t->n_senders, &self) != 0)
			rc = pst__fail(c, PST_ERR_NOMEM, "out of memory");
	}
out:
	json_decref(all);
	return rc;
}

/* ---- the whole thread ---- */

pst_status pst__thread_load(pst_client *c, struct pst__people *ppl, const char *thread_id, struct pst__thread *t)
{
	json_t *answer = NULL, *x;
	struct proto_statement *st = NULL;
	const char *kind;
	size_t i, j, others = 0;
	pst_status rc;

	memset(t, 0, sizeof(*t));
	snprintf(t->thread_id, sizeof(t->thread_id), "%s", thread_id);
	if (c->app)
		return app_side_load(c, thread_id, t);
	if ((rc = pst__request_at(c, "GET", "/v1/threads/%s", thread_id, NULL, NULL, &t->view)) != PST_OK)
		goto out;
	kind = json_string_value(json_object_get(t->view, "kind"));
	t->app = kind && strcmp(kind, "app") == 0;
	snprintf(t->app_client_id, sizeof(t->app_client_id), "%s",
		 json_string_value(json_object_get(json_object_get(t->view, "app"), "client_id")) ? json_string_value(json_object_get(json_object_get(t->view, "app"), "client_id")) : "");
	if (!t->app) {
		if ((rc = pst__request_at(c, "GET", "/v1/threads/%s/chain", thread_id, NULL, NULL, &answer)) != PST_OK)
			goto out;
		if ((rc = chain_verify(c, ppl, answer, t)) != PST_OK)
			goto out;
		if (t->chain->length == 0)
			problem(t, PST_ERR_UNTRUSTED,
				"this conversation has no signed member list (a client of protocol version 1 or the raw API started it): "
				"start a new one%s", "");
		t->members = calloc(t->chain->n_members + 1, sizeof(*t->members));
		if (t->members == NULL) {
			rc = pst__fail(c, PST_ERR_NOMEM, "out of memory");
			goto out;
		}
		for (i = 0; i < t->chain->n_members; i++)
			memcpy(t->members[t->n_members++], t->chain->members[i], sizeof(t->members[0]));
	} else {
		/* an app thread: exactly two people, fixed; the server names them, its readers are checked below */
		json_t *ms = json_object_get(t->view, "members");
		int me = 0;
		t->members = calloc(json_array_size(ms) + 1, sizeof(*t->members));
		if (t->members == NULL) {
			rc = pst__fail(c, PST_ERR_NOMEM, "out of memory");
			goto out;
		}
		json_array_foreach(ms, i, x) {
			const char *uid = json_string_value(json_object_get(x, "user_id"));
			if (uid && strlen(uid) <= PST__ID_MAX) {
				snprintf(t->members[t->n_members++], PST__ID_MAX + 1, "%s", uid);
				me |= strcmp(uid, c->user_id) == 0;
			}
		}
		if (t->n_members != 2 || !me)
			problem(t, PST_ERR_UNTRUSTED, "an app's conversation has exactly two people, you one of them: the server shows otherwise%s", "");
	}
	/* readers: every verified device of every member (this one aside) */
	if ((t->names = calloc(t->n_members + 1, sizeof(*t->names))) == NULL)
		goto nomem;
	for (i = 0; i < t->n_members; i++) {
		struct pst__person *p = NULL;
		size_t mine = 0;
		if ((rc = pst__person_get(c, ppl, t->members[i], &p)) != PST_OK) {
			if (rc != PST_ERR_NOT_FOUND)
				goto out;
			rc = PST_OK; /* a member the server no longer shows reads nothing from us */
			continue;
		}
		memcpy(t->names[i], p->username, sizeof(t->names[i]));
		if (p->n_ignored && strcmp(p->user_id, c->user_id) != 0 && !t->notice[0])
			snprintf(t->notice, sizeof(t->notice),
				 p->unlogged ? "%zu device%s listed for %s %s not approved by their identity key, or not in the server's "
					       "transparency log: nothing is encrypted to %s"
					     : "%zu device%s listed for %s %s not approved by their identity key: nothing is encrypted to %s",
				 p->n_ignored, p->n_ignored == 1 ? "" : "s", name_of(p), p->n_ignored == 1 ? "is" : "are", p->n_ignored == 1 ? "it" : "them");
		if (p->state == PST__ID_CHANGED)
			problem(t, PST_ERR_IDENTITY,
				strcmp(p->user_id, c->user_id) == 0
					? "your identity was reset on another device (or the server shows a key that is not yours): this device "
					  "is no longer approved%s"
					: "%s's identity key changed: nothing is sent to them until you check it (postern verify USER)",
				strcmp(p->user_id, c->user_id) == 0 ? "" : name_of(p));
		if (p->state == PST__ID_NONE && p->unlogged)
			problem(t, PST_ERR_UNTRUSTED,
				"%s's identity key is not in the server's transparency log: the server may be showing you a key nobody "
				"else sees; nothing is sent to them",
				p->username[0] ? p->username : p->user_id);
		for (j = 0; j < p->n_devices; j++) {
			if (strcmp(p->devices[j].device_id, c->device_id) == 0) {
				if (add_device(&t->senders, &t->n_senders, &p->devices[j]) != 0)
					goto nomem;
				continue;
			}
			if (add_device(&t->readers, &t->n_readers, &p->devices[j]) != 0 || add_device(&t->senders, &t->n_senders, &p->devices[j]) != 0)
				goto nomem;
			mine += 1;
		}
		if (strcmp(p->user_id, c->user_id) != 0 && mine > 0)
			others++;
	}
	if (t->n_members > 1 && others == 0)
		problem(t, PST_ERR_UNTRUSTED,
			"nobody else in this conversation has a device you can verify (their devices were not approved with an identity "
			"key, or they use an old client): nobody could read it%s", "");
	if (t->app && t->app_client_id[0]) {
		if ((st = malloc(sizeof(*st))) == NULL)
			goto nomem;
		json_array_foreach(json_object_get(t->view, "devices"), i, x) if (json_is_true(json_object_get(x, "app")) &&
										 (rc = app_device(c, ppl, t, x, st)) != PST_OK) goto out;
		json_array_foreach(json_object_get(t->view, "app_senders"), i, x) if ((rc = app_device(c, ppl, t, x, st)) != PST_OK) goto out;
	}
	goto out;
nomem:
	rc = pst__fail(c, PST_ERR_NOMEM, "out of memory");
out:
	free(st);
	json_decref(answer);
	return rc;
}

/* ---- links this client makes ---- */

/*
 * Sign a membership link by this device: op on thread (prev = its head; zeros and a fresh nonce for
 * CREATE), naming ids. Returns the base64url text (malloc'd) or NULL with errmsg set.
 */
char *pst__link_make(pst_client *c, unsigned op, unsigned kind, const unsigned char prev[PROTO_HEAD_BYTES], const char *const *ids, size_t n)
{
	struct proto_statement *st = calloc(1, sizeof(*st));
	char *text = NULL;
	size_t i;
	if (st == NULL) {
		pst__fail(c, PST_ERR_NOMEM, "out of memory");
		return NULL;
	}
	if (n > PROTO_IDS_MAX) {
		pst__fail(c, PST_ERR_INVALID, "too many members");
		goto out;
	}
	st->type = PROTO_ST_LINK;
	st->op = op;
	st->kind = kind;
	if (prev)
		memcpy(st->prev, prev, PROTO_HEAD_BYTES);
	randombytes_buf(st->nonce, sizeof(st->nonce));
	snprintf(st->actor_user_id, sizeof(st->actor_user_id), "%s", c->user_id);
	snprintf(st->actor_device_id, sizeof(st->actor_device_id), "%s", c->device_id);
	for (i = 0; i < n; i++)
		snprintf(st->ids[i], sizeof(st->ids[i]), "%s", ids[i]);
	st->n_ids = n;
	st->at_ms = pst__now_ms();
	text = pst__sign_device(c, st);
out:
	free(st);
	return text;
}
