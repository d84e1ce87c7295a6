/*
 * postern.c — the entry point of `postern`, the command-line client of Postern: parse the global and
 * per-command options (a table, like the commands), resolve the defaults (server from $POSTERN_SERVER, home
 * from $POSTERN_HOME or ~/.postern, key-store passphrase from $POSTERN_PASSPHRASE), create the client, run
 * one row of the command table and turn the result into an exit code (0 ok, 1 runtime failure, 2 usage).
 * It also owns the one-line error format. It talks to the server only through libpostern's public API
 * (include/postern/postern.h); it never includes a server or library-internal header.
 */
#include "postern_cli.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "banned.h" /* last: bans footguns in this file only */

#define DEFAULT_SERVER "http://127.0.0.1:8080"
#define MAX_POSITIONAL 16

/* ---- the option table ---- */

enum opt_kind { OPT_FLAG, OPT_STRING, OPT_LONG };

/*
 * An option. `command` NULL: global, accepted before or after the command. Otherwise it belongs to that
 * command and must follow it; the same name may have one row per command (--limit has different bounds for
 * read and inbox). The value lands at `offset` in struct cli.
 */
struct cli_option {
	const char *name;
	enum opt_kind kind;
	size_t offset;
	long min, max;
	const char *command;
	const char *arg; /* the value's name in the help */
	const char *help;
};

static const struct cli_option options[] = {
	{"--server", OPT_STRING, offsetof(struct cli, server_url), 0, 0, NULL, "URL",
	 "the Postern server (default: $POSTERN_SERVER or " DEFAULT_SERVER ")"},
	{"--home", OPT_STRING, offsetof(struct cli, home_dir), 0, 0, NULL, "DIR",
	 "local state: session token and keys (default: $POSTERN_HOME or ~/.postern)"},
	{"--json", OPT_FLAG, offsetof(struct cli, json), 0, 0, NULL, NULL, "print JSON instead of the human format"},
	{"--device-name", OPT_STRING, offsetof(struct cli, device_name), 0, 0, "login", "NAME",
	 "the name of this device, on the first login in this home (default: \"postern on HOSTNAME\")"},
	{"--limit", OPT_LONG, offsetof(struct cli, limit), 1, 200, "read", "N", "show the last N messages (1-200, default 20)"},
	{"--everywhere", OPT_FLAG, offsetof(struct cli, everywhere), 0, 0, "logout", NULL,
	 "end every session of your account, on every device"},
	{"--ids", OPT_FLAG, offsetof(struct cli, show_ids), 0, 0, "read", NULL, "show each message's id (for delete)"},
	{"--before", OPT_LONG, offsetof(struct cli, before), 1, LONG_MAX, "read", "SEQ",
	 "show the messages before number SEQ (older history; the page before prints the command)"},
	{"--limit", OPT_LONG, offsetof(struct cli, limit), 1, 100, "inbox", "N", "show at most N threads (1-100, default 50)"},
	{"--cursor", OPT_STRING, offsetof(struct cli, cursor), 0, 0, "inbox", "C",
	 "continue after the page that printed this cursor (older conversations)"},
	{"--limit", OPT_LONG, offsetof(struct cli, limit), 1, 200, "access-log", "N", "show at most N entries (1-200, default 50)"},
	{"--cursor", OPT_STRING, offsetof(struct cli, cursor), 0, 0, "access-log", "C",
	 "continue after the page that printed this cursor (older entries)"},
	{"--max-seconds", OPT_LONG, offsetof(struct cli, max_seconds), 0, INT_MAX, "watch", "N",
	 "stop after N seconds (default: until Ctrl-C)"},
	{"--wait", OPT_LONG, offsetof(struct cli, wait), 0, 86400, "login", "SECONDS",
	 "on a new device, wait this long for approval (default 300; 0: print the code and stop)"},
	{"--recovery-key", OPT_FLAG, offsetof(struct cli, recovery), 0, 0, "login", NULL,
	 "approve this new device with your recovery key ($POSTERN_RECOVERY_KEY, or asked)"},
	{"--confirm", OPT_FLAG, offsetof(struct cli, confirm), 0, 0, "verify", NULL,
	 "you compared the safety number with USER and it matched: mark USER verified"},
	{"--unverify", OPT_FLAG, offsetof(struct cli, unverify), 0, 0, "verify", NULL, "mark USER no longer verified"},
	{"--accept-new-identity", OPT_FLAG, offsetof(struct cli, accept_new), 0, 0, "verify", NULL,
	 "accept USER's new identity key after a change (not for a verified contact: verify again)"},
	{"--qr", OPT_FLAG, offsetof(struct cli, qr), 0, 0, "verify", NULL, "also show the safety number as a QR code"},
	{"--yes", OPT_FLAG, offsetof(struct cli, yes), 0, 0, "identity", NULL, "yes, reset it (see postern identity --help)"},
	{"--invite", OPT_STRING, offsetof(struct cli, invite), 0, 0, "register", "CODE",
	 "an invite code from the server's operator (a server that takes new accounts by invitation)"},
	{NULL, OPT_FLAG, 0, 0, 0, NULL, NULL, NULL},
};

