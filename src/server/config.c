/*
 * config.c — the settings table and its parser (see config.h). Adding a setting is one row here plus a field
 * in struct config; the parser, the defaults and --help all read the row.
 */
#include "config.h"

#include "strnum.h"

#include <stddef.h>
#include <string.h>

#include "banned.h" /* last: bans footguns in this file only */

enum config_type { CT_INT, CT_STR, CT_DURABILITY, CT_CHOICE };

struct config_row {
	const char *name;
	enum config_type type;
	size_t offset;
	size_t size; /* for strings */
	const char *def; /* CT_CHOICE: the choices, '|'-separated, the first the default; the field is an int */
	int64_t min, max;
	const char *help;
};

#define F(field) offsetof(struct config, field), sizeof(((struct config *)0)->field)

static const struct config_row config_table[] = {
	{"listen", CT_STR, F(listen), "127.0.0.1", 0, 0, "IPv4 address to listen on (put nginx in front for TLS)"},
	{"port", CT_INT, F(port), "8080", 0, 65535, "TCP port; 0 picks a free one"},
	{"data-dir", CT_STR, F(data_dir), "./var", 0, 0, "directory holding the server's keys (and postern.db, with no --database)"},
	{"database", CT_STR, F(database), "", 0, 0,
	 "postgresql://USER@HOST/DB (a libpq URL) to keep the data in PostgreSQL; default: SQLite in --data-dir"},
	{"durability", CT_DURABILITY, F(durability), "full", 0, 1,
	 "full: fsync each group commit (a 2xx survives power loss); normal: faster, may lose the last commits on power loss"},
	{"max-body-bytes", CT_INT, F(max_body_bytes), "65536", 1024, 16777216, "largest decoded message body"},
	{"max-request-bytes", CT_INT, F(max_request_bytes), "262144", 4096, 33554432, "largest HTTP request body"},
	{"json-max-depth", CT_INT, F(json_max_depth), "16", 2, 64, "deepest JSON nesting accepted"},
	{"session-ttl", CT_INT, F(session_ttl_s), "2592000", 1, 31536000, "login session lifetime in seconds"},
	{"reader-threads", CT_INT, F(reader_threads), "4", 1, 64, "database reader threads"},
	{"http-threads", CT_INT, F(http_threads), "2", 1, 64, "HTTP event-loop threads"},
	{"max-connections", CT_INT, F(max_connections), "20000", 16, 1000000, "simultaneous connections"},
	{"conn-memory", CT_INT, F(conn_memory), "8192", 8192, 16384, "per-connection memory limit in bytes"},
	{"pwhash-concurrency", CT_INT, F(pwhash_concurrency), "2", 1, 64, "password hashes computed at once"},
	{"pwhash-memlimit", CT_INT, F(pwhash_memlimit), "67108864", 8192, 1073741824, "argon2id memory per hash, bytes"},
	{"pwhash-opslimit", CT_INT, F(pwhash_opslimit), "2", 1, 10, "argon2id passes"},
	{"login-fail-limit", CT_INT, F(login_fail_limit), "10", 1, 100000, "failed logins per username per window"},
	{"login-fail-window", CT_INT, F(login_fail_window_s), "300", 1, 86400, "failed-login window in seconds"},
	{"registration", CT_CHOICE, F(registration), "open|closed|invite", 0, 0,
	 "who may create an account: open, closed, or invite (a code from `posternd invite`)"},
	{"register-limit", CT_INT, F(register_limit), "5", 1, 1000000,
	 "accounts created (attempts) per client address per window (IPv6: per /64)"},
	{"register-window", CT_INT, F(register_window_s), "3600", 1, 604800, "account-creation window in seconds"},
	{"username-quarantine", CT_INT, F(username_quarantine_days), "30", 0, 3650,
	 "days a deleted account's username stays taken"},
	{"backup-fetch-limit", CT_INT, F(backup_fetch_limit), "5", 1, 100000,
	 "identity-backup fetches per account per window (each is one recovery-key attempt)"},
	{"backup-fetch-window", CT_INT, F(backup_fetch_window_s), "900", 1, 86400, "identity-backup fetch window in seconds"},
	{"approval-fail-limit", CT_INT, F(approval_fail_limit), "5", 1, 100000,
	 "approval-code lookups that match no device, per account per window"},
	{"approval-fail-window", CT_INT, F(approval_fail_window_s), "900", 1, 86400, "approval-code miss window in seconds"},
	{"max-batch", CT_INT, F(max_batch), "256", 1, 4096, "most transactions in one group commit"},
	{"db-wait", CT_INT, F(db_wait_s), "5", 0, 300,
	 "seconds a write waits for an unreachable database (PostgreSQL) before it is answered 503"},
	{"heartbeat-ms", CT_INT, F(heartbeat_ms), "15000", 100, 15000, "SSE heartbeat interval"},
	{"to-device-max", CT_INT, F(to_device_max), "256", 1, 4096, "most to-device messages per request"},
	{"max-pending-requests", CT_INT, F(max_pending_requests), "100", 1, 100000,
	 "most unanswered friend requests one person may have sent"},
	{"max-devices", CT_INT, F(max_devices), "32", 1, 1024, "most devices one person may register at once"},
	{"thread-max-members", CT_INT, F(thread_max_members), "256", 2, 1024,
	 "most members of a group thread besides its creator (each message writes an event per member)"},
	{"log-level", CT_STR, F(log_level), "info", 0, 0, "error, warn, info or debug"},
	{"public-url", CT_STR, F(public_url), "", 0, 0, "base URL people and apps reach (the OAuth issuer); default http://LISTEN:PORT"},
	{"log-origin", CT_STR, F(log_origin), "", 0, 0, "the transparency log's name in its checkpoints, when its key is made (default: postern-<random>)"},
	{"log-witnesses", CT_STR, F(log_witnesses), "", 0, 0, "a file of witness verifier keys (one per line) whose cosignatures the log serves"},
	{"access-ttl", CT_INT, F(access_ttl_s), "600", 5, 86400, "OAuth access-token lifetime in seconds"},
	{"client-ttl", CT_INT, F(client_ttl_s), "3600", 5, 86400, "client_credentials token lifetime in seconds"},
	{"code-ttl", CT_INT, F(code_ttl_s), "60", 1, 60, "authorization-code lifetime in seconds"},
	{"grant-expiries", CT_STR, F(grant_expiries), "1,30,90,365", 0, 0, "grant lifetimes offered on the consent page, in days"},
	{"grant-expiry-default", CT_INT, F(grant_expiry_default), "90", 1, 3650, "the lifetime preselected on the consent page, days"},
	{"rate-person", CT_INT, F(rate_person), "60", 0, 1000000, "default agreement: shares per hour per (app, person); 0 = no limit"},
	{"rate-app", CT_INT, F(rate_app), "10000", 0, 100000000, "default agreement: shares per hour per app; 0 = no limit"},
	{"rate-recipient", CT_INT, F(rate_recipient), "20", 0, 1000000, "default agreement: shares per hour per (app, recipient); 0 = no limit"},
};

