/*
 * sse_latency.c — SSE delivery latency of posternd at a fixed send rate (libcurl + pthreads).
 *
 *   sse_latency BASE_URL USERS_FILE RATE_PER_S DURATION_S [STREAM_BASE_URL]
 *
 * USERS_FILE is bench/setup.py's output. The sends go to BASE_URL and the stream is read from STREAM_BASE_URL
 * (default: BASE_URL); two nodes on one database give the cross-node delivery latency. The receiver recv_b holds GET /v1/events open on one thread. One
 * sender thread per sender user ("S" lines) posts 1 KiB messages (base64url of 1024 random bytes) into its
 * direct thread with recv_b, on a fixed open-loop schedule: together RATE_PER_S messages a second, sender i
 * sending at t0 + i/RATE + k*N/RATE (a late sender sends at once and does not catch up by bursting).
 * Each sender first sends one unmeasured warm-up message so its keep-alive connection is open.
 *
 * For each message: latency = time its message.created event arrived on the SSE stream (timestamp taken when
 * libcurl hands the bytes to the write callback) - time the POST's 2xx answer was received (when
 * curl_easy_perform returned). Both are CLOCK_MONOTONIC in this one process. Messages are matched by
 * client_msg_id ("L<sender>_<k>"). An event may arrive before the POST answer: its latency is negative and
 * is counted as such (and reported).
 *
 * Prints the distribution and one machine-readable line:
 *   LATRESULT sent=N ok2xx=N non2xx=N matched=N missing=N negative=N rate=R p50_ms=X p99_ms=X ...
 */
#define _GNU_SOURCE
#include <curl/curl.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_SENDERS 256
#define BODY_BYTES 1024

struct sender {
	int idx;
	char token[256];
	char thread[128];
	pthread_t th;
	int warm_status;
};

static const char *base, *stream_base;
static struct sender senders[MAX_SENDERS];
static int nsenders;
static char recv_token[256];
static double rate, duration;
static int per_sender; /* slots per sender */
static int64_t *t_resp, *t_evt, *t_post; /* ns; 0 = none */
static int *status;
static int64_t t0;
static atomic_int sse_connected, stop_sse;
static atomic_long events_seen, sse_bytes;
static int status_count[600];
static pthread_mutex_t status_lock = PTHREAD_MUTEX_INITIALIZER;
static char body_json_tail[2048]; /* "\",\"body\":\"...\"}" */

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void sleep_until(int64_t t)
{
	struct timespec ts = {.tv_sec = t / 1000000000LL, .tv_nsec = t % 1000000000LL};
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
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

/* ---- the SSE receiver ------------------------------------------------------------------------------- */

static char line[1 << 16];
static size_t line_len;

static void sse_line(const char *l, size_t n, int64_t t)
{
	static const char key[] = "\"client_msg_id\":\"L";
	const char *p;
	if (n >= 11 && memcmp(l, ": connected", 11) == 0)
		atomic_store(&sse_connected, 1);
	if (n < 6 || memcmp(l, "data:", 5) != 0)
		return;
	atomic_fetch_add(&events_seen, 1);
	p = memmem(l, n, key, sizeof(key) - 1);
	if (p) {
		int s, k;
		if (sscanf(p + sizeof(key) - 1, "%d_%d", &s, &k) == 2 && s >= 0 && s < nsenders && k >= 0 && k < per_sender) {
			size_t idx = (size_t)s * (size_t)per_sender + (size_t)k;
			if (t_evt[idx] == 0)
				t_evt[idx] = t;
		}
	}
}

static size_t sse_write(char *data, size_t sz, size_t nm, void *ud)
{
	int64_t t = now_ns();
	size_t n = sz * nm, i;
	(void)ud;
	atomic_fetch_add(&sse_bytes, (long)n);
	for (i = 0; i < n; i++) {
		char c = data[i];
		if (c == '\n') {
			sse_line(line, line_len, t);
			line_len = 0;
		} else if (line_len < sizeof(line) - 1) {
			line[line_len++] = c;
		}
	}
	return n;
}

static int sse_progress(void *p, curl_off_t a, curl_off_t b, curl_off_t c, curl_off_t d)
{
	(void)p, (void)a, (void)b, (void)c, (void)d;
	return atomic_load(&stop_sse) ? 1 : 0;
}

static long sse_http_code;

static void *sse_main(void *arg)
{
	CURL *h = curl_easy_init();
	struct curl_slist *hd = NULL;
	char url[512], auth[300];
	(void)arg;
	snprintf(url, sizeof(url), "%s/v1/events", stream_base);
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", recv_token);
	hd = curl_slist_append(hd, auth);
	hd = curl_slist_append(hd, "Accept: text/event-stream");
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hd);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, sse_write);
	curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, sse_progress);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);
	curl_easy_perform(h); /* returns when sse_progress aborts it (or the server ends the stream) */
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &sse_http_code);
	curl_slist_free_all(hd);
	curl_easy_cleanup(h);
	return NULL;
}

