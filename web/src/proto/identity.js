/*
 * identity.js — an account's identity key and what people do with it (docs/protocol.md §12, §14;
 * src/proto/proto_identity.c): the key from its seed, the safety number two people compare, the approval
 * code a new device shows, the recovery key and the identity backup it opens (argon2id within fixed limits,
 * so a server cannot make a client spend without bound), and the box that carries the identity to a newly
 * approved device. An identity is { seed (32), pk (32), sk (64) }.
 */
import { ProtoError, must } from './errors.js';
import { Reader, Writer, checkBytes, checkId, concat, equal, utf8, wipe } from './bytes.js';
import { digitGroups } from './device.js';
import { sodium } from './sodium.js';

const APPROVAL_PREFIX = 'postern-approval-v2:';
const RECOVERY_PREFIX = 'postern-recovery-v2:';
const SAFETY_ITERATIONS = 5200;
const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ'; // no I, L, O or U
export const TYPE_BACKUP = 0x25;
export const TYPE_IDENTITY_BOX = 0x26;
export const RECOVERY_BYTES = 20;
export const BACKUP_MAX = 256;
export const BACKUP_OPS_MAX = 16;
export const BACKUP_MEM_MAX = 1024 * 1024 * 1024;
export const IDENTITY_BOX_MAX = 3 + 1 + 64 + 32 + 48; // 148

/** The identity of a 32-byte seed (crypto_sign_seed_keypair). */
export function identityFromSeed(seed) {
  checkBytes(seed, 32, 'seed');
  const kp = sodium().crypto_sign_seed_keypair(seed);
  return { seed: seed.slice(), pk: kp.publicKey, sk: kp.privateKey };
}

/** A fresh identity from a random seed. The caller wipes it when done. */
export function identityKeygen() {
  return identityFromSeed(sodium().randombytes_buf(32));
}

/* One side's 30 digits: SHA-512(00 00 || pk || user_id), then 5,199 times SHA-512(d || pk). */
function safetyHalf(userId, pk) {
  const s = sodium();
  let h = s.crypto_hash_sha512(concat(new Uint8Array(2), pk, utf8(userId)));
  for (let i = 1; i < SAFETY_ITERATIONS; i++) h = s.crypto_hash_sha512(concat(h, pk));
  return digitGroups(h, 6).join('');
}

/** The safety number of two accounts (§12): 12 groups of 5 digits, the same from either side. */
export function safetyNumber(userA, idPkA, userB, idPkB) {
  checkId(userA, 'user_a');
  checkId(userB, 'user_b');
  checkBytes(idPkA, 32, 'id_pk_a');
  checkBytes(idPkB, 32, 'id_pk_b');
  const a = safetyHalf(userA, idPkA), b = safetyHalf(userB, idPkB);
  const both = a <= b ? a + b : b + a; // the smaller first: both sides print the same
  return both.match(/.{5}/g).join(' ');
}

/* nchars Crockford characters of the bits of bytes (most significant first), grouped by 4 with dashes. */
function base32Groups(bytes, nchars) {
  let out = '';
  const nbytes = Math.ceil((nchars * 5) / 8);
  for (let i = 0; i < nchars; i++) {
    const bit = i * 5, byte = bit >> 3, shift = bit & 7;
    const v = (bytes[byte] << 8) | (byte + 1 < nbytes ? bytes[byte + 1] : 0);
    if (i > 0 && i % 4 === 0) out += '-';
    out += CROCKFORD[(v >> (11 - shift)) & 0x1f];
  }
  return out;
}

/* Typed characters to 5-bit values (dashes and spaces skipped; case, O, I, L forgiven); null when one is not. */
function base32Read(typed, max) {
  const vals = [];
  for (let ch of typed) {
    if (ch === '-' || ch === ' ') continue;
    if (ch >= 'a' && ch <= 'z') ch = ch.toUpperCase();
    if (ch === 'O') ch = '0';
    if (ch === 'I' || ch === 'L') ch = '1';
    const v = CROCKFORD.indexOf(ch);
    if (v < 0 || ch.length !== 1 || vals.length === max) return null;
    vals.push(v);
  }
  return vals;
}

function base32Pack(vals) {
  const nbytes = Math.ceil((vals.length * 5) / 8);
  const out = new Uint8Array(nbytes);
  vals.forEach((val, i) => {
    const bit = i * 5, byte = bit >> 3, shift = bit & 7;
    const v = val << (11 - shift);
    out[byte] |= v >> 8;
    if (byte + 1 < nbytes) out[byte + 1] |= v & 0xff;
  });
  return out;
}

