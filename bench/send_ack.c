/*
 * send_ack.c — durable sends through two posternd nodes on one database, every answer written down, so that
 * bench/run.sh can kill -9 one node in the middle and then check that no acknowledged send was lost
 * (libcurl + pthreads).
 *
 *   send_ack URL_A URL_B USERS_FILE DURATION_S OUTFILE
 *
 * USERS_FILE is bench/setup.py's output. One thread per sender ("S" lines) posts 1 KiB messages (base64url of
 * 1024 random bytes) into its direct thread with recv_a, closed loop (the next send when the last is answered),
 * for DURATION_S seconds; sender i starts on node A when i is even and on node B when it is odd. Each send has
 * its own client_msg_id "K<run>_<sender>_<k>" (run: the start time in milliseconds, in hex, so that runs
 * against one database never share an id). When a send fails (no HTTP answer, or a 5xx) the sender fails over to
 * the other node for good and sends the same client_msg_id again (at most 3 tries in all): that is what a client
 * behind a load balancer does, and the server's idempotency makes it safe (a send that was committed before its
 * node died is answered 200 with the first result). A 4xx is written down and not retried.
 *
 * OUTFILE gets one line per attempt: "<unix time ms> <A|B> <HTTP status, 0: no answer> <client_msg_id>".
 * A send is acknowledged when one of its attempts got a 2xx. Prints one line for bench/run.sh:
 *   ACKRESULT attempts=N acked=N acked_a=N acked_b=N failed_attempts=N given_up=N rejected=N
 */
#define _GNU_SOURCE
#include <curl/curl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_SENDERS 256
#define BODY_BYTES 1024
#define MAX_TRIES 3

/* One attempt: when it was answered, on which node, its status, and the send's number k. */
struct attempt {
	int64_t t_ms;
	int node;
	int status;
	int k;
};

struct sender {
	int idx;
	char token[256];
	char thread[128];
	pthread_t th;
	struct attempt *log; /* grows; owned by the sender's thread until joined */
	size_t n, cap;
	int failed; /* 1: the log could not grow */
};

static const char *urls[2];
static struct sender senders[MAX_SENDERS];
static int nsenders;
static double duration;
static long long run_id;
static char body_json_tail[2048]; /* "\",\"body\":\"...\"}" */

static int64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int64_t wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static void b64url(const unsigned char *in, size_t n, char *out)
{
	static const char tb[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	size_t i, o = 0;
	for (i = 0; i + 2 < n; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
		out[o++] = tb[v >> 18 & 63];
		out[o++] = tb[v >> 12 & 63];
		out[o++] = tb[v >> 6 & 63];
		out[o++] = tb[v & 63];
	}
	if (n - i == 1) {
		uint32_t v = (uint32_t)in[i] << 16;
		out[o++] = tb[v >> 18 & 63];
		out[o++] = tb[v >> 12 & 63];
	} else if (n - i == 2) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
		out[o++] = tb[v >> 18 & 63];
		out[o++] = tb[v >> 12 & 63];
		out[o++] = tb[v >> 6 & 63];
	}
	out[o] = '\0';
}

static size_t discard(char *d, size_t sz, size_t nm, void *ud)
{
	(void)d, (void)ud;
	return sz * nm;
}

/* Append one attempt to the sender's log (the log is the sender's; on allocation failure it is marked failed). */
static void note(struct sender *s, int node, int status, int k)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 1024;
		struct attempt *g = realloc(s->log, cap * sizeof(*g));
		if (g == NULL) {
			s->failed = 1;
			return;
		}
		s->log = g;
		s->cap = cap;
	}
	s->log[s->n++] = (struct attempt){wall_ms(), node, status, k};
}

/* POST one message to node's URL on handle h[node]; the HTTP status, or 0 when no answer came. */
static long post(CURL *h, const char *cmid, char *buf, size_t cap)
{
	long code = 0;
	snprintf(buf, cap, "{\"client_msg_id\":\"%s%s", cmid, body_json_tail);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, buf);
	if (curl_easy_perform(h) != CURLE_OK)
		return 0;
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
	return code;
}

