/*
 * e2ee.js — end-to-end encryption in the web client (libpostern's src/lib/e2ee.c): sending (sharing or
 * rotating this device's sender-key session for a thread, encrypting, posting), receiving session
 * hand-overs from the event log, decrypting messages and checking them as docs/protocol.md §18 asks (sender,
 * thread, order, membership). Whom to encrypt to and whose keys to accept come from chain.js and trust.js,
 * never from the server's lists. Records kept (all secret, sealed at rest by a SealedStore):
 *   out.T    this device's outbound session for thread T (protocol state bytes, base64url)
 *   in.T     the inbound sessions received for T, each with the account whose verified device handed it over
 *   plain.T  texts already decrypted, by message id, with what the checks found (a message key is used once)
 *   seen.T   T's readers as last seen, to tell the person when they change
 * In app mode (a partner app's engine, app.js) the same code runs over the partner routes: key claims and
 * hand-overs within the grant's threads, the app's own sync. It must not encrypt to a device chain.js did
 * not verify, nor show a text whose signer it could not verify.
 */
import { PstError, Status } from './errors.js';
import { b64u, unb64u, utf8, isUtf8, nowMs, idOk } from './util.js';
import { pathOf } from './http.js';
import * as proto from './protocol.js';
import * as prekeys from './prekeys.js';
import { threadLoad, threadSender, threadName, knowsHead } from './chain.js';
import { personGet } from './trust.js';
import * as tlog from './tlog.js';

const MAX_INBOUND = 256;
export const TEXT_MAX = 65024;

/** Message flags, as pst_message.flags (PST_MSG_*). */
export const MsgFlag = Object.freeze({ RELABELLED: 1, OUT_OF_ORDER: 2, GAP: 4, UNKNOWN_HEAD: 8, UNVERIFIED: 16 });

/* ---- inbound sessions of a thread, each with its owner ---- */

async function inboundLoad(c, thread) {
	const recs = await c.store.get(`in.${thread}`);
	const set = [];
	for (const r of (Array.isArray(recs) ? recs : []).slice(0, MAX_INBOUND)) {
		const bytes = unb64u(r && r.state);
		const s = bytes && proto.attempt(() => proto.inboundLoad(bytes));
		if (s && typeof r.owner === 'string') set.push({ s, owner: r.owner });
	}
	return set;
}

async function inboundSave(c, thread, set) {
	await c.store.put(`in.${thread}`, set.map((x) => ({ owner: x.owner, state: b64u(proto.inboundSave(x.s)) })));
}

/* Add in (handed over by owner's device), replacing a copy of the same session that starts later. */
async function inboundAdd(c, inb, owner) {
	const set = await inboundLoad(c, inb.threadId);
	const i = set.findIndex((x) => x.s.senderDeviceId === inb.senderDeviceId && b64u(x.s.sessionId) === b64u(inb.sessionId));
	if (i >= 0) {
		if (inb.startIndex < set[i].s.startIndex) set[i].s = inb;
	} else if (set.length < MAX_INBOUND) set.push({ s: inb, owner });
	await inboundSave(c, inb.threadId, set);
}

/* ---- the plaintext cache ---- */

const plainLoad = (c, thread) => c.json(`plain.${thread}`);

async function plainPut(c, thread, messageId, text) {
	const cache = await plainLoad(c, thread);
	cache[messageId] = { t: text, s: c.userId, f: 0 };
	await c.store.put(`plain.${thread}`, cache);
}

/* Tell the person when the readers of a thread change (never silently). */
async function readersNotice(c, t) {
	const ids = t.readers.map((d) => d.deviceId);
	const old = await c.store.get(`seen.${t.threadId}`);
	const same = Array.isArray(old) && old.length === ids.length && old.every((x, i) => x === ids[i]);
	if (Array.isArray(old) && !same) {
		const added = ids.filter((x) => !old.includes(x)).length, removed = old.filter((x) => !ids.includes(x)).length;
		c.notice = `the devices that can read thread ${t.threadId} changed: ${added} added, ${removed} removed (each one approved by its owner's identity key)`;
	}
	if (!same) await c.store.put(`seen.${t.threadId}`, ids);
}