#undef F

static int config_set(struct config *cfg, const struct config_row *row, const char *value, FILE *err)
{
	char *base = (char *)cfg + row->offset;
	int64_t v = 0;

	switch (row->type) {
	case CT_INT:
		if (strnum_parse_cstr(value, row->min, row->max, &v) != 0) {
			if (err)
				fprintf(err, "posternd: --%s wants an integer in [%lld, %lld], got '%s'\n", row->name,
					(long long)row->min, (long long)row->max, value);
			return -1;
		}
		*(int64_t *)base = v;
		return 0;
	case CT_STR:
		if (strlen(value) >= row->size) {
			if (err)
				fprintf(err, "posternd: --%s is too long\n", row->name);
			return -1;
		}
		memcpy(base, value, strlen(value) + 1);
		return 0;
	case CT_CHOICE: {
		const char *p = row->def;
		int index = 0;
		size_t n = value == row->def ? strcspn(value, "|") : strlen(value); /* config_defaults: the first */
		while (p && *p) {
			size_t len = strcspn(p, "|");
			if (len == n && memcmp(p, value, n) == 0) {
				*(int *)base = index;
				return 0;
			}
			p += len + (p[len] == '|');
			index++;
		}
		if (err)
			fprintf(err, "posternd: --%s is one of %s, got '%s'\n", row->name, row->def, value);
		return -1;
	}
	case CT_DURABILITY:
		if (strcmp(value, "full") == 0)
			*(int *)base = CONFIG_DURABILITY_FULL;
		else if (strcmp(value, "normal") == 0)
			*(int *)base = CONFIG_DURABILITY_NORMAL;
		else {
			if (err)
				fprintf(err, "posternd: --durability is 'full' or 'normal', got '%s'\n", value);
			return -1;
		}
		return 0;
	}
	return -1;
}

void config_defaults(struct config *cfg)
{
	size_t i;
	memset(cfg, 0, sizeof(*cfg));
	for (i = 0; i < sizeof(config_table) / sizeof(config_table[0]); i++)
		(void)config_set(cfg, &config_table[i], config_table[i].def, NULL);
}

int config_parse_args(struct config *cfg, int argc, char **argv, int first, FILE *err)
{
	int i;
	for (i = first; i < argc; i++) {
		const char *arg = argv[i], *eq, *value;
		size_t namelen, j;
		const struct config_row *row = NULL;

		if (strncmp(arg, "--", 2) != 0) {
			fprintf(err, "posternd: unexpected argument '%s' (try --help)\n", arg);
			return -1;
		}
		arg += 2;
		eq = strchr(arg, '=');
		namelen = eq ? (size_t)(eq - arg) : strlen(arg);
		for (j = 0; j < sizeof(config_table) / sizeof(config_table[0]); j++)
			if (strlen(config_table[j].name) == namelen && memcmp(config_table[j].name, arg, namelen) == 0)
				row = &config_table[j];
		if (row == NULL) {
			fprintf(err, "posternd: unknown option '--%.*s' (try --help)\n", (int)namelen, arg);
			return -1;
		}
		if (eq)
			value = eq + 1;
		else if (i + 1 < argc)
			value = argv[++i];
		else {
			fprintf(err, "posternd: --%s needs a value\n", row->name);
			return -1;
		}
		if (config_set(cfg, row, value, err) != 0)
			return -1;
	}
	return 0;
}

void config_usage(FILE *out)
{
	size_t i;
	fprintf(out, "usage: posternd [--option=value ...]\n\noptions:\n");
	for (i = 0; i < sizeof(config_table) / sizeof(config_table[0]); i++)
		fprintf(out, "  --%-20s %s%s%.*s%s\n", config_table[i].name, config_table[i].help,
			config_table[i].def[0] ? " (default " : "", (int)strcspn(config_table[i].def, "|"), config_table[i].def,
			config_table[i].def[0] ? ")" : "");
}
