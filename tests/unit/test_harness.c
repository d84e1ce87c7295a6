/*
 * test_harness.c — tests of the unit-test harness itself (unit.h): a passing case passes, a failed CHECK and a
 * crash fail their case alone, and — in a build with AddressSanitizer — a case that leaks fails as a leak.
 * Each runs a small inner suite through unit_run() with its output sent to /dev/null, and reads the result.
 * Without AddressSanitizer nothing can see a leak, so the leak case says so and checks only that the harness
 * still runs it; `make SANITIZE=address,undefined test` is where it bites.
 */
#include "unit.h"

#include <fcntl.h>

static void inner_passes(void)
{
	CHECK(1 + 1 == 2);
}

static void inner_check_fails(void)
{
	CHECK(1 + 1 == 3);
}

static void inner_crashes(void)
{
	raise(SIGSEGV);
}

/* the pointer is dropped on return: nothing can reach the block any more */
static void inner_leaks(void)
{
	char *volatile p = malloc(77);
	CHECK(p != NULL);
	p[0] = 'x';
	p = NULL;
}

/* a block still reachable from a global when the test ends is not a leak */
static char *volatile kept; /* volatile: the store must happen although nothing reads it */
static void inner_keeps(void)
{
	kept = malloc(77);
	CHECK(kept != NULL);
}

/* runs one inner case through the harness with stdout and stderr silenced; returns unit_run's result */
static int run_inner(const char *name, void (*fn)(void))
{
	const struct unit_case one[] = {{name, fn}};
	int saved_out, saved_err, devnull, rc;

	fflush(NULL);
	saved_out = dup(1);
	saved_err = dup(2);
	devnull = open("/dev/null", O_WRONLY);
	CHECK(saved_out >= 0 && saved_err >= 0 && devnull >= 0);
	dup2(devnull, 1);
	dup2(devnull, 2);
	rc = unit_run("inner", one, 1, 1, NULL);
	fflush(NULL);
	dup2(saved_out, 1);
	dup2(saved_err, 2);
	close(devnull);
	close(saved_out);
	close(saved_err);
	return rc;
}

static void test_pass_passes(void)
{
	CHECK_EQ_INT(run_inner("passes", inner_passes), 0);
}

static void test_check_fails(void)
{
	CHECK_EQ_INT(run_inner("check_fails", inner_check_fails), 1);
}

static void test_crash_fails(void)
{
	CHECK_EQ_INT(run_inner("crashes", inner_crashes), 1);
}

static void test_leak_fails(void)
{
	if (UNIT_LEAK_CHECKED)
		CHECK_EQ_INT(run_inner("leaks", inner_leaks), 1);
	else {
		fprintf(stderr, "  (no AddressSanitizer in this build: leaks are not checked; make SANITIZE=address test)\n");
		CHECK_EQ_INT(run_inner("leaks", inner_leaks), 0);
	}
}

static void test_reachable_is_no_leak(void)
{
	CHECK_EQ_INT(run_inner("keeps", inner_keeps), 0);
}

static const struct unit_case cases[] = {
	{"pass_passes", test_pass_passes},
	{"check_fails", test_check_fails},
	{"crash_fails", test_crash_fails},
	{"leak_fails", test_leak_fails},
	{"reachable_is_no_leak", test_reachable_is_no_leak},
};

UNIT_MAIN("harness", cases)
