/*
 * statement.js — the signed statements of protocol version 2 (docs/protocol.md §13;
 * src/proto/proto_statement.c): one layout table says which fields each type carries and in what order, and
 * one encoder and one decoder walk it, as strictly as the C (exact length, ids per §1, counts bounded before
 * any id is read, distinct ids, op and kind within their values). Also a statement's hash (a link's head)
 * and the thread id a CREATE link makes. Callers check that the signer's key is the one the type names.
 *
 * A statement is a plain object: { type, userId, username, deviceId, threadId, clientId, grantId,
 * actorUserId, actorDeviceId (strings), key, key2 (32 bytes), prev (32), nonce (16), op, kind, keyId,
 * atMs, expiresMs (numbers; a u64 beyond 2^53 is a BigInt), ids (strings) } plus, when parsed,
 * { signedLen, sig }. Fields a type does not use are '' / zeros / 0 / [].
 */
import { ProtoError, must } from './errors.js';
import { ID_MAX, MAGIC, Reader, VERSION, Writer, b64url, checkBytes, concat, idLen, u64Value } from './bytes.js';
import { verifyDetached } from './device.js';
import { sodium } from './sodium.js';

export const ST = Object.freeze({
  IDENTITY: 0x20, DEVICE_CERT: 0x21, DEVICE_REVOKE: 0x22, PREKEY: 0x23, CONTACT: 0x24,
  LINK: 0x30, APP_AUTH: 0x40, APP_REVOKE: 0x41, APP_CONSENT: 0x42,
});
export const LINK_CREATE = 1, LINK_ADD = 2, LINK_REMOVE = 3;
export const THREAD_DIRECT = 1, THREAD_GROUP = 2;
export const PREKEY_ONE_TIME = 1, PREKEY_SIGNED = 2;
export const CONTACT_SEEN = 1, CONTACT_VERIFIED = 2, CONTACT_UNVERIFIED = 3;
export const IDS_MAX = 1025;
export const STATEMENT_MAX = 3 + 6 * (1 + ID_MAX) + 3 * 32 + 16 + 8 + 8 + 8 + 2 + IDS_MAX * (1 + ID_MAX) + 64; // 67220

// the id fields, as the object names them
const ID_FIELDS = ['userId', 'username', 'deviceId', 'threadId', 'clientId', 'grantId', 'actorUserId', 'actorDeviceId'];
const BYTE_FIELDS = { key: 32, key2: 32, prev: 32, nonce: 16 };

/* One row per type: its fields in wire order, the range of `op` and of the id count (§13). */
const LAYOUTS = new Map([
  [ST.IDENTITY, { op: [0, 0], ids: [0, 0], fields: ['userId', 'username', 'key', 'atMs'] }],
  [ST.DEVICE_CERT, { op: [0, 0], ids: [0, 0], fields: ['deviceId', 'key', 'key2', 'atMs'] }],
  [ST.DEVICE_REVOKE, { op: [0, 0], ids: [0, 0], fields: ['deviceId', 'key', 'atMs'] }],
  [ST.PREKEY, { op: [PREKEY_ONE_TIME, PREKEY_SIGNED], ids: [0, 0], fields: ['deviceId', 'op', 'keyId', 'key', 'atMs'] }],
  [ST.CONTACT, { op: [CONTACT_SEEN, CONTACT_UNVERIFIED], ids: [0, 0], fields: ['userId', 'key', 'op', 'atMs'] }],
  [ST.LINK, { op: [LINK_CREATE, LINK_REMOVE], ids: [1, IDS_MAX],
    fields: ['prev', 'nonce', 'op', 'kind', 'actorUserId', 'actorDeviceId', 'ids', 'atMs'] }],
  [ST.APP_AUTH, { op: [0, 0], ids: [0, IDS_MAX], fields: ['clientId', 'grantId', 'deviceId', 'key', 'key2', 'expiresMs', 'ids', 'atMs'] }],
  [ST.APP_REVOKE, { op: [0, 0], ids: [0, 0], fields: ['clientId', 'grantId', 'deviceId', 'atMs'] }],
  [ST.APP_CONSENT, { op: [0, 1], ids: [0, 0], fields: ['threadId', 'clientId', 'op', 'atMs'] }],
]);

/** A statement object of type with every field empty; fill the ones its type uses. */
export function statementNew(type) {
  return {
    type, userId: '', username: '', deviceId: '', threadId: '', clientId: '', grantId: '', actorUserId: '',
    actorDeviceId: '', key: new Uint8Array(32), key2: new Uint8Array(32), prev: new Uint8Array(32),
    nonce: new Uint8Array(16), op: 0, kind: 0, keyId: 0, atMs: 0, expiresMs: 0, ids: [],
  };
}

