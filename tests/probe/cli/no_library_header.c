/* A CLI object must not see libpostern's internals: compiling this must fail ("client_int.h" not found). */
#include "client_int.h"
