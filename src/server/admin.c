/* admin.c — the operator's subcommands for apps, reports and invites, run on the database directly (see admin.h). */
#include "admin.h"

#include "auth.h"
#include "b64url.h"
#include "config.h"
#include "database.h"
#include "pubid.h"
#include "reports.h"
#include "scopes.h"
#include "store.h"
#include "strnum.h"
#include "timefmt.h"

#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "banned.h" /* last: bans footguns in this file only */

struct admin_db {
	const struct store_ops *ops;
	struct store *st;
	struct store_conn *c;
};

/* --database URL, taken out of argv by take_database() before a subcommand reads its own flags; NULL: none. */
static const char *admin_database;

/* Remove --database URL (or --database=URL) from argv[first..*argc), keeping it in admin_database. */
static void take_database(int *argc, char **argv, int first)
{
	int i, o = first;
	for (i = first; i < *argc; i++) {
		if (strcmp(argv[i], "--database") == 0 && i + 1 < *argc)
			admin_database = argv[++i];
		else if (strncmp(argv[i], "--database=", 11) == 0)
			admin_database = argv[i] + 11;
		else
			argv[o++] = argv[i];
	}
	*argc = o;
}

static int db_open(struct admin_db *db, const char *dir)
{
	struct store_options o;
	char path[1100];
	if (database_choose(admin_database, dir, 1, path, sizeof(path), &db->ops, &o) != 0) {
		fprintf(stderr, "posternd: --database is postgresql://... or sqlite:PATH\n");
		return -1;
	}
	if (db->ops->open(&o, &db->st) != SRV_E_OK || db->ops->conn_open(db->st, 1, &db->c) != SRV_E_OK) {
		fprintf(stderr, "posternd: cannot open the database (%s)\n", admin_database ? db->ops->name : dir);
		return -1;
	}
	return 0;
}

static void db_close(struct admin_db *db)
{
	if (db->c)
		db->ops->conn_close(db->c);
	if (db->st)
		db->ops->close(db->st);
}

/*
 * A redirect URI an app may register: https, http on a loopback IP literal (RFC 8252 7.3), or a private-use
 * scheme with a dot (com.example.app:/cb, RFC 8252 7.1); never a fragment, never userinfo.
 */
static int redirect_uri_ok(const char *u, int public_client)
{
	const char *colon = strchr(u, ':'), *host;
	if (strlen(u) > 1000 || strpbrk(u, "# \t\r\n\\") != NULL || colon == NULL)
		return 0;
	if (strncmp(u, "https://", 8) == 0)
		host = u + 8;
	else if (strncmp(u, "http://127.0.0.1", 16) == 0 || strncmp(u, "http://[::1]", 12) == 0) {
		/* the loopback literal itself, not a host name that starts with it (http://127.0.0.1.example) */
		char next = u[u[7] == '[' ? 12 : 16];
		return next == ':' || next == '/' || next == '\0';
	}
	else {
		size_t i;
		for (i = 0; u + i < colon; i++)
			if (!((u[i] >= 'a' && u[i] <= 'z') || (u[i] >= '0' && u[i] <= '9') || u[i] == '.' || u[i] == '-' || u[i] == '+'))
				return 0;
		return memchr(u, '.', (size_t)(colon - u)) != NULL && public_client;
	}
	return host[0] != '\0' && host[0] != '/' && strchr(host, '@') == NULL;
}

/*
 * A homepage or privacy-policy URL people will follow from the consent page: http or https, a host with no
 * userinfo, nothing but printable ASCII without spaces, quotes or angle brackets, shorter than STORE_URL_LEN.
 * 1 when good. (The pages escape it anyway; this keeps javascript: and the like out of the store.)
 */
