/*
 * commands.c — the command table of `postern` (name, argument counts, handler, flags, subcommands, usage,
 * help: the one place a command is declared, read by the dispatcher and by --help) and the handlers for
 * accounts, friends, devices, fingerprints and the partner apps a person has connected. Threads and messages
 * are in messages.c. Handlers call only libpostern's public API and print through output.c; each returns an
 * exit code (CLI_OK, CLI_FAIL, CLI_USAGE) and frees what it took on its single exit.
 */
#include "postern_cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "banned.h" /* last: bans footguns in this file only */

#define ACCESS_LOG_DEFAULT 50 /* entries per page of `access-log` (the server allows 1 to 200) */

/* ---- the table ---- */

static const struct cli_command friends_subs[] = {
	{"add", 1, 1, cmd_friends_add, CLI_NEEDS_SESSION, NULL, "USER", NULL},
	{"accept", 1, 1, cmd_friends_accept, CLI_NEEDS_SESSION, NULL, "REQUEST_ID", NULL},
	{"decline", 1, 1, cmd_friends_decline, CLI_NEEDS_SESSION, NULL, "REQUEST_ID", NULL},
	{"withdraw", 1, 1, cmd_friends_withdraw, CLI_NEEDS_SESSION, NULL, "REQUEST_ID", NULL},
	{"remove", 1, 1, cmd_friends_remove, CLI_NEEDS_SESSION, NULL, "USER", NULL},
	{NULL, 0, 0, NULL, 0, NULL, NULL, NULL},
};

static const struct cli_command sessions_subs[] = {
	{"end", 1, 1, cmd_sessions_end, CLI_NEEDS_SESSION, NULL, "SESSION_ID", NULL},
	{NULL, 0, 0, NULL, 0, NULL, NULL, NULL},
};

static const struct cli_command devices_subs[] = {
	{"remove", 1, 1, cmd_devices_remove, CLI_NEEDS_SESSION, NULL, "DEVICE_ID", NULL},
	{"approve", 1, 1, cmd_devices_approve, CLI_NEEDS_SESSION, NULL, "CODE", NULL},
	{NULL, 0, 0, NULL, 0, NULL, NULL, NULL},
};

static const struct cli_command account_subs[] = {
	{"delete", 0, 0, cmd_account_delete, CLI_NEEDS_SESSION, NULL, "", NULL},
	{NULL, 0, 0, NULL, 0, NULL, NULL, NULL},
};

static const struct cli_command log_subs[] = {
	{"verify", 0, 0, cmd_log_verify, CLI_NEEDS_SESSION, NULL, "", NULL},
	{"ack", 0, 0, cmd_log_ack, CLI_NEEDS_SESSION, NULL, "", NULL},
	{NULL, 0, 0, NULL, 0, NULL, NULL, NULL},
};

static const struct cli_command identity_subs[] = {
	{"reset", 0, 0, cmd_identity_reset, CLI_NEEDS_SESSION, NULL, "--yes", NULL},
	{"recovery-key", 0, 0, cmd_identity_recovery_key, CLI_NEEDS_SESSION, NULL, "", NULL},
	{NULL, 0, 0, NULL, 0, NULL, NULL, NULL},
};

static const struct cli_command group_subs[] = {
	{"add", 2, 2, cmd_group_add, CLI_NEEDS_SESSION, NULL, "THREAD USER", NULL},
	{"remove", 2, 2, cmd_group_remove, CLI_NEEDS_SESSION, NULL, "THREAD USER", NULL},
	{"leave", 1, 1, cmd_group_leave, CLI_NEEDS_SESSION, NULL, "THREAD", NULL},
	{NULL, 0, 0, NULL, 0, NULL, NULL, NULL},
};

static const struct cli_command apps_subs[] = {
	{"revoke", 1, 1, cmd_apps_revoke, CLI_NEEDS_SESSION, NULL, "GRANT_ID", NULL},
	{"alias", 2, 2, cmd_apps_alias, CLI_NEEDS_SESSION, NULL, "GRANT_ID NAME", NULL},
	{"unalias", 1, 1, cmd_apps_unalias, CLI_NEEDS_SESSION, NULL, "GRANT_ID", NULL},
	{"approve", 1, 1, cmd_apps_approve, CLI_NEEDS_SESSION, NULL, "CODE", NULL},
	{NULL, 0, 0, NULL, 0, NULL, NULL, NULL},
};

