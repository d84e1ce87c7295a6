/*
 * handover.js — giving an outbound session to another device (docs/protocol.md §6, §17;
 * src/proto/proto_handover.c): the session-key payload signed by the sender, encrypted to the recipient
 * under a key from an ephemeral X25519 key and the recipient's box key, signed prekey and (when one was
 * left) one-time prekey; and the reverse, which yields a fresh inbound session only when every check passes.
 */
import { ProtoError, must } from './errors.js';
import { ID_MAX, Reader, Writer, checkBytes, checkId, checkU32, concat, utf8, wipe } from './bytes.js';
import { verifyDetached } from './device.js';
import { INDEX_MAX } from './session.js';
import { sodium } from './sodium.js';

export const TYPE_SESSION_KEY = 0x02;
export const TYPE_HANDOVER = 0x03;
export const HANDOVER_PAYLOAD_MAX = 3 + 3 * (1 + ID_MAX) + 32 + 16 + 4 + 32 + 64; // 346
export const HANDOVER_HEADER_MAX = 3 + 1 + ID_MAX + 4 + 4 + 32 + 24; // 132
export const HANDOVER_SEALED_MAX = HANDOVER_HEADER_MAX + HANDOVER_PAYLOAD_MAX + 16; // 494
const KDF_PREFIX = 'postern-handover-v2:';

/** The signed session-key payload of s for recipientDeviceId (§6.1). Throws INVALID_ARG, EXHAUSTED. */
export function handoverPayload(s, signSk, recipientDeviceId) {
  must(s, 'INVALID_ARG', 'session');
  checkBytes(signSk, 64, 'sign_sk');
  checkId(s.threadId, 'thread_id');
  checkId(s.deviceId, 'device_id');
  checkId(recipientDeviceId, 'recipient device id');
  if (!(s.nextIndex <= INDEX_MAX)) throw new ProtoError('EXHAUSTED');
  const body = new Writer().prefix(TYPE_SESSION_KEY).id(s.threadId).id(s.deviceId).id(recipientDeviceId).put(s.head)
    .put(s.sessionId).u32(s.nextIndex).put(s.chainKey).bytes();
  return concat(body, sodium().crypto_sign_detached(body, signSk));
}

/**
 * Parse and verify an unsealed payload (steps 3-7 of §6.3). Returns { inbound, head }. Throws INVALID_ARG,
 * TOO_LARGE, MALFORMED, VERSION, WRONG_SENDER, BAD_SIGNATURE, WRONG_RECIPIENT, WRONG_THREAD.
 */
export function handoverAccept(payload, myDeviceId, expectedSenderDeviceId, expectedSenderSignPk, expectedThreadId = null) {
  checkBytes(payload, undefined, 'payload');
  checkBytes(expectedSenderSignPk, 32, 'sender sign_pk');
  checkId(myDeviceId, 'my device id');
  checkId(expectedSenderDeviceId, 'sender device id');
  if (expectedThreadId !== null && expectedThreadId !== undefined) checkId(expectedThreadId, 'thread_id');
  if (payload.length > HANDOVER_PAYLOAD_MAX) throw new ProtoError('TOO_LARGE');
  const r = new Reader(payload);
  r.prefix(TYPE_SESSION_KEY);
  const thread = r.id(), sender = r.bad ? '' : r.id(), recipient = r.bad ? '' : r.id();
  if (r.bad) throw new ProtoError('MALFORMED', 'id');
  const head = r.bytes(32), sessionId = r.bytes(16), index = r.u32(), chainKey = r.bytes(32);
  const signedLen = r.off;
  const sig = r.bytes(64);
  try {
    if (r.bad || r.off !== payload.length || index > INDEX_MAX) throw new ProtoError('MALFORMED');
    if (sender !== expectedSenderDeviceId) throw new ProtoError('WRONG_SENDER');
    if (!verifyDetached(sig, payload.subarray(0, signedLen), expectedSenderSignPk)) throw new ProtoError('BAD_SIGNATURE');
    if (recipient !== myDeviceId) throw new ProtoError('WRONG_RECIPIENT');
    if (expectedThreadId !== null && expectedThreadId !== undefined && thread !== expectedThreadId) throw new ProtoError('WRONG_THREAD');
  } catch (e) {
    wipe(chainKey);
    throw e;
  }
  return {
    inbound: {
      threadId: thread, senderDeviceId: sender, senderSignPk: expectedSenderSignPk.slice(), sessionId, chainKey,
      startIndex: index, nextIndex: index, discardedBelow: 0, skipped: [],
    },
    head,
  };
}

function scalarmult(sk, pk) {
  let out;
  try {
    out = sodium().crypto_scalarmult(sk, pk);
  } catch {
    return null;
  }
  return sodium().is_zero(out) ? null : out; // an all-zero result (a low-order point) is refused
}

/** The container key of §17: BLAKE2b-256 over the prefix, the DH results, the header and the recipient's keys. */
function containerKey(header, dh, boxPk, spk, opk) {
  const parts = [utf8(KDF_PREFIX), dh[0], dh[1]];
  if (opk) parts.push(dh[2]);
  parts.push(header, boxPk, spk);
  if (opk) parts.push(opk);
  return sodium().crypto_generichash(32, concat(...parts), null);
}

/**
 * Share s at its current index with one recipient device: the payload of §6.1 sealed into the container of
 * §17 for the recipient's box key, its signed prekey (spkId != 0, spk) and one-time prekey (opkId, opk; 0
 * and null when none was left). The caller has verified both PREKEY statements. eSk and nonce are for test
 * vectors only (random by default). Returns the container bytes. Throws INVALID_ARG, EXHAUSTED, CRYPTO.
 */
