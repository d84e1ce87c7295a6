/*
 * witness.c — postern-witness, a transparency-log witness (docs/transparency.md §5): it follows a Postern
 * server's log, checks the log's signature on each new checkpoint and a consistency proof from the last one it
 * co-signed, and only then co-signs it (C2SP tlog-cosignature/v1) and hands the cosignature to the server.
 * It never co-signs two histories: a checkpoint that does not continue the one it saw is refused, loudly, and
 * its state is not moved. Built on the pure protocol module (src/proto/) with libcurl and jansson; it shares
 * nothing with posternd but the protocol.
 *
 *   postern-witness keygen NAME > KEYFILE       a new witness key (its verifier key on standard error)
 *   postern-witness run --log URL --log-key VERIFIER --key KEYFILE --state FILE [--once] [--interval S]
 *
 * Exit status: 0, 1 a failure (network, a key file), 2 usage, 3 the log is inconsistent (a fork or rewrite).
 */
#include "proto.h"

#include <curl/curl.h>
#include <errno.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "banned.h" /* last: bans footguns in this file only */

#define RESPONSE_MAX (1u << 20)

struct buf {
	char *data;
	size_t len;
};

static size_t collect(char *p, size_t size, size_t n, void *arg)
{
	struct buf *b = arg;
	size_t add = size * n;
	char *nd;
	if (b->len + add > RESPONSE_MAX || (nd = realloc(b->data, b->len + add + 1)) == NULL)
		return 0;
	memcpy(nd + b->len, p, add);
	b->len += add;
	nd[b->len] = '\0';
	b->data = nd;
	return add;
}

/* One HTTP exchange with the log; the JSON answer in *out (NULL for none). Returns the status, or -1. */
static long http(CURL *curl, const char *method, const char *url, const char *body, json_t **out)
{
	struct buf b = {NULL, 0};
	struct curl_slist *h = NULL;
	long status = -1;
	json_error_t jerr;
	*out = NULL;
	curl_easy_reset(curl);
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT, 30L);
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
	if (body) {
		h = curl_slist_append(h, "Content-Type: application/json");
		curl_easy_setopt(curl, CURLOPT_HTTPHEADER, h);
		curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
	}
	if (curl_easy_perform(curl) == CURLE_OK)
		curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
	if (b.data)
		*out = json_loadb(b.data, b.len, 0, &jerr);
	curl_slist_free_all(h);
	free(b.data);
	return status;
}

static int keygen(const char *name)
{
	struct proto_note_key k;
	char text[512];
	if (proto_note_key_new(name, 1, &k) != PROTO_E_OK || proto_note_signer_format(&k, text, sizeof(text)) != PROTO_E_OK) {
		fprintf(stderr, "postern-witness: '%s' cannot name a key\n", name);
		return 2;
	}
	printf("%s\n", text);
	sodium_memzero(text, sizeof(text));
	if (proto_note_verifier_format(&k, text, sizeof(text)) != PROTO_E_OK)
		return 1;
	fprintf(stderr, "%s\n", text);
	sodium_memzero(&k, sizeof(k));
	return 0;
}

static int read_line_file(const char *path, char *out, size_t cap)
{
	FILE *f = fopen(path, "r");
	int ok;
	if (f == NULL)
		return -1;
	ok = fgets(out, (int)cap, f) != NULL;
	fclose(f);
	out[strcspn(out, "\r\n")] = '\0';
	return ok ? 0 : -1;
}

/* The witness's memory: the size and root it last co-signed ("size root-base64"). */
static int state_read(const char *path, uint64_t *size, unsigned char root[PROTO_MERKLE_HASH_BYTES])
{
	char line[256], *sp;
	size_t n = 0;
	if (read_line_file(path, line, sizeof(line)) != 0)
		return 0; /* no state: the first checkpoint is taken as it is */
	if ((sp = strchr(line, ' ')) == NULL)
		return -1;
	*sp = '\0';
	*size = strtoull(line, NULL, 10);
	return sodium_base642bin(root, PROTO_MERKLE_HASH_BYTES, sp + 1, strlen(sp + 1), NULL, &n, NULL, sodium_base64_VARIANT_ORIGINAL) == 0 &&
			       n == PROTO_MERKLE_HASH_BYTES
		       ? 1
		       : -1;
}

