/* The server does not use the client library's public API either: compiling this must fail. */
#include "postern/postern.h"
