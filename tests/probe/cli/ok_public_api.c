/* A CLI object may include the public API and banned.h: this must compile (the control of no_*.c). */
#include "postern/postern.h"

#include "banned.h"

int probe_cli_ok(void);
int probe_cli_ok(void)
{
	return PST_OK;
}