const struct cli_command cli_commands[] = {
	{"register", 1, 1, cmd_register, 0, NULL, "USER [--device-name NAME] [--invite CODE]",
	 "Create the account USER (3-32 of a-z 0-9 _ . -) and log in here as its first device: this makes your\n"
	 "identity key (it signs each of your devices, so that nobody, the server included, can add one) and\n"
	 "shows your recovery key once. Write the recovery key down: with it you can add a device when you have\n"
	 "none left; without it and without your devices you can only start over with a new identity. The\n"
	 "password (8-1024 bytes) is asked twice on the terminal without echo, or taken from $POSTERN_PASSWORD."},
	{"login", 1, 1, cmd_login, 0, NULL, "USER [--device-name NAME] [--wait SECONDS] [--recovery-key]",
	 "Log in as USER and keep the session in the home directory. The first login in a home directory\n"
	 "creates this device's encryption keys and registers the device (named NAME). A new device of an\n"
	 "account that has others shows a code and waits until you approve it on one of them with\n"
	 "`postern devices approve CODE`, or approves itself with your recovery key (--recovery-key, from\n"
	 "$POSTERN_RECOVERY_KEY or asked). Exit code 3: logged in, but this device is not approved yet."},
	{"logout", 0, 0, cmd_logout, CLI_NEEDS_SESSION, NULL, "[--everywhere]",
	 "End the session on the server and forget the stored token. The device keys stay, so logging in again\n"
	 "from this home keeps reading old messages. With --everywhere, every session of your account ends, on\n"
	 "every device (a lost or stolen one): log in again where you still want to be."},
	{"password", 0, 0, cmd_password, CLI_NEEDS_SESSION, NULL, "",
	 "Change your password: asks for the current one ($POSTERN_PASSWORD) and the new one, twice\n"
	 "($POSTERN_NEW_PASSWORD). Every other session of your account ends; this one goes on."},
	{"account", 0, 0, cmd_account, CLI_NEEDS_SESSION, account_subs, "delete",
	 "account delete: delete your account for good. Asks for your password ($POSTERN_PASSWORD). Every session,\n"
	 "device, app grant and token of it ends at once, your messages become tombstones for everyone, your\n"
	 "friends and conversations lose you, and your username stays taken for the server's quarantine."},
	{"whoami", 0, 0, cmd_whoami, CLI_NEEDS_SESSION, NULL, "", "Show the user and device of the stored session."},
	{"friends", 0, 0, cmd_friends, CLI_NEEDS_SESSION, friends_subs,
	 "[add USER | accept REQUEST_ID | decline REQUEST_ID | withdraw REQUEST_ID | remove USER]",
	 "Alone: list your friends and the friend requests waiting, with their ids.\n"
	 "  add USER              ask USER to be friends (accepts at once if USER had asked you)\n"
	 "  accept REQUEST_ID     accept a request someone sent you\n"
	 "  decline REQUEST_ID    decline it, quietly: the sender is not told\n"
	 "  withdraw REQUEST_ID   take back a request you sent that is still waiting\n"
	 "  remove USER           end a friendship"},
	{"sessions", 0, 0, cmd_sessions, CLI_NEEDS_SESSION, sessions_subs, "[end SESSION_ID]",
	 "Alone: list where your account is logged in (this session is marked).\n"
	 "  end SESSION_ID        log that session out (a lost phone); `logout --everywhere` ends them all"},
	{"devices", 0, 0, cmd_devices, CLI_NEEDS_SESSION, devices_subs, "[approve CODE | remove DEVICE_ID]",
	 "Alone: list your devices (the one you are using is marked; one not approved yet reads nothing).\n"
	 "  approve CODE          approve your new device that shows CODE: it gets your identity and can read\n"
	 "  remove DEVICE_ID      remove a device for good: your identity signs its removal, and nobody encrypts\n"
	 "                        to it again, whatever the server says"},
	{"identity", 0, 0, cmd_identity, CLI_NEEDS_SESSION, identity_subs, "[recovery-key | reset --yes]",
	 "Alone: show your identity key and whether this device is approved.\n"
	 "  recovery-key          make a new recovery key (the old one stops working), when it was lost or seen\n"
	 "  reset --yes           make a new identity key and recovery key, when your devices and recovery key\n"
	 "                        are lost or stolen. Your other devices must be approved again, and every\n"
	 "                        contact is told that your identity changed (verified ones must verify again)."},
	{"group", 0, 255, cmd_group, CLI_NEEDS_SESSION, group_subs, "USER... | add THREAD USER | remove THREAD USER | leave THREAD",
	 "Conversations with several friends.\n"
	 "  USER...               start one with these friends (prints its thread id)\n"
	 "  add THREAD USER       add a friend (they read what is sent from now on)\n"
	 "  remove THREAD USER    remove a member (the thread's creator only); later messages get new keys\n"
	 "  leave THREAD          leave it"},
	{"inbox", 0, 0, cmd_inbox, CLI_NEEDS_SESSION, NULL, "[--limit N] [--cursor C]",
	 "List your conversations, most recent activity first, with the number of unread messages."},
	{"send", 2, 2, cmd_send, CLI_NEEDS_SESSION, NULL, "USER|THREAD TEXT",
	 "Encrypt TEXT on this device and send it. USER is a friend's username (the direct conversation with\n"
	 "them is created when needed; write @USER for a username that starts with \"t_\"); THREAD is a thread id\n"
	 "(\"t_...\", see inbox). TEXT \"-\" reads the text from standard input. Put `--` before a text that\n"
	 "starts with \"-\"."},
	{"read", 1, 1, cmd_read, CLI_NEEDS_SESSION, NULL, "USER|THREAD [--limit N] [--before SEQ] [--ids]",
	 "Show the last messages of a conversation, decrypted here, oldest first, and mark them read. A message\n"
	 "this device has no key for shows as \"[cannot decrypt: no key]\" (it was sent before this device\n"
	 "existed, or its key has not arrived yet: `postern watch` picks up keys as they come)."},
	{"watch", 0, 0, cmd_watch, CLI_NEEDS_SESSION, NULL, "[--max-seconds N]",
	 "Follow your events live and print each new message, decrypted, on one line; also friend requests,\n"
	 "new devices and deletions. Runs until Ctrl-C (or N seconds). With --json, one JSON object per line."},
	{"delete", 2, 2, cmd_delete, CLI_NEEDS_SESSION, NULL, "THREAD MESSAGE_ID",
	 "Delete a message you sent: its text is erased for everyone (find the id with `postern read --ids`)."},
	{"verify", 1, 1, cmd_verify, CLI_NEEDS_SESSION, NULL, "USER [--confirm | --unverify | --accept-new-identity] [--qr]",
	 "Show the safety number of you and USER (60 digits from your two identity keys, the same on both\n"
	 "sides) and USER's devices. Compare it with USER in person or on a call; if it matches, run it again\n"
	 "with --confirm: nobody in between, not even the server, can then read your conversations unnoticed, and\n"
	 "a later change of USER's identity blocks sending until you verify again. When USER's identity changed\n"
	 "and you had not verified them, --accept-new-identity takes the new key."},
	{"apps", 0, 0, cmd_apps, CLI_NEEDS_SESSION, apps_subs, "[approve CODE | revoke GRANT_ID | alias GRANT_ID NAME | unalias GRANT_ID]",
	 "Alone: list the partner apps you connected, what they may do and until when, and their devices.\n"
	 "  approve CODE          let the app's device that shows CODE read and write where you allowed it\n"
	 "                        (your identity signs it; until then no client encrypts to it)\n"
	 "  revoke GRANT_ID       disconnect an app: every token it holds stops working at once, and your\n"
	 "                        identity signs the revocation of its device"},
	{"access-log", 0, 0, cmd_access_log, CLI_NEEDS_SESSION, NULL, "[--limit N] [--cursor C]",
	 "Show what connected apps did with your data: when, which app, what, in which conversation."},
	{"log", 0, 0, cmd_log_verify, CLI_NEEDS_SESSION, log_subs, "[verify | ack]",
	 "The server's transparency log, which holds every identity key, device approval, app authorisation and\n"
	 "partner access to your data, append-only, so that the server cannot show you one thing and others another.\n"
	 "  verify                audit it from the last checkpoint this device accepted to the newest: signature,\n"
	 "                        consistency, every entry since, and the changes to your account (each must be one\n"
	 "                        your devices made). Set $POSTERN_LOG_WITNESSES to a file of witness keys (and\n"
	 "                        $POSTERN_LOG_WITNESSES_REQUIRED to how many must co-sign) to require witnesses.\n"
	 "                        A change found is shown by every verify, and warned of after every command, until:\n"
	 "  ack                   you have checked `postern devices` and `postern apps` and acted: forget the alarms."},
	{"consent", 2, 2, cmd_consent, CLI_NEEDS_SESSION, NULL, "THREAD accept|decline",
	 "In a conversation a partner app started, let that app read your messages too (accept), or not."},
	{"open", 2, 2, cmd_open, CLI_NEEDS_SESSION, NULL, "THREAD SHARE_ID",
	 "Show a share an app sent you (the item and its message) and tell the app it was opened."},
	{"help", 0, 1, cmd_help, CLI_NO_CLIENT, NULL, "[COMMAND]", "Explain postern, or one command."},
	{NULL, 0, 0, NULL, 0, NULL, NULL, NULL},
};

