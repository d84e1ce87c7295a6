/*
 * prekeys.c — this device's prekeys (docs/protocol.md §17): a signed prekey replaced every 7 days (its
 * secret kept 7 days more for hand-overs still on their way) and a batch of one-time prekeys on the server,
 * each secret erased as soon as the hand-over that used it is opened. The secret halves live in the key
 * store (prekeys.json, sealed at rest like every secret) and are written before the public halves are
 * uploaded, so that no key on the server lacks its secret here.
 */
#include "client_int.h"

#include "b64url.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "banned.h" /* last: bans footguns in this file only */

#define ONE_TIME_LOW 50      /* refill below this many on the server */
#define ONE_TIME_BATCH 100   /* up to this many */
#define ONE_TIME_KEEP 400    /* secrets kept here at most (claimed keys whose hand-over never came age out) */
#define SIGNED_ROTATE_MS (7LL * 24 * 3600 * 1000)
#define SIGNED_KEEP_MS (14LL * 24 * 3600 * 1000)

static json_t *store_load(pst_client *c)
{
	json_t *j = pst__store_json(c, "prekeys.json");
	if (json_object_size(j) == 0) {
		json_decref(j);
		j = json_pack("{s:i,s:[],s:{}}", "next_id", 1, "signed", "one_time");
	}
	return j;
}

static pst_status store_save(pst_client *c, json_t *j)
{
	char *text = json_dumps(j, JSON_COMPACT);
	pst_status st;
	if (text == NULL)
		return pst__fail(c, PST_ERR_NOMEM, "out of memory");
	st = pst__store_write(c, "prekeys.json", text, strlen(text), 1);
	sodium_memzero(text, strlen(text));
	free(text);
	return st;
}

/* A new prekey: its secret into the store object, its signed public half as base64url (malloc'd). */
static char *prekey_make(pst_client *c, json_t *store, unsigned kind)
{
	struct proto_statement *st = calloc(1, sizeof(*st));
	unsigned char sk[PROTO_PREKEY_BYTES];
	char skt[64], idt[16], *text = NULL;
	uint32_t id = (uint32_t)json_integer_value(json_object_get(store, "next_id"));

	if (st == NULL || id == 0) {
		pst__fail(c, st ? PST_ERR_STORE : PST_ERR_NOMEM, st ? "prekeys.json is damaged" : "out of memory");
		goto out;
	}
	st->type = PROTO_ST_PREKEY;
	snprintf(st->device_id, sizeof(st->device_id), "%s", c->device_id);
	st->op = kind;
	st->key_id = id;
	st->at_ms = (uint64_t)pst__now_ms();
	proto_prekey_new(st->key, sk);
	if ((text = pst__sign_device(c, st)) == NULL)
		goto out;
	b64url_encode(sk, sizeof(sk), skt, sizeof(skt));
	snprintf(idt, sizeof(idt), "%u", (unsigned)id);
	json_object_set_new(store, "next_id", json_integer((json_int_t)id + 1));
	if (kind == PROTO_PREKEY_SIGNED)
		json_array_append_new(json_object_get(store, "signed"), json_pack("{s:I,s:s,s:I}", "id", (json_int_t)id, "sk", skt, "at", (json_int_t)pst__now_ms()));
	else
		json_object_set_new(json_object_get(store, "one_time"), idt, json_string(skt));
	sodium_memzero(skt, sizeof(skt));
out:
	sodium_memzero(sk, sizeof(sk));
	free(st);
	return text;
}

/* Drop what is too old to keep: signed secrets past SIGNED_KEEP_MS (the newest stays), the oldest one-time ones over the cap. */
static void store_prune(json_t *store)
{
	json_t *signed_keys = json_object_get(store, "signed"), *one = json_object_get(store, "one_time");
	size_t i = 0;
	while (json_array_size(signed_keys) > 1 && i < json_array_size(signed_keys) - 1) {
		if (pst__now_ms() - json_integer_value(json_object_get(json_array_get(signed_keys, i), "at")) > SIGNED_KEEP_MS)
			json_array_remove(signed_keys, i);
		else
			i++;
	}
	while (json_object_size(one) > ONE_TIME_KEEP) {
		const char *key, *lowest = NULL;
		json_t *v;
		json_object_foreach(one, key, v) if (lowest == NULL || strtoul(key, NULL, 10) < strtoul(lowest, NULL, 10)) lowest = key;
		if (lowest == NULL)
			break;
		json_object_del(one, lowest);
	}
}

