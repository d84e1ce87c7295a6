/*
 * errors.js — the one error type of the protocol module and its table of codes, the JavaScript face of
 * PROTO_ERROR_MAP in src/proto/proto.h: the same names (without PROTO_E_) and the same messages, so a
 * failure reads the same whether the C library or the browser met it. Pure: no I/O, no state.
 */

/** Every code of PROTO_ERROR_MAP, in the C order, with its message. */
export const ERRORS = Object.freeze({
  OK: 'success',
  INVALID_ARG: 'an argument is NULL, out of range, or an id is malformed',
  BUFFER_TOO_SMALL: 'the output buffer is too small',
  TOO_LARGE: 'the input exceeds a protocol maximum',
  MALFORMED: 'the bytes are truncated, have trailing data, or a field is out of bounds',
  VERSION: 'unknown protocol version',
  BAD_SIGNATURE: "the signature does not verify with the sender's key",
  WRONG_THREAD: 'the envelope or session belongs to another thread',
  WRONG_SENDER: 'the envelope or session belongs to another sender device',
  WRONG_RECIPIENT: 'the session key was addressed to another device',
  UNKNOWN_SESSION: 'no inbound session for this sender device and session id',
  BEFORE_SESSION: 'the message precedes the index at which the session was shared with this device',
  REPLAY: 'this message index was already decrypted',
  KEY_DISCARDED: 'the key for this index was discarded (skipped-key cap) or already used',
  TOO_FAR: 'the message index jumps too far ahead',
  DECRYPT: 'authenticated decryption failed',
  EXHAUSTED: 'the outbound session has no index left; rotate',
  CRYPTO: 'a libsodium call failed',
  CHAIN: 'the membership link does not extend the chain or breaks its rules',
  WRONG_KEY: 'the recovery key or code does not match',
});

/**
 * A refusal of the protocol. `code` is one of the keys of ERRORS (e.g. "BAD_SIGNATURE"); `message` is
 * its text, with `detail` appended when given. Thrown by every function of this module that can fail.
 */
export class ProtoError extends Error {
  constructor(code, detail) {
    const text = ERRORS[code] ?? 'unknown error';
    super(detail ? `${text} (${detail})` : text);
    this.name = 'ProtoError';
    this.code = code in ERRORS ? code : 'INVALID_ARG';
  }
}

/** Throw ProtoError(code) when cond is false. */
export function must(cond, code, detail) {
  if (!cond) throw new ProtoError(code, detail);
}
