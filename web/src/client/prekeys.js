/*
 * prekeys.js — this device's prekeys (docs/protocol.md §17; libpostern's src/lib/prekeys.c): a signed
 * prekey replaced every 7 days (its secret kept 7 days more) and a batch of one-time prekeys on the server,
 * each secret erased once the hand-over that used it is opened. Secrets live in the "prekeys" record and are
 * stored before the public halves are uploaded, so that no key on the server lacks its secret here.
 */
import { b64u, unb64u, nowMs } from './util.js';
import * as proto from './protocol.js';

const ONE_TIME_LOW = 50, ONE_TIME_BATCH = 100, ONE_TIME_KEEP = 400;
const SIGNED_ROTATE_MS = 7 * 24 * 3600 * 1000, SIGNED_KEEP_MS = 14 * 24 * 3600 * 1000;

async function load(c) {
	const j = await c.json('prekeys');
	if (!Number.isInteger(j.next_id)) return { next_id: 1, signed: [], one_time: {} };
	return j;
}

/* A new prekey: its secret into store, its signed public half as base64url. */
function make(c, store, kind) {
	const id = store.next_id;
	const { pk, sk } = proto.prekeyNew();
	const text = c.signDevice({ type: proto.ST.PREKEY, deviceId: c.deviceId, op: kind, keyId: id, key: pk, atMs: nowMs() });
	store.next_id = id + 1;
	if (kind === proto.PREKEY.SIGNED) store.signed.push({ id, sk: b64u(sk), at: nowMs() });
	else store.one_time[String(id)] = b64u(sk);
	sk.fill(0);
	return text;
}

function prune(store) {
	for (let i = 0; store.signed.length > 1 && i < store.signed.length - 1;) {
		if (nowMs() - store.signed[i].at > SIGNED_KEEP_MS) store.signed.splice(i, 1);
		else i++;
	}
	const ids = Object.keys(store.one_time).map(Number).sort((a, b) => a - b);
	while (ids.length > ONE_TIME_KEEP) delete store.one_time[String(ids.shift())];
}

/** Keep this device's prekeys topped up on the server (a signed one younger than 7 days, 50+ one-time). */
export async function refill(c) {
	if (!c.keys || !c.deviceId) return;
	const path = c.app ? '/v1/partner/keys' : '/v1/keys'; /* an app's device keeps its prekeys under its grant */
	const count = await c.request('GET', path);
	const store = await load(c);
	prune(store);
	const have = Number(count && count.one_time) || 0;
	const newest = store.signed[store.signed.length - 1];
	let signedText = null;
	if (!newest || (count && count.signed_key_id) !== newest.id || nowMs() - newest.at > SIGNED_ROTATE_MS)
		signedText = make(c, store, proto.PREKEY.SIGNED);
	const want = have < ONE_TIME_LOW ? ONE_TIME_BATCH - have : 0;
	const oneTime = [];
	for (let i = 0; i < want; i++) oneTime.push(make(c, store, proto.PREKEY.ONE_TIME));
	if (!signedText && want === 0) return;
	await c.store.put('prekeys', store); /* the secrets first */
	const body = {};
	if (signedText) body.signed = signedText;
	if (want) body.one_time = oneTime;
	await c.request('POST', path, body);
}

/** The secret halves of prekeys spkId and opkId (0: none): {spkSk, opkSk} or null when erased. */
export async function secret(c, spkId, opkId) {
	const store = await load(c);
	const s = store.signed.find((x) => x.id === spkId);
	const spkSk = s && unb64u(s.sk, { exact: 32 });
	if (!spkSk) return null;
	let opkSk = null;
	if (opkId !== 0) {
		opkSk = unb64u(store.one_time[String(opkId)], { exact: 32 });
		if (!opkSk) return null;
	}
	return { spkSk, opkSk };
}

/** Erase the secret half of one-time prekey opkId after use. */
export async function used(c, opkId) {
	if (!opkId) return;
	const store = await load(c);
	delete store.one_time[String(opkId)];
	await c.store.put('prekeys', store);
}