/* ---- the senders ------------------------------------------------------------------------------------ */

static size_t discard(char *d, size_t sz, size_t nm, void *ud)
{
	(void)d, (void)ud;
	return sz * nm;
}

/* POST one message on h with the request body built in buf (cap bytes, the caller's); the HTTP status, 0: none */
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

static void count_status(long code)
{
	pthread_mutex_lock(&status_lock);
	status_count[code >= 0 && code < 600 ? code : 0]++;
	pthread_mutex_unlock(&status_lock);
}

static void *sender_main(void *arg)
{
	struct sender *s = arg;
	CURL *h = curl_easy_init();
	struct curl_slist *hd = NULL;
	char url[512], auth[300], cmid[64], buf[2200];
	int64_t interval = (int64_t)(1e9 * nsenders / rate), end = t0 + (int64_t)(duration * 1e9);
	int k;

	snprintf(url, sizeof(url), "%s/v1/threads/%s/messages", base, s->thread);
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", s->token);
	hd = curl_slist_append(hd, auth);
	hd = curl_slist_append(hd, "Content-Type: application/json");
	hd = curl_slist_append(hd, "Expect:");
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hd);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);

	snprintf(cmid, sizeof(cmid), "W%d_%lld", s->idx, (long long)now_ns());
	s->warm_status = (int)post(h, cmid, buf, sizeof(buf)); /* opens the keep-alive connection */

	for (k = 0; k < per_sender; k++) {
		int64_t at = t0 + (int64_t)((double)s->idx * 1e9 / rate) + (int64_t)k * interval;
		size_t idx = (size_t)s->idx * (size_t)per_sender + (size_t)k;
		long code;
		if (at >= end)
			break;
		sleep_until(at);
		snprintf(cmid, sizeof(cmid), "L%d_%d", s->idx, k);
		t_post[idx] = now_ns();
		code = post(h, cmid, buf, sizeof(buf));
		status[idx] = (int)code;
		if (code >= 200 && code < 300)
			t_resp[idx] = now_ns();
		count_status(code);
	}
	curl_slist_free_all(hd);
	curl_easy_cleanup(h);
	return NULL;
}

/* ---- main ------------------------------------------------------------------------------------------- */

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

static double pct(const int64_t *v, size_t n, double p) /* nearest rank, in ms */
{
	size_t r;
	if (n == 0)
		return NAN;
	r = (size_t)ceil(p / 100.0 * (double)n);
	if (r < 1)
		r = 1;
	if (r > n)
		r = n;
	return (double)v[r - 1] / 1e6;
}

