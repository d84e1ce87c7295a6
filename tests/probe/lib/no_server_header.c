/* The client library must not see the server's headers: compiling this must fail ("store.h" not found). */
#include "store.h"
