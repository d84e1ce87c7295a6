/*
 * log.js — what the transparency log's entries commit to (docs/transparency.md §2; src/proto/proto_log.c),
 * computed the same way as the server that appends them: an account's label, the keyed commitment of an
 * access-log line, and the hash of a grant event. Each canonical text is hashed as written (BLAKE2b-256).
 */
import { must } from './errors.js';
import { checkBytes, concat, utf8 } from './bytes.js';
import { sodium } from './sodium.js';

const field = (s, optional = false) => utf8(`${optional && (s === null || s === undefined || s === '') ? '-' : s}\n`);
const isInt = (v) => (typeof v === 'bigint') || Number.isSafeInteger(v);

/** BLAKE2b-256("postern-log-user:" || user_id). */
export function logLabel(userId) {
  must(typeof userId === 'string', 'INVALID_ARG', 'user_id');
  return sodium().crypto_generichash(32, utf8(`postern-log-user:${userId}`), null);
}

/**
 * The keyed entry of an access-log line: BLAKE2b-256 keyed by the person's 32-byte log key over the
 * postern-access-v2 text (seq > 0) or the v1 text (seq 0). grantId, threadId, messageId may be null.
 */
export function logAccessEntry(key, seq, atMs, grantId, action, threadId, messageId, count) {
  checkBytes(key, 32, 'log key');
  must(isInt(seq) && seq >= 0 && isInt(atMs) && isInt(count) && typeof action === 'string' && action !== '', 'INVALID_ARG', 'access line');
  const parts = seq > 0 ? [field('postern-access-v2'), field(String(seq))] : [field('postern-access-v1')];
  parts.push(field(String(atMs)), field(grantId, true), field(action), field(threadId, true), field(messageId, true), field(String(count)));
  return sodium().crypto_generichash(32, concat(...parts), key);
}

/** The entry of a grant's creation (ended false) or end: BLAKE2b-256 over the postern-grant-v1 text. */
export function logGrantEntry(ended, grantId, clientId, scope, details, expiresAt, at) {
  for (const s of [grantId, clientId, scope, details, expiresAt, at]) must(typeof s === 'string', 'INVALID_ARG', 'grant field');
  return sodium().crypto_generichash(32, concat(field('postern-grant-v1'), field(ended ? 'ended' : 'created'), field(grantId),
    field(clientId), field(scope), field(details), field(expiresAt), field(at)), null);
}