/*
 * `postern help [COMMAND]` (no client): every command's usage line, or with argv[0] one command's usage
 * and help paragraph, on stdout. CLI_OK; CLI_USAGE for an unknown command.
 */
int cmd_help(struct cli *cli, int argc, char **argv)
{
	const struct cli_command *cmd;

	(void)cli;
	if (argc == 0) {
		cli_help_all(stdout);
		return CLI_OK;
	}
	if ((cmd = cli_command_find(cli_commands, argv[0])) == NULL)
		return cli_usage(NULL, "unknown command '%s'", argv[0]);
	cli_help_command(cmd);
	return CLI_OK;
}

/* ---- accounts and sessions ---- */

/*
 * `postern register USER [--invite CODE]`: creates the account argv[0] with a password asked twice (or
 * $POSTERN_PASSWORD), logs in as its first device and shows the recovery key once (pst_register_invite,
 * pst_login). CLI_OK; CLI_FAIL when either call fails (a taken name, a refused invite: the server's reason).
 */
int cmd_register(struct cli *cli, int argc, char **argv)
{
	char *password = NULL, *user_id = NULL, prompt[96], default_name[65];
	pst_status st;
	int rc = CLI_FAIL;

	(void)argc;
	snprintf(prompt, sizeof(prompt), "New password for %.40s: ", argv[0]);
	if ((password = cli_password(prompt, 1)) == NULL)
		goto out;
	if ((st = pst_register_invite(cli->client, argv[0], password, cli->invite, &user_id)) != PST_OK) {
		rc = cli_fail(cli, st, "register %s", argv[0]);
		goto out;
	}
	/* the first device of the account: logging in makes the identity key and the recovery key */
	st = pst_login(cli->client, argv[0], password, cli_device_name(cli, default_name, sizeof(default_name)));
	if (st != PST_OK) {
		rc = cli_fail(cli, st, "registered %s, but logging in failed", argv[0]);
		goto out;
	}
	rc = cli_show_recovery_key(cli, argv[0], user_id);
out:
	cli_secret_free(password);
	pst_free(user_id);
	return rc;
}

/*
 * `postern login USER [--device-name N] [--wait S] [--recovery-key]`: logs in as argv[0] with the password,
 * registering this device on the home's first login; a first device shows its new recovery key, a further
 * device its approval code and waits (cli_approve_this_device). CLI_OK; CLI_FAIL (wrong password, no room
 * for a device: says how to make some); CLI_REFUSED when the device stays unapproved.
 */