static int site_url_ok(const char *u)
{
	const char *host, *end;
	size_t i, n = strlen(u);
	if (n == 0 || n >= STORE_URL_LEN)
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)u[i] <= 0x20 || (unsigned char)u[i] >= 0x7f || strchr("\"'<>\\`", u[i]) != NULL)
			return 0;
	if (strncmp(u, "https://", 8) == 0)
		host = u + 8;
	else if (strncmp(u, "http://", 7) == 0)
		host = u + 7;
	else
		return 0;
	end = host + strcspn(host, "/?#");
	return end > host && host[0] != ':' && memchr(host, '@', (size_t)(end - host)) == NULL;
}

static void print_app(const struct store_app *a)
{
	char when[TIMEFMT_RFC3339_LEN];
	timefmt_rfc3339(a->created_at, when, sizeof(when));
	printf("client_id:      %s\nname:           %s\ntype:           %s\nredirect_uris:  %s\nscopes:         %s\n"
	       "rate limits:    %lld/h per person, %lld/h per app, %lld/h per recipient\nstatus:         %s\ncreated:        %s\n",
	       a->client_id, a->name, a->has_secret ? "confidential" : "public", a->redirect_uris, a->scopes,
	       (long long)a->rate_person, (long long)a->rate_app, (long long)a->rate_recipient,
	       a->suspended ? "suspended" : "active", when);
	printf("homepage:       %s\nprivacy policy: %s\n", a->homepage[0] ? a->homepage : "(none)",
	       a->privacy_url[0] ? a->privacy_url : "(none)");
}

/* The report settings in force now, and what they imply; 0, or -1 when they cannot be read. */
static int print_report_settings(const struct admin_db *db, const struct store_app *a)
{
	struct store_report_settings s;
	char text[400], since[TIMEFMT_RFC3339_LEN] = "";
	int stored = 0;
	if (reports_settings_at(db->ops, db->c, a->id, INT64_MAX, &s, &stored) != SRV_E_OK) {
		fprintf(stderr, "posternd: cannot read the report settings of %s\n", a->client_id);
		return -1;
	}
	reports_settings_describe(&s, text, sizeof(text));
	if (stored)
		timefmt_rfc3339(s.since, since, sizeof(since));
	printf("reports:        %s\n                (%s)\n", text, stored ? since : "this version's defaults");
	return 0;
}

static int list_row(void *arg, const struct store_app *a)
{
	(void)arg;
	printf("%s\t%s\t%s\t%s\n", a->client_id, a->suspended ? "suspended" : "active", a->has_secret ? "confidential" : "public", a->name);
	return 0;
}

static int usage(void)
{
	fprintf(stderr, "usage: posternd app create --name NAME --redirect-uri URI [--redirect-uri URI ...] --scopes \"S1 S2\" [--public]\n"
			"                           [--homepage URL] [--privacy-url URL]\n"
			"                           [--rate-person N] [--rate-app N] [--rate-recipient N] [--data-dir DIR]\n"
			"       posternd app list|show|suspend|resume|rotate-secret|delete [CLIENT_ID] [--data-dir DIR]\n"
			"       posternd app report-settings CLIENT_ID [--mechanism geometric|none] [--epsilon E] [--delta 1e-N]\n"
			"                           [--k N] [--cap N] [--data-dir DIR]\n");
	return 2;
}

static void new_secret(struct store_app *a, char text[AUTH_PREFIXED_LEN + 2])
{
	auth_token_new_prefixed("cs.", text, AUTH_PREFIXED_LEN + 2, a->secret_hash);
	a->has_secret = 1;
}

/*
 * posternd app report-settings CLIENT_ID [--mechanism M] [--epsilon E] [--delta 1e-N] [--k N] [--cap N]:
 * without options, print the settings in force; with some, store the settings in force with those changed,
 * from now on — for the period open now and every later one; a closed period keeps the ones it closed with.
 */
