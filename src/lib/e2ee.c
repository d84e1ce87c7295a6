/*
 * e2ee.c — end-to-end encryption in libpostern: sending (sharing or rotating this device's sender-key
 * session for a thread, encrypting, posting), receiving session hand-overs from the event log, decrypting
 * messages, and following the live event stream. The protocol itself (keys, envelopes, chains) is in
 * proto*.c and docs/protocol.md; this file decides when to use it and keeps its state in the key store:
 *   out.<thread>    this device's outbound session for the thread
 *   in.<thread>     the inbound sessions received for the thread (length-prefixed, one after another)
 *   plain.<thread>  texts already decrypted, by message id (a message key is used once, then erased)
 *   seen.<thread>   the thread's device set as last seen, to tell the person when it changes
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

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

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

/* ---- inbound sessions of a thread ---- */

struct inbound_set {
	struct proto_inbound *s;
	size_t n;
};

static void inbound_free(struct inbound_set *set)
{
	size_t i;
	for (i = 0; i < set->n; i++)
		proto_inbound_wipe(&set->s[i]);
	free(set->s);
	set->s = NULL;
	set->n = 0;
}

static pst_status inbound_load(pst_client *c, const char *thread, struct inbound_set *set)
{
	char name[96];
	unsigned char *data = NULL;
	size_t len = 0, off = 0;
	pst_status st;

	set->s = NULL;
	set->n = 0;
	store_name(name, sizeof(name), "in", thread);
	st = pst__store_read(c, name, &data, &len, 1);
	if (st == PST_ERR_NOT_FOUND)
		return PST_OK;
	if (st != PST_OK)
		return st;
	while (off + 4 <= len && set->n < MAX_INBOUND) {
		uint32_t n = (uint32_t)data[off] << 24 | (uint32_t)data[off + 1] << 16 | (uint32_t)data[off + 2] << 8 | data[off + 3];
		struct proto_inbound *ns;
		off += 4;
		if (n > len - off)
			break;
		ns = realloc(set->s, (set->n + 1) * sizeof(*ns));
		if (ns == NULL) {
			st = pst__fail(c, PST_ERR_NOMEM, "out of memory");
			break;
		}
		set->s = ns;
		if (proto_inbound_load(&set->s[set->n], data + off, n) == PROTO_E_OK)
			set->n++;
		off += n;
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
	unsigned char *buf = malloc(set->n * (PROTO_INBOUND_STATE_MAX + 4) + 1);
	size_t off = 0, i;
	pst_status st = PST_OK;
	if (buf == NULL)
		return pst__fail(c, PST_ERR_NOMEM, "out of memory");
	for (i = 0; i < set->n; i++) {
		size_t n = 0;
		if (proto_inbound_save(&set->s[i], buf + off + 4, PROTO_INBOUND_STATE_MAX, &n) != PROTO_E_OK)
			continue;
		buf[off] = (unsigned char)(n >> 24);
		buf[off + 1] = (unsigned char)(n >> 16);
		buf[off + 2] = (unsigned char)(n >> 8);
		buf[off + 3] = (unsigned char)n;
		off += 4 + n;
	}
	store_name(name, sizeof(name), "in", thread);
	st = pst__store_write(c, name, buf, off, 1);
	sodium_memzero(buf, off);
	free(buf);
	return st;
}

/* Add in to the thread's set (replacing a copy of the same session that starts later). */
static pst_status inbound_add(pst_client *c, const struct proto_inbound *in)
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
		if (ns == NULL) {
			inbound_free(&set);
			return pst__fail(c, PST_ERR_NOMEM, "out of memory");
		}
		set.s = ns;
		set.s[set.n++] = *in;
	}
	st = inbound_save(c, in->thread_id, &set);
	inbound_free(&set);
	return st;
}

/* ---- the plaintext cache ---- */

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
	json_object_set_new(cache, message_id, json_string(text));
	st = plain_save(c, thread, cache);
	json_decref(cache);
	pst__unlock(c);
	return st;
}

