/*
 * merkle.js — the Merkle trees of the transparency log (RFC 9162 §2.1; src/proto/proto_merkle.c): leaf and
 * node hashes, the tree hash of the first n entries, inclusion and consistency proofs built from the hashes
 * of aligned power-of-two subtrees (the caller's `subtree(start, end)` callback, as the C's), their
 * verification exactly as RFC 9162 §2.1.3.2 and §2.1.4.2 write it, and the compact frontier a client keeps
 * while it scans the log. Sizes and indices are Numbers or BigInts below 2^63; arithmetic is done in BigInt.
 */
import { ProtoError, must } from './errors.js';
import { checkBytes, concat, equal } from './bytes.js';
import { sodium } from './sodium.js';

export const MERKLE_HASH_BYTES = 32;
export const MERKLE_PROOF_MAX = 64;
export const LOG_LEAF_MAX = 128;
const SIZE_LIMIT = 1n << 63n;

function big(v, what) {
  must((typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) || (typeof v === 'bigint' && v >= 0n), 'INVALID_ARG', what);
  return BigInt(v);
}

/** MTH({}): SHA-256 of nothing. */
export function emptyRoot() {
  return sodium().crypto_hash_sha256(new Uint8Array(0));
}

/** SHA-256(0x00 || leaf). Throws INVALID_ARG, TOO_LARGE (over 128 bytes). */
export function leafHash(leaf) {
  checkBytes(leaf, undefined, 'leaf');
  if (leaf.length > LOG_LEAF_MAX) throw new ProtoError('TOO_LARGE');
  return sodium().crypto_hash_sha256(concat(Uint8Array.of(0), leaf));
}

/** SHA-256(0x01 || left || right). */
export function nodeHash(left, right) {
  return sodium().crypto_hash_sha256(concat(Uint8Array.of(1), left, right));
}

/* k of RFC 9162 §2.1.1: the largest power of two smaller than n (n >= 2). */
function splitPoint(n) {
  let k = 1n;
  while (k << 1n < n) k <<= 1n;
  return k;
}

function callSubtree(fn, start, end) {
  let h;
  try {
    h = fn(start, end);
  } catch {
    throw new ProtoError('CRYPTO', 'the subtree callback failed');
  }
  if (!(h instanceof Uint8Array) || h.length !== 32) throw new ProtoError('CRYPTO', 'the subtree callback failed');
  return h;
}

/* MTH(D[start:end]) from its maximal aligned subtrees, taken from the right and folded in. */
function rangeHash(fn, start, end) {
  let left = end - start, cur = end, acc = null;
  while (left > 0n) {
    const width = left & -left;
    const sub = callSubtree(fn, cur - width, cur);
    acc = acc === null ? sub : nodeHash(sub, acc);
    cur -= width;
    left -= width;
  }
  return acc;
}

/** MTH of the first size leaves; subtree(start, end) (BigInts) returns a 32-byte hash. */
export function merkleRoot(size, subtree) {
  const n = big(size, 'size');
  must(typeof subtree === 'function' && n < SIZE_LIMIT, 'INVALID_ARG', 'size or callback');
  return n === 0n ? emptyRoot() : rangeHash(subtree, 0n, n);
}

function emit(fn, ranges) {
  return ranges.reverse().map(([lo, hi]) => rangeHash(fn, lo, hi));
}

/** The inclusion proof of leaf index in the tree of size leaves, in the RFC's order. */
export function inclusionProof(index, size, subtree) {
  let m = big(index, 'index');
  const n = big(size, 'size');
  must(typeof subtree === 'function' && n < SIZE_LIMIT && m < n, 'INVALID_ARG', 'index or size');
  const ranges = [];
  let start = 0n, end = n;
  while (end - start > 1n) {
    const k = splitPoint(end - start);
    if (m < k) { ranges.push([start + k, end]); end = start + k; } else { ranges.push([start, start + k]); start += k; m -= k; }
  }
  return emit(subtree, ranges);
}

/** The consistency proof from size first to size second (empty when first is 0 or equal). */
export function consistencyProof(first, second, subtree) {
  let m = big(first, 'first');
  const n = big(second, 'second');
  must(typeof subtree === 'function' && n < SIZE_LIMIT && m <= n, 'INVALID_ARG', 'sizes');
  if (m === 0n || m === n) return [];
  const ranges = [];
  let start = 0n, end = n, known = true;
  for (;;) {
    if (m === end - start) {
      if (!known) ranges.push([start, end]);
      break;
    }
    const k = splitPoint(end - start);
    if (m <= k) { ranges.push([start + k, end]); end = start + k; } else { ranges.push([start, start + k]); start += k; m -= k; known = false; }
  }
  return emit(subtree, ranges);
}