int cmd_login(struct cli *cli, int argc, char **argv)
{
	char *password = NULL, prompt[96], default_name[65];
	const char *device_name = cli_device_name(cli, default_name, sizeof(default_name));
	pst_status st;
	int rc = CLI_FAIL;

	(void)argc;
	snprintf(prompt, sizeof(prompt), "Password for %.40s: ", argv[0]);
	if ((password = cli_password(prompt, 0)) == NULL)
		goto out;
	st = pst_login(cli->client, argv[0], password, device_name);
	if (st == PST_ERR_APPROVAL) { /* a new device of an account that has others: approve it first */
		rc = cli_approve_this_device(cli, argv[0]);
		goto out;
	}
	if (st != PST_OK) {
		rc = cli_fail(cli, st, "log in as %s", argv[0]);
		if (pst_logged_in(cli->client) && pst_http_status(cli->client) == 409)
			fprintf(stderr, "postern: you are logged in here without a device: list yours with `postern devices`,\n"
					"remove one with `postern devices remove DEVICE_ID`, then run `postern login %s` again\n",
				argv[0]);
		goto out;
	}
	if (pst_approval_code(cli->client) == NULL && cli_has_recovery_key(cli)) {
		/* the account's first device logging in (registered elsewhere): its identity was made just now */
		rc = cli_show_recovery_key(cli, argv[0], NULL);
		goto out;
	}
	if (cli->json) {
		rc = out_json_done("username", argv[0], "user_id", pst_user_id(cli->client), "device_id",
				   pst_device_id(cli->client), NULL);
		goto out;
	}
	out_line("Logged in as %s on %s; this device is %s.", argv[0], cli->server_url,
		 pst_device_id(cli->client) ? pst_device_id(cli->client) : "not registered");
	rc = CLI_OK;
out:
	cli_secret_free(password);
	return rc;
}

/*
 * `postern logout [--everywhere]`: ends this session (or, with --everywhere, every session of the account)
 * and forgets the stored token; the device keys stay. CLI_OK or CLI_FAIL.
 */
int cmd_logout(struct cli *cli, int argc, char **argv)
{
	pst_status st;

	(void)argc, (void)argv;
	st = cli->everywhere ? pst_logout_everywhere(cli->client) : pst_logout(cli->client);
	if (st != PST_OK)
		return cli_fail(cli, st, "log out");
	if (cli->json)
		return out_json_done(NULL);
	out_line(cli->everywhere ? "Logged out everywhere: every session of your account has ended." : "Logged out.");
	return CLI_OK;
}

/*
 * `postern account` alone: the command needs its subcommand (delete). Always CLI_USAGE.
 */
int cmd_account(struct cli *cli, int argc, char **argv)
{
	(void)cli, (void)argc, (void)argv;
	return cli_usage(cli_command_find(cli_commands, "account"), "say what to do: postern account delete");
}

/*
 * `postern account delete`: asks for the password again ($POSTERN_PASSWORD) and deletes the account for
 * good (pst_account_delete). CLI_OK; CLI_FAIL on a wrong password or a failed call.
 */
int cmd_account_delete(struct cli *cli, int argc, char **argv)
{
	char *password = NULL;
	pst_status st;
	int rc = CLI_FAIL;

	(void)argc, (void)argv;
	if ((password = cli_password("Password (to delete your account for good): ", 0)) == NULL)
		goto out;
	if ((st = pst_account_delete(cli->client, password)) != PST_OK) {
		rc = cli_fail(cli, st, "delete the account");
		goto out;
	}
	rc = cli->json ? out_json_done(NULL) : CLI_OK;
	if (!cli->json)
		out_line("Your account is deleted: every session, device and app grant of it has ended, and your messages are "
			 "tombstones. The username stays taken for a while (the server's quarantine).");
out:
	cli_secret_free(password);
	return rc;
}

/*
 * `postern password`: asks for the current password ($POSTERN_PASSWORD) and the new one twice
 * ($POSTERN_NEW_PASSWORD), then changes it; the other sessions end. Both secrets are wiped. CLI_OK or CLI_FAIL.
 */
int cmd_password(struct cli *cli, int argc, char **argv)
{
	char *current = NULL, *fresh = NULL;
	pst_status st;
	int rc = CLI_FAIL;

	(void)argc, (void)argv;
	if ((current = cli_password("Current password: ", 0)) == NULL ||
	    (fresh = cli_password_from("POSTERN_NEW_PASSWORD", "New password: ", 1)) == NULL)
		goto out;
	if ((st = pst_password_change(cli->client, current, fresh)) != PST_OK) {
		rc = cli_fail(cli, st, "change the password");
		goto out;
	}
	if (cli->json) {
		rc = out_json_done(NULL);
		goto out;
	}
	out_line("Password changed. Your other sessions have ended: log in there again.");
	rc = CLI_OK;
out:
	cli_secret_free(current);
	cli_secret_free(fresh);
	return rc;
}

/*
 * `postern whoami`: prints the user and device of the stored session (pst_whoami). CLI_OK or CLI_FAIL.
 */
int cmd_whoami(struct cli *cli, int argc, char **argv)
{
	char *text = NULL;
	json_t *me = NULL;
	pst_status st;
	int rc = CLI_FAIL;

	(void)argc, (void)argv;
	if ((st = pst_whoami(cli->client, &text)) != PST_OK) {
		rc = cli_fail(cli, st, "whoami");
		goto out;
	}
	if (cli->json) {
		rc = out_json_text(text, "whoami");
		goto out;
	}
	if ((me = out_parse(text, "whoami")) == NULL)
		goto out;
	out_line("%s (%s) on %s, device %s", out_str(me, "username", "?"), out_str(me, "user_id", "?"), cli->server_url,
		 out_str(me, "device_id", "not registered"));
	rc = CLI_OK;
out:
	json_decref(me);
	pst_free(text);
	return rc;
}

