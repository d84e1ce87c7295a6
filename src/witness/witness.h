/*
 * witness.h — postern-witness's core (docs/transparency.md §5): what a witness remembers (the size and root
 * it last co-signed), and the one decision it makes, taken the same way whether it pulls a checkpoint from a
 * Postern server (witness.c, `run`) or a log submits one through the C2SP tlog-witness protocol (serve.c,
 * `serve`). Nothing here does I/O but the state file.
 */
#ifndef POSTERN_WITNESS_H
#define POSTERN_WITNESS_H

#include "proto.h"

#include <stddef.h>
#include <stdint.h>

/* A witness of one log. The keys are the caller's; state_path is the file of what it co-signed. */
struct witness {
	struct proto_note_key log_key; /* the log's verifier key: its name is the log's origin */
	struct proto_note_key me;      /* this witness's signing key (is_cosigner set) */
	const char *state_path;
};

/*
 * The size and root last co-signed, from the state file: 1, 0 when there is none yet (size 0), -1 when it is
 * damaged.
 */
int witness_state_read(const struct witness *w, uint64_t *size, unsigned char root[PROTO_MERKLE_HASH_BYTES]);

/*
 * Decide on a checkpoint note (len bytes; its own signatures, maybe others too) submitted with the size the
 * submitter believes this witness holds (old_size) and a consistency proof from it (n hashes), in the order
 * of c2sp.org/tlog-witness, and answer as its add-checkpoint does:
 *   404 the origin is not this witness's log; 403 no valid signature of the log; 400 a malformed note or
 *   request, or old_size above the checkpoint's size; 409 old_size is not the size held (*held set), or the
 *   same size with another root; 422 the proof does not verify; 500 the state cannot be read or written;
 *   200 co-signed: the state is written (synced) first, then the cosignature line (with its newline) is put
 *   in cosig (cap bytes).
 * Reading what is held, deciding and writing the new state are one step: the call holds an exclusive lock on
 * "<state_path>.lock" throughout, so a `run` and a `serve` (or two of either) may share one state file. why
 * (cap why_cap) gets a sentence for anything but 200.
 */
int witness_add_checkpoint(const struct witness *w, const char *note, size_t len, uint64_t old_size,
			   const unsigned char proof[][PROTO_MERKLE_HASH_BYTES], size_t n, uint64_t *held, char *cosig, size_t cap,
			   char *why, size_t why_cap);

/*
 * Serve c2sp.org/tlog-witness on addr:port (port 0: any; the chosen port is printed as "listening on
 * ADDR:PORT" on standard output): POST /add-checkpoint, one request at a time, until SIGINT or SIGTERM.
 * Returns the process's exit status (serve.c).
 */
int witness_serve(const struct witness *w, const char *addr, unsigned port);

#endif
