/*
 * proto_statement.c — the signed statements of protocol version 2 (see proto.h and docs/protocol.md §13):
 * one layout table says which fields each type carries and in what order; one encoder and one decoder
 * walk it. Also the membership chain (§15): a thread's members computed from its verified links, with the
 * rules of who may add and remove whom. Pure: no I/O, no allocation; callers check the signers' keys.
 */
#include "proto.h"
#include "proto_internal.h"

#include "b64url.h"

#include <sodium.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "banned.h" /* last: bans footguns in this file only */

/* The fields a statement can carry, each with its wire form (docs/protocol.md §13). */
enum field {
	F_END = 0,
	F_USER, F_USERNAME, F_DEVICE, F_THREAD, F_CLIENT, F_GRANT, F_ACTOR_USER, F_ACTOR_DEVICE, /* id(x) */
	F_KEY, F_KEY2, F_PREV,                                                                  /* 32 bytes */
	F_NONCE,                                                                                /* 16 bytes */
	F_OP, F_KIND,                                                                           /* u8 */
	F_KEY_ID,                                                                               /* u32 */
	F_AT, F_EXPIRES,                                                                        /* u64 */
	F_IDS,                                                                                  /* u16 n, n x id */
};

/* Where each id field lives in struct proto_statement. */
static const size_t id_offset[] = {
	[F_USER] = offsetof(struct proto_statement, user_id),
	[F_USERNAME] = offsetof(struct proto_statement, username),
	[F_DEVICE] = offsetof(struct proto_statement, device_id),
	[F_THREAD] = offsetof(struct proto_statement, thread_id),
	[F_CLIENT] = offsetof(struct proto_statement, client_id),
	[F_GRANT] = offsetof(struct proto_statement, grant_id),
	[F_ACTOR_USER] = offsetof(struct proto_statement, actor_user_id),
	[F_ACTOR_DEVICE] = offsetof(struct proto_statement, actor_device_id),
};

/*
 * One row per type: its fields in wire order, the range of its u8 `op` field and of its id count. The
 * signature (64 bytes) follows the last field and covers everything before it, the 3-byte prefix included.
 */
static const struct layout {
	unsigned type;
	unsigned op_min, op_max;
	size_t ids_min, ids_max;
	unsigned char fields[10];
} layouts[] = {
	{PROTO_ST_IDENTITY, 0, 0, 0, 0, {F_USER, F_USERNAME, F_KEY, F_AT}},
	{PROTO_ST_DEVICE_CERT, 0, 0, 0, 0, {F_DEVICE, F_KEY, F_KEY2, F_AT}},
	{PROTO_ST_DEVICE_REVOKE, 0, 0, 0, 0, {F_DEVICE, F_KEY, F_AT}},
	{PROTO_ST_PREKEY, PROTO_PREKEY_ONE_TIME, PROTO_PREKEY_SIGNED, 0, 0, {F_DEVICE, F_OP, F_KEY_ID, F_KEY, F_AT}},
	{PROTO_ST_CONTACT, PROTO_CONTACT_SEEN, PROTO_CONTACT_UNVERIFIED, 0, 0, {F_USER, F_KEY, F_OP, F_AT}},
	{PROTO_ST_LINK, PROTO_LINK_CREATE, PROTO_LINK_REMOVE, 1, PROTO_IDS_MAX,
	 {F_PREV, F_NONCE, F_OP, F_KIND, F_ACTOR_USER, F_ACTOR_DEVICE, F_IDS, F_AT}},
	{PROTO_ST_APP_AUTH, 0, 0, 0, PROTO_IDS_MAX, {F_CLIENT, F_GRANT, F_DEVICE, F_KEY, F_KEY2, F_EXPIRES, F_IDS, F_AT}},
	{PROTO_ST_APP_REVOKE, 0, 0, 0, 0, {F_CLIENT, F_GRANT, F_DEVICE, F_AT}},
	{PROTO_ST_APP_CONSENT, 0, 1, 0, 0, {F_THREAD, F_CLIENT, F_OP, F_AT}},
};

