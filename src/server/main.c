/*
 * main.c — posternd: parse the settings, open the database, start the database threads and the HTTP
 * server, and wait for SIGINT/SIGTERM to shut down cleanly. Also the small operator subcommands:
 *   posternd routes            print the route table as JSON
 *   posternd errors            print the error table (name, wire code, HTTP status, message) as JSON
 *   posternd keygen USER_ID    print a fresh device key pair with its registration signature (for tests
 *                              and for scripting against the API without the client library)
 *   posternd log-key [--data-dir DIR]   print the transparency log's verifier key (made on first use), the
 *                              text witnesses and clients pin
 */
#include "auth.h"
#include "b64url.h"
#include "bus.h"
#include "admin.h"
#include "faultalloc.h"
#include "config.h"
#include "database.h"
#include "dbexec.h"
#include "error.h"
#include "http.h"
#include "hub.h"
#include "log.h"
#include "migrate.h"
#include "partner.h"
#include "push.h"
#include "routes.h"
#include "store.h"
#include "tlog.h"
#include "version.h"

#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "banned.h" /* last: bans footguns in this file only */

/* The bus's subscriber: what a commit of this node or another changed reaches the waiters here (hub.c wakes
 * long-polls and streams, push.c has streams of ended sessions look their session up). Only queues work. */
static void fanout_users(void *arg, const int64_t *users, int n)
{
	(void)arg;
	hub_notify(users, n);
}

static void fanout_sessions_ended(void *arg, const int64_t *users, int n)
{
	int i;
	(void)arg;
	for (i = 0; i < n; i++)
		push_sessions_ended(users[i]);
}

static void fanout_everyone(void *arg)
{
	(void)arg;
	hub_notify_all();
}

/* another node counted a guess (or cleared a count after a login): this node's limiter counts it too */
static void fanout_limit(void *arg, const struct bus_limit_event *ev)
{
	(void)arg;
	auth_limit_apply(ev->which, ev->clear, ev->key);
}

static const struct bus_subscriber fanout = {
	.users = fanout_users,
	.sessions_ended = fanout_sessions_ended,
	.everyone = fanout_everyone,
	.limit = fanout_limit,
	.arg = NULL,
};

_Static_assert(AUTH_LIMIT_DIGEST_LEN == BUS_LIMIT_KEY_LEN, "a limit's digest is a bus limit event's key");
_Static_assert(AUTH_LIMIT__COUNT <= BUS_LIMIT_KINDS, "every limit has a number on the bus");

/* auth's hook: each count this node makes goes to the other nodes too (arg is the bus; only queues) */
static void share_limit(void *arg, enum auth_limit which, int clear, const unsigned char *digest)
{
	struct bus_limit_event ev;
	ev.which = (int)which;
	ev.clear = clear;
	memcpy(ev.key, digest, sizeof(ev.key));
	bus_send_limit(arg, &ev);
}

static int cmd_keygen(const char *user_id)
{
	unsigned char spk[crypto_sign_PUBLICKEYBYTES], ssk[crypto_sign_SECRETKEYBYTES];
	unsigned char bpk[crypto_box_PUBLICKEYBYTES], bsk[crypto_box_SECRETKEYBYTES], sig[crypto_sign_BYTES];
	char spk_t[64], bpk_t[64], sig_t[96], ssk_t[128], bsk_t[64], msg[160];
	json_t *out;
	char *text;
	int n;

	crypto_sign_keypair(spk, ssk);
	crypto_box_keypair(bpk, bsk);
	b64url_encode(spk, sizeof(spk), spk_t, sizeof(spk_t));
	b64url_encode(bpk, sizeof(bpk), bpk_t, sizeof(bpk_t));
	b64url_encode(ssk, sizeof(ssk), ssk_t, sizeof(ssk_t));
	b64url_encode(bsk, sizeof(bsk), bsk_t, sizeof(bsk_t));
	n = snprintf(msg, sizeof(msg), "postern-device-v1:%s:%s", user_id, bpk_t);
	if (n < 0 || (size_t)n >= sizeof(msg))
		return 2;
	crypto_sign_detached(sig, NULL, (const unsigned char *)msg, (unsigned long long)n, ssk);
	b64url_encode(sig, sizeof(sig), sig_t, sizeof(sig_t));
	out = json_pack("{s:s,s:s,s:s,s:s,s:s}", "sign_pk", spk_t, "box_pk", bpk_t, "sig", sig_t, "sign_sk", ssk_t, "box_sk", bsk_t);
	text = json_dumps(out, JSON_COMPACT);
	printf("%s\n", text);
	free(text);
	json_decref(out);
	sodium_memzero(ssk, sizeof(ssk));
	sodium_memzero(bsk, sizeof(bsk));
	return 0;
}

