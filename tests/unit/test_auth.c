/* test_auth.c — tokens, CSRF tokens, password hashing and the limits on guessing (shared as digests). */
#include "unit.h"

#include "auth.h"
#include "config.h"

#include <sodium.h>

/* auth_init with its server key in dir (made there if it is not) */
static void setup_in(const char *dir)
{
	struct config cfg;
	config_defaults(&cfg);
	snprintf(cfg.data_dir, sizeof(cfg.data_dir), "%s", dir);
	cfg.pwhash_memlimit = 8192;
	cfg.pwhash_opslimit = 1;
	cfg.login_fail_limit = 3;
	cfg.backup_fetch_limit = 2;
	cfg.approval_fail_limit = 1;
	CHECK(auth_init(&cfg) == 0);
}

static void setup(void)
{
	char dir[] = "/tmp/postern-auth-XXXXXX";
	CHECK(sodium_init() >= 0);
	CHECK(mkdtemp(dir) != NULL);
	setup_in(dir);
}

static void tokens_are_random_and_hashed(void)
{
	char a[AUTH_TOKEN_TEXT_LEN + 1], b[AUTH_TOKEN_TEXT_LEN + 1], p[AUTH_PREFIXED_LEN + 1];
	unsigned char ha[32], hb[32], again[32];
	setup();
	auth_token_new(a, ha);
	auth_token_new(b, hb);
	CHECK(strlen(a) == AUTH_TOKEN_TEXT_LEN && strcmp(a, b) != 0 && memcmp(ha, hb, 32) != 0);
	auth_token_hash(a, strlen(a), again);
	CHECK(memcmp(ha, again, 32) == 0);
	auth_token_new_prefixed(AUTH_PREFIX_ACCESS, p, sizeof(p), ha);
	CHECK(strncmp(p, "pa.", 3) == 0 && strlen(p) == AUTH_PREFIXED_LEN);
}

static void csrf_tokens_belong_to_their_session(void)
{
	char t1[AUTH_TOKEN_TEXT_LEN + 1];
	setup();
	auth_csrf_token(1, t1);
	CHECK(auth_csrf_ok(1, t1));
	CHECK(!auth_csrf_ok(2, t1));
	CHECK(!auth_csrf_ok(1, NULL));
	CHECK(!auth_csrf_ok(1, "short"));
	t1[0] = t1[0] == 'A' ? 'B' : 'A';
	CHECK(!auth_csrf_ok(1, t1));
}

static void passwords(void)
{
	char h[STORE_PWHASH_LEN];
	setup();
	CHECK(auth_password_hash("correct horse", h) == SRV_E_OK);
	CHECK(strncmp(h, "$argon2id$", 10) == 0);
	CHECK(auth_password_verify(h, "correct horse") == SRV_E_OK);
	CHECK(auth_password_verify(h, "wrong horse") == SRV_E_INVALID_CREDENTIALS);
	CHECK(auth_password_verify(NULL, "anything") == SRV_E_INVALID_CREDENTIALS); /* unknown user */
}

static void failed_login_limiter(void)
{
	int retry = 0, i;
	setup();
	for (i = 0; i < 3; i++) {
		CHECK(auth_login_check("victim", &retry) == SRV_E_OK);
		auth_login_failed("victim");
	}
	CHECK(auth_login_check("victim", &retry) == SRV_E_RATE_LIMITED);
	CHECK(retry > 0 && retry <= 301);
	CHECK(auth_login_check("bystander", &retry) == SRV_E_OK); /* another name is not limited */
	for (i = 0; i < 100; i++) { /* others failing do not touch victim's count */
		char name[32];
		snprintf(name, sizeof(name), "other%d", i);
		auth_login_failed(name);
	}
	CHECK(auth_login_check("victim", &retry) == SRV_E_RATE_LIMITED);
	auth_login_succeeded("bystander");
	CHECK(auth_login_check("victim", &retry) == SRV_E_RATE_LIMITED);
}

/* The other limits run on the same mechanism, each with its own counts and limit. */
static void limits_are_separate(void)
{
	int retry = 0;
	setup();
	CHECK(auth_limit_check(AUTH_LIMIT_BACKUP, "u_1", &retry) == SRV_E_OK);
	auth_limit_hit(AUTH_LIMIT_BACKUP, "u_1");
	CHECK(auth_limit_check(AUTH_LIMIT_BACKUP, "u_1", &retry) == SRV_E_OK);
	auth_limit_hit(AUTH_LIMIT_BACKUP, "u_1");
	CHECK(auth_limit_check(AUTH_LIMIT_BACKUP, "u_1", &retry) == SRV_E_RATE_LIMITED);
	CHECK(retry > 0 && retry <= 901);
	CHECK(auth_limit_check(AUTH_LIMIT_APPROVAL, "u_1", &retry) == SRV_E_OK); /* another limit */
	CHECK(auth_limit_check(AUTH_LIMIT_LOGIN, "u_1", &retry) == SRV_E_OK);
	CHECK(auth_limit_check(AUTH_LIMIT_BACKUP, "u_2", &retry) == SRV_E_OK);  /* another key */
	auth_limit_hit(AUTH_LIMIT_APPROVAL, "u_2");
	CHECK(auth_limit_check(AUTH_LIMIT_APPROVAL, "u_2", &retry) == SRV_E_RATE_LIMITED);
	auth_login_succeeded("u_1"); /* a login clears only the login count */
	CHECK(auth_limit_check(AUTH_LIMIT_BACKUP, "u_1", &retry) == SRV_E_RATE_LIMITED);
}

