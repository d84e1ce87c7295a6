/* statement.c — decoding and checking uploaded signed statements (see statement.h). */
#include "statement.h"

#include "b64url.h"
#include "jsonv.h"

#include <stdlib.h>
#include <string.h>

#include "banned.h" /* last: bans footguns in this file only */

void statement_release(struct statement *s)
{
	free(s->bytes);
	free(s->st);
	s->bytes = NULL;
	s->st = NULL;
	s->len = 0;
}

/* The words for a statement type, for error details. */
static const char *type_name(unsigned type)
{
	switch (type) {
	case PROTO_ST_IDENTITY: return "an IDENTITY statement";
	case PROTO_ST_DEVICE_CERT: return "a DEVICE_CERT statement";
	case PROTO_ST_DEVICE_REVOKE: return "a DEVICE_REVOKE statement";
	case PROTO_ST_PREKEY: return "a PREKEY statement";
	case PROTO_ST_CONTACT: return "a CONTACT statement";
	case PROTO_ST_LINK: return "a membership link";
	case PROTO_ST_APP_AUTH: return "an APP_AUTH statement";
	case PROTO_ST_APP_REVOKE: return "an APP_REVOKE statement";
	case PROTO_ST_APP_CONSENT: return "an APP_CONSENT statement";
	default: return "a signed statement";
	}
}

enum srv_err statement_read(struct req *rq, const char *what, const char *text, size_t max, unsigned want_type,
			    const unsigned char *pk, struct statement *s)
{
	size_t tlen = strlen(text);
	enum srv_err rc = SRV_E_OK;
	int e;

	memset(s, 0, sizeof(*s));
	if (max > PROTO_STATEMENT_MAX)
		max = PROTO_STATEMENT_MAX;
	if (tlen == 0 || b64url_max_decoded_len(tlen) > max + 2) {
		rc = req_fail(rq, SRV_E_INVALID_KEY, "'%s' must be %s in base64url, at most %zu bytes", what,
			      type_name(want_type), max);
		goto out;
	}
	if ((s->bytes = malloc(max)) == NULL || (s->st = malloc(sizeof(*s->st))) == NULL) {
		rc = SRV_E_INTERNAL;
		goto out;
	}
	if (b64url_decode(text, tlen, s->bytes, max, &s->len) != 0) {
		rc = req_fail(rq, SRV_E_INVALID_KEY, "'%s' must be %s in base64url without padding, at most %zu bytes", what,
			      type_name(want_type), max);
		goto out;
	}
	e = pk ? proto_statement_verify(s->bytes, s->len, want_type, pk, s->st)
	       : proto_statement_parse(s->bytes, s->len, want_type, s->st);
	if (e == PROTO_E_BAD_SIGNATURE)
		rc = req_fail(rq, SRV_E_INVALID_KEY, "'%s' does not verify with the key that must sign it", what);
	else if (e == PROTO_E_VERSION)
		rc = req_fail(rq, SRV_E_INVALID_KEY, "'%s' is of another protocol version", what);
	else if (e != PROTO_E_OK)
		rc = req_fail(rq, SRV_E_INVALID_KEY, "'%s' is not %s (%s)", what, type_name(want_type), proto_strerror(e));
out:
	if (rc != SRV_E_OK)
		statement_release(s);
	return rc;
}

enum srv_err statement_field(struct req *rq, const char *key, int optional, size_t max, unsigned want_type,
			     const unsigned char *pk, struct statement *s)
{
	const char *text = NULL;
	enum srv_err rc;

	memset(s, 0, sizeof(*s));
	/* any length is read here: an over-long statement is invalid_key, like a bad one */
	rc = optional ? jsonv_str_opt(rq, key, 1, SIZE_MAX, &text) : jsonv_str(rq, key, 1, SIZE_MAX, &text);
	if (rc != SRV_E_OK || text == NULL)
		return rc;
	return statement_read(rq, key, text, max, want_type, pk, s);
}

enum srv_err statement_check_sig(struct req *rq, const char *what, struct statement *s, const unsigned char pk[32])
{
	unsigned type = s->st->type;
	int e = proto_statement_verify(s->bytes, s->len, type, pk, s->st);
	if (e == PROTO_E_BAD_SIGNATURE)
		return req_fail(rq, SRV_E_INVALID_KEY, "'%s' does not verify with the key that must sign it", what);
	if (e != PROTO_E_OK)
		return req_fail(rq, SRV_E_INVALID_KEY, "'%s' is not %s (%s)", what, type_name(type), proto_strerror(e));
	return SRV_E_OK;
}

enum srv_err statement_identity(struct req *rq, struct store_identity *out)
{
	enum srv_err rc = rq->ops->identity_get(rq->db, rq->user.id, out);
	if (rc == SRV_E_NOT_FOUND)
		return req_fail(rq, SRV_E_CONFLICT, "the account has no identity key yet (PUT /v1/me/identity)");
	return rc;
}

enum srv_err statement_blob(struct req *rq, const char *what, const char *text, size_t max, unsigned char *out, size_t *len)
{
	size_t tlen = strlen(text);
	if (tlen == 0 || b64url_max_decoded_len(tlen) > max + 2 || b64url_decode(text, tlen, out, max, len) != 0 || *len == 0)
		return req_fail(rq, SRV_E_INVALID_KEY, "'%s' must be 1 to %zu bytes in base64url without padding", what, max);
	return SRV_E_OK;
}

enum srv_err statement_key(const char *b64, unsigned char out[32])
{
	return b64url_decode_exact(b64, strlen(b64), out, 32) == 0 ? SRV_E_OK : SRV_E_INTERNAL;
}
