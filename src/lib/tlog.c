/*
 * tlog.c — libpostern's side of the server's transparency log (docs/transparency.md): the last checkpoint
 * this home accepted (log.json: the log's key pinned on first use, size, root, the note, where monitoring
 * got to and the compact range it verified), consistency from it to every newer one, witnesses' cosignatures
 * when the person asks for them, inclusion proofs for what this client relies on (identity keys and device
 * certificates before encrypting to them, access-log lines before showing them as proven), and monitoring of
 * the person's own account: every entry under its label since this device joined must be something the
 * account's devices made. A log that does not continue what was seen is evidence, kept in the home.
 */
#include "client_int.h"

#include "b64url.h"
#include "timefmt.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "banned.h" /* last: bans footguns in this file only */

#define LEAF_KEY 1
#define LEAF_ACCESS 2
#define LEAF_GRANT 3
#define MONITOR_EVERY_MS 60000 /* a sync looks at the log at most this often */
#define LEAVES_PAGE 1000

static json_t *state_load(pst_client *c) { return pst__store_json(c, "log.json"); }

static pst_status state_save(pst_client *c, json_t *j)
{
	char *text = json_dumps(j, JSON_COMPACT);
	pst_status st = text ? pst__store_write(c, "log.json", text, strlen(text), 1) : pst__fail(c, PST_ERR_NOMEM, "out of memory");
	free(text);
	return st;
}

static json_t *b64j(const unsigned char *bin, size_t n)
{
	char t[128];
	b64url_encode(bin, n, t, sizeof(t));
	return json_string(t);
}

static int unb64(json_t *v, unsigned char *out, size_t n)
{
	const char *t = json_string_value(v);
	return t && b64url_decode_exact(t, strlen(t), out, n) == 0;
}

pst_status pst_log_witnesses(pst_client *c, const char *keys, int required, int max_age_s)
{
	char line[512];
	const char *p = keys, *nl;
	if (c == NULL)
		return PST_ERR_INVALID;
	c->n_witnesses = 0;
	while (p && *p) {
		size_t n;
		nl = strchr(p, '\n');
		n = nl ? (size_t)(nl - p) : strlen(p);
		if (n && n < sizeof(line) && p[0] != '#') {
			memcpy(line, p, n);
			line[n] = '\0';
			if (line[n - 1] == '\r')
				line[n - 1] = '\0';
			struct proto_note_key *k = &c->witnesses[c->n_witnesses];
			size_t j, dup = 0;
			if (c->n_witnesses == PST__WITNESSES_MAX || proto_note_verifier_parse(line, k) != PROTO_E_OK)
				return pst__fail(c, PST_ERR_INVALID, "not a witness key (or more than %d): %.80s", PST__WITNESSES_MAX, line);
			for (j = 0; j < c->n_witnesses; j++) /* a witness listed twice is one witness, counted once */
				dup |= strcmp(c->witnesses[j].name, k->name) == 0 || sodium_memcmp(c->witnesses[j].pk, k->pk, sizeof(k->pk)) == 0;
			if (!dup)
				c->witnesses[c->n_witnesses++].is_cosigner = 1;
		}
		p = nl ? nl + 1 : NULL;
	}
	if (required < 0 || (size_t)required > c->n_witnesses)
		return pst__fail(c, PST_ERR_INVALID, "%d witnesses required, %zu given", required, c->n_witnesses);
	c->witnesses_required = required;
	c->log_max_age_s = max_age_s;
	c->log_size_known = 0; /* the next look checks them */
	return PST_OK;
}

/* Keep what the server showed when it does not add up: the two checkpoints and the proof, for evidence. */
static char *keep_evidence(pst_client *c, json_t *state, const char *note, json_t *proof)
{
	char name[64], *text, *path = NULL;
	json_t *ev = json_pack("{s:s,s:O?,s:s,s:O?,s:I}", "what", "the log does not continue the checkpoint this device accepted before",
			       "accepted_checkpoint", json_object_get(state, "checkpoint"), "new_checkpoint", note, "consistency_proof", proof,
			       "seen_at_ms", (json_int_t)pst__now_ms());
	snprintf(name, sizeof(name), "log-evidence-%lld.json", (long long)pst__now_ms());
	if (ev && (text = json_dumps(ev, JSON_INDENT(1))) != NULL) {
		if (pst__store_write(c, name, text, strlen(text), 0) == PST_OK && asprintf(&path, "%s/%s", c->home, name) < 0)
			path = NULL;
		free(text);
	}
	json_decref(ev);
	return path;
}

/*
 * The newest checkpoint, verified: signed by the pinned log key (pinned now on first use), co-signed by the
 * required number of the person's witnesses within the allowed age, and consistent with the checkpoint this
 * home accepted before (which then moves on). *size and root get it. Done once per client lifetime unless
 * fresh is set. Errors: network ones, PST_ERR_UNTRUSTED (a bad signature, too few witnesses, a stale view,
 * or a history that does not continue: evidence kept).
 */
/* Open a checkpoint note with keys[0] (the log) and the witnesses after it: 0 with *cp and how many witnesses
 * co-signed it recently enough (*good), -1 when the log's own signature is not there. */
