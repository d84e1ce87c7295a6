/*
 * device.js — a device's long-term keys (docs/protocol.md §3; src/proto/proto_device.c): Ed25519 for
 * signatures and X25519 for receiving hand-overs, the registration signature the server checks on
 * POST /v1/devices, and the fingerprint people compare. Keys are plain objects of Uint8Array:
 * { signPk (32), signSk (64), boxPk (32), boxSk (32) }. Pure: nothing is stored here.
 */
import { ProtoError, must } from './errors.js';
import { b64url, checkBytes, checkId, concat, utf8 } from './bytes.js';
import { sodium } from './sodium.js';

const REGISTRATION_PREFIX = 'postern-device-v1:';
const FINGERPRINT_PREFIX = 'postern-fingerprint-v1:';

/** Fresh random device keys. The caller owns them and wipes them (wipeDeviceKeys) when done. */
export function deviceKeygen() {
  const s = sodium();
  const sign = s.crypto_sign_keypair();
  const box = s.crypto_box_keypair();
  return { signPk: sign.publicKey, signSk: sign.privateKey, boxPk: box.publicKey, boxSk: box.privateKey };
}

/** Device keys from two 32-byte seeds (crypto_sign_seed_keypair, crypto_box_seed_keypair); the test vectors' way. */
export function deviceKeysFromSeeds(signSeed, boxSeed) {
  checkBytes(signSeed, 32, 'sign seed');
  checkBytes(boxSeed, 32, 'box seed');
  const s = sodium();
  const sign = s.crypto_sign_seed_keypair(signSeed);
  const box = s.crypto_box_seed_keypair(boxSeed);
  return { signPk: sign.publicKey, signSk: sign.privateKey, boxPk: box.publicKey, boxSk: box.privateKey };
}

/** Zero the secret halves of keys in place. */
export function wipeDeviceKeys(keys) {
  if (keys) for (const k of ['signPk', 'signSk', 'boxPk', 'boxSk']) keys[k]?.fill(0);
}

/** "postern-device-v1:" + user_id + ":" + b64url(box_pk), the message of §3.2. */
export function registrationMessage(userId, boxPk) {
  checkId(userId, 'user_id');
  checkBytes(boxPk, 32, 'box_pk');
  return utf8(`${REGISTRATION_PREFIX}${userId}:${b64url(boxPk)}`);
}

/** The 64-byte registration signature by keys.signSk. Throws INVALID_ARG. */
export function signRegistration(keys, userId) {
  must(keys && keys.signSk instanceof Uint8Array && keys.signSk.length === 64, 'INVALID_ARG', 'keys');
  return sodium().crypto_sign_detached(registrationMessage(userId, keys.boxPk), keys.signSk);
}

/** Check a registration signature; throws BAD_SIGNATURE or INVALID_ARG, returns nothing on success. */
export function verifyRegistration(signPk, boxPk, userId, sig) {
  checkBytes(signPk, 32, 'sign_pk');
  checkBytes(sig, 64, 'signature');
  if (!verifyDetached(sig, registrationMessage(userId, boxPk), signPk)) throw new ProtoError('BAD_SIGNATURE');
}

/** Ed25519 verification that never throws (false for any failure). Internal helper shared by the module. */
export function verifyDetached(sig, msg, pk) {
  try {
    return sodium().crypto_sign_verify_detached(sig, msg, pk);
  } catch {
    return false;
  }
}

/** Six groups of five digits of a 40-bit big-endian window each, mod 100000 (§3.3, §12). */
export function digitGroups(h, groups) {
  const out = [];
  for (let g = 0; g < groups; g++) {
    let v = 0;
    for (let i = 0; i < 5; i++) v = v * 256 + h[g * 5 + i]; // < 2^40: exact in a Number
    out.push(String(v % 100000).padStart(5, '0'));
  }
  return out;
}

/** The fingerprint of §3.3: "ddddd ddddd ddddd ddddd ddddd ddddd". */
export function deviceFingerprint(signPk, boxPk) {
  checkBytes(signPk, 32, 'sign_pk');
  checkBytes(boxPk, 32, 'box_pk');
  const h = sodium().crypto_generichash(32, concat(utf8(FINGERPRINT_PREFIX), signPk, boxPk), null);
  return digitGroups(h, 6).join(' ');
}