/* ---- sending ---- */

function prekeyOk(text, d, kind) {
	const bin = unb64u(text, { max: proto.STATEMENT_MAX });
	const st = bin && proto.attempt(() => proto.statementVerify(bin, proto.ST.PREKEY, d.signPk));
	return st && st.op === kind && st.deviceId === d.deviceId && st.keyId !== 0 ? st : null;
}

/* Share s with every reader of t, one container each, in one to-device request. */
async function handOver(c, s, t) {
	if (t.readers.length === 0) return;
	const claim = await c.request('POST', c.app ? '/v1/partner/keys/claim' : '/v1/keys/claim', { devices: t.readers.map((d) => d.deviceId) });
	const keys = (claim && claim.keys) || {};
	const msgs = [];
	let skipped = 0;
	for (const d of t.readers) {
		const k = keys[d.deviceId] || {};
		const spk = prekeyOk(k.signed, d, proto.PREKEY.SIGNED);
		if (!spk) {
			skipped++;
			continue;
		}
		const opk = typeof k.one_time === 'string' ? prekeyOk(k.one_time, d, proto.PREKEY.ONE_TIME) : null;
		const sealed = proto.attempt(() => proto.handoverSeal(s, c.keys.signSk, d.deviceId, d.boxPk, spk.keyId, spk.key, opk ? opk.keyId : 0, opk ? opk.key : null));
		if (!sealed) {
			skipped++;
			continue;
		}
		/* an app hands keys only within its grant's threads: each message names the thread */
		msgs.push(c.app ? { device_id: d.deviceId, thread_id: t.threadId, body: b64u(sealed) } : { device_id: d.deviceId, body: b64u(sealed) });
	}
	if (skipped)
		c.notice = `${skipped} device${skipped === 1 ? '' : 's'} in thread ${t.threadId} could not get the keys (no prekeys published yet): they cannot read this message`;
	if (msgs.length) await c.request('POST', c.app ? '/v1/partner/to-device' : '/v1/to-device', { messages: msgs });
}

/**
 * Encrypt text (a string) for the verified readers of threadId: this device's session, replaced and handed
 * over when it must rotate (100 messages, 7 days, other readers, another membership head). Refused with
 * nothing sent when the thread cannot be verified or someone's identity changed. Returns the envelope,
 * base64url. Runs under the store lock.
 */
export async function sealForThread(c, threadId, bytes) {
	if (!c.token || !c.keys || !c.deviceId) throw new PstError(Status.AUTH, 'not logged in with a registered device');
	return c.locked(async () => {
		const people = new Map();
		const t = await threadLoad(c, people, threadId);
		await tlog.saveProven(c);
		if (t.problem) throw new PstError(t.problemStatus, `${t.problem}; nothing was sent`);
		await readersNotice(c, t);
		if (!c.notice && t.notice) c.notice = t.notice;
		const hash = proto.recipientsHash(t.readers.map((d) => d.deviceId));
		const saved = unb64u(await c.store.get(`out.${threadId}`));
		let s = saved && proto.attempt(() => proto.outboundLoad(saved));
		const now = nowMs();
		if (!s || proto.outboundMustRotate(s, now, hash) !== 0 || b64u(s.head) !== b64u(t.head)) {
			s = proto.outboundNew(threadId, c.deviceId, hash, now);
			s.head = t.head.slice();
			await inboundAdd(c, proto.inboundFromOutbound(s, c.keys.signPk), c.userId || 'app'); /* to read its own messages */
			await handOver(c, s, t);
		}
		const env = proto.encrypt(s, c.keys.signSk, bytes);
		await c.store.put(`out.${threadId}`, b64u(proto.outboundSave(s))); /* an index is never used twice */
		return b64u(env);
	});
}

/** A fresh client_msg_id. */
export function newCmid() {
	const r = new Uint8Array(12);
	globalThis.crypto.getRandomValues(r);
	return b64u(r);
}