static int state_write(const char *path, uint64_t size, const unsigned char root[PROTO_MERKLE_HASH_BYTES])
{
	char tmp[4096], r[64];
	FILE *f;
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	sodium_bin2base64(r, sizeof(r), root, PROTO_MERKLE_HASH_BYTES, sodium_base64_VARIANT_ORIGINAL);
	if ((f = fopen(tmp, "w")) == NULL)
		return -1;
	fprintf(f, "%llu %s\n", (unsigned long long)size, r);
	if (fflush(f) != 0 || fsync(fileno(f)) != 0) {
		fclose(f);
		return -1;
	}
	fclose(f);
	return rename(tmp, path);
}

/* One round: fetch, check, co-sign, post. Returns 0 (done or nothing new), 1 a failure, 3 an inconsistent log. */
static int round_once(CURL *curl, const char *log, const struct proto_note_key *log_key, const struct proto_note_key *me, const char *state_path)
{
	char url[1024], *note_out = NULL, *line = NULL, *body_text = NULL;
	json_t *ans = NULL, *proof_ans = NULL, *x;
	struct proto_checkpoint cp;
	unsigned char old_root[PROTO_MERKLE_HASH_BYTES], proof[PROTO_MERKLE_PROOF_MAX][PROTO_MERKLE_HASH_BYTES];
	uint64_t old_size = 0;
	size_t body_len = 0, n = 0, i;
	int verified[1] = {0}, have, rc = 1;
	uint64_t ts[1];
	const char *note;

	snprintf(url, sizeof(url), "%s/v1/log/checkpoint", log);
	if (http(curl, "GET", url, NULL, &ans) != 200 || (note = json_string_value(json_object_get(ans, "checkpoint"))) == NULL) {
		fprintf(stderr, "postern-witness: no checkpoint from %s\n", log);
		goto out;
	}
	if (proto_note_open(note, strlen(note), log_key, 1, &body_len, verified, ts) != PROTO_E_OK || !verified[0] ||
	    proto_checkpoint_parse(note, body_len, &cp) != PROTO_E_OK || strcmp(cp.origin, log_key->name) != 0) {
		fprintf(stderr, "postern-witness: the checkpoint is not signed by the log's key\n");
		goto out;
	}
	if ((have = state_read(state_path, &old_size, old_root)) < 0) {
		fprintf(stderr, "postern-witness: %s is damaged\n", state_path);
		goto out;
	}
	if (have && cp.size < old_size) {
		fprintf(stderr, "postern-witness: INCONSISTENT: the log shrank from %llu to %llu entries\n", (unsigned long long)old_size,
			(unsigned long long)cp.size);
		rc = 3;
		goto out;
	}
	if (have && old_size > 0) {
		snprintf(url, sizeof(url), "%s/v1/log/proof/consistency?first=%llu&second=%llu", log, (unsigned long long)old_size,
			 (unsigned long long)cp.size);
		if (http(curl, "GET", url, NULL, &proof_ans) != 200)
			goto out;
		json_array_foreach(json_object_get(proof_ans, "proof"), i, x) {
			const char *t = json_string_value(x);
			size_t got = 0;
			unsigned char h[PROTO_MERKLE_HASH_BYTES];
			if (n < PROTO_MERKLE_PROOF_MAX && t &&
			    sodium_base642bin(h, sizeof(h), t, strlen(t), NULL, &got, NULL, sodium_base64_VARIANT_URLSAFE_NO_PADDING) == 0 &&
			    got == sizeof(h))
				memcpy(proof[n++], h, sizeof(h));
		}
		if (n != json_array_size(json_object_get(proof_ans, "proof")) ||
		    proto_merkle_verify_consistency(old_size, cp.size, old_root, cp.root, (const unsigned char(*)[PROTO_MERKLE_HASH_BYTES])proof, n) != PROTO_E_OK) {
			fprintf(stderr, "postern-witness: INCONSISTENT: the checkpoint of %llu entries does not continue the one of %llu it co-signed\n",
				(unsigned long long)cp.size, (unsigned long long)old_size);
			rc = 3;
			goto out;
		}
	}
	/* consistent: co-sign the body, remember it, hand the cosignature to the log */
	if ((body_text = malloc(body_len + 1)) == NULL || (note_out = malloc(PROTO_NOTE_MAX)) == NULL)
		goto out;
	memcpy(body_text, note, body_len);
	body_text[body_len] = '\0';
	if (proto_note_sign(body_text, me, (uint64_t)time(NULL), note_out, PROTO_NOTE_MAX) != PROTO_E_OK) {
		fprintf(stderr, "postern-witness: cannot co-sign\n");
		goto out;
	}
	if (state_write(state_path, cp.size, cp.root) != 0) {
		fprintf(stderr, "postern-witness: cannot write %s: %s\n", state_path, strerror(errno));
		goto out;
	}
	/* the cosignature is the last line of what proto_note_sign built */
	{
		char *end = note_out + strlen(note_out) - 1, *start;
		*end = '\0';
		start = strrchr(note_out, '\n');
		json_t *post = json_pack("{s:I,s:s}", "size", (json_int_t)cp.size, "cosignature", start ? start + 1 : note_out);
		line = post ? json_dumps(post, JSON_COMPACT) : NULL;
		json_decref(post);
	}
	json_decref(ans);
	ans = NULL;
	snprintf(url, sizeof(url), "%s/v1/log/cosignatures", log);
	if (line == NULL || http(curl, "POST", url, line, &ans) != 204) {
		const char *why = json_string_value(json_object_get(json_object_get(ans, "error"), "message"));
		fprintf(stderr, "postern-witness: the log did not take the cosignature of size %llu: %s\n", (unsigned long long)cp.size,
			why ? why : "no answer");
		goto out;
	}
	printf("co-signed %s at %llu entries\n", cp.origin, (unsigned long long)cp.size);
	fflush(stdout);
	rc = 0;
out:
	free(line);
	free(note_out);
	free(body_text);
	json_decref(ans);
	json_decref(proof_ans);
	return rc;
}

