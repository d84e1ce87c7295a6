/*
 * config.h — the server's settings, read from one table (like Redis's configs[] in config.c).
 *
 * Each setting has a name, a type, a default, bounds and a help line. Command-line flags are
 * `--name=value` (or `--name value`) with the same names; `posternd --help` prints the table. Nothing here
 * opens sockets or files.
 */
#ifndef POSTERN_CONFIG_H
#define POSTERN_CONFIG_H

#include <stdint.h>
#include <stdio.h>

enum config_durability {
	CONFIG_DURABILITY_FULL = 0, /* fsync every commit (default): a 2xx survives a power cut */
	CONFIG_DURABILITY_NORMAL = 1 /* no fsync per commit: survives a crash of posternd, not of the machine */
};

/* --registration: who may create an account (the index of the value in its row's choices) */
enum config_registration { CONFIG_REGISTRATION_OPEN = 0, CONFIG_REGISTRATION_CLOSED = 1, CONFIG_REGISTRATION_INVITE = 2 };

struct config {
	char listen[64];           /* IPv4 address to bind */
	int64_t port;              /* 0 = ephemeral; the chosen port is printed */
	char data_dir[512];        /* holds the keys, and postern.db when database is "" */
	char database[1024];       /* "" (SQLite in data_dir), postgresql://... or sqlite:PATH (database.h) */
	int durability;            /* enum config_durability */
	int64_t max_body_bytes;    /* largest decoded message body */
	int64_t max_request_bytes; /* largest HTTP request body (derived floor: room for max_body in base64) */
	int64_t json_max_depth;    /* deepest JSON nesting accepted */
	int64_t session_ttl_s;     /* lifetime of a login session */
	int64_t reader_threads;    /* database reader pool size */
	int64_t http_threads;      /* libmicrohttpd thread pool size */
	int64_t max_connections;   /* simultaneous connections */
	int64_t conn_memory;       /* per-connection memory limit in bytes (8–16 KiB) */
	int64_t pwhash_concurrency;/* password hashes computed at once */
	int64_t pwhash_memlimit;   /* argon2id memory in bytes */
	int64_t pwhash_opslimit;   /* argon2id passes */
	int64_t login_fail_limit;  /* failed logins per username per window before 429 */
	int64_t login_fail_window_s;
	int registration;          /* enum config_registration */
	int64_t register_limit;    /* account-creation attempts per client address per window before 429 */
	int64_t register_window_s;
	int64_t username_quarantine_days; /* a deleted account's username stays taken this long */
	int64_t backup_fetch_limit; /* identity-backup fetches per account per window before 429 */
	int64_t backup_fetch_window_s;
	int64_t approval_fail_limit; /* approval-code misses per account per window before 429 */
	int64_t approval_fail_window_s;
	int64_t max_batch;         /* most transactions in one group commit */
	int64_t db_wait_s;         /* how long the writer waits for an unreachable database before answering 503 */
	int64_t heartbeat_ms;      /* SSE heartbeat interval */
	int64_t to_device_max;     /* most to-device messages in one request */
	int64_t max_pending_requests; /* most unanswered outgoing friend requests of one person */
	int64_t max_devices;       /* most live devices of one person (apps' devices not counted) */
	int64_t thread_max_members; /* most members of a group thread besides its creator */
	char log_level[16];        /* error, warn, info, debug */
	char public_url[256];      /* the OAuth issuer; "" = http://LISTEN:PORT */
	char log_origin[128];      /* the transparency log's origin line, used when its key is first made */
	char log_witnesses[512];   /* file of witness verifier keys ("" = none) */
	int64_t access_ttl_s;      /* OAuth access-token lifetime */
	int64_t client_ttl_s;      /* client_credentials token lifetime */
	int64_t code_ttl_s;        /* authorization-code lifetime (≤ 60) */
	char grant_expiries[64];   /* the choices on the consent page, in days, comma-separated */
	int64_t grant_expiry_default; /* preselected choice, days */
	int64_t rate_person;       /* default agreement: shares per hour per (app, person) */
	int64_t rate_app;          /* shares per hour per app */
	int64_t rate_recipient;    /* shares per hour per (app, recipient) */
};

/* Fill cfg with every default from the table. */
void config_defaults(struct config *cfg);

/*
 * Apply command-line flags argv[first..argc) to cfg. On a bad flag, writes one line naming it to err and
 * returns -1; returns 0 on success. Arguments that are not flags are an error.
 */
int config_parse_args(struct config *cfg, int argc, char **argv, int first, FILE *err);

/* Print the table (name, default, help) to out, for --help. */
void config_usage(FILE *out);

#endif