static pst_status refill_locked(pst_client *c)
{
	json_t *count = NULL, *store = NULL, *body = NULL, *one_list = json_array(), *newest;
	char *signed_text = NULL;
	json_int_t have, want, i, newest_at;
	pst_status st;

	if ((st = pst__request(c, "GET", c->app ? "/v1/partner/keys" : "/v1/keys", NULL, &count)) != PST_OK)
		goto out;
	store = store_load(c);
	store_prune(store);
	have = json_integer_value(json_object_get(count, "one_time"));
	newest = json_array_get(json_object_get(store, "signed"), json_array_size(json_object_get(store, "signed")) - 1);
	newest_at = newest ? json_integer_value(json_object_get(newest, "at")) : 0;
	/* a new signed prekey when the server has none we hold, or ours is a week old */
	if (newest == NULL || json_integer_value(json_object_get(count, "signed_key_id")) != json_integer_value(json_object_get(newest, "id")) ||
	    pst__now_ms() - newest_at > SIGNED_ROTATE_MS) {
		if ((signed_text = prekey_make(c, store, PROTO_PREKEY_SIGNED)) == NULL) {
			st = PST_ERR_CRYPTO;
			goto out;
		}
	}
	want = have < ONE_TIME_LOW ? ONE_TIME_BATCH - have : 0;
	for (i = 0; i < want; i++) {
		char *t = prekey_make(c, store, PROTO_PREKEY_ONE_TIME);
		if (t == NULL) {
			st = PST_ERR_CRYPTO;
			goto out;
		}
		json_array_append_new(one_list, json_string(t));
		free(t);
	}
	if (signed_text == NULL && want == 0)
		goto out;
	/* the secrets first: a key the server hands out must have its secret here */
	if ((st = store_save(c, store)) != PST_OK)
		goto out;
	body = json_object();
	if (signed_text)
		json_object_set_new(body, "signed", json_string(signed_text));
	if (want)
		json_object_set(body, "one_time", one_list);
	st = pst__request(c, "POST", c->app ? "/v1/partner/keys" : "/v1/keys", body, NULL);
out:
	free(signed_text);
	json_decref(body);
	json_decref(one_list);
	json_decref(store);
	json_decref(count);
	return st;
}

pst_status pst__prekeys_refill(pst_client *c)
{
	pst_status st;
	if (!c->have_keys || !c->device_id[0])
		return PST_OK;
	if ((st = pst__lock(c)) != PST_OK)
		return st;
	st = refill_locked(c);
	pst__unlock(c);
	return st;
}

pst_status pst__prekeys_secret(pst_client *c, uint32_t spk_id, uint32_t opk_id, unsigned char spk_sk[PROTO_PREKEY_BYTES],
			       unsigned char opk_sk[PROTO_PREKEY_BYTES])
{
	json_t *store = store_load(c), *x;
	char idt[16];
	const char *t = NULL;
	size_t i;
	pst_status st = PST_ERR_NOT_FOUND;

	json_array_foreach(json_object_get(store, "signed"), i, x)
		if ((uint32_t)json_integer_value(json_object_get(x, "id")) == spk_id)
			t = json_string_value(json_object_get(x, "sk"));
	if (t == NULL || b64url_decode_exact(t, strlen(t), spk_sk, PROTO_PREKEY_BYTES) != 0)
		goto out;
	if (opk_id != 0) {
		snprintf(idt, sizeof(idt), "%u", (unsigned)opk_id);
		t = json_string_value(json_object_get(json_object_get(store, "one_time"), idt));
		if (t == NULL || b64url_decode_exact(t, strlen(t), opk_sk, PROTO_PREKEY_BYTES) != 0)
			goto out;
	}
	st = PST_OK;
out:
	json_decref(store); /* the secrets in it: jansson frees, the file stays sealed */
	return st;
}

pst_status pst__prekeys_used(pst_client *c, uint32_t opk_id)
{
	json_t *store;
	char idt[16];
	pst_status st;
	if (opk_id == 0)
		return PST_OK;
	store = store_load(c);
	snprintf(idt, sizeof(idt), "%u", (unsigned)opk_id);
	json_object_del(json_object_get(store, "one_time"), idt);
	st = store_save(c, store);
	json_decref(store);
	return st;
}