static const struct layout *layout_of(unsigned type)
{
	size_t i;
	for (i = 0; i < sizeof(layouts) / sizeof(layouts[0]); i++)
		if (layouts[i].type == type)
			return &layouts[i];
	return NULL;
}

/* The value rules beyond the layout: op and id-count ranges, and a link's shape per operation. */
static int values_ok(const struct layout *l, const struct proto_statement *st)
{
	size_t i, j;
	if (st->op < l->op_min || st->op > l->op_max || st->n_ids < l->ids_min || st->n_ids > l->ids_max)
		return 0;
	if (st->type == PROTO_ST_LINK) {
		if (st->kind != PROTO_THREAD_DIRECT && st->kind != PROTO_THREAD_GROUP)
			return 0;
		if (st->op == PROTO_LINK_CREATE ? st->n_ids < 2 : st->n_ids != 1)
			return 0;
	}
	for (i = 0; i < st->n_ids; i++) /* ids of one statement are distinct */
		for (j = 0; j < i; j++)
			if (strcmp(st->ids[i], st->ids[j]) == 0)
				return 0;
	return 1;
}

static int encode(const struct layout *l, const struct proto_statement *st, struct pst__proto_writer *w)
{
	const unsigned char *f;
	size_t i;

	pst__proto_put_u8(w, PROTO_MAGIC);
	pst__proto_put_u8(w, PROTO_VERSION);
	pst__proto_put_u8(w, l->type);
	for (f = l->fields; f < l->fields + sizeof(l->fields) && *f != F_END; f++) {
		switch (*f) {
		case F_KEY: pst__proto_put(w, st->key, 32); break;
		case F_KEY2: pst__proto_put(w, st->key2, 32); break;
		case F_PREV: pst__proto_put(w, st->prev, PROTO_HEAD_BYTES); break;
		case F_NONCE: pst__proto_put(w, st->nonce, PROTO_LINK_NONCE_BYTES); break;
		case F_OP: pst__proto_put_u8(w, st->op); break;
		case F_KIND: pst__proto_put_u8(w, st->kind); break;
		case F_KEY_ID: pst__proto_put_u32(w, st->key_id); break;
		case F_AT: pst__proto_put_u64(w, st->at_ms); break;
		case F_EXPIRES: pst__proto_put_u64(w, st->expires_ms); break;
		case F_IDS:
			pst__proto_put_u8(w, (unsigned)(st->n_ids >> 8));
			pst__proto_put_u8(w, (unsigned)(st->n_ids & 0xff));
			for (i = 0; i < st->n_ids; i++) {
				if (pst__proto_id_len(st->ids[i]) == 0)
					return PROTO_E_INVALID_ARG;
				pst__proto_put_id(w, st->ids[i]);
			}
			break;
		default: { /* an id field */
			const char *id = (const char *)st + id_offset[*f];
			if (pst__proto_id_len(id) == 0)
				return PROTO_E_INVALID_ARG;
			pst__proto_put_id(w, id);
		}
		}
	}
	return w->overflow ? PROTO_E_BUFFER_TOO_SMALL : PROTO_E_OK;
}

int proto_statement_sign(const struct proto_statement *st, const unsigned char sk[PROTO_SIGN_SK_BYTES],
			 unsigned char *out, size_t cap, size_t *out_len)
{
	const struct layout *l = st ? layout_of(st->type) : NULL;
	struct pst__proto_writer w = {out, cap, 0, 0};
	int rc;

	if (l == NULL || sk == NULL || out == NULL || out_len == NULL || !values_ok(l, st))
		return PROTO_E_INVALID_ARG;
	if ((rc = encode(l, st, &w)) != PROTO_E_OK)
		return rc;
	if (cap - w.len < PROTO_SIG_BYTES)
		return PROTO_E_BUFFER_TOO_SMALL;
	if (crypto_sign_detached(out + w.len, NULL, out, w.len, sk) != 0)
		return PROTO_E_CRYPTO;
	*out_len = w.len + PROTO_SIG_BYTES;
	return PROTO_E_OK;
}

