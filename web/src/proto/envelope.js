/*
 * envelope.js — the message envelope (docs/protocol.md §5, §7; src/proto/proto_envelope.c): encrypting the
 * next message of an outbound session into the signed, versioned envelope; decoding envelopes under the
 * strict bounds of §5 before any key is touched; and verifying and decrypting one with the matching inbound
 * session, which changes only when every check passed. The caller base64url-encodes the bytes for `body`.
 */
import { ProtoError, must } from './errors.js';
import { Reader, Writer, checkBytes, checkId, equal, wipe } from './bytes.js';
import { verifyDetached } from './device.js';
import { INDEX_MAX, chainStep, inboundCommit, inboundKey } from './session.js';
import { sodium } from './sodium.js';

export const TYPE_MESSAGE = 0x01;
export const PLAINTEXT_MAX = 65024;
export const envelopeOverhead = (tlen, dlen) => 3 + 1 + tlen + 1 + dlen + 32 + 16 + 4 + 24 + 4 + 16 + 64;
export const ENVELOPE_MAX = PLAINTEXT_MAX + envelopeOverhead(64, 64); // 65317

/**
 * Encrypt plaintext (Uint8Array, at most 65,024 bytes) as the next message of outbound session s, signed
 * with signSk (64 bytes). Returns the envelope bytes; on success s advances to the next index and its old
 * chain key is wiped. nonce (24 bytes) is for test vectors only; by default it is random. Throws
 * INVALID_ARG, TOO_LARGE, EXHAUSTED; s is unchanged then.
 */
export function encrypt(s, signSk, plaintext, nonce) {
  must(s, 'INVALID_ARG', 'session');
  checkBytes(signSk, 64, 'sign_sk');
  checkBytes(plaintext, undefined, 'plaintext');
  checkId(s.threadId, 'thread_id');
  checkId(s.deviceId, 'device_id');
  if (plaintext.length > PLAINTEXT_MAX) throw new ProtoError('TOO_LARGE', 'plaintext over 65,024 bytes');
  if (!(s.nextIndex <= INDEX_MAX)) throw new ProtoError('EXHAUSTED');
  const so = sodium();
  if (nonce === undefined) nonce = so.randombytes_buf(24);
  checkBytes(nonce, 24, 'nonce');
  const { mk, next } = chainStep(s.chainKey, true);
  const header = new Writer().prefix(TYPE_MESSAGE).id(s.threadId).id(s.deviceId).put(s.head).put(s.sessionId)
    .u32(s.nextIndex).put(nonce).u32(plaintext.length + 16).bytes();
  const ct = so.crypto_aead_xchacha20poly1305_ietf_encrypt(plaintext, header, null, nonce, mk);
  const signed = new Uint8Array(header.length + ct.length + 64);
  signed.set(header);
  signed.set(ct, header.length);
  signed.set(so.crypto_sign_detached(signed.subarray(0, header.length + ct.length), signSk), header.length + ct.length);
  wipe(mk);
  wipe(s.chainKey);
  s.chainKey = next;
  s.nextIndex += 1;
  return signed;
}

/**
 * Parse an envelope without any key (strict: §5's checks in §5's order). Returns { threadId,
 * senderDeviceId, head, sessionId, index, nonce, ciphertext, signature, headerLen, signedLen }.
 * Throws TOO_LARGE, MALFORMED, VERSION, INVALID_ARG.
 */
export function envelopeDecode(env) {
  checkBytes(env, undefined, 'envelope');
  if (env.length > ENVELOPE_MAX) throw new ProtoError('TOO_LARGE', 'envelope over 65,317 bytes');
  const r = new Reader(env);
  r.prefix(TYPE_MESSAGE);
  const threadId = r.id();
  const senderDeviceId = r.bad ? '' : r.id();
  if (r.bad) throw new ProtoError('MALFORMED', 'id');
  const head = r.bytes(32), sessionId = r.bytes(16), index = r.u32(), nonce = r.bytes(24), clen = r.u32();
  if (r.bad || index > INDEX_MAX || clen < 16 || clen > PLAINTEXT_MAX + 16) throw new ProtoError('MALFORMED', 'header');
  const headerLen = r.off;
  const ct = r.get(clen);
  const signedLen = r.off;
  const signature = r.bytes(64);
  if (r.bad || r.off !== env.length) throw new ProtoError('MALFORMED', 'length');
  return { threadId, senderDeviceId, head, sessionId, index, nonce, ciphertext: ct.slice(), signature, headerLen, signedLen };
}