int main(int argc, char **argv)
{
	FILE *f;
	char ln[1024];
	pthread_t sse;
	unsigned char rnd[BODY_BYTES];
	char b64[(BODY_BYTES + 2) / 3 * 4 + 1];
	size_t slots, i, nlat = 0, npost = 0;
	int64_t *lat, *plat, t_wait;
	size_t sent = 0, ok = 0, matched = 0, negative = 0;
	int s;

	if (argc != 5 && argc != 6) {
		fprintf(stderr, "usage: sse_latency BASE_URL USERS_FILE RATE_PER_S DURATION_S [STREAM_BASE_URL]\n");
		return 2;
	}
	base = argv[1];
	stream_base = argc == 6 ? argv[5] : base;
	rate = atof(argv[3]);
	duration = atof(argv[4]);
	if (rate <= 0 || duration <= 0) {
		fprintf(stderr, "sse_latency: bad rate or duration\n");
		return 2;
	}
	f = fopen(argv[2], "r");
	if (f == NULL) {
		perror(argv[2]);
		return 2;
	}
	while (fgets(ln, sizeof(ln), f)) {
		char kind[4], name[64], uid[64], tok[256], ta[128], tb[128];
		int n = sscanf(ln, "%3s %63s %63s %255s %127s %127s", kind, name, uid, tok, ta, tb);
		if (n >= 4 && strcmp(kind, "R") == 0 && strcmp(name, "recv_b") == 0)
			snprintf(recv_token, sizeof(recv_token), "%s", tok);
		else if (n == 6 && strcmp(kind, "S") == 0 && nsenders < MAX_SENDERS) {
			struct sender *sd = &senders[nsenders];
			sd->idx = nsenders++;
			snprintf(sd->token, sizeof(sd->token), "%s", tok);
			snprintf(sd->thread, sizeof(sd->thread), "%s", tb);
		}
	}
	fclose(f);
	if (nsenders == 0 || recv_token[0] == '\0') {
		fprintf(stderr, "sse_latency: %s has no recv_b or no senders\n", argv[2]);
		return 2;
	}
	f = fopen("/dev/urandom", "rb");
	if (f == NULL || fread(rnd, 1, sizeof(rnd), f) != sizeof(rnd)) {
		fprintf(stderr, "sse_latency: cannot read /dev/urandom\n");
		return 2;
	}
	fclose(f);
	b64url(rnd, sizeof(rnd), b64);
	snprintf(body_json_tail, sizeof(body_json_tail), "\",\"body\":\"%s\"}", b64);

	per_sender = (int)ceil(rate * duration / nsenders) + 1;
	slots = (size_t)nsenders * (size_t)per_sender;
	t_resp = calloc(slots, sizeof(*t_resp));
	t_evt = calloc(slots, sizeof(*t_evt));
	t_post = calloc(slots, sizeof(*t_post));
	status = calloc(slots, sizeof(*status));
	lat = calloc(slots, sizeof(*lat));
	plat = calloc(slots, sizeof(*plat));
	if (!t_resp || !t_evt || !t_post || !status || !lat || !plat)
		return 2;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	pthread_create(&sse, NULL, sse_main, NULL);
	t_wait = now_ns() + 5000000000LL;
	while (!atomic_load(&sse_connected) && now_ns() < t_wait)
		sleep_until(now_ns() + 1000000);
	if (!atomic_load(&sse_connected)) {
		fprintf(stderr, "sse_latency: the SSE stream did not open\n");
		atomic_store(&stop_sse, 1);
		pthread_join(sse, NULL);
		return 1;
	}
	t0 = now_ns() + 1000000000LL; /* warm-up sends happen in this second */
	for (s = 0; s < nsenders; s++)
		pthread_create(&senders[s].th, NULL, sender_main, &senders[s]);
	for (s = 0; s < nsenders; s++)
		pthread_join(senders[s].th, NULL);

	/* let the last events arrive (at most 3 s) */
	t_wait = now_ns() + 3000000000LL;
	for (;;) {
		size_t want = 0, got = 0;
		for (i = 0; i < slots; i++) {
			want += t_resp[i] != 0;
			got += t_resp[i] != 0 && t_evt[i] != 0;
		}
		if (got == want || now_ns() > t_wait)
			break;
		sleep_until(now_ns() + 20000000);
	}
	atomic_store(&stop_sse, 1);
	pthread_join(sse, NULL);

	for (i = 0; i < slots; i++) {
		if (t_post[i] == 0)
			continue;
		sent++;
		if (t_resp[i] == 0)
			continue;
		ok++;
		plat[npost++] = t_resp[i] - t_post[i];
		if (t_evt[i] == 0)
			continue;
		matched++;
		lat[nlat] = t_evt[i] - t_resp[i];
		if (lat[nlat] < 0)
			negative++;
		nlat++;
	}
	qsort(lat, nlat, sizeof(*lat), cmp_i64);
	qsort(plat, npost, sizeof(*plat), cmp_i64);
	printf("  senders %d, target rate %.1f msg/s for %.1f s; SSE stream HTTP %ld, %ld events, %ld bytes\n", nsenders,
	       rate, duration, sse_http_code, atomic_load(&events_seen), atomic_load(&sse_bytes));
	for (s = 0; s < 600; s++)
		if (status_count[s])
			printf("  POST answers HTTP %d: %d%s\n", s, status_count[s], s == 0 ? " (transport error)" : "");
	printf("  POST->2xx   p50 %.3f ms  p99 %.3f ms  max %.3f ms\n", pct(plat, npost, 50), pct(plat, npost, 99),
	       pct(plat, npost, 100));
	printf("  2xx->event  p50 %.3f ms  p90 %.3f ms  p99 %.3f ms  p99.9 %.3f ms  max %.3f ms  min %.3f ms\n",
	       pct(lat, nlat, 50), pct(lat, nlat, 90), pct(lat, nlat, 99), pct(lat, nlat, 99.9), pct(lat, nlat, 100),
	       nlat ? (double)lat[0] / 1e6 : NAN);
	printf("LATRESULT sent=%zu ok2xx=%zu non2xx=%zu matched=%zu missing=%zu negative=%zu rate=%.1f "
	       "p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f p999_ms=%.3f max_ms=%.3f post_p50_ms=%.3f post_p99_ms=%.3f\n",
	       sent, ok, sent - ok, matched, ok - matched, negative, (double)sent / duration, pct(lat, nlat, 50),
	       pct(lat, nlat, 90), pct(lat, nlat, 99), pct(lat, nlat, 99.9), pct(lat, nlat, 100), pct(plat, npost, 50),
	       pct(plat, npost, 99));
	curl_global_cleanup();
	free(t_resp);
	free(t_evt);
	free(t_post);
	free(status);
	free(lat);
	free(plat);
	return matched > 0 ? 0 : 1;
}
