/*
 * e2ee.c — end-to-end encryption in libpostern: sending (sharing or rotating this device's sender-key
 * session for a thread, encrypting, posting), receiving session hand-overs from the event log, decrypting
 * messages and checking them as docs/protocol.md §18 asks (sender, thread, order, membership). Whom to
 * encrypt to and whose keys to accept come from chain.c and trust.c, never from the server's lists. The
 * protocol itself is src/proto/; this file decides when to use it and keeps its state in the key store:
 *   out.<thread>    this device's outbound session for the thread
 *   in.<thread>     the inbound sessions received for the thread, each with the account whose verified
 *                   device handed it over (length-prefixed records)
 *   plain.<thread>  texts already decrypted, by message id, with what the checks found (a message key is
 *                   used once, then erased)
 *   seen.<thread>   the thread's readers as last seen, to tell the person when they change
 * All of them are secrets, sealed at rest when the client has a passphrase.
 */
#include "client_int.h"

#include "b64url.h"
#include "utf8.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "banned.h" /* last: bans footguns in this file only */

#define MAX_INBOUND 256 /* inbound sessions kept per thread */

/* Thread ids name files: only ids of the server's alphabet, bounded. */
static int id_ok(const char *id)
{
	size_t n = id ? strlen(id) : 0, i;
	if (n == 0 || n > 64)
		return 0;
	for (i = 0; i < n; i++)
		if (!((id[i] >= 'a' && id[i] <= 'z') || (id[i] >= 'A' && id[i] <= 'Z') || (id[i] >= '0' && id[i] <= '9') || id[i] == '_' ||
		      id[i] == '-'))
			return 0;
	return 1;
}

static void store_name(char *out, size_t cap, const char *kind, const char *thread)
{
	snprintf(out, cap, "%s.%s", kind, thread);
}

/* ---- inbound sessions of a thread, each with its owner ---- */

struct inbound_set {
	struct proto_inbound *s;
	char (*owner)[PST__ID_MAX + 1]; /* the account whose verified device handed s[i] over */
	size_t n;
};

static void inbound_free(struct inbound_set *set)
{
	size_t i;
	for (i = 0; i < set->n; i++)
		proto_inbound_wipe(&set->s[i]);
	free(set->s);
	free(set->owner);
	set->s = NULL;
	set->owner = NULL;
	set->n = 0;
}

static uint32_t get_u32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put_u32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

/* Records: u8 owner length, owner, u32 state length, state. A damaged tail is dropped. */
static pst_status inbound_load(pst_client *c, const char *thread, struct inbound_set *set)
{
	char name[96];
	unsigned char *data = NULL;
	size_t len = 0, off = 0;
	pst_status st;

	memset(set, 0, sizeof(*set));
	store_name(name, sizeof(name), "in", thread);
	st = pst__store_read(c, name, &data, &len, 1);
	if (st == PST_ERR_NOT_FOUND)
		return PST_OK;
	if (st != PST_OK)
		return st;
	while (off < len && set->n < MAX_INBOUND) {
		size_t olen = data[off];
		uint32_t n;
		struct proto_inbound *ns;
		char(*no)[PST__ID_MAX + 1];
		if (olen == 0 || olen > PST__ID_MAX || len - off < 1 + olen + 4)
			break;
		n = get_u32(data + off + 1 + olen);
		if (n > len - off - 1 - olen - 4)
			break;
		ns = realloc(set->s, (set->n + 1) * sizeof(*ns));
		if (ns)
			set->s = ns;
		no = ns ? realloc(set->owner, (set->n + 1) * sizeof(*no)) : NULL;
		if (no == NULL) {
			st = pst__fail(c, PST_ERR_NOMEM, "out of memory");
			break;
		}
		set->owner = no;
		memcpy(set->owner[set->n], data + off + 1, olen);
		set->owner[set->n][olen] = '\0';
		if (proto_inbound_load(&set->s[set->n], data + off + 1 + olen + 4, n) == PROTO_E_OK)
			set->n++;
		off += 1 + olen + 4 + n;
	}
	sodium_memzero(data, len);
	free(data);
	if (st != PST_OK)
		inbound_free(set);
	return st;
}

static pst_status inbound_save(pst_client *c, const char *thread, const struct inbound_set *set)
{
	char name[96];
	unsigned char *buf = malloc(set->n * (PROTO_INBOUND_STATE_MAX + 5 + PST__ID_MAX) + 1);
	size_t off = 0, i;
	pst_status st;
	if (buf == NULL)
		return pst__fail(c, PST_ERR_NOMEM, "out of memory");
	for (i = 0; i < set->n; i++) {
		size_t n = 0, olen = strlen(set->owner[i]);
		if (proto_inbound_save(&set->s[i], buf + off + 1 + olen + 4, PROTO_INBOUND_STATE_MAX, &n) != PROTO_E_OK)
			continue;
		buf[off] = (unsigned char)olen;
		memcpy(buf + off + 1, set->owner[i], olen);
		put_u32(buf + off + 1 + olen, (uint32_t)n);
		off += 1 + olen + 4 + n;
	}
	store_name(name, sizeof(name), "in", thread);
	st = pst__store_write(c, name, buf, off, 1);
	sodium_memzero(buf, off);
	free(buf);
	return st;
}

