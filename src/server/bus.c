/*
 * bus.c — the bus's shared part and its in-process implementation (see bus.h): the notification text (encode,
 * parse and deliver; the limit events' text too) and the two calls the HTTP layer makes around a commit. The
 * in-process bus stages and sends nothing: with one node, bus_publish after the commit reaches every waiter
 * there is, and the node's limiters have counted every guess. Must not include an HTTP header.
 */
#include "bus.h"
#include "strnum.h"

#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "banned.h" /* last: bans footguns in this file only */

int bus_base_init(struct bus *b, const struct bus_impl *impl, const struct bus_subscriber *sub)
{
	unsigned char r[8];
	size_t i;

	b->impl = impl;
	b->sub = *sub;
	randombytes_buf(r, sizeof(r));
	for (i = 0; i < sizeof(r); i++)
		snprintf(b->node + 2 * i, sizeof(b->node) - 2 * i, "%02x", r[i]);
	snprintf(b->channel, sizeof(b->channel), "postern_events");
	return 0;
}

static void local_close(struct bus *b)
{
	free(b);
}

/* one node: nothing to stage with a transaction, no one to send a limit event to */
static const struct bus_impl local_impl = {"in-process", NULL, NULL, local_close};

struct bus *bus_local_new(const struct bus_subscriber *sub)
{
	struct bus *b = calloc(1, sizeof(*b));
	if (b == NULL || bus_base_init(b, &local_impl, sub) != 0) {
		free(b);
		return NULL;
	}
	return b;
}

enum srv_err bus_stage(struct bus *b, const struct store_ops *ops, struct store_conn *c, const struct bus_change *ch)
{
	return b->impl->stage ? b->impl->stage(b, ops, c, ch) : SRV_E_OK;
}

void bus_publish(struct bus *b, const struct bus_change *ch)
{
	if (ch->everyone) {
		b->sub.everyone(b->sub.arg);
		return;
	}
	if (ch->nusers > 0)
		b->sub.users(b->sub.arg, ch->users, ch->nusers);
	if (ch->nsessions > 0)
		b->sub.sessions_ended(b->sub.arg, ch->sessions_ended, ch->nsessions);
}

void bus_send_limit(struct bus *b, const struct bus_limit_event *ev)
{
	char text[BUS_LIMIT_TEXT_MAX];
	if (b->impl->send != NULL && bus_encode_limit(b->node, ev, text, sizeof(text)) > 0)
		b->impl->send(b, text);
}

void bus_close(struct bus *b)
{
	if (b)
		b->impl->close(b);
}

/* Append " <tag>id,id,..." to buf at *len; -1 when it would not fit (buf is then unusable). */
static int encode_ids(char *buf, size_t cap, size_t *len, char tag, const int64_t *ids, int n)
{
	int i, w;
	if (n <= 0)
		return 0;
	for (i = 0; i < n; i++) {
		w = snprintf(buf + *len, cap - *len, "%s%" PRId64, i == 0 ? (tag == 'u' ? " u" : " s") : ",", ids[i]);
		if (w < 0 || (size_t)w >= cap - *len)
			return -1;
		*len += (size_t)w;
	}
	return 0;
}

size_t bus_encode(const char *node, const struct bus_change *ch, char *buf, size_t cap)
{
	size_t len;
	int w;

	if (!ch->everyone && ch->nusers <= 0 && ch->nsessions <= 0)
		return 0;
	if (cap > BUS_PAYLOAD_MAX)
		cap = BUS_PAYLOAD_MAX;
	w = snprintf(buf, cap, "%s", node);
	len = w > 0 ? (size_t)w : 0;
	if (!ch->everyone && encode_ids(buf, cap, &len, 'u', ch->users, ch->nusers) == 0 &&
	    encode_ids(buf, cap, &len, 's', ch->sessions_ended, ch->nsessions) == 0)
		return len;
	w = snprintf(buf, cap, "%s *", node); /* everyone, or more ids than a notification carries */
	return w > 0 ? (size_t)w : 0;
}

