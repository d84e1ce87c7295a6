/*
 * note.js — the transparency log's signed text (src/proto/proto_note.c; docs/transparency.md): checkpoints
 * (c2sp.org/tlog-checkpoint), signed notes with Ed25519 keys (c2sp.org/signed-note), timestamped witness
 * cosignatures (c2sp.org/tlog-cosignature, cosignature/v1) and the text forms of their keys. Everything is
 * parsed as hostile input under the C's rules: at most 8,192 bytes, UTF-8 without control characters but
 * newline, canonical padded base64, decimal without leading zeros. Text is handled as its UTF-8 bytes
 * (strings in, strings out; a string with a lone surrogate is not text). A note key is
 * { name, id (u32), pk (32), sk (64, zeros in a verifier), isCosigner }.
 */
import { ProtoError, must } from './errors.js';
import { checkBytes, concat, equal, fromUtf8, utf8 } from './bytes.js';
import { sodium } from './sodium.js';

export const NOTE_MAX = 8192;
export const NOTE_NAME_MAX = 128;
const ALG_ED25519 = 0x01, ALG_COSIGNATURE_V1 = 0x04;
const LINE_PREFIX = utf8('\u2014 ');
const COSIG_HEADER = 'cosignature/v1\ntime ';
const TIMESTAMP_MAX = (1n << 63n) - 1n;
const PRIVATE_PREFIX = 'PRIVATE+KEY+';
const KEY_TEXT_MAX = PRIVATE_PREFIX.length + NOTE_NAME_MAX + 1 + 8 + 1 + 44;
const NL = 0x0a;

/* text as UTF-8 bytes; null when it is a string with a lone surrogate (not text) */
function textBytes(t) {
  if (t instanceof Uint8Array) return t;
  must(typeof t === 'string', 'INVALID_ARG', 'text');
  return /\p{Surrogate}/u.test(t) ? null : utf8(t);
}

/* One UTF-8 sequence at p[i..]: [length, code point], or [0] when it is not the shortest form of a scalar. */
function utf8At(p, i) {
  const n = p.length - i;
  if (n <= 0) return [0];
  let c = p[i], len;
  if (c < 0x80) return [1, c];
  if (c >= 0xc2 && c <= 0xdf) { len = 2; c &= 0x1f; } else if (c >= 0xe0 && c <= 0xef) { len = 3; c &= 0x0f; } else if (c >= 0xf0 && c <= 0xf4) { len = 4; c &= 0x07; } else return [0];
  if (n < len) return [0];
  for (let k = 1; k < len; k++) {
    if ((p[i + k] & 0xc0) !== 0x80) return [0];
    c = (c << 6) | (p[i + k] & 0x3f);
  }
  if ((len === 3 && c < 0x800) || (len === 4 && (c < 0x10000 || c > 0x10ffff)) || (c >= 0xd800 && c <= 0xdfff)) return [0];
  return [len, c];
}

function textOk(p, nl) {
  for (let i = 0; i < p.length;) {
    const [step, c] = utf8At(p, i);
    if (step === 0 || (c < 0x20 && !(nl && c === NL))) return false;
    i += step;
  }
  return true;
}