/**
 * Verify and decrypt env, delivered by the server in threadId from senderDeviceId, with the matching one
 * of sessions (an array of inbound sessions). Returns { plaintext, which (index into sessions), info (the
 * decoded header) }; the session used has advanced (the caller persists it). Throws, with no session
 * changed: INVALID_ARG, TOO_LARGE, MALFORMED, VERSION, WRONG_THREAD, WRONG_SENDER, UNKNOWN_SESSION,
 * BAD_SIGNATURE, BEFORE_SESSION, REPLAY, KEY_DISCARDED, TOO_FAR, DECRYPT.
 */
export function decrypt(sessions, threadId, senderDeviceId, env) {
  must(Array.isArray(sessions), 'INVALID_ARG', 'sessions');
  checkId(threadId, 'thread_id');
  checkId(senderDeviceId, 'sender device id');
  const e = envelopeDecode(env);
  if (e.threadId !== threadId) throw new ProtoError('WRONG_THREAD');
  if (e.senderDeviceId !== senderDeviceId) throw new ProtoError('WRONG_SENDER');
  const which = sessions.findIndex((s) => s.senderDeviceId === e.senderDeviceId && equal(s.sessionId, e.sessionId));
  if (which < 0) throw new ProtoError('UNKNOWN_SESSION');
  const inb = sessions[which];
  if (inb.threadId !== e.threadId) throw new ProtoError('WRONG_THREAD');
  // verify before any key work, so a forged envelope cannot make the receiver walk its chain
  if (!verifyDetached(e.signature, env.subarray(0, e.signedLen), inb.senderSignPk)) throw new ProtoError('BAD_SIGNATURE');
  const mk = inboundKey(inb, e.index);
  let plaintext;
  try {
    plaintext = sodium().crypto_aead_xchacha20poly1305_ietf_decrypt(null, e.ciphertext, env.subarray(0, e.headerLen), e.nonce, mk);
  } catch {
    throw new ProtoError('DECRYPT');
  } finally {
    wipe(mk);
  }
  inboundCommit(inb, e.index);
  delete e.ciphertext;
  return { plaintext, which, info: e };
}

/* Length of the well-formed UTF-8 sequence at p[i] (RFC 3629), or 0 (as src/common/utf8.c seq_len). */
function seqLen(p, i) {
  const b = p[i];
  if (b < 0x80) return 1;
  let n, lo = 0x80, hi = 0xbf;
  if (b >= 0xc2 && b <= 0xdf) n = 2; else if (b >= 0xe0 && b <= 0xef) n = 3; else if (b >= 0xf0 && b <= 0xf4) n = 4; else return 0;
  if (b === 0xe0) lo = 0xa0; else if (b === 0xed) hi = 0x9f; else if (b === 0xf0) lo = 0x90; else if (b === 0xf4) hi = 0x8f;
  if (p.length - i < n || p[i + 1] < lo || p[i + 1] > hi) return 0;
  for (let k = 2; k < n; k++) if (p[i + k] < 0x80 || p[i + k] > 0xbf) return 0;
  return n;
}

/**
 * The text a receiver shows and keeps for an opened plaintext (§5): each byte that does not start a
 * well-formed UTF-8 sequence becomes U+FFFD, and the text stops at a NUL byte — as libpostern does, byte for
 * byte (a browser's TextDecoder would replace maximal subparts instead, and so show other text).
 */
export function plaintextToText(plaintext) {
  checkBytes(plaintext, undefined, 'plaintext');
  const out = [];
  for (let i = 0; i < plaintext.length && plaintext[i] !== 0;) {
    const n = seqLen(plaintext, i);
    if (n === 0) { out.push(0xef, 0xbf, 0xbd); i++; continue; }
    for (let k = 0; k < n; k++) out.push(plaintext[i++]);
  }
  return new TextDecoder().decode(Uint8Array.from(out));
}

/** The plaintext of a message text (§5: UTF-8, at most 65,024 bytes). Throws INVALID_ARG (a lone surrogate), TOO_LARGE. */
export function textToPlaintext(text) {
  must(typeof text === 'string' && !/\p{Surrogate}/u.test(text), 'INVALID_ARG', 'not well-formed text');
  const b = new TextEncoder().encode(text);
  if (b.length > PLAINTEXT_MAX) throw new ProtoError('TOO_LARGE', 'text over 65,024 bytes');
  return b;
}