static int app_report_settings(int argc, char **argv)
{
	const char *target = NULL, *dir = "./var", *mechanism = NULL, *epsilon = NULL, *delta = NULL, *k = NULL, *cap = NULL;
	struct admin_db db = {0};
	struct store_app a;
	struct store_report_settings s;
	char err[160];
	int i, rc = 1, stored = 0;

	for (i = 3; i < argc; i++) {
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		const char **slot = strcmp(argv[i], "--mechanism") == 0 ? &mechanism : strcmp(argv[i], "--epsilon") == 0 ? &epsilon
				  : strcmp(argv[i], "--delta") == 0 ? &delta : strcmp(argv[i], "--k") == 0 ? &k
				  : strcmp(argv[i], "--cap") == 0 ? &cap : strcmp(argv[i], "--data-dir") == 0 ? &dir : NULL;
		if (slot && v) {
			*slot = v;
			i++;
		} else if (argv[i][0] != '-' && target == NULL)
			target = argv[i];
		else {
			fprintf(stderr, "posternd: unexpected argument '%s'\n", argv[i]);
			return usage();
		}
	}
	if (target == NULL)
		return usage();
	if (db_open(&db, dir) != 0)
		goto out;
	if (db.ops->app_by_client_id(db.c, target, &a) != SRV_E_OK) {
		fprintf(stderr, "posternd: no app %s\n", target);
		goto out;
	}
	if (mechanism || epsilon || delta || k || cap) {
		if (reports_settings_at(db.ops, db.c, a.id, INT64_MAX, &s, &stored) != SRV_E_OK) {
			fprintf(stderr, "posternd: cannot read the report settings of %s\n", a.client_id);
			goto out;
		}
		if (mechanism)
			snprintf(s.mechanism, sizeof(s.mechanism), "%s", strlen(mechanism) < sizeof(s.mechanism) ? mechanism : "");
		if ((epsilon && reports_parse_epsilon(epsilon, &s.epsilon_e4) != 0) ||
		    (delta && reports_parse_delta(delta, &s.delta_exp) != 0) || (k && strnum_parse_cstr(k, 0, INT64_MAX, &s.k) != 0) ||
		    (cap && strnum_parse_cstr(cap, 0, INT64_MAX, &s.cap) != 0)) {
			fprintf(stderr, "posternd: --epsilon is a decimal (1, 0.5), --delta is 1e-N, --k and --cap are whole numbers\n");
			rc = 2;
			goto out;
		}
		if (reports_settings_check(&s, err, sizeof(err)) != 0) {
			fprintf(stderr, "posternd: %s\n", err);
			rc = 2;
			goto out;
		}
		s.since = timefmt_now_ms();
		if (db.ops->report_settings_add(db.c, a.id, &s) != SRV_E_OK) {
			fprintf(stderr, "posternd: could not store the report settings\n");
			goto out;
		}
		printf("%s: new report settings from now on (the open period and later ones; closed periods keep theirs)\n",
		       a.client_id);
	}
	rc = print_report_settings(&db, &a) == 0 ? 0 : 1;
out:
	db_close(&db);
	return rc;
}

