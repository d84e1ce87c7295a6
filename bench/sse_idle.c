/*
 * sse_idle.c — server memory per idle SSE connection (libc only: raw sockets + epoll).
 *
 *   sse_idle PORT TOKEN COUNT SERVER_PID SETTLE_S
 *
 * Warms up with 20 SSE connections (opened, then closed), waits 1 s and reads the server's VmRSS from
 * /proc/SERVER_PID/status ("before"). Then opens COUNT connections to 127.0.0.1:PORT, each sending
 * GET /v1/events with "Authorization: Bearer TOKEN"; a connection counts as established once its
 * "HTTP/1.1 200" header block and the stream's first comment (": connected") arrived. With every connection
 * established it waits SETTLE_S seconds (still reading, to notice closes), reads VmRSS again ("after") and
 * prints (after - before) / established in KiB, and one machine-readable line:
 *   IDLERESULT wanted=N established=N failed=N closed_during_hold=N rss_before_kib=N rss_after_kib=N per_conn_kib=X
 * Raises its own RLIMIT_NOFILE to the hard limit; the server needs the same (bench/run.sh raises ulimit -n).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum { C_CONNECTING, C_WAITING, C_OPEN, C_DEAD };

struct conn {
	int fd;
	unsigned idx;
	int state;
	size_t sent;
	char hdr[1024];
	size_t hlen;
};

static int port;
static char request[1024];
static size_t request_len;
static int ep;

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static long vmrss_kib(int pid)
{
	char path[64], ln[256];
	long kib = -1;
	FILE *f;
	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	f = fopen(path, "r");
	if (f == NULL)
		return -1;
	while (fgets(ln, sizeof(ln), f))
		if (sscanf(ln, "VmRSS: %ld kB", &kib) == 1)
			break;
	fclose(f);
	return kib;
}

static int open_one(struct conn *c, int idx)
{
	struct sockaddr_in sa;
	struct epoll_event ev;
	int one = 1;
	memset(c, 0, sizeof(*c));
	c->idx = (unsigned)idx;
	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0) {
		c->state = C_DEAD;
		return -1;
	}
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((unsigned short)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 && errno != EINPROGRESS) {
		close(c->fd);
		c->state = C_DEAD;
		return -1;
	}
	c->state = C_CONNECTING;
	ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP;
	ev.data.u32 = (unsigned)idx;
	epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev);
	return 0;
}

static void kill_conn(struct conn *c)
{
	if (c->state == C_DEAD)
		return;
	epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	c->state = C_DEAD;
}

/* Handle readiness; returns 1 when the connection just became established, -1 when it just died. */
static int on_event(struct conn *c, unsigned events)
{
	char buf[4096];
	ssize_t n;
	if (c->state == C_DEAD)
		return 0;
	if (c->state == C_CONNECTING && (events & EPOLLOUT)) {
		n = send(c->fd, request + c->sent, request_len - c->sent, MSG_NOSIGNAL);
		if (n < 0 && errno != EAGAIN) {
			kill_conn(c);
			return -1;
		}
		if (n > 0)
			c->sent += (size_t)n;
		if (c->sent == request_len) { /* request sent: now only reading */
			struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP, .data.u32 = c->idx};
			c->state = C_WAITING;
			epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
		}
	}
	if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
		for (;;) {
			n = recv(c->fd, buf, sizeof(buf), 0);
			if (n > 0) {
				if (c->state == C_WAITING) {
					size_t take = (size_t)n;
					if (take > sizeof(c->hdr) - 1 - c->hlen)
						take = sizeof(c->hdr) - 1 - c->hlen;
					memcpy(c->hdr + c->hlen, buf, take);
					c->hlen += take;
					c->hdr[c->hlen] = '\0';
					if (strstr(c->hdr, "\r\n\r\n")) {
						if (strncmp(c->hdr, "HTTP/1.1 200", 12) != 0) {
							kill_conn(c);
							return -1;
						}
						if (strstr(c->hdr, ": connected")) {
							c->state = C_OPEN;
							return 1;
						}
					}
				}
				continue;
			}
			if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
				kill_conn(c);
				return -1;
			}
			break;
		}
	}
	return 0;
}