int proto_statement_parse(const unsigned char *in, size_t len, unsigned want_type, struct proto_statement *st)
{
	struct pst__proto_reader r = {in, len, 0, 0};
	const struct layout *l;
	const unsigned char *f;
	unsigned magic, version, type;
	size_t i;

	if (in == NULL || st == NULL)
		return PROTO_E_INVALID_ARG;
	if (len > PROTO_STATEMENT_MAX)
		return PROTO_E_TOO_LARGE;
	magic = pst__proto_get_u8(&r);
	version = pst__proto_get_u8(&r);
	type = pst__proto_get_u8(&r);
	if (r.bad || magic != PROTO_MAGIC)
		return PROTO_E_MALFORMED;
	if (version != PROTO_VERSION)
		return PROTO_E_VERSION;
	if ((l = layout_of(type)) == NULL || (want_type != 0 && type != want_type))
		return PROTO_E_MALFORMED;
	memset(st, 0, offsetof(struct proto_statement, ids)); /* ids[] is filled up to n_ids only */
	st->type = type;
	for (f = l->fields; f < l->fields + sizeof(l->fields) && *f != F_END && !r.bad; f++) {
		switch (*f) {
		case F_KEY: pst__proto_get_bytes(&r, st->key, 32); break;
		case F_KEY2: pst__proto_get_bytes(&r, st->key2, 32); break;
		case F_PREV: pst__proto_get_bytes(&r, st->prev, PROTO_HEAD_BYTES); break;
		case F_NONCE: pst__proto_get_bytes(&r, st->nonce, PROTO_LINK_NONCE_BYTES); break;
		case F_OP: st->op = pst__proto_get_u8(&r); break;
		case F_KIND: st->kind = pst__proto_get_u8(&r); break;
		case F_KEY_ID: st->key_id = pst__proto_get_u32(&r); break;
		case F_AT: st->at_ms = pst__proto_get_u64(&r); break;
		case F_EXPIRES: st->expires_ms = pst__proto_get_u64(&r); break;
		case F_IDS:
			st->n_ids = (size_t)pst__proto_get_u8(&r) << 8;
			st->n_ids |= pst__proto_get_u8(&r);
			if (st->n_ids > l->ids_max) /* before reading any: the count is bounded first */
				r.bad = 1;
			for (i = 0; i < st->n_ids && !r.bad; i++)
				pst__proto_get_id(&r, st->ids[i]);
			break;
		default:
			pst__proto_get_id(&r, (char *)st + id_offset[*f]);
		}
	}
	st->signed_len = r.off;
	pst__proto_get_bytes(&r, st->sig, PROTO_SIG_BYTES);
	if (r.bad || r.off != len || !values_ok(l, st))
		return PROTO_E_MALFORMED;
	return PROTO_E_OK;
}

int proto_statement_verify(const unsigned char *in, size_t len, unsigned want_type,
			   const unsigned char pk[PROTO_SIGN_PK_BYTES], struct proto_statement *st)
{
	int rc;
	if (pk == NULL)
		return PROTO_E_INVALID_ARG;
	if ((rc = proto_statement_parse(in, len, want_type, st)) != PROTO_E_OK)
		return rc;
	if (crypto_sign_verify_detached(st->sig, in, st->signed_len, pk) != 0)
		return PROTO_E_BAD_SIGNATURE;
	return PROTO_E_OK;
}

int proto_statement_hash(const unsigned char *in, size_t len, unsigned char out[PROTO_HEAD_BYTES])
{
	if (in == NULL || out == NULL)
		return PROTO_E_INVALID_ARG;
	return crypto_generichash(out, PROTO_HEAD_BYTES, in, len, NULL, 0) == 0 ? PROTO_E_OK : PROTO_E_CRYPTO;
}

int proto_link_thread_id(const unsigned char create_hash[PROTO_HEAD_BYTES], char *out, size_t cap)
{
	if (create_hash == NULL || out == NULL || cap < 2 + 22 + 1)
		return PROTO_E_INVALID_ARG;
	out[0] = 't';
	out[1] = '_';
	b64url_encode(create_hash, 16, out + 2, cap - 2); /* 16 bytes: 22 characters */
	return PROTO_E_OK;
}

