/*
 * proto_log.c — what the transparency log's entries commit to (docs/transparency.md §2), computed the same
 * way by the server that appends them and the clients that look them up: an account's label, the keyed
 * commitment of an access-log line, and the hash of a grant event. Each canonical text is hashed as it is
 * written (BLAKE2b-256 from libsodium), so nothing is allocated and no length is capped but the fields'.
 */
#include "proto.h"

#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "banned.h" /* last: bans footguns in this file only */

#define LABEL_PREFIX "postern-log-user:"

/* field then "\n"; an absent (NULL or "") optional field is "-" */
static void field(crypto_generichash_state *st, const char *s, int optional)
{
	if (optional && (s == NULL || s[0] == '\0'))
		s = "-";
	crypto_generichash_update(st, (const unsigned char *)s, strlen(s));
	crypto_generichash_update(st, (const unsigned char *)"\n", 1);
}

static void number(crypto_generichash_state *st, int64_t v)
{
	char buf[24];
	snprintf(buf, sizeof(buf), "%" PRId64, v);
	field(st, buf, 0);
}

int proto_log_label(const char *user_id, unsigned char out[PROTO_MERKLE_HASH_BYTES])
{
	crypto_generichash_state st;
	if (user_id == NULL || out == NULL)
		return PROTO_E_INVALID_ARG;
	crypto_generichash_init(&st, NULL, 0, PROTO_MERKLE_HASH_BYTES);
	crypto_generichash_update(&st, (const unsigned char *)LABEL_PREFIX, sizeof(LABEL_PREFIX) - 1);
	crypto_generichash_update(&st, (const unsigned char *)user_id, strlen(user_id));
	crypto_generichash_final(&st, out, PROTO_MERKLE_HASH_BYTES);
	return PROTO_E_OK;
}

int proto_log_access_entry(const unsigned char key[PROTO_LOG_KEY_BYTES], int64_t seq, int64_t at_ms, const char *grant_id, const char *action,
			   const char *thread_id, const char *message_id, int64_t count, unsigned char out[PROTO_MERKLE_HASH_BYTES])
{
	crypto_generichash_state st;
	if (key == NULL || action == NULL || action[0] == '\0' || out == NULL || seq < 0)
		return PROTO_E_INVALID_ARG;
	crypto_generichash_init(&st, key, PROTO_LOG_KEY_BYTES, PROTO_MERKLE_HASH_BYTES);
	if (seq > 0) { /* a numbered line */
		field(&st, "postern-access-v2", 0);
		number(&st, seq);
	} else
		field(&st, "postern-access-v1", 0);
	number(&st, at_ms);
	field(&st, grant_id, 1);
	field(&st, action, 0);
	field(&st, thread_id, 1);
	field(&st, message_id, 1);
	number(&st, count);
	crypto_generichash_final(&st, out, PROTO_MERKLE_HASH_BYTES);
	sodium_memzero(&st, sizeof(st));
	return PROTO_E_OK;
}

int proto_log_grant_entry(int ended, const char *grant_id, const char *client_id, const char *scope, const char *details,
			  const char *expires_at, const char *at, unsigned char out[PROTO_MERKLE_HASH_BYTES])
{
	crypto_generichash_state st;
	if (grant_id == NULL || client_id == NULL || scope == NULL || details == NULL || expires_at == NULL || at == NULL || out == NULL)
		return PROTO_E_INVALID_ARG;
	crypto_generichash_init(&st, NULL, 0, PROTO_MERKLE_HASH_BYTES);
	field(&st, "postern-grant-v1", 0);
	field(&st, ended ? "ended" : "created", 0);
	field(&st, grant_id, 0);
	field(&st, client_id, 0);
	field(&st, scope, 0);
	field(&st, details, 0);
	field(&st, expires_at, 0);
	field(&st, at, 0);
	crypto_generichash_final(&st, out, PROTO_MERKLE_HASH_BYTES);
	return PROTO_E_OK;
}
