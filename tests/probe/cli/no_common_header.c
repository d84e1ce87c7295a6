/* The CLI uses only the public API, not the generic helpers libpostern keeps local: this must fail. */
#include "b64url.h"
