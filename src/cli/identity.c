/*
 * identity.c — the `postern` commands about who is who (docs/cli.md, docs/protocol.md §12-§16): showing the
 * recovery key once, a new device waiting for approval or approving itself with the recovery key, approving
 * a new device or a partner app's device by its code, the account's identity and its reset, and `verify`
 * (safety numbers, confirming, accepting a changed identity). Only libpostern's public API is used.
 */
#include "postern_cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "banned.h" /* last: bans footguns in this file only */

#define DEFAULT_WAIT 300 /* seconds `login` waits for approval */

static char *pending_key; /* a recovery key taken from the library, until shown */

const char *cli_device_name(const struct cli *cli, char *buf, size_t cap)
{
	char host[256] = "";
	if (cli->device_name)
		return cli->device_name; /* the server checks its length (1-64 bytes) */
	if (gethostname(host, sizeof(host) - 1) != 0 || host[0] == '\0')
		snprintf(host, sizeof(host), "unknown host");
	snprintf(buf, cap, "postern on %.53s", host);
	return buf;
}

int cli_has_recovery_key(const struct cli *cli)
{
	if (pending_key == NULL && pst_take_recovery_key(cli->client, &pending_key) != PST_OK)
		pending_key = NULL;
	return pending_key != NULL;
}

int cli_show_recovery_key(struct cli *cli, const char *username, const char *user_id)
{
	int rc = CLI_OK;
	if (!cli_has_recovery_key(cli))
		return cli_error("no recovery key was made");
	if (cli->json) {
		rc = out_json_done("username", username, "user_id", user_id ? user_id : pst_user_id(cli->client), "device_id",
				   pst_device_id(cli->client), "recovery_key", pending_key, NULL);
		goto out;
	}
	if (user_id)
		out_line("Registered %s (%s) and logged in here: this is your first device.", username, user_id);
	else
		out_line("Logged in as %s: this is your account's first device.", username);
	out_line("%s", "");
	out_line("Your recovery key (shown this once):");
	out_line("%s", "");
	out_line("    %s", pending_key);
	out_line("%s", "");
	out_line("Write it down and keep it somewhere safe, away from this computer. If you lose every device");
	out_line("you are logged in on, it is the only way to add a new one and keep your identity; without it you");
	out_line("must reset your identity, and everyone you talk to will be told it changed.");
out:
	cli_secret_free(pending_key);
	pending_key = NULL;
	return rc;
}

int cli_approve_this_device(struct cli *cli, const char *username)
{
	const char *code = pst_approval_code(cli->client);
	long wait = cli->wait < 0 ? DEFAULT_WAIT : cli->wait;
	char *key = NULL;
	pst_status st;

	if (cli->recovery) {
		if ((key = cli_password_from("POSTERN_RECOVERY_KEY", "Recovery key: ", 0)) == NULL)
			return CLI_FAIL;
		st = pst_recover(cli->client, key);
		cli_secret_free(key);
		if (st != PST_OK)
			return cli_fail(cli, st, "approve this device with the recovery key");
		if (cli->json)
			return out_json_done("username", username, "device_id", pst_device_id(cli->client), "state", "approved", NULL);
		out_line("Logged in as %s; this device (%s) is approved with your recovery key.", username, pst_device_id(cli->client));
		return CLI_OK;
	}
	if (code == NULL)
		return cli_fail(cli, PST_ERR_APPROVAL, "log in as %s", username);
	if (cli->json) {
		json_t *j = json_pack("{s:s,s:s?,s:s}", "state", "waiting", "device_id", pst_device_id(cli->client), "approval_code", code);
		out_json(j, 1);
		json_decref(j);
	} else {
		out_line("Logged in as %s. This is a new device: approve it on a device where you are logged in, with", username);
		out_line("%s", "");
		out_line("    postern devices approve %s", code);
		out_line("%s", "");
		out_line("or use your recovery key here: postern login %s --recovery-key", username);
	}
	fflush(stdout);
	if (wait == 0)
		return CLI_REFUSED;
	if (!cli->json)
		out_line("Waiting for the approval (up to %ld seconds; Ctrl-C to stop, and log in again later)...", wait);
	fflush(stdout);
	st = pst_wait_approval(cli->client, (int)wait);
	if (st == PST_ERR_APPROVAL) {
		cli_error("this device is not approved yet: approve it, then run `postern login %s` again", username);
		return CLI_REFUSED;
	}
	if (st != PST_OK)
		return cli_fail(cli, st, "wait for approval");
	if (cli->json)
		return out_json_done("state", "approved", "device_id", pst_device_id(cli->client), NULL);
	out_line("Approved: this device can now read and send.");
	return CLI_OK;
}