/** The approval code of §14: 60 bits of BLAKE2b over the device's ids and keys, "XXXX-XXXX-XXXX". */
export function approvalCode(userId, deviceId, signPk, boxPk) {
  checkId(userId, 'user_id');
  checkId(deviceId, 'device_id');
  checkBytes(signPk, 32, 'sign_pk');
  checkBytes(boxPk, 32, 'box_pk');
  const h = sodium().crypto_generichash(32, concat(utf8(APPROVAL_PREFIX), Uint8Array.of(userId.length), utf8(userId),
    Uint8Array.of(deviceId.length), utf8(deviceId), signPk, boxPk), null);
  return base32Groups(h, 12);
}

/** A typed code in canonical form; throws MALFORMED when it is not 12 Crockford characters. */
export function codeNormalize(typed) {
  must(typeof typed === 'string', 'INVALID_ARG', 'code');
  const vals = base32Read(typed, 12);
  if (vals === null || vals.length !== 12) throw new ProtoError('MALFORMED', 'not an approval code');
  return base32Groups(base32Pack(vals), 12);
}

function recoveryCheck(secret) {
  return sodium().crypto_generichash(32, concat(utf8(RECOVERY_PREFIX), secret), null);
}

/** A new random 20-byte recovery secret. */
export function recoveryNew() {
  return sodium().randombytes_buf(RECOVERY_BYTES);
}

/** The recovery key text: 32 characters of the secret and 4 of its check, in 9 groups of 4. */
export function recoveryFormat(secret) {
  checkBytes(secret, RECOVERY_BYTES, 'recovery secret');
  const all = concat(secret, recoveryCheck(secret).subarray(0, 3));
  const text = base32Groups(all, 36);
  wipe(all);
  return text;
}

/** The secret of a typed recovery key; throws MALFORMED (length, alphabet, or the check: a typo). */
export function recoveryParse(typed) {
  must(typeof typed === 'string', 'INVALID_ARG', 'recovery key');
  const vals = base32Read(typed, 36);
  if (vals === null || vals.length !== 36) throw new ProtoError('MALFORMED', 'not a recovery key');
  const all = base32Pack(vals);
  const secret = all.slice(0, RECOVERY_BYTES);
  if (recoveryFormat(secret) !== base32Groups(all, 36)) {
    wipe(secret);
    throw new ProtoError('MALFORMED', 'the check characters do not match');
  }
  wipe(all);
  return secret;
}

/* 50 02 25 | id(user_id) | id_pk | salt (16) | ops u64 | mem u64 | nonce (24) | sealed seed (48) */
function backupDecode(bytes) {
  checkBytes(bytes, undefined, 'backup');
  if (bytes.length > BACKUP_MAX) throw new ProtoError('TOO_LARGE');
  const r = new Reader(bytes);
  r.prefix(TYPE_BACKUP);
  const userId = r.id(), idPk = r.bytes(32), salt = r.bytes(16), ops = r.u64(), mem = r.u64(), nonce = r.bytes(24);
  const adLen = r.off;
  const sealed = r.get(48);
  if (r.bad || r.off !== bytes.length) throw new ProtoError('MALFORMED');
  return { userId, idPk, salt, ops, mem, nonce, adLen, sealed };
}

function argonLimitsOk(ops, mem) {
  const s = sodium();
  return ops >= BigInt(s.crypto_pwhash_OPSLIMIT_MIN) && ops <= BigInt(BACKUP_OPS_MAX) &&
    mem >= BigInt(s.crypto_pwhash_MEMLIMIT_MIN) && mem <= BigInt(BACKUP_MEM_MAX);
}

/**
 * The identity backup (type 0x25): the seed under argon2id(secret, salt, ops, mem) and XChaCha20-Poly1305,
 * bound to userId and the identity key. salt and nonce are for test vectors (random by default).
 * Throws INVALID_ARG, CRYPTO.
 */
