/*
 * client.c — libpostern's core: the client object, one HTTP exchange with the server (libcurl, JSON via
 * jansson), errors, and the local key store (files in the home directory, written atomically, mode 0600,
 * sealed with XChaCha20-Poly1305 under an argon2id key when a passphrase is given). It never prints, exits
 * or aborts.
 */
#include "client_int.h"

#include "b64url.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "banned.h" /* last: bans footguns in this file only */

uint64_t pst__now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

pst_status pst__fail(pst_client *c, pst_status st, const char *fmt, ...)
{
	va_list ap;
	if (c == NULL)
		return st;
	va_start(ap, fmt);
	vsnprintf(c->errmsg, sizeof(c->errmsg), fmt, ap);
	va_end(ap);
	return st;
}

const char *pst_errmsg(const pst_client *c) { return c ? c->errmsg : "no client"; }
int pst_http_status(const pst_client *c) { return c ? c->http_status : 0; }
const char *pst_server_code(const pst_client *c) { return c ? c->server_code : ""; }
void pst_free(void *p) { free(p); }
int pst_logged_in(const pst_client *c) { return c && c->token[0] != '\0'; }
const char *pst_user_id(const pst_client *c) { return c && c->user_id[0] ? c->user_id : NULL; }
const char *pst_device_id(const pst_client *c) { return c && c->device_id[0] ? c->device_id : NULL; }
const char *pst_notice(const pst_client *c) { return c ? c->notice : ""; }

char *pst__escape(const char *s)
{
	/* libcurl leaves the RFC 3986 unreserved characters as they are and %-encodes every other byte */
	char *e = curl_easy_escape(NULL, s, 0), *out = e ? strdup(e) : NULL;
	curl_free(e);
	return out;
}

char *pst__path(const char *fmt, const char *a, const char *b)
{
	char *ea = pst__escape(a), *eb = b ? pst__escape(b) : NULL, *p = NULL;
	if (ea == NULL || (b && eb == NULL) || asprintf(&p, fmt, ea, eb) < 0)
		p = NULL;
	free(ea);
	free(eb);
	return p;
}

pst_status pst__request_at(pst_client *c, const char *method, const char *fmt, const char *a, const char *b, json_t *body, json_t **out)
{
	char *path = pst__path(fmt, a, b);
	pst_status st = path ? pst__request(c, method, path, body, out) : pst__fail(c, PST_ERR_NOMEM, "out of memory");
	free(path);
	return st;
}

/* ---- HTTP ---- */

struct buf {
	char *data;
	size_t len;
	int overflow;
};

static size_t collect(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct buf *b = arg;
	size_t n = size * nmemb;
	char *nd;
	if (b->len + n > PST__MAX_RESPONSE) {
		b->overflow = 1;
		return 0;
	}
	nd = realloc(b->data, b->len + n + 1);
	if (nd == NULL)
		return 0;
	memcpy(nd + b->len, ptr, n);
	b->len += n;
	nd[b->len] = '\0';
	b->data = nd;
	return n;
}

