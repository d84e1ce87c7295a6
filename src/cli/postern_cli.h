/*
 * postern_cli.h — what the files of the `postern` command-line tool share: the run context, the command
 * table's row type, the handlers, and the output and prompt helpers. Internal to src/cli/; the tool itself
 * uses only the public client library, include/postern/postern.h (plus jansson to read the JSON texts that
 * library returns), never a header of the server or of the library's internals.
 */
#ifndef POSTERN_CLI_H
#define POSTERN_CLI_H

#include <stddef.h>
#include <stdio.h>

#include <jansson.h>

#include "postern/postern.h"

/* Exit codes: success, a runtime failure (the server, the network, the key store…), a usage error, and a
 * refusal that protects the person (an identity changed, the server's answer did not verify, this device
 * is not approved yet): nothing was sent. */
enum { CLI_OK = 0, CLI_FAIL = 1, CLI_USAGE = 2, CLI_REFUSED = 3 };

/* One run of the tool: the parsed options and the client. Filled by main, read by the handlers. */
struct cli {
	pst_client *client;      /* NULL only for commands flagged CLI_NO_CLIENT */
	const char *server_url;  /* never NULL once main has resolved the defaults */
	const char *home_dir;
	int json;                /* --json: print JSON instead of the human format */
	/* options that belong to one command (see the option table in postern.c) */
	const char *device_name; /* login --device-name; NULL = "postern on HOSTNAME" */
	long limit;              /* read/inbox/access-log --limit; 0 = the command's default */
	const char *cursor;      /* inbox/access-log --cursor: the page after this one; NULL = the first page */
	long max_seconds;        /* watch --max-seconds; 0 = until interrupted */
	int show_ids;            /* read --ids */
	int everywhere;          /* logout --everywhere */
	long before;             /* read --before: messages below this seq; 0 = the newest */
	long wait;               /* login --wait: seconds to wait for approval (default 300; 0 = do not wait) */
	int recovery;            /* login --recovery-key: approve this device with the recovery key */
	int confirm;             /* verify --confirm: mark verified */
	int unverify;            /* verify --unverify */
	int accept_new;          /* verify --accept-new-identity */
	int qr;                  /* verify --qr: the safety number as a QR code too */
	int yes;                 /* identity reset --yes: it was meant */
	const char *invite;      /* register --invite: the operator's invite code */
};

/* A command's handler: argv holds exactly the positional arguments after the command (and subcommand) name. */
typedef int (*cli_handler)(struct cli *cli, int argc, char **argv);

enum {
	CLI_NEEDS_SESSION = 1 << 0, /* refuse early, with a hint, when no session token is stored */
	CLI_NO_CLIENT = 1 << 1,     /* runs without a pst_client (help) */
};

/*
 * A row of the command table. A command with subcommands (friends add …) has a NULL-terminated `subs` table:
 * when its first argument names a subcommand, that row runs instead; otherwise the row's own handler runs
 * (friends alone lists the friends).
 */
struct cli_command {
	const char *name;
	int min_args, max_args;
	cli_handler handler;
	unsigned flags;
	const struct cli_command *subs;
	const char *usage; /* the arguments, after "postern NAME " */
	const char *help;  /* one paragraph for `postern NAME --help` */
};

/* The command table (commands.c), terminated by a row with a NULL name. */
extern const struct cli_command cli_commands[];

/* Look up name in a NULL-terminated command table; NULL when absent. */
const struct cli_command *cli_command_find(const struct cli_command *table, const char *name);

/* Print the general help (every command's usage line) to f. */
void cli_help_all(FILE *f);
/* Print one command's usage and help paragraph to stdout. */
void cli_help_command(const struct cli_command *cmd);

/* ---- failures (postern.c) ---- */

/*
 * Report a failed library call on stderr as one line, "postern: <what>: <pst_errmsg>", with a hint for the
 * failures a person can fix (not logged in, server unreachable). what is a printf format. Returns CLI_FAIL.
 */