/* Parse a whole decimal number in [min, max]. Returns 0, or -1 when s is not one. */
static int parse_long(const char *s, long min, long max, long *out)
{
	char *end = NULL;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

/* Print the options that belong to command (NULL: the global ones). */
static void print_options(FILE *f, const char *command)
{
	char left[64];

	for (const struct cli_option *o = options; o->name; o++) {
		if ((command == NULL) != (o->command == NULL) || (command && strcmp(command, o->command) != 0))
			continue;
		snprintf(left, sizeof(left), "%s%s%s", o->name, o->arg ? " " : "", o->arg ? o->arg : "");
		fprintf(f, "  %-22s %s\n", left, o->help);
	}
}

/* ---- help ---- */

void cli_help_all(FILE *f)
{
	fprintf(f, "usage: postern [--server URL] [--home DIR] [--json] COMMAND [ARGS...]\n\n"
	       "The command-line client of Postern, an end-to-end-encrypted messenger: messages are encrypted\n"
	       "and decrypted here, the server only sees ciphertext.\n\ncommands:\n");
	for (const struct cli_command *c = cli_commands; c->name; c++)
		fprintf(f, "  %s%s%s\n", c->name, c->usage[0] ? " " : "", c->usage);
	fprintf(f, "\nglobal options (also accepted after the command):\n");
	print_options(f, NULL);
	fprintf(f, "  %-22s %s\n  %-22s %s\n", "--help", "this help; `postern COMMAND --help` explains one command",
	       "--version", "print the version");
	fprintf(f, "\nenvironment: POSTERN_SERVER, POSTERN_HOME, POSTERN_PASSWORD, POSTERN_NEW_PASSWORD (instead of the prompts),\n"
	       "POSTERN_PASSPHRASE (seals the local key store; give the same one every time).\n");
}

void cli_help_command(const struct cli_command *cmd)
{
	printf("usage: postern %s%s%s\n\n%s\n", cmd->name, cmd->usage[0] ? " " : "", cmd->usage, cmd->help);
	for (const struct cli_option *o = options; o->name; o++)
		if (o->command && strcmp(o->command, cmd->name) == 0) {
			printf("\noptions:\n");
			print_options(stdout, cmd->name);
			break;
		}
}

const struct cli_command *cli_command_find(const struct cli_command *table, const char *name)
{
	for (const struct cli_command *c = table; c && c->name; c++)
		if (strcmp(c->name, name) == 0)
			return c;
	return NULL;
}

/* ---- failures ---- */

/* What to print when the library left no message, by status. */
static const char *const status_names[] = {
	[PST_OK] = "ok",
	[PST_ERR_INVALID] = "invalid argument",
	[PST_ERR_NOMEM] = "out of memory",
	[PST_ERR_NETWORK] = "cannot reach the server",
	[PST_ERR_HTTP] = "the server refused",
	[PST_ERR_PROTOCOL] = "unexpected answer from the server",
	[PST_ERR_AUTH] = "not logged in, or the session ended",
	[PST_ERR_NOT_FOUND] = "not found",
	[PST_ERR_CRYPTO] = "a key or message failed to verify",
	[PST_ERR_STORE] = "the local key store cannot be used",
	[PST_ERR_NO_KEY] = "no key for this message",
	[PST_ERR_IDENTITY] = "an identity key changed",
	[PST_ERR_APPROVAL] = "this device is not approved yet",
	[PST_ERR_UNTRUSTED] = "the server's answer does not verify",
};

int cli_fail(const struct cli *cli, pst_status st, const char *what, ...)
{
	const char *msg = cli && cli->client ? pst_errmsg(cli->client) : "";
	va_list ap;

	if (msg == NULL || msg[0] == '\0')
		msg = (size_t)st < sizeof(status_names) / sizeof(status_names[0]) && status_names[st] ? status_names[st]
												       : "failed";
	fputs("postern: ", stderr);
	va_start(ap, what);
	vfprintf(stderr, what, ap);
	va_end(ap);
	fprintf(stderr, ": %s", msg);
	if (st == PST_ERR_AUTH && !(cli && cli->client && strcmp(pst_server_code(cli->client), "invalid_credentials") == 0))
		fputs(" (log in with: postern login USER)", stderr);
	else if (st == PST_ERR_NETWORK && cli)
		fprintf(stderr, " (is the server at %s running? see --server)", cli->server_url);
	else if (st == PST_ERR_STORE)
		fputs(" (check --home and $POSTERN_PASSPHRASE)", stderr);
	fputc('\n', stderr);
	/* refused to keep the person safe, not broken: scripts can tell (docs/cli.md) */
	return st == PST_ERR_IDENTITY || st == PST_ERR_UNTRUSTED || st == PST_ERR_APPROVAL ? CLI_REFUSED : CLI_FAIL;
}

/* "postern: <message>\n" on stderr. */
static void report(const char *fmt, va_list ap)
{
	fputs("postern: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

int cli_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report(fmt, ap);
	va_end(ap);
	return CLI_FAIL;
}

int cli_bad_arg(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report(fmt, ap);
	va_end(ap);
	return CLI_USAGE;
}

int cli_usage(const struct cli_command *cmd, const char *fmt, ...)
{
	va_list ap;

	fputs("postern: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (cmd)
		fprintf(stderr, "; usage: postern %s%s%s\n", cmd->name, cmd->usage[0] ? " " : "", cmd->usage);
	else
		fputs("; see postern --help\n", stderr);
	return CLI_USAGE;
}

int cli_id_ok(const char *s)
{
	size_t n = 0;

	for (; s[n]; n++) {
		char ch = s[n];
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '_' || ch == '-'))
			return 0;
	}
	return n >= 1 && n <= 64;
}

/* ---- parsing ---- */

/* The parsed command line. */
struct cmdline {
	const struct cli_command *cmd; /* the top-level command (NULL: none given) */
	const char *cmd_name;          /* the first positional, as typed */
	char *args[MAX_POSITIONAL];
	int nargs;
	int help, version;
};

/* Apply option row o with value (NULL for a flag). Returns CLI_OK or CLI_USAGE after printing why. */
static int apply_option(struct cli *cli, const struct cli_option *o, const struct cli_command *cmd, const char *value)
{
	char *field = (char *)cli + o->offset;

	switch (o->kind) {
	case OPT_FLAG:
		*(int *)(void *)field = 1;
		break;
	case OPT_STRING:
		if (value[0] == '\0')
			return cli_usage(cmd, "%s needs a non-empty value", o->name);
		*(const char **)(void *)field = value;
		break;
	case OPT_LONG:
		if (parse_long(value, o->min, o->max, (long *)(void *)field) != 0)
			return cli_usage(cmd, "%s takes a number from %ld to %ld, not '%s'", o->name, o->min, o->max, value);
		break;
	}
	return CLI_OK;
}

/*
 * Find the row for option name (without "=value") given the command seen so far. Returns the row, or NULL
 * after printing a usage error (unknown, or belonging to another command).
 */
static const struct cli_option *find_option(const char *name, size_t len, const struct cli_command *cmd)
{
	int known = 0;

	for (const struct cli_option *o = options; o->name; o++) {
		if (strlen(o->name) != len || memcmp(o->name, name, len) != 0)
			continue;
		known = 1;
		if (o->command == NULL || (cmd && strcmp(o->command, cmd->name) == 0))
			return o;
	}
	if (!known)
		cli_usage(cmd, "unknown option '%.*s'", (int)len, name);
	else if (cmd == NULL)
		cli_usage(NULL, "%.*s must come after its command", (int)len, name);
	else
		cli_usage(cmd, "%.*s is not an option of %s", (int)len, name, cmd->name);
	return NULL;
}

/*
 * Split argv into options (applied to cli) and positionals: the first positional is the command, the rest its
 * arguments. "--" ends the options (so a message may start with "-"). Returns CLI_OK or CLI_USAGE.
 */
static int parse_cmdline(int argc, char **argv, struct cli *cli, struct cmdline *cl)
{
	int only_positional = 0;

	for (int i = 1; i < argc; i++) {
		char *a = argv[i];
		const char *eq, *value = NULL;
		const struct cli_option *o;
		size_t len;
		int rc;

		if (only_positional || a[0] != '-' || strcmp(a, "-") == 0) {
			if (cl->cmd_name == NULL) {
				cl->cmd_name = a;
				if ((cl->cmd = cli_command_find(cli_commands, a)) == NULL)
					return cli_usage(NULL, "unknown command '%s'", a);
			} else if (cl->nargs == MAX_POSITIONAL) {
				return cli_usage(cl->cmd, "too many arguments");
			} else {
				cl->args[cl->nargs++] = a;
			}
			continue;
		}
		if (strcmp(a, "--") == 0) {
			only_positional = 1;
			continue;
		}
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			cl->help = 1;
			continue;
		}
		if (strcmp(a, "--version") == 0) {
			cl->version = 1;
			continue;
		}
		eq = strchr(a, '=');
		len = eq ? (size_t)(eq - a) : strlen(a);
		if ((o = find_option(a, len, cl->cmd)) == NULL)
			return CLI_USAGE;
		if (o->kind == OPT_FLAG) {
			if (eq)
				return cli_usage(cl->cmd, "%s takes no value", o->name);
		} else if (eq) {
			value = eq + 1;
		} else if (i + 1 < argc) {
			value = argv[++i];
		} else {
			return cli_usage(cl->cmd, "%s needs a value", o->name);
		}
		if ((rc = apply_option(cli, o, cl->cmd, value)) != CLI_OK)
			return rc;
	}
	return CLI_OK;
}

