/* core.c — what a witness remembers and how it decides on a checkpoint (see witness.h). */
#include "witness.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <sys/file.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "banned.h" /* last: bans footguns in this file only */

/* The state file: one line, "<size> <root in hex>". Written to a temporary file, synced, renamed. */
int witness_state_read(const struct witness *w, uint64_t *size, unsigned char root[PROTO_MERKLE_HASH_BYTES])
{
	char line[256], *sp, *end = NULL;
	const char *hex_end = NULL;
	size_t n = 0;
	unsigned long long v;
	FILE *f = fopen(w->state_path, "r");
	int ok;
	*size = 0;
	if (f == NULL)
		return errno == ENOENT ? 0 : -1; /* none: nothing co-signed yet */
	ok = fgets(line, (int)sizeof(line), f) != NULL;
	fclose(f);
	if (!ok)
		return -1;
	line[strcspn(line, "\r\n")] = '\0';
	if ((sp = strchr(line, ' ')) == NULL || sp == line)
		return -1;
	*sp = '\0';
	errno = 0;
	v = strtoull(line, &end, 10);
	if (errno || *end != '\0' || line[0] == '-' ||
	    sodium_hex2bin(root, PROTO_MERKLE_HASH_BYTES, sp + 1, strlen(sp + 1), NULL, &n, &hex_end) != 0 || n != PROTO_MERKLE_HASH_BYTES ||
	    *hex_end != '\0')
		return -1;
	*size = (uint64_t)v;
	return 1;
}

