/*
 * proto_peer.c — the C side of the JavaScript protocol module's round-trip tests (tests/web/roundtrip.test.js):
 * each command runs one call of the protocol module (src/proto/proto.h) on hex arguments and prints one JSON
 * object of hex or text fields, so a test can make a structure in C and open it in JS, and the reverse.
 * Sessions travel as their stored form (docs/protocol.md §8), which both implementations read and write.
 * Test-only; device keys are given as their two 32-byte seeds.
 *
 *   outbound-new THREAD DEVICE NOW_MS                  {"state"}: a random outbound session
 *   encrypt OUT_STATE SIGN_SEED BOX_SEED PLAINTEXT     {"envelope","state"}
 *   decrypt IN_STATE THREAD SENDER ENVELOPE            {"plaintext","state","head","index"}
 *   inbound-from-outbound OUT_STATE SIGN_PK            {"state"}
 *   seal OUT_STATE SIGN_SEED BOX_SEED RECIPIENT BOX_PK SPK_ID SPK OPK_ID OPK|-      {"container"}
 *   open CONTAINER SIGN_SEED BOX_SEED SPK_SK OPK_SK|- MY_DEVICE SENDER SENDER_PK THREAD|-   {"state","head"}
 *   verify STATEMENT TYPE PK                           {"type","signed_len","hash"}
 *   chain LINK...                                      {"thread_id","head","members"} (links parsed, not verified)
 *   safety USER_A PK_A USER_B PK_B                     {"text"}
 *   fingerprint SIGN_PK BOX_PK                         {"text"}
 *   repair PLAINTEXT                                   {"text"}: hex of the text libpostern keeps (utf8_repair)
 *
 * Exit status 0 with the result; 1 with {"error":"NAME"} (the PROTO_ERROR_MAP name) when the protocol
 * refuses; 2 on bad usage.
 */
#include "proto.h"
#include "proto_internal.h"
#include "utf8.h"

#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "banned.h" /* last: bans footguns in this file only */

static const char *const error_names[] = {
#define PEER_ERR_NAME(name, msg) #name,
	PROTO_ERROR_MAP(PEER_ERR_NAME)
#undef PEER_ERR_NAME
};

static int usage(void)
{
	fprintf(stderr, "usage: proto_peer outbound-new|encrypt|decrypt|inbound-from-outbound|seal|open|verify|chain|safety|fingerprint ...\n");
	return 2;
}

/* Print {"error":"NAME"} and return 1. */
static int refused(int rc)
{
	printf("{\"error\":\"%s\"}\n", rc >= 0 && rc < PROTO_E__COUNT ? error_names[rc] : "UNKNOWN");
	return 1;
}

/* Decode hex into at most cap bytes; returns the length, or -1. "-" is the empty string. */
static long unhex(const char *text, unsigned char *out, size_t cap)
{
	size_t n = 0;
	const char *end = NULL;
	if (strcmp(text, "-") == 0)
		return 0;
	if (sodium_hex2bin(out, cap, text, strlen(text), NULL, &n, &end) != 0 || *end != '\0')
		return -1;
	return (long)n;
}

static int unhex_exact(const char *text, unsigned char *out, size_t want)
{
	return unhex(text, out, want) == (long)want ? 0 : -1;
}

/* Print "name":"<hex>" (comma first unless first). */
static void field_hex(const char *name, const unsigned char *b, size_t n, int first)
{
	char *h = malloc(n * 2 + 1);
	if (h == NULL)
		abort();
	sodium_bin2hex(h, n * 2 + 1, b, n);
	printf("%s\"%s\":\"%s\"", first ? "" : ",", name, h);
	free(h);
}

static int keys_from(const char *sign_seed_hex, const char *box_seed_hex, struct proto_device_keys *k)
{
	unsigned char s1[32], s2[32];
	if (unhex_exact(sign_seed_hex, s1, 32) != 0 || unhex_exact(box_seed_hex, s2, 32) != 0)
		return -1;
	return pst__proto_device_keys_from_seeds(k, s1, s2) == PROTO_E_OK ? 0 : -1;
}

static int load_outbound(const char *hex, struct proto_outbound *s)
{
	unsigned char b[PROTO_OUTBOUND_STATE_MAX];
	long n = unhex(hex, b, sizeof(b));
	return n < 0 ? PROTO_E_MALFORMED : proto_outbound_load(s, b, (size_t)n);
}

static int print_outbound(const char *name, const struct proto_outbound *s, int first)
{
	unsigned char b[PROTO_OUTBOUND_STATE_MAX];
	size_t n = 0;
	int rc = proto_outbound_save(s, b, sizeof(b), &n);
	if (rc == PROTO_E_OK)
		field_hex(name, b, n, first);
	return rc;
}