/* ---- devices of a thread ---- */

static char *thread_path(const char *thread, const char *suffix)
{
	char *e = pst__escape(thread), *p = NULL;
	if (e && asprintf(&p, "/v1/threads/%s%s", e, suffix) < 0)
		p = NULL;
	free(e);
	return p;
}

/* The devices that may read thread (from the server), and a notice when the set changed since last seen. */
static pst_status thread_devices(pst_client *c, const char *thread, json_t **devices, json_t **thread_out)
{
	char *path = thread_path(thread, ""), name[96];
	json_t *t = NULL, *ids = json_array(), *d, *old = NULL;
	unsigned char *data = NULL;
	size_t len = 0, i;
	json_error_t jerr;
	char *text = NULL;
	pst_status st;

	*devices = NULL;
	if (path == NULL)
		return pst__fail(c, PST_ERR_NOMEM, "out of memory");
	if (c->app) { /* an app sees its threads and their readers through the partner API */
		json_t *all = NULL, *x;
		free(path);
		path = NULL;
		st = pst__request(c, "GET", "/v1/partner/threads", NULL, &all);
		json_array_foreach(json_object_get(all, "threads"), i, x)
			if (t == NULL && strcmp(json_string_value(json_object_get(x, "thread_id")), thread) == 0)
				t = json_incref(x);
		json_decref(all);
		if (st == PST_OK && t == NULL)
			st = pst__fail(c, PST_ERR_NOT_FOUND, "no such thread among this grant's");
	} else
		st = pst__request(c, "GET", path, NULL, &t);
	free(path);
	if (st != PST_OK)
		goto out;
	json_array_foreach(json_object_get(t, "devices"), i, d)
		json_array_append(ids, json_object_get(d, "device_id"));
	/* tell the person when the readers of a thread change: never silently */
	store_name(name, sizeof(name), "seen", thread);
	if (pst__store_read(c, name, &data, &len, 1) == PST_OK) {
		old = json_loadb((const char *)data, len, 0, &jerr);
		free(data);
	}
	if (old && !json_equal(old, ids)) {
		size_t added = 0, removed = 0, j;
		json_t *x, *y;
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
			 "the devices that can read thread %s changed: %zu added, %zu removed (compare fingerprints with: postern verify USER)",
			 thread, added, removed);
	}
	if (old == NULL || !json_equal(old, ids)) {
		text = json_dumps(ids, JSON_COMPACT);
		if (text)
			pst__store_write(c, name, text, strlen(text), 1);
	}
	*devices = json_incref(json_object_get(t, "devices"));
	if (thread_out)
		*thread_out = json_incref(t);
out:
	free(text);
	json_decref(old);
	json_decref(ids);
	json_decref(t);
	return st;
}

/* ---- sending ---- */

/* Share s with every device of the thread but this one, in one to-device request. */
static pst_status hand_over(pst_client *c, const struct proto_outbound *s, json_t *devices)
{
	json_t *msgs = json_array(), *d, *body;
	size_t i;
	pst_status st = PST_OK;
	json_array_foreach(devices, i, d) {
		const char *did = json_string_value(json_object_get(d, "device_id"));
		const char *bpk_t = json_string_value(json_object_get(d, "box_pk"));
		unsigned char bpk[PROTO_BOX_PK_BYTES], sealed[PROTO_HANDOVER_SEALED_MAX];
		char text[PROTO_HANDOVER_SEALED_MAX * 2];
		size_t n = 0;
		if (did == NULL || bpk_t == NULL || strcmp(did, c->device_id) == 0)
			continue;
		if (b64url_decode_exact(bpk_t, strlen(bpk_t), bpk, sizeof(bpk)) != 0 ||
		    proto_handover_seal(s, c->keys.sign_sk, did, bpk, sealed, sizeof(sealed), &n) != PROTO_E_OK)
			continue; /* a device we cannot seal to gets nothing */
		b64url_encode(sealed, n, text, sizeof(text));
		json_array_append_new(msgs, json_pack("{s:s,s:s}", "device_id", did, "body", text));
	}
	if (json_array_size(msgs)) {
		if (c->app) { /* an app hands keys only within its grant's threads: each message names the thread */
			json_t *m;
			json_array_foreach(msgs, i, m) json_object_set_new(m, "thread_id", json_string(s->thread_id));
		}
		body = json_pack("{s:O}", "messages", msgs);
		st = pst__request(c, "POST", c->app ? "/v1/partner/to-device" : "/v1/to-device", body, NULL);
		json_decref(body);
	}
	json_decref(msgs);
	return st;
}