/** pst_send_text: returns the new message id. */
export async function sendText(c, threadId, text) {
	if (!idOk(threadId) || typeof text !== 'string') throw new PstError(Status.INVALID, 'a thread id and a text are required');
	c.notice = '';
	const bytes = utf8(text);
	if (bytes.length > TEXT_MAX) throw new PstError(Status.INVALID, `the text is longer than ${TEXT_MAX} bytes`);
	const body = await sealForThread(c, threadId, bytes);
	const out = await c.request('POST', pathOf('/v1/threads/%s/messages', threadId), { client_msg_id: newCmid(), body });
	const mid = out && out.message_id;
	if (typeof mid === 'string') await c.locked(() => plainPut(c, threadId, mid, text));
	return mid;
}

/** Remember the text of a message this client sent (its key was used once): pst__remember_sent. */
export function rememberSent(c, threadId, messageId, text) {
	if (!idOk(threadId) || typeof messageId !== 'string') return Promise.resolve();
	return c.locked(() => plainPut(c, threadId, messageId, text));
}

/* ---- receiving ---- */

/**
 * A session hand-over event from another device: opened with this device's prekeys and kept only when its
 * sender is a verified device of a member of that thread. Anything else is dropped. Call under the lock.
 */
export async function takeHandover(c, ev) {
	const fromUser = ev && ev.from_user_id, fromDev = ev && ev.from_device_id;
	const sealed = unb64u(ev && ev.body, { max: proto.HANDOVER_SEALED_MAX });
	if (typeof fromUser !== 'string' || typeof fromDev !== 'string' || !sealed) return;
	const peek = proto.attempt(() => proto.handoverPeek(sealed));
	if (!peek || peek.recipient !== c.deviceId) return;
	const sec = await prekeys.secret(c, peek.spkId, peek.opkId);
	if (!sec) return;
	const people = new Map();
	const hint = typeof ev.thread_id === 'string' && idOk(ev.thread_id) ? ev.thread_id : null;
	let t = null, sender = null;
	if (hint) {
		t = await threadLoad(c, people, hint);
		sender = threadSender(t, fromDev);
	} else if (!c.app) {
		const p = await personGet(c, people, fromUser).catch((e) => (e.code === Status.NOT_FOUND ? null : Promise.reject(e)));
		sender = p ? p.devices.find((d) => d.deviceId === fromDev) || null : null;
	} else { /* an app: the sender must be a verified reader of one of its grant's threads */
		const all = await c.request('GET', '/v1/partner/threads');
		for (const x of all && Array.isArray(all.threads) ? all.threads : []) {
			if (sender || !x || !idOk(x.thread_id)) continue;
			t = await threadLoad(c, people, x.thread_id).catch(() => null);
			sender = t ? threadSender(t, fromDev) : null;
		}
	}
	if (!sender) return;
	const opened = proto.attempt(() => proto.handoverOpen(sealed, c.keys, sec.spkSk, peek.opkId ? sec.opkSk : null, c.deviceId, fromDev, sender.signPk, hint));
	if (!opened || !idOk(opened.inbound.threadId)) return;
	await prekeys.used(c, peek.opkId); /* a copy of this hand-over never opens again */
	if (!t || t.threadId !== opened.inbound.threadId) t = await threadLoad(c, people, opened.inbound.threadId);
	const s2 = threadSender(t, fromDev); /* the sender must be one of that thread's verified senders now */
	if (!s2) return;
	await inboundAdd(c, opened.inbound, s2.userId);
}

/** Process a page of events (hand-overs) and move the cursor. */
async function processEvents(c, events) {
	let took = false;
	await c.locked(async () => {
		for (const ev of events) {
			if (ev && ev.type === 'to_device') {
				await takeHandover(c, ev).catch(() => {});
				took = true;
			}
			if (ev && typeof ev.cursor === 'string') c.cursor = ev.cursor;
		}
		await c.saveSession();
	});
	if (took) await prekeys.refill(c); /* one-time keys were used up */
}