int cli_fail(const struct cli *cli, pst_status st, const char *what, ...) __attribute__((format(printf, 3, 4)));
/* Report a failure that is not a library call ("postern: <message>"). Returns CLI_FAIL. */
int cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Report an argument that cannot be right ("'x' is not a thread id (see …)"), as one line. Returns CLI_USAGE. */
int cli_bad_arg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Report a usage error with the command's usage line. Returns CLI_USAGE. */
int cli_usage(const struct cli_command *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * ---- handlers (commands.c: accounts, friends, devices, apps; messages.c: threads and messages) ----
 *
 * Each runs one row of the command table: argv holds its positional arguments, whose count main has already
 * checked against the row; options are in cli. It prints the result on stdout (human or --json), a failure
 * as one line on stderr, and returns CLI_OK, CLI_FAIL, CLI_USAGE, or CLI_REFUSED when the library refused to
 * protect the person (cli_fail maps those statuses). It frees everything it took, including the library's
 * strings (pst_free) and messages (pst_messages_free). Single-threaded, like pst_client. Each definition
 * carries its own contract: the command line it runs and its exit codes.
 */

int cmd_help(struct cli *cli, int argc, char **argv);
int cmd_register(struct cli *cli, int argc, char **argv);
int cmd_login(struct cli *cli, int argc, char **argv);
int cmd_logout(struct cli *cli, int argc, char **argv);
int cmd_password(struct cli *cli, int argc, char **argv);
int cmd_account(struct cli *cli, int argc, char **argv);
int cmd_account_delete(struct cli *cli, int argc, char **argv);
int cmd_sessions(struct cli *cli, int argc, char **argv);
int cmd_sessions_end(struct cli *cli, int argc, char **argv);
int cmd_whoami(struct cli *cli, int argc, char **argv);
int cmd_friends(struct cli *cli, int argc, char **argv);
int cmd_friends_add(struct cli *cli, int argc, char **argv);
int cmd_friends_accept(struct cli *cli, int argc, char **argv);
int cmd_friends_decline(struct cli *cli, int argc, char **argv);
int cmd_friends_withdraw(struct cli *cli, int argc, char **argv);
int cmd_friends_remove(struct cli *cli, int argc, char **argv);
int cmd_devices(struct cli *cli, int argc, char **argv);
int cmd_devices_remove(struct cli *cli, int argc, char **argv);
int cmd_devices_approve(struct cli *cli, int argc, char **argv);
int cmd_identity(struct cli *cli, int argc, char **argv);
int cmd_identity_reset(struct cli *cli, int argc, char **argv);
int cmd_identity_recovery_key(struct cli *cli, int argc, char **argv);
int cmd_apps_approve(struct cli *cli, int argc, char **argv);
int cmd_log_verify(struct cli *cli, int argc, char **argv);
int cmd_log_ack(struct cli *cli, int argc, char **argv);
int cmd_verify(struct cli *cli, int argc, char **argv);
int cmd_apps(struct cli *cli, int argc, char **argv);
int cmd_apps_revoke(struct cli *cli, int argc, char **argv);
int cmd_apps_alias(struct cli *cli, int argc, char **argv);
int cmd_apps_unalias(struct cli *cli, int argc, char **argv);
int cmd_access_log(struct cli *cli, int argc, char **argv);
int cmd_consent(struct cli *cli, int argc, char **argv);
int cmd_inbox(struct cli *cli, int argc, char **argv);
int cmd_send(struct cli *cli, int argc, char **argv);
int cmd_read(struct cli *cli, int argc, char **argv);
int cmd_watch(struct cli *cli, int argc, char **argv);
int cmd_delete(struct cli *cli, int argc, char **argv);
int cmd_open(struct cli *cli, int argc, char **argv);
int cmd_group(struct cli *cli, int argc, char **argv);
int cmd_group_add(struct cli *cli, int argc, char **argv);
int cmd_group_remove(struct cli *cli, int argc, char **argv);
int cmd_group_leave(struct cli *cli, int argc, char **argv);

/* Hand the witnesses of $POSTERN_LOG_WITNESSES (a file of verifier keys; $POSTERN_LOG_WITNESSES_REQUIRED of them,
 * all by default, at most $POSTERN_LOG_MAX_AGE seconds old, 3600 by default) to the client (log.c). CLI_OK,
 * or CLI_FAIL after printing why. */
int cli_log_witnesses(struct cli *cli);

/* ---- identity and approval helpers (identity.c) ---- */

/* The device name: --device-name, or "postern on HOSTNAME" written into buf. */
const char *cli_device_name(const struct cli *cli, char *buf, size_t cap);
/* 1 when the last call made a recovery key that has not been shown yet. */
int cli_has_recovery_key(const struct cli *cli);
/*
 * Show the recovery key the library made (once), with what to do with it; user_id non-NULL: after
 * `register` (says the account was made). Returns CLI_OK, or CLI_FAIL when there was none.
 */
int cli_show_recovery_key(struct cli *cli, const char *username, const char *user_id);
/* This device waits for approval: show the code and wait (--wait), or use the recovery key (--recovery-key). */
int cli_approve_this_device(struct cli *cli, const char *username);

/*
 * 1 when s may be put into an API path as an id: 1..64 bytes of [A-Za-z0-9_-]. Ids come from the server and
 * from the command line; checking them keeps "../" and "?" out of the paths handed to pst_call.
 */
int cli_id_ok(const char *s);

/* ---- output (output.c) ---- */

/*
 * Print a line to stdout, formatted like printf, followed by a newline. Control characters that came from
 * the server or a friend (escape sequences that could rewrite the terminal) are shown escaped ("\x1b");
 * a newline is shown as "\n" so that one call is one line.
 */
void out_line(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Like out_line, but a newline in the text starts a new line indented by `indent` spaces (message bodies). */
void out_block(int indent, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * Parse JSON text returned by the library. Returns a new reference (json_decref) or NULL after printing
 * "postern: <what>: the library returned JSON that does not parse". text may be NULL (NULL is returned).
 */
json_t *out_parse(const char *text, const char *what);
/* Print a JSON value to stdout: indented, or on one line when compact (watch). Returns CLI_OK or CLI_FAIL. */
int out_json(const json_t *v, int compact);
/* Print JSON text from the library as out_json does. Returns CLI_OK or CLI_FAIL (unparseable text). */
int out_json_text(const char *text, const char *what);

/* How a listing command prints its answer (out_listing). */
struct out_listing {
	const char *failure;     /* the error line's words when the call failed ("list devices") */
	const char *what;        /* names the answer in a parse error ("devices") */
	const char *key;         /* the answer's array of items ("devices") */
	void (*row)(const struct cli *cli, const json_t *item); /* prints one item */
	const char *empty;       /* printed when the first page has no item (NULL: nothing) */
	const char *empty_later; /* printed when a later page (--cursor) has none (NULL: nothing) */
	const char *more;        /* paged answers: "Older entries: postern access-log"; with a next_cursor,
				  * "<more> --cursor C" ends the listing (NULL: not paged) */
};

/*
 * The end every listing command shares. st and text come from the library call that fetched the answer;
 * text is freed here. When st is not PST_OK, prints the failure; with --json, prints text as it came;
 * otherwise each item through l->row, then the empty or "more" line. Returns CLI_OK or CLI_FAIL.
 */
int out_listing(const struct cli *cli, pst_status st, char *text, const struct out_listing *l);
/* Print {"ok":true} plus the given string pairs (key, value, …, NULL) for --json of commands that return nothing. */
int out_json_done(const char *key, ...);

/* The string at key in obj, or fallback when absent or not a string. Borrowed from obj. */
const char *out_str(const json_t *obj, const char *key, const char *fallback);

/* Format an RFC 3339 UTC time from the server as local "YYYY-MM-DD HH:MM" into buf; the raw text if it does not parse. */
void out_time(const char *rfc3339, char *buf, size_t cap);

/*
 * A decrypted message for --json: message_id, thread_id, seq, sender_id, sender_name (when known),
 * sender_device_id, kind, item, share_id, created_at, deleted, text (null when deleted or undecryptable) and
 * decrypt ("ok", "no_key", "crypto", "error"). Returns a new reference or NULL when out of memory.
 */
json_t *out_message_json(const pst_message *m, const char *sender_name);
/* How out_message prints. */
enum {
	OUT_FLAT = 1 << 0,       /* one physical line (watch); otherwise a multi-line text continues indented */
	OUT_THREAD = 1 << 1,     /* print the thread id after the time */
	OUT_ID = 1 << 2,         /* print the message id first */
	OUT_SHARE_HINT = 1 << 3, /* for a share, say how to open it */
};
/*
 * Print a message in the human format, "[ID  ]TIME  [THREAD  ]SENDER: TEXT", marking deleted
 * ("[deleted]") and undecryptable ("[cannot decrypt: no key]") messages and shares. flags: OUT_*.
 */
void out_message(const pst_message *m, const char *sender_name, unsigned flags);

/* Print text (a safety number) as a QR code with Unicode half blocks on stdout. */
void out_qr(const char *text);


/* ---- secrets (prompt.c) ---- */

/*
 * Get a password: $POSTERN_PASSWORD when set, else asked on /dev/tty with echo off (twice when confirm).
 * Returns a malloc'd string for cli_secret_free, or NULL after printing why (no terminal, mismatch, too long).
 */
char *cli_password(const char *prompt, int confirm);
/* The same with another variable than $POSTERN_PASSWORD (the new password of `postern password`). */
char *cli_password_from(const char *env_name, const char *prompt, int confirm);
/* Wipe and free a secret from cli_password. NULL is allowed. */
void cli_secret_free(char *secret);

#endif
