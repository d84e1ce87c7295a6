/*
 * chain.js — a thread as this client verifies it (docs/protocol.md §15-§16; libpostern's src/lib/chain.c):
 * its members computed from the signed membership chain (each link checked against a device its actor's
 * pinned identity certified, the thread id against the chain's first link, the whole chain against the
 * newest head this client pinned in "chain.T"), and its readers from those members' verified devices. The
 * server's lists of members and devices are read, never believed. Also: making the links this client signs.
 * Partner-app devices are readers only where the person's identity key authorised them (APP_AUTH, not
 * revoked, logged) and, for another person's app, where this person signed their consent (APP_CONSENT). A
 * client in app mode (app.js) sees a thread as the app does (appSideLoad): people by pairwise ids, each
 * identity key pinned on first use, their certified devices as readers.
 */
import sodium from 'libsodium-wrappers-sumo';
import { PstError, Status } from './errors.js';
import { b64u, unb64u, bytesEqual, nowMs } from './util.js';
import { pathOf } from './http.js';
import { stmtBytes, statementOk } from './state.js';
import * as proto from './protocol.js';
import * as tlog from './tlog.js';
import { personGet, deviceCheck, pinLocal, Id } from './trust.js';

const ZERO_HEAD = new Uint8Array(32);

/** The first reason is the one to tell. */
function problem(t, status, text) {
	if (t.problem) return;
	t.problem = text;
	t.problemStatus = status;
}

const nameOf = (p) => p.username || p.userId;

function addDevice(list, d) {
	if (!list.some((x) => x.deviceId === d.deviceId)) list.push(d);
}

/* The device object a list holds for (user, device); user '' matches any. */
function chainDevice(devices, userId, deviceId) {
	return (Array.isArray(devices) ? devices : []).find((d) => d && d.device_id === deviceId && (!userId || d.user_id === userId)) || null;
}

/* Restore the chain state pinned for t (0 links when none). */
async function chainRestore(c, t) {
	const j = await c.store.get(`chain.${t.threadId}`);
	t.chain = proto.chainInit();
	t.heads = [];
	if (!j) return;
	const heads = Array.isArray(j.heads) ? j.heads.map((h) => unb64u(h, { exact: 32 })) : null;
	if (!heads || heads.some((h) => h === null) || !Array.isArray(j.members) || !Array.isArray(j.ever) || typeof j.creator !== 'string')
		throw new PstError(Status.STORE, `chain.${t.threadId} in the store is damaged`);
	t.heads = heads;
	Object.assign(t.chain, {
		members: j.members.slice(), ever: j.ever.slice(), kind: j.kind, creator: j.creator, threadId: j.thread_id || '',
		length: heads.length, head: heads.length ? heads[heads.length - 1].slice() : new Uint8Array(32),
	});
	if ('nMembers' in t.chain) t.chain.nMembers = j.members.length;
	if ('nEver' in t.chain) t.chain.nEver = j.ever.length;
}

async function chainSave(c, t) {
	await c.store.put(`chain.${t.threadId}`, {
		heads: t.heads.map(b64u), members: t.chain.members.slice(), ever: t.chain.ever.slice(), kind: t.chain.kind,
		creator: t.chain.creator, thread_id: t.chain.threadId,
	});
}

/*
 * Verify the chain answer into t: the pinned prefix by its head hash, every newer link by its signer's
 * certified device and the rules. A link that does not verify stops the chain there (t.problem says so). A
 * server answer that does not continue the pinned chain is PST_ERR_UNTRUSTED.
 */