/* ---- friends ---- */

/* Print a list of friend requests under a heading; `to`: the requests are the person's own (outgoing). */
static void print_requests(const json_t *reqs, const char *heading, int outgoing)
{
	size_t i;
	json_t *r;
	char when[64];

	if (json_array_size(reqs) == 0)
		return;
	printf("%s\n", heading);
	json_array_foreach(reqs, i, r) {
		const char *id = out_str(r, "request_id", "?");
		out_time(out_str(r, "created_at", NULL), when, sizeof(when));
		if (outgoing)
			out_line("  %-20s  %s  %s  (waiting for them; take it back with: postern friends withdraw %s)",
				 out_str(json_object_get(r, "user"), "username", "?"), id, when, id);
		else
			out_line("  %-20s  %s  %s  (accept with: postern friends accept %s)",
				 out_str(json_object_get(r, "user"), "username", "?"), id, when, id);
	}
}

/*
 * `postern friends` alone: lists the friends and the requests waiting either way, with their ids.
 * CLI_OK; CLI_FAIL when a listing cannot be fetched or parsed.
 */
int cmd_friends(struct cli *cli, int argc, char **argv)
{
	char *ftext = NULL, *rtext = NULL;
	json_t *friends = NULL, *reqs = NULL, *all = NULL, *list, *f;
	pst_status st;
	size_t i;
	char when[64];
	int rc = CLI_FAIL;

	(void)argc, (void)argv;
	if ((st = pst_friends(cli->client, &ftext)) != PST_OK) {
		rc = cli_fail(cli, st, "list friends");
		goto out;
	}
	if ((st = pst_friend_requests(cli->client, &rtext)) != PST_OK) {
		rc = cli_fail(cli, st, "list friend requests");
		goto out;
	}
	if ((friends = out_parse(ftext, "friends")) == NULL || (reqs = out_parse(rtext, "friend requests")) == NULL)
		goto out;
	if (cli->json) {
		all = json_pack("{s:O,s:O,s:O}", "friends", json_object_get(friends, "friends"), "incoming",
				json_object_get(reqs, "incoming"), "outgoing", json_object_get(reqs, "outgoing"));
		rc = all ? out_json(all, 0) : cli_error("list friends: unexpected JSON from the library");
		goto out;
	}
	list = json_object_get(friends, "friends");
	if (json_array_size(list) == 0)
		printf("No friends yet. Ask someone with: postern friends add USER\n");
	else
		printf("Friends:\n");
	json_array_foreach(list, i, f) {
		out_time(out_str(f, "since", NULL), when, sizeof(when));
		out_line("  %-20s  %s  since %s", out_str(f, "username", "?"), out_str(f, "user_id", "?"), when);
	}
	print_requests(json_object_get(reqs, "incoming"), "Requests to you:", 0);
	print_requests(json_object_get(reqs, "outgoing"), "Your requests:", 1);
	rc = CLI_OK;
out:
	json_decref(all);
	json_decref(reqs);
	json_decref(friends);
	pst_free(rtext);
	pst_free(ftext);
	return rc;
}

/*
 * `postern friends add USER`: asks argv[0] (a username) to be friends, which accepts at once a request
 * they had sent; prints the request or friendship. CLI_OK or CLI_FAIL (no such user: the server's reason).
 */
int cmd_friends_add(struct cli *cli, int argc, char **argv)
{
	char *text = NULL;
	json_t *ans = NULL;
	pst_status st;
	int rc = CLI_FAIL;

	(void)argc;
	if ((st = pst_friend_add(cli->client, argv[0], &text)) != PST_OK) {
		rc = cli_fail(cli, st, "ask %s to be friends", argv[0]);
		goto out;
	}
	if (cli->json) {
		rc = out_json_text(text, "friends add");
		goto out;
	}
	if ((ans = out_parse(text, "friends add")) == NULL)
		goto out;
	if (strcmp(out_str(ans, "state", ""), "accepted") == 0)
		out_line("You and %s are now friends (they had asked you).", argv[0]);
	else
		out_line("Asked %s to be friends (request %s); they accept with: postern friends accept %s", argv[0],
			 out_str(ans, "request_id", "?"), out_str(ans, "request_id", "?"));
	rc = CLI_OK;
out:
	json_decref(ans);
	pst_free(text);
	return rc;
}

/* accept and decline: the same call shape, told apart by this row. */
static const struct {
	const char *verb;
	pst_status (*answer)(pst_client *c, const char *request_id);
	const char *state, *done, *note;
} request_answers[] = {
	{"accept", pst_friend_accept, "accepted", "Accepted", ""},
	{"decline", pst_friend_decline, "declined", "Declined", " (the sender is not told)"},
	{"withdraw", pst_friend_withdraw, "withdrawn", "Withdrew", ""},
};

/* Act on a friend request with request_answers[which]: accept or decline one sent to you, withdraw yours. */
static int answer_request(struct cli *cli, size_t which, const char *request_id)
{
	pst_status st;

	if (!cli_id_ok(request_id))
		return cli_bad_arg("'%s' is not a request id (see postern friends)", request_id);
	if ((st = request_answers[which].answer(cli->client, request_id)) != PST_OK)
		return cli_fail(cli, st, "%s friend request %s", request_answers[which].verb, request_id);
	if (cli->json)
		return out_json_done("request_id", request_id, "state", request_answers[which].state, NULL);
	out_line("%s friend request %s%s.", request_answers[which].done, request_id, request_answers[which].note);
	return CLI_OK;
}

