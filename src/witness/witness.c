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
 *   postern-witness serve --log-key VERIFIER --key KEYFILE --state FILE [--listen ADDR] [--port N]
 *
 * `run` pulls from a Postern server; `serve` answers c2sp.org/tlog-witness add-checkpoint requests (serve.c).
 * Both decide through witness_add_checkpoint (core.c), on the same state file.
 *
 * Exit status: 0, 1 a failure (network, a key file), 2 usage, 3 the log is inconsistent (a fork or rewrite).
 */
#include "witness.h"

#include "b64url.h"

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

/* One round: fetch, check, co-sign, post. Returns 0 (done or nothing new), 1 a failure, 3 an inconsistent log. */
static int round_once(CURL *curl, const char *log, const struct witness *w)
{
	char url[1024], cosig[1024], why[512], *line = NULL;
	json_t *ans = NULL, *proof_ans = NULL, *x;
	struct proto_checkpoint cp;
	unsigned char old_root[PROTO_MERKLE_HASH_BYTES], proof[PROTO_MERKLE_PROOF_MAX][PROTO_MERKLE_HASH_BYTES];
	uint64_t old_size = 0, held = 0;
	size_t body_len = 0, n = 0, i;
	int verified[1] = {0}, have, status, rc = 1;
	const char *note;

	snprintf(url, sizeof(url), "%s/v1/log/checkpoint", log);
	if (http(curl, "GET", url, NULL, &ans) != 200 || (note = json_string_value(json_object_get(ans, "checkpoint"))) == NULL) {
		fprintf(stderr, "postern-witness: no checkpoint from %s\n", log);
		goto out;
	}
	if (proto_note_open(note, strlen(note), &w->log_key, 1, &body_len, verified, NULL) != PROTO_E_OK || !verified[0] ||
	    proto_checkpoint_parse(note, body_len, &cp) != PROTO_E_OK || strcmp(cp.origin, w->log_key.name) != 0) {
		fprintf(stderr, "postern-witness: the checkpoint is not signed by the log's key\n");
		goto out;
	}
	if ((have = witness_state_read(w, &old_size, old_root)) < 0) {
		fprintf(stderr, "postern-witness: %s is damaged\n", w->state_path);
		goto out;
	}
	if (have && cp.size < old_size) {
		fprintf(stderr, "postern-witness: INCONSISTENT: the log shrank from %llu to %llu entries\n", (unsigned long long)old_size,
			(unsigned long long)cp.size);
		rc = 3;
		goto out;
	}
	if (old_size > 0 && old_size < cp.size) {
		snprintf(url, sizeof(url), "%s/v1/log/proof/consistency?first=%llu&second=%llu", log, (unsigned long long)old_size,
			 (unsigned long long)cp.size);
		if (http(curl, "GET", url, NULL, &proof_ans) != 200)
			goto out;
		json_array_foreach(json_object_get(proof_ans, "proof"), i, x) {
			const char *t = json_string_value(x);
			if (n < PROTO_MERKLE_PROOF_MAX && t && b64url_decode_exact(t, strlen(t), proof[n], PROTO_MERKLE_HASH_BYTES) == 0)
				n++;
		}
		if (n != json_array_size(json_object_get(proof_ans, "proof"))) {
			fprintf(stderr, "postern-witness: the log's consistency proof is malformed\n");
			rc = 3;
			goto out;
		}
	}
	status = witness_add_checkpoint(w, note, strlen(note), old_size, (const unsigned char(*)[PROTO_MERKLE_HASH_BYTES])proof, n, &held, cosig,
					sizeof(cosig), why, sizeof(why));
	if (status != 200) {
		fprintf(stderr, "postern-witness: %s\n", why);
		rc = status == 422 || (status == 409 && held == old_size) ? 3 : 1;
		goto out;
	}
	cosig[strcspn(cosig, "\n")] = '\0';
	{
		json_t *post = json_pack("{s:I,s:s}", "size", (json_int_t)cp.size, "cosignature", cosig);
		line = post ? json_dumps(post, JSON_COMPACT) : NULL;
		json_decref(post);
	}
	json_decref(ans);
	ans = NULL;
	snprintf(url, sizeof(url), "%s/v1/log/cosignatures", log);
	if (line == NULL || http(curl, "POST", url, line, &ans) != 204) {
		const char *what = json_string_value(json_object_get(json_object_get(ans, "error"), "message"));
		fprintf(stderr, "postern-witness: the log did not take the cosignature of size %llu: %s\n", (unsigned long long)cp.size,
			what ? what : "no answer");
		goto out;
	}
	printf("co-signed %s at %llu entries\n", cp.origin, (unsigned long long)cp.size);
	fflush(stdout);
	rc = 0;
out:
	free(line);
	json_decref(ans);
	json_decref(proof_ans);
	return rc;
}