int admin_app(int argc, char **argv)
{
	struct config defaults;
	const char *verb = argc > 2 ? argv[2] : NULL, *name = NULL, *scopes = NULL, *dir = "./var", *target = NULL;
	const char *homepage = NULL, *privacy = NULL;
	json_t *uris = json_array();
	struct store_app a;
	struct store_report_settings rs;
	struct admin_db db = {0};
	char secret[AUTH_PREFIXED_LEN + 2] = "", normal[STORE_SCOPES_LEN], bad[64];
	int i, public_client = 0, rc = 1;
	char *uritext = NULL;

	take_database(&argc, argv, 2);

	config_defaults(&defaults);
	memset(&a, 0, sizeof(a));
	a.rate_person = defaults.rate_person;
	a.rate_app = defaults.rate_app;
	a.rate_recipient = defaults.rate_recipient;
	if (verb == NULL) {
		rc = usage();
		goto out;
	}
	if (strcmp(verb, "report-settings") == 0) {
		rc = app_report_settings(argc, argv);
		goto out;
	}
	for (i = 3; i < argc; i++) {
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		int64_t n = 0;
		if (strcmp(argv[i], "--public") == 0)
			public_client = 1;
		else if (v && strcmp(argv[i], "--name") == 0 && ++i)
			name = v;
		else if (v && strcmp(argv[i], "--redirect-uri") == 0 && ++i)
			json_array_append_new(uris, json_string(v));
		else if (v && strcmp(argv[i], "--scopes") == 0 && ++i)
			scopes = v;
		else if (v && strcmp(argv[i], "--homepage") == 0 && ++i)
			homepage = v;
		else if (v && strcmp(argv[i], "--privacy-url") == 0 && ++i)
			privacy = v;
		else if (v && strcmp(argv[i], "--data-dir") == 0 && ++i)
			dir = v;
		else if (v && (strcmp(argv[i], "--rate-person") == 0 || strcmp(argv[i], "--rate-app") == 0 ||
			       strcmp(argv[i], "--rate-recipient") == 0)) {
			if (strnum_parse_cstr(v, 0, 100000000, &n) != 0) {
				fprintf(stderr, "posternd: %s wants a number\n", argv[i]);
				rc = 2;
				goto out;
			}
			*(argv[i][7] == 'p' ? &a.rate_person : argv[i][7] == 'a' ? &a.rate_app : &a.rate_recipient) = n;
			i++;
		} else if (argv[i][0] != '-' && target == NULL)
			target = argv[i];
		else {
			fprintf(stderr, "posternd: unexpected argument '%s'\n", argv[i]);
			rc = usage();
			goto out;
		}
	}
	if (sodium_init() < 0 || db_open(&db, dir) != 0)
		goto out;
	{ /* the server key is needed for nothing here, but auth's hashing helpers are shared */
		struct config cfg;
		config_defaults(&cfg);
		snprintf(cfg.data_dir, sizeof(cfg.data_dir), "%s", dir);
		if (auth_init(&cfg) != 0)
			goto out;
	}
	if (strcmp(verb, "create") == 0) {
		size_t k;
		json_t *u;
		if (name == NULL || strlen(name) == 0 || strlen(name) >= sizeof(a.name) || scopes == NULL || json_array_size(uris) == 0) {
			rc = usage();
			goto out;
		}
		json_array_foreach(uris, k, u) if (!redirect_uri_ok(json_string_value(u), public_client)) {
			fprintf(stderr, "posternd: redirect URI '%s' is not allowed (https, http://127.0.0.1 or http://[::1], or a "
					"private-use scheme for public clients; no fragment)\n", json_string_value(u));
			goto out;
		}
		if ((homepage && !site_url_ok(homepage)) || (privacy && !site_url_ok(privacy))) {
			fprintf(stderr, "posternd: --homepage and --privacy-url must be http:// or https:// URLs with a host, no "
					"spaces, quotes or angle brackets, shorter than %d bytes\n", STORE_URL_LEN);
			rc = 2;
			goto out;
		}
		snprintf(a.homepage, sizeof(a.homepage), "%s", homepage ? homepage : "");
		snprintf(a.privacy_url, sizeof(a.privacy_url), "%s", privacy ? privacy : "");
		if (scope_check(scopes, NULL, 1, normal, sizeof(normal), bad, sizeof(bad)) != 0) {
			/* a mix of person and app scopes: check each kind */
			char p1[STORE_SCOPES_LEN] = "", p2[STORE_SCOPES_LEN] = "";
			char *dup = strdup(scopes), *save = NULL, *w;
			int okk = dup != NULL;
			for (w = dup ? strtok_r(dup, " ", &save) : NULL; w; w = strtok_r(NULL, " ", &save)) {
				const struct scope_def *d = scope_find(w);
				char *dst = d && d->for_person ? p1 : p2;
				if (d == NULL || scope_has(p1, w) || scope_has(p2, w)) {
					fprintf(stderr, "posternd: unknown or repeated scope '%s'\n", w);
					okk = 0;
					break;
				}
				snprintf(dst + strlen(dst), STORE_SCOPES_LEN - strlen(dst), "%s%s", dst[0] ? " " : "", w);
			}
			free(dup);
			if (!okk)
				goto out;
			snprintf(normal, sizeof(normal), "%s%s%s", p1, p1[0] && p2[0] ? " " : "", p2);
		}
		if (public_client && scope_has(normal, "reports:read")) {
			fprintf(stderr, "posternd: reports:read needs a confidential client (client_credentials)\n");
			goto out;
		}
		uritext = json_dumps(uris, JSON_COMPACT);
		snprintf(a.redirect_uris, sizeof(a.redirect_uris), "%s", uritext ? uritext : "[]");
		snprintf(a.name, sizeof(a.name), "%s", name);
		snprintf(a.scopes, sizeof(a.scopes), "%s", normal);
		pubid_new("app", a.client_id, sizeof(a.client_id));
		if (!public_client)
			new_secret(&a, secret);
		a.created_at = timefmt_now_ms();
		reports_settings_default(&rs);
		rs.since = a.created_at;
		if (db.ops->begin(db.c) != SRV_E_OK || db.ops->app_insert(db.c, &a) != SRV_E_OK ||
		    db.ops->report_settings_add(db.c, a.id, &rs) != SRV_E_OK || db.ops->commit(db.c) != SRV_E_OK) {
			db.ops->rollback(db.c);
			fprintf(stderr, "posternd: could not store the app\n");
			goto out;
		}
		print_app(&a);
		print_report_settings(&db, &a);
		if (secret[0])
			printf("client_secret:  %s\n(shown once: store it now; only its hash is kept)\n", secret);
		rc = 0;
		goto out;
	}
	if (strcmp(verb, "list") == 0) {
		rc = db.ops->app_list(db.c, list_row, NULL) == SRV_E_OK ? 0 : 1;
		goto out;
	}
	if (target == NULL) {
		rc = usage();
		goto out;
	}
	if (db.ops->app_by_client_id(db.c, target, &a) != SRV_E_OK) {
		fprintf(stderr, "posternd: no app %s\n", target);
		goto out;
	}
	if (strcmp(verb, "show") == 0) {
		print_app(&a);
		rc = print_report_settings(&db, &a) == 0 ? 0 : 1;
	} else if (strcmp(verb, "suspend") == 0 || strcmp(verb, "resume") == 0) {
		rc = db.ops->app_set_suspended(db.c, a.id, verb[0] == 's') == SRV_E_OK ? 0 : 1;
		if (rc == 0)
			printf("%s %s\n", a.client_id, verb[0] == 's' ? "suspended: its tokens stop working now" : "active again");
	} else if (strcmp(verb, "rotate-secret") == 0) {
		if (!a.has_secret) {
			fprintf(stderr, "posternd: %s is a public client: it has no secret\n", a.client_id);
			goto out;
		}
		new_secret(&a, secret);
		rc = db.ops->app_set_secret(db.c, a.id, a.secret_hash) == SRV_E_OK ? 0 : 1;
		if (rc == 0)
			printf("client_secret:  %s\n(shown once; the old secret no longer works)\n", secret);
	} else if (strcmp(verb, "delete") == 0) {
		rc = db.ops->app_delete(db.c, a.id) == SRV_E_OK ? 0 : 1;
		if (rc == 0)
			printf("%s deleted; every grant and token of it is revoked\n", a.client_id);
	} else
		rc = usage();
out:
	sodium_memzero(secret, sizeof(secret));
	free(uritext);
	json_decref(uris);
	db_close(&db);
	return rc;
}