static int checkpoint_open(const pst_client *c, const char *note, const struct proto_note_key *keys, size_t nkeys, struct proto_checkpoint *cp,
			   size_t *good)
{
	int verified[17] = {0};
	uint64_t ts[17] = {0};
	size_t body_len = 0, i;
	if (nkeys > 17 || proto_note_open(note, strlen(note), keys, nkeys, &body_len, verified, ts) != PROTO_E_OK || !verified[0] ||
	    proto_checkpoint_parse(note, body_len, cp) != PROTO_E_OK || strcmp(cp->origin, keys[0].name) != 0)
		return -1;
	*good = 0;
	for (i = 1; i < nkeys; i++)
		*good += verified[i] && (c->log_max_age_s <= 0 || (int64_t)ts[i] >= (int64_t)(pst__now_ms() / 1000) - c->log_max_age_s);
	return 0;
}

pst_status pst__log_checkpoint(pst_client *c, int fresh, uint64_t *size, unsigned char root[PROTO_MERKLE_HASH_BYTES])
{
	json_t *ans = NULL, *state = NULL, *proof_ans = NULL;
	struct proto_note_key keys[17];
	struct proto_checkpoint cp;
	const char *note, *key_text;
	size_t nkeys = 1, good = 0, i;
	pst_status st;

	if (c->log_size_known && !fresh) {
		*size = c->log_size;
		memcpy(root, c->log_root, PROTO_MERKLE_HASH_BYTES);
		return PST_OK;
	}
	memset(keys, 0, sizeof(keys));
	if ((st = pst__request(c, "GET", "/v1/log/checkpoint", NULL, &ans)) != PST_OK)
		goto out;
	state = state_load(c);
	note = json_string_value(json_object_get(ans, "checkpoint"));
	/* the log's key: pinned the first time, never taken from the server again */
	key_text = json_string_value(json_object_get(state, "log_key"));
	if (key_text == NULL) {
		key_text = json_string_value(json_object_get(ans, "log_key"));
		if (key_text)
			json_object_set_new(state, "log_key", json_string(key_text));
	}
	if (note == NULL || key_text == NULL || proto_note_verifier_parse(key_text, &keys[0]) != PROTO_E_OK) {
		st = pst__fail(c, PST_ERR_PROTOCOL, "the server gave no transparency-log checkpoint");
		goto out;
	}
	for (i = 0; i < c->n_witnesses && nkeys < 17; i++)
		keys[nkeys++] = c->witnesses[i];
	if (checkpoint_open(c, note, keys, nkeys, &cp, &good) != 0) {
		st = pst__fail(c, PST_ERR_UNTRUSTED, "the server's transparency-log checkpoint is not signed by the log key this device pinned");
		goto out;
	}
	if (c->witnesses_required > 0 && good < (size_t)c->witnesses_required) {
		/* the newest may still wait for the witnesses: the newest they co-signed will do */
		const char *alt = json_string_value(json_object_get(ans, "cosigned_checkpoint"));
		struct proto_checkpoint alt_cp;
		size_t alt_good = 0;
		if (alt && checkpoint_open(c, alt, keys, nkeys, &alt_cp, &alt_good) == 0 && alt_good >= (size_t)c->witnesses_required) {
			note = alt;
			cp = alt_cp;
			good = alt_good;
		}
	}
	if (c->witnesses_required > 0) {
		if (good < (size_t)c->witnesses_required) {
			st = pst__fail(c, PST_ERR_UNTRUSTED,
				       "the server's transparency-log checkpoint carries %zu recent cosignatures of your witnesses, %d required: "
				       "it may be showing you a history others do not see",
				       good, c->witnesses_required);
			goto out;
		}
	}
	{
		/* consistency with what this home accepted before */
		uint64_t old = (uint64_t)json_integer_value(json_object_get(state, "size"));
		unsigned char old_root[PROTO_MERKLE_HASH_BYTES], proof[PROTO_MERKLE_PROOF_MAX][PROTO_MERKLE_HASH_BYTES];
		int have_old = unb64(json_object_get(state, "root"), old_root, sizeof(old_root));
		size_t n = 0;
		json_t *x;
		char q[96];
		if (have_old && cp.size < old) {
			char *ev = keep_evidence(c, state, note, NULL);
			st = pst__fail(c, PST_ERR_UNTRUSTED,
				       "the server's transparency log is shorter (%llu entries) than when this device last looked (%llu): it was "
				       "cut or rewritten (evidence: %s)",
				       (unsigned long long)cp.size, (unsigned long long)old, ev ? ev : "not saved");
			free(ev);
			goto out;
		}
		if (have_old && old > 0 && cp.size >= old) {
			snprintf(q, sizeof(q), "/v1/log/proof/consistency?first=%llu&second=%llu", (unsigned long long)old, (unsigned long long)cp.size);
			if ((st = pst__request(c, "GET", q, NULL, &proof_ans)) != PST_OK) {
				if (st == PST_ERR_HTTP || st == PST_ERR_NOT_FOUND) { /* the server cannot back its own checkpoint */
					char why[sizeof(c->errmsg)], *ev = keep_evidence(c, state, note, NULL);
					snprintf(why, sizeof(why), "%s", c->errmsg);
					st = pst__fail(c, PST_ERR_UNTRUSTED,
						       "the server's transparency log does not continue the history this device saw before: it was "
						       "rewritten, or it shows different people different histories (it cannot prove %llu entries "
						       "continue %llu: %.80s; evidence: %s)",
						       (unsigned long long)cp.size, (unsigned long long)old, why, ev ? ev : "not saved");
					free(ev);
				}
				goto out;
			}
			json_array_foreach(json_object_get(proof_ans, "proof"), i, x) if (n < PROTO_MERKLE_PROOF_MAX && unb64(x, proof[n], PROTO_MERKLE_HASH_BYTES)) n++;
			if (json_array_size(json_object_get(proof_ans, "proof")) != n ||
			    proto_merkle_verify_consistency(old, cp.size, old_root, cp.root, (const unsigned char(*)[PROTO_MERKLE_HASH_BYTES])proof, n) != PROTO_E_OK) {
				char *ev = keep_evidence(c, state, note, json_object_get(proof_ans, "proof"));
				st = pst__fail(c, PST_ERR_UNTRUSTED,
					       "the server's transparency log does not continue the history this device saw before: it was rewritten, "
					       "or it shows different people different histories (evidence: %s)",
					       ev ? ev : "not saved");
				free(ev);
				goto out;
			}
		}
		if (!json_object_get(state, "joined_at_size")) /* monitoring starts where this device joined the log */
			json_object_set_new(state, "joined_at_size", json_integer((json_int_t)cp.size));
		json_object_set_new(state, "size", json_integer((json_int_t)cp.size));
		json_object_set_new(state, "root", b64j(cp.root, sizeof(cp.root)));
		json_object_set_new(state, "checkpoint", json_string(note));
		if ((st = state_save(c, state)) != PST_OK)
			goto out;
	}
	c->log_size_known = 1;
	c->log_size = cp.size;
	memcpy(c->log_root, cp.root, sizeof(cp.root));
	*size = cp.size;
	memcpy(root, cp.root, PROTO_MERKLE_HASH_BYTES);
out:
	json_decref(ans);
	json_decref(proof_ans);
	json_decref(state);
	return st;
}

