/*
 * bus.h — how a committed write reaches the waiters of every node: the ids of what changed (users whose event
 * log grew, users whose sessions ended, or "everyone"), never a message body. The hub (hub.c) and the streams
 * (push.c) are the subscriber; the HTTP layer publishes what each write changed.
 *
 * Two implementations behind one struct of functions:
 *   - in-process (bus.c): one node. bus_publish delivers to this node's subscriber after the commit; nothing
 *     travels with the transaction.
 *   - PostgreSQL LISTEN/NOTIFY (bus_pg.c): several nodes on one database. bus_stage, called inside the writer's
 *     transaction, adds a NOTIFY to it (store_ops.bus_notify), which PostgreSQL delivers to every listening node
 *     only if and when that transaction commits; bus_pg's own connection LISTENs and hands what arrives to the
 *     subscriber. The node that wrote is woken by bus_publish at once and skips its own notification.
 *
 * A notification's text (bus_encode) is bounded by BUS_PAYLOAD_MAX: a write that changed more ids than fit is
 * sent as "everyone" (every waiter re-reads and finds nothing new or its events), like req.c's REQ_MAX_NOTIFY.
 * A listener that lost its connection, or read a text it cannot parse, also wakes everyone: a spurious wake-up
 * costs one read, a lost one a stalled stream. Knows nothing of HTTP; of the storage layer, only bus_notify.
 *
 * The bus also carries the guessing limits' counts between nodes (a limit event: which limit, hit or clear,
 * and a digest of the key), which belong to no transaction: a refused guess must not cost a durable write.
 * bus_send_limit queues one from any thread; bus_pg sends it on its own connection, and nodes that miss it
 * (not listening at that moment) simply count less. The in-process bus sends nothing: one node has no one
 * to tell. A limit event is never "everyone" and wakes no waiter.
 */
#ifndef POSTERN_BUS_H
#define POSTERN_BUS_H

#include "error.h"
#include "store.h"

#include <stddef.h>
#include <stdint.h>

/* PostgreSQL refuses a NOTIFY payload of 8000 bytes or more; the text with its NUL stays below that. */
#define BUS_PAYLOAD_MAX 7900

/* What one committed write changed, as the waiters of any node care: ids only (all borrowed). */
struct bus_change {
	const int64_t *users;          /* event logs that grew; their waiters re-read (an app's also re-checks its grant) */
	int nusers;
	const int64_t *sessions_ended; /* users some of whose sessions ended: their streams look their session up */
	int nsessions;
	int everyone;                  /* wake every waiter (too many ids to name) */
};

/* The bytes of a limit event's key: a keyed digest of a username or address, never the text (auth.c). */
#define BUS_LIMIT_KEY_LEN 16
/* Limits are numbered 0 .. BUS_LIMIT_KINDS - 1 (the subscriber's numbering: auth.h enum auth_limit). */
#define BUS_LIMIT_KINDS 16
/* The longest limit event text with its NUL: "NODE l15+" and 32 hex digits (bus_encode_limit). */
#define BUS_LIMIT_TEXT_MAX 64

/* One count of a guessing limit made on some node, for the others to count too. */
struct bus_limit_event {
	int which;                              /* which limit, 0 .. BUS_LIMIT_KINDS - 1 */
	int clear;                              /* 1: forget the key's count (a successful login); 0: count one */
	unsigned char key[BUS_LIMIT_KEY_LEN];   /* the key's digest */
};

/*
 * Where deliveries go. Each function may run on any thread (a writer thread after its commit, or bus_pg's
 * listener thread) and must only queue work or take a short lock. arg is passed back unchanged. limit
 * receives other nodes' limit events (ev borrowed for the call); NULL ignores them.
 */
struct bus_subscriber {
	void (*users)(void *arg, const int64_t *users, int n);
	void (*sessions_ended)(void *arg, const int64_t *users, int n);
	void (*everyone)(void *arg);
	void (*limit)(void *arg, const struct bus_limit_event *ev);
	void *arg;
};

struct bus;

/*
 * One implementation. stage may be NULL (nothing travels with the transaction); send may be NULL (nothing is
 * sent outside a transaction). send queues text (at most BUS_LIMIT_TEXT_MAX bytes with its NUL, copied) from
 * any thread and must not wait for the network.
 */
struct bus_impl {
	const char *name;
	enum srv_err (*stage)(struct bus *b, const struct store_ops *ops, struct store_conn *c, const struct bus_change *ch);
	void (*send)(struct bus *b, const char *text);
	void (*close)(struct bus *b);
};

