/*
 * index.js — the public face of Postern's protocol module in JavaScript: the same protocol as the C in
 * src/proto (docs/protocol.md), for the browser client and for Node >= 18. Bytes are Uint8Array, ids are
 * strings, times are Number milliseconds; every refusal is a thrown ProtoError whose `code` is the C error
 * name. Call `await ready()` once before anything else.
 */
export { ready } from './sodium.js';
export { ERRORS, ProtoError } from './errors.js';
export { b64url, fromB64url, hex, fromHex, idLen } from './bytes.js';
export * from './device.js';
export * from './session.js';
export * from './envelope.js';
export * from './handover.js';
export * from './state.js';
export * from './statement.js';
export * from './chain.js';
export * from './identity.js';
export * from './merkle.js';
export * from './note.js';
export * from './log.js';
export { runVectors } from './selftest.js';