/*
 * Does the leaf have exactly the shape of what it must prove (docs/transparency.md §2)? KEY and GRANT leaves:
 * 75 bytes, the account's label, the statement type or grant event; ACCESS leaves: 42 bytes. An entry that
 * stands in a leaf of another kind, under another account or as another statement type proves nothing: the
 * owner's monitor would never see it.
 */
static int leaf_is(const unsigned char *leaf, size_t len, const struct pst__log_want *want, const unsigned char entry[PROTO_MERKLE_HASH_BYTES])
{
	unsigned char label[PROTO_MERKLE_HASH_BYTES];
	if (len < 10 + PROTO_MERKLE_HASH_BYTES || leaf[0] != 1 || leaf[1] != want->type ||
	    sodium_memcmp(leaf + len - PROTO_MERKLE_HASH_BYTES, entry, PROTO_MERKLE_HASH_BYTES) != 0)
		return 0;
	if (want->type == LEAF_ACCESS)
		return len == 10 + PROTO_MERKLE_HASH_BYTES;
	return len == 10 + 2 * PROTO_MERKLE_HASH_BYTES + 1 && want->user_id && proto_log_label(want->user_id, label) == PROTO_E_OK &&
	       sodium_memcmp(leaf + 10, label, sizeof(label)) == 0 && leaf[10 + PROTO_MERKLE_HASH_BYTES] == want->kind;
}

/* Check one inclusion answer for entry against (size, root). 1 when it proves it, with its index; 2 when the
 * leaf shown is of another shape than the one wanted; 0 when it proves nothing. */
static int proves(json_t *ans, const struct pst__log_want *want, const unsigned char entry[PROTO_MERKLE_HASH_BYTES], uint64_t size,
		  const unsigned char root[PROTO_MERKLE_HASH_BYTES], uint64_t *index)
{
	unsigned char leaf[PROTO_LOG_LEAF_MAX + 3], lh[PROTO_MERKLE_HASH_BYTES], proof[PROTO_MERKLE_PROOF_MAX][PROTO_MERKLE_HASH_BYTES];
	const char *lt = json_string_value(json_object_get(ans, "leaf"));
	size_t len = 0, n = 0, i;
	json_t *x;
	if (lt == NULL || b64url_decode(lt, strlen(lt), leaf, sizeof(leaf), &len) != 0 || len > PROTO_LOG_LEAF_MAX ||
	    !json_is_integer(json_object_get(ans, "index")) || json_integer_value(json_object_get(ans, "index")) < 0)
		return 0;
	if (!leaf_is(leaf, len, want, entry))
		return 2;
	*index = (uint64_t)json_integer_value(json_object_get(ans, "index"));
	json_array_foreach(json_object_get(ans, "proof"), i, x) if (n < PROTO_MERKLE_PROOF_MAX && unb64(x, proof[n], PROTO_MERKLE_HASH_BYTES)) n++;
	if (n != json_array_size(json_object_get(ans, "proof")) || proto_merkle_leaf_hash(leaf, len, lh) != PROTO_E_OK)
		return 0;
	return proto_merkle_verify_inclusion(*index, size, lh, (const unsigned char(*)[PROTO_MERKLE_HASH_BYTES])proof, n, root) == PROTO_E_OK;
}

