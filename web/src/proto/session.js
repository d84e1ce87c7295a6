/*
 * session.js — session keys over time (docs/protocol.md §4, §7, §9; src/proto/proto_session.c): the chain
 * step, starting an outbound session, the rotation rule and the recipient-set hash it compares, and the
 * inbound chain — which key opens index j, and how the chain moves forward keeping at most 2,000 keys of
 * skipped indices. Sessions are plain objects (see below); functions that can fail never change them.
 *
 * outbound: { threadId, deviceId, sessionId (16), chainKey (32), nextIndex, createdAtMs, recipientsHash (32), head (32) }
 * inbound:  { threadId, senderDeviceId, senderSignPk (32), sessionId (16), chainKey (32), startIndex, nextIndex,
 *             discardedBelow, skipped: [{ index, key (32) }] ascending }
 */
import { ProtoError, must } from './errors.js';
import { checkBytes, checkId, concat, equal, strcmp, utf8, wipe } from './bytes.js';
import { sodium } from './sodium.js';

export const INDEX_MAX = 0xfffffffe;
export const MAX_SKIPPED = 2000;
export const MAX_JUMP = 25000;
export const ROTATE_MESSAGES = 100;
export const ROTATE_AGE_MS = 7 * 24 * 60 * 60 * 1000;
export const RECIPIENTS_MAX = 1024;
export const ROTATE_COUNT = 1;
export const ROTATE_AGE = 2;
export const ROTATE_RECIPIENTS = 4;

const RECIPIENTS_PREFIX = 'postern-recipients-v1:';

/** One chain step: { mk: KDF(ck, 1, "pstmsgky"), next: KDF(ck, 2, "pstchain") } (mk only when wanted). */
export function chainStep(ck, wantMk = true) {
  const s = sodium();
  return {
    mk: wantMk ? s.crypto_kdf_derive_from_key(32, 1, 'pstmsgky', ck) : null,
    next: s.crypto_kdf_derive_from_key(32, 2, 'pstchain', ck),
  };
}

/** H("postern-recipients-v1:" || id(d) for the distinct ids in ascending byte order). Throws INVALID_ARG, TOO_LARGE. */
export function recipientsHash(deviceIds) {
  must(Array.isArray(deviceIds), 'INVALID_ARG', 'device ids');
  if (deviceIds.length > RECIPIENTS_MAX) throw new ProtoError('TOO_LARGE', 'more than 1024 recipients');
  deviceIds.forEach((d) => checkId(d, 'device id'));
  const ids = [...new Set(deviceIds)].sort(strcmp);
  const parts = [utf8(RECIPIENTS_PREFIX)];
  for (const d of ids) parts.push(Uint8Array.of(d.length), utf8(d));
  return sodium().crypto_generichash(32, concat(...parts), null);
}

/**
 * An outbound session with the given session id, chain key (for index) and index — the deterministic form
 * the vectors use; outboundNew draws them at random. head starts as zeros (the caller binds it).
 */
export function outboundInit(threadId, deviceId, sessionId, chainKey, index, recipientsHashBytes, nowMs) {
  checkId(threadId, 'thread_id');
  checkId(deviceId, 'device_id');
  checkBytes(sessionId, 16, 'session id');
  checkBytes(chainKey, 32, 'chain key');
  checkBytes(recipientsHashBytes, 32, 'recipients hash');
  must(Number.isInteger(index) && index >= 0 && index <= INDEX_MAX, 'INVALID_ARG', 'index');
  must(Number.isSafeInteger(nowMs), 'INVALID_ARG', 'now_ms');
  return {
    threadId, deviceId, sessionId: sessionId.slice(), chainKey: chainKey.slice(), nextIndex: index,
    createdAtMs: nowMs, recipientsHash: recipientsHashBytes.slice(), head: new Uint8Array(32),
  };
}

/** A new outbound session for (deviceId, threadId): random session id and chain key, index 0, created nowMs. */
export function outboundNew(threadId, deviceId, recipientsHashBytes, nowMs) {
  const s = sodium();
  return outboundInit(threadId, deviceId, s.randombytes_buf(16), s.randombytes_buf(32), 0, recipientsHashBytes, nowMs);
}

/** Wipe an outbound or inbound session's keys in place. */
export function sessionWipe(session) {
  if (!session) return;
  wipe(session.chainKey);
  for (const k of session.skipped ?? []) wipe(k.key);
  if (session.skipped) session.skipped.length = 0;
}