/* Open conns[0..n) (at most `inflight` connecting at once) and pump until all are open/dead or timeout. */
static int open_all(struct conn *conns, int n, int inflight, double timeout_s, int *failed)
{
	struct epoll_event evs[512];
	int next = 0, open = 0, pending = 0;
	double deadline = now_s() + timeout_s;
	*failed = 0;
	while ((open + *failed < n) && now_s() < deadline) {
		int k, m;
		while (next < n && pending < inflight) {
			if (open_one(&conns[next], next) == 0)
				pending++;
			else
				(*failed)++;
			next++;
		}
		m = epoll_wait(ep, evs, 512, 100);
		for (k = 0; k < m; k++) {
			struct conn *c = &conns[evs[k].data.u32];
			int was_pending = c->state == C_CONNECTING || c->state == C_WAITING;
			int r = on_event(c, evs[k].events);
			if (r == 1) {
				open++;
				pending--;
			} else if (r == -1) {
				if (was_pending) {
					(*failed)++;
					pending--;
				} else {
					open--;
					(*failed)++;
				}
			}
		}
	}
	return open;
}

/* Keep reading for `secs`; returns how many open connections closed meanwhile. */
static int hold(struct conn *conns, double secs)
{
	struct epoll_event evs[512];
	double end = now_s() + secs;
	int closed = 0;
	while (now_s() < end) {
		int k, m = epoll_wait(ep, evs, 512, 100);
		for (k = 0; k < m; k++) {
			struct conn *c = &conns[evs[k].data.u32];
			int was_open = c->state == C_OPEN;
			if (on_event(c, evs[k].events) == -1 && was_open)
				closed++;
		}
	}
	return closed;
}

int main(int argc, char **argv)
{
	struct rlimit rl;
	struct conn *conns, warm[20];
	int n, pid, i, wfailed, failed, open, closed;
	double settle;
	long before, after;

	if (argc != 6) {
		fprintf(stderr, "usage: sse_idle PORT TOKEN COUNT SERVER_PID SETTLE_S\n");
		return 2;
	}
	port = atoi(argv[1]);
	n = atoi(argv[3]);
	pid = atoi(argv[4]);
	settle = atof(argv[5]);
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
		getrlimit(RLIMIT_NOFILE, &rl);
	}
	if ((long)rl.rlim_cur < n + 64) {
		fprintf(stderr, "sse_idle: RLIMIT_NOFILE is %ld, need %d\n", (long)rl.rlim_cur, n + 64);
		return 1;
	}
	request_len = (size_t)snprintf(request, sizeof(request),
				       "GET /v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer %s\r\n"
				       "Accept: text/event-stream\r\n\r\n",
				       argv[2]);
	conns = calloc((size_t)n, sizeof(*conns));
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (conns == NULL || ep < 0)
		return 2;

	open = open_all(warm, 20, 20, 10, &wfailed);
	for (i = 0; i < 20; i++)
		kill_conn(&warm[i]);
	if (open != 20) {
		fprintf(stderr, "sse_idle: warm-up: only %d of 20 SSE connections opened\n", open);
		return 1;
	}
	hold(conns, 1.0);
	before = vmrss_kib(pid);

	open = open_all(conns, n, 256, 60, &failed);
	failed = n - open;
	printf("  %d of %d SSE connections established; holding them %.0f s\n", open, n, settle);
	fflush(stdout);
	closed = hold(conns, settle);
	after = vmrss_kib(pid);
	printf("  server VmRSS before %ld KiB, after %ld KiB\n", before, after);
	printf("IDLERESULT wanted=%d established=%d failed=%d closed_during_hold=%d rss_before_kib=%ld rss_after_kib=%ld "
	       "per_conn_kib=%.2f\n",
	       n, open, failed, closed, before, after, open > 0 ? (double)(after - before) / open : 0.0);
	for (i = 0; i < n; i++)
		kill_conn(&conns[i]);
	return open == n && closed == 0 && before > 0 && after > 0 ? 0 : 1;
}
