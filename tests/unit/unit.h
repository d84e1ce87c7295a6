/*
 * unit.h — the unit-test harness: each test runs in a forked child with a 20 s alarm, so a crash, a hang
 * or a failed check fails that test alone. A suite ends with "unit SUITE: N passed, N failed".
 * Run one test: ./build/tests/test_x NAME.
 *
 * Leaks: built with AddressSanitizer (make SANITIZE=address,...), the child runs LeakSanitizer once its test
 * has returned and fails the test when anything it allocated is unreachable (reported as "leak"). The child
 * then leaves with _exit(), so LeakSanitizer's own exit-time check does not report the same leak twice and
 * atexit handlers copied from the parent do not run. A failed CHECK ends the child at once without the check:
 * that test has failed already. tests/unit/test_harness.c proves a leak fails a test.
 */
#ifndef POSTERN_UNIT_H
#define POSTERN_UNIT_H

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* UNIT_LEAK_CHECKED is 1 when this build runs LeakSanitizer after each test (gcc and clang spell it apart) */
#if defined(__SANITIZE_ADDRESS__)
#define UNIT_LEAK_CHECKED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNIT_LEAK_CHECKED 1
#endif
#endif
#ifndef UNIT_LEAK_CHECKED
#define UNIT_LEAK_CHECKED 0
#endif
#if UNIT_LEAK_CHECKED
#include <sanitizer/lsan_interface.h>
#endif

/* exit status of a child whose test passed its checks but leaked */
#define UNIT_EXIT_LEAK 97

struct unit_case {
	const char *name;
	void (*fn)(void);
};

#define CHECK(cond)                                                                              \
	do {                                                                                     \
		if (!(cond)) {                                                                   \
			fprintf(stderr, "  %s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond); \
			_exit(1);                                                                \
		}                                                                                \
	} while (0)

#define CHECK_EQ_INT(a, b)                                                                                  \
	do {                                                                                                \
		long long va_ = (long long)(a), vb_ = (long long)(b);                                       \
		if (va_ != vb_) {                                                                           \
			fprintf(stderr, "  %s:%d: %s == %lld, expected %lld\n", __FILE__, __LINE__, #a, va_, vb_); \
			_exit(1);                                                                           \
		}                                                                                           \
	} while (0)

#define CHECK_EQ_STR(a, b)                                                                                 \
	do {                                                                                               \
		const char *sa_ = (a), *sb_ = (b);                                                         \
		if (sa_ == NULL || strcmp(sa_, sb_) != 0) {                                                \
			fprintf(stderr, "  %s:%d: %s == \"%s\", expected \"%s\"\n", __FILE__, __LINE__, #a, \
				sa_ ? sa_ : "(null)", sb_);                                                \
			_exit(1);                                                                          \
		}                                                                                          \
	} while (0)

/*
 * The leak check at the end of a test's child: 0 when nothing is leaked (or the build has no LeakSanitizer),
 * 1 when LeakSanitizer found leaks (it has printed them to stderr). Only in the child, after the test.
 */
static inline int unit_leaked(void)
{
#if UNIT_LEAK_CHECKED
	return __lsan_do_recoverable_leak_check() != 0;
#else
	return 0;
#endif
}

/*
 * Runs the cases of one suite (only the one named argv[1] when argc > 1), each in its own child, and prints
 * one line per case and the suite's summary to stdout. Returns 0 when every case run passed, 1 otherwise.
 */
static inline int unit_run(const char *suite, const struct unit_case *cases, int n, int argc, char **argv)
{
	int i, passed = 0, failed = 0;
	for (i = 0; i < n; i++) {
		pid_t pid;
		int status = 0;
		if (argc > 1 && strcmp(argv[1], cases[i].name) != 0)
			continue;
		fflush(NULL);
		pid = fork();
		if (pid == 0) {
			alarm(20);
			cases[i].fn();
			fflush(NULL);
			_exit(unit_leaked() ? UNIT_EXIT_LEAK : 0);
		}
		waitpid(pid, &status, 0);
		if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
			passed++;
			printf("ok   %s.%s\n", suite, cases[i].name);
		} else {
			failed++;
			if (WIFEXITED(status) && WEXITSTATUS(status) == UNIT_EXIT_LEAK)
				printf("FAIL %s.%s (leak)\n", suite, cases[i].name);
			else
				printf("FAIL %s.%s (%s %d)\n", suite, cases[i].name, WIFSIGNALED(status) ? "signal" : "exit",
				       WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
		}
	}
	printf("unit %s: %d passed, %d failed\n", suite, passed, failed);
	return failed ? 1 : 0;
}

#define UNIT_MAIN(suite, cases) \
	int main(int argc, char **argv) { return unit_run(suite, cases, (int)(sizeof(cases) / sizeof(cases[0])), argc, argv); }

#endif
