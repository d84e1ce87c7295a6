/*
 * stmt.c — makes the signed statements of protocol version 2 from command-line arguments, with the protocol
 * module's own functions (src/proto/proto.h), so the black-box tests (t24_identity_api.py) can upload valid
 * ones — and, by changing one argument, invalid ones. Test-only; every value is base64url without padding.
 *
 *   stmt keygen                                  {"seed","pk","sk"}: a fresh identity (Ed25519) key pair
 *   stmt sign SK TYPE [FIELD=VALUE ...]           the statement TYPE signed with the 64-byte secret key SK
 *        TYPE: identity cert revoke prekey contact link app_auth app_revoke app_consent
 *        FIELD: user_id username device_id thread_id client_id grant_id actor_user_id actor_device_id
 *               (text); key key2 prev nonce (base64url); op kind key_id at expires (numbers);
 *               ids (comma-separated). `at` defaults to now, a link's `nonce` to random bytes.
 *   stmt hash STATEMENT                           its hash (a link's, the next link's prev)
 *   stmt thread-id STATEMENT                      the thread id a CREATE link makes
 *   stmt code USER_ID DEVICE_ID SIGN_PK BOX_PK    the approval code a new device shows
 *   stmt backup SEED USER_ID                      an identity backup (random recovery key, cheapest argon2id)
 *   stmt box SEED DEVICE_ID BOX_PK                the identity seed sealed to that device
 *
 * Exit status 0 with the result on stdout, 2 on bad usage or a refused argument.
 */
#include "b64url.h"
#include "proto.h"

#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "banned.h" /* last: bans footguns in this file only */

static int usage(void)
{
	fprintf(stderr, "usage: stmt keygen | sign SK TYPE [FIELD=VALUE ...] | hash STMT | thread-id STMT | "
			"code USER DEVICE SIGN_PK BOX_PK | backup SEED USER | box SEED DEVICE BOX_PK\n");
	return 2;
}

static int print_b64(const unsigned char *b, size_t n)
{
	size_t cap = b64url_encoded_len(n) + 1;
	char *text = malloc(cap);
	if (text == NULL || b64url_encode(b, n, text, cap) != 0) {
		free(text);
		return 2;
	}
	printf("%s\n", text);
	free(text);
	return 0;
}

/* Decode base64url text into exactly want bytes. */
static int unb64(const char *text, unsigned char *out, size_t want)
{
	return b64url_decode_exact(text, strlen(text), out, want);
}

static int copy_id(char *dst, const char *v)
{
	if (strlen(v) > PROTO_ID_MAX)
		return -1;
	memcpy(dst, v, strlen(v) + 1);
	return 0;
}

static int parse_u64(const char *v, uint64_t *out)
{
	char *end = NULL;
	unsigned long long x = strtoull(v, &end, 10);
	if (*v == '\0' || *end != '\0')
		return -1;
	*out = (uint64_t)x;
	return 0;
}

static const struct {
	const char *name;
	unsigned type;
} types[] = {
	{"identity", PROTO_ST_IDENTITY}, {"cert", PROTO_ST_DEVICE_CERT}, {"revoke", PROTO_ST_DEVICE_REVOKE},
	{"prekey", PROTO_ST_PREKEY}, {"contact", PROTO_ST_CONTACT}, {"link", PROTO_ST_LINK},
	{"app_auth", PROTO_ST_APP_AUTH}, {"app_revoke", PROTO_ST_APP_REVOKE}, {"app_consent", PROTO_ST_APP_CONSENT},
};

/* Set one FIELD=VALUE of st; -1 when the field is unknown or the value does not fit. */
static int set_field(struct proto_statement *st, const char *arg)
{
	static const struct {
		const char *name;
		size_t off;
	} ids[] = {
		{"user_id", offsetof(struct proto_statement, user_id)}, {"username", offsetof(struct proto_statement, username)},
		{"device_id", offsetof(struct proto_statement, device_id)}, {"thread_id", offsetof(struct proto_statement, thread_id)},
		{"client_id", offsetof(struct proto_statement, client_id)}, {"grant_id", offsetof(struct proto_statement, grant_id)},
		{"actor_user_id", offsetof(struct proto_statement, actor_user_id)},
		{"actor_device_id", offsetof(struct proto_statement, actor_device_id)},
	};
	const char *eq = strchr(arg, '='), *v;
	size_t nlen, i;
	uint64_t x = 0;

	if (eq == NULL)
		return -1;
	nlen = (size_t)(eq - arg);
	v = eq + 1;
#define IS(name) (nlen == strlen(name) && memcmp(arg, name, nlen) == 0)
	for (i = 0; i < sizeof(ids) / sizeof(ids[0]); i++)
		if (IS(ids[i].name))
			return copy_id((char *)st + ids[i].off, v);
	if (IS("key"))
		return unb64(v, st->key, 32);
	if (IS("key2"))
		return unb64(v, st->key2, 32);
	if (IS("prev"))
		return unb64(v, st->prev, PROTO_HEAD_BYTES);
	if (IS("nonce"))
		return unb64(v, st->nonce, PROTO_LINK_NONCE_BYTES);
	if (IS("ids")) {
		const char *p = v;
		st->n_ids = 0;
		while (*v && *p) {
			const char *comma = strchr(p, ',');
			size_t len = comma ? (size_t)(comma - p) : strlen(p);
			if (st->n_ids >= PROTO_IDS_MAX || len == 0 || len > PROTO_ID_MAX)
				return -1;
			memcpy(st->ids[st->n_ids], p, len);
			st->ids[st->n_ids][len] = '\0';
			st->n_ids++;
			p = comma ? comma + 1 : p + len;
		}
		return 0;
	}
	if (parse_u64(v, &x) != 0)
		return -1;
	if (IS("op"))
		st->op = (unsigned)x;
	else if (IS("kind"))
		st->kind = (unsigned)x;
	else if (IS("key_id"))
		st->key_id = (uint32_t)x;
	else if (IS("at"))
		st->at_ms = x;
	else if (IS("expires"))
		st->expires_ms = x;
	else
		return -1;
#undef IS
	return 0;
}