#define PROVEN_KEEP 20000 /* proofs remembered in the home; past that, per process only */

/*
 * Is entry (the last 32 bytes of a leaf: a statement's hash, or an access line's commitment) in the log?
 * A verified inclusion proof against the accepted checkpoint says yes; the answer is remembered (an append-
 * only log never loses it). An entry made a moment ago may wait for the next checkpoint: one more try a
 * second later. Returns PST_OK (proven), PST_ERR_NOT_FOUND (not in the log), or a network/trust error.
 */
pst_status pst__log_prove(pst_client *c, const struct pst__log_want *want, const unsigned char entry[PROTO_MERKLE_HASH_BYTES], uint64_t *index)
{
	unsigned char root[PROTO_MERKLE_HASH_BYTES];
	char et[64], key[160], q[160];
	uint64_t size = 0, idx = 0;
	json_t *state = NULL, *ans = NULL, *got;
	int attempt, shape = 0;
	pst_status st = PST_ERR_NOT_FOUND;

	b64url_encode(entry, PROTO_MERKLE_HASH_BYTES, et, sizeof(et));
	/* remembered by the shape proven too: the same entry in another kind of leaf is another question */
	snprintf(key, sizeof(key), "%u:%d:%s:%s", want->type, want->kind, want->user_id ? want->user_id : "", et);
	if (c->proven == NULL) { /* what earlier runs proved, from the home */
		state = state_load(c);
		c->proven = json_object_get(state, "proven");
		c->proven = json_is_object(c->proven) ? json_incref(c->proven) : json_object();
		json_decref(state);
		state = NULL;
	}
	if (json_is_integer(got = json_object_get(c->proven, key))) {
		if (index)
			*index = (uint64_t)json_integer_value(got);
		return PST_OK;
	}
	for (attempt = 0; attempt < 2 && st == PST_ERR_NOT_FOUND; attempt++) {
		pst_status rc;
		if (attempt)
			usleep(1100 * 1000);
		if ((rc = pst__log_checkpoint(c, attempt > 0, &size, root)) != PST_OK)
			return rc;
		snprintf(q, sizeof(q), "/v1/log/proof/inclusion?size=%llu&entry=%s", (unsigned long long)size, et);
		json_decref(ans);
		ans = NULL;
		rc = pst__request(c, "GET", q, NULL, &ans);
		if (rc == PST_OK) {
			shape = proves(ans, want, entry, size, root, &idx);
			st = shape == 1 ? PST_OK : PST_ERR_UNTRUSTED;
		}
		else if (rc != PST_ERR_NOT_FOUND)
			st = rc;
	}
	json_decref(ans);
	if (st == PST_ERR_UNTRUSTED && shape == 2)
		return pst__fail(c, st, "the server's transparency log holds that key or line only as an entry of another kind or another "
					"account, where the owner's devices do not look for it: it is not taken");
	if (st == PST_ERR_UNTRUSTED)
		return pst__fail(c, st, "the server's proof that an entry is in its transparency log does not verify");
	if (st != PST_OK)
		return st;
	if (index)
		*index = idx;
	json_object_set_new(c->proven, key, json_integer((json_int_t)idx));
	if (c->proven_new == NULL)
		c->proven_new = json_object();
	json_object_set_new(c->proven_new, key, json_integer((json_int_t)idx));
	return PST_OK;
}

pst_status pst__log_save_proven(pst_client *c)
{
	json_t *state, *proven, *v;
	const char *k;
	pst_status st = PST_OK;
	if (c == NULL || json_object_size(c->proven_new) == 0)
		return PST_OK;
	state = state_load(c);
	proven = json_object_get(state, "proven");
	if (!json_is_object(proven))
		json_object_set_new(state, "proven", proven = json_object());
	json_object_foreach(c->proven_new, k, v) if (json_object_size(proven) < PROVEN_KEEP) json_object_set(proven, k, v);
	st = state_save(c, state);
	json_decref(state);
	json_object_clear(c->proven_new);
	return st;
}

pst_status pst__log_prove_statement(pst_client *c, const char *user_id, const unsigned char *stmt, size_t len)
{
	unsigned char h[PROTO_MERKLE_HASH_BYTES];
	struct pst__log_want want = {LEAF_KEY, user_id, 0};
	if (stmt == NULL || len < 3)
		return PST_ERR_NOT_FOUND;
	want.kind = stmt[2]; /* the statement's type byte */
	crypto_generichash(h, sizeof(h), stmt, len, NULL, 0);
	return pst__log_prove(c, &want, h, NULL);
}

/* ---- access-log lines ---- */

/* The person's key for the commitments of their access-log lines (NULL text: none yet). */
static pst_status my_log_key(pst_client *c, unsigned char key[PROTO_MERKLE_HASH_BYTES], int *have)
{
	json_t *ans = NULL;
	pst_status st = pst__request(c, "GET", "/v1/me/log-key", NULL, &ans);
	*have = st == PST_OK && unb64(json_object_get(ans, "log_key"), key, PROTO_MERKLE_HASH_BYTES);
	json_decref(ans);
	return st;
}