static void *sender_main(void *arg)
{
	struct sender *s = arg;
	CURL *h[2] = {curl_easy_init(), curl_easy_init()};
	struct curl_slist *hd = NULL;
	char url[512], auth[300], cmid[64], buf[2200];
	int64_t end = mono_ns() + (int64_t)(duration * 1e9);
	int node = s->idx % 2, k, i;

	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", s->token);
	hd = curl_slist_append(hd, auth);
	hd = curl_slist_append(hd, "Content-Type: application/json");
	hd = curl_slist_append(hd, "Expect:");
	for (i = 0; i < 2; i++) {
		snprintf(url, sizeof(url), "%s/v1/threads/%s/messages", urls[i], s->thread);
		curl_easy_setopt(h[i], CURLOPT_URL, url);
		curl_easy_setopt(h[i], CURLOPT_HTTPHEADER, hd);
		curl_easy_setopt(h[i], CURLOPT_WRITEFUNCTION, discard);
		curl_easy_setopt(h[i], CURLOPT_NOSIGNAL, 1L);
		curl_easy_setopt(h[i], CURLOPT_TCP_NODELAY, 1L);
		curl_easy_setopt(h[i], CURLOPT_TIMEOUT, 20L);
	}
	for (k = 0; mono_ns() < end; k++) {
		int tries;
		snprintf(cmid, sizeof(cmid), "K%llx_%d_%d", run_id, s->idx, k);
		for (tries = 0; tries < MAX_TRIES; tries++) {
			long code = post(h[node], cmid, buf, sizeof(buf));
			note(s, node, (int)code, k);
			if (code != 0 && code < 500)
				break;
			node = 1 - node; /* fail over for good, and send the same client_msg_id again */
		}
	}
	curl_easy_cleanup(h[0]);
	curl_easy_cleanup(h[1]);
	curl_slist_free_all(hd);
	return NULL;
}

int main(int argc, char **argv)
{
	FILE *f, *out;
	char ln[1024];
	unsigned char rnd[BODY_BYTES];
	char b64[(BODY_BYTES + 2) / 3 * 4 + 1];
	size_t attempts = 0, acked = 0, acked_node[2] = {0, 0}, failed = 0, given_up = 0, rejected = 0, i;
	int s, bad = 0;

	if (argc != 6) {
		fprintf(stderr, "usage: send_ack URL_A URL_B USERS_FILE DURATION_S OUTFILE\n");
		return 2;
	}
	urls[0] = argv[1];
	urls[1] = argv[2];
	duration = atof(argv[4]);
	if (duration <= 0) {
		fprintf(stderr, "send_ack: bad duration '%s'\n", argv[4]);
		return 2;
	}
	if ((f = fopen(argv[3], "r")) == NULL) {
		perror(argv[3]);
		return 2;
	}
	while (fgets(ln, sizeof(ln), f)) {
		char kind[4], name[64], uid[64], tok[256], ta[128], tb[128];
		int n = sscanf(ln, "%3s %63s %63s %255s %127s %127s", kind, name, uid, tok, ta, tb);
		if (n == 6 && strcmp(kind, "S") == 0 && nsenders < MAX_SENDERS) {
			struct sender *sd = &senders[nsenders];
			sd->idx = nsenders++;
			snprintf(sd->token, sizeof(sd->token), "%s", tok);
			snprintf(sd->thread, sizeof(sd->thread), "%s", ta);
		}
	}
	fclose(f);
	if (nsenders == 0) {
		fprintf(stderr, "send_ack: %s has no senders\n", argv[3]);
		return 2;
	}
	f = fopen("/dev/urandom", "rb");
	if (f == NULL || fread(rnd, 1, sizeof(rnd), f) != sizeof(rnd)) {
		fprintf(stderr, "send_ack: cannot read /dev/urandom\n");
		return 2;
	}
	fclose(f);
	b64url(rnd, sizeof(rnd), b64);
	snprintf(body_json_tail, sizeof(body_json_tail), "\",\"body\":\"%s\"}", b64);

	run_id = (long long)wall_ms();
	curl_global_init(CURL_GLOBAL_DEFAULT);
	for (s = 0; s < nsenders; s++)
		pthread_create(&senders[s].th, NULL, sender_main, &senders[s]);
	for (s = 0; s < nsenders; s++)
		pthread_join(senders[s].th, NULL);
	curl_global_cleanup();

	if ((out = fopen(argv[5], "w")) == NULL) {
		perror(argv[5]);
		return 2;
	}
	for (s = 0; s < nsenders; s++) {
		struct sender *sd = &senders[s];
		int last_k = -1, last_ok = 1;
		bad |= sd->failed;
		for (i = 0; i < sd->n; i++) {
			const struct attempt *a = &sd->log[i];
			int ok = a->status >= 200 && a->status < 300;
			fprintf(out, "%lld %c %d K%llx_%d_%d\n", (long long)a->t_ms, a->node ? 'B' : 'A', a->status, run_id, sd->idx,
				a->k);
			attempts++;
			if (a->k != last_k) { /* a new send: was the one before it given up? */
				given_up += !last_ok;
				last_k = a->k;
				last_ok = 0;
			}
			if (ok) {
				acked++;
				acked_node[a->node]++;
				last_ok = 1;
			} else if (a->status == 0 || a->status >= 500) {
				failed++;
			} else {
				rejected++;
				last_ok = 1; /* answered, not retried */
			}
		}
		given_up += !last_ok;
		free(sd->log);
	}
	if (fclose(out) != 0 || bad) {
		fprintf(stderr, "send_ack: could not write %s in full\n", argv[5]);
		return 2;
	}
	printf("ACKRESULT attempts=%zu acked=%zu acked_a=%zu acked_b=%zu failed_attempts=%zu given_up=%zu rejected=%zu\n",
	       attempts, acked, acked_node[0], acked_node[1], failed, given_up, rejected);
	return acked > 0 ? 0 : 1;
}
