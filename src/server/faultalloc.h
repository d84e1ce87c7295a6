/*
 * faultalloc.h — fault injection for tests: make every Nth allocation of jansson and SQLite fail, so the
 * tests can check that posternd answers 5xx (or a clean error) and keeps serving when memory runs out in
 * the middle of a request (the idea of curl's torture tests and SQLite's faultsim). Off unless
 * POSTERN_FAIL_ALLOC_EVERY=N is set in the environment (then about one allocation in N fails, from a
 * seeded generator); never set it in production.
 */
#ifndef POSTERN_FAULTALLOC_H
#define POSTERN_FAULTALLOC_H

/* Read POSTERN_FAIL_ALLOC_EVERY and install the failing allocators (not failing yet). Call before any
 * jansson or SQLite use. Returns N (0: off). */
int faultalloc_init(void);

/* Start failing: called once the server is up, so that start-up itself is not what is tested. */
void faultalloc_arm(void);

#endif