/* Add in (handed over by owner's device) to the thread's set, replacing a copy of the same session that starts later. */
static pst_status inbound_add(pst_client *c, const struct proto_inbound *in, const char *owner)
{
	struct inbound_set set;
	size_t i;
	pst_status st = inbound_load(c, in->thread_id, &set);
	if (st != PST_OK)
		return st;
	for (i = 0; i < set.n; i++)
		if (strcmp(set.s[i].sender_device_id, in->sender_device_id) == 0 &&
		    sodium_memcmp(set.s[i].session_id, in->session_id, sizeof(in->session_id)) == 0)
			break;
	if (i < set.n) {
		if (in->start_index < set.s[i].start_index)
			set.s[i] = *in;
	} else if (set.n < MAX_INBOUND) {
		struct proto_inbound *ns = realloc(set.s, (set.n + 1) * sizeof(*ns));
		char(*no)[PST__ID_MAX + 1] = ns ? realloc(set.owner, (set.n + 1) * sizeof(*no)) : NULL;
		if (ns)
			set.s = ns;
		if (no == NULL) {
			inbound_free(&set);
			return pst__fail(c, PST_ERR_NOMEM, "out of memory");
		}
		set.owner = no;
		set.s[set.n] = *in;
		snprintf(set.owner[set.n], PST__ID_MAX + 1, "%s", owner);
		set.n++;
	}
	st = inbound_save(c, in->thread_id, &set);
	inbound_free(&set);
	return st;
}

/* ---- the plaintext cache: message id -> {"t": text, "s": verified sender, "f": flags, "n": notice} ---- */

static json_t *plain_load(pst_client *c, const char *thread)
{
	char name[96];
	unsigned char *data = NULL;
	size_t len = 0;
	json_error_t jerr;
	json_t *j = NULL;
	store_name(name, sizeof(name), "plain", thread);
	if (pst__store_read(c, name, &data, &len, 1) == PST_OK) {
		j = json_loadb((const char *)data, len, 0, &jerr);
		sodium_memzero(data, len);
		free(data);
	}
	return json_is_object(j) ? j : (json_decref(j), json_object());
}

static pst_status plain_save(pst_client *c, const char *thread, json_t *cache)
{
	char name[96], *text = json_dumps(cache, JSON_COMPACT);
	pst_status st;
	if (text == NULL)
		return pst__fail(c, PST_ERR_NOMEM, "out of memory");
	store_name(name, sizeof(name), "plain", thread);
	st = pst__store_write(c, name, text, strlen(text), 1);
	sodium_memzero(text, strlen(text));
	free(text);
	return st;
}

static pst_status plain_put(pst_client *c, const char *thread, const char *message_id, const char *text)
{
	json_t *cache;
	pst_status st = pst__lock(c);
	if (st != PST_OK)
		return st;
	cache = plain_load(c, thread);
	json_object_set_new(cache, message_id, json_pack("{s:s,s:s,s:i}", "t", text, "s", c->user_id, "f", 0));
	st = plain_save(c, thread, cache);
	json_decref(cache);
	pst__unlock(c);
	return st;
}

static char *thread_path(const char *thread, const char *suffix)
{
	char *e = pst__escape(thread), *p = NULL;
	if (e && asprintf(&p, "/v1/threads/%s%s", e, suffix) < 0)
		p = NULL;
	free(e);
	return p;
}

/* Tell the person when the readers of a thread change (never silently): compare with seen.<thread>. */
static void readers_notice(pst_client *c, const struct pst__thread *t)
{
	char name[96], *text = NULL;
	unsigned char *data = NULL;
	size_t len = 0, i, j, added = 0, removed = 0;
	json_error_t jerr;
	json_t *ids = json_array(), *old = NULL, *x, *y;

	for (i = 0; i < t->n_readers; i++)
		json_array_append_new(ids, json_string(t->readers[i].device_id));
	store_name(name, sizeof(name), "seen", t->thread_id);
	if (pst__store_read(c, name, &data, &len, 1) == PST_OK) {
		old = json_loadb((const char *)data, len, 0, &jerr);
		free(data);
	}
	if (old && !json_equal(old, ids)) {
		json_array_foreach(ids, i, x) {
			int found = 0;
			json_array_foreach(old, j, y) found |= json_equal(x, y);
			added += !found;
		}
		json_array_foreach(old, i, x) {
			int found = 0;
			json_array_foreach(ids, j, y) found |= json_equal(x, y);
			removed += !found;
		}
		snprintf(c->notice, sizeof(c->notice),
			 "the devices that can read thread %s changed: %zu added, %zu removed (each one approved by its owner's identity key)",
			 t->thread_id, added, removed);
	}
	if ((old == NULL || !json_equal(old, ids)) && (text = json_dumps(ids, JSON_COMPACT)) != NULL)
		pst__store_write(c, name, text, strlen(text), 1);
	free(text);
	json_decref(old);
	json_decref(ids);
}

/* ---- sending ---- */

/* Verify a claimed prekey statement of device d: kind, device and signature. 1 when it holds. */
static int prekey_ok(const char *text, const struct pst__device *d, unsigned kind, struct proto_statement *st)
{
	size_t n = 0;
	unsigned char *bin = pst__b64_decode(text, PROTO_STATEMENT_MAX, &n);
	int ok = bin && proto_statement_verify(bin, n, PROTO_ST_PREKEY, d->sign_pk, st) == PROTO_E_OK && st->op == kind &&
		 strcmp(st->device_id, d->device_id) == 0 && st->key_id != 0;
	free(bin);
	return ok;
}

/*
 * Share s with every reader of t: claim a one-time prekey of each (the server hands each out once), check
 * the prekeys' signatures with the reader's verified signing key, and send one container per reader in one
 * to-device request. A reader without a signed prekey gets nothing (and the person is told).
 */
