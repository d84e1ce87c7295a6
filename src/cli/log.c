/*
 * log.c — `postern log verify`: the audit of the server's transparency log from this device (docs/cli.md,
 * docs/transparency.md), printed as what was checked and what, if anything, is wrong; and the witnesses a
 * person asks for ($POSTERN_LOG_WITNESSES), handed to the library before any command. Only libpostern's
 * public API.
 */
#include "postern_cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "banned.h" /* last: bans footguns in this file only */

#define WITNESS_FILE_MAX 8192

/* A whole decimal number in [0, max] from an environment variable's text; -1 when it is not one. */
static long env_number(const char *text, long max)
{
	char *end = NULL;
	long v;
	errno = 0;
	v = strtol(text, &end, 10);
	return errno || end == text || *end != '\0' || v < 0 || v > max ? -1 : v;
}

int cli_log_witnesses(struct cli *cli)
{
	const char *path = getenv("POSTERN_LOG_WITNESSES"), *req = getenv("POSTERN_LOG_WITNESSES_REQUIRED");
	const char *age = getenv("POSTERN_LOG_MAX_AGE");
	char text[WITNESS_FILE_MAX + 1];
	size_t n;
	int required, lines = 0;
	pst_status st;
	FILE *f;

	if (path == NULL || path[0] == '\0')
		return CLI_OK;
	if ((f = fopen(path, "r")) == NULL)
		return cli_error("cannot read $POSTERN_LOG_WITNESSES (%s)", path);
	n = fread(text, 1, WITNESS_FILE_MAX, f);
	fclose(f);
	text[n] = '\0';
	for (size_t i = 0; i < n; i++)
		lines += text[i] == '\n' || (i + 1 == n && text[i] != '\n');
	required = req && req[0] ? (int)env_number(req, 16) : lines; /* every witness listed, unless told otherwise */
	if (required < 0 || (age && age[0] && env_number(age, 86400 * 365) < 0))
		return cli_error("$POSTERN_LOG_WITNESSES_REQUIRED and $POSTERN_LOG_MAX_AGE are whole numbers");
	if ((st = pst_log_witnesses(cli->client, text, required, age && age[0] ? (int)env_number(age, 86400 * 365) : 3600)) != PST_OK)
		return cli_fail(cli, st, "use the witnesses of $POSTERN_LOG_WITNESSES");
	return CLI_OK;
}

/*
 * `postern log` and `postern log verify`: audits the server's transparency log since the checkpoint this home
 * accepted (witnesses from cli_log_witnesses) and prints the report. CLI_OK when nothing is wrong; CLI_REFUSED
 * when alarms are open or the log does not verify; CLI_FAIL when the audit could not run.
 */
int cmd_log_verify(struct cli *cli, int argc, char **argv)
{
	char *text = NULL;
	json_t *r = NULL, *a;
	size_t i;
	pst_status st;
	int rc = CLI_FAIL;

	(void)argc, (void)argv;
	st = pst_log_verify(cli->client, &text);
	if (st != PST_OK)
		return cli_fail(cli, st, "verify the transparency log");
	if (cli->json) {
		rc = out_json_text(text, "log verify");
		goto out;
	}
	if ((r = out_parse(text, "log verify")) == NULL)
		goto out;
	out_line("The server's transparency log has %lld entries. This device checked:", (long long)json_integer_value(json_object_get(r, "size")));
	out_line("  - the checkpoint is signed by the log key this device pinned, and continues the one it accepted before;");
	out_line("  - the %lld entries since entry %lld hash exactly to that checkpoint (nothing hidden or rewritten);",
		 (long long)json_integer_value(json_object_get(r, "scanned")), (long long)json_integer_value(json_object_get(r, "from_size")));
	out_line("  - %lld of them concern your account.", (long long)json_integer_value(json_object_get(r, "yours")));
	if (json_array_size(json_object_get(r, "alarms")) == 0) {
		out_line("Every change to your account in the log was made by your devices, and every app connection in it is one");
		out_line("the server lists for you (postern apps).");
		rc = CLI_OK;
		goto out;
	}
	out_line("WARNING: the log holds changes to your account that none of your devices made, or that the server hides from you");
	out_line("(%lld found now; the others earlier and not acknowledged):", (long long)json_integer_value(json_object_get(r, "new_alarms")));
	json_array_foreach(json_object_get(r, "alarms"), i, a)
		out_line("  entry %lld, %s: %s", (long long)json_integer_value(json_object_get(a, "index")), out_str(a, "at", "?"), out_str(a, "what", "?"));
	out_line("Someone with the server's help may be adding a device, changing your identity or connecting an app for you.");
	out_line("Check `postern devices` and `postern apps`, remove what you do not know, and tell your contacts to verify");
	out_line("your safety number again. Then `postern log ack` stops these warnings.");
	rc = CLI_REFUSED;
out:
	json_decref(r);
	pst_free(text);
	return rc;
}

/*
 * `postern log ack`: forgets this home's transparency-log alarms once the person has looked at devices and
 * apps; says how many there were. CLI_OK or CLI_FAIL.
 */
int cmd_log_ack(struct cli *cli, int argc, char **argv)
{
	int n = pst_log_alarm_count(cli->client);
	pst_status st;
	(void)argc, (void)argv;
	if ((st = pst_log_alarms_clear(cli->client)) != PST_OK)
		return cli_fail(cli, st, "acknowledge the transparency-log alarms");
	out_line("%d alarm%s acknowledged. `postern log verify` still finds any new change.", n, n == 1 ? "" : "s");
	return CLI_OK;
}