int admin_report(int argc, char **argv)
{
	const char *app_id = NULL, *period = NULL, *format = "json", *dir = "./var", *type = NULL;
	struct admin_db db = {0};
	struct store_app a;
	char *out = NULL, err[160] = "";
	size_t len = 0;
	int i, rc = 1;
	enum srv_err e;

	take_database(&argc, argv, 2);

	for (i = 2; i < argc; i++) {
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (v && strcmp(argv[i], "--app") == 0)
			app_id = v;
		else if (v && strcmp(argv[i], "--period") == 0)
			period = v;
		else if (v && strcmp(argv[i], "--format") == 0)
			format = v;
		else if (v && strcmp(argv[i], "--data-dir") == 0)
			dir = v;
		else if (strncmp(argv[i], "--report-", 9) == 0) {
			fprintf(stderr, "posternd: report settings are stored per app, the same for the API and this command: "
					"posternd app report-settings CLIENT_ID\n");
			return 2;
		} else {
			fprintf(stderr, "usage: posternd report --app CLIENT_ID --period YYYY-MM-DD [--format json|csv] [--data-dir DIR]\n");
			return 2;
		}
		i++;
	}
	if (app_id == NULL || period == NULL) {
		fprintf(stderr, "usage: posternd report --app CLIENT_ID --period YYYY-MM-DD [--format json|csv] [--data-dir DIR]\n");
		return 2;
	}
	if (sodium_init() < 0 || db_open(&db, dir) != 0)
		goto out;
	if (db.ops->app_by_client_id(db.c, app_id, &a) != SRV_E_OK) {
		fprintf(stderr, "posternd: no app %s\n", app_id);
		goto out;
	}
	if (db.ops->begin(db.c) != SRV_E_OK)
		goto out;
	e = reports_render(db.ops, db.c, &a, period, format, timefmt_now_ms(), &out, &len, &type, err, sizeof(err));
	if (e == SRV_E_OK && db.ops->commit(db.c) == SRV_E_OK) {
		fwrite(out, 1, len, stdout);
		if (len && out[len - 1] != '\n')
			putchar('\n');
		rc = 0;
	} else {
		db.ops->rollback(db.c);
		fprintf(stderr, "posternd: %s\n", err[0] ? err : "the report could not be made");
	}
out:
	free(out);
	db_close(&db);
	return rc;
}