function valuesOk(l, st) {
  const ids = st.ids ?? [];
  const op = st.op ?? 0;
  if (op < l.op[0] || op > l.op[1] || ids.length < l.ids[0] || ids.length > l.ids[1]) return false;
  if (st.type === ST.LINK) {
    if (st.kind !== THREAD_DIRECT && st.kind !== THREAD_GROUP) return false;
    if (op === LINK_CREATE ? ids.length < 2 : ids.length !== 1) return false;
  }
  return new Set(ids).size === ids.length; // the ids of one statement are distinct
}

const u64ok = (v) => (typeof v === 'bigint' ? v >= 0n && v < 2n ** 64n : Number.isSafeInteger(v) && v >= 0);

/**
 * Encode st and sign it with the 64-byte Ed25519 secret key sk (the identity's or the device's, per type).
 * Returns the statement bytes. Throws INVALID_ARG (unknown type, a bad id or value, counts out of range).
 */
export function statementSign(st, sk) {
  const l = st ? LAYOUTS.get(st.type) : undefined;
  must(l !== undefined, 'INVALID_ARG', 'unknown statement type');
  checkBytes(sk, 64, 'secret key');
  must(valuesOk(l, st), 'INVALID_ARG', 'op, kind or ids out of range');
  const w = new Writer().prefix(st.type);
  for (const f of l.fields) {
    if (ID_FIELDS.includes(f)) {
      must(idLen(st[f]) > 0, 'INVALID_ARG', `${f} is not a valid id`);
      w.id(st[f]);
    } else if (f in BYTE_FIELDS) {
      checkBytes(st[f], BYTE_FIELDS[f], f);
      w.put(st[f]);
    } else if (f === 'op' || f === 'kind') {
      w.u8(st[f]);
    } else if (f === 'keyId') {
      must(Number.isInteger(st.keyId) && st.keyId >= 0 && st.keyId <= 0xffffffff, 'INVALID_ARG', 'key_id');
      w.u32(st.keyId);
    } else if (f === 'atMs' || f === 'expiresMs') {
      must(u64ok(st[f]), 'INVALID_ARG', f);
      w.u64(st[f]);
    } else { // ids
      w.u16(st.ids.length);
      for (const id of st.ids) {
        must(idLen(id) > 0, 'INVALID_ARG', 'a listed id is not a valid id');
        w.id(id);
      }
    }
  }
  const body = w.bytes();
  return concat(body, sodium().crypto_sign_detached(body, sk));
}

/**
 * Decode a statement without checking its signature. wantType 0 accepts any type, else only that one.
 * Throws INVALID_ARG, TOO_LARGE, MALFORMED, VERSION.
 */
export function statementParse(bytes, wantType = 0) {
  checkBytes(bytes, undefined, 'statement');
  if (bytes.length > STATEMENT_MAX) throw new ProtoError('TOO_LARGE');
  const r = new Reader(bytes);
  const magic = r.u8(), version = r.u8(), type = r.u8();
  if (r.bad || magic !== MAGIC) throw new ProtoError('MALFORMED', 'not a Postern structure');
  if (version !== VERSION) throw new ProtoError('VERSION', `version ${version}`);
  const l = LAYOUTS.get(type);
  if (l === undefined || (wantType !== 0 && type !== wantType)) throw new ProtoError('MALFORMED', 'statement type');
  const st = statementNew(type);
  for (const f of l.fields) {
    if (r.bad) break;
    if (ID_FIELDS.includes(f)) st[f] = r.id();
    else if (f in BYTE_FIELDS) st[f] = r.bytes(BYTE_FIELDS[f]);
    else if (f === 'op' || f === 'kind') st[f] = r.u8();
    else if (f === 'keyId') st.keyId = r.u32();
    else if (f === 'atMs' || f === 'expiresMs') st[f] = u64Value(r.u64());
    else {
      const n = (r.u8() << 8) | r.u8();
      if (n > l.ids[1]) r.bad = true; // the count is bounded before any id is read
      for (let i = 0; i < n && !r.bad; i++) st.ids.push(r.id());
    }
  }
  st.signedLen = r.off;
  st.sig = r.bytes(64);
  if (r.bad || r.off !== bytes.length || !valuesOk(l, st)) throw new ProtoError('MALFORMED');
  return st;
}

/** statementParse, then the signature with pk (32 bytes). Adds BAD_SIGNATURE. */
export function statementVerify(bytes, wantType, pk) {
  checkBytes(pk, 32, 'public key');
  const st = statementParse(bytes, wantType);
  if (!verifyDetached(st.sig, bytes.subarray(0, st.signedLen), pk)) throw new ProtoError('BAD_SIGNATURE');
  return st;
}

/** BLAKE2b-256 of a statement's bytes (a link's hash: the next link's prev, the chain's head). */
export function statementHash(bytes) {
  checkBytes(bytes, undefined, 'statement');
  return sodium().crypto_generichash(32, bytes, null);
}

/** The thread id a CREATE link makes: "t_" + b64url(first 16 bytes of its hash). */
export function linkThreadId(createHash) {
  checkBytes(createHash, 32, 'hash');
  return `t_${b64url(createHash.subarray(0, 16))}`;
}