int main(int argc, char **argv)
{
	const char *log = NULL, *log_key_text = NULL, *key_path = NULL, *state = NULL, *listen_addr = "127.0.0.1";
	struct witness w;
	char text[512];
	long interval = 10, port = 8090;
	int once = 0, i, rc = 0, serve;
	CURL *curl;

	if (sodium_init() < 0 || curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return 1;
	if (argc == 3 && strcmp(argv[1], "keygen") == 0)
		return keygen(argv[2]);
	serve = argc > 1 && strcmp(argv[1], "serve") == 0;
	for (i = 2; argc > 1 && (serve || strcmp(argv[1], "run") == 0) && i < argc; i++) {
		if (!serve && strcmp(argv[i], "--once") == 0)
			once = 1;
		else if (!serve && i + 1 < argc && strcmp(argv[i], "--log") == 0)
			log = argv[++i];
		else if (i + 1 < argc && strcmp(argv[i], "--log-key") == 0)
			log_key_text = argv[++i];
		else if (i + 1 < argc && strcmp(argv[i], "--key") == 0)
			key_path = argv[++i];
		else if (i + 1 < argc && strcmp(argv[i], "--state") == 0)
			state = argv[++i];
		else if (!serve && i + 1 < argc && strcmp(argv[i], "--interval") == 0)
			interval = strtol(argv[++i], NULL, 10);
		else if (serve && i + 1 < argc && strcmp(argv[i], "--listen") == 0)
			listen_addr = argv[++i];
		else if (serve && i + 1 < argc && strcmp(argv[i], "--port") == 0)
			port = strtol(argv[++i], NULL, 10);
		else
			break;
	}
	if (argc < 2 || (!serve && strcmp(argv[1], "run") != 0) || i < argc || (!serve && !log) || !log_key_text || !key_path || !state ||
	    interval < 1 || port < 0 || port > 65535) {
		fprintf(stderr, "usage: postern-witness keygen NAME > KEYFILE\n"
				"       postern-witness run --log URL --log-key VERIFIER --key KEYFILE --state FILE [--once] [--interval S]\n"
				"       postern-witness serve --log-key VERIFIER --key KEYFILE --state FILE [--listen ADDR] [--port N]\n");
		return 2;
	}
	memset(&w, 0, sizeof(w));
	w.state_path = state;
	if (proto_note_verifier_parse(log_key_text, &w.log_key) != PROTO_E_OK) {
		fprintf(stderr, "postern-witness: --log-key is not a verifier key\n");
		return 2;
	}
	if (read_line_file(key_path, text, sizeof(text)) != 0 || proto_note_signer_parse(text, &w.me) != PROTO_E_OK) {
		fprintf(stderr, "postern-witness: %s is not a witness key (make one with: postern-witness keygen NAME)\n", key_path);
		return 1;
	}
	sodium_memzero(text, sizeof(text));
	w.me.is_cosigner = 1;
	if (serve) {
		rc = witness_serve(&w, listen_addr, (unsigned)port);
		sodium_memzero(&w.me, sizeof(w.me));
		return rc;
	}
	if ((curl = curl_easy_init()) == NULL)
		return 1;
	for (;;) {
		rc = round_once(curl, log, &w);
		if (once || rc == 3)
			break;
		sleep((unsigned)interval);
	}
	curl_easy_cleanup(curl);
	sodium_memzero(&w.me, sizeof(w.me));
	return rc;
}
