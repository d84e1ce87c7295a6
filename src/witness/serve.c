/*
 * serve.c — postern-witness serve: the C2SP tlog-witness protocol over HTTP (libmicrohttpd). One route,
 * POST /add-checkpoint, whose body is "old <size>\n", up to 63 base64 consistency-proof lines, an empty line
 * and the signed checkpoint; the answer is the cosignature line (200) or the protocol's status with a reason
 * (409 with the held size as text/x.tlog.size). One request is decided at a time (libmicrohttpd's single
 * internal thread), so checking the held size and moving it are one step.
 */
#include "witness.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <microhttpd.h>
#include <pthread.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "banned.h" /* last: bans footguns in this file only */

#define BODY_MAX (64u * 1024u) /* 63 proof lines and a note with its signatures fit in far less */
#define PROOF_LINES_MAX 63

struct upload {
	char *data;
	size_t len;
	int too_large;
};

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned status, const char *type, const char *text)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_MUST_COPY);
	enum MHD_Result ret;
	if (r == NULL)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

/* One standard base64 hash line (44 characters, padded), alphabet checked before libsodium reads it. */
static int proof_line(const char *p, size_t n, unsigned char out[PROTO_MERKLE_HASH_BYTES])
{
	size_t i, got = 0;
	const char *end = NULL;
	if (n != 44 || p[43] != '=')
		return -1;
	for (i = 0; i < 43; i++)
		if (!((p[i] >= 'A' && p[i] <= 'Z') || (p[i] >= 'a' && p[i] <= 'z') || (p[i] >= '0' && p[i] <= '9') || p[i] == '+' || p[i] == '/'))
			return -1;
	return sodium_base642bin(out, PROTO_MERKLE_HASH_BYTES, p, n, NULL, &got, &end, sodium_base64_VARIANT_ORIGINAL) == 0 && got == 32 &&
			       end == p + n
		       ? 0
		       : -1;
}

/* Decide on a whole request body; the answer is queued on conn. */
static enum MHD_Result add_checkpoint(struct MHD_Connection *conn, const struct witness *w, const char *body, size_t len)
{
	unsigned char proof[PROOF_LINES_MAX][PROTO_MERKLE_HASH_BYTES];
	char cosig[1024], why[512], num[32];
	const char *p = body, *end = body + len, *nl;
	uint64_t old_size = 0, held = 0;
	size_t n = 0, i;
	int status;

	/* "old <size>": decimal, no leading zero but for 0 itself */
	if ((nl = memchr(p, '\n', len)) == NULL || nl - p < 5 || memcmp(p, "old ", 4) != 0 || (p[4] == '0' && nl - p != 5))
		return reply(conn, 400, "text/plain; charset=utf-8", "the body must start with \"old <size>\"\n");
	for (i = 4; p + i < nl; i++) {
		if (p[i] < '0' || p[i] > '9' || old_size > (UINT64_MAX - 9) / 10)
			return reply(conn, 400, "text/plain; charset=utf-8", "the old size must be a decimal number\n");
		old_size = old_size * 10 + (uint64_t)(p[i] - '0');
	}
	p = nl + 1;
	/* the proof, up to the empty line */
	for (;;) {
		if (p >= end || (nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			return reply(conn, 400, "text/plain; charset=utf-8", "no empty line before the checkpoint\n");
		if (nl == p)
			break;
		if (n == PROOF_LINES_MAX || proof_line(p, (size_t)(nl - p), proof[n]) != 0)
			return reply(conn, 400, "text/plain; charset=utf-8", "a proof line must be one base64 hash (at most 63 lines)\n");
		n++;
		p = nl + 1;
	}
	p++;
	status = witness_add_checkpoint(w, p, (size_t)(end - p), old_size, (const unsigned char(*)[PROTO_MERKLE_HASH_BYTES])proof, n, &held,
					cosig, sizeof(cosig), why, sizeof(why));
	if (status == 200) {
		fprintf(stdout, "co-signed a checkpoint submitted with old size %" PRIu64 "\n", old_size);
		fflush(stdout);
		return reply(conn, 200, "text/plain; charset=utf-8", cosig);
	}
	fprintf(stderr, "postern-witness: refused (%d): %s\n", status, why);
	if (status == 409 && strncmp(why, "INCONSISTENT", 12) != 0) {
		snprintf(num, sizeof(num), "%" PRIu64 "\n", held);
		return reply(conn, 409, "text/x.tlog.size", num);
	}
	{
		char text[sizeof(why) + 1];
		snprintf(text, sizeof(text), "%s\n", why);
		return reply(conn, (unsigned)status, "text/plain; charset=utf-8", text);
	}
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method, const char *version,
				  const char *upload_data, size_t *upload_size, void **con_cls)
{
	const struct witness *w = cls;
	struct upload *u = *con_cls;
	(void)version;
	if (strcmp(url, "/add-checkpoint") != 0)
		return reply(conn, 404, "text/plain; charset=utf-8", "this witness answers POST /add-checkpoint only\n");
	if (strcmp(method, "POST") != 0)
		return reply(conn, 405, "text/plain; charset=utf-8", "POST only\n");
	if (u == NULL) { /* the head: the body follows */
		if ((u = calloc(1, sizeof(*u))) == NULL)
			return MHD_NO;
		*con_cls = u;
		return MHD_YES;
	}
	if (*upload_size) {
		if (!u->too_large && u->len + *upload_size <= BODY_MAX) {
			char *grown = realloc(u->data, u->len + *upload_size + 1);
			if (grown == NULL)
				return MHD_NO;
			u->data = grown;
			memcpy(u->data + u->len, upload_data, *upload_size);
			u->len += *upload_size;
			u->data[u->len] = '\0';
		} else
			u->too_large = 1;
		*upload_size = 0;
		return MHD_YES;
	}
	if (u->too_large)
		return reply(conn, 413, "text/plain; charset=utf-8", "the body is over 64 KiB\n");
	return add_checkpoint(conn, w, u->data ? u->data : "", u->len);
}

static void on_done(void *cls, struct MHD_Connection *conn, void **con_cls, enum MHD_RequestTerminationCode why)
{
	struct upload *u = *con_cls;
	(void)cls, (void)conn, (void)why;
	if (u) {
		free(u->data);
		free(u);
	}
	*con_cls = NULL;
}

int witness_serve(const struct witness *w, const char *addr, unsigned port)
{
	struct sockaddr_in sa;
	struct MHD_Daemon *d;
	const union MHD_DaemonInfo *info;
	sigset_t set;
	int sig = 0;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, addr, &sa.sin_addr) != 1) {
		fprintf(stderr, "postern-witness: --listen must be an IPv4 address\n");
		return 2;
	}
	/* SIGINT and SIGTERM are waited for below, not delivered: block them before any thread starts */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, 0, NULL, NULL, on_request, (void *)w,
			     MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa, MHD_OPTION_NOTIFY_COMPLETED, on_done, NULL,
			     MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30, MHD_OPTION_CONNECTION_LIMIT, (unsigned)64, MHD_OPTION_END);
	if (d == NULL) {
		fprintf(stderr, "postern-witness: cannot listen on %s:%u\n", addr, port);
		return 1;
	}
	info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	printf("listening on %s:%u\n", addr, info ? (unsigned)info->port : port);
	fflush(stdout);
	sigwait(&set, &sig);
	MHD_stop_daemon(d);
	return 0;
}