size_t bus_encode_limit(const char *node, const struct bus_limit_event *ev, char *buf, size_t cap)
{
	char key[2 * BUS_LIMIT_KEY_LEN + 1];
	int w;

	if (ev->which < 0 || ev->which >= BUS_LIMIT_KINDS)
		return 0;
	sodium_bin2hex(key, sizeof(key), ev->key, BUS_LIMIT_KEY_LEN); /* lower case */
	w = snprintf(buf, cap, "%s l%d%c%s", node, ev->which, ev->clear ? '-' : '+', key);
	if (w < 0 || (size_t)w >= cap)
		return 0;
	return (size_t)w;
}

/* Parse the item after "l" of a limit event text ("0+" and 32 lowercase hex digits, to the end); -1 if bad. */
static int parse_limit(const char *s, struct bus_limit_event *ev)
{
	size_t i = 0, len = 0;

	memset(ev, 0, sizeof(*ev));
	if (s[0] < '0' || s[0] > '9' || (s[0] == '0' && s[1] >= '0' && s[1] <= '9'))
		return -1; /* a number without leading zeros */
	while (s[i] >= '0' && s[i] <= '9' && i < 2)
		ev->which = ev->which * 10 + (s[i++] - '0');
	if (ev->which >= BUS_LIMIT_KINDS || (s[i] != '+' && s[i] != '-'))
		return -1;
	ev->clear = s[i++] == '-';
	/* exactly the lower-case digits bus_encode_limit writes (sodium_hex2bin alone would take upper case too) */
	if (strspn(s + i, "0123456789abcdef") != 2 * BUS_LIMIT_KEY_LEN || s[i + 2 * BUS_LIMIT_KEY_LEN] != '\0')
		return -1;
	if (sodium_hex2bin(ev->key, BUS_LIMIT_KEY_LEN, s + i, 2 * BUS_LIMIT_KEY_LEN, NULL, &len, NULL) != 0)
		return -1;
	return len == BUS_LIMIT_KEY_LEN ? 0 : -1;
}

/* Parse "id,id,..." (s[0..n)) into a malloc'd array; -1 on a malformed list or OOM. */
static int parse_ids(const char *s, size_t n, int64_t **out, int *count)
{
	size_t i, start = 0;
	int k = 1, m = 0;
	int64_t *ids;

	for (i = 0; i < n; i++)
		k += s[i] == ',';
	ids = malloc((size_t)k * sizeof(*ids));
	if (ids == NULL)
		return -1;
	for (i = 0; i <= n; i++) {
		if (i < n && s[i] != ',')
			continue;
		if (strnum_parse_i64(s + start, i - start, 1, INT64_MAX, &ids[m]) != 0) {
			free(ids);
			return -1;
		}
		m++;
		start = i + 1;
	}
	*out = ids;
	*count = m;
	return 0;
}

int bus_deliver(const char *payload, const char *self_node, const struct bus_subscriber *sub)
{
	const char *p = strchr(payload, ' ');
	int64_t *users = NULL, *sessions = NULL;
	int nusers = 0, nsessions = 0, bad = 0;

	if (p == NULL) {
		sub->everyone(sub->arg);
		return 1;
	}
	if (self_node && (size_t)(p - payload) == strlen(self_node) && memcmp(payload, self_node, (size_t)(p - payload)) == 0)
		return 0;
	if (p[1] == 'l') { /* a limit event: the only item of its text */
		struct bus_limit_event ev;
		if (parse_limit(p + 2, &ev) != 0)
			sub->everyone(sub->arg);
		else if (sub->limit != NULL)
			sub->limit(sub->arg, &ev);
		return 1;
	}
	while (*p == ' ' && !bad) {
		const char *item = p + 1, *end = strchr(item, ' ');
		size_t n = end ? (size_t)(end - item) : strlen(item);
		if (n == 1 && item[0] == '*')
			bad = 1; /* everyone: the same answer as a text we cannot read */
		else if (n > 1 && item[0] == 'u' && users == NULL)
			bad = parse_ids(item + 1, n - 1, &users, &nusers) != 0;
		else if (n > 1 && item[0] == 's' && sessions == NULL)
			bad = parse_ids(item + 1, n - 1, &sessions, &nsessions) != 0;
		else
			bad = 1;
		p = item + n;
	}
	if (bad || *p != '\0' || (nusers == 0 && nsessions == 0))
		sub->everyone(sub->arg);
	else {
		if (nusers)
			sub->users(sub->arg, users, nusers);
		if (nsessions)
			sub->sessions_ended(sub->arg, sessions, nsessions);
	}
	free(users);
	free(sessions);
	return 1;
}