/** The PROTO_ROTATE_* bits saying why s must be replaced before the next message (0: keep it). */
export function outboundMustRotate(s, nowMs, currentHash) {
  must(s && Number.isSafeInteger(nowMs), 'INVALID_ARG', 'session or now');
  checkBytes(currentHash, 32, 'current hash');
  let r = 0;
  if (s.nextIndex >= ROTATE_MESSAGES || s.nextIndex > INDEX_MAX) r |= ROTATE_COUNT;
  // a clock that went backwards cannot prove the session young
  if (BigInt(nowMs) < BigInt(s.createdAtMs) || BigInt(nowMs) - BigInt(s.createdAtMs) >= BigInt(ROTATE_AGE_MS)) r |= ROTATE_AGE;
  if (!equal(s.recipientsHash, currentHash)) r |= ROTATE_RECIPIENTS;
  return r;
}

/** The inbound twin of this device's own outbound session (to read its own messages back), from s.nextIndex. */
export function inboundFromOutbound(s, senderSignPk) {
  must(s, 'INVALID_ARG', 'session');
  checkId(s.threadId);
  checkId(s.deviceId);
  checkBytes(senderSignPk, 32, 'sign_pk');
  must(s.nextIndex <= INDEX_MAX, 'INVALID_ARG', 'exhausted session');
  return {
    threadId: s.threadId, senderDeviceId: s.deviceId, senderSignPk: senderSignPk.slice(), sessionId: s.sessionId.slice(),
    chainKey: s.chainKey.slice(), startIndex: s.nextIndex, nextIndex: s.nextIndex, discardedBelow: 0, skipped: [],
  };
}

function skippedFind(inb, j) {
  let lo = 0, hi = inb.skipped.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const x = inb.skipped[mid].index;
    if (x === j) return mid;
    if (x < j) lo = mid + 1; else hi = mid;
  }
  return -1;
}

/**
 * The message key of index j without changing the session (the first pass of decrypt). Throws
 * MALFORMED (j > INDEX_MAX), BEFORE_SESSION, REPLAY, KEY_DISCARDED, TOO_FAR.
 */
export function inboundKey(inb, j) {
  if (j > INDEX_MAX) throw new ProtoError('MALFORMED');
  if (j < inb.startIndex) throw new ProtoError('BEFORE_SESSION');
  if (j < inb.nextIndex) {
    const pos = skippedFind(inb, j);
    if (pos >= 0) return inb.skipped[pos].key.slice();
    throw new ProtoError(j < inb.discardedBelow ? 'KEY_DISCARDED' : 'REPLAY');
  }
  if (j - inb.nextIndex > MAX_JUMP) throw new ProtoError('TOO_FAR');
  let ck = inb.chainKey;
  for (let k = inb.nextIndex; k < j; k++) ck = chainStep(ck, false).next;
  return chainStep(ck, true).mk;
}

/**
 * Record that index j was decrypted (only after inboundKey(j) succeeded and the message authenticated):
 * its kept key is erased, or the chain moves past j keeping the newest MAX_SKIPPED skipped keys.
 */
export function inboundCommit(inb, j) {
  if (j < inb.nextIndex) {
    const pos = skippedFind(inb, j);
    if (pos >= 0) wipe(inb.skipped.splice(pos, 1)[0].key);
    return;
  }
  const skip = j - inb.nextIndex;
  const keep = Math.min(skip, MAX_SKIPPED);
  const evict = Math.max(0, inb.skipped.length + keep - MAX_SKIPPED);
  if (evict > 0) {
    const last = inb.skipped[evict - 1].index + 1;
    if (last > inb.discardedBelow) inb.discardedBelow = last;
    for (const k of inb.skipped.splice(0, evict)) wipe(k.key);
  }
  if (skip > keep && j - keep > inb.discardedBelow) inb.discardedBelow = j - keep;
  let ck = inb.chainKey;
  for (let k = inb.nextIndex; k < j; k++) {
    const st = chainStep(ck, k >= j - keep);
    if (st.mk) inb.skipped.push({ index: k, key: st.mk });
    ck = st.next;
  }
  inb.chainKey = chainStep(ck, false).next;
  inb.nextIndex = j + 1;
}
