/*
 * events.h — appending to users' event logs (the domain side of sync). Every state change a user should
 * hear about is one call here, inside the same transaction as the change, so an event exists exactly when
 * its change does. The users are woken after the commit (req_notify).
 */
#ifndef POSTERN_EVENTS_H
#define POSTERN_EVENTS_H

#include "req.h"

#include <jansson.h>

/*
 * Append an event of type for user (device_id: a to_device target, else 0; ref_id: the message row for
 * message.created, else 0). data is a JSON object; this function takes the reference. Returns SRV_E_OK or
 * SRV_E_STORAGE / SRV_E_INTERNAL.
 */
enum srv_err events_emit(struct req *rq, int64_t user, int64_t device_id, const char *type, int64_t ref_id, json_t *data);

/* The same event for every current member of thread_id. Takes the reference to data. */
enum srv_err events_emit_members(struct req *rq, int64_t thread_id, const char *type, int64_t ref_id, json_t *data);



/*
 * The same event for rq's user and everyone who may need their keys: friends and thread co-members
 * (device.added / device.removed). Takes the reference to data.
 */
enum srv_err events_emit_contacts(struct req *rq, const char *type, json_t *data);
#endif