async function chainVerify(c, people, answer, t) {
	const links = Array.isArray(answer && answer.links) ? answer.links : [];
	await chainRestore(c, t);
	const pinned = t.heads.length;
	if (pinned > 0) {
		const bin = pinned <= links.length ? stmtBytes(links[pinned - 1]) : null;
		if (!bin || !bytesEqual(proto.statementHash(bin), t.heads[pinned - 1]))
			throw new PstError(Status.UNTRUSTED, `the server shows a history of this conversation's members that does not continue the one this device saw before (${pinned} changes): it was rewritten or cut; nothing was sent`);
	}
	for (let i = pinned; i < links.length; i++) {
		const bin = stmtBytes(links[i]);
		const st = bin && proto.attempt(() => proto.statementParse(bin, proto.ST.LINK));
		if (!st) {
			problem(t, Status.UNTRUSTED, 'the member list of this conversation holds a change that is not a valid signed link');
			break;
		}
		let actor;
		try {
			actor = await personGet(c, people, st.actorUserId);
		} catch (e) {
			if (e.code !== Status.NOT_FOUND) throw e;
			problem(t, Status.UNTRUSTED, 'a change to the members of this conversation names an account the server does not show');
			break;
		}
		const signer = chainDevice(answer.devices, st.actorUserId, st.actorDeviceId) || chainDevice(actor.listing.devices, '', st.actorDeviceId);
		const dev = signer && actor.pinnedPk && deviceCheck(signer, actor.userId, actor.pinnedPk, null);
		let hash = null;
		const ok = dev && proto.attempt(() => {
			const v = proto.statementVerify(bin, proto.ST.LINK, dev.signPk);
			hash = proto.statementHash(bin);
			const next = proto.chainApply(t.chain, v, hash);
			if (next && typeof next === 'object') t.chain = next;
			return true;
		});
		if (!ok) {
			if (actor.state === Id.CHANGED) problem(t, Status.IDENTITY, `${nameOf(actor)}'s identity key changed: check it (contactAccept or contactVerify)`);
			else problem(t, Status.UNTRUSTED, `a change to the members of this conversation is not signed by a device of ${nameOf(actor)}: the server's member list is not used`);
			break;
		}
		t.heads.push(hash);
	}
	if (t.chain.length > 0 && t.chain.threadId !== t.threadId) {
		problem(t, Status.UNTRUSTED, "this conversation's member list belongs to another conversation");
		t.chain.length = 0;
		t.chain.members = [];
		t.heads = [];
		return;
	}
	t.head = t.chain.length ? t.chain.head.slice() : ZERO_HEAD;
	if (t.heads.length > pinned) await chainSave(c, t);
}

/* This person's latest signed answer (1 accept, 0 refuse) to the app clientId in thread threadId, or -1. */
function myConsent(c, view, threadId, clientId) {
	let newest = -1, answer = -1;
	if (!c.identity) return -1;
	const consents = view && view.app && Array.isArray(view.app.consents) ? view.app.consents : [];
	for (const x of consents) {
		if (!x || x.user_id !== c.userId) continue;
		const st = statementOk(x.statement, proto.ST.APP_CONSENT, c.identity.pk);
		if (st && st.threadId === threadId && st.clientId === clientId && Number(st.atMs) >= newest) {
			newest = Number(st.atMs);
			answer = st.op;
		}
	}
	return answer;
}

/*
 * One app device d of the app thread t (libpostern's chain.c app_device): a sender once its person's pinned
 * identity signed an authorisation for exactly this device, app and thread, unexpired, logged and not
 * revoked; a reader too when it is this person's own app or this person accepted that app here.
 */