#define SEEN_KEEP 2000 /* the numbered lines whose commitments this home remembers (the newest) */

/* Drop the oldest remembered lines past SEEN_KEEP. */
static void seen_trim(json_t *seen)
{
	while (json_object_size(seen) > SEEN_KEEP) {
		const char *k, *oldest = NULL;
		json_t *v;
		long long low = LLONG_MAX;
		json_object_foreach(seen, k, v) {
			long long n = strtoll(k, NULL, 10);
			(void)v;
			if (n < low) {
				low = n;
				oldest = k;
			}
		}
		if (oldest == NULL)
			break;
		json_object_del(seen, oldest);
	}
}

pst_status pst__log_mark_access(pst_client *c, json_t *page, int newest)
{
	unsigned char key[PROTO_MERKLE_HASH_BYTES], entry[PROTO_MERKLE_HASH_BYTES];
	json_t *entries = json_object_get(page, "entries"), *e, *state = NULL, *seen;
	size_t i;
	int have = 0, changed = 0;
	uint64_t newer = UINT64_MAX; /* the log index of the newest line above that stood */
	int64_t above = 0;            /* the number of the line above (0: none numbered yet) */
	pst_status st;

	if (json_array_size(entries) == 0)
		return PST_OK;
	if ((st = my_log_key(c, key, &have)) != PST_OK)
		return st;
	state = state_load(c);
	seen = json_object_get(state, "access_seen");
	if (!json_is_object(seen))
		json_object_set_new(state, "access_seen", seen = json_object());
	/* the newest page begins at the newest line: one this device saw that is gone is a line dropped */
	if (newest) {
		int64_t top = json_integer_value(json_object_get(json_array_get(entries, 0), "seq"));
		int64_t highest = json_integer_value(json_object_get(state, "access_highest"));
		if (top < highest) {
			json_object_set_new(page, "log_problem", json_sprintf("the newest %lld line%s this device was shown before %s gone",
									   (long long)(highest - top), highest - top == 1 ? "" : "s",
									   highest - top == 1 ? "is" : "are"));
		}
	}
	/*
	 * Newest first, so their entries must come in decreasing log order (a line rewritten and logged again after
	 * the fact sits after the lines newer than it; equal: the same line twice, logged once), and the numbered
	 * ones must count down by one (a gap is a line dropped); a number this device saw with another commitment
	 * is a line written again.
	 */
	json_array_foreach(entries, i, e) {
		int64_t at = 0, seq = json_integer_value(json_object_get(e, "seq"));
		const char *g = json_string_value(json_object_get(e, "grant_id")), *t = json_string_value(json_object_get(e, "thread_id"));
		const char *m = json_string_value(json_object_get(e, "message_id")), *a = json_string_value(json_object_get(e, "action"));
		char seq_text[24], et[64];
		const char *problem = NULL, *was;
		int proven = 0;
		snprintf(seq_text, sizeof(seq_text), "%lld", (long long)seq);
		if (seq > 0 && above > 0 && seq >= above)
			problem = "numbered out of order";
		else if (seq > 0 && above > 0 && seq != above - 1) /* the line itself may stand: the ones above it are gone */
			json_object_set_new(e, "missing_above", json_integer(above - 1 - seq));
		if (seq > 0)
			above = seq;
		/* docs/transparency.md §2: the line as the person is shown it, keyed by their log key */
		if (have && a && seq >= 0 && timefmt_parse_rfc3339(json_string_value(json_object_get(e, "at")), &at) == 0 &&
		    proto_log_access_entry(key, seq, at, g, a, t, m, json_integer_value(json_object_get(e, "count")), entry) == PROTO_E_OK) {
			static const struct pst__log_want want = {LEAF_ACCESS, NULL, 0};
			uint64_t idx = 0;
			b64url_encode(entry, sizeof(entry), et, sizeof(et));
			was = seq > 0 ? json_string_value(json_object_get(seen, seq_text)) : NULL;
			st = pst__log_prove(c, &want, entry, &idx);
			if (was && strcmp(was, et) != 0)
				problem = "changed since this device showed it: written again";
			else if (st == PST_OK && idx > newer)
				problem = "logged after newer lines: written again after the fact";
			if (st == PST_OK && problem == NULL) {
				proven = 1;
				newer = idx;
				if (seq > 0 && !was) {
					json_object_set_new(seen, seq_text, json_string(et));
					changed = 1;
					if (seq > json_integer_value(json_object_get(state, "access_highest")))
						json_object_set_new(state, "access_highest", json_integer(seq));
				}
			} else if (st != PST_OK && st != PST_ERR_NOT_FOUND)
				break;
			st = PST_OK;
		}
		if (problem)
			json_object_set_new(e, "log_problem", json_string(problem));
		json_object_set_new(e, "proven", json_boolean(proven));
	}
	sodium_memzero(key, sizeof(key));
	if (st == PST_OK && changed) {
		seen_trim(seen);
		st = state_save(c, state);
	}
	json_decref(state);
	/* after the save above (its state was read before these proofs): one write for the page's proofs */
	return st == PST_OK ? pst__log_save_proven(c) : st;
}