pst_status pst__request(pst_client *c, const char *method, const char *path, json_t *body, json_t **out)
{
	struct buf resp = {NULL, 0, 0};
	struct curl_slist *hdrs = NULL;
	char *url = NULL, *text = NULL, auth[160];
	json_t *j = NULL;
	json_error_t jerr;
	long status = 0;
	CURLcode cc;
	pst_status st = PST_OK;

	if (out)
		*out = NULL;
	c->errmsg[0] = '\0';
	c->server_code[0] = '\0';
	c->http_status = 0;
	if (asprintf(&url, "%s%s", c->server, path) < 0) {
		url = NULL;
		st = pst__fail(c, PST_ERR_NOMEM, "out of memory");
		goto out;
	}
	curl_easy_reset(c->curl);
	curl_easy_setopt(c->curl, CURLOPT_URL, url);
	curl_easy_setopt(c->curl, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, &resp);
	curl_easy_setopt(c->curl, CURLOPT_TIMEOUT, 60L);
	curl_easy_setopt(c->curl, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(c->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c->curl, CURLOPT_TCP_NODELAY, 1L);
	curl_easy_setopt(c->curl, CURLOPT_PROTOCOLS_STR, "http,https");
	if (c->token[0]) {
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s", c->token);
		hdrs = curl_slist_append(hdrs, auth);
		sodium_memzero(auth, sizeof(auth));
	}
	if (body) {
		text = json_dumps(body, JSON_COMPACT);
		if (text == NULL) {
			st = pst__fail(c, PST_ERR_NOMEM, "out of memory");
			goto out;
		}
		hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
		curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, text);
		curl_easy_setopt(c->curl, CURLOPT_POSTFIELDSIZE, (long)strlen(text));
	} else if (strcmp(method, "POST") == 0) {
		curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, "");
		curl_easy_setopt(c->curl, CURLOPT_POSTFIELDSIZE, 0L);
	}
	hdrs = curl_slist_append(hdrs, "Accept: application/json");
	curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, hdrs);
	cc = curl_easy_perform(c->curl);
	curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, NULL);
	if (cc != CURLE_OK) {
		st = pst__fail(c, resp.overflow ? PST_ERR_PROTOCOL : PST_ERR_NETWORK, "%s: %s", c->server,
			       resp.overflow ? "the answer is too large" : curl_easy_strerror(cc));
		goto out;
	}
	curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &status);
	c->http_status = (int)status;
	if (resp.len)
		j = json_loadb(resp.data, resp.len, JSON_REJECT_DUPLICATES, &jerr);
	if (status >= 400) {
		json_t *e = json_object_get(j, "error");
		const char *code = json_string_value(json_object_get(e, "code"));
		const char *msg = json_string_value(json_object_get(e, "message"));
		snprintf(c->server_code, sizeof(c->server_code), "%s", code ? code : "");
		st = status == 401 ? PST_ERR_AUTH : status == 404 ? PST_ERR_NOT_FOUND : PST_ERR_HTTP;
		pst__fail(c, st, "%s (HTTP %ld%s%s)", msg ? msg : "the server refused", status, code ? ", " : "", code ? code : "");
		goto out;
	}
	if (resp.len && j == NULL) {
		st = pst__fail(c, PST_ERR_PROTOCOL, "the server's answer is not JSON");
		goto out;
	}
	if (out) {
		*out = j;
		j = NULL;
	}
out:
	json_decref(j);
	curl_slist_free_all(hdrs);
	free(text);
	free(url);
	free(resp.data);
	return st;
}

pst_status pst_call(pst_client *c, const char *method, const char *path, const char *json_body, char **json_out)
{
	json_t *body = NULL, *out = NULL;
	json_error_t jerr;
	pst_status st;
	if (json_out)
		*json_out = NULL;
	if (c == NULL || method == NULL || path == NULL || path[0] != '/')
		return pst__fail(c, PST_ERR_INVALID, "method and a path starting with / are required");
	if (json_body && (body = json_loads(json_body, JSON_REJECT_DUPLICATES, &jerr)) == NULL)
		return pst__fail(c, PST_ERR_INVALID, "the body is not JSON: %s", jerr.text);
	st = pst__request(c, method, path, body, &out);
	if (st == PST_OK && json_out && out) {
		*json_out = json_dumps(out, JSON_COMPACT);
		if (*json_out == NULL)
			st = pst__fail(c, PST_ERR_NOMEM, "out of memory");
	}
	json_decref(body);
	json_decref(out);
	return st;
}

/* ---- the key store ---- */

static char *store_path(pst_client *c, const char *name)
{
	char *p = NULL;
	if (asprintf(&p, "%s/%s", c->home, name) < 0)
		return NULL;
	return p;
}