/* The part every implementation shares (an implementation's own struct starts with it). */
struct bus {
	const struct bus_impl *impl;
	struct bus_subscriber sub;
	char node[24];    /* this node's random name: its own notifications come back to it and are skipped */
	char channel[64]; /* the LISTEN/NOTIFY channel */
};

/*
 * The in-process bus (one node): deliveries go to *sub (copied). Returns NULL on OOM; released with bus_close.
 * Needs sodium_init() first (the node name is random).
 */
struct bus *bus_local_new(const struct bus_subscriber *sub);

/*
 * The PostgreSQL bus (bus_pg.c): a thread of its own with its own libpq connection to conninfo (copied) LISTENs
 * on b->channel and hands each notification of another node to *sub (copied); a lost connection is made again
 * every second, and each time it LISTENs again everyone is woken (notifications sent meanwhile are lost).
 * Returns NULL on OOM or when the thread cannot start (a database that cannot be reached is not an error: it
 * keeps trying). Released with bus_close. Needs sodium_init() first.
 */
struct bus *bus_pg_new(const char *conninfo, const struct bus_subscriber *sub);

/* Wait until a bus_pg_new bus LISTENs (at most timeout_ms): 0 when it does, -1 if not (yet). For tests. */
int bus_pg_wait_listening(struct bus *b, int timeout_ms);

/*
 * How many texts a bus_pg_new bus has queued for sending outside a transaction (bus_send_limit), sent, and
 * dropped (the oldest, when BUS_PG_SEND_QUEUE texts waited already, or in flight when the connection was
 * lost). Returns 0, or -1 when b is not a PostgreSQL bus. Any thread.
 */
#define BUS_PG_SEND_QUEUE 512
int bus_pg_send_counts(struct bus *b, uint64_t *queued, uint64_t *sent, uint64_t *dropped);

/*
 * Inside the writer's transaction on c, after the write succeeded and before its commit: send ch to the other
 * nodes with the transaction. SRV_E_OK (also when there is nothing to send or this bus sends nothing), or the
 * storage error of bus_notify (the write should then fail: its commit would not be announced). Writer thread.
 */
enum srv_err bus_stage(struct bus *b, const struct store_ops *ops, struct store_conn *c, const struct bus_change *ch);

/* After the commit of a write that changed ch: wake this node's waiters (others got bus_stage's notice). */
void bus_publish(struct bus *b, const struct bus_change *ch);

/*
 * Tell the other nodes of a limit event this node has applied to itself already (ev borrowed). Queues it and
 * returns at once: no transaction, no waiting for the database; the in-process bus does nothing. An event
 * whose which is out of range is not sent. Any thread.
 */
void bus_send_limit(struct bus *b, const struct bus_limit_event *ev);

/* Stop the bus (bus_pg: its listener thread and connection) and free it. NULL is ignored. */
void bus_close(struct bus *b);

/*
 * The notification text of ch from node: "NODE u1,2 s3" (users, sessions-ended), or "NODE *" when ch->everyone
 * or when the ids would not fit in BUS_PAYLOAD_MAX. Writes a NUL-terminated text to buf (cap >= 64 bytes) and
 * returns its length, or 0 when ch changed nothing (no notification is needed).
 */
size_t bus_encode(const char *node, const struct bus_change *ch, char *buf, size_t cap);

/*
 * The text of limit event ev from node: "NODE l<which><+ or -><key in 32 hex digits>", e.g. "n1 l0+00ff...".
 * Writes a NUL-terminated text to buf and returns its length, or 0 when it would not fit in cap (at least
 * BUS_LIMIT_TEXT_MAX is always enough for a node name from bus_base_init) or ev->which is out of range.
 */
size_t bus_encode_limit(const char *node, const struct bus_limit_event *ev, char *buf, size_t cap);

/*
 * Deliver notification text payload to sub, unless it is self_node's own (self_node may be NULL: deliver all).
 * A limit event goes to sub->limit (if any) and wakes nobody. A text that does not parse, a limit event's
 * included, wakes everyone (it may have been a wake-up) and counts nothing. Returns 1 when delivered, 0 when
 * skipped as our own.
 */
int bus_deliver(const char *payload, const char *self_node, const struct bus_subscriber *sub);

/* Set up the shared part of b (impl, subscriber copy, random node name, channel "postern_events"). Returns 0,
 * -1 when sodium has no randomness. For implementations. */
int bus_base_init(struct bus *b, const struct bus_impl *impl, const struct bus_subscriber *sub);

#endif
