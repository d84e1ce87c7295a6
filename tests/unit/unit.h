/*
 * unit.h — the unit-test harness: each test runs in a forked child with a 20 s alarm, so a crash, a hang
 * or a failed check fails that test alone. A suite ends with "unit SUITE: N passed, N failed".
 * Run one test: ./build/tests/test_x NAME.
 */
#ifndef POSTERN_UNIT_H
#define POSTERN_UNIT_H

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

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
			_exit(0);
		}
		waitpid(pid, &status, 0);
		if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
			passed++;
			printf("ok   %s.%s\n", suite, cases[i].name);
		} else {
			failed++;
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
