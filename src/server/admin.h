/*
 * admin.h — the operator's subcommands, run against the database directly (they work while posternd
 * runs; SQLite serialises the writes):
 *   posternd app create --name NAME --redirect-uri URI [--redirect-uri URI…] --scopes "s1 s2" [--public]
 *                       [--rate-person N] [--rate-app N] [--rate-recipient N]
 *   posternd app list | show CLIENT_ID | suspend CLIENT_ID | resume CLIENT_ID | rotate-secret CLIENT_ID | delete CLIENT_ID
 *   posternd app report-settings CLIENT_ID [--mechanism geometric|none] [--epsilon E] [--delta 1e-N] [--k N] [--cap N]
 *   posternd report --app CLIENT_ID --period YYYY-MM-DD [--format json|csv]   (the same bytes the API serves)
 * Each also takes --data-dir DIR (default ./var) and --database URL (as posternd's own flag: PostgreSQL instead
 * of SQLite in DIR). Output goes to stdout, errors to stderr, one line each.
 */
#ifndef POSTERN_ADMIN_H
#define POSTERN_ADMIN_H

/* Run the subcommand in argv[1..]; returns the process exit status (0 ok, 1 failure, 2 usage). */
int admin_app(int argc, char **argv);
int admin_report(int argc, char **argv);
/* posternd invite [--count N] [--days D] [--data-dir DIR]: print invite codes (--registration=invite). */
int admin_invite(int argc, char **argv);

#endif