/*
 * `postern devices approve CODE`: approves the person's new device that shows code argv[0], after checking its
 * keys against the code here (pst_device_approve). CLI_OK; CLI_FAIL or CLI_REFUSED through cli_fail.
 */
int cmd_devices_approve(struct cli *cli, int argc, char **argv)
{
	char *text = NULL;
	json_t *d = NULL;
	pst_status st;
	int rc;

	(void)argc;
	if ((st = pst_device_approve(cli->client, argv[0], &text)) != PST_OK)
		return cli_fail(cli, st, "approve %s", argv[0]);
	if (cli->json) {
		rc = out_json_text(text, "device");
		pst_free(text);
		return rc;
	}
	d = out_parse(text, "device");
	out_line("Approved %s (%s): it can read and send as you from now on.", out_str(d, "name", "the device"), out_str(d, "device_id", "?"));
	json_decref(d);
	pst_free(text);
	return CLI_OK;
}

/*
 * `postern identity` alone: shows the person's identity key and whether this device is approved (checking
 * once whether it was approved meanwhile). CLI_OK; CLI_FAIL when the identity cannot be read.
 */
int cmd_identity(struct cli *cli, int argc, char **argv)
{
	char *text = NULL;
	json_t *me = NULL, *v;
	size_t i;
	int approved = 0, rc = CLI_FAIL;
	pst_status st;

	(void)argc, (void)argv;
	st = pst_wait_approval(cli->client, 0); /* an approval that came meanwhile is taken now */
	if (st != PST_OK && st != PST_ERR_APPROVAL)
		return cli_fail(cli, st, "read your identity");
	if ((st = pst_contact(cli->client, pst_user_id(cli->client) ? pst_user_id(cli->client) : "", &text)) != PST_OK)
		return cli_fail(cli, st, "read your identity");
	if ((me = out_parse(text, "identity")) == NULL)
		goto out;
	json_array_foreach(json_object_get(me, "devices"), i, v) approved |= pst_device_id(cli->client) &&
									     strcmp(out_str(v, "device_id", ""), pst_device_id(cli->client)) == 0;
	if (cli->json) {
		json_object_set_new(me, "this_device_approved", json_boolean(approved));
		rc = out_json(me, 0);
		goto out;
	}
	if (strcmp(out_str(me, "state", "none"), "none") == 0)
		out_line("Your account has no identity key yet.");
	else
		out_line("Your identity key: %s", out_str(me, "id_pk", "?"));
	out_line("This device is %s; %zu of your devices are approved.", approved ? "approved" : "NOT approved",
		 json_array_size(json_object_get(me, "devices")));
	if (strcmp(out_str(me, "state", ""), "changed") == 0)
		out_line("The server shows another identity key for your account than this device holds: it was reset on another "
			 "device, or the server is lying. This device must be approved again.");
	rc = CLI_OK;
out:
	json_decref(me);
	pst_free(text);
	return rc;
}

/*
 * `postern identity reset --yes`: makes a new identity and recovery key (shown once); the other devices must
 * be approved again. Without --yes it only says what it would do: CLI_USAGE. CLI_OK, CLI_FAIL, CLI_REFUSED.
 */