export function backupSeal(id, userId, secret, ops, mem, salt, nonce) {
  must(id && id.seed instanceof Uint8Array && id.pk instanceof Uint8Array, 'INVALID_ARG', 'identity');
  checkId(userId, 'user_id');
  checkBytes(secret, RECOVERY_BYTES, 'recovery secret');
  must(Number.isSafeInteger(ops) && Number.isSafeInteger(mem) && argonLimitsOk(BigInt(ops), BigInt(mem)), 'INVALID_ARG', 'argon2id cost');
  const s = sodium();
  salt = salt ?? s.randombytes_buf(16);
  nonce = nonce ?? s.randombytes_buf(24);
  checkBytes(salt, 16, 'salt');
  checkBytes(nonce, 24, 'nonce');
  const ad = new Writer().prefix(TYPE_BACKUP).id(userId).put(id.pk).put(salt).u64(ops).u64(mem).put(nonce).bytes();
  let key;
  try {
    key = s.crypto_pwhash(32, secret, salt, ops, mem, s.crypto_pwhash_ALG_ARGON2ID13);
  } catch {
    throw new ProtoError('CRYPTO', 'argon2id');
  }
  const ct = s.crypto_aead_xchacha20poly1305_ietf_encrypt(id.seed, ad, null, nonce, key);
  wipe(key);
  return concat(ad, ct);
}

/** A backup's user id and identity key, without opening it: { userId, idPk }. */
export function backupPeek(bytes) {
  const v = backupDecode(bytes);
  return { userId: v.userId, idPk: v.idPk };
}

/**
 * Open a backup with a recovery secret: checks the argon2id limits (TOO_LARGE), the user id and that the
 * seed gives the identity key it names (MALFORMED); a wrong secret is WRONG_KEY. Returns the identity.
 */
export function backupOpen(bytes, userId, secret) {
  must(typeof userId === 'string', 'INVALID_ARG', 'user_id');
  checkBytes(secret, RECOVERY_BYTES, 'recovery secret');
  const v = backupDecode(bytes);
  if (v.userId !== userId) throw new ProtoError('MALFORMED', 'another account');
  if (!argonLimitsOk(v.ops, v.mem)) throw new ProtoError('TOO_LARGE', 'argon2id cost out of bounds');
  const s = sodium();
  let key, seed;
  try {
    key = s.crypto_pwhash(32, secret, v.salt, Number(v.ops), Number(v.mem), s.crypto_pwhash_ALG_ARGON2ID13);
  } catch {
    throw new ProtoError('CRYPTO', 'argon2id');
  }
  try {
    seed = s.crypto_aead_xchacha20poly1305_ietf_decrypt(null, v.sealed, bytes.subarray(0, v.adLen), v.nonce, key);
  } catch {
    throw new ProtoError('WRONG_KEY');
  } finally {
    wipe(key);
  }
  const id = identityFromSeed(seed);
  wipe(seed);
  if (!equal(id.pk, v.idPk)) throw new ProtoError('MALFORMED', 'sealed by the right key but naming another identity');
  return id;
}

/** The identity seed for a newly approved device (type 0x26), sealed to its box key. */
export function identityBoxSeal(id, deviceId, boxPk) {
  must(id && id.seed instanceof Uint8Array && id.seed.length === 32, 'INVALID_ARG', 'identity');
  checkId(deviceId, 'device_id');
  checkBytes(boxPk, 32, 'box_pk');
  const plain = new Writer().prefix(TYPE_IDENTITY_BOX).id(deviceId).put(id.seed).bytes();
  try {
    return sodium().crypto_box_seal(plain, boxPk);
  } catch {
    throw new ProtoError('CRYPTO');
  } finally {
    wipe(plain);
  }
}

/** Open an identity box with this device's keys; throws TOO_LARGE, MALFORMED, DECRYPT, VERSION, WRONG_RECIPIENT. */
export function identityBoxOpen(bytes, me, myDeviceId) {
  checkBytes(bytes, undefined, 'identity box');
  must(me && me.boxPk instanceof Uint8Array && me.boxSk instanceof Uint8Array && typeof myDeviceId === 'string', 'INVALID_ARG', 'keys');
  if (bytes.length > IDENTITY_BOX_MAX) throw new ProtoError('TOO_LARGE');
  if (bytes.length < 48) throw new ProtoError('MALFORMED');
  let plain;
  try {
    plain = sodium().crypto_box_seal_open(bytes, me.boxPk, me.boxSk);
  } catch {
    throw new ProtoError('DECRYPT');
  }
  try {
    const r = new Reader(plain);
    r.prefix(TYPE_IDENTITY_BOX);
    const dev = r.id(), seed = r.bytes(32);
    if (r.bad || r.off !== plain.length) throw new ProtoError('MALFORMED');
    if (dev !== myDeviceId) throw new ProtoError('WRONG_RECIPIENT');
    const id = identityFromSeed(seed);
    wipe(seed);
    return id;
  } finally {
    wipe(plain);
  }
}
