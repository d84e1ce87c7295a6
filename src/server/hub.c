/*
 * hub.c — waiter registry (see hub.h). A fixed array of buckets, each a doubly linked list and a version
 * counter, under one mutex: a notify touches a handful of buckets and wake functions only queue work, so
 * the lock is held for microseconds.
 */
#include "hub.h"

#include <pthread.h>
#include <stdlib.h>

#include "banned.h" /* last: bans footguns in this file only */

#define HUB_BUCKETS 4096

static struct {
	pthread_mutex_t lock;
	struct hub_waiter *head[HUB_BUCKETS];
	uint64_t version[HUB_BUCKETS];
} hub;

static unsigned bucket_of(int64_t user)
{
	uint64_t x = (uint64_t)user * 0x9E3779B97F4A7C15ull;
	return (unsigned)(x >> 52) & (HUB_BUCKETS - 1);
}

int hub_init(void)
{
	pthread_mutex_init(&hub.lock, NULL);
	return 0;
}

void hub_release(void)
{
	pthread_mutex_destroy(&hub.lock);
}

uint64_t hub_version(int64_t user_id)
{
	uint64_t v;
	pthread_mutex_lock(&hub.lock);
	v = hub.version[bucket_of(user_id)];
	pthread_mutex_unlock(&hub.lock);
	return v;
}

void hub_register(struct hub_waiter *w, uint64_t seen_version)
{
	unsigned b = bucket_of(w->user_id);
	pthread_mutex_lock(&hub.lock);
	if (!w->registered) {
		w->prev = NULL;
		w->next = hub.head[b];
		if (w->next)
			w->next->prev = w;
		hub.head[b] = w;
		w->registered = 1;
	}
	if (hub.version[b] != seen_version)
		w->wake(w);
	pthread_mutex_unlock(&hub.lock);
}

void hub_unregister(struct hub_waiter *w)
{
	unsigned b = bucket_of(w->user_id);
	pthread_mutex_lock(&hub.lock);
	if (w->registered) {
		if (w->prev)
			w->prev->next = w->next;
		else
			hub.head[b] = w->next;
		if (w->next)
			w->next->prev = w->prev;
		w->registered = 0;
		w->next = w->prev = NULL;
	}
	pthread_mutex_unlock(&hub.lock);
}

void hub_notify(const int64_t *users, int n)
{
	int i;
	pthread_mutex_lock(&hub.lock);
	for (i = 0; i < n; i++) {
		unsigned b = bucket_of(users[i]);
		struct hub_waiter *w, *next;
		hub.version[b]++;
		for (w = hub.head[b]; w; w = next) {
			next = w->next;
			if (w->user_id == users[i])
				w->wake(w);
		}
	}
	pthread_mutex_unlock(&hub.lock);
}

void hub_notify_all(void)
{
	unsigned b;
	pthread_mutex_lock(&hub.lock);
	for (b = 0; b < HUB_BUCKETS; b++) {
		struct hub_waiter *w, *next;
		hub.version[b]++;
		for (w = hub.head[b]; w; w = next) {
			next = w->next;
			w->wake(w);
		}
	}
	pthread_mutex_unlock(&hub.lock);
}