/*
 * Encrypt text for every device that may read thread_id: this device's session for the thread, replaced
 * (and handed to every reader) when it must rotate. On success *envtext_out is the base64url envelope for
 * a message body (malloc'd). The advanced chain is stored before returning: an index is never used twice.
 */
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

static pst_status seal_locked(pst_client *c, const char *thread_id, const char *text, char **envtext_out)
{
	json_t *devices = NULL, *d;
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
	if (!c->token[0] || !c->have_keys || !c->device_id[0])
		return pst__fail(c, PST_ERR_AUTH, "not logged in with a registered device");
	_Static_assert(PST_TEXT_MAX == PROTO_PLAINTEXT_MAX, "the public text limit is the envelope's plaintext limit");
	if (strlen(text) > PST_TEXT_MAX)
		return pst__fail(c, PST_ERR_INVALID, "the text is longer than %u bytes", PST_TEXT_MAX);
	memset(&s, 0, sizeof(s));
	if ((st = thread_devices(c, thread_id, &devices, NULL)) != PST_OK)
		goto out;
	ids = calloc(json_array_size(devices) + 1, sizeof(*ids));
	if (ids == NULL) {
		st = pst__fail(c, PST_ERR_NOMEM, "out of memory");
		goto out;
	}
	json_array_foreach(devices, i, d) ids[n++] = json_string_value(json_object_get(d, "device_id"));
	if (proto_recipients_hash(ids, n, hash) != PROTO_E_OK) {
		st = pst__fail(c, PST_ERR_PROTOCOL, "the thread's device list is not valid");
		goto out;
	}
	/* the current session, unless it must rotate (100 messages, 7 days, or the readers changed) */
	store_name(name, sizeof(name), "out", thread_id);
	if (pst__store_read(c, name, &saved, &saved_len, 1) != PST_OK || proto_outbound_load(&s, saved, saved_len) != PROTO_E_OK ||
	    proto_outbound_must_rotate(&s, now_ms(), hash, &reasons) != PROTO_E_OK || reasons != 0) {
		struct proto_inbound *twin = malloc(sizeof(*twin));
		proto_outbound_wipe(&s);
		if (twin == NULL || proto_outbound_new(&s, thread_id, c->device_id, hash, now_ms()) != PROTO_E_OK ||
		    proto_inbound_from_outbound(twin, &s, c->keys.sign_pk) != PROTO_E_OK) {
			free(twin);
			st = pst__fail(c, PST_ERR_CRYPTO, "cannot start an encryption session");
			goto out;
		}
		st = inbound_add(c, twin); /* so this device reads its own messages */
		proto_inbound_wipe(twin);
		free(twin);
		if (st != PST_OK)
			goto out;
		fresh = 1;
	}
	if (fresh && (st = hand_over(c, &s, devices)) != PST_OK)
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
	json_decref(devices);
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

/* Find from_device in a device list and take its signing key. */
static int find_sign_pk(json_t *list, const char *from_device, unsigned char pk[PROTO_SIGN_PK_BYTES])
{
	json_t *d;
	size_t i;
	json_array_foreach(list, i, d) {
		const char *id = json_string_value(json_object_get(d, "device_id"));
		const char *spk = json_string_value(json_object_get(d, "sign_pk"));
		if (id && spk && strcmp(id, from_device) == 0 && b64url_decode_exact(spk, strlen(spk), pk, PROTO_SIGN_PK_BYTES) == 0)
			return 1;
	}
	return 0;
}

/*
 * The registered signing key of from_device: among from_user's devices, or, when the hand-over names its
 * thread (an app device writing in an app thread), among that thread's readers and app senders; an app
 * looks among the readers of all its threads.
 */
static pst_status device_sign_pk(pst_client *c, const char *from_user, const char *from_device, const char *thread_hint,
				 unsigned char pk[PROTO_SIGN_PK_BYTES])
{
	char *path = NULL;
	json_t *out = NULL, *x;
	size_t i;
	int found = 0;

	if (c->app) {
		if (pst__request(c, "GET", "/v1/partner/threads", NULL, &out) == PST_OK)
			json_array_foreach(json_object_get(out, "threads"), i, x) found |= find_sign_pk(json_object_get(x, "devices"), from_device, pk);
		json_decref(out);
		return found ? PST_OK : PST_ERR_NOT_FOUND;
	}
	if (thread_hint && id_ok(thread_hint)) {
		path = thread_path(thread_hint, "");
		if (path && pst__request(c, "GET", path, NULL, &out) == PST_OK)
			found = find_sign_pk(json_object_get(out, "devices"), from_device, pk) ||
				find_sign_pk(json_object_get(out, "app_senders"), from_device, pk);
		free(path);
		json_decref(out);
		return found ? PST_OK : PST_ERR_NOT_FOUND;
	}
	if ((path = pst__path("/v1/users/%s/devices", from_user, NULL)) == NULL)
		return pst__fail(c, PST_ERR_NOMEM, "out of memory");
	if (pst__request(c, "GET", path, NULL, &out) == PST_OK)
		found = find_sign_pk(json_object_get(out, "devices"), from_device, pk);
	free(path);
	json_decref(out);
	return found ? PST_OK : PST_ERR_NOT_FOUND;
}

/* A session hand-over from another device: verify it and keep the inbound session. Bad ones are dropped. */
static void take_handover(pst_client *c, json_t *ev)
{
	const char *from_user = json_string_value(json_object_get(ev, "from_user_id"));
	const char *from_dev = json_string_value(json_object_get(ev, "from_device_id"));
	const char *body = json_string_value(json_object_get(ev, "body"));
	const char *thread_hint = json_string_value(json_object_get(ev, "thread_id"));
	unsigned char sealed[PROTO_HANDOVER_SEALED_MAX], pk[PROTO_SIGN_PK_BYTES];
	struct proto_inbound *in = NULL;
	json_t *devices = NULL, *d;
	size_t n = 0, i;
	int member = 0;

	if (from_user == NULL || from_dev == NULL || body == NULL || b64url_decode(body, strlen(body), sealed, sizeof(sealed), &n) != 0)
		return;
	if (device_sign_pk(c, from_user, from_dev, thread_hint, pk) != PST_OK || (in = malloc(sizeof(*in))) == NULL)
		return;
	if (proto_handover_open(sealed, n, &c->keys, c->device_id, from_dev, pk, thread_hint, in) != PROTO_E_OK ||
	    !id_ok(in->thread_id))
		goto out;
	/* the sender must write in that thread now: one of its readers, or (named by the hint) an app sender */
	if (thread_hint)
		member = 1; /* device_sign_pk found it in that very thread's lists */
	else if (thread_devices(c, in->thread_id, &devices, NULL) == PST_OK)
		json_array_foreach(devices, i, d) member |= strcmp(json_string_value(json_object_get(d, "device_id")), from_dev) == 0;
	if (member)
		inbound_add(c, in);
out:
	json_decref(devices);
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
	pst_status st = pst__lock(c);
	if (st != PST_OK)
		return st;
	json_array_foreach(events, i, ev) {
		const char *type = json_string_value(json_object_get(ev, "type"));
		const char *cur = json_string_value(json_object_get(ev, "cursor"));
		if (type && strcmp(type, "to_device") == 0)
			take_handover(c, ev);
		if (cur)
			snprintf(c->cursor, sizeof(c->cursor), "%s", cur);
	}
	st = pst__save_session(c);
	pst__unlock(c);
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
	if (m->text) {
		sodium_memzero(m->text, strlen(m->text));
		free(m->text);
	}
	memset(m, 0, sizeof(*m));
}

static void decrypt_locked(pst_client *c, json_t *m, pst_message *out);

pst_status pst__decrypt_message(pst_client *c, json_t *m, pst_message *out)
{
	/* the cache and the inbound chains are loaded, changed and stored again: one process at a time (when
	 * the lock cannot be had, the store itself is unusable and the cycle fails on its own) */
	int locked = pst__lock(c) == PST_OK;
	decrypt_locked(c, m, out);
	if (locked)
		pst__unlock(c);
	return PST_OK;
}

static void decrypt_locked(pst_client *c, json_t *m, pst_message *out)
{
	const char *body = json_string_value(json_object_get(m, "body"));
	const char *thread = json_string_value(json_object_get(m, "thread_id"));
	const char *mid = json_string_value(json_object_get(m, "message_id"));
	const char *sender_dev = json_string_value(json_object_get(m, "sender_device_id"));
	struct inbound_set set = {NULL, 0};
	unsigned char *env = NULL, *plain = NULL;
	size_t env_len = 0, plain_len = 0, which = 0;
	json_t *cache = NULL;
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
	if (json_is_string(json_object_get(cache, mid))) { /* decrypted before: its key is gone, its text kept */
		out->text = strdup(json_string_value(json_object_get(cache, mid)));
		goto out;
	}
	out->decrypt = PST_ERR_CRYPTO;
	if (sender_dev == NULL || (env = malloc(strlen(body))) == NULL || b64url_decode(body, strlen(body), env, strlen(body), &env_len) != 0)
		goto out;
	if (inbound_load(c, thread, &set) != PST_OK || (plain = malloc(env_len + 1)) == NULL)
		goto out;
	e = proto_decrypt(set.s, set.n, thread, sender_dev, env, env_len, plain, env_len, &plain_len, &which);
	if (e == PROTO_E_OK) {
		/* Another client may have sent bytes that are not UTF-8: repaired, the text is always a valid
		 * string for the caller and for the cache. The cache is written before the key state: the key
		 * is erased on disk only once the text it opened is kept (else the next read decrypts again). */
		out->text = utf8_repair((const char *)plain, plain_len);
		out->decrypt = PST_OK;
		if (out->text && json_object_set_new(cache, mid, json_string(out->text)) == 0 &&
		    plain_save(c, thread, cache) == PST_OK)
			inbound_save(c, thread, &set);
	} else if (e == PROTO_E_UNKNOWN_SESSION || e == PROTO_E_BEFORE_SESSION || e == PROTO_E_KEY_DISCARDED)
		out->decrypt = PST_ERR_NO_KEY;
out:
	if (plain) {
		sodium_memzero(plain, env_len + 1);
		free(plain);
	}
	free(env);
	inbound_free(&set);
	json_decref(cache);
	return;
}

pst_status pst_read(pst_client *c, const char *thread_id, int limit, pst_message **msgs_out, size_t *n_out)
{
	return pst_read_before(c, thread_id, 0, limit, msgs_out, n_out);
}

pst_status pst_read_before(pst_client *c, const char *thread_id, int64_t before_seq, int limit, pst_message **msgs_out,
			   size_t *n_out)
{
	json_t *t = NULL, *out = NULL, *devices = NULL, *m, *list;
	pst_message *msgs = NULL;
	char suffix[96], *path = NULL;
	size_t i, n = 0;
	pst_status st;

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
	if ((st = thread_devices(c, thread_id, &devices, &t)) != PST_OK)
		goto out;
	if (before_seq == 0)
		before_seq = json_integer_value(json_object_get(t, "last_seq")) + 1;
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
	json_array_foreach(list, i, m) pst__decrypt_message(c, m, &msgs[n++]);
	*msgs_out = msgs;
	*n_out = n;
	msgs = NULL;
out:
	free(path);
	free(msgs);
	json_decref(devices);
	json_decref(t);
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

/* ---- the live stream ---- */

struct watch {
	pst_client *c;
	pst_event_cb cb;
	void *arg;
	char *line;     /* the line being read */
	size_t len;
	char *data;     /* the event's data lines */
	size_t dlen;
	char event[48];
	int stop;
};

static void dispatch(struct watch *w)
{
	json_error_t jerr;
	json_t *ev = w->data ? json_loadb(w->data, w->dlen, 0, &jerr) : NULL;
	const char *type = json_string_value(json_object_get(ev, "type"));
	pst_message msg;
	int has_msg = 0;

	if (ev == NULL || type == NULL)
		goto out;
	if (strcmp(type, "to_device") == 0)
		take_handover(w->c, ev);
	if (strcmp(type, "message.created") == 0 && json_is_object(json_object_get(ev, "message"))) {
		pst__decrypt_message(w->c, json_object_get(ev, "message"), &msg);
		has_msg = 1;
	}
	if (json_string_value(json_object_get(ev, "cursor")))
		snprintf(w->c->cursor, sizeof(w->c->cursor), "%s", json_string_value(json_object_get(ev, "cursor")));
	pst__save_session(w->c);
	if (w->cb && w->cb(w->arg, type, w->data, has_msg ? &msg : NULL))
		w->stop = 1;
	if (has_msg)
		pst__message_clear(&msg);
out:
	json_decref(ev);
	free(w->data);
	w->data = NULL;
	w->dlen = 0;
	w->event[0] = '\0';
}

/* One SSE line (without its newline). */
static void sse_line(struct watch *w, const char *line, size_t n)
{
	if (n == 0) { /* a blank line ends an event */
		if (w->data)
			dispatch(w);
		return;
	}
	if (n >= 5 && memcmp(line, "data:", 5) == 0) {
		size_t skip = (n > 5 && line[5] == ' ') ? 6 : 5;
		char *nd = realloc(w->data, w->dlen + (n - skip) + 2);
		if (nd == NULL)
			return;
		if (w->dlen)
			nd[w->dlen++] = '\n';
		memcpy(nd + w->dlen, line + skip, n - skip);
		w->dlen += n - skip;
		nd[w->dlen] = '\0';
		w->data = nd;
	}
	/* id: and event: are repeated inside the data; comments (":") are heartbeats */
}

static size_t sse_write(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct watch *w = arg;
	size_t n = size * nmemb, i;
	for (i = 0; i < n && !w->stop; i++) {
		if (ptr[i] == '\n') {
			size_t l = w->len;
			if (l && w->line[l - 1] == '\r')
				l--;
			sse_line(w, w->line ? w->line : "", l);
			w->len = 0;
			continue;
		}
		if (w->len >= (1u << 22))
			return 0; /* a line over 4 MiB: not a stream from our server */
		{
			char *nl = realloc(w->line, w->len + 2);
			if (nl == NULL)
				return 0;
			w->line = nl;
			w->line[w->len++] = ptr[i];
			w->line[w->len] = '\0';
		}
	}
	return w->stop ? 0 : n;
}

void pst_watch_stop(pst_client *c)
{
	if (c)
		c->stop_watch = 1;
}

/* libcurl calls this about once a second even on an idle stream: the place to notice pst_watch_stop. */
static int watch_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
	struct watch *w = arg;
	(void)dltotal;
	(void)dlnow;
	(void)ultotal;
	(void)ulnow;
	if (w->c->stop_watch)
		w->stop = 1;
	return w->stop;
}

pst_status pst_watch(pst_client *c, pst_event_cb cb, void *arg, int max_seconds)
{
	struct watch w;
	time_t deadline = max_seconds > 0 ? time(NULL) + max_seconds : 0;
	pst_status st = PST_OK;
	int failures = 0;

	if (c == NULL)
		return PST_ERR_INVALID;
	if (!c->token[0])
		return pst__fail(c, PST_ERR_AUTH, "not logged in (run: postern login USER)");
	if (c->stream == NULL && (c->stream = curl_easy_init()) == NULL)
		return pst__fail(c, PST_ERR_NOMEM, "out of memory");
	memset(&w, 0, sizeof(w));
	w.c = c;
	w.cb = cb;
	w.arg = arg;
	c->stop_watch = 0;
	if ((st = pst_sync(c)) != PST_OK) /* hand-overs that came while away */
		return st;
	while (!w.stop && !c->stop_watch) {
		struct curl_slist *hdrs = NULL;
		char *url = NULL, auth[160];
		CURLcode cc;
		long status = 0, left = deadline ? (long)(deadline - time(NULL)) : 0;
		if (deadline && left <= 0)
			break;
		if (asprintf(&url, "%s/v1/events%s%s", c->server, c->cursor[0] ? "?since=" : "", c->cursor) < 0) {
			st = pst__fail(c, PST_ERR_NOMEM, "out of memory");
			break;
		}
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s", c->token);
		hdrs = curl_slist_append(hdrs, auth);
		hdrs = curl_slist_append(hdrs, "Accept: text/event-stream");
		sodium_memzero(auth, sizeof(auth));
		curl_easy_reset(c->stream);
		curl_easy_setopt(c->stream, CURLOPT_URL, url);
		curl_easy_setopt(c->stream, CURLOPT_HTTPHEADER, hdrs);
		curl_easy_setopt(c->stream, CURLOPT_WRITEFUNCTION, sse_write);
		curl_easy_setopt(c->stream, CURLOPT_WRITEDATA, &w);
		curl_easy_setopt(c->stream, CURLOPT_NOSIGNAL, 1L);
		curl_easy_setopt(c->stream, CURLOPT_TCP_NODELAY, 1L);
		curl_easy_setopt(c->stream, CURLOPT_CONNECTTIMEOUT, 10L);
		curl_easy_setopt(c->stream, CURLOPT_PROTOCOLS_STR, "http,https");
		/* a stream with no heartbeat for 40 s is dead: the server sends one every 15 s */
		curl_easy_setopt(c->stream, CURLOPT_XFERINFOFUNCTION, watch_progress);
		curl_easy_setopt(c->stream, CURLOPT_XFERINFODATA, &w);
		curl_easy_setopt(c->stream, CURLOPT_NOPROGRESS, 0L);
		curl_easy_setopt(c->stream, CURLOPT_LOW_SPEED_LIMIT, 1L);
		curl_easy_setopt(c->stream, CURLOPT_LOW_SPEED_TIME, 40L);
		if (deadline)
			curl_easy_setopt(c->stream, CURLOPT_TIMEOUT, left);
		cc = curl_easy_perform(c->stream);
		curl_easy_getinfo(c->stream, CURLINFO_RESPONSE_CODE, &status);
		curl_slist_free_all(hdrs);
		free(url);
		w.len = 0;
		if (w.stop)
			break;
		if (status == 401) {
			st = pst__fail(c, PST_ERR_AUTH, "the session ended (log in again)");
			break;
		}
		if (status >= 400) {
			st = pst__fail(c, PST_ERR_HTTP, "the event stream was refused (HTTP %ld)", status);
			break;
		}
		if (cc == CURLE_OPERATION_TIMEDOUT && deadline && time(NULL) >= deadline)
			break;
		/* dropped: come back from the last cursor, a little later each time */
		failures = status == 200 ? 0 : failures + 1;
		if (failures > 30) {
			st = pst__fail(c, PST_ERR_NETWORK, "the event stream keeps failing: %s", curl_easy_strerror(cc));
			break;
		}
		if (!c->stop_watch)
			sleep(failures ? (failures < 5 ? (unsigned)failures : 5u) : 1u);
	}
	free(w.line);
	free(w.data);
	return st;
}