static int cmd_sign(int argc, char **argv)
{
	struct proto_statement *st = calloc(1, sizeof(*st));
	unsigned char sk[PROTO_SIGN_SK_BYTES], out[PROTO_STATEMENT_MAX];
	size_t n = 0, i;
	int a, rc = 2;

	if (st == NULL || argc < 4 || unb64(argv[2], sk, sizeof(sk)) != 0)
		goto out;
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strcmp(types[i].name, argv[3]) == 0)
			st->type = types[i].type;
	if (st->type == 0)
		goto out;
	st->at_ms = (uint64_t)time(NULL) * 1000;
	randombytes_buf(st->nonce, sizeof(st->nonce));
	for (a = 4; a < argc; a++)
		if (set_field(st, argv[a]) != 0) {
			fprintf(stderr, "stmt: bad field '%s'\n", argv[a]);
			goto out;
		}
	if (proto_statement_sign(st, sk, out, sizeof(out), &n) != PROTO_E_OK) {
		fprintf(stderr, "stmt: the protocol refuses that statement\n");
		goto out;
	}
	rc = print_b64(out, n);
out:
	sodium_memzero(sk, sizeof(sk));
	free(st);
	return rc;
}

/* Decode a base64url statement argument into buf; its length, or 0 on bad text. */
static size_t statement_arg(const char *text, unsigned char *buf, size_t cap)
{
	size_t n = 0;
	return b64url_decode(text, strlen(text), buf, cap, &n) == 0 ? n : 0;
}

int main(int argc, char **argv)
{
	static unsigned char buf[PROTO_STATEMENT_MAX];
	unsigned char h[PROTO_HEAD_BYTES], spk[32], bpk[32], seed[PROTO_SEED_BYTES], secret[PROTO_RECOVERY_BYTES];
	struct proto_identity id;
	char text[PROTO_ID_MAX + 1];
	size_t n = 0;

	if (argc < 2 || proto_init() != PROTO_E_OK)
		return usage();
	if (strcmp(argv[1], "keygen") == 0 && argc == 2) {
		char seed_t[64], pk_t[64], sk_t[128];
		if (proto_identity_keygen(&id) != PROTO_E_OK)
			return 2;
		b64url_encode(id.seed, sizeof(id.seed), seed_t, sizeof(seed_t));
		b64url_encode(id.pk, sizeof(id.pk), pk_t, sizeof(pk_t));
		b64url_encode(id.sk, sizeof(id.sk), sk_t, sizeof(sk_t));
		printf("{\"seed\":\"%s\",\"pk\":\"%s\",\"sk\":\"%s\"}\n", seed_t, pk_t, sk_t);
		return 0;
	}
	if (strcmp(argv[1], "sign") == 0)
		return cmd_sign(argc, argv);
	if ((strcmp(argv[1], "hash") == 0 || strcmp(argv[1], "thread-id") == 0) && argc == 3) {
		if ((n = statement_arg(argv[2], buf, sizeof(buf))) == 0 || proto_statement_hash(buf, n, h) != PROTO_E_OK)
			return 2;
		if (argv[1][0] == 'h')
			return print_b64(h, sizeof(h));
		if (proto_link_thread_id(h, text, sizeof(text)) != PROTO_E_OK)
			return 2;
		printf("%s\n", text);
		return 0;
	}
	if (strcmp(argv[1], "code") == 0 && argc == 6) {
		char code[PROTO_CODE_LEN];
		if (unb64(argv[4], spk, 32) != 0 || unb64(argv[5], bpk, 32) != 0 ||
		    proto_approval_code(argv[2], argv[3], spk, bpk, code, sizeof(code)) != PROTO_E_OK)
			return 2;
		printf("%s\n", code);
		return 0;
	}
	if (strcmp(argv[1], "backup") == 0 && argc == 4) {
		if (unb64(argv[2], seed, sizeof(seed)) != 0 || proto_identity_from_seed(&id, seed) != PROTO_E_OK ||
		    proto_recovery_new(secret) != PROTO_E_OK ||
		    proto_backup_seal(&id, argv[3], secret, crypto_pwhash_OPSLIMIT_MIN, crypto_pwhash_MEMLIMIT_MIN, buf, PROTO_BACKUP_MAX,
				      &n) != PROTO_E_OK)
			return 2;
		return print_b64(buf, n);
	}
	if (strcmp(argv[1], "box") == 0 && argc == 5) {
		if (unb64(argv[2], seed, sizeof(seed)) != 0 || unb64(argv[4], bpk, 32) != 0 ||
		    proto_identity_from_seed(&id, seed) != PROTO_E_OK ||
		    proto_identity_box_seal(&id, argv[3], bpk, buf, PROTO_IDENTITY_BOX_MAX, &n) != PROTO_E_OK)
			return 2;
		return print_b64(buf, n);
	}
	return usage();
}