/** pst_sync: process pending events once (key hand-overs) without waiting. */
export async function sync(c, identityReady) {
	c.needLogin();
	if (!c.app && c.deviceId && !c.approved) {
		try {
			await identityReady(c);
		} catch (e) {
			if (e.code !== Status.APPROVAL) throw e;
		}
	}
	for (let rounds = 0; rounds < 100; rounds++) {
		const out = await c.request('GET', `${c.app ? '/v1/partner/sync' : '/v1/sync'}?limit=500${c.cursor ? '&since=' + encodeURIComponent(c.cursor) : ''}`);
		const events = out && Array.isArray(out.events) ? out.events : [];
		await processEvents(c, events);
		if (events.length < 500) break;
	}
	await tlog.saveProven(c);
}

/* The shape of a decrypted message the engine hands out (postern.h's pst_message, in camelCase). */
function messageOf(m) {
	const str = (k) => (typeof m[k] === 'string' ? m[k] : null);
	return {
		/* the partner API names the sender "sender" (a pairwise id), the person's API "sender_id" */
		messageId: str('message_id'), threadId: str('thread_id'), senderId: str('sender_id') || str('sender'), senderDeviceId: str('sender_device_id'),
		kind: str('kind'), item: str('item'), shareId: str('share_id'), appLabel: m.app && typeof m.app.name === 'string' ? m.app.name : null,
		seq: Number.isInteger(m.seq) ? m.seq : 0, createdAt: str('created_at'), deleted: m.deleted === true,
		text: null, error: null, decrypt: 'PST_OK', flags: 0, notice: null,
	};
}

function addNotice(out, flag, text) {
	out.flags |= flag;
	out.notice = out.notice ? `${out.notice} ${text}` : text;
}

function applyFindings(out, signer, serverSender) {
	if (signer && signer !== serverSender) out.senderId = signer; /* the person whose device signed it */
}

/* Decrypt one message (JSON from the API) of thread t (verified already). Call under the lock. */
async function decryptLocked(c, t, m) {
	const out = messageOf(m);
	const body = m.body, thread = m.thread_id, mid = m.message_id, senderDev = m.sender_device_id, serverSender = out.senderId;
	if (out.deleted || typeof body !== 'string' || !idOk(thread) || typeof mid !== 'string') return out;
	const cache = await plainLoad(c, thread);
	const hit = cache[mid];
	if (hit && typeof hit.t === 'string') {
		out.text = hit.t;
		out.flags = hit.f | 0;
		out.notice = hit.n || null;
		applyFindings(out, hit.s, serverSender);
		return out;
	}
	out.decrypt = Status.CRYPTO;
	out.error = 'cannot decrypt';
	const env = unb64u(body, { max: proto.ENVELOPE_MAX });
	if (typeof senderDev !== 'string' || !env) return out;
	const set = await inboundLoad(c, thread);
	const peek = proto.attempt(() => proto.envelopeDecode(env));
	let before = 0, haveBefore = false;
	if (peek) for (const x of set) if (x.s.senderDeviceId === peek.senderDeviceId && b64u(x.s.sessionId) === b64u(peek.sessionId)) {
		before = x.s.nextIndex;
		haveBefore = x.s.nextIndex > x.s.startIndex;
	}
	let r;
	try {
		r = proto.decrypt(set.map((x) => x.s), thread, senderDev, env);
	} catch (e) {
		if (!proto.isProtoError(e)) throw e;
		if (['UNKNOWN_SESSION', 'BEFORE_SESSION', 'KEY_DISCARDED'].includes(e.code)) {
			out.decrypt = Status.NO_KEY;
			out.error = 'cannot decrypt: no key for this message (sent before this device could read it)';
		} else if (e.code === 'VERSION') addNotice(out, 0, 'Sent with protocol version 1, which this client does not read.');
		else if (e.code === 'WRONG_THREAD') addNotice(out, 0, 'This message was written for another conversation: not shown.');
		else if (e.code === 'BAD_SIGNATURE' || e.code === 'WRONG_SENDER') out.error = 'not from a verified device';
		return out;
	}
	const signer = set[r.which].owner;
	if (haveBefore && r.info.index < before) addNotice(out, MsgFlag.OUT_OF_ORDER, 'This message arrived after a later one from the same sender (out of order).');
	out.text = proto.plaintextToText(r.plaintext); /* §5: repaired byte by byte as libpostern does, a NUL ends it */
	out.decrypt = 'PST_OK';
	out.error = null;
	if (signer && serverSender && signer !== serverSender)
		addNotice(out, MsgFlag.RELABELLED, `The server labelled this message as sent by ${threadName(t, serverSender)}, but it was signed by a device of ${threadName(t, signer)}.`);
	if (t && !knowsHead(t, r.info.head))
		addNotice(out, MsgFlag.UNKNOWN_HEAD, 'It was sent under a list of members this device never saw (the server may be showing people different member lists).');
	applyFindings(out, signer, serverSender);
	/* the text is kept before the key state: the key is erased only once the text it opened is kept */
	cache[mid] = { t: out.text, s: signer, f: out.flags, n: out.notice };
	await c.store.put(`plain.${thread}`, cache);
	await inboundSave(c, thread, set);
	return out;
}