/* ---- the membership chain ---- */

void proto_chain_init(struct proto_chain *c)
{
	if (c)
		memset(c, 0, offsetof(struct proto_chain, members));
}

static ptrdiff_t member_index(const struct proto_chain *c, const char *user_id)
{
	size_t i;
	for (i = 0; i < c->n_members; i++)
		if (strcmp(c->members[i], user_id) == 0)
			return (ptrdiff_t)i;
	return -1;
}

int proto_chain_is_member(const struct proto_chain *c, const char *user_id)
{
	return c && user_id && member_index(c, user_id) >= 0;
}

int proto_chain_apply(struct proto_chain *c, const struct proto_statement *link, const unsigned char link_hash[PROTO_HEAD_BYTES])
{
	static const unsigned char zero[PROTO_HEAD_BYTES];
	const char *actor, *target;
	ptrdiff_t at;
	size_t i;

	if (c == NULL || link == NULL || link_hash == NULL || link->type != PROTO_ST_LINK)
		return PROTO_E_INVALID_ARG;
	actor = link->actor_user_id;
	if (c->length == 0) { /* the first link creates the thread, and only the first */
		if (link->op != PROTO_LINK_CREATE || sodium_memcmp(link->prev, zero, sizeof(zero)) != 0 ||
		    (link->kind == PROTO_THREAD_DIRECT && link->n_ids != 2) || link->n_ids < 2)
			return PROTO_E_CHAIN;
		for (i = 0; i < link->n_ids && strcmp(link->ids[i], actor) != 0; i++)
			;
		if (i == link->n_ids)
			return PROTO_E_CHAIN; /* the creator is among the members */
		proto_link_thread_id(link_hash, c->thread_id, sizeof(c->thread_id));
		c->kind = link->kind;
		memcpy(c->creator, actor, sizeof(c->creator));
		for (i = 0; i < link->n_ids; i++)
			memcpy(c->members[i], link->ids[i], sizeof(c->members[i]));
		c->n_members = link->n_ids;
		if (c->kind == PROTO_THREAD_DIRECT) {
			memcpy(c->ever[0], link->ids[0], sizeof(c->ever[0]));
			memcpy(c->ever[1], link->ids[1], sizeof(c->ever[1]));
			c->n_ever = 2;
		}
		goto applied;
	}
	if (sodium_memcmp(link->prev, c->head, sizeof(c->head)) != 0 || link->op == PROTO_LINK_CREATE ||
	    link->kind != c->kind || link->n_ids != 1)
		return PROTO_E_CHAIN;
	target = link->ids[0];
	at = member_index(c, target);
	if (link->op == PROTO_LINK_ADD) {
		if (at >= 0 || c->n_members >= PROTO_IDS_MAX)
			return PROTO_E_CHAIN;
		if (c->kind == PROTO_THREAD_DIRECT) { /* one of its two people coming back, by themself */
			if (strcmp(actor, target) != 0 || (strcmp(target, c->ever[0]) != 0 && strcmp(target, c->ever[1]) != 0))
				return PROTO_E_CHAIN;
		} else if (member_index(c, actor) < 0) {
			return PROTO_E_CHAIN; /* only a member adds someone */
		}
		memcpy(c->members[c->n_members++], target, sizeof(c->members[0]));
		goto applied;
	}
	/* REMOVE: yourself (leaving), or anyone by the creator while a member */
	if (at < 0 || (strcmp(actor, target) != 0 && (strcmp(actor, c->creator) != 0 || member_index(c, actor) < 0)))
		return PROTO_E_CHAIN;
	for (i = (size_t)at; i + 1 < c->n_members; i++)
		memcpy(c->members[i], c->members[i + 1], sizeof(c->members[i]));
	c->n_members--;
applied:
	memcpy(c->head, link_hash, PROTO_HEAD_BYTES);
	c->length++;
	return PROTO_E_OK;
}