/*
 * Fill in the server and home defaults. home_buf receives "$HOME/.postern" when needed. Returns CLI_OK or
 * CLI_USAGE when no home can be found.
 */
static int resolve_defaults(struct cli *cli, char *home_buf, size_t cap)
{
	const char *env;
	int n;

	if (cli->server_url == NULL)
		cli->server_url = (env = getenv("POSTERN_SERVER")) && env[0] ? env : DEFAULT_SERVER;
	if (cli->home_dir == NULL) {
		if ((env = getenv("POSTERN_HOME")) && env[0]) {
			cli->home_dir = env;
		} else {
			if ((env = getenv("HOME")) == NULL || env[0] == '\0')
				return cli_bad_arg("no home directory: set POSTERN_HOME or give --home DIR");
			n = snprintf(home_buf, cap, "%s/.postern", env);
			if (n < 0 || (size_t)n >= cap)
				return cli_bad_arg("$HOME is too long: give --home DIR");
			cli->home_dir = home_buf;
		}
	}
	return CLI_OK;
}

/*
 * Pick the row to run: the command, or its subcommand named by the first argument (shifted out of cl->args).
 * Checks the argument count. Returns the row, or NULL after printing a usage error.
 */
static const struct cli_command *pick_row(struct cmdline *cl)
{
	const struct cli_command *row = cl->cmd, *sub;

	if (row->subs && cl->nargs > 0) {
		sub = cli_command_find(row->subs, cl->args[0]);
		if (sub == NULL && row->max_args == 0) { /* a command whose arguments can only be actions */
			cli_usage(row, "unknown %s action '%s'", row->name, cl->args[0]);
			return NULL;
		}
		if (sub) { /* otherwise the arguments are the command's own (group USER...) */
			row = sub;
			memmove(cl->args, cl->args + 1, (size_t)(cl->nargs - 1) * sizeof(cl->args[0]));
			cl->nargs--;
		}
	}
	if (cl->nargs < row->min_args || cl->nargs > row->max_args) {
		cli_usage(cl->cmd, "%s%s%s: %s", cl->cmd->name, row == cl->cmd ? "" : " ", row == cl->cmd ? "" : row->name,
			  cl->nargs < row->min_args ? "missing arguments" : "too many arguments (quote a text with spaces)");
		return NULL;
	}
	return row;
}