async function appDevice(c, people, t, d) {
	const uid = d && d.user_id, did = d && d.device_id;
	if (typeof uid !== 'string' || typeof did !== 'string' || did.length > 64 || !t.members.includes(uid)) return;
	let p;
	try {
		p = await personGet(c, people, uid);
	} catch (e) {
		if (e.code === Status.NOT_FOUND) return;
		throw e;
	}
	if (p.state === Id.NONE || p.state === Id.CHANGED) return;
	const signPk = unb64u(d.sign_pk, { exact: 32 }), boxPk = unb64u(d.box_pk, { exact: 32 });
	if (!signPk || !boxPk) return;
	const bin = stmtBytes(d.authorisation);
	const st = bin && proto.attempt(() => proto.statementVerify(bin, proto.ST.APP_AUTH, p.pinnedPk));
	if (!st || st.deviceId !== did || !bytesEqual(st.key, signPk) || !bytesEqual(st.key2, boxPk) || st.clientId !== t.appClientId ||
	    Number(st.expiresMs) <= nowMs())
		return;
	try { /* an authorisation the server shows but never logged is one the person's own devices never saw */
		await tlog.proveStatement(c, uid, bin);
	} catch (e) {
		if (e.code === Status.NOT_FOUND) return;
		throw e;
	}
	if (st.ids.length > 0 && !st.ids.includes(t.threadId)) return;
	const rev = statementOk(d.revocation, proto.ST.APP_REVOKE, p.pinnedPk);
	if (rev && rev.deviceId === did) return;
	const dev = { deviceId: did, userId: uid, signPk, boxPk, app: true, clientId: st.clientId };
	addDevice(t.senders, dev);
	if (uid === c.userId || myConsent(c, t.view, t.threadId, t.appClientId) === 1) addDevice(t.readers, dev);
}

/*
 * A thread as a partner app sees it (app mode; chain.c app_side_load): from the grant's list, its people by
 * pairwise ids, each identity key pinned here on first use, a reader being a device that key certified (an
 * app never learns user ids, so registrations cannot be checked). Other apps' devices are never readers.
 */
async function appSideLoad(c, t) {
	const all = await c.request('GET', '/v1/partner/threads');
	t.view = (all && Array.isArray(all.threads) ? all.threads : []).find((x) => x && x.thread_id === t.threadId) || null;
	if (!t.view) throw new PstError(Status.NOT_FOUND, "no such thread among this grant's");
	t.app = true;
	const members = Array.isArray(t.view.members) ? t.view.members : [];
	for (const m of members) if (m && typeof m.id === 'string') {
		t.members.push(m.id);
		t.names[m.id] = typeof m.display_name === 'string' ? m.display_name : m.id;
	}
	for (const d of Array.isArray(t.view.devices) ? t.view.devices : []) {
		const who = d && d.user;
		if (typeof who !== 'string' || d.app === true) continue;
		const m = members.find((x) => x && x.id === who);
		const pk = m && unb64u(m.identity_pk, { exact: 32 });
		if (!pk) continue;
		if (await pinLocal(c, who, pk)) {
			problem(t, Status.IDENTITY, `the identity key of ${t.names[who] || who} changed since this app first saw it: nothing is sent`);
			continue;
		}
		const dev = deviceCheck(d, null, pk, null);
		if (!dev) continue;
		dev.userId = who;
		addDevice(t.readers, dev);
		addDevice(t.senders, dev);
	}
	if (t.readers.length === 0) problem(t, Status.UNTRUSTED, 'nobody in this conversation has a device this app can verify');
	addDevice(t.senders, { deviceId: c.deviceId, userId: c.userId, signPk: c.keys.signPk, boxPk: c.keys.boxPk, app: true, clientId: c.app.clientId });
	return t;
}

/**
 * Load threadId and verify it: {threadId, app, chain, heads, head, members, names, readers, senders, view,
 * problem, problemStatus, notice}. Failing to verify does not reject: t.problem says why sending must be
 * refused. Rejects with network and server errors, and PST_ERR_UNTRUSTED for a chain that does not extend the
 * pinned one.
 */