/*
 * posternd invite [--count N] [--days D] [--data-dir DIR]: N invite codes (default 1), each good for one
 * account within D days (default 7), for --registration=invite. Only their hashes are stored; the codes are
 * printed once, one a line.
 */
int admin_invite(int argc, char **argv)
{
	struct admin_db db = {0};
	const char *dir = "./var";
	int64_t count = 1, days = 7, now = timefmt_now_ms(), i;
	int rc = 1;

	take_database(&argc, argv, 2);

	for (i = 2; i < argc; i++) {
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (v && strcmp(argv[i], "--count") == 0 && strnum_parse_cstr(v, 1, 1000, &count) == 0)
			i++;
		else if (v && strcmp(argv[i], "--days") == 0 && strnum_parse_cstr(v, 1, 365, &days) == 0)
			i++;
		else if (v && strcmp(argv[i], "--data-dir") == 0)
			dir = argv[++i];
		else {
			fprintf(stderr, "usage: posternd invite [--count N (1-1000)] [--days D (1-365)] [--data-dir DIR]\n");
			return 2;
		}
	}
	if (db_open(&db, dir) != 0)
		goto out;
	if (db.ops->begin(db.c) != SRV_E_OK)
		goto out;
	for (i = 0; i < count; i++) {
		char code[AUTH_TOKEN_TEXT_LEN + 8];
		unsigned char hash[32];
		auth_token_new_prefixed("inv.", code, sizeof(code), hash);
		if (db.ops->invite_insert(db.c, hash, now, now + days * 86400 * 1000) != SRV_E_OK) {
			db.ops->rollback(db.c);
			fprintf(stderr, "posternd: cannot store the invite codes\n");
			goto out;
		}
		printf("%s\n", code);
		sodium_memzero(code, sizeof(code));
	}
	if (db.ops->commit(db.c) != SRV_E_OK) {
		fprintf(stderr, "posternd: cannot store the invite codes\n");
		goto out;
	}
	fflush(stdout);
	rc = 0;
out:
	db_close(&db);
	return rc;
}