/* Parse, pick the row, create the client, run the handler; the exit code is the handler's (or 2 for usage). */
int main(int argc, char **argv)
{
	struct cli cli = {.wait = -1};
	struct cmdline cl = {0};
	const struct cli_command *row;
	char home_buf[4096];
	const char *passphrase;
	pst_status st;
	int rc, alarms;

	if ((rc = parse_cmdline(argc, argv, &cli, &cl)) != CLI_OK)
		goto out;
	if (cl.version) {
		printf("postern %s\n", PST_VERSION);
		goto out;
	}
	if (cl.help || cl.cmd == NULL) {
		if (cl.cmd)
			cli_help_command(cl.cmd);
		else
			cli_help_all(cl.help ? stdout : stderr);
		rc = cl.help ? CLI_OK : CLI_USAGE;
		goto out;
	}
	if ((row = pick_row(&cl)) == NULL) {
		rc = CLI_USAGE;
		goto out;
	}
	if ((rc = resolve_defaults(&cli, home_buf, sizeof(home_buf))) != CLI_OK)
		goto out;
	if (!(row->flags & CLI_NO_CLIENT)) {
		passphrase = getenv("POSTERN_PASSPHRASE");
		st = pst_client_new(cli.server_url, cli.home_dir, passphrase && passphrase[0] ? passphrase : NULL, &cli.client);
		if (st != PST_OK) {
			rc = cli_fail(&cli, st, "open the local state in %s", cli.home_dir);
			if (st == PST_ERR_STORE)
				fprintf(stderr, "postern: (a home made by a postern older than protocol version 2 cannot be used: "
						"log in with a new --home)\n");
			goto out;
		}
		if ((rc = cli_log_witnesses(&cli)) != CLI_OK)
			goto out;
		if ((row->flags & CLI_NEEDS_SESSION) && !pst_logged_in(cli.client)) {
			rc = cli_error("%s: not logged in (log in with: postern login USER)", cl.cmd->name);
			goto out;
		}
	}
	rc = row->handler(&cli, cl.nargs, cl.args);
	/* a change to the account that none of its devices made is said after every command until acknowledged */
	if (cli.client && row->handler != cmd_log_verify && row->handler != cmd_log_ack && (alarms = pst_log_alarm_count(cli.client)) > 0)
		fprintf(stderr, "postern: WARNING: the transparency log holds %d change%s to your account that none of your devices "
				"made or that the server hides: run `postern log verify`\n",
			alarms, alarms == 1 ? "" : "s");
out:
	pst_client_free(cli.client);
	if (fflush(stdout) != 0 && rc == CLI_OK)
		rc = cli_error("writing the output failed");
	return rc;
}
