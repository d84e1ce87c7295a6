/*
 * prompt.c — how `postern` gets a password: from $POSTERN_PASSWORD (scripts, tests), or by asking on the
 * controlling terminal (/dev/tty, so that piping stdin or stdout does not leak or swallow it) with echo
 * turned off through termios. A signal during the prompt restores the terminal before it takes effect.
 * Passwords live in one malloc'd buffer that is wiped before it is freed; they are never printed.
 */
#include "postern_cli.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "banned.h" /* last: bans footguns in this file only */

#define PASSWORD_MAX 1024 /* the server's limit; a longer line is refused rather than cut */

/* The terminal to restore if a signal arrives while echo is off (read by the handler). */
static volatile sig_atomic_t tty_fd = -1;
static struct termios tty_saved;

static void restore_and_reraise(int sig)
{
	if (tty_fd >= 0)
		tcsetattr(tty_fd, TCSAFLUSH, &tty_saved);
	signal(sig, SIG_DFL);
	raise(sig);
}

/* The signals that would otherwise leave the terminal without echo. */
static const int prompt_signals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGTSTP};

/*
 * Ask prompt on fd with echo off and read one line into buf (cap includes the NUL). Returns 0, or -1 after
 * printing why (too long, read error, end of input).
 */
static int ask(int fd, const char *prompt, char *buf, size_t cap)
{
	struct termios quiet;
	struct sigaction sa, old[sizeof(prompt_signals) / sizeof(prompt_signals[0])];
	size_t n = 0, nsig = sizeof(prompt_signals) / sizeof(prompt_signals[0]);
	int rc = -1, too_long = 0, echo_off = 0;
	ssize_t r;
	char ch;

	if (write(fd, prompt, strlen(prompt)) < 0)
		goto out;
	if (tcgetattr(fd, &tty_saved) == 0) {
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = restore_and_reraise;
		sigemptyset(&sa.sa_mask);
		for (size_t i = 0; i < nsig; i++) {
			sigaction(prompt_signals[i], &sa, &old[i]);
			if (old[i].sa_handler == SIG_IGN) /* ignored by whoever started us (nohup): keep it so */
				sigaction(prompt_signals[i], &old[i], NULL);
		}
		tty_fd = fd;
		quiet = tty_saved;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		quiet.c_lflag |= ECHONL;
		echo_off = tcsetattr(fd, TCSAFLUSH, &quiet) == 0;
	}
	for (;;) {
		r = read(fd, &ch, 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			cli_error("no password given");
			goto out;
		}
		if (ch == '\n')
			break;
		if (n + 1 < cap)
			buf[n++] = ch;
		else
			too_long = 1;
	}
	buf[n] = '\0';
	if (too_long) {
		cli_error("the password is longer than %d bytes", PASSWORD_MAX);
		goto out;
	}
	rc = 0;
out:
	if (tty_fd >= 0) {
		if (echo_off)
			tcsetattr(fd, TCSAFLUSH, &tty_saved);
		tty_fd = -1;
		for (size_t i = 0; i < nsig; i++)
			sigaction(prompt_signals[i], &old[i], NULL);
	}
	if (rc != 0)
		explicit_bzero(buf, cap);
	return rc;
}

char *cli_password(const char *prompt, int confirm)
{
	return cli_password_from("POSTERN_PASSWORD", prompt, confirm);
}

char *cli_password_from(const char *env_name, const char *prompt, int confirm)
{
	const char *env = getenv(env_name);
	char *first = NULL, *again = NULL, *result = NULL;
	int fd = -1;

	if (env) {
		if (strlen(env) > PASSWORD_MAX) {
			cli_error("$%s is longer than %d bytes", env_name, PASSWORD_MAX);
			goto out;
		}
		result = strdup(env);
		if (result == NULL)
			cli_error("out of memory");
		goto out;
	}
	if ((fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0) {
		cli_error("no terminal to ask the password on: set %s", env_name);
		goto out;
	}
	/* calloc: cli_secret_free wipes up to the first NUL, so a buffer never written must be all zeros */
	if ((first = calloc(1, PASSWORD_MAX + 1)) == NULL || (confirm && (again = calloc(1, PASSWORD_MAX + 1)) == NULL)) {
		cli_error("out of memory");
		goto out;
	}
	if (ask(fd, prompt, first, PASSWORD_MAX + 1) != 0)
		goto out;
	if (confirm) {
		if (ask(fd, "Again: ", again, PASSWORD_MAX + 1) != 0)
			goto out;
		if (strcmp(first, again) != 0) {
			cli_error("the two passwords differ");
			goto out;
		}
	}
	result = first;
	first = NULL;
out:
	if (fd >= 0)
		close(fd);
	cli_secret_free(again);
	cli_secret_free(first);
	return result;
}

void cli_secret_free(char *secret)
{
	if (secret == NULL)
		return;
	explicit_bzero(secret, strlen(secret));
	free(secret);
}