static int print_inbound(const char *name, const struct proto_inbound *in, int first)
{
	static unsigned char b[PROTO_INBOUND_STATE_MAX];
	size_t n = 0;
	int rc = proto_inbound_save(in, b, sizeof(b), &n);
	if (rc == PROTO_E_OK)
		field_hex(name, b, n, first);
	return rc;
}

static int cmd_outbound_new(char **a)
{
	struct proto_outbound s;
	unsigned char h[PROTO_HASH_BYTES] = {0};
	int rc = proto_outbound_new(&s, a[0], a[1], h, strtoll(a[2], NULL, 10));
	if (rc != PROTO_E_OK)
		return refused(rc);
	printf("{");
	print_outbound("state", &s, 1);
	printf("}\n");
	return 0;
}

static int cmd_encrypt(char **a)
{
	static unsigned char pt[PROTO_PLAINTEXT_MAX + 1], env[PROTO_ENVELOPE_MAX];
	struct proto_outbound s;
	struct proto_device_keys k;
	size_t n = 0;
	long plen;
	int rc;

	if (keys_from(a[1], a[2], &k) != 0 || (plen = unhex(a[3], pt, sizeof(pt))) < 0)
		return usage();
	if ((rc = load_outbound(a[0], &s)) != PROTO_E_OK || (rc = proto_encrypt(&s, k.sign_sk, pt, (size_t)plen, env, sizeof(env), &n)) != PROTO_E_OK)
		return refused(rc);
	printf("{");
	field_hex("envelope", env, n, 1);
	print_outbound("state", &s, 0);
	printf("}\n");
	return 0;
}

static int cmd_decrypt(char **a)
{
	static unsigned char st[PROTO_INBOUND_STATE_MAX], env[PROTO_ENVELOPE_MAX + 1], pt[PROTO_PLAINTEXT_MAX];
	static struct proto_inbound in;
	struct proto_envelope info;
	size_t n = 0;
	long slen = unhex(a[0], st, sizeof(st)), elen = unhex(a[3], env, sizeof(env));
	int rc;

	if (slen < 0 || elen < 0)
		return usage();
	if ((rc = proto_inbound_load(&in, st, (size_t)slen)) != PROTO_E_OK ||
	    (rc = proto_decrypt(&in, 1, a[1], a[2], env, (size_t)elen, pt, sizeof(pt), &n, NULL, &info)) != PROTO_E_OK)
		return refused(rc);
	printf("{");
	field_hex("plaintext", pt, n, 1);
	print_inbound("state", &in, 0);
	field_hex("head", info.head, sizeof(info.head), 0);
	printf(",\"index\":%u}\n", (unsigned)info.index);
	return 0;
}

static int cmd_inbound_from_outbound(char **a)
{
	static struct proto_inbound in;
	struct proto_outbound s;
	unsigned char pk[32];
	int rc;

	if (unhex_exact(a[1], pk, 32) != 0)
		return usage();
	if ((rc = load_outbound(a[0], &s)) != PROTO_E_OK || (rc = proto_inbound_from_outbound(&in, &s, pk)) != PROTO_E_OK)
		return refused(rc);
	printf("{");
	print_inbound("state", &in, 1);
	printf("}\n");
	return 0;
}

static int cmd_seal(char **a)
{
	unsigned char box_pk[32], spk[32], opk[32], out[PROTO_HANDOVER_SEALED_MAX];
	struct proto_outbound s;
	struct proto_device_keys k;
	uint32_t opk_id = (uint32_t)strtoul(a[7], NULL, 10);
	size_t n = 0;
	int rc;

	if (keys_from(a[1], a[2], &k) != 0 || unhex_exact(a[4], box_pk, 32) != 0 || unhex_exact(a[6], spk, 32) != 0 ||
	    (opk_id != 0 && unhex_exact(a[8], opk, 32) != 0))
		return usage();
	if ((rc = load_outbound(a[0], &s)) != PROTO_E_OK ||
	    (rc = proto_handover_seal(&s, k.sign_sk, a[3], box_pk, (uint32_t)strtoul(a[5], NULL, 10), spk, opk_id,
				      opk_id ? opk : NULL, out, sizeof(out), &n)) != PROTO_E_OK)
		return refused(rc);
	printf("{");
	field_hex("container", out, n, 1);
	printf("}\n");
	return 0;
}

static int cmd_open(char **a)
{
	static struct proto_inbound in;
	unsigned char c[PROTO_HANDOVER_SEALED_MAX + 1], spk_sk[32], opk_sk[32], pk[32], head[PROTO_HEAD_BYTES];
	struct proto_device_keys k;
	long clen = unhex(a[0], c, sizeof(c));
	int with_opk = strcmp(a[4], "-") != 0, rc;

	if (clen < 0 || keys_from(a[1], a[2], &k) != 0 || unhex_exact(a[3], spk_sk, 32) != 0 ||
	    (with_opk && unhex_exact(a[4], opk_sk, 32) != 0) || unhex_exact(a[7], pk, 32) != 0)
		return usage();
	if ((rc = proto_handover_open(c, (size_t)clen, &k, spk_sk, with_opk ? opk_sk : NULL, a[5], a[6], pk,
				      strcmp(a[8], "-") == 0 ? NULL : a[8], &in, head)) != PROTO_E_OK)
		return refused(rc);
	printf("{");
	print_inbound("state", &in, 1);
	field_hex("head", head, sizeof(head), 0);
	printf("}\n");
	return 0;
}