function checkProof(proof) {
  must(Array.isArray(proof), 'INVALID_ARG', 'proof');
  proof.forEach((p) => checkBytes(p, 32, 'proof hash'));
}

/** Verify an inclusion proof (RFC 9162 §2.1.3.2). Throws BAD_SIGNATURE when it does not prove it, INVALID_ARG. */
export function verifyInclusion(index, size, leaf, proof, root) {
  let fn = big(index, 'index');
  const n = big(size, 'size');
  checkBytes(leaf, 32, 'leaf hash');
  checkBytes(root, 32, 'root');
  checkProof(proof);
  must(fn < n, 'INVALID_ARG', 'index >= size');
  let sn = n - 1n, r = leaf;
  for (const p of proof) {
    if (sn === 0n) throw new ProtoError('BAD_SIGNATURE', 'proof longer than the path');
    if ((fn & 1n) || fn === sn) {
      r = nodeHash(p, r);
      while (!(fn & 1n) && fn !== 0n) { fn >>= 1n; sn >>= 1n; }
    } else {
      r = nodeHash(r, p);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  if (!(sn === 0n && equal(r, root))) throw new ProtoError('BAD_SIGNATURE');
}

/** Verify a consistency proof (RFC 9162 §2.1.4.2; outside 0 < first < second only an empty proof of equal heads). */
export function verifyConsistency(first, second, firstRoot, secondRoot, proof) {
  const f = big(first, 'first'), s = big(second, 'second');
  checkBytes(firstRoot, 32, 'first root');
  checkBytes(secondRoot, 32, 'second root');
  checkProof(proof);
  must(f <= s, 'INVALID_ARG', 'first > second');
  const bad = () => { throw new ProtoError('BAD_SIGNATURE'); };
  if (f === 0n) { if (!(proof.length === 0 && equal(firstRoot, emptyRoot()))) bad(); return; }
  if (f === s) { if (!(proof.length === 0 && equal(firstRoot, secondRoot))) bad(); return; }
  if (proof.length === 0) bad();
  const path = (f & (f - 1n)) === 0n ? [firstRoot, ...proof] : proof;
  let fn = f - 1n, sn = s - 1n;
  while (fn & 1n) { fn >>= 1n; sn >>= 1n; }
  let fr = path[0], sr = path[0];
  for (let i = 1; i < path.length; i++) {
    const c = path[i];
    if (sn === 0n) bad();
    if ((fn & 1n) || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      while (!(fn & 1n) && fn !== 0n) { fn >>= 1n; sn >>= 1n; }
    } else {
      sr = nodeHash(sr, c);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  if (!(sn === 0n && equal(fr, firstRoot) && equal(sr, secondRoot))) bad();
}

function popcount(x) {
  let c = 0;
  for (; x; x &= x - 1n) c++;
  return c;
}

/** An empty frontier: { size (BigInt), hash: [] } — one hash per set bit of size, the largest subtree first. */
export function frontierInit() {
  return { size: 0n, hash: [] };
}

/** Append a leaf hash to frontier f (in place). Throws INVALID_ARG (inconsistent), TOO_LARGE. */
export function frontierAppend(f, leaf) {
  must(f && typeof f.size === 'bigint' && Array.isArray(f.hash) && f.hash.length === popcount(f.size), 'INVALID_ARG', 'frontier');
  checkBytes(leaf, 32, 'leaf hash');
  if (f.size >= SIZE_LIMIT - 1n) throw new ProtoError('TOO_LARGE');
  let h = leaf;
  for (let s = f.size; s & 1n; s >>= 1n) h = nodeHash(f.hash.pop(), h);
  f.hash.push(h);
  f.size += 1n;
}

/** MTH of the leaves appended to f. */
export function frontierRoot(f) {
  must(f && typeof f.size === 'bigint' && Array.isArray(f.hash) && f.hash.length === popcount(f.size), 'INVALID_ARG', 'frontier');
  if (f.hash.length === 0) return emptyRoot();
  let acc = f.hash[f.hash.length - 1];
  for (let i = f.hash.length - 1; i > 0; i--) acc = nodeHash(f.hash[i - 1], acc);
  return acc;
}
