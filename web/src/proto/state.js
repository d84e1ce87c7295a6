/*
 * state.js — session state as bytes for the client's key store (docs/protocol.md §8;
 * src/proto/proto_state.c): exactly the binary layouts the C library writes, so a state saved by either
 * implementation loads in the other, and loaded under the same strict bounds as network input (a store can
 * be damaged or planted). The bytes hold chain keys: the caller seals them at rest and never sends them.
 */
import { ProtoError, must } from './errors.js';
import { ID_MAX, Reader, Writer, checkBytes, idLen, u64Value } from './bytes.js';
import { INDEX_MAX, MAX_SKIPPED } from './session.js';

export const TYPE_OUTBOUND_STATE = 0x10;
export const TYPE_INBOUND_STATE = 0x11;
export const OUTBOUND_STATE_MAX = 3 + 2 * (1 + ID_MAX) + 16 + 32 + 4 + 8 + 32 + 32; // 257
export const INBOUND_STATE_MAX = 3 + 2 * (1 + ID_MAX) + 32 + 16 + 32 + 16 + MAX_SKIPPED * 36; // 72229

const u32ok = (v) => Number.isInteger(v) && v >= 0 && v <= 0xffffffff;

/** The bytes of §8.1 for outbound session s. Throws INVALID_ARG. */
export function outboundSave(s) {
  must(s && idLen(s.threadId) && idLen(s.deviceId) && u32ok(s.nextIndex), 'INVALID_ARG', 'session');
  checkBytes(s.sessionId, 16, 'session id');
  checkBytes(s.chainKey, 32, 'chain key');
  checkBytes(s.recipientsHash, 32, 'recipients hash');
  checkBytes(s.head, 32, 'head');
  return new Writer().prefix(TYPE_OUTBOUND_STATE).id(s.threadId).id(s.deviceId).put(s.sessionId).put(s.chainKey)
    .u32(s.nextIndex).u64(s.createdAtMs).put(s.recipientsHash).put(s.head).bytes();
}

/** An outbound session from the bytes of §8.1. Throws INVALID_ARG, TOO_LARGE, MALFORMED, VERSION. */
export function outboundLoad(bytes) {
  checkBytes(bytes, undefined, 'state');
  if (bytes.length > OUTBOUND_STATE_MAX) throw new ProtoError('TOO_LARGE');
  const r = new Reader(bytes);
  r.prefix(TYPE_OUTBOUND_STATE);
  const threadId = r.id(), deviceId = r.bad ? '' : r.id();
  if (r.bad) throw new ProtoError('MALFORMED', 'id');
  const sessionId = r.bytes(16), chainKey = r.bytes(32), nextIndex = r.u32();
  const createdAtMs = u64Value(BigInt.asIntN(64, r.u64()));
  const recipientsHash = r.bytes(32), head = r.bytes(32);
  if (r.bad || r.off !== bytes.length) throw new ProtoError('MALFORMED', 'length');
  return { threadId, deviceId, sessionId, chainKey, nextIndex, createdAtMs, recipientsHash, head };
}

function inboundConsistent(inb) {
  if (!inb || !idLen(inb.threadId) || !idLen(inb.senderDeviceId) || !u32ok(inb.startIndex) || !u32ok(inb.nextIndex) ||
      !u32ok(inb.discardedBelow) || !Array.isArray(inb.skipped)) return false;
  if (inb.startIndex > INDEX_MAX || inb.startIndex > inb.nextIndex || inb.discardedBelow > inb.nextIndex ||
      inb.skipped.length > MAX_SKIPPED) return false;
  return inb.skipped.every((k, i) => u32ok(k.index) && k.key instanceof Uint8Array && k.key.length === 32 &&
    k.index >= inb.startIndex && k.index < inb.nextIndex && (i === 0 || k.index > inb.skipped[i - 1].index));
}

/** The bytes of §8.2 for inbound session inb. Throws INVALID_ARG (also for an inconsistent session). */
export function inboundSave(inb) {
  must(inboundConsistent(inb), 'INVALID_ARG', 'inconsistent inbound session');
  checkBytes(inb.senderSignPk, 32, 'sender sign_pk');
  checkBytes(inb.sessionId, 16, 'session id');
  checkBytes(inb.chainKey, 32, 'chain key');
  const w = new Writer().prefix(TYPE_INBOUND_STATE).id(inb.threadId).id(inb.senderDeviceId).put(inb.senderSignPk)
    .put(inb.sessionId).put(inb.chainKey).u32(inb.startIndex).u32(inb.nextIndex).u32(inb.discardedBelow)
    .u32(inb.skipped.length);
  for (const k of inb.skipped) w.u32(k.index).put(k.key);
  return w.bytes();
}

/** An inbound session from the bytes of §8.2. Throws INVALID_ARG, TOO_LARGE, MALFORMED, VERSION. */
export function inboundLoad(bytes) {
  checkBytes(bytes, undefined, 'state');
  if (bytes.length > INBOUND_STATE_MAX) throw new ProtoError('TOO_LARGE');
  const r = new Reader(bytes);
  r.prefix(TYPE_INBOUND_STATE);
  const threadId = r.id(), senderDeviceId = r.bad ? '' : r.id();
  if (r.bad) throw new ProtoError('MALFORMED', 'id');
  const senderSignPk = r.bytes(32), sessionId = r.bytes(16), chainKey = r.bytes(32);
  const startIndex = r.u32(), nextIndex = r.u32(), discardedBelow = r.u32(), n = r.u32();
  if (r.bad || startIndex > INDEX_MAX || startIndex > nextIndex || discardedBelow > nextIndex || n > MAX_SKIPPED)
    throw new ProtoError('MALFORMED', 'indices');
  // the count is bounded; check the exact length before reading any entry
  if (r.left !== n * 36) throw new ProtoError('MALFORMED', 'length');
  const skipped = [];
  for (let i = 0; i < n; i++) {
    const index = r.u32(), key = r.bytes(32);
    if (index < startIndex || index >= nextIndex || (i > 0 && index <= skipped[i - 1].index))
      throw new ProtoError('MALFORMED', 'skipped keys');
    skipped.push({ index, key });
  }
  return { threadId, senderDeviceId, senderSignPk, sessionId, chainKey, startIndex, nextIndex, discardedBelow, skipped };
}