static pst_status hand_over(pst_client *c, const struct proto_outbound *s, const struct pst__thread *t)
{
	json_t *claim = NULL, *keys, *msgs = json_array(), *devs = json_array(), *body = NULL;
	struct proto_statement *spk = malloc(sizeof(*spk)), *opk = malloc(sizeof(*opk));
	size_t i, skipped = 0;
	pst_status st = PST_OK;

	if (spk == NULL || opk == NULL) {
		st = pst__fail(c, PST_ERR_NOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < t->n_readers; i++)
		json_array_append_new(devs, json_string(t->readers[i].device_id));
	if (json_array_size(devs) == 0)
		goto out;
	body = json_pack("{s:O}", "devices", devs);
	st = pst__request(c, "POST", c->app ? "/v1/partner/keys/claim" : "/v1/keys/claim", body, &claim);
	json_decref(body);
	body = NULL;
	if (st != PST_OK)
		goto out;
	keys = json_object_get(claim, "keys");
	for (i = 0; i < t->n_readers; i++) {
		const struct pst__device *d = &t->readers[i];
		json_t *k = json_object_get(keys, d->device_id);
		const char *ot = json_string_value(json_object_get(k, "one_time"));
		unsigned char sealed[PROTO_HANDOVER_SEALED_MAX];
		char text[PROTO_HANDOVER_SEALED_MAX * 2];
		size_t n = 0;
		int with_opk;
		if (!prekey_ok(json_string_value(json_object_get(k, "signed")), d, PROTO_PREKEY_SIGNED, spk)) {
			skipped++;
			continue;
		}
		with_opk = ot != NULL && prekey_ok(ot, d, PROTO_PREKEY_ONE_TIME, opk); /* a bad one-time key: the signed one alone */
		if (proto_handover_seal(s, c->keys.sign_sk, d->device_id, d->box_pk, spk->key_id, spk->key, with_opk ? opk->key_id : 0,
					with_opk ? opk->key : NULL, sealed, sizeof(sealed), &n) != PROTO_E_OK) {
			skipped++;
			continue;
		}
		b64url_encode(sealed, n, text, sizeof(text));
		json_array_append_new(msgs, json_pack("{s:s,s:s}", "device_id", d->device_id, "body", text));
		if (c->app) /* an app hands keys only within its grant's threads: each message names the thread */
			json_object_set_new(json_array_get(msgs, json_array_size(msgs) - 1), "thread_id", json_string(s->thread_id));
	}
	if (skipped)
		snprintf(c->notice, sizeof(c->notice), "%zu device%s in thread %s could not get the keys (no prekeys published yet): "
			 "they cannot read this message", skipped, skipped == 1 ? "" : "s", t->thread_id);
	if (json_array_size(msgs)) {
		body = json_pack("{s:O}", "messages", msgs);
		st = pst__request(c, "POST", c->app ? "/v1/partner/to-device" : "/v1/to-device", body, NULL);
	}
out:
	free(spk);
	free(opk);
	json_decref(claim);
	json_decref(body);
	json_decref(devs);
	json_decref(msgs);
	return st;
}

pst_status pst__text_ok(pst_client *c, const char *text)
{
	if (strlen(text) > PST_TEXT_MAX)
		return pst__fail(c, PST_ERR_INVALID, "the text is longer than %u bytes", PST_TEXT_MAX);
	if (!utf8_valid(text, strlen(text)))
		return pst__fail(c, PST_ERR_INVALID, "the text is not valid UTF-8");
	return PST_OK;
}

static pst_status seal_locked(pst_client *c, const char *thread_id, const char *text, char **envtext_out);

pst_status pst__seal_for_thread(pst_client *c, const char *thread_id, const char *text, char **envtext_out)
{
	pst_status st = pst__lock(c); /* the chain is loaded, advanced and stored again: one process at a time */
	*envtext_out = NULL;
	if (st != PST_OK)
		return st;
	st = seal_locked(c, thread_id, text, envtext_out);
	pst__unlock(c);
	return st;
}

/*
 * Encrypt text for the verified readers of thread_id: this device's session for the thread, replaced (and
 * handed to every reader) when it must rotate — 100 messages, 7 days, other readers, or another membership
 * head. Refused, with nothing sent, when the thread cannot be verified or someone's identity changed. The
 * advanced chain is stored before returning: an index is never used twice.
 */
static pst_status seal_locked(pst_client *c, const char *thread_id, const char *text, char **envtext_out)
{
	struct pst__people ppl = {NULL, 0};
	struct pst__thread t;
	const char **ids = NULL;
	unsigned char hash[PROTO_HASH_BYTES], *env = NULL, state[PROTO_OUTBOUND_STATE_MAX];
	char name[96], *envtext = NULL;
	struct proto_outbound s;
	unsigned char *saved = NULL;
	size_t saved_len = 0, n = 0, i, env_len = 0, state_len = 0;
	unsigned reasons = 0;
	int fresh = 0;
	pst_status st;

	*envtext_out = NULL;
	memset(&t, 0, sizeof(t));
	memset(&s, 0, sizeof(s));
	if (!c->token[0] || !c->have_keys || !c->device_id[0])
		return pst__fail(c, PST_ERR_AUTH, "not logged in with a registered device");
	if (!c->app && !c->approved && pst__identity_ready(c) != PST_OK)
		return pst__fail(c, PST_ERR_APPROVAL, "this device is not approved yet: approve it from another of your devices (postern devices approve CODE) "
				       "or with your recovery key");
	_Static_assert(PST_TEXT_MAX == PROTO_PLAINTEXT_MAX, "the public text limit is the envelope's plaintext limit");
	if (strlen(text) > PST_TEXT_MAX)
		return pst__fail(c, PST_ERR_INVALID, "the text is longer than %u bytes", PST_TEXT_MAX);
	if ((st = pst__thread_load(c, &ppl, thread_id, &t)) != PST_OK)
		goto out;
	if (t.problem[0]) {
		st = pst__fail(c, t.problem_status, "%s; nothing was sent", t.problem);
		goto out;
	}
	readers_notice(c, &t);
	if (!c->notice[0] && t.notice[0])
		snprintf(c->notice, sizeof(c->notice), "%s", t.notice);
	ids = calloc(t.n_readers + 1, sizeof(*ids));
	if (ids == NULL) {
		st = pst__fail(c, PST_ERR_NOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < t.n_readers; i++)
		ids[n++] = t.readers[i].device_id;
	if (proto_recipients_hash(ids, n, hash) != PROTO_E_OK) {
		st = pst__fail(c, PST_ERR_PROTOCOL, "the thread's device list is not valid");
		goto out;
	}
	/* the current session, unless it must rotate (100 messages, 7 days, other readers, another member list) */
	store_name(name, sizeof(name), "out", thread_id);
	if (pst__store_read(c, name, &saved, &saved_len, 1) != PST_OK || proto_outbound_load(&s, saved, saved_len) != PROTO_E_OK ||
	    proto_outbound_must_rotate(&s, pst__now_ms(), hash, &reasons) != PROTO_E_OK || reasons != 0 ||
	    sodium_memcmp(s.head, t.head, PROTO_HEAD_BYTES) != 0) {
		struct proto_inbound *twin = malloc(sizeof(*twin));
		proto_outbound_wipe(&s);
		if (twin == NULL || proto_outbound_new(&s, thread_id, c->device_id, hash, pst__now_ms()) != PROTO_E_OK) {
			free(twin);
			st = pst__fail(c, PST_ERR_CRYPTO, "cannot start an encryption session");
			goto out;
		}
		memcpy(s.head, t.head, PROTO_HEAD_BYTES);
		if (proto_inbound_from_outbound(twin, &s, c->keys.sign_pk) != PROTO_E_OK) {
			proto_inbound_wipe(twin);
			free(twin);
			st = pst__fail(c, PST_ERR_CRYPTO, "cannot start an encryption session");
			goto out;
		}
		st = inbound_add(c, twin, c->app ? (c->sub[0] ? c->sub : "app") : c->user_id); /* so this device reads its own messages */
		proto_inbound_wipe(twin);
		free(twin);
		if (st != PST_OK)
			goto out;
		fresh = 1;
	}
	if (fresh && (st = hand_over(c, &s, &t)) != PST_OK)
		goto out;
	env = malloc(PROTO_ENVELOPE_MAX);
	envtext = env ? malloc(PROTO_ENVELOPE_MAX * 2) : NULL;
	if (envtext == NULL) {
		st = pst__fail(c, PST_ERR_NOMEM, "out of memory");
		goto out;
	}
	if (proto_encrypt(&s, c->keys.sign_sk, (const unsigned char *)text, strlen(text), env, PROTO_ENVELOPE_MAX, &env_len) != PROTO_E_OK) {
		st = pst__fail(c, PST_ERR_CRYPTO, "cannot encrypt");
		goto out;
	}
	if (proto_outbound_save(&s, state, sizeof(state), &state_len) != PROTO_E_OK ||
	    (st = pst__store_write(c, name, state, state_len, 1)) != PST_OK) {
		st = st != PST_OK ? st : pst__fail(c, PST_ERR_STORE, "cannot store the session");
		goto out;
	}
	b64url_encode(env, env_len, envtext, PROTO_ENVELOPE_MAX * 2);
	*envtext_out = envtext;
	envtext = NULL;
out:
	proto_outbound_wipe(&s);
	sodium_memzero(state, sizeof(state));
	if (saved) {
		sodium_memzero(saved, saved_len);
		free(saved);
	}
	free(env);
	free(envtext);
	free(ids);
	pst__thread_free(&t);
	pst__people_free(&ppl);
	return st;
}

pst_status pst__new_cmid(char out[40])
{
	unsigned char r[12];
	randombytes_buf(r, sizeof(r));
	b64url_encode(r, sizeof(r), out, 40);
	return PST_OK;
}

pst_status pst_send_text(pst_client *c, const char *thread_id, const char *text, char **message_id_out)
{
	json_t *out = NULL, *body = NULL;
	char cmid[40], *envtext = NULL, *path = NULL;
	pst_status st;

	if (message_id_out)
		*message_id_out = NULL;
	if (c == NULL || !id_ok(thread_id) || text == NULL)
		return c ? pst__fail(c, PST_ERR_INVALID, "a thread id and a text are required") : PST_ERR_INVALID;
	c->notice[0] = '\0';
	if ((st = pst__text_ok(c, text)) != PST_OK || (st = pst__seal_for_thread(c, thread_id, text, &envtext)) != PST_OK)
		goto out;
	pst__new_cmid(cmid);
	body = json_pack("{s:s,s:s}", "client_msg_id", cmid, "body", envtext);
	path = thread_path(thread_id, "/messages");
	st = path ? pst__request(c, "POST", path, body, &out) : pst__fail(c, PST_ERR_NOMEM, "out of memory");
	if (st == PST_OK) {
		const char *mid = json_string_value(json_object_get(out, "message_id"));
		if (mid)
			plain_put(c, thread_id, mid, text);
		if (message_id_out && mid)
			*message_id_out = strdup(mid);
	}
out:
	free(path);
	free(envtext);
	json_decref(body);
	json_decref(out);
	return st;
}

/* Remember the text of a message this client sent (its key was used once and erased). */
pst_status pst__remember_sent(pst_client *c, const char *thread_id, const char *message_id, const char *text)
{
	return id_ok(thread_id) ? plain_put(c, thread_id, message_id, text) : PST_ERR_INVALID;
}

/* ---- receiving ---- */

/*
 * A session hand-over from another device: open it with this device's prekeys, and keep the inbound
 * session only when its sender is a device this client verified — one of a member of that thread, certified
 * by their pinned identity, or an app device its person authorised there. Anything else is dropped.
 */
void pst__take_handover(pst_client *c, json_t *ev)
{
	const char *from_user = json_string_value(json_object_get(ev, "from_user_id"));
	const char *from_dev = json_string_value(json_object_get(ev, "from_device_id"));
	const char *body = json_string_value(json_object_get(ev, "body"));
	const char *thread_hint = json_string_value(json_object_get(ev, "thread_id"));
	unsigned char sealed[PROTO_HANDOVER_SEALED_MAX], spk_sk[PROTO_PREKEY_BYTES], opk_sk[PROTO_PREKEY_BYTES];
	char recipient[PROTO_ID_MAX + 1];
	struct pst__people ppl = {NULL, 0};
	struct pst__thread t;
	struct pst__person *p = NULL;
	const struct pst__device *sender = NULL;
	struct proto_inbound *in = NULL;
	uint32_t spk_id = 0, opk_id = 0;
	size_t n = 0, i;

	memset(&t, 0, sizeof(t));
	if (from_user == NULL || from_dev == NULL || body == NULL || b64url_decode(body, strlen(body), sealed, sizeof(sealed), &n) != 0)
		return;
	if (proto_handover_peek(sealed, n, recipient, &spk_id, &opk_id) != PROTO_E_OK || strcmp(recipient, c->device_id) != 0 ||
	    pst__prekeys_secret(c, spk_id, opk_id, spk_sk, opk_sk) != PST_OK || (in = malloc(sizeof(*in))) == NULL)
		goto out;
	/* the signing key to check it with: the sender's verified device (an app's: within the named thread) */
	if (thread_hint && id_ok(thread_hint)) {
		if (pst__thread_load(c, &ppl, thread_hint, &t) != PST_OK || (sender = pst__thread_sender(&t, from_dev)) == NULL)
			goto out;
	} else if (!c->app && pst__person_get(c, &ppl, from_user, &p) == PST_OK) {
		for (i = 0; i < p->n_devices && sender == NULL; i++)
			if (strcmp(p->devices[i].device_id, from_dev) == 0)
				sender = &p->devices[i];
	} else if (c->app) { /* an app: the sender must be a verified reader of one of its grant's threads */
		json_t *all = NULL, *x;
		if (pst__request(c, "GET", "/v1/partner/threads", NULL, &all) == PST_OK)
			json_array_foreach(json_object_get(all, "threads"), i, x) {
				const char *tid = json_string_value(json_object_get(x, "thread_id"));
				if (sender || tid == NULL || !id_ok(tid))
					continue;
				pst__thread_free(&t);
				if (pst__thread_load(c, &ppl, tid, &t) == PST_OK)
					sender = pst__thread_sender(&t, from_dev);
			}
		json_decref(all);
	}
	if (sender == NULL ||
	    proto_handover_open(sealed, n, &c->keys, spk_sk, opk_id ? opk_sk : NULL, c->device_id, from_dev, sender->sign_pk, thread_hint, in,
				NULL) != PROTO_E_OK ||
	    !id_ok(in->thread_id))
		goto out;
	pst__prekeys_used(c, opk_id); /* erased once used: a copy of this hand-over never opens again */
	/* the sender must be one of that thread's verified senders now */
	if (strcmp(t.thread_id, in->thread_id) != 0) {
		pst__thread_free(&t);
		if (pst__thread_load(c, &ppl, in->thread_id, &t) != PST_OK)
			goto out;
	}
	if ((sender = pst__thread_sender(&t, from_dev)) == NULL)
		goto out;
	inbound_add(c, in, sender->user_id);
out:
	pst__thread_free(&t);
	pst__people_free(&ppl);
	sodium_memzero(spk_sk, sizeof(spk_sk));
	sodium_memzero(opk_sk, sizeof(opk_sk));
	if (in) {
		proto_inbound_wipe(in);
		free(in);
	}
	sodium_memzero(sealed, sizeof(sealed));
}

pst_status pst__process_events(pst_client *c, json_t *events)
{
	json_t *ev;
	size_t i;
	int took = 0;
	pst_status st = pst__lock(c);
	if (st != PST_OK)
		return st;
	json_array_foreach(events, i, ev) {
		const char *type = json_string_value(json_object_get(ev, "type"));
		const char *cur = json_string_value(json_object_get(ev, "cursor"));
		if (type && strcmp(type, "to_device") == 0) {
			pst__take_handover(c, ev);
			took = 1;
		}
		if (cur)
			snprintf(c->cursor, sizeof(c->cursor), "%s", cur);
	}
	st = pst__save_session(c);
	pst__unlock(c);
	if (st == PST_OK && took)
		pst__prekeys_refill(c); /* one-time keys were used up: leave new ones */
	return st;
}

pst_status pst_sync(pst_client *c)
{
	json_t *out = NULL;
	char path[96];
	pst_status st;
	int rounds = 0;
	if (c == NULL)
		return PST_ERR_INVALID;
	if (!c->token[0])
		return pst__fail(c, PST_ERR_AUTH, "not logged in (run: postern login USER)");
	if (!c->app && c->device_id[0] && !c->approved) {
		/* approved meanwhile from another device? take the identity it left (else go on, reading nothing) */
		st = pst__identity_ready(c);
		if (st != PST_OK && st != PST_ERR_APPROVAL)
			return st;
	}
	if (!c->app && c->approved && (st = pst__log_monitor_now_and_then(c)) != PST_OK) {
		if (st != PST_ERR_UNTRUSTED)
			return st;
		/* the calls that rely on the log refuse on their own; the person hears why now */
		snprintf(c->notice, sizeof(c->notice), "%s", c->errmsg);
	}
	do {
		json_t *events;
		snprintf(path, sizeof(path), "%s?limit=500%s%s", c->app ? "/v1/partner/sync" : "/v1/sync", c->cursor[0] ? "&since=" : "",
			 c->cursor);
		st = pst__request(c, "GET", path, NULL, &out);
		if (st != PST_OK)
			break;
		events = json_object_get(out, "events");
		st = pst__process_events(c, events);
		if (json_array_size(events) < 500) {
			json_decref(out);
			out = NULL;
			break;
		}
		json_decref(out);
		out = NULL;
	} while (st == PST_OK && ++rounds < 100);
	json_decref(out);
	return st;
}

static char *dup_field(json_t *m, const char *key)
{
	const char *v = json_string_value(json_object_get(m, key));
	return v ? strdup(v) : NULL;
}

void pst__message_clear(pst_message *m)
{
	free(m->message_id);
	free(m->thread_id);
	free(m->sender_id);
	free(m->sender_device_id);
	free(m->kind);
	free(m->item);
	free(m->share_id);
	free(m->created_at);
	free(m->notice);
	if (m->text) {
		sodium_memzero(m->text, strlen(m->text));
		free(m->text);
	}
	memset(m, 0, sizeof(*m));
}

/* Add a sentence to m's notice. */
static void add_notice(pst_message *m, unsigned flag, const char *text)
{
	char *n = NULL;
	m->flags |= flag;
	if (asprintf(&n, "%s%s%s", m->notice ? m->notice : "", m->notice ? " " : "", text) < 0)
		return;
	free(m->notice);
	m->notice = n;
}

/* What the checks found, written into the cached entry and into out. */
static void apply_findings(pst_message *out, const char *signer, const char *server_sender, unsigned flags, const char *notice)
{
	out->flags = flags;
	if (notice && notice[0])
		out->notice = strdup(notice);
	if (signer && signer[0] && (server_sender == NULL || strcmp(signer, server_sender) != 0)) {
		free(out->sender_id);
		out->sender_id = strdup(signer); /* the person whose device signed it, whatever the server labels */
	}
}

static void decrypt_locked(pst_client *c, const struct pst__thread *t, json_t *m, pst_message *out);

pst_status pst__decrypt_message(pst_client *c, const struct pst__thread *t, json_t *m, pst_message *out)
{
	struct pst__people ppl = {NULL, 0};
	struct pst__thread own;
	const char *thread = json_string_value(json_object_get(m, "thread_id"));
	int locked;
	memset(&own, 0, sizeof(own));
	if (t == NULL && thread && id_ok(thread) && pst__thread_load(c, &ppl, thread, &own) == PST_OK)
		t = &own;
	/* the cache and the inbound chains are loaded, changed and stored again: one process at a time (when
	 * the lock cannot be had, the store itself is unusable and the cycle fails on its own) */
	locked = pst__lock(c) == PST_OK;
	decrypt_locked(c, t, m, out);
	if (locked)
		pst__unlock(c);
	pst__thread_free(&own);
	pst__people_free(&ppl);
	return PST_OK;
}

static void decrypt_locked(pst_client *c, const struct pst__thread *t, json_t *m, pst_message *out)
{
	const char *body = json_string_value(json_object_get(m, "body"));
	const char *thread = json_string_value(json_object_get(m, "thread_id"));
	const char *mid = json_string_value(json_object_get(m, "message_id"));
	const char *sender_dev = json_string_value(json_object_get(m, "sender_device_id"));
	const char *server_sender = json_string_value(json_object_get(m, "sender_id"));
	struct inbound_set set = {NULL, NULL, 0};
	struct proto_envelope info;
	unsigned char *env = NULL, *plain = NULL;
	size_t env_len = 0, plain_len = 0, which = 0, k;
	json_t *cache = NULL, *hit;
	int e;

	memset(out, 0, sizeof(*out));
	out->message_id = dup_field(m, "message_id");
	out->thread_id = dup_field(m, "thread_id");
	out->sender_id = dup_field(m, "sender_id");
	out->sender_device_id = dup_field(m, "sender_device_id");
	out->kind = dup_field(m, "kind");
	out->item = dup_field(m, "item");
	out->share_id = dup_field(m, "share_id");
	out->created_at = dup_field(m, "created_at");
	out->seq = json_integer_value(json_object_get(m, "seq"));
	out->deleted = json_is_true(json_object_get(m, "deleted"));
	out->decrypt = PST_OK;
	if (out->deleted || body == NULL || thread == NULL || mid == NULL || !id_ok(thread))
		return;
	cache = plain_load(c, thread);
	hit = json_object_get(cache, mid);
	if (json_is_string(json_object_get(hit, "t"))) { /* decrypted before: its key is gone, its text and findings kept */
		out->text = strdup(json_string_value(json_object_get(hit, "t")));
		apply_findings(out, json_string_value(json_object_get(hit, "s")), server_sender, (unsigned)json_integer_value(json_object_get(hit, "f")),
			       json_string_value(json_object_get(hit, "n")));
		goto out;
	}
	out->decrypt = PST_ERR_CRYPTO;
	if (sender_dev == NULL || (env = malloc(strlen(body))) == NULL || b64url_decode(body, strlen(body), env, strlen(body), &env_len) != 0)
		goto out;
	if (inbound_load(c, thread, &set) != PST_OK || (plain = malloc(env_len + 1)) == NULL)
		goto out;
	{
		/* the index the session had reached before: a lower one now is out of order */
		struct proto_envelope peek;
		uint32_t before = 0;
		int have_before = 0;
		if (proto_envelope_decode(env, env_len, &peek) == PROTO_E_OK)
			for (k = 0; k < set.n; k++)
				if (strcmp(set.s[k].sender_device_id, peek.sender_device_id) == 0 &&
				    sodium_memcmp(set.s[k].session_id, peek.session_id, PROTO_SESSION_ID_BYTES) == 0) {
					before = set.s[k].next_index;
					have_before = set.s[k].next_index > set.s[k].start_index;
				}
		e = proto_decrypt(set.s, set.n, thread, sender_dev, env, env_len, plain, env_len, &plain_len, &which, &info);
		if (e == PROTO_E_OK && have_before && info.index < before)
			add_notice(out, PST_MSG_OUT_OF_ORDER, "This message arrived after a later one from the same sender (out of order).");
	}
	if (e == PROTO_E_OK) {
		const char *signer = set.owner[which];
		char line[320];
		/* Another client may have sent bytes that are not UTF-8: repaired, the text is always a valid
		 * string for the caller and for the cache. The cache is written before the key state: the key
		 * is erased on disk only once the text it opened is kept (else the next read decrypts again). */
		out->text = utf8_repair((const char *)plain, plain_len);
		out->decrypt = PST_OK;
		if (signer[0] && server_sender && strcmp(signer, server_sender) != 0) {
			snprintf(line, sizeof(line), "The server labelled this message as sent by %.64s, but it was signed by a device of %.64s.",
				 t ? pst__thread_name(t, server_sender) : server_sender, t ? pst__thread_name(t, signer) : signer);
			add_notice(out, PST_MSG_RELABELLED, line);
		}
		if (t && !pst__thread_knows_head(t, info.head))
			add_notice(out, PST_MSG_UNKNOWN_HEAD,
				   "It was sent under a list of members this device never saw (the server may be showing people different member lists).");
		apply_findings(out, signer, server_sender, out->flags, NULL);
		if (out->text &&
		    json_object_set_new(cache, mid, json_pack("{s:s,s:s,s:i,s:s?}", "t", out->text, "s", signer, "f", (int)out->flags, "n", out->notice)) == 0 &&
		    plain_save(c, thread, cache) == PST_OK)
			inbound_save(c, thread, &set);
	} else if (e == PROTO_E_UNKNOWN_SESSION || e == PROTO_E_BEFORE_SESSION || e == PROTO_E_KEY_DISCARDED)
		out->decrypt = PST_ERR_NO_KEY;
	else if (e == PROTO_E_VERSION)
		add_notice(out, 0, "Sent with protocol version 1, which this client does not read.");
	else if (e == PROTO_E_WRONG_THREAD)
		add_notice(out, 0, "This message was written for another conversation: not shown.");
out:
	if (plain) {
		sodium_memzero(plain, env_len + 1);
		free(plain);
	}
	free(env);
	inbound_free(&set);
	json_decref(cache);
}

/*
 * Gaps (docs/protocol.md §18): within one page, the messages of one sender session carry consecutive
 * indexes. Indexes skipped between two readable messages of a session, beyond the deleted messages of that
 * device in between, were dropped or withheld: the later message says how many are missing.
 */
static void find_gaps(const struct pst__thread *t, json_t *list, pst_message *msgs, size_t n)
{
	struct proto_envelope *hdr = calloc(n + 1, sizeof(*hdr));
	unsigned char *env = NULL;
	int *ok = calloc(n + 1, sizeof(*ok));
	size_t i, j, k;

	if (hdr == NULL || ok == NULL)
		goto out;
	for (i = 0; i < n; i++) {
		const char *body = json_string_value(json_object_get(json_array_get(list, i), "body"));
		size_t len = 0;
		if (msgs[i].text == NULL || body == NULL || (env = malloc(strlen(body) + 1)) == NULL)
			continue;
		ok[i] = b64url_decode(body, strlen(body), env, strlen(body) + 1, &len) == 0 && proto_envelope_decode(env, len, &hdr[i]) == PROTO_E_OK;
		free(env);
		env = NULL;
	}
	for (i = 0; i < n; i++) {
		uint32_t missing;
		size_t deleted = 0, prev = (size_t)-1, lo, hi;
		char line[320];
		if (!ok[i])
			continue;
		/* the message of the same session with the largest index below this one's, wherever it is in the page */
		for (j = 0; j < n; j++)
			if (j != i && ok[j] && strcmp(hdr[j].sender_device_id, hdr[i].sender_device_id) == 0 &&
			    sodium_memcmp(hdr[j].session_id, hdr[i].session_id, PROTO_SESSION_ID_BYTES) == 0 && hdr[j].index < hdr[i].index &&
			    (prev == (size_t)-1 || hdr[j].index > hdr[prev].index))
				prev = j;
		if (prev == (size_t)-1 || hdr[i].index <= hdr[prev].index + 1)
			continue;
		lo = prev < i ? prev : i;
		hi = prev < i ? i : prev;
		for (k = lo + 1; k < hi; k++) /* deletions by that device in between account for their indexes */
			deleted += msgs[k].deleted && msgs[k].sender_device_id && strcmp(msgs[k].sender_device_id, hdr[i].sender_device_id) == 0;
		missing = hdr[i].index - hdr[prev].index - 1;
		if (missing <= deleted)
			continue;
		snprintf(line, sizeof(line), "%u message%s from %.64s %s missing before this one.", (unsigned)(missing - deleted),
			 missing - deleted == 1 ? "" : "s", msgs[i].sender_id ? pst__thread_name(t, msgs[i].sender_id) : "this sender",
			 missing - deleted == 1 ? "is" : "are");
		add_notice(&msgs[i], PST_MSG_GAP, line);
	}
out:
	free(hdr);
	free(ok);
}

pst_status pst_read(pst_client *c, const char *thread_id, int limit, pst_message **msgs_out, size_t *n_out)
{
	return pst_read_before(c, thread_id, 0, limit, msgs_out, n_out);
}

pst_status pst_read_before(pst_client *c, const char *thread_id, int64_t before_seq, int limit, pst_message **msgs_out,
			   size_t *n_out)
{
	struct pst__people ppl = {NULL, 0};
	struct pst__thread t;
	json_t *out = NULL, *m, *list;
	pst_message *msgs = NULL;
	char suffix[96], *path = NULL;
	size_t i, n = 0;
	pst_status st;

	memset(&t, 0, sizeof(t));
	if (msgs_out)
		*msgs_out = NULL;
	if (n_out)
		*n_out = 0;
	if (c == NULL || !id_ok(thread_id) || msgs_out == NULL || n_out == NULL || limit < 1 || limit > 200 ||
	    before_seq < 0)
		return c ? pst__fail(c, PST_ERR_INVALID, "a thread id, a limit of 1 to 200 and a seq of 0 or more are required")
			 : PST_ERR_INVALID;
	c->notice[0] = '\0';
	if ((st = pst_sync(c)) != PST_OK) /* take any key hand-overs first */
		return st;
	if ((st = pst__thread_load(c, &ppl, thread_id, &t)) != PST_OK)
		goto out;
	if (t.problem[0])
		snprintf(c->notice, sizeof(c->notice), "%s", t.problem);
	else
		readers_notice(c, &t);
	if (!c->notice[0] && t.notice[0])
		snprintf(c->notice, sizeof(c->notice), "%s", t.notice);
	if (before_seq == 0)
		before_seq = json_integer_value(json_object_get(t.view, "last_seq")) + 1;
	snprintf(suffix, sizeof(suffix), "/messages?before=%lld&limit=%d", (long long)before_seq, limit);
	if ((path = thread_path(thread_id, suffix)) == NULL) {
		st = pst__fail(c, PST_ERR_NOMEM, "out of memory");
		goto out;
	}
	if ((st = pst__request(c, "GET", path, NULL, &out)) != PST_OK)
		goto out;
	list = json_object_get(out, "messages");
	msgs = calloc(json_array_size(list) + 1, sizeof(*msgs));
	if (msgs == NULL) {
		st = pst__fail(c, PST_ERR_NOMEM, "out of memory");
		goto out;
	}
	json_array_foreach(list, i, m) pst__decrypt_message(c, &t, m, &msgs[n++]);
	find_gaps(&t, list, msgs, n);
	*msgs_out = msgs;
	*n_out = n;
	msgs = NULL;
out:
	free(path);
	free(msgs);
	pst__thread_free(&t);
	pst__people_free(&ppl);
	json_decref(out);
	return st;
}

void pst_messages_free(pst_message *msgs, size_t n)
{
	size_t i;
	if (msgs == NULL)
		return;
	for (i = 0; i < n; i++)
		pst__message_clear(&msgs[i]);
	free(msgs);
}

pst_status pst_delete_message(pst_client *c, const char *thread_id, const char *message_id)
{
	char *path;
	pst_status st;
	if (c == NULL || !id_ok(thread_id) || message_id == NULL || !id_ok(message_id))
		return c ? pst__fail(c, PST_ERR_INVALID, "a thread id and a message id are required") : PST_ERR_INVALID;
	path = pst__path("/v1/threads/%s/messages/%s", thread_id, message_id);
	st = path ? pst__request(c, "DELETE", path, NULL, NULL) : pst__fail(c, PST_ERR_NOMEM, "out of memory");
	free(path);
	return st;
}

pst_status pst_share_open(pst_client *c, const char *thread_id, const char *share_id, pst_message **msg_out)
{
	pst_message *msgs = NULL;
	size_t n = 0, i;
	char *path = NULL;
	pst_status st;
	if (msg_out)
		*msg_out = NULL;
	if (c == NULL || !id_ok(thread_id) || share_id == NULL || !id_ok(share_id) || msg_out == NULL)
		return c ? pst__fail(c, PST_ERR_INVALID, "a thread id and a share id are required") : PST_ERR_INVALID;
	if ((path = pst__path("/v1/shares/%s/click", share_id, NULL)) == NULL)
		return pst__fail(c, PST_ERR_NOMEM, "out of memory");
	st = pst__request(c, "POST", path, NULL, NULL);
	free(path);
	if (st != PST_OK)
		return st;
	if ((st = pst_read(c, thread_id, 200, &msgs, &n)) != PST_OK)
		return st;
	for (i = 0; i < n; i++)
		if (msgs[i].share_id && strcmp(msgs[i].share_id, share_id) == 0 && *msg_out == NULL) {
			*msg_out = calloc(1, sizeof(**msg_out));
			if (*msg_out) {
				**msg_out = msgs[i];
				memset(&msgs[i], 0, sizeof(msgs[i]));
			}
		}
	pst_messages_free(msgs, n);
	return *msg_out ? PST_OK : pst__fail(c, PST_ERR_NOT_FOUND, "that share is not among the thread's last 200 messages");
}