/* The directory of path synced, so that a rename in it survives a power cut. */
static int sync_dir_of(const char *path)
{
	char copy[4096];
	int fd, rc;
	if ((size_t)snprintf(copy, sizeof(copy), "%s", path) >= sizeof(copy) || (fd = open(dirname(copy), O_RDONLY | O_DIRECTORY)) < 0)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

static int state_write(const struct witness *w, uint64_t size, const unsigned char root[PROTO_MERKLE_HASH_BYTES])
{
	char tmp[4096], hex[2 * PROTO_MERKLE_HASH_BYTES + 1];
	FILE *f;
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", w->state_path, (long)getpid()) >= sizeof(tmp))
		return -1;
	sodium_bin2hex(hex, sizeof(hex), root, PROTO_MERKLE_HASH_BYTES);
	if ((f = fopen(tmp, "w")) == NULL)
		return -1;
	fprintf(f, "%" PRIu64 " %s\n", size, hex);
	if (fflush(f) != 0 || fsync(fileno(f)) != 0) {
		fclose(f);
		return -1;
	}
	if (fclose(f) != 0 || rename(tmp, w->state_path) != 0) {
		unlink(tmp);
		return -1;
	}
	return sync_dir_of(w->state_path);
}

/* The witness's lock: one decision at a time across processes (a `run` and a `serve` on one state). */
static int lock_state(const struct witness *w)
{
	char path[4096];
	int fd;
	if ((size_t)snprintf(path, sizeof(path), "%s.lock", w->state_path) >= sizeof(path) ||
	    (fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0)
		return -1;
	if (flock(fd, LOCK_EX) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static int answer(int status, char *why, size_t cap, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int answer(int status, char *why, size_t cap, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, cap, fmt, ap);
	va_end(ap);
	return status;
}

static int decide(const struct witness *w, const char *note, size_t len, uint64_t old_size, const unsigned char proof[][PROTO_MERKLE_HASH_BYTES],
		  size_t n, uint64_t *held, char *cosig, size_t cap, char *why, size_t why_cap)
{
	struct proto_checkpoint cp;
	unsigned char held_root[PROTO_MERKLE_HASH_BYTES];
	char *body = NULL, *signed_note = NULL;
	const char *nl = memchr(note, '\n', len);
	size_t body_len = 0, origin_len = nl ? (size_t)(nl - note) : 0;
	int verified[1] = {0}, have, status;

	why[0] = '\0';
	*held = 0;
	/* 404: the origin line names another log */
	if (nl == NULL || origin_len != strlen(w->log_key.name) || memcmp(note, w->log_key.name, origin_len) != 0)
		return answer(404, why, why_cap, "this witness does not follow that log");
	/* 403: no signature of the log's key */
	switch (proto_note_open(note, len, &w->log_key, 1, &body_len, verified, NULL)) {
	case PROTO_E_OK:
		break;
	case PROTO_E_BAD_SIGNATURE:
		return answer(403, why, why_cap, "the checkpoint is not signed by the log's key");
	default:
		return answer(400, why, why_cap, "that is not a signed note");
	}
	if (!verified[0])
		return answer(403, why, why_cap, "the checkpoint is not signed by the log's key");
	if (proto_checkpoint_parse(note, body_len, &cp) != PROTO_E_OK)
		return answer(400, why, why_cap, "that is not a checkpoint");
	/* 400: an old size past the checkpoint */
	if (old_size > cp.size)
		return answer(400, why, why_cap, "the old size %" PRIu64 " is larger than the checkpoint's %" PRIu64, old_size, cp.size);
	/* 409: the submitter does not know what this witness holds */
	if ((have = witness_state_read(w, held, held_root)) < 0)
		return answer(500, why, why_cap, "the witness's state is damaged");
	if (old_size != *held)
		return answer(409, why, why_cap, "this witness holds %" PRIu64 " entries, not %" PRIu64, *held, old_size);
	/* 422: the proof does not take what it holds to the checkpoint (none from 0) */
	if (old_size == 0 ? n != 0
			  : old_size != cp.size &&
				    proto_merkle_verify_consistency(old_size, cp.size, held_root, cp.root, proof, n) != PROTO_E_OK)
		return answer(422, why, why_cap, "INCONSISTENT: the checkpoint of %" PRIu64 " entries does not continue the one of %" PRIu64
						 " this witness co-signed",
			      cp.size, old_size);
	/* 409: the same size with another root is a fork */
	if (old_size != 0 && old_size == cp.size && sodium_memcmp(held_root, cp.root, sizeof(held_root)) != 0)
		return answer(409, why, why_cap, "INCONSISTENT: another tree of %" PRIu64 " entries than the one this witness co-signed",
			      cp.size);
	/* 200: remember it, then co-sign the body */
	status = 500;
	if ((body = malloc(body_len + 1)) == NULL || (signed_note = malloc(PROTO_NOTE_MAX)) == NULL)
		goto out;
	memcpy(body, note, body_len);
	body[body_len] = '\0';
	if (proto_note_sign(body, &w->me, (uint64_t)time(NULL), signed_note, PROTO_NOTE_MAX) != PROTO_E_OK) {
		answer(500, why, why_cap, "cannot co-sign");
		goto out;
	}
	if (state_write(w, cp.size, cp.root) != 0) {
		answer(500, why, why_cap, "cannot write %s: %s", w->state_path, strerror(errno));
		goto out;
	}
	{ /* the cosignature is the last line of the note proto_note_sign built */
		size_t sl = strlen(signed_note);
		char *start;
		signed_note[sl - 1] = '\0';
		start = strrchr(signed_note, '\n');
		start = start ? start + 1 : signed_note;
		if ((size_t)snprintf(cosig, cap, "%s\n", start) >= cap) {
			answer(500, why, why_cap, "no room for the cosignature");
			goto out;
		}
	}
	status = 200;
out:
	free(body);
	free(signed_note);
	return status;
}

int witness_add_checkpoint(const struct witness *w, const char *note, size_t len, uint64_t old_size,
			   const unsigned char proof[][PROTO_MERKLE_HASH_BYTES], size_t n, uint64_t *held, char *cosig, size_t cap,
			   char *why, size_t why_cap)
{
	int fd = lock_state(w), status;
	*held = 0;
	if (fd < 0)
		return answer(500, why, why_cap, "cannot lock %s.lock: %s", w->state_path, strerror(errno));
	/* reading what is held, deciding and writing the new state are one step for every process */
	status = decide(w, note, len, old_size, proof, n, held, cosig, cap, why, why_cap);
	close(fd); /* (the lock goes with it) */
	return status;
}