pst_status pst__store_write(pst_client *c, const char *name, const void *data, size_t len, int secret)
{
	char *path = store_path(c, name), *tmp = NULL;
	unsigned char *sealed = NULL;
	const void *w = data;
	size_t wlen = len;
	int fd = -1;
	pst_status st = PST_OK;

	/* a temporary name of this write's own: another process sharing the home may be writing the same file */
	if (path == NULL || asprintf(&tmp, "%s.tmp.XXXXXX", path) < 0) {
		tmp = NULL;
		st = pst__fail(c, PST_ERR_NOMEM, "out of memory");
		goto out;
	}
	if (secret && c->sealed) {
		unsigned long long clen = 0;
		sealed = malloc(len + crypto_aead_xchacha20poly1305_ietf_NPUBBYTES + crypto_aead_xchacha20poly1305_ietf_ABYTES);
		if (sealed == NULL) {
			st = pst__fail(c, PST_ERR_NOMEM, "out of memory");
			goto out;
		}
		randombytes_buf(sealed, crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
		crypto_aead_xchacha20poly1305_ietf_encrypt(sealed + crypto_aead_xchacha20poly1305_ietf_NPUBBYTES, &clen, data, len,
							   (const unsigned char *)name, strlen(name), NULL, sealed, c->store_key);
		w = sealed;
		wlen = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES + (size_t)clen;
	}
	fd = mkostemp(tmp, O_CLOEXEC); /* mode 0600 */
	if (fd < 0 || write(fd, w, wlen) != (ssize_t)wlen || fsync(fd) != 0 || close(fd) != 0) {
		if (fd >= 0) {
			close(fd);
			unlink(tmp);
		}
		st = pst__fail(c, PST_ERR_STORE, "cannot write %s: %s", path, strerror(errno));
		goto out;
	}
	if (rename(tmp, path) != 0) {
		unlink(tmp);
		st = pst__fail(c, PST_ERR_STORE, "cannot write %s: %s", path, strerror(errno));
		goto out;
	}
	/* the rename itself must reach the disk: a chain index rolled back by a power cut would be used twice */
	if ((fd = open(c->home, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		fsync(fd);
		close(fd);
	}
out:
	free(sealed);
	free(tmp);
	free(path);
	return st;
}

int pst__json_key32(const json_t *obj, const char *name, unsigned char out[32])
{
	const char *t = json_string_value(json_object_get(obj, name));
	return t && b64url_decode_exact(t, strlen(t), out, 32) == 0;
}

json_t *pst__store_json(pst_client *c, const char *name)
{
	unsigned char *data = NULL;
	size_t len = 0;
	json_error_t jerr;
	json_t *j = NULL;
	if (pst__store_read(c, name, &data, &len, 1) == PST_OK) {
		j = json_loadb((const char *)data, len, 0, &jerr);
		sodium_memzero(data, len);
		free(data);
	}
	if (!json_is_object(j)) {
		json_decref(j);
		j = json_object();
	}
	return j;
}

pst_status pst__store_read(pst_client *c, const char *name, unsigned char **data, size_t *len, int secret)
{
	char *path = store_path(c, name);
	unsigned char *raw = NULL, *plain = NULL;
	struct stat sb;
	ssize_t got;
	int fd = -1;
	pst_status st = PST_OK;

	*data = NULL;
	*len = 0;
	if (path == NULL)
		return pst__fail(c, PST_ERR_NOMEM, "out of memory");
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		st = errno == ENOENT ? PST_ERR_NOT_FOUND : pst__fail(c, PST_ERR_STORE, "cannot read %s: %s", path, strerror(errno));
		goto out;
	}
	if (fstat(fd, &sb) != 0 || sb.st_size < 0 || sb.st_size > (16 << 20)) {
		st = pst__fail(c, PST_ERR_STORE, "%s is not a key-store file", path);
		goto out;
	}
	raw = malloc((size_t)sb.st_size + 1);
	if (raw == NULL) {
		st = pst__fail(c, PST_ERR_NOMEM, "out of memory");
		goto out;
	}
	got = read(fd, raw, (size_t)sb.st_size);
	if (got != sb.st_size) {
		st = pst__fail(c, PST_ERR_STORE, "cannot read %s", path);
		goto out;
	}
	if (secret && c->sealed) {
		unsigned long long plen = 0;
		size_t n = (size_t)got;
		if (n < crypto_aead_xchacha20poly1305_ietf_NPUBBYTES + crypto_aead_xchacha20poly1305_ietf_ABYTES ||
		    (plain = malloc(n)) == NULL ||
		    crypto_aead_xchacha20poly1305_ietf_decrypt(plain, &plen, NULL, raw + crypto_aead_xchacha20poly1305_ietf_NPUBBYTES,
							       n - crypto_aead_xchacha20poly1305_ietf_NPUBBYTES,
							       (const unsigned char *)name, strlen(name), raw, c->store_key) != 0) {
			st = pst__fail(c, PST_ERR_STORE, "%s does not open with this passphrase", path);
			goto out;
		}
		plain[plen] = '\0';
		*data = plain;
		*len = (size_t)plen;
		plain = NULL;
	} else {
		raw[got] = '\0';
		*data = raw;
		*len = (size_t)got;
		raw = NULL;
	}
out:
	if (fd >= 0)
		close(fd);
	if (raw) {
		sodium_memzero(raw, (size_t)(sb.st_size > 0 ? sb.st_size : 0));
		free(raw);
	}
	free(plain);
	free(path);
	return st;
}

pst_status pst__store_remove(pst_client *c, const char *name)
{
	char *path = store_path(c, name);
	pst_status st = PST_OK;
	if (path == NULL)
		return pst__fail(c, PST_ERR_NOMEM, "out of memory");
	if (unlink(path) != 0 && errno != ENOENT)
		st = pst__fail(c, PST_ERR_STORE, "cannot remove %s: %s", path, strerror(errno));
	free(path);
	return st;
}

pst_status pst__save_session(pst_client *c)
{
	json_t *j = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "server", c->server, "token", c->token, "user_id", c->user_id,
			      "device_id", c->device_id, "cursor", c->cursor, "refresh_token", c->refresh, "sub", c->sub);
	char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
	pst_status st = text ? pst__store_write(c, "session.json", text, strlen(text), 1) : pst__fail(c, PST_ERR_NOMEM, "out of memory");
	if (text) {
		sodium_memzero(text, strlen(text));
		free(text);
	}
	json_decref(j);
	return st;
}

pst_status pst__save_keys(pst_client *c)
{
	char spk[64], ssk[100], bpk[64], bsk[64], ids[64];
	json_t *j;
	char *text;
	pst_status st;
	b64url_encode(c->keys.sign_pk, sizeof(c->keys.sign_pk), spk, sizeof(spk));
	b64url_encode(c->keys.sign_sk, sizeof(c->keys.sign_sk), ssk, sizeof(ssk));
	b64url_encode(c->keys.box_pk, sizeof(c->keys.box_pk), bpk, sizeof(bpk));
	b64url_encode(c->keys.box_sk, sizeof(c->keys.box_sk), bsk, sizeof(bsk));
	/* protocol 2: a home of version 1 has no "protocol" and is refused on load (its sessions are v1) */
	j = json_pack("{s:i,s:s,s:s,s:s,s:s,s:b}", "protocol", PROTO_VERSION, "sign_pk", spk, "sign_sk", ssk, "box_pk", bpk,
		      "box_sk", bsk, "approved", c->approved);
	if (j && c->have_identity) {
		b64url_encode(c->identity.seed, sizeof(c->identity.seed), ids, sizeof(ids));
		json_object_set_new(j, "id_seed", json_string(ids));
		sodium_memzero(ids, sizeof(ids));
	}
	text = j ? json_dumps(j, JSON_COMPACT) : NULL;
	st = text ? pst__store_write(c, "device.json", text, strlen(text), 1) : pst__fail(c, PST_ERR_NOMEM, "out of memory");
	if (text) {
		sodium_memzero(text, strlen(text));
		free(text);
	}
	sodium_memzero(ssk, sizeof(ssk));
	sodium_memzero(bsk, sizeof(bsk));
	json_decref(j);
	return st;
}

static void copy_field(json_t *j, const char *key, char *dst, size_t cap)
{
	const char *v = json_string_value(json_object_get(j, key));
	snprintf(dst, cap, "%s", v ? v : "");
}

static int decode_key(json_t *j, const char *key, unsigned char *dst, size_t n)
{
	const char *v = json_string_value(json_object_get(j, key));
	return v && b64url_decode_exact(v, strlen(v), dst, n) == 0 ? 0 : -1;
}

/* Load session.json and device.json when present. */
static pst_status load_state(pst_client *c)
{
	unsigned char *data = NULL;
	size_t len = 0;
	json_t *j;
	json_error_t jerr;
	pst_status st = pst__store_read(c, "session.json", &data, &len, 1);
	if (st == PST_OK) {
		j = json_loadb((const char *)data, len, 0, &jerr);
		copy_field(j, "token", c->token, sizeof(c->token));
		copy_field(j, "user_id", c->user_id, sizeof(c->user_id));
		copy_field(j, "device_id", c->device_id, sizeof(c->device_id));
		copy_field(j, "cursor", c->cursor, sizeof(c->cursor));
		copy_field(j, "refresh_token", c->refresh, sizeof(c->refresh));
		copy_field(j, "sub", c->sub, sizeof(c->sub));
		json_decref(j);
		sodium_memzero(data, len);
		free(data);
	} else if (st != PST_ERR_NOT_FOUND)
		return st;
	st = pst__store_read(c, "device.json", &data, &len, 1);
	if (st == PST_OK) {
		j = json_loadb((const char *)data, len, 0, &jerr);
		int v2 = json_integer_value(json_object_get(j, "protocol")) == PROTO_VERSION;
		c->have_keys = decode_key(j, "sign_pk", c->keys.sign_pk, sizeof(c->keys.sign_pk)) == 0 &&
			       decode_key(j, "sign_sk", c->keys.sign_sk, sizeof(c->keys.sign_sk)) == 0 &&
			       decode_key(j, "box_pk", c->keys.box_pk, sizeof(c->keys.box_pk)) == 0 &&
			       decode_key(j, "box_sk", c->keys.box_sk, sizeof(c->keys.box_sk)) == 0;
		c->approved = json_is_true(json_object_get(j, "approved"));
		if (json_object_get(j, "id_seed")) {
			c->have_identity = decode_key(j, "id_seed", c->identity.seed, sizeof(c->identity.seed)) == 0 &&
					   proto_identity_from_seed(&c->identity, c->identity.seed) == PROTO_E_OK;
			if (!c->have_identity)
				c->have_keys = 0;
		}
		json_decref(j);
		sodium_memzero(data, len);
		free(data);
		if (c->have_keys && !v2)
			return pst__fail(c, PST_ERR_STORE,
					 "%s was made by a client of protocol version 1, which this one does not read: use a new --home "
					 "(and remove the old device from your account)", c->home);
		if (!c->have_keys)
			return pst__fail(c, PST_ERR_STORE, "device.json in %s is damaged", c->home);
	} else if (st != PST_ERR_NOT_FOUND)
		return st;
	return PST_OK;
}

/* The store key from the passphrase and the salt in store.salt (made on first use). */
static pst_status derive_store_key(pst_client *c, const char *passphrase)
{
	unsigned char *salt = NULL, fresh[crypto_pwhash_SALTBYTES];
	size_t len = 0;
	pst_status st = pst__store_read(c, "store.salt", &salt, &len, 0);
	if (st == PST_ERR_NOT_FOUND) {
		randombytes_buf(fresh, sizeof(fresh));
		if ((st = pst__store_write(c, "store.salt", fresh, sizeof(fresh), 0)) != PST_OK)
			return st;
		salt = malloc(sizeof(fresh));
		if (salt == NULL)
			return pst__fail(c, PST_ERR_NOMEM, "out of memory");
		memcpy(salt, fresh, sizeof(fresh));
		len = sizeof(fresh);
	} else if (st != PST_OK)
		return st;
	if (len != crypto_pwhash_SALTBYTES) {
		free(salt);
		return pst__fail(c, PST_ERR_STORE, "store.salt in %s is damaged", c->home);
	}
	if (crypto_pwhash(c->store_key, sizeof(c->store_key), passphrase, strlen(passphrase), salt,
			  crypto_pwhash_OPSLIMIT_INTERACTIVE, crypto_pwhash_MEMLIMIT_INTERACTIVE, crypto_pwhash_ALG_ARGON2ID13) != 0) {
		free(salt);
		return pst__fail(c, PST_ERR_NOMEM, "not enough memory to derive the key-store key");
	}
	free(salt);
	c->sealed = 1;
	return PST_OK;
}

pst_status pst__lock(pst_client *c)
{
	char path[4096];

	if (c->lock_depth > 0) {
		c->lock_depth++;
		return PST_OK;
	}
	if (c->lock_fd < 0) {
		if ((size_t)snprintf(path, sizeof(path), "%s/lock", c->home) >= sizeof(path))
			return pst__fail(c, PST_ERR_STORE, "the home directory's path is too long");
		if ((c->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0)
			return pst__fail(c, PST_ERR_STORE, "cannot open %s: %s", path, strerror(errno));
	}
	while (flock(c->lock_fd, LOCK_EX) != 0)
		if (errno != EINTR)
			return pst__fail(c, PST_ERR_STORE, "cannot lock %s/lock: %s", c->home, strerror(errno));
	c->lock_depth = 1;
	return PST_OK;
}

void pst__unlock(pst_client *c)
{
	if (c->lock_depth > 0 && --c->lock_depth == 0)
		flock(c->lock_fd, LOCK_UN);
}

pst_status pst_client_new(const char *server_url, const char *home_dir, const char *passphrase, pst_client **out)
{
	pst_client *c = NULL;
	pst_status st = PST_OK;
	size_t n;

	if (out == NULL)
		return PST_ERR_INVALID;
	*out = NULL;
	if (server_url == NULL || home_dir == NULL || (strncmp(server_url, "http://", 7) && strncmp(server_url, "https://", 8)))
		return PST_ERR_INVALID;
	if (sodium_init() < 0 || proto_init() != PROTO_E_OK || curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return PST_ERR_NOMEM;
	c = calloc(1, sizeof(*c));
	if (c != NULL)
		c->lock_fd = -1;
	if (c == NULL || (c->server = strdup(server_url)) == NULL || (c->home = strdup(home_dir)) == NULL ||
	    (c->curl = curl_easy_init()) == NULL) {
		st = PST_ERR_NOMEM;
		goto out;
	}
	n = strlen(c->server);
	while (n > 0 && c->server[n - 1] == '/')
		c->server[--n] = '\0';
	if (mkdir(c->home, 0700) != 0 && errno != EEXIST) {
		st = pst__fail(c, PST_ERR_STORE, "cannot create %s: %s", c->home, strerror(errno));
		goto out;
	}
	if (passphrase && passphrase[0] && (st = derive_store_key(c, passphrase)) != PST_OK)
		goto out;
	st = load_state(c);
out:
	if (st != PST_OK && c) {
		/* keep the message for the caller? the client is gone: nothing to read it from */
		pst_client_free(c);
		c = NULL;
	}
	*out = c;
	return st;
}

void pst_client_free(pst_client *c)
{
	if (c == NULL)
		return;
	if (c->home)
		pst__log_save_proven(c); /* the proofs this client made that no listing wrote yet (the store key still set) */
	if (c->curl)
		curl_easy_cleanup(c->curl);
	if (c->stream)
		curl_easy_cleanup(c->stream);
	if (c->lock_fd >= 0)
		close(c->lock_fd); /* releases the lock too */
	proto_device_keys_wipe(&c->keys);
	sodium_memzero(&c->identity, sizeof(c->identity));
	if (c->recovery_text) {
		sodium_memzero(c->recovery_text, strlen(c->recovery_text));
		free(c->recovery_text);
	}
	json_decref(c->pins);
	json_decref(c->proven);
	json_decref(c->proven_new);
	free(c->server);
	free(c->home);
	sodium_memzero(c, sizeof(*c));
	free(c);
}