export function handoverSeal(s, signSk, recipientDeviceId, recipientBoxPk, spkId, spk, opkId, opk, eSk, nonce) {
  checkBytes(recipientBoxPk, 32, 'recipient box_pk');
  checkBytes(spk, 32, 'signed prekey');
  checkU32(spkId, 'spk_id');
  checkU32(opkId, 'opk_id');
  must(spkId !== 0, 'INVALID_ARG', 'spk_id 0');
  opk = opk ?? null;
  must((opk === null) === (opkId === 0), 'INVALID_ARG', 'opk and opk_id go together');
  if (opk !== null) checkBytes(opk, 32, 'one-time prekey');
  checkId(recipientDeviceId, 'recipient device id');
  const so = sodium();
  eSk = eSk ?? so.randombytes_buf(32);
  nonce = nonce ?? so.randombytes_buf(24);
  checkBytes(eSk, 32, 'e_sk');
  checkBytes(nonce, 24, 'nonce');
  const payload = handoverPayload(s, signSk, recipientDeviceId);
  const ePk = so.crypto_scalarmult_base(eSk);
  const dh = [scalarmult(eSk, recipientBoxPk), scalarmult(eSk, spk), opk ? scalarmult(eSk, opk) : new Uint8Array(32)];
  if (dh.some((x) => x === null)) throw new ProtoError('CRYPTO', 'a low-order public key');
  const header = new Writer().prefix(TYPE_HANDOVER).id(recipientDeviceId).u32(spkId).u32(opkId).put(ePk).put(nonce).bytes();
  const key = containerKey(header, dh, recipientBoxPk, spk, opk);
  const ct = so.crypto_aead_xchacha20poly1305_ietf_encrypt(payload, header, null, nonce, key);
  dh.forEach(wipe);
  wipe(key);
  wipe(payload);
  return concat(header, ct);
}

function containerHeader(sealed) {
  checkBytes(sealed, undefined, 'container');
  if (sealed.length > HANDOVER_SEALED_MAX) throw new ProtoError('TOO_LARGE', 'container over 494 bytes');
  const r = new Reader(sealed);
  r.prefix(TYPE_HANDOVER);
  const recipient = r.id(), spkId = r.u32(), opkId = r.u32(), ePk = r.bytes(32), nonce = r.bytes(24);
  if (r.bad || spkId === 0 || sealed.length - r.off < 16) throw new ProtoError('MALFORMED');
  return { recipient, spkId, opkId, ePk, nonce, headerLen: r.off };
}

/** The addressee and prekey ids of a container, without any key: { recipient, spkId, opkId }. */
export function handoverPeek(sealed) {
  const h = containerHeader(sealed);
  return { recipient: h.recipient, spkId: h.spkId, opkId: h.opkId };
}

/**
 * Open a container received by this device (keys `me`, id myDeviceId) with the secret halves of the prekeys
 * it names (opkSk null exactly when its opk_id is 0), from expectedSenderDeviceId whose certified signing key
 * is expectedSenderSignPk. Returns { inbound, head }. Throws INVALID_ARG, TOO_LARGE, MALFORMED, VERSION,
 * WRONG_RECIPIENT, DECRYPT, BAD_SIGNATURE, WRONG_SENDER, WRONG_THREAD.
 */
export function handoverOpen(sealed, me, spkSk, opkSk, myDeviceId, expectedSenderDeviceId, expectedSenderSignPk, expectedThreadId = null) {
  must(me && me.boxSk instanceof Uint8Array && me.boxPk instanceof Uint8Array, 'INVALID_ARG', 'device keys');
  checkBytes(spkSk, 32, 'spk secret');
  must(typeof myDeviceId === 'string', 'INVALID_ARG', 'my device id');
  const h = containerHeader(sealed);
  if (h.recipient !== myDeviceId) throw new ProtoError('WRONG_RECIPIENT');
  opkSk = opkSk ?? null;
  must((h.opkId !== 0) === (opkSk !== null), 'INVALID_ARG', 'the one-time key goes with opk_id');
  if (opkSk !== null) checkBytes(opkSk, 32, 'opk secret');
  if (sealed.length - h.headerLen - 16 > HANDOVER_PAYLOAD_MAX) throw new ProtoError('TOO_LARGE');
  const so = sodium();
  const spk = so.crypto_scalarmult_base(spkSk);
  const opk = opkSk ? so.crypto_scalarmult_base(opkSk) : null;
  const dh = [scalarmult(me.boxSk, h.ePk), scalarmult(spkSk, h.ePk), opkSk ? scalarmult(opkSk, h.ePk) : new Uint8Array(32)];
  if (dh.some((x) => x === null)) throw new ProtoError('DECRYPT');
  const header = sealed.subarray(0, h.headerLen);
  const key = containerKey(header, dh, me.boxPk, spk, opk);
  let payload;
  try {
    payload = so.crypto_aead_xchacha20poly1305_ietf_decrypt(null, sealed.subarray(h.headerLen), header, h.nonce, key);
  } catch {
    throw new ProtoError('DECRYPT');
  } finally {
    dh.forEach(wipe);
    wipe(key);
  }
  try {
    return handoverAccept(payload, myDeviceId, expectedSenderDeviceId, expectedSenderSignPk, expectedThreadId);
  } finally {
    wipe(payload);
  }
}

/** A fresh X25519 prekey pair { pk, sk } (crypto_box_keypair). The caller wipes sk. */
export function prekeyNew() {
  const kp = sodium().crypto_box_keypair();
  return { pk: kp.publicKey, sk: kp.privateKey };
}