/* ---- grants ---- */

/*
 * The entry of a grant's event (ended: its end, else its creation) as the server logs it, rebuilt from the
 * grant as listed (docs/transparency.md §2). 0 on success, -1 when the listing lacks a field.
 */
static int grant_entry(const json_t *g, int ended, unsigned char entry[PROTO_MERKLE_HASH_BYTES])
{
	const char *id = json_string_value(json_object_get(g, "grant_id")), *scope = json_string_value(json_object_get(g, "scope"));
	const char *client = json_string_value(json_object_get(json_object_get(g, "app"), "client_id"));
	const char *expires = json_string_value(json_object_get(g, "expires_at"));
	const char *at = json_string_value(json_object_get(g, ended ? "revoked_at" : "created_at"));
	char *details = json_dumps(json_object_get(g, "authorization_details"), JSON_COMPACT | JSON_SORT_KEYS);
	int rc = id && scope && client && expires && at && details &&
			 proto_log_grant_entry(ended, id, client, scope, details, expires, at, entry) == PROTO_E_OK
		 ? 0
		 : -1;
	free(details);
	return rc;
}

pst_status pst__log_mark_grants(pst_client *c, json_t *page, int newest)
{
	json_t *grants = json_object_get(page, "grants");
	(void)newest; /* one page: every grant */
	json_t *g;
	size_t i;
	pst_status st = PST_OK;
	json_array_foreach(grants, i, g) {
		unsigned char entry[PROTO_MERKLE_HASH_BYTES];
		int ev, proven = 1;
		for (ev = 0; ev < 2 && proven; ev++) {
			if (ev == 1 && !json_is_string(json_object_get(g, "revoked_at")))
				break;
			struct pst__log_want want = {LEAF_GRANT, c->user_id, ev + 1};
			if (grant_entry(g, ev, entry) != 0 || (st = pst__log_prove(c, &want, entry, NULL)) == PST_ERR_NOT_FOUND)
				proven = 0;
			else if (st != PST_OK)
				return st;
			st = PST_OK;
		}
		json_object_set_new(g, "proven", json_boolean(proven));
	}
	return st == PST_OK ? pst__log_save_proven(c) : st;
}

/* ---- monitoring the person's own account ---- */

/*
 * Every statement hash this person's own identity stands behind: from the server's listing, only those that
 * verify with the identity key this device holds (its IDENTITY statement itself, and what that key signed:
 * device certificates and removals, app authorisations and revocations). A statement the server lists, and
 * logs, under the account but that this key did not sign is what the monitor reports. Plus those remembered
 * from earlier scans.
 */
static pst_status known_mine(pst_client *c, json_t *state, json_t **known_out)
{
	json_t *devs = NULL, *apps = NULL, *grants = NULL, *x, *known = json_object_get(state, "mine");
	struct proto_statement *st = malloc(sizeof(*st));
	size_t i;
	pst_status rc;
	if (!json_is_object(known))
		json_object_set_new(state, "mine", known = json_object());
	if (st == NULL)
		return pst__fail(c, PST_ERR_NOMEM, "out of memory");
	if ((rc = pst__request(c, "GET", "/v1/devices", NULL, &devs)) != PST_OK)
		goto out;
	if (pst__request(c, "GET", "/v1/me/app-devices", NULL, &apps) != PST_OK)
		apps = NULL;
	if (pst__request(c, "GET", "/v1/me/grants", NULL, &grants) != PST_OK)
		grants = NULL;
	/* the grants the server lists for this person: their creations and ends */
	json_array_foreach(json_object_get(grants, "grants"), i, x) {
		int ev;
		for (ev = 0; ev < 2; ev++) {
			unsigned char h[PROTO_MERKLE_HASH_BYTES];
			char ht[64];
			if (grant_entry(x, ev, h) == 0) {
				b64url_encode(h, sizeof(h), ht, sizeof(ht));
				json_object_set_new(known, ht, json_true());
			}
		}
	}
	{
		/* the listing's statements, hashed into known */
		json_t *lists[4] = {NULL, NULL, NULL, NULL};
		size_t li;
		lists[0] = json_pack("[O?]", json_object_get(json_object_get(devs, "identity"), "statement"));
		lists[1] = json_array();
		json_array_foreach(json_object_get(devs, "devices"), i, x) json_array_append(lists[1], json_object_get(x, "cert"));
		lists[2] = json_incref(json_object_get(devs, "revocations"));
		lists[3] = json_array();
		json_array_foreach(json_object_get(apps, "devices"), i, x) {
			json_array_append(lists[3], json_object_get(x, "authorisation"));
			json_array_append(lists[3], json_object_get(x, "revocation"));
		}
		for (li = 0; li < 4; li++) {
			json_array_foreach(lists[li], i, x) {
				size_t n = 0;
				unsigned char *b = pst__b64_decode(json_string_value(x), PROTO_STATEMENT_MAX, &n);
				if (b && st && c->have_identity && proto_statement_verify(b, n, 0, c->identity.pk, st) == PROTO_E_OK &&
				    (st->type != PROTO_ST_IDENTITY || sodium_memcmp(st->key, c->identity.pk, PROTO_ID_KEY_BYTES) == 0)) {
					unsigned char h[PROTO_MERKLE_HASH_BYTES];
					char ht[64];
					crypto_generichash(h, sizeof(h), b, n, NULL, 0);
					b64url_encode(h, sizeof(h), ht, sizeof(ht));
					json_object_set_new(known, ht, json_true());
				}
				free(b);
			}
			json_decref(lists[li]);
		}
	}
	*known_out = known;
out:
	free(st);
	json_decref(devs);
	json_decref(apps);
	json_decref(grants);
	return rc;
}

