/* A library object sees its own internals, the protocol and the helpers: this must compile. */
#include "client_int.h"
#include "proto.h"
#include "b64url.h"

#include "banned.h"

int probe_lib_ok(void);
int probe_lib_ok(void)
{
	return PST_OK;
}