/*
 * `postern friends accept REQUEST_ID`: accepts the request argv[0] someone sent. CLI_OK, CLI_FAIL, or
 * CLI_USAGE for an argument that is not an id.
 */
int cmd_friends_accept(struct cli *cli, int argc, char **argv)
{
	(void)argc;
	return answer_request(cli, 0, argv[0]);
}

/*
 * `postern friends decline REQUEST_ID`: declines the request argv[0], without telling its sender. CLI_OK,
 * CLI_FAIL, or CLI_USAGE for an argument that is not an id.
 */
int cmd_friends_decline(struct cli *cli, int argc, char **argv)
{
	(void)argc;
	return answer_request(cli, 1, argv[0]);
}

/*
 * `postern friends withdraw REQUEST_ID`: takes back the still-waiting request argv[0] this person sent.
 * CLI_OK, CLI_FAIL, or CLI_USAGE for an argument that is not an id.
 */
int cmd_friends_withdraw(struct cli *cli, int argc, char **argv)
{
	(void)argc;
	return answer_request(cli, 2, argv[0]);
}

/*
 * `postern friends remove USER`: ends the friendship with argv[0], a friend's username (pst_friend_id, then
 * pst_friend_remove). CLI_OK; CLI_FAIL when USER is not a friend or the call fails.
 */
int cmd_friends_remove(struct cli *cli, int argc, char **argv)
{
	char *user_id = NULL;
	pst_status st;
	int rc = CLI_FAIL;

	(void)argc;
	if ((st = pst_friend_id(cli->client, argv[0], &user_id)) != PST_OK) {
		rc = cli_fail(cli, st, "find friend %s", argv[0]);
		goto out;
	}
	if ((st = pst_friend_remove(cli->client, user_id)) != PST_OK) {
		rc = cli_fail(cli, st, "remove friend %s", argv[0]);
		goto out;
	}
	rc = cli->json ? out_json_done("user_id", user_id, "username", argv[0], NULL) : CLI_OK;
	if (!cli->json)
		out_line("You and %s are no longer friends.", argv[0]);
out:
	pst_free(user_id);
	return rc;
}

/* ---- devices and fingerprints ---- */

static void device_row(const struct cli *cli, const json_t *d)
{
	const char *id = out_str(d, "device_id", "?"), *mine = pst_device_id(cli->client);
	char when[64];
	out_time(out_str(d, "created_at", NULL), when, sizeof(when));
	out_line("%s  %-24s  added %s%s%s", id, out_str(d, "name", "?"), when, mine && strcmp(mine, id) == 0 ? "  (this device)" : "",
		 json_is_true(json_object_get(d, "approved")) ? "" : "  (not approved: it reads nothing)");
}

/*
 * The devices as the server lists them, each marked "approved" when this client verified it (certified by
 * your identity key: pst_contact on your own account), so the person sees what the server cannot fake.
 */
int cmd_devices(struct cli *cli, int argc, char **argv)
{
	static const struct out_listing l = {"list devices", "devices", "devices", device_row,
					     "No devices registered (log in to register this one).", NULL, NULL};
	char *text = NULL, *self = NULL, *marked = NULL;
	json_t *list = NULL, *me = NULL, *d, *v;
	size_t i, j;
	pst_status st = pst_devices(cli->client, &text);

	(void)argc, (void)argv;
	if (st == PST_OK && pst_user_id(cli->client) && pst_contact(cli->client, pst_user_id(cli->client), &self) == PST_OK &&
	    (list = json_loads(text, 0, NULL)) != NULL && (me = json_loads(self, 0, NULL)) != NULL) {
		json_array_foreach(json_object_get(list, "devices"), i, d) {
			int ok = 0;
			json_array_foreach(json_object_get(me, "devices"), j, v) ok |= strcmp(out_str(v, "device_id", ""), out_str(d, "device_id", "?")) == 0;
			json_object_set_new(d, "approved", json_boolean(ok));
		}
		if ((marked = json_dumps(list, JSON_COMPACT)) != NULL) {
			pst_free(text);
			text = marked;
		}
	}
	pst_free(self);
	json_decref(list);
	json_decref(me);
	return out_listing(cli, st, text, &l);
}

static void session_row(const struct cli *cli, const json_t *x)
{
	const json_t *dev = json_object_get(x, "device");
	char when[64], until[64];
	(void)cli;
	out_time(out_str(x, "created_at", NULL), when, sizeof(when));
	out_time(out_str(x, "expires_at", NULL), until, sizeof(until));
	out_line("%s  %-24s  since %s, until %s%s", out_str(x, "session_id", "?"), dev ? out_str(dev, "name", "?") : "(no device)",
		 when, until, json_is_true(json_object_get(x, "current")) ? "  (this session)" : "");
}

/*
 * `postern sessions` alone: lists where the account is logged in, marking this session. CLI_OK or CLI_FAIL.
 */
int cmd_sessions(struct cli *cli, int argc, char **argv)
{
	static const struct out_listing l = {"list sessions", "sessions", "sessions", session_row, NULL, NULL, NULL};
	char *text = NULL;
	pst_status st = pst_sessions(cli->client, &text);

	(void)argc, (void)argv;
	return out_listing(cli, st, text, &l);
}