const isSpace = (c) => c === 0x20 || (c >= 0x09 && c <= 0x0d) || c === 0x85 || c === 0xa0 || c === 0x1680 ||
  (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000;

function nameOk(p) {
  if (p.length === 0) return false;
  for (let i = 0; i < p.length;) {
    const [step, c] = utf8At(p, i);
    if (step === 0 || c < 0x20 || c === 0x2b || isSpace(c)) return false;
    i += step;
  }
  return true;
}

function parseDecimal(p) {
  if (p.length === 0 || p.length > 20 || (p.length > 1 && p[0] === 0x30)) return null;
  let v = 0n;
  for (const b of p) {
    if (b < 0x30 || b > 0x39) return null;
    v = v * 10n + BigInt(b - 0x30);
  }
  return v < 1n << 64n ? v : null;
}

const B64_ALPHABET = /^[A-Za-z0-9+/=]*$/;
/* canonical standard padded base64 of p (bytes), or null */
function b64Decode(p) {
  const s = String.fromCharCode(...p);
  if (!B64_ALPHABET.test(s)) return null;
  try {
    const so = sodium();
    const out = so.from_base64(s, so.base64_variants.ORIGINAL);
    return so.to_base64(out, so.base64_variants.ORIGINAL) === s ? out : null;
  } catch {
    return null;
  }
}
const b64 = (b) => sodium().to_base64(b, sodium().base64_variants.ORIGINAL);

const be32 = (p, o = 0) => ((p[o] << 24) >>> 0) + (p[o + 1] << 16) + (p[o + 2] << 8) + p[o + 3];
const be64 = (p, o) => (BigInt(be32(p, o)) << 32n) | BigInt(be32(p, o + 4));
const toNum = (v) => (v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v);

function indexOfByte(p, b, from) {
  const i = p.indexOf(b, from);
  return i;
}

/* ---- checkpoints ---- */

function extensionOk(p) {
  if (p.length === 0) return true;
  if (p[0] === NL || p[p.length - 1] !== NL || !textOk(p, true)) return false;
  for (let i = 1; i < p.length; i++) if (p[i] === NL && p[i - 1] === NL) return false;
  return true;
}

/** A checkpoint body "<origin>\n<size>\n<base64 root>\n<extension lines>". Throws INVALID_ARG. */
export function checkpointFormat(cp) {
  must(cp && typeof cp.origin === 'string', 'INVALID_ARG', 'checkpoint');
  const origin = textBytes(cp.origin), ext = textBytes(cp.extension ?? '');
  must(origin && ext && origin.length > 0 && origin.length <= NOTE_NAME_MAX && textOk(origin, false) &&
    ext.length < 256 && extensionOk(ext), 'INVALID_ARG', 'origin or extension');
  must((typeof cp.size === 'bigint' && cp.size >= 0n && cp.size < 1n << 64n) || (Number.isSafeInteger(cp.size) && cp.size >= 0), 'INVALID_ARG', 'size');
  checkBytes(cp.root, 32, 'root');
  return `${cp.origin}\n${cp.size}\n${b64(cp.root)}\n${cp.extension ?? ''}`;
}

/** Parse a checkpoint body strictly. Returns { origin, size, root, extension }. Throws MALFORMED, TOO_LARGE, INVALID_ARG. */
export function checkpointParse(body) {
  const p = textBytes(body);
  if (p === null) throw new ProtoError('MALFORMED', 'not text');
  if (p.length > NOTE_MAX) throw new ProtoError('TOO_LARGE');
  if (p.length === 0 || p[p.length - 1] !== NL || !textOk(p, true)) throw new ProtoError('MALFORMED', 'not note text');
  let nl = indexOfByte(p, NL, 0);
  if (nl === 0) throw new ProtoError('MALFORMED', 'empty origin');
  if (nl > NOTE_NAME_MAX) throw new ProtoError('TOO_LARGE', 'origin');
  const origin = fromUtf8(p.subarray(0, nl));
  let at = nl + 1;
  if (at === p.length) throw new ProtoError('MALFORMED', 'no size');
  nl = indexOfByte(p, NL, at);
  const size = parseDecimal(p.subarray(at, nl));
  if (size === null) throw new ProtoError('MALFORMED', 'size');
  at = nl + 1;
  if (at === p.length) throw new ProtoError('MALFORMED', 'no root');
  nl = indexOfByte(p, NL, at);
  const root = nl - at === 44 ? b64Decode(p.subarray(at, nl)) : null;
  if (root === null || root.length !== 32) throw new ProtoError('MALFORMED', 'root');
  const ext = p.subarray(nl + 1);
  if (ext.length >= 256) throw new ProtoError('TOO_LARGE', 'extension');
  if (!extensionOk(ext)) throw new ProtoError('MALFORMED', 'extension');
  return { origin, size: toNum(size), root, extension: fromUtf8(ext) };
}

/* ---- keys ---- */

const keyAlg = (k) => (k.isCosigner ? ALG_COSIGNATURE_V1 : ALG_ED25519);

/** signed-note key id: SHA-256(name || "\n" || type || pk)[:4], big-endian. */
export function noteKeyId(name, isCosigner, pk) {
  const h = sodium().crypto_hash_sha256(concat(utf8(name), Uint8Array.of(NL, isCosigner ? ALG_COSIGNATURE_V1 : ALG_ED25519), pk));
  return be32(h);
}

function keyCheck(k, signer) {
  if (!k || typeof k.name !== 'string' || !(k.pk instanceof Uint8Array) || k.pk.length !== 32) return false;
  const name = textBytes(k.name);
  if (!name || name.length > NOTE_NAME_MAX || !nameOk(name) || typeof k.isCosigner !== 'boolean' ||
      k.id !== noteKeyId(k.name, k.isCosigner, k.pk)) return false;
  if (signer && (!(k.sk instanceof Uint8Array) || k.sk.length !== 64 || sodium().is_zero(k.sk) || !equal(k.sk.subarray(32), k.pk))) return false;
  return true;
}

/** A fresh note key named name; a cosigner's lines are cosignature/v1. Throws INVALID_ARG. */
export function noteKeyNew(name, isCosigner = false) {
  const n = typeof name === 'string' ? textBytes(name) : null;
  must(n && n.length <= NOTE_NAME_MAX && nameOk(n), 'INVALID_ARG', 'key name');
  const kp = sodium().crypto_sign_keypair();
  const cos = Boolean(isCosigner);
  return { name, id: noteKeyId(name, cos, kp.publicKey), pk: kp.publicKey, sk: kp.privateKey, isCosigner: cos };
}

function keyText(k, key32) {
  return `${k.name}+${k.id.toString(16).padStart(8, '0')}+${b64(concat(Uint8Array.of(keyAlg(k)), key32))}`;
}

/** "<name>+<hex id>+<base64(type || pk)>". */
export function noteVerifierFormat(k) {
  must(keyCheck(k, false), 'INVALID_ARG', 'note key');
  return keyText(k, k.pk);
}

/** "PRIVATE+KEY+<name>+<hex id>+<base64(type || seed)>". */
export function noteSignerFormat(k) {
  must(keyCheck(k, true), 'INVALID_ARG', 'note signer');
  return PRIVATE_PREFIX + keyText(k, sodium().crypto_sign_ed25519_sk_to_seed(k.sk));
}

function parseKeyText(p) {
  if (p.length > KEY_TEXT_MAX) throw new ProtoError('TOO_LARGE');
  const plus = p.indexOf(0x2b);
  if (plus < 0) throw new ProtoError('MALFORMED');
  const name = p.subarray(0, plus);
  if (plus > NOTE_NAME_MAX || !nameOk(name) || p.length - plus - 1 < 9 || p[plus + 9] !== 0x2b) throw new ProtoError('MALFORMED');
  const hexText = String.fromCharCode(...p.subarray(plus + 1, plus + 9));
  if (!/^[0-9a-f]{8}$/.test(hexText)) throw new ProtoError('MALFORMED');
  const raw = b64Decode(p.subarray(plus + 10));
  if (raw === null || raw.length !== 33 || (raw[0] !== ALG_ED25519 && raw[0] !== ALG_COSIGNATURE_V1)) throw new ProtoError('MALFORMED');
  return { name: fromUtf8(name), id: parseInt(hexText, 16), isCosigner: raw[0] === ALG_COSIGNATURE_V1, key: raw.slice(1) };
}

/** A verifier key from its text; the key id is checked against the key. Throws MALFORMED, TOO_LARGE, INVALID_ARG. */
export function noteVerifierParse(text) {
  const p = textBytes(text);
  if (p === null) throw new ProtoError('MALFORMED');
  const t = parseKeyText(p);
  if (t.id !== noteKeyId(t.name, t.isCosigner, t.key)) throw new ProtoError('MALFORMED', 'key id');
  return { name: t.name, id: t.id, pk: t.key, sk: new Uint8Array(64), isCosigner: t.isCosigner };
}

/** A signer key from "PRIVATE+KEY+..." text. Throws MALFORMED, TOO_LARGE, INVALID_ARG. */
export function noteSignerParse(text) {
  const p = textBytes(text);
  if (p === null || fromUtf8(p.subarray(0, PRIVATE_PREFIX.length)) !== PRIVATE_PREFIX) throw new ProtoError('MALFORMED');
  const t = parseKeyText(p.subarray(PRIVATE_PREFIX.length));
  const kp = sodium().crypto_sign_seed_keypair(t.key);
  t.key.fill(0);
  if (t.id !== noteKeyId(t.name, t.isCosigner, kp.publicKey)) throw new ProtoError('MALFORMED', 'key id');
  return { name: t.name, id: t.id, pk: kp.publicKey, sk: kp.privateKey, isCosigner: t.isCosigner };
}

/* ---- notes ---- */

/* One signature line (no newline): { name (bytes), blob } or null when malformed. */
function parseLine(p) {
  if (p.length < LINE_PREFIX.length || !equal(p.subarray(0, LINE_PREFIX.length), LINE_PREFIX)) return null;
  const rest = p.subarray(LINE_PREFIX.length);
  const sp = rest.indexOf(0x20);
  if (sp < 0) return null;
  const name = rest.subarray(0, sp);
  const blob = b64Decode(rest.subarray(sp + 1));
  if (!nameOk(name) || blob === null || blob.length < 5 || blob.length > (NOTE_MAX / 4) * 3) return null;
  return { name, blob };
}

/* The lines after the body: [{ start, end, line }] */
function sigLines(p, bodyLen) {
  const out = [];
  for (let at = bodyLen + 1; at < p.length;) {
    const nl = p.indexOf(NL, at);
    out.push({ start: at, end: nl, line: parseLine(p.subarray(at, nl)) });
    at = nl + 1;
  }
  return out;
}

/* body length of a note (its text up to and including the newline before the last blank line), or null */
function noteSplit(p) {
  if (p.length === 0 || p[p.length - 1] !== NL || !textOk(p, true)) return null;
  let i;
  for (i = p.length - 1; i > 0; i--) if (p[i] === NL && p[i - 1] === NL) break;
  if (i === 0 || i === p.length - 1) return null;
  return sigLines(p, i).every((l) => l.line !== null) ? i : null;
}

function cosigMessage(timestamp, body) {
  return concat(utf8(`${COSIG_HEADER}${timestamp}\n`), body);
}

function verifyBlob(k, blob, body) {
  const so = sodium();
  const ok = (sig, msg) => { try { return so.crypto_sign_verify_detached(sig, msg, k.pk); } catch { return false; } };
  if (!k.isCosigner) return blob.length === 68 && ok(blob.subarray(4), body);
  if (blob.length !== 76 || be64(blob, 4) > TIMESTAMP_MAX) return false;
  return ok(blob.subarray(12), cosigMessage(be64(blob, 4), body));
}

const sameKey = (line, k, nameBytes) => equal(line.name, nameBytes) && be32(line.blob) === k.id;

/**
 * Open a note: split body and signature lines and check the line of each key of keys (name and id). Lines of
 * unknown keys are ignored; a known key's line that does not verify, or no verified known key at all, is
 * BAD_SIGNATURE; a known key with two lines is MALFORMED. Returns { body, bodyLength (bytes), verified
 * (booleans, one per key), timestamps (a cosigner's, else 0) }. Throws MALFORMED, TOO_LARGE, BAD_SIGNATURE, INVALID_ARG.
 */
export function noteOpen(note, keys = []) {
  must(Array.isArray(keys) && keys.every((k) => keyCheck(k, false)), 'INVALID_ARG', 'note keys');
  const p = textBytes(note);
  if (p !== null && p.length > NOTE_MAX) throw new ProtoError('TOO_LARGE');
  const bodyLen = p === null ? null : noteSplit(p);
  if (bodyLen === null) throw new ProtoError('MALFORMED', 'not a signed note');
  const body = p.subarray(0, bodyLen);
  const lines = sigLines(p, bodyLen);
  const verified = [], timestamps = [];
  let any = false;
  for (const k of keys) {
    const nameBytes = utf8(k.name);
    const mine = lines.filter((l) => sameKey(l.line, k, nameBytes));
    if (mine.length > 1) throw new ProtoError('MALFORMED', `two lines of ${k.name}`);
    if (mine.length === 1 && !verifyBlob(k, mine[0].line.blob, body)) throw new ProtoError('BAD_SIGNATURE', k.name);
    verified.push(mine.length === 1);
    timestamps.push(mine.length === 1 && k.isCosigner ? toNum(be64(mine[0].line.blob, 4)) : 0);
    any ||= mine.length === 1;
  }
  if (!any) throw new ProtoError('BAD_SIGNATURE', 'no known key signed it');
  return { body: fromUtf8(body), bodyLength: bodyLen, verified, timestamps };
}

/**
 * Sign a body (or add a signature to a note, replacing an earlier line of the same key) with signer k. A
 * cosigner signs only a checkpoint, "cosignature/v1\ntime <timestamp>\n" || body, at timestamp (POSIX
 * seconds, below 2^63). Returns the note text. Throws INVALID_ARG, MALFORMED, TOO_LARGE.
 */
export function noteSign(bodyOrNote, k, timestamp = 0) {
  must(keyCheck(k, true), 'INVALID_ARG', 'note signer');
  const p = textBytes(bodyOrNote);
  if (p === null) throw new ProtoError('MALFORMED', 'not text');
  if (p.length > NOTE_MAX) throw new ProtoError('TOO_LARGE');
  let bodyLen = noteSplit(p);
  if (bodyLen === null) {
    if (p.length === 0 || p[p.length - 1] !== NL || !textOk(p, true)) throw new ProtoError('MALFORMED', 'a body ends in a newline');
    bodyLen = p.length;
  }
  const body = p.subarray(0, bodyLen);
  const so = sodium();
  const id = Uint8Array.of(k.id >>> 24, (k.id >>> 16) & 0xff, (k.id >>> 8) & 0xff, k.id & 0xff);
  let sig;
  if (k.isCosigner) {
    const ts = typeof timestamp === 'bigint' ? timestamp : Number.isSafeInteger(timestamp) && timestamp >= 0 ? BigInt(timestamp) : -1n;
    must(ts >= 0n && ts <= TIMESTAMP_MAX, 'INVALID_ARG', 'timestamp');
    checkpointParse(body);
    const tsb = Uint8Array.of(...[56n, 48n, 40n, 32n, 24n, 16n, 8n, 0n].map((s) => Number((ts >> s) & 0xffn)));
    sig = concat(id, tsb, so.crypto_sign_detached(cosigMessage(ts, body), k.sk));
  } else {
    sig = concat(id, so.crypto_sign_detached(body, k.sk));
  }
  const nameBytes = utf8(k.name);
  const kept = bodyLen < p.length ? sigLines(p, bodyLen).filter((l) => !sameKey(l.line, k, nameBytes)) : [];
  const out = concat(body, Uint8Array.of(NL), ...kept.map((l) => p.subarray(l.start, l.end + 1)),
    LINE_PREFIX, nameBytes, utf8(` ${b64(sig)}\n`));
  if (out.length > NOTE_MAX) throw new ProtoError('TOO_LARGE');
  return fromUtf8(out);
}