/* ---- sharing counts between nodes ---- */

struct shared {
	int n, which, clear;
	unsigned char digest[AUTH_LIMIT_DIGEST_LEN];
};

static void record_share(void *arg, enum auth_limit which, int clear, const unsigned char *digest)
{
	struct shared *s = arg;
	s->n++;
	s->which = (int)which;
	s->clear = clear;
	memcpy(s->digest, digest, AUTH_LIMIT_DIGEST_LEN);
}

/* Every count is handed to the share hook as a digest; another node's digest counts here like our own
 * guess, is not handed on again, and clears like a login here. */
static void counts_are_shared_as_digests(void)
{
	struct shared sh = {0};
	unsigned char alice[AUTH_LIMIT_DIGEST_LEN];
	int retry = 0, i;

	setup();
	auth_limit_share(record_share, &sh);
	auth_login_failed("alice");
	CHECK(sh.n == 1 && sh.which == AUTH_LIMIT_LOGIN && sh.clear == 0);
	memcpy(alice, sh.digest, sizeof(alice));
	auth_login_succeeded("alice");
	CHECK(sh.n == 2 && sh.which == AUTH_LIMIT_LOGIN && sh.clear == 1 && memcmp(sh.digest, alice, sizeof(alice)) == 0);
	auth_limit_hit(AUTH_LIMIT_BACKUP, "alice"); /* the same key of another limit: another digest */
	CHECK(sh.n == 3 && sh.which == AUTH_LIMIT_BACKUP && sh.clear == 0 && memcmp(sh.digest, alice, sizeof(alice)) != 0);
	auth_login_failed("alicf");
	CHECK(sh.n == 4 && memcmp(sh.digest, alice, sizeof(alice)) != 0);

	/* another node's failures of alice: counted here (the limit is 3), never shared again */
	for (i = 0; i < 3; i++) {
		CHECK(auth_login_check("alice", &retry) == SRV_E_OK);
		auth_limit_apply(AUTH_LIMIT_LOGIN, 0, alice);
	}
	CHECK(auth_login_check("alice", &retry) == SRV_E_RATE_LIMITED && retry > 0);
	CHECK(auth_login_check("alicf", &retry) == SRV_E_OK);
	CHECK(sh.n == 4);
	auth_limit_apply(AUTH_LIMIT_LOGIN, 1, alice); /* a login there */
	CHECK(auth_login_check("alice", &retry) == SRV_E_OK);
	auth_limit_apply(AUTH_LIMIT__COUNT, 0, alice); /* a limit this version does not have: ignored */
	auth_limit_apply(-1, 0, alice);
	auth_limit_apply(99, 1, alice);
	CHECK(sh.n == 4);
	auth_limit_share(NULL, NULL);
	auth_login_failed("alice");
	CHECK(sh.n == 4);
	auth_release();
}

/* A digest depends on the server key: the nodes of one deployment (one server.key) agree, another does not. */
static void digests_follow_the_server_key(void)
{
	struct shared sh = {0};
	unsigned char first[AUTH_LIMIT_DIGEST_LEN];
	char dir[] = "/tmp/postern-auth-XXXXXX";

	CHECK(sodium_init() >= 0 && mkdtemp(dir) != NULL);
	setup_in(dir);
	auth_limit_share(record_share, &sh);
	auth_limit_hit(AUTH_LIMIT_REGISTER, "register:192.0.2.1");
	memcpy(first, sh.digest, sizeof(first));
	auth_release();
	setup_in(dir); /* the same key: another node of the deployment, or this one restarted */
	auth_limit_share(record_share, &sh);
	auth_limit_hit(AUTH_LIMIT_REGISTER, "register:192.0.2.1");
	CHECK(sh.n == 2 && memcmp(sh.digest, first, sizeof(first)) == 0);
	auth_release();
	setup(); /* another server key */
	auth_limit_share(record_share, &sh);
	auth_limit_hit(AUTH_LIMIT_REGISTER, "register:192.0.2.1");
	CHECK(sh.n == 3 && memcmp(sh.digest, first, sizeof(first)) != 0);
	auth_release();
}

static const struct unit_case cases[] = {
	{"tokens_are_random_and_hashed", tokens_are_random_and_hashed},
	{"csrf_tokens_belong_to_their_session", csrf_tokens_belong_to_their_session},
	{"passwords", passwords},
	{"failed_login_limiter", failed_login_limiter},
	{"limits_are_separate", limits_are_separate},
	{"counts_are_shared_as_digests", counts_are_shared_as_digests},
	{"digests_follow_the_server_key", digests_follow_the_server_key},
};

UNIT_MAIN("auth", cases)