export async function threadLoad(c, people, threadId) {
	const t = { threadId, app: false, appClientId: '', chain: null, heads: [], head: ZERO_HEAD, members: [], names: {}, readers: [], senders: [], view: null, problem: '', problemStatus: null, notice: '' };
	if (c.app) return appSideLoad(c, t);
	t.view = await c.request('GET', pathOf('/v1/threads/%s', threadId));
	t.app = t.view && t.view.kind === 'app';
	t.appClientId = t.view && t.view.app && typeof t.view.app.client_id === 'string' ? t.view.app.client_id : '';
	if (!t.app) {
		const answer = await c.request('GET', pathOf('/v1/threads/%s/chain', threadId));
		await chainVerify(c, people, answer, t);
		if (t.chain.length === 0)
			problem(t, Status.UNTRUSTED, 'this conversation has no signed member list (an old client or the raw API started it): start a new one');
		t.members = t.chain.members.slice();
	} else {
		const ms = Array.isArray(t.view.members) ? t.view.members : [];
		t.members = ms.map((m) => m && m.user_id).filter((u) => typeof u === 'string' && u.length <= 64);
		if (t.members.length !== 2 || !t.members.includes(c.userId))
			problem(t, Status.UNTRUSTED, "an app's conversation has exactly two people, you one of them: the server shows otherwise");
	}
	let others = 0;
	for (const uid of t.members) {
		let p;
		try {
			p = await personGet(c, people, uid);
		} catch (e) {
			if (e.code !== Status.NOT_FOUND) throw e;
			continue; /* a member the server no longer shows reads nothing from us */
		}
		t.names[uid] = p.username;
		if (p.ignored && uid !== c.userId && !t.notice)
			t.notice = `${p.ignored} device${p.ignored === 1 ? '' : 's'} listed for ${nameOf(p)} ${p.ignored === 1 ? 'is' : 'are'} not approved by their identity key${p.unlogged ? ', or not in the server\'s transparency log' : ''}: nothing is encrypted to ${p.ignored === 1 ? 'it' : 'them'}`;
		if (p.state === Id.CHANGED)
			problem(t, Status.IDENTITY, uid === c.userId
				? 'your identity was reset on another device (or the server shows a key that is not yours): this device is no longer approved'
				: `${nameOf(p)}'s identity key changed: nothing is sent to them until you check it (contactAccept or contactVerify)`);
		if (p.state === Id.NONE && p.unlogged)
			problem(t, Status.UNTRUSTED, `${nameOf(p)}'s identity key is not in the server's transparency log: the server may be showing you a key nobody else sees; nothing is sent to them`);
		let mine = 0;
		for (const d of p.devices) {
			if (d.deviceId === c.deviceId) {
				addDevice(t.senders, d);
				continue;
			}
			addDevice(t.readers, d);
			addDevice(t.senders, d);
			mine++;
		}
		if (uid !== c.userId && mine > 0) others++;
	}
	if (t.members.length > 1 && others === 0)
		problem(t, Status.UNTRUSTED, 'nobody else in this conversation has a device you can verify (their devices were not approved with an identity key, or they use an old client): nobody could read it');
	if (t.app && t.appClientId) {
		for (const d of Array.isArray(t.view.devices) ? t.view.devices : []) if (d && d.app === true) await appDevice(c, people, t, d);
		for (const d of Array.isArray(t.view.app_senders) ? t.view.app_senders : []) await appDevice(c, people, t, d);
	}
	return t;
}

/** 1 when head is one of t's verified chain heads (zeros for a thread without a chain). */
export function knowsHead(t, head) {
	if (!t.chain || t.heads.length === 0) return bytesEqual(head, ZERO_HEAD);
	return t.heads.some((h) => sodium.memcmp(h, head));
}

/** The username of userId as its signed identity names it, or userId. */
export const threadName = (t, userId) => (t && t.names[userId]) || userId;

/** The sender device deviceId among t.senders, or null. */
export const threadSender = (t, deviceId) => t.senders.find((d) => d.deviceId === deviceId) || null;

/**
 * Sign a membership link by this device: op on a thread of kind (prev = its head; zeros and a fresh nonce
 * for CREATE), naming ids. Returns base64url text.
 */
export function linkMake(c, op, kind, prev, ids) {
	if (ids.length > 1025) throw new PstError(Status.INVALID, 'too many members');
	return c.signDevice({
		type: proto.ST.LINK, op, kind, prev: prev ? prev.slice() : new Uint8Array(32), nonce: sodium.randombytes_buf(16),
		actorUserId: c.userId, actorDeviceId: c.deviceId, ids: ids.slice(), atMs: nowMs(),
	});
}