int main(int argc, char **argv)
{
	const char *log = NULL, *log_key_text = NULL, *key_path = NULL, *state = NULL;
	struct proto_note_key log_key, me;
	char text[512];
	long interval = 10;
	int once = 0, i, rc = 0;
	CURL *curl;

	if (sodium_init() < 0 || curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return 1;
	if (argc == 3 && strcmp(argv[1], "keygen") == 0)
		return keygen(argv[2]);
	for (i = 2; argc > 1 && strcmp(argv[1], "run") == 0 && i < argc; i++) {
		if (strcmp(argv[i], "--once") == 0)
			once = 1;
		else if (i + 1 < argc && strcmp(argv[i], "--log") == 0)
			log = argv[++i];
		else if (i + 1 < argc && strcmp(argv[i], "--log-key") == 0)
			log_key_text = argv[++i];
		else if (i + 1 < argc && strcmp(argv[i], "--key") == 0)
			key_path = argv[++i];
		else if (i + 1 < argc && strcmp(argv[i], "--state") == 0)
			state = argv[++i];
		else if (i + 1 < argc && strcmp(argv[i], "--interval") == 0)
			interval = strtol(argv[++i], NULL, 10);
		else
			break;
	}
	if (argc < 2 || strcmp(argv[1], "run") != 0 || i < argc || !log || !log_key_text || !key_path || !state || interval < 1) {
		fprintf(stderr, "usage: postern-witness keygen NAME > KEYFILE\n"
				"       postern-witness run --log URL --log-key VERIFIER --key KEYFILE --state FILE [--once] [--interval S]\n");
		return 2;
	}
	if (proto_note_verifier_parse(log_key_text, &log_key) != PROTO_E_OK) {
		fprintf(stderr, "postern-witness: --log-key is not a verifier key\n");
		return 2;
	}
	if (read_line_file(key_path, text, sizeof(text)) != 0 || proto_note_signer_parse(text, &me) != PROTO_E_OK) {
		fprintf(stderr, "postern-witness: %s is not a witness key (make one with: postern-witness keygen NAME)\n", key_path);
		return 1;
	}
	sodium_memzero(text, sizeof(text));
	me.is_cosigner = 1;
	if ((curl = curl_easy_init()) == NULL)
		return 1;
	for (;;) {
		rc = round_once(curl, log, &log_key, &me, state);
		if (once || rc == 3)
			break;
		sleep((unsigned)interval);
	}
	curl_easy_cleanup(curl);
	sodium_memzero(&me, sizeof(me));
	return rc;
}