/* posternd migrate --from sqlite:PATH --to postgresql://...: the copy of store/migrate.c, its lines on stdout. */
static int cmd_migrate(int argc, char **argv)
{
	const char *from = NULL, *to = NULL;
	int i;
	for (i = 2; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--from") == 0)
			from = argv[i + 1];
		else if (strcmp(argv[i], "--to") == 0)
			to = argv[i + 1];
		else
			break;
	}
	if (i != argc || from == NULL || to == NULL || strncmp(from, "sqlite:", 7) != 0 || from[7] == '\0' ||
	    (strncmp(to, "postgresql://", 13) != 0 && strncmp(to, "postgres://", 11) != 0)) {
		fprintf(stderr, "usage: posternd migrate --from sqlite:PATH --to postgresql://USER@HOST/DB\n");
		return 2;
	}
	if (access(from + 7, R_OK) != 0) {
		fprintf(stderr, "posternd: migrate: cannot read %s: %s\n", from + 7, strerror(errno));
		return 1;
	}
	return store_migrate(from + 7, to, stdout) == SRV_E_OK ? 0 : 1;
}

int main(int argc, char **argv)
{
	struct config cfg;
	struct store *st = NULL;
	struct bus *bus = NULL;
	const struct store_ops *ops = NULL;
	struct store_options so;
	char dbpath[1100], shown[1100];
	sigset_t sigs;
	int port, sig = 0, rc = 1;

	if (sodium_init() < 0) {
		fprintf(stderr, "posternd: libsodium failed to initialise\n");
		return 1;
	}
	if (argc > 1 && strcmp(argv[1], "routes") == 0) {
		routes_print_json(stdout);
		return 0;
	}
	if (argc > 1 && strcmp(argv[1], "errors") == 0)
		return error_print_json(stdout) == 0 ? 0 : 1;
	if (argc > 2 && strcmp(argv[1], "keygen") == 0)
		return cmd_keygen(argv[2]);
	if (argc > 1 && strcmp(argv[1], "app") == 0)
		return admin_app(argc, argv);
	if (argc > 1 && strcmp(argv[1], "log-key") == 0) {
		char keypath[600];
		config_defaults(&cfg);
		if (config_parse_args(&cfg, argc, argv, 2, stderr) != 0)
			return 2;
		if (mkdir(cfg.data_dir, 0700) != 0 && errno != EEXIST) {
			fprintf(stderr, "posternd: cannot create %s: %s\n", cfg.data_dir, strerror(errno));
			return 1;
		}
		snprintf(keypath, sizeof(keypath), "%s/log.key", cfg.data_dir);
		if (tlog_init(keypath, cfg.log_origin, NULL) != SRV_E_OK)
			return 1;
		printf("%s\n", tlog_verifier());
		return 0;
	}
	if (argc > 1 && strcmp(argv[1], "report") == 0)
		return admin_report(argc, argv);
	if (argc > 1 && strcmp(argv[1], "migrate") == 0)
		return cmd_migrate(argc, argv);
	if (argc > 1 && strcmp(argv[1], "invite") == 0)
		return admin_invite(argc, argv);
	if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		config_usage(stdout);
		printf("\nsubcommands:\n  posternd routes           print the route table as JSON\n"
		       "  posternd errors           print the error table (name, code, HTTP status, message) as JSON\n"
		       "  posternd keygen USER_ID   print a device key pair and its registration signature\n"
		       "  posternd log-key [--data-dir DIR]   print the transparency log's verifier key (witnesses and clients pin it)\n"
		       "  posternd app create|list|show|report-settings|suspend|resume|rotate-secret|delete ...   manage partner apps\n"
		       "  posternd report --app CLIENT_ID --period YYYY-MM-DD [--format json|csv]   a partner's report\n"
		       "  posternd invite [--count N] [--days D] [--data-dir DIR]   invite codes for --registration=invite\n"
		       "  posternd migrate --from sqlite:PATH --to postgresql://...   copy a deployment's data into PostgreSQL, then check it\n");
		return 0;
	}
	if (argc > 1 && strcmp(argv[1], "--version") == 0) {
		printf("posternd %s\n", POSTERN_VERSION);
		return 0;
	}
	config_defaults(&cfg);
	if (config_parse_args(&cfg, argc, argv, 1, stderr) != 0)
		return 2;
	log_set_level(cfg.log_level);
	if (faultalloc_init() > 0) /* tests only */
		log_warn("POSTERN_FAIL_ALLOC_EVERY is set: allocations fail on purpose");

	if (mkdir(cfg.data_dir, 0700) != 0 && errno != EEXIST) {
		log_error("cannot create data directory %s: %s", cfg.data_dir, strerror(errno));
		return 1;
	}
	if (database_choose(cfg.database, cfg.data_dir, cfg.durability == CONFIG_DURABILITY_FULL, dbpath, sizeof(dbpath),
			    &ops, &so) != 0) {
		log_error("--database: give postgresql://... or sqlite:PATH (or leave it out for SQLite in --data-dir)");
		return 2;
	}
	database_redact(so.path, shown, sizeof(shown));
	if (ops->open(&so, &st) != SRV_E_OK) {
		log_error("cannot open database %s (%s)", shown, ops->name);
		return 1;
	}
	log_info("database: %s (%s)", shown, ops->name);

	/* Signals are taken by sigwait below; every thread started from here on inherits the mask. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (auth_init(&cfg) != 0)
		goto out;
	{
		char keypath[600];
		snprintf(keypath, sizeof(keypath), "%s/log.key", cfg.data_dir);
		if (tlog_init(keypath, cfg.log_origin, cfg.log_witnesses) != SRV_E_OK)
			goto out;
	}
	hub_init();
	push_init(&cfg);
	/* SQLite: one node, the in-process bus. PostgreSQL: LISTEN/NOTIFY on the same database, so that every
	 * node's waiters hear of every node's writes (docs/multinode.md). */
	bus = ops == &store_postgres_ops ? bus_pg_new(so.path, &fanout) : bus_local_new(&fanout);
	if (bus == NULL)
		goto out;
	auth_limit_share(share_limit, bus);
	if (dbexec_start(ops, st, (int)cfg.reader_threads, (int)cfg.max_batch, (int)cfg.db_wait_s * 1000) != SRV_E_OK) {
		log_error("cannot open database connections");
		goto out;
	}
	port = http_start(&cfg, bus);
	if (port < 0)
		goto out_exec;
	if (cfg.public_url[0])
		partner_set_issuer(cfg.public_url);
	else {
		char url[128];
		snprintf(url, sizeof(url), "http://%s:%d", cfg.listen, port);
		partner_set_issuer(url);
	}
	faultalloc_arm();
	printf("posternd listening on http://%s:%d\n", cfg.listen, port);
	fflush(stdout);
	log_info("data in %s, durability %s", cfg.data_dir, cfg.durability == CONFIG_DURABILITY_FULL ? "full" : "normal");
	sigwait(&sigs, &sig);
	log_info("signal %d: shutting down", sig);
	http_stop();
	rc = 0;
out_exec:
	dbexec_stop();
out:
	/* the bus before auth: its listener counts other nodes' guesses in auth's limiters until it stops */
	auth_limit_share(NULL, NULL);
	bus_close(bus);
	ops->close(st);
	auth_release();
	hub_release();
	return rc;
}