int cmd_identity_reset(struct cli *cli, int argc, char **argv)
{
	char *key = NULL;
	pst_status st;
	int rc;

	(void)argc, (void)argv;
	if (!cli->yes)
		return cli_usage(cli_command_find(cli_commands, "identity"),
				 "a reset cannot be undone: every contact is told your identity changed and your other devices must be "
				 "approved again; add --yes if that is what you want");
	if ((st = pst_identity_reset(cli->client, &key)) != PST_OK)
		return cli_fail(cli, st, "reset your identity");
	pending_key = key;
	if (cli->json)
		return cli_show_recovery_key(cli, "", pst_user_id(cli->client));
	out_line("You reset your identity: a new identity key now signs this device. Your contacts will see that your");
	out_line("identity changed (those who had verified you must verify you again), and your other devices must be");
	out_line("approved again from this one.");
	out_line("%s", "");
	out_line("Your new recovery key (shown this once; the old one no longer works):");
	out_line("%s", "");
	out_line("    %s", pending_key);
	rc = CLI_OK;
	cli_secret_free(pending_key);
	pending_key = NULL;
	return rc;
}

/*
 * `postern identity recovery-key`: makes a new recovery key for the same identity and shows it once; the old
 * one stops working. CLI_OK; CLI_FAIL or CLI_REFUSED through cli_fail.
 */
int cmd_identity_recovery_key(struct cli *cli, int argc, char **argv)
{
	char *key = NULL;
	pst_status st;
	int rc = CLI_OK;

	(void)argc, (void)argv;
	if ((st = pst_recovery_key_new(cli->client, &key)) != PST_OK)
		return cli_fail(cli, st, "make a new recovery key");
	if (cli->json) {
		rc = out_json_done("recovery_key", key, NULL);
	} else {
		out_line("Your new recovery key (shown this once; the old one no longer opens anything):");
		out_line("%s", "");
		out_line("    %s", key);
		out_line("%s", "");
		out_line("Write it down and keep it somewhere safe, away from this computer.");
	}
	cli_secret_free(key);
	return rc;
}

/* The words for a contact's identity state. */
static const struct {
	const char *state, *words;
} states[] = {
	{"none", "has no identity key yet (they use an old client, or never logged in): nothing you send can reach them"},
	{"new", "was seen for the first time just now, and pinned"},
	{"seen", "is the one you pinned when you first talked (not verified)"},
	{"verified", "is VERIFIED: you compared the safety number"},
	{"changed", "CHANGED since you pinned it: nothing is sent to them until you check it"},
};

/*
 * `postern verify USER [--confirm | --unverify | --accept-new-identity] [--qr]`: shows the safety number and
 * devices of this person and argv[0] (a friend's username); with an option, marks them verified, not
 * verified, or accepts their changed identity key. CLI_OK; CLI_FAIL (not a friend among others); CLI_USAGE
 * for more than one of the three options; CLI_REFUSED when the library refuses (a verified contact's new key).
 */
