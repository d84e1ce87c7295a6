/* The CLI reaches the protocol only through libpostern: including proto.h must fail. */
#include "proto.h"
