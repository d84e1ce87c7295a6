/*
 * views.h — how domain rows look on the wire: one function per object, so every endpoint and every event
 * renders a thing the same way. Each returns a new json_t reference owned by the caller (NULL on OOM).
 */
#ifndef POSTERN_VIEWS_H
#define POSTERN_VIEWS_H

#include "req.h"
#include "store.h"

#include <jansson.h>

json_t *view_time(int64_t ms);
json_t *view_user(const char *public_id, const char *username);
json_t *view_device(const struct store_device *d);

/* Bytes as base64url text (a stored statement), or JSON null when b is NULL or n is 0. */
json_t *view_bytes(const unsigned char *b, size_t n);

/* An account's identity: {"user_id","username","id_pk","statement","created_at"}. */
json_t *view_identity(const struct store_identity *id, const char *user_public_id, const char *username);

/*
 * The identity of user as the key listings show it: view_identity, or JSON null when the account has none.
 * Returns SRV_E_OK with *out owned by the caller.
 */
enum srv_err view_identity_of(struct req *rq, const struct store_user *user, json_t **out);

/* The DEVICE_REVOKE statements of user, oldest first, as a JSON array of base64url strings. */
enum srv_err view_revocations(struct req *rq, int64_t user, json_t **out);

/*
 * Add to v (the view_device of app device d) what a person's client checks before encrypting to it:
 * "client_id", "grant_id", "authorisation" and "revocation" (statements or null).
 */
enum srv_err view_app_device(struct req *rq, const struct store_device *d, json_t *v);
json_t *view_message(const struct store_message *m);

/*
 * 1 when device d may read thread t as viewer sees it: every person's own device; a partner app's device
 * only in the app threads of its live grant, and for anyone but the person who granted it only after they
 * accepted the app. Honest clients encrypt to exactly these devices.
 */
int view_device_readable(struct req *rq, const struct store_thread *t, const struct store_device *d, int64_t viewer);

/* A thread's membership chain as its views carry it: {"length","head"} or JSON null (no chain). */
json_t *view_chain(const struct store_thread *t);

/*
 * The thread as rq's user sees it: kind, members, seqs and unread; with the device list when with_devices.
 * Reads members (and devices) through rq->ops. Returns SRV_E_OK with *out owned by the caller.
 */
enum srv_err view_thread(struct req *rq, const struct store_thread *t, int with_devices, json_t **out);

#endif