/** Decrypt one message of the API (t: its verified thread, or null to load it). Never rejects for crypto. */
export async function decryptMessage(c, t, m) {
	if (!t && idOk(m && m.thread_id)) t = await threadLoad(c, new Map(), m.thread_id).catch(() => null);
	return c.locked(() => decryptLocked(c, t, m));
}

/* Gaps (§18): indexes skipped between two readable messages of one sender session, beyond deletions. */
function findGaps(t, list, msgs) {
	const hdr = list.map((m, i) => {
		if (msgs[i].text === null) return null;
		const env = unb64u(m.body, { max: proto.ENVELOPE_MAX });
		return env && proto.attempt(() => proto.envelopeDecode(env));
	});
	for (let i = 0; i < msgs.length; i++) {
		if (!hdr[i]) continue;
		let prev = -1;
		for (let j = 0; j < msgs.length; j++)
			if (j !== i && hdr[j] && hdr[j].senderDeviceId === hdr[i].senderDeviceId && b64u(hdr[j].sessionId) === b64u(hdr[i].sessionId) &&
				hdr[j].index < hdr[i].index && (prev < 0 || hdr[j].index > hdr[prev].index)) prev = j;
		if (prev < 0 || hdr[i].index <= hdr[prev].index + 1) continue;
		let deleted = 0;
		for (let k = Math.min(prev, i) + 1; k < Math.max(prev, i); k++)
			if (msgs[k].deleted && msgs[k].senderDeviceId === hdr[i].senderDeviceId) deleted++;
		const missing = hdr[i].index - hdr[prev].index - 1 - deleted;
		if (missing <= 0) continue;
		addNotice(msgs[i], MsgFlag.GAP, `${missing} message${missing === 1 ? '' : 's'} from ${msgs[i].senderId ? threadName(t, msgs[i].senderId) : 'this sender'} ${missing === 1 ? 'is' : 'are'} missing before this one.`);
	}
}

/** pst_read_before: up to limit messages before beforeSeq (0: the newest), decrypted, oldest first. */
export async function readBefore(c, threadId, beforeSeq, limit, identityReady) {
	if (!idOk(threadId) || !Number.isInteger(limit) || limit < 1 || limit > 200 || !Number.isInteger(beforeSeq) || beforeSeq < 0)
		throw new PstError(Status.INVALID, 'a thread id, a limit of 1 to 200 and a seq of 0 or more are required');
	c.notice = '';
	await sync(c, identityReady); /* take any key hand-overs first */
	const t = await threadLoad(c, new Map(), threadId);
	await tlog.saveProven(c);
	if (t.problem) c.notice = t.problem;
	else await c.locked(() => readersNotice(c, t));
	if (!c.notice && t.notice) c.notice = t.notice;
	if (beforeSeq === 0) beforeSeq = (Number(t.view && t.view.last_seq) || 0) + 1;
	const out = await c.request('GET', pathOf('/v1/threads/%s/messages', threadId) + `?before=${beforeSeq}&limit=${limit}`);
	const list = out && Array.isArray(out.messages) ? out.messages : [];
	const msgs = [];
	for (const m of list) msgs.push(await c.locked(() => decryptLocked(c, t, m)));
	findGaps(t, list, msgs);
	return msgs;
}

export { isUtf8 };
