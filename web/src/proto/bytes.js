/*
 * bytes.js — what the protocol files share (the JavaScript twin of src/proto/proto_internal.h): bounded
 * big-endian writers and readers, the id rule of docs/protocol.md §1, the 3-byte structure prefix, and small
 * byte helpers. A reader that runs short marks itself bad and yields zeros, exactly as the C reader does, so
 * decoders check once at the end and return the same error the C returns. Internal to src/proto.
 */
import { ProtoError, must } from './errors.js';
import { sodium } from './sodium.js';

export const MAGIC = 0x50;
export const VERSION = 0x02;
export const ID_MAX = 64;

const enc = new TextEncoder();
const dec = new TextDecoder('utf-8', { fatal: true });

export const utf8 = (s) => enc.encode(s);
export const fromUtf8 = (b) => dec.decode(b);

/** Byte length of id when it is a valid protocol id (1..64 bytes 0x21..0x7e), else 0. */
export function idLen(id) {
  if (typeof id !== 'string' || id.length === 0 || id.length > ID_MAX) return 0;
  for (let i = 0; i < id.length; i++) {
    const c = id.charCodeAt(i);
    if (c < 0x21 || c > 0x7e) return 0;
  }
  return id.length;
}

/** Throw INVALID_ARG unless id is a valid protocol id. */
export function checkId(id, what = 'id') {
  must(idLen(id) > 0, 'INVALID_ARG', `${what} is not a valid id`);
}

/** Throw INVALID_ARG unless b is a Uint8Array of n bytes. */
export function checkBytes(b, n, what = 'bytes') {
  must(b instanceof Uint8Array && (n === undefined || b.length === n), 'INVALID_ARG',
    `${what} must be ${n === undefined ? 'a Uint8Array' : `${n} bytes`}`);
}

/** A u32: integer 0..0xffffffff. */
export function checkU32(v, what = 'value') {
  must(Number.isInteger(v) && v >= 0 && v <= 0xffffffff, 'INVALID_ARG', `${what} is not a u32`);
}

export function concat(...parts) {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

/** Constant-time equality of two byte strings (false for different lengths). */
export function equal(a, b) {
  return a.length === b.length && (a.length === 0 || sodium().memcmp(a, b));
}

/** Byte-wise comparison of two ASCII strings, as strcmp on their bytes. */
export function strcmp(a, b) {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function wipe(b) {
  if (b instanceof Uint8Array) b.fill(0);
}

export const hex = (b) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
export function fromHex(s) {
  must(typeof s === 'string' && /^([0-9a-fA-F]{2})*$/.test(s), 'INVALID_ARG', 'not hex');
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(s.substr(i * 2, 2), 16);
  return out;
}

/** base64url without padding (the API's form). */
export const b64url = (b) => sodium().to_base64(b, sodium().base64_variants.URLSAFE_NO_PADDING);
export function fromB64url(s) {
  try {
    const b = sodium().from_base64(s, sodium().base64_variants.URLSAFE_NO_PADDING);
    if (b64url(b) === s) return b;
  } catch { /* fall through */ }
  throw new ProtoError('MALFORMED', 'not canonical base64url');
}

/** A u64 as read from the wire: a Number when exact, else a BigInt. */
export function u64Value(big) {
  return big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big;
}

/** Bounded writer: grows an array; the caller checks limits itself (every structure has a fixed maximum). */
export class Writer {
  constructor() { this.parts = []; this.length = 0; }
  put(b) { this.parts.push(b); this.length += b.length; return this; }
  u8(v) { return this.put(Uint8Array.of(v & 0xff)); }
  u16(v) { return this.put(Uint8Array.of((v >>> 8) & 0xff, v & 0xff)); }
  u32(v) { return this.put(Uint8Array.of(v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff)); }
  /** v: Number (non-negative or negative for i64, exact) or BigInt; written as 64-bit two's complement. */
  u64(v) {
    const b = BigInt.asUintN(64, BigInt(v));
    return this.u32(Number(b >> 32n)).u32(Number(b & 0xffffffffn));
  }
  id(s) { this.u8(s.length); return this.put(utf8(s)); }
  prefix(type) { return this.u8(MAGIC).u8(VERSION).u8(type); }
  bytes() { return concat(...this.parts); }
}

/** Bounded reader over a Uint8Array: a short read sets `bad` and yields zeros (as pst__proto_reader). */
export class Reader {
  constructor(buf) { this.p = buf; this.off = 0; this.bad = false; }
  get left() { return this.p.length - this.off; }
  get(n) {
    if (this.bad || n > this.p.length - this.off) { this.bad = true; return null; }
    const at = this.p.subarray(this.off, this.off + n);
    this.off += n;
    return at;
  }
  bytes(n) { const at = this.get(n); return at ? at.slice() : new Uint8Array(n); }
  u8() { const at = this.get(1); return at ? at[0] : 0; }
  u32() { const at = this.get(4); return at ? ((at[0] << 24) >>> 0) + (at[1] << 16) + (at[2] << 8) + at[3] : 0; }
  u64() { const hi = BigInt(this.u32()); return (hi << 32n) | BigInt(this.u32()); }
  /** A length-prefixed id; '' (and bad set) when the length is 0 or over 64, truncated, or a byte is outside 0x21..0x7e. */
  id() {
    const n = this.u8();
    if (this.bad || n === 0 || n > ID_MAX) { this.bad = true; return ''; }
    const at = this.get(n);
    if (!at) return '';
    for (const c of at) if (c < 0x21 || c > 0x7e) { this.bad = true; return ''; }
    return String.fromCharCode(...at);
  }
  /** Check magic, version, type: throws MALFORMED (short, wrong magic or type) or VERSION. */
  prefix(type) {
    const magic = this.u8(), version = this.u8(), t = this.u8();
    if (this.bad || magic !== MAGIC) throw new ProtoError('MALFORMED', 'not a Postern structure');
    if (version !== VERSION) throw new ProtoError('VERSION', `version ${version}`);
    if (t !== type) throw new ProtoError('MALFORMED', `type 0x${t.toString(16)} where 0x${type.toString(16)} was expected`);
  }
}
