/* A server object sees the server, the protocol and the helpers: this must compile. */
#include "store.h"
#include "proto.h"
#include "b64url.h"

#include "banned.h"

int probe_server_ok(void);
int probe_server_ok(void)
{
	return SRV_E_OK;
}
