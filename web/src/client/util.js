/*
 * util.js — small pure helpers of the web client engine: base64url without padding (the API's and the
 * protocol's text form of bytes), UTF-8, byte comparison, the clock. No network, no storage, no protocol.
 */

const enc = new TextEncoder();
const dec = new TextDecoder('utf-8', { fatal: false });
const decStrict = new TextDecoder('utf-8', { fatal: true });

/** Bytes to base64url text without padding. */
export function b64u(bytes) {
	let s = '';
	for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
	return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/**
 * base64url text (padding tolerated) to bytes; null when text is not a string of that alphabet, or when it
 * decodes to more than max bytes, or (exact given) to other than exact bytes.
 */
export function unb64u(text, { max = Infinity, exact = -1 } = {}) {
	if (typeof text !== 'string' || !/^[A-Za-z0-9_-]*={0,2}$/.test(text)) return null;
	const t = text.replace(/=+$/, '');
	if (t.length % 4 === 1 || Math.floor((t.length * 3) / 4) > max) return null;
	let bin;
	try {
		bin = atob(t.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (t.length % 4)) % 4));
	} catch {
		return null;
	}
	const out = new Uint8Array(bin.length);
	for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
	if (exact >= 0 && out.length !== exact) return null;
	return out;
}

/** UTF-8 bytes of a string. */
export const utf8 = (s) => enc.encode(s);
/** A string from UTF-8 bytes, invalid sequences replaced (as libpostern's utf8_repair). */
export const fromUtf8 = (b) => dec.decode(b);
/** True when bytes are valid UTF-8. */
export function isUtf8(b) {
	try {
		decStrict.decode(b);
		return true;
	} catch {
		return false;
	}
}

/** Equal byte arrays (not constant time: for public values; secrets go through sodium.memcmp). */
export function bytesEqual(a, b) {
	if (!a || !b || a.length !== b.length) return false;
	let d = 0;
	for (let i = 0; i < a.length; i++) d |= a[i] ^ b[i];
	return d === 0;
}

/** The wall clock in ms since the epoch. */
export const nowMs = () => Date.now();

/** Thread, message and share ids name store records: the server's alphabet only, 1..64 bytes (as e2ee.c). */
export const idOk = (id) => typeof id === 'string' && /^[A-Za-z0-9_-]{1,64}$/.test(id);

/** Sleep ms milliseconds. */
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
