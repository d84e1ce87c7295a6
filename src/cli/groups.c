/*
 * groups.c — `postern group`: conversations with several friends. Create one, add a friend, remove a
 * member or leave. Only libpostern's public API; members are named by username (resolved among your
 * friends) and the thread by its id. The next message after a change starts a new encryption session, so
 * someone removed cannot read what follows.
 */
#include "postern_cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "banned.h" /* last: bans footguns in this file only */

/* The user id of friend `name`, or NULL after printing the error (*rc set). */
static char *friend_id(struct cli *cli, const char *name, int *rc)
{
	char *id = NULL;
	pst_status st = pst_friend_id(cli->client, name, &id);
	if (st != PST_OK) {
		*rc = cli_fail(cli, st, "find friend %s", name);
		return NULL;
	}
	return id;
}

/*
 * `postern group USER...`: starts a group thread with these friends (usernames; this person is added) and
 * prints its id; without a name it is a usage error. CLI_OK; CLI_FAIL when a name is not a friend or the
 * call fails; CLI_USAGE.
 */
int cmd_group(struct cli *cli, int argc, char **argv)
{
	char **ids = NULL, *thread_id = NULL;
	int i, rc = CLI_FAIL;
	pst_status st;

	if (argc == 0)
		return cli_usage(cli_command_find(cli_commands, "group"), "name at least one friend");
	ids = calloc((size_t)argc, sizeof(*ids));
	if (ids == NULL)
		return cli_error("out of memory");
	for (i = 0; i < argc; i++)
		if ((ids[i] = friend_id(cli, argv[i], &rc)) == NULL)
			goto out;
	if ((st = pst_thread_create(cli->client, (const char *const *)ids, (size_t)argc, &thread_id)) != PST_OK) {
		rc = cli_fail(cli, st, "start a group");
		goto out;
	}
	if (cli->json)
		rc = out_json_done("thread_id", thread_id, NULL);
	else {
		out_line("Started %s with %d friend%s. Send with: postern send %s TEXT", thread_id, argc, argc == 1 ? "" : "s", thread_id);
		rc = CLI_OK;
	}
out:
	for (i = 0; ids && i < argc; i++)
		pst_free(ids[i]);
	free(ids);
	pst_free(thread_id);
	return rc;
}

/* add / remove: THREAD USER */
static int member_change(struct cli *cli, char **argv, int add)
{
	char *id = NULL;
	int rc = CLI_FAIL;
	pst_status st;

	if (!cli_id_ok(argv[0]))
		return cli_bad_arg("'%s' is not a thread id (see postern inbox)", argv[0]);
	if ((id = friend_id(cli, argv[1], &rc)) == NULL)
		return rc;
	st = add ? pst_thread_add_member(cli->client, argv[0], id) : pst_thread_remove_member(cli->client, argv[0], id);
	if (st != PST_OK)
		rc = cli_fail(cli, st, "%s %s %s %s", add ? "add" : "remove", argv[1], add ? "to" : "from", argv[0]);
	else if (cli->json)
		rc = out_json_done("thread_id", argv[0], "user_id", id, NULL);
	else {
		out_line("%s %s %s %s.", add ? "Added" : "Removed", argv[1], add ? "to" : "from", argv[0]);
		rc = CLI_OK;
	}
	pst_free(id);
	return rc;
}

/*
 * `postern group add THREAD USER`: adds the friend argv[1] to the group thread argv[0]. CLI_OK, CLI_FAIL, or
 * CLI_USAGE for a malformed thread id.
 */
int cmd_group_add(struct cli *cli, int argc, char **argv)
{
	(void)argc;
	return member_change(cli, argv, 1);
}

/*
 * `postern group remove THREAD USER`: removes the member argv[1] from thread argv[0] (its creator only); the
 * next message gets new keys. CLI_OK, CLI_FAIL, or CLI_USAGE for a malformed thread id.
 */
int cmd_group_remove(struct cli *cli, int argc, char **argv)
{
	(void)argc;
	return member_change(cli, argv, 0);
}

/*
 * `postern group leave THREAD`: removes this person from the thread argv[0]. CLI_OK, CLI_FAIL, or CLI_USAGE
 * for a malformed thread id.
 */
int cmd_group_leave(struct cli *cli, int argc, char **argv)
{
	pst_status st;
	(void)argc;
	if (!cli_id_ok(argv[0]))
		return cli_bad_arg("'%s' is not a thread id (see postern inbox)", argv[0]);
	if (pst_user_id(cli->client) == NULL)
		return cli_error("not logged in");
	if ((st = pst_thread_remove_member(cli->client, argv[0], pst_user_id(cli->client))) != PST_OK)
		return cli_fail(cli, st, "leave %s", argv[0]);
	if (cli->json)
		return out_json_done("thread_id", argv[0], NULL);
	out_line("You left %s.", argv[0]);
	return CLI_OK;
}