/*
 * `postern sessions end SESSION_ID`: logs the session argv[0] out (a lost phone). CLI_OK, CLI_FAIL, or
 * CLI_USAGE for an argument that is not an id.
 */
int cmd_sessions_end(struct cli *cli, int argc, char **argv)
{
	pst_status st;

	(void)argc;
	if (!cli_id_ok(argv[0]))
		return cli_bad_arg("'%s' is not a session id (see postern sessions)", argv[0]);
	if ((st = pst_session_end(cli->client, argv[0])) != PST_OK)
		return cli_fail(cli, st, "end session %s", argv[0]);
	if (cli->json)
		return out_json_done("session_id", argv[0], NULL);
	out_line("Ended session %s: its token no longer works.", argv[0]);
	return CLI_OK;
}

/*
 * `postern devices remove DEVICE_ID`: removes the device argv[0] for good; the person's identity signs its
 * removal so that no client encrypts to it again. CLI_OK, CLI_FAIL, or CLI_USAGE for a malformed id.
 */
int cmd_devices_remove(struct cli *cli, int argc, char **argv)
{
	pst_status st;

	(void)argc;
	if (!cli_id_ok(argv[0]))
		return cli_bad_arg("'%s' is not a device id (see postern devices)", argv[0]);
	if ((st = pst_device_remove(cli->client, argv[0])) != PST_OK)
		return cli_fail(cli, st, "remove device %s", argv[0]);
	if (cli->json)
		return out_json_done("device_id", argv[0], NULL);
	out_line("Removed device %s.", argv[0]);
	return CLI_OK;
}

/* ---- connected apps ---- */

static void grant_row(const struct cli *cli, const json_t *g)
{
	const char *state = json_is_true(json_object_get(g, "active")) ? "active"
			    : json_is_string(json_object_get(g, "revoked_at")) ? "revoked"
										: "expired";
	char until[64], used[64];
	(void)cli;
	out_time(out_str(g, "expires_at", NULL), until, sizeof(until));
	out_time(out_str(g, "last_used_at", NULL), used, sizeof(used));
	out_line("%s  %-16s  %-7s  until %s  last used %s  %s", out_str(g, "grant_id", "?"),
		 out_str(json_object_get(g, "app"), "name", "?"), state, until,
		 json_is_string(json_object_get(g, "last_used_at")) ? used : "never",
		 json_is_true(json_object_get(g, "proven")) ? "[in the log]" : "[NOT in the transparency log]");
	out_line("      may: %s", out_str(g, "scope", ""));
	out_line("      knows you as: %s%s", out_str(g, "alias", "?"),
		 json_is_true(json_object_get(g, "chosen")) ? "" : " (its default; choose one: postern apps alias)");
}

/*
 * `postern apps` alone: lists the partner apps the person connected (grants: what they may do, until
 * when) and their devices. CLI_OK or CLI_FAIL.
 */
int cmd_apps(struct cli *cli, int argc, char **argv)
{
	static const struct out_listing l = {"list connected apps", "apps", "grants", grant_row, "No connected apps.", NULL, NULL};
	char *text = NULL, *devs = NULL;
	json_t *list = NULL, *d;
	size_t i;
	pst_status st = pst_grants(cli->client, &text);
	int rc;

	(void)argc, (void)argv;
	rc = out_listing(cli, st, text, &l);
	if (rc != CLI_OK || cli->json)
		return rc;
	/* an app's device reads nothing until the person's own client signs for it: say which ones wait */
	if (pst_app_devices(cli->client, &devs) == PST_OK && (list = json_loads(devs, 0, NULL)) != NULL)
		json_array_foreach(json_object_get(list, "devices"), i, d) {
			if (json_is_string(json_object_get(d, "authorisation")) || json_is_string(json_object_get(d, "revocation")))
				continue;
			out_line("%s's device %s waits for your approval: check the code %s shows you and run `postern apps approve CODE`",
				 out_str(d, "app_name", "an app"), out_str(d, "device_id", "?"), out_str(d, "app_name", "the app"));
		}
	json_decref(list);
	pst_free(devs);
	return rc;
}

/*
 * `postern apps revoke GRANT_ID`: disconnects the app of grant argv[0] (its tokens stop working, its device's
 * revocation is signed). CLI_OK, CLI_FAIL, or CLI_USAGE for a malformed id.
 */
int cmd_apps_revoke(struct cli *cli, int argc, char **argv)
{
	pst_status st;

	(void)argc;
	if (!cli_id_ok(argv[0]))
		return cli_bad_arg("'%s' is not a grant id (see postern apps)", argv[0]);
	if ((st = pst_grant_revoke(cli->client, argv[0])) != PST_OK)
		return cli_fail(cli, st, "revoke %s", argv[0]);
	if (cli->json)
		return out_json_done("grant_id", argv[0], NULL);
	out_line("Disconnected %s: every token of that app for you stopped working.", argv[0]);
	return CLI_OK;
}

/* apps alias GRANT_ID NAME / apps unalias GRANT_ID: the name that app shows for you. */
static int apps_alias(struct cli *cli, const char *grant_id, const char *alias)
{
	char *text = NULL;
	json_t *v;
	pst_status st;

	if (!cli_id_ok(grant_id))
		return cli_bad_arg("'%s' is not a grant id (see postern apps)", grant_id);
	if ((st = pst_grant_alias(cli->client, grant_id, alias, &text)) != PST_OK)
		return cli_fail(cli, st, "name yourself for %s", grant_id);
	if (cli->json) {
		out_line("%s", text);
		pst_free(text);
		return CLI_OK;
	}
	v = json_loads(text, 0, NULL);
	out_line("%s now knows you as %s%s.", out_str(json_object_get(v, "app"), "name", "The app"), out_str(v, "alias", "?"),
		 json_is_true(json_object_get(v, "chosen")) ? "" : " (its default: your username is never shown to apps)");
	json_decref(v);
	pst_free(text);
	return CLI_OK;
}