static int cmd_verify(char **a)
{
	static unsigned char b[PROTO_STATEMENT_MAX + 1];
	static struct proto_statement st;
	unsigned char pk[32], h[PROTO_HEAD_BYTES];
	long n = unhex(a[0], b, sizeof(b));
	int rc;

	if (n < 0 || unhex_exact(a[2], pk, 32) != 0)
		return usage();
	if ((rc = proto_statement_verify(b, (size_t)n, (unsigned)strtoul(a[1], NULL, 10), pk, &st)) != PROTO_E_OK)
		return refused(rc);
	proto_statement_hash(b, (size_t)n, h);
	printf("{\"type\":%u,\"signed_len\":%zu", st.type, st.signed_len);
	field_hex("hash", h, sizeof(h), 0);
	printf("}\n");
	return 0;
}

static int cmd_chain(int argc, char **a)
{
	static unsigned char b[PROTO_STATEMENT_MAX + 1];
	static struct proto_statement st;
	static struct proto_chain c;
	unsigned char h[PROTO_HEAD_BYTES];
	size_t i;
	int k, rc;

	proto_chain_init(&c);
	for (k = 0; k < argc; k++) {
		long n = unhex(a[k], b, sizeof(b));
		if (n < 0)
			return usage();
		if ((rc = proto_statement_parse(b, (size_t)n, PROTO_ST_LINK, &st)) != PROTO_E_OK)
			return refused(rc);
		proto_statement_hash(b, (size_t)n, h);
		if ((rc = proto_chain_apply(&c, &st, h)) != PROTO_E_OK)
			return refused(rc);
	}
	printf("{\"thread_id\":\"%s\"", c.thread_id);
	field_hex("head", c.head, sizeof(c.head), 0);
	printf(",\"members\":[");
	for (i = 0; i < c.n_members; i++)
		printf("%s\"%s\"", i ? "," : "", c.members[i]);
	printf("]}\n");
	return 0;
}

static int cmd_safety(char **a)
{
	unsigned char pa[32], pb[32];
	char out[PROTO_SAFETY_LEN];
	int rc;
	if (unhex_exact(a[1], pa, 32) != 0 || unhex_exact(a[3], pb, 32) != 0)
		return usage();
	if ((rc = proto_safety_number(a[0], pa, a[2], pb, out, sizeof(out))) != PROTO_E_OK)
		return refused(rc);
	printf("{\"text\":\"%s\"}\n", out);
	return 0;
}

static int cmd_fingerprint(char **a)
{
	unsigned char s[32], b[32];
	char out[PROTO_FINGERPRINT_LEN];
	int rc;
	if (unhex_exact(a[0], s, 32) != 0 || unhex_exact(a[1], b, 32) != 0)
		return usage();
	if ((rc = proto_device_fingerprint(s, b, out, sizeof(out))) != PROTO_E_OK)
		return refused(rc);
	printf("{\"text\":\"%s\"}\n", out);
	return 0;
}

static int cmd_repair(char **a)
{
	static unsigned char pt[PROTO_PLAINTEXT_MAX];
	long n = unhex(a[0], pt, sizeof(pt));
	char *text;
	if (n < 0)
		return usage();
	if ((text = utf8_repair((const char *)pt, (size_t)n)) == NULL)
		return refused(PROTO_E_CRYPTO);
	printf("{");
	field_hex("text", (const unsigned char *)text, strlen(text), 1);
	printf("}\n");
	free(text);
	return 0;
}

/* name, exact argument count (-1: one or more), handler */
static const struct {
	const char *name;
	int argc;
	int (*fn)(char **);
} commands[] = {
	{"outbound-new", 3, cmd_outbound_new},
	{"encrypt", 4, cmd_encrypt},
	{"decrypt", 4, cmd_decrypt},
	{"inbound-from-outbound", 2, cmd_inbound_from_outbound},
	{"seal", 9, cmd_seal},
	{"open", 9, cmd_open},
	{"verify", 3, cmd_verify},
	{"safety", 4, cmd_safety},
	{"fingerprint", 2, cmd_fingerprint},
	{"repair", 1, cmd_repair},
};

int main(int argc, char **argv)
{
	size_t i;

	if (proto_init() != PROTO_E_OK || argc < 2)
		return usage();
	if (strcmp(argv[1], "chain") == 0 && argc > 2)
		return cmd_chain(argc - 2, argv + 2);
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return argc - 2 == commands[i].argc ? commands[i].fn(argv + 2) : usage();
	return usage();
}