static const char *leaf_words(unsigned leaf_type, unsigned stmt_type)
{
	if (leaf_type == LEAF_GRANT)
		return stmt_type == 2 ? "an app's disconnection the server does not show you" : "an app connection the server does not show you";
	switch (stmt_type) {
	case PROTO_ST_IDENTITY: return "an identity key";
	case PROTO_ST_DEVICE_CERT: return "a device approval";
	case PROTO_ST_DEVICE_REVOKE: return "a device removal";
	case PROTO_ST_APP_AUTH: return "an app authorisation";
	case PROTO_ST_APP_REVOKE: return "an app revocation";
	default: return "a statement";
	}
}

pst_status pst_log_verify(pst_client *c, char **report_out)
{
	unsigned char root[PROTO_MERKLE_HASH_BYTES], label[PROTO_MERKLE_HASH_BYTES], got[PROTO_MERKLE_HASH_BYTES];
	struct proto_merkle_frontier *f = NULL;
	json_t *state = NULL, *known = NULL, *alarms = json_array(), *report = NULL, *ans = NULL, *x, *pending;
	size_t new_alarms;
	uint64_t size = 0, from = 0, joined = 0, pos, mine = 0, scanned = 0;
	size_t i;
	pst_status st;

	if (report_out)
		*report_out = NULL;
	if (c == NULL)
		return PST_ERR_INVALID;
	if (!c->token[0])
		return pst__fail(c, PST_ERR_AUTH, "not logged in (run: postern login USER)");
	if ((st = pst__log_checkpoint(c, 1, &size, root)) != PST_OK)
		goto out;
	state = state_load(c);
	if ((f = calloc(1, sizeof(*f))) == NULL) {
		st = pst__fail(c, PST_ERR_NOMEM, "out of memory");
		goto out;
	}
	/* the compact range verified so far: scanning continues from it */
	proto_merkle_frontier_init(f);
	{
		json_t *fr = json_object_get(state, "frontier");
		f->size = (uint64_t)json_integer_value(json_object_get(fr, "size"));
		json_array_foreach(json_object_get(fr, "hashes"), i, x) if (i < 64 && unb64(x, f->hash[i], PROTO_MERKLE_HASH_BYTES)) f->n = i + 1;
		if (f->size > size)
			proto_merkle_frontier_init(f);
	}
	from = f->size;
	joined = (uint64_t)json_integer_value(json_object_get(state, "joined_at_size"));
	if ((st = known_mine(c, state, &known)) != PST_OK)
		goto out;
	proto_log_label(c->user_id, label);
	for (pos = from; pos < size;) {
		char q[96];
		snprintf(q, sizeof(q), "/v1/log/leaves?start=%llu&end=%llu", (unsigned long long)pos,
			 (unsigned long long)(size - pos > LEAVES_PAGE ? pos + LEAVES_PAGE : size));
		json_decref(ans);
		ans = NULL;
		if ((st = pst__request(c, "GET", q, NULL, &ans)) != PST_OK) {
			if (st == PST_ERR_HTTP || st == PST_ERR_NOT_FOUND)
				st = pst__fail(c, PST_ERR_UNTRUSTED,
					       "the server's transparency log cannot hand out every entry its checkpoint counts (from entry %llu "
					       "on): entries were removed or rewritten",
					       (unsigned long long)pos);
			goto out;
		}
		if (json_array_size(json_object_get(ans, "leaves")) == 0) {
			st = pst__fail(c, PST_ERR_UNTRUSTED, "the server's transparency log has no entry %llu, which its checkpoint counts",
				       (unsigned long long)pos);
			goto out;
		}
		json_array_foreach(json_object_get(ans, "leaves"), i, x) {
			unsigned char leaf[PROTO_LOG_LEAF_MAX + 3], lh[PROTO_MERKLE_HASH_BYTES];
			size_t len = 0;
			const char *lt = json_string_value(x);
			if (pos >= size)
				break;
			if (lt == NULL || b64url_decode(lt, strlen(lt), leaf, sizeof(leaf), &len) != 0 || len > PROTO_LOG_LEAF_MAX ||
			    proto_merkle_leaf_hash(leaf, len, lh) != PROTO_E_OK || proto_merkle_frontier_append(f, lh) != PROTO_E_OK) {
				st = pst__fail(c, PST_ERR_UNTRUSTED, "entry %llu of the server's transparency log is malformed", (unsigned long long)pos);
				goto out;
			}
			/* an identity, device or app statement, or a grant, under this account's label, after this device joined */
			if (len == 10 + 32 + 1 + 32 && (leaf[1] == LEAF_KEY || leaf[1] == LEAF_GRANT) && sodium_memcmp(leaf + 10, label, sizeof(label)) == 0) {
				char ht[64];
				unsigned type = leaf[42];
				mine++;
				b64url_encode(leaf + 43, 32, ht, sizeof(ht));
				if ((leaf[1] == LEAF_GRANT || type != PROTO_ST_APP_CONSENT) && pos >= joined && !json_object_get(known, ht)) {
					char when[TIMEFMT_RFC3339_LEN] = "";
					int64_t at = 0;
					int k;
					for (k = 0; k < 8; k++)
						at = at << 8 | leaf[2 + k];
					timefmt_rfc3339(at, when, sizeof(when));
					json_array_append_new(alarms, json_pack("{s:I,s:s,s:s}", "index", (json_int_t)pos, "at", when, "what", leaf_words(leaf[1], type)));
				}
				json_object_set_new(known, ht, json_true()); /* found once; kept in "alarms" until acknowledged */
			} else if (len >= 10 + 32 && len <= PROTO_LOG_LEAF_MAX && sodium_memcmp(leaf + 10, label, sizeof(label)) == 0 && pos >= joined) {
				/* this account's label in a leaf of no shape the log writes: nothing a client would accept, but
				 * nothing an honest server makes either */
				json_array_append_new(alarms, json_pack("{s:I,s:s,s:s}", "index", (json_int_t)pos, "at", "", "what",
									"a malformed entry under your account"));
			}
			pos++;
			scanned++;
		}
	}
	/* the scanned leaves are exactly the ones the checkpoint commits to */
	if (proto_merkle_frontier_root(f, got) != PROTO_E_OK || sodium_memcmp(got, root, sizeof(got)) != 0) {
		st = pst__fail(c, PST_ERR_UNTRUSTED,
			       "the entries the server's transparency log hands out do not hash to its signed checkpoint: it hides or rewrites entries");
		goto out;
	}
	{
		json_t *hashes = json_array();
		for (i = 0; i < f->n; i++)
			json_array_append_new(hashes, b64j(f->hash[i], PROTO_MERKLE_HASH_BYTES));
		json_object_set_new(state, "frontier", json_pack("{s:I,s:o}", "size", (json_int_t)f->size, "hashes", hashes));
	}
	json_object_set_new(state, "monitored_at", json_integer((json_int_t)pst__now_ms()));
	/* the new alarms join those not yet acknowledged, saved with the scan that found them: none is lost */
	pending = json_object_get(state, "alarms");
	if (!json_is_array(pending))
		json_object_set_new(state, "alarms", pending = json_array());
	new_alarms = json_array_size(alarms);
	json_array_extend(pending, alarms);
	if ((st = state_save(c, state)) != PST_OK)
		goto out;
	json_decref(alarms);
	alarms = json_incref(pending);
	report = json_pack("{s:I,s:I,s:I,s:I,s:I,s:O}", "from_size", (json_int_t)from, "size", (json_int_t)size, "scanned", (json_int_t)scanned,
			   "yours", (json_int_t)mine, "new_alarms", (json_int_t)new_alarms, "alarms", alarms);
	if (json_array_size(alarms)) {
		snprintf(c->notice, sizeof(c->notice),
			 "the transparency log holds %zu change%s to your account that none of your devices made or that the server hides "
			 "(%s at %s): someone with the server's help may be adding a device, changing your identity or connecting an app; "
			 "run `postern log verify`",
			 json_array_size(alarms), json_array_size(alarms) == 1 ? "" : "s",
			 json_string_value(json_object_get(json_array_get(alarms, 0), "what")),
			 json_string_value(json_object_get(json_array_get(alarms, 0), "at")));
	}
	if (report_out && (*report_out = json_dumps(report, JSON_COMPACT)) == NULL)
		st = pst__fail(c, PST_ERR_NOMEM, "out of memory");
out:
	free(f);
	json_decref(ans);
	json_decref(alarms);
	json_decref(report);
	json_decref(state);
	return st;
}

int pst_log_alarm_count(pst_client *c)
{
	json_t *state;
	int n;
	if (c == NULL)
		return 0;
	state = state_load(c);
	n = (int)json_array_size(json_object_get(state, "alarms"));
	json_decref(state);
	return n;
}

pst_status pst_log_alarms_clear(pst_client *c)
{
	json_t *state;
	pst_status st;
	if (c == NULL)
		return PST_ERR_INVALID;
	state = state_load(c);
	json_object_set_new(state, "alarms", json_array());
	st = state_save(c, state);
	json_decref(state);
	return st;
}

pst_status pst__log_monitor_now_and_then(pst_client *c)
{
	json_t *state = state_load(c);
	int64_t last = json_integer_value(json_object_get(state, "monitored_at"));
	pst_status st = PST_OK;
	json_decref(state);
	if (pst__now_ms() - last >= MONITOR_EVERY_MS)
		st = pst_log_verify(c, NULL);
	return st;
}