int cmd_verify(struct cli *cli, int argc, char **argv)
{
	char *user_id = NULL, *text = NULL;
	json_t *who = NULL, *d;
	const char *state, *words = "?";
	pst_status st;
	size_t i;
	int rc = CLI_FAIL;

	(void)argc;
	if (cli->confirm + cli->unverify + cli->accept_new > 1)
		return cli_usage(cli_command_find(cli_commands, "verify"), "give one of --confirm, --unverify, --accept-new-identity");
	if ((st = pst_friend_id(cli->client, argv[0], &user_id)) != PST_OK) {
		rc = cli_fail(cli, st, "find friend %s", argv[0]);
		goto out;
	}
	if (cli->accept_new && (st = pst_contact_accept(cli->client, user_id)) != PST_OK) {
		rc = cli_fail(cli, st, "accept the new identity of %s", argv[0]);
		goto out;
	}
	if ((cli->confirm || cli->unverify) && (st = pst_contact_verify(cli->client, user_id, cli->confirm)) != PST_OK) {
		rc = cli_fail(cli, st, "verify %s", argv[0]);
		goto out;
	}
	if ((st = pst_contact(cli->client, user_id, &text)) != PST_OK) {
		rc = cli_fail(cli, st, "read the identity of %s", argv[0]);
		goto out;
	}
	if (cli->json) {
		rc = out_json_text(text, "contact");
		goto out;
	}
	if ((who = out_parse(text, "contact")) == NULL)
		goto out;
	state = out_str(who, "state", "none");
	for (i = 0; i < sizeof(states) / sizeof(states[0]); i++)
		if (strcmp(states[i].state, state) == 0)
			words = states[i].words;
	if (cli->accept_new)
		out_line("You accepted the new identity key of %s.", argv[0]);
	else if (cli->confirm)
		out_line("%s is verified. If their identity key ever changes, nothing is sent to them until you verify again.", argv[0]);
	else if (cli->unverify)
		out_line("%s is no longer marked verified.", argv[0]);
	out_line("The identity key of %s %s.", argv[0], words);
	if (json_is_string(json_object_get(who, "safety_number"))) {
		out_line("Safety number of you and %s (compare it with theirs, in person or on a call):", argv[0]);
		out_line("%s", "");
		out_line("    %.35s", out_str(who, "safety_number", ""));
		out_line("    %s", out_str(who, "safety_number", "") + (strlen(out_str(who, "safety_number", "")) > 36 ? 36 : 0));
		out_line("%s", "");
		if (cli->qr)
			out_qr(out_str(who, "safety_number", ""));
		if (strcmp(state, "verified") != 0 && !cli->confirm)
			out_line("If it matches, run: postern verify %s --confirm", argv[0]);
	}
	if (strcmp(state, "changed") == 0)
		out_line(json_is_true(json_object_get(who, "was_verified")) ? "You had verified %s: compare the new safety number with them, then run "
									       "`postern verify %s --confirm`."
									     : "If they told you they reset their identity (or got a new phone without their "
									       "recovery key), accept it: postern verify %s --accept-new-identity",
			 argv[0], argv[0]);
	out_line("%zu device%s of %s, each approved by that identity key:", json_array_size(json_object_get(who, "devices")),
		 json_array_size(json_object_get(who, "devices")) == 1 ? "" : "s", argv[0]);
	json_array_foreach(json_object_get(who, "devices"), i, d) out_line("  %s  %s", out_str(d, "device_id", "?"), out_str(d, "fingerprint", "?"));
	if (json_integer_value(json_object_get(who, "ignored_devices")) > 0)
		out_line("(%lld more listed by the server, not approved by that key: nothing is encrypted to them)",
			 (long long)json_integer_value(json_object_get(who, "ignored_devices")));
	rc = CLI_OK;
out:
	json_decref(who);
	pst_free(text);
	pst_free(user_id);
	return rc;
}

/*
 * `postern apps approve CODE`: authorises the app device that shows code argv[0] (its keys checked against
 * the code here; the person's identity signs what the grant allows it). CLI_OK; CLI_FAIL or CLI_REFUSED.
 */
int cmd_apps_approve(struct cli *cli, int argc, char **argv)
{
	char *text = NULL;
	json_t *d = NULL;
	pst_status st;
	int rc;

	(void)argc;
	if ((st = pst_app_device_approve(cli->client, argv[0], &text)) != PST_OK)
		return cli_fail(cli, st, "approve the app device %s", argv[0]);
	if (cli->json) {
		rc = out_json_text(text, "app device");
		pst_free(text);
		return rc;
	}
	d = out_parse(text, "app device");
	out_line("Approved the device of %s: it reads and writes where your grant allows, until %s.", out_str(d, "app_name", "the app"),
		 out_str(d, "expires_at", "the grant ends"));
	json_decref(d);
	pst_free(text);
	return CLI_OK;
}