/*
 * `postern apps alias GRANT_ID NAME`: the name (argv[1]) the app of grant argv[0] shows for this person.
 * CLI_OK; CLI_FAIL with the server's reason for a refused name; CLI_USAGE for a malformed id.
 */
int cmd_apps_alias(struct cli *cli, int argc, char **argv)
{
	(void)argc;
	return apps_alias(cli, argv[0], argv[1]);
}

/*
 * `postern apps unalias GRANT_ID`: back to the server's default name for this person in that app. CLI_OK,
 * CLI_FAIL, or CLI_USAGE for a malformed id.
 */
int cmd_apps_unalias(struct cli *cli, int argc, char **argv)
{
	(void)argc;
	return apps_alias(cli, argv[0], NULL);
}

static void access_row(const struct cli *cli, const json_t *e)
{
	json_int_t count = json_integer_value(json_object_get(e, "count")), missing = json_integer_value(json_object_get(e, "missing_above"));
	char when[64], items[48] = "", mark[160];
	(void)cli;
	out_time(out_str(e, "at", NULL), when, sizeof(when));
	if (count > 0)
		snprintf(items, sizeof(items), "  (%lld item%s)", (long long)count, count == 1 ? "" : "s");
	if (missing > 0) /* numbered lines just above this one are gone */
		out_line("  [%lld line%s missing here: dropped from what the server shows]", (long long)missing, missing == 1 ? "" : "s");
	if (json_is_true(json_object_get(e, "proven")))
		snprintf(mark, sizeof(mark), "  [in the log]");
	else if (json_is_string(json_object_get(e, "log_problem")))
		snprintf(mark, sizeof(mark), "  [REWRITTEN: %s]", out_str(e, "log_problem", ""));
	else
		snprintf(mark, sizeof(mark), "  [NOT in the transparency log]");
	out_line("%s  %-16s  %s%s%s%s%s%s%s", when, out_str(json_object_get(e, "app"), "name", "?"), out_str(e, "action", "?"),
		 json_is_string(json_object_get(e, "thread_id")) ? "  thread " : "", out_str(e, "thread_id", ""),
		 json_is_string(json_object_get(e, "message_id")) ? "  message " : "", out_str(e, "message_id", ""), items, mark);
}

/*
 * `postern access-log [--limit N] [--cursor C]`: one page of what connected apps did with the person's data,
 * newest first. CLI_OK; CLI_FAIL when the page cannot be fetched; CLI_REFUSED (after a warning) when the
 * server dropped lines this device was shown before.
 */
int cmd_access_log(struct cli *cli, int argc, char **argv)
{
	static const struct out_listing l = {"read the access log", "access-log", "entries", access_row,
					     "No app has touched your data.", "No older entries.",
					     "Older entries: postern access-log"};
	char *text = NULL;
	json_t *page;
	pst_status st = pst_access_log_page(cli->client, cli->limit ? (int)cli->limit : ACCESS_LOG_DEFAULT, cli->cursor, &text);
	int rc;

	(void)argc, (void)argv;
	/* lines this device was shown that the server no longer shows at all: said, and exit 3 */
	page = st == PST_OK && text ? json_loads(text, 0, NULL) : NULL;
	if (json_is_string(json_object_get(page, "log_problem")))
		fprintf(stderr, "postern: WARNING: %s: the server dropped them from your access log\n", out_str(page, "log_problem", ""));
	rc = out_listing(cli, st, text, &l);
	if (rc == CLI_OK && json_is_string(json_object_get(page, "log_problem")))
		rc = CLI_REFUSED;
	json_decref(page);
	return rc;
}

/* The answers of `consent`. */
static const struct {
	const char *word;
	int accept;
	const char *may;
} consent_answers[] = {
	{"accept", 1, "may now read your messages there too"},
	{"decline", 0, "may not read your messages there"},
};

/*
 * `postern consent THREAD accept|decline`: lets the partner app that started thread argv[0] read the person's
 * messages there, or not. CLI_OK; CLI_FAIL; CLI_USAGE for a malformed id or another answer than the two.
 */
int cmd_consent(struct cli *cli, int argc, char **argv)
{
	pst_status st;

	(void)argc;
	if (!cli_id_ok(argv[0]))
		return cli_bad_arg("'%s' is not a thread id (see postern inbox)", argv[0]);
	for (size_t i = 0; i < sizeof(consent_answers) / sizeof(consent_answers[0]); i++) {
		if (strcmp(argv[1], consent_answers[i].word) != 0)
			continue;
		if ((st = pst_app_consent(cli->client, argv[0], consent_answers[i].accept)) != PST_OK)
			return cli_fail(cli, st, "consent %s in %s", argv[1], argv[0]);
		if (cli->json)
			return out_json_done("thread_id", argv[0], "consent", argv[1], NULL);
		out_line("The app of %s %s.", argv[0], consent_answers[i].may);
		return CLI_OK;
	}
	return cli_usage(cli_command_find(cli_commands, "consent"), "answer accept or decline, not '%s'", argv[1]);
}
