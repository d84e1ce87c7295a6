/* faultalloc.c — failing allocators for jansson and SQLite under test (see faultalloc.h). */
#include "faultalloc.h"

#include "strnum.h"

#include <jansson.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "banned.h" /* last: bans footguns in this file only */

static int64_t every;
static atomic_ullong rng = 0x9E3779B97F4A7C15ull; /* a fixed seed: a run can be repeated */
static atomic_int armed;

/*
 * 1 when this allocation is to fail: with probability 1/N, from a xorshift generator. Not "every Nth"
 * exactly: an operation that always makes more than N allocations (parsing SQLite's schema) would then
 * fail every time, which tests nothing.
 */
static int fail_now(void)
{
	unsigned long long x, nx;
	if (every <= 0 || !atomic_load(&armed))
		return 0;
	x = atomic_load(&rng);
	do {
		nx = x ^ (x << 13);
		nx ^= nx >> 7;
		nx ^= nx << 17;
	} while (!atomic_compare_exchange_weak(&rng, &x, nx));
	return nx % (unsigned long long)every == 0;
}

void faultalloc_arm(void)
{
	atomic_store(&armed, 1);
}

static void *json_fail_malloc(size_t n)
{
	return fail_now() ? NULL : malloc(n);
}

/* SQLite's allocator methods: sizes are kept in a header so xSize works. */
static void *sq_malloc(int n)
{
	int64_t *p;
	if (fail_now())
		return NULL;
	p = malloc((size_t)n + 8);
	if (p == NULL)
		return NULL;
	p[0] = n;
	return p + 1;
}

static void sq_free(void *p)
{
	if (p)
		free((int64_t *)p - 1);
}

static int sq_size(void *p)
{
	return p ? (int)((int64_t *)p)[-1] : 0;
}

static void *sq_realloc(void *p, int n)
{
	int64_t *np;
	if (p == NULL)
		return sq_malloc(n);
	if (fail_now())
		return NULL;
	np = realloc((int64_t *)p - 1, (size_t)n + 8);
	if (np == NULL)
		return NULL;
	np[0] = n;
	return np + 1;
}

static int sq_roundup(int n) { return (n + 7) & ~7; }
static int sq_init(void *arg) { (void)arg; return SQLITE_OK; }
static void sq_shutdown(void *arg) { (void)arg; }

int faultalloc_init(void)
{
	static const sqlite3_mem_methods methods = {sq_malloc, sq_free, sq_realloc, sq_size, sq_roundup, sq_init, sq_shutdown, NULL};
	const char *v = getenv("POSTERN_FAIL_ALLOC_EVERY");
	if (v == NULL || strnum_parse_cstr(v, 2, 1000000000, &every) != 0) {
		every = 0;
		return 0;
	}
	json_set_alloc_funcs(json_fail_malloc, free);
	sqlite3_config(SQLITE_CONFIG_MALLOC, &methods);
	return (int)every;
}
