/*
 * limiter.c — counts of events per key within a window (see limiter.h): a fixed table of LIMITER_SLOTS
 * entries in groups of LIMITER_WAYS. A key's group comes from a keyed hash (the key is random per limiter),
 * within it the entry holding the key's 16-byte digest is used, else a free or expired one, else the one
 * whose window started first.
 */
#include "limiter.h"

#include "timefmt.h"

#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "banned.h" /* last: bans footguns in this file only */

#define LIMITER_SLOTS 4096
#define LIMITER_WAYS 8

struct limiter_entry {
	unsigned char key[16];
	int64_t window_start;
	int64_t count;
};

struct limiter {
	int64_t limit, window_ms;
	pthread_mutex_t lock;
	unsigned char hash_key[crypto_generichash_KEYBYTES];
	struct limiter_entry e[LIMITER_SLOTS];
};

struct limiter *limiter_new(int64_t limit, int64_t window_ms)
{
	struct limiter *l = calloc(1, sizeof(*l));
	if (l == NULL)
		return NULL;
	l->limit = limit;
	l->window_ms = window_ms;
	pthread_mutex_init(&l->lock, NULL);
	randombytes_buf(l->hash_key, sizeof(l->hash_key));
	return l;
}

void limiter_free(struct limiter *l)
{
	if (l == NULL)
		return;
	pthread_mutex_destroy(&l->lock);
	free(l);
}

static void key_of(const struct limiter *l, const void *text, size_t len, unsigned char key[16], unsigned *group)
{
	unsigned char h[crypto_generichash_BYTES];
	crypto_generichash(h, sizeof(h), text, len, l->hash_key, sizeof(l->hash_key));
	memcpy(key, h, 16);
	*group = (((unsigned)h[16] | (unsigned)h[17] << 8) % (LIMITER_SLOTS / LIMITER_WAYS)) * LIMITER_WAYS;
}

/* The entry of key in its group (-1 when absent and !create). Caller holds l->lock. */
static int find(struct limiter *l, const unsigned char key[16], unsigned group, int64_t now, int create)
{
	int i, victim = -1;
	for (i = 0; i < LIMITER_WAYS; i++)
		if (memcmp(l->e[group + (unsigned)i].key, key, 16) == 0)
			return (int)group + i;
	if (!create)
		return -1;
	for (i = 0; i < LIMITER_WAYS; i++) {
		int j = (int)group + i;
		if (l->e[j].count == 0 || now - l->e[j].window_start >= l->window_ms)
			return j; /* free, or its window is over */
		if (victim < 0 || l->e[j].window_start < l->e[victim].window_start)
			victim = j;
	}
	return victim;
}

int limiter_check(struct limiter *l, const void *text, size_t len, int *retry_after)
{
	unsigned char key[16];
	unsigned group;
	int64_t now = timefmt_mono_ms();
	int i, rc = 0;

	key_of(l, text, len, key, &group);
	pthread_mutex_lock(&l->lock);
	i = find(l, key, group, now, 0);
	if (i >= 0 && now - l->e[i].window_start < l->window_ms && l->e[i].count >= l->limit) {
		*retry_after = (int)((l->window_ms - (now - l->e[i].window_start)) / 1000) + 1;
		rc = -1;
	}
	pthread_mutex_unlock(&l->lock);
	return rc;
}

void limiter_hit(struct limiter *l, const void *text, size_t len)
{
	unsigned char key[16];
	unsigned group;
	int64_t now = timefmt_mono_ms();
	int i;

	key_of(l, text, len, key, &group);
	pthread_mutex_lock(&l->lock);
	i = find(l, key, group, now, 1);
	if (memcmp(l->e[i].key, key, 16) != 0 || now - l->e[i].window_start >= l->window_ms) {
		memcpy(l->e[i].key, key, 16);
		l->e[i].window_start = now;
		l->e[i].count = 0;
	}
	l->e[i].count++;
	pthread_mutex_unlock(&l->lock);
}

void limiter_clear(struct limiter *l, const void *text, size_t len)
{
	unsigned char key[16];
	unsigned group;
	int i;

	key_of(l, text, len, key, &group);
	pthread_mutex_lock(&l->lock);
	i = find(l, key, group, 0, 0);
	if (i >= 0)
		l->e[i].count = 0;
	pthread_mutex_unlock(&l->lock);
}
