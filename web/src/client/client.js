/*
 * client.js — the Client of the web engine: libpostern's person-side API (include/postern/postern.h) in
 * camelCase and async, over a store (store.js) and a Postern server. Same HTTP calls, same JSON, same trust
 * rules as the C library: identities pinned on first use, device certificates checked, the membership chain
 * verified before encrypting to anyone, transparency-log inclusion required for the keys it uses. Errors are
 * PstError with .code the pst_status name. It must not print, must not keep the password, and must not
 * encrypt to anyone the server alone vouches for; the UI (another module) shows what it returns.
 */
import { PstError, Status } from './errors.js';
import { State } from './state.js';
import { pathOf, escape } from './http.js';
import { b64u, unb64u, nowMs, idOk } from './util.js';
import * as proto from './protocol.js';
import * as identity from './identity.js';
import * as trust from './trust.js';
import * as tlog from './tlog.js';
import * as e2ee from './e2ee.js';
import * as stream from './stream.js';
import { threadLoad, linkMake } from './chain.js';

function need(v, what) {
	if (typeof v !== 'string' || v.length === 0) throw new PstError(Status.INVALID, `${what} is required`);
	return v;
}

/** A person's client of one Postern server, its state in one store. Create with Client.open. */
export class Client {
	constructor(state) {
		this.c = state;
	}

	/**
	 * A client for serverUrl ("http://host:port") keeping its state in store (MemoryStore, or a SealedStore
	 * over IndexedDB in a browser). opts.fetchImpl: a fetch to use. Rejects PST_ERR_INVALID (a bad URL),
	 * PST_ERR_STORE (a damaged store).
	 */
	static async open(serverUrl, store, opts = {}) {
		const st = new State(serverUrl, store, opts);
		await st.load();
		return new Client(st);
	}

	/* ---- accounts and sessions ---- */

	/** Register username/password (optionally with an invite). Resolves to the new user id. Does not log in. */
	async register(username, password, invite) {
		const body = { username: need(username, 'a username'), password: need(password, 'a password') };
		if (invite) body.invite = invite;
		const out = await this.c.request('POST', '/v1/accounts', body);
		return out && out.user_id;
	}

	/**
	 * Log in and register this device (first login on this store). On the account's first device, this
	 * makes the identity key and the recovery key (takeRecoveryKey, once). On a further device it rejects
	 * with PST_ERR_APPROVAL: the session is kept; show approvalCode() and call waitApproval, or recover().
	 */
	async login(username, password, deviceName = 'postern-web') {
		const c = this.c;
		need(username, 'a username');
		need(password, 'a password');
		const prevUser = c.userId;
		c.token = '';
		const out = await c.request('POST', '/v1/sessions', { username, password });
		c.token = out.token;
		c.userId = out.user_id;
		if (prevUser && prevUser !== c.userId) {
			c.token = '';
			throw new PstError(Status.INVALID, 'this store belongs to another account: use another store');
		}
		if (c.deviceId) {
			const devs = await c.request('GET', '/v1/devices');
			if (!(devs.devices || []).some((d) => d.device_id === c.deviceId)) c.deviceId = '';
		}
		try {
			await this.#registerDevice(deviceName);
		} catch (e) {
			if (c.token && e.httpStatus === 409) await c.saveSession();
			throw e;
		}
		await c.saveSession();
		await identity.ready(c);
	}

	async #registerDevice(name) {
		const c = this.c;
		if (!c.keys) {
			c.keys = proto.deviceKeygen();
			await c.saveKeys();
		}
		const sig = proto.deviceSignRegistration(c.keys, c.userId);
		const out = await c.request('POST', '/v1/devices', { name: name || 'postern', sign_pk: b64u(c.keys.signPk), box_pk: b64u(c.keys.boxPk), sig: b64u(sig) });
		c.deviceId = out.device_id;
	}

	/** The recovery key made by the last login (first device), once; then null. */
	takeRecoveryKey() {
		const k = this.c.recoveryText;
		this.c.recoveryText = null;
		return k;
	}

	/** This device's approval code while it waits for approval, else null. */
	approvalCode() {
		return this.c.approvalCode || null;
	}

	/** Wait up to maxSeconds (0: check once) for approval by another device; resolves true when approved. */
	async waitApproval(maxSeconds = 0) {
		const c = this.c;
		if (!c.token || !c.deviceId) throw new PstError(Status.AUTH, 'not logged in with a registered device');
		const deadline = Date.now() + maxSeconds * 1000;
		for (;;) {
			try {
				await identity.ready(c);
				return true;
			} catch (e) {
				if (e.code !== Status.APPROVAL) throw e;
				if (Date.now() >= deadline) return false;
			}
			await new Promise((r) => setTimeout(r, 1000));
		}
	}

	/** Approve this device with the recovery key (PST_ERR_INVALID typo, PST_ERR_CRYPTO wrong key). */
	recover(recoveryKey) {
		return identity.recover(this.c, recoveryKey);
	}

	/** On an approved device: approve the new device showing code. Resolves to the device approved. */
	deviceApprove(code) {
		return identity.approve(this.c, code);
	}

	async #endSessions(path) {
		this.c.needLogin();
		try {
			await this.c.request('DELETE', path);
		} catch (e) {
			if (e.code !== Status.AUTH) throw e;
		}
		this.c.token = '';
		await this.c.saveSession();
	}

	/** Log out (the server forgets the token) and forget the stored token. */
	logout() {
		return this.#endSessions('/v1/sessions/current');
	}
	/** End every session of the account, on every device. */
	logoutEverywhere() {
		return this.#endSessions('/v1/sessions');
	}
	/**
	 * pst_password_change: the account's password becomes newPassword (the server wants 8 bytes or more);
	 * every other session of the account ends, this one goes on. A store sealed under the password (a
	 * SealedStore: the browser's) is re-sealed under the new one: a copy is staged first, the server is asked,
	 * then the store is re-sealed in one atomic step (or the copy dropped when the server refuses), so that the
	 * store opens with the old password or the new one whatever happens. A wrong current password is
	 * PST_ERR_HTTP with httpStatus 403; the store is then as it was.
	 */
	async passwordChange(currentPassword, newPassword) {
		const c = this.c;
		need(currentPassword, 'the current password');
		need(newPassword, 'a new password');
		c.needLogin();
		const sealed = typeof c.store.stagePassphrase === 'function';
		const staged = sealed ? await c.store.stagePassphrase(newPassword) : null;
		try {
			await c.request('POST', '/v1/me/password', { current_password: currentPassword, new_password: newPassword });
		} catch (e) {
			if (staged) await c.store.dropStaged(staged);
			throw e;
		}
		if (staged) await c.store.commitPassphrase(staged);
	}
	/**
	 * pst_account_delete: delete the account for good (the password is asked again). Every session, device,
	 * grant and token of it ends on the server; this client forgets its session (the caller deletes the store:
	 * its keys belong to an account that is gone). A wrong password is PST_ERR_HTTP with httpStatus 403.
	 */
	async accountDelete(password) {
		const c = this.c;
		need(password, 'your password');
		c.needLogin();
		await c.request('DELETE', '/v1/me', { password });
		c.token = '';
		await c.saveSession();
	}
	/**
	 * pst_recovery_key_new: a new recovery key for the same identity; the server's backup is replaced, so the
	 * old key opens nothing from now on. Resolves to the new key (shown once). PST_ERR_APPROVAL on a device
	 * that holds no identity.
	 */
	recoveryKeyNew() {
		this.c.needLogin();
		return identity.recoveryKeyNew(this.c);
	}
	/**
	 * pst_identity_reset: a new identity key and recovery key (resolves to the key, shown once) when every
	 * device and the recovery key are lost; this device is signed by the new key, every other device of the
	 * account must be approved again, and every contact sees an identity change. The person's pins are signed
	 * again with the new key.
	 */
	identityReset() {
		return identity.reset(this.c);
	}
	/** GET /v1/sessions. */
	sessions() {
		return this.#get('/v1/sessions');
	}
	/** End one session by its id. */
	sessionEnd(sessionId) {
		return this.#idCall('DELETE', '/v1/sessions/%s', sessionId);
	}
	/** GET /v1/me. */
	whoami() {
		return this.#get('/v1/me');
	}
	/** This client's user id, or null when not logged in. */
	userId() {
		return this.c.userId || null;
	}
	/** This client's device id, or null. */
	deviceId() {
		return this.c.deviceId || null;
	}
	/** True when a session token is stored. */
	loggedIn() {
		return !!this.c.token;
	}
	/** Something the person should see that is not an error ('' when nothing): e.g. a thread's readers changed. */
	notice() {
		return this.c.notice;
	}

	async #get(path) {
		this.c.needLogin();
		return this.c.request('GET', path);
	}

	async #idCall(method, fmt, id, body) {
		need(id, 'an id');
		this.c.needLogin();
		return this.c.request(method, pathOf(fmt, id), body);
	}

	/* ---- friends ---- */

	/** Send a friend request to username. */
	friendAdd(username) {
		this.c.needLogin();
		return this.c.request('POST', '/v1/friends/requests', { username: need(username, 'a username') });
	}
	friendAccept(requestId) {
		return this.#idCall('POST', '/v1/friends/requests/%s/accept', requestId);
	}
	friendDecline(requestId) {
		return this.#idCall('POST', '/v1/friends/requests/%s/decline', requestId);
	}
	friendWithdraw(requestId) {
		return this.#idCall('DELETE', '/v1/friends/requests/%s', requestId);
	}
	friendRemove(userId) {
		return this.#idCall('DELETE', '/v1/friends/%s', userId);
	}
	friends() {
		return this.#get('/v1/friends');
	}
	friendRequests() {
		return this.#get('/v1/friends/requests');
	}
	/** The user id of a friend by username (PST_ERR_NOT_FOUND when not a friend). */
	async friendId(username) {
		const out = await this.friends();
		const f = (out.friends || []).find((x) => x.username === username);
		if (!f) throw new PstError(Status.NOT_FOUND, `${username} is not your friend`);
		return f.user_id;
	}

	/* ---- devices and identities ---- */

	devices() {
		return this.#get('/v1/devices');
	}
	/** Remove one of this person's devices; with the identity here, a signed revocation every client honours. */
	async deviceRemove(deviceId) {
		const c = this.c;
		need(deviceId, 'a device id');
		c.needLogin();
		if (!c.identity) return this.#idCall('DELETE', '/v1/devices/%s', deviceId);
		const list = await c.request('GET', '/v1/devices');
		const d = (list.devices || []).find((x) => x.device_id === deviceId);
		const spk = d && unb64u(d.sign_pk, { exact: 32 });
		if (!spk) throw new PstError(Status.NOT_FOUND, `you have no device ${deviceId}`);
		const statement = c.signIdentity({ type: proto.ST.DEVICE_REVOKE, deviceId, key: spk, atMs: Math.floor(nowMs() / 1000) * 1000 });
		return c.request('POST', '/v1/device-revocations', { statement });
	}
	/** A device's fingerprint from its base64url keys ("ddddd ddddd …"). */
	fingerprint(signPkB64, boxPkB64) {
		const s = unb64u(signPkB64, { exact: 32 }), b = unb64u(boxPkB64, { exact: 32 });
		if (!s || !b) throw new PstError(Status.INVALID, 'two 32-byte keys in base64url are required');
		return proto.deviceFingerprint(s, b);
	}
	/**
	 * What this client knows of userId's identity: {user_id, username, id_pk, state: "new"|"seen"|"verified"|
	 * "changed"|"none", safety_number (the 60 digits as the CLI prints them), safety_qr (the text a QR code of
	 * it carries: the same digits, as `postern verify --qr`), pinned_id_pk, devices, ignored_devices, was_verified}.
	 */
	contact(userId) {
		return trust.contact(this.c, need(userId, 'a user id'));
	}
	/** Accept userId's current identity key after a change (refused for a verified contact: verify again). */
	contactAccept(userId) {
		return trust.contactMark(this.c, need(userId, 'a user id'), proto.CONTACT.SEEN, false);
	}
	/** Mark userId verified (after comparing safety numbers), or with verified false, no longer verified. */
	contactVerify(userId, verified = true) {
		return trust.contactMark(this.c, need(userId, 'a user id'), verified ? proto.CONTACT.VERIFIED : proto.CONTACT.UNVERIFIED, true);
	}
	/** GET /v1/users/{id}/devices, as the server answers (not verified: see contact). */
	userDevices(userId) {
		return this.#idCall('GET', '/v1/users/%s/devices', userId);
	}

	/* ---- threads and messages ---- */

	/** The direct thread with userId (created when needed); resolves to its id. */
	async threadDirect(userId) {
		const c = this.c;
		need(userId, 'a user id');
		c.needLogin();
		const link = linkMake(c, proto.LINK.CREATE, proto.THREAD.DIRECT, null, [c.userId, userId]);
		const out = await c.request('POST', '/v1/threads', { members: [userId], link });
		if (!out || typeof out.thread_id !== 'string') throw new PstError(Status.PROTOCOL, "the server's thread has no id");
		return out.thread_id;
	}
	/** A group thread with these friends (you are added); resolves to its id. */
	async threadCreate(userIds) {
		const c = this.c;
		c.needLogin();
		if (!Array.isArray(userIds) || userIds.length === 0 || userIds.length > 255) throw new PstError(Status.INVALID, 'a thread has 1 to 255 other members');
		const ids = [c.userId];
		const members = [];
		for (const u of userIds) {
			if (typeof u !== 'string' || u === c.userId) continue;
			if (!ids.includes(u)) ids.push(u);
			members.push(u);
		}
		if (ids.length < 2) throw new PstError(Status.INVALID, 'a thread has at least one other member');
		const link = linkMake(c, proto.LINK.CREATE, ids.length === 2 ? proto.THREAD.DIRECT : proto.THREAD.GROUP, null, ids);
		const out = await c.request('POST', '/v1/threads', { members, link });
		if (!out || typeof out.thread_id !== 'string') throw new PstError(Status.PROTOCOL, "the server's thread has no id");
		return out.thread_id;
	}

	/* A signed membership change on top of the verified chain. */
	async #memberLink(threadId, op, userId) {
		const c = this.c;
		const t = await threadLoad(c, new Map(), threadId);
		await tlog.saveProven(c);
		if (!t.chain || t.chain.length === 0) throw new PstError(Status.UNTRUSTED, t.problem || 'this conversation has no signed member list');
		if (t.problemStatus === Status.UNTRUSTED) throw new PstError(Status.UNTRUSTED, `${t.problem}; nothing was changed`);
		return linkMake(c, op, t.chain.kind, t.head, [userId]);
	}
	/** Add a friend to a group thread (the next message rotates keys). */
	async threadAddMember(threadId, userId) {
		need(threadId, 'a thread id');
		need(userId, 'a user id');
		this.c.needLogin();
		const link = await this.#memberLink(threadId, proto.LINK.ADD, userId);
		return this.c.request('POST', pathOf('/v1/threads/%s/members', threadId), { user_id: userId, link });
	}
	/** Remove a member (yourself = leave). */
	async threadRemoveMember(threadId, userId) {
		need(threadId, 'a thread id');
		need(userId, 'a user id');
		this.c.needLogin();
		const link = await this.#memberLink(threadId, proto.LINK.REMOVE, userId);
		return this.c.request('DELETE', `${pathOf('/v1/threads/%s/members/%s', threadId, userId)}?link=${escape(link)}`);
	}
	/** The inbox's first page: {threads:[… with unread counts], next_cursor}. */
	inbox(limit = 50) {
		return this.inboxPage(limit, null);
	}
	/** One page of the inbox (cursor: null, or a next_cursor of the page before; limit 1..100). */
	inboxPage(limit, cursor) {
		return this.#page('/v1/threads', limit, 100, cursor);
	}
	async #page(base, limit, max, cursor) {
		if (!Number.isInteger(limit) || limit < 1 || limit > max) throw new PstError(Status.INVALID, `limit is 1 to ${max}`);
		if (cursor != null && (typeof cursor !== 'string' || cursor === '' || cursor.length > 128)) throw new PstError(Status.INVALID, 'that is not a cursor this listing gave');
		return this.#get(`${base}?limit=${limit}${cursor ? '&cursor=' + escape(cursor) : ''}`);
	}
	/** GET /v1/threads/{id}. */
	thread(threadId) {
		return this.#idCall('GET', '/v1/threads/%s', threadId);
	}
	/** Move this person's read marker in threadId forward to seq. */
	markRead(threadId, seq) {
		if (!Number.isInteger(seq) || seq < 0) throw new PstError(Status.INVALID, 'seq must not be negative');
		return this.#idCall('POST', '/v1/threads/%s/read', threadId, { seq });
	}
	/** Encrypt text for every verified reader of threadId and send it; resolves to the message id. */
	sendText(threadId, text) {
		return e2ee.sendText(this.c, threadId, text);
	}
	/**
	 * The last limit messages (1..200), oldest first, each {messageId, seq, senderId, senderDeviceId, createdAt,
	 * text, kind, item, shareId, appLabel, deleted, error ('cannot decrypt…', 'not from a verified device', or
	 * null), decrypt (pst_status name), flags (MsgFlag bits), notice}.
	 */
	read(threadId, limit = 50) {
		return e2ee.readBefore(this.c, threadId, 0, limit, identity.ready);
	}
	/** The limit messages just before seq beforeSeq (0: the newest). */
	readBefore(threadId, beforeSeq, limit = 50) {
		return e2ee.readBefore(this.c, threadId, beforeSeq, limit, identity.ready);
	}
	/** Delete a message (your own). */
	deleteMessage(threadId, messageId) {
		if (!idOk(threadId) || !idOk(messageId)) throw new PstError(Status.INVALID, 'a thread id and a message id are required');
		this.c.needLogin();
		return this.c.request('DELETE', pathOf('/v1/threads/%s/messages/%s', threadId, messageId));
	}
	/** Process pending events once (key hand-overs). */
	sync() {
		return e2ee.sync(this.c, identity.ready);
	}
	/**
	 * Follow the live event stream; onEvent(type, event, message) for each event (message: the decrypted one
	 * for message.created, else null). Resumes from opts.lastEventId or the stored cursor. Returns a stop
	 * function; stop.done resolves when the stream has ended.
	 */
	watch(onEvent, opts = {}) {
		this.c.needLogin();
		const w = stream.watch(this.c, onEvent, { ...opts, identityReady: identity.ready });
		const stop = () => w.stop();
		stop.done = w.done;
		return stop;
	}

	/* ---- the partner platform, seen by a person ---- */

	/**
	 * GET /v1/me/grants, each grant's creation (and end) checked against the transparency log: "proven" true
	 * or false on each (pst_grants).
	 */
	async grants() {
		const page = await this.#get('/v1/me/grants');
		await tlog.markGrants(this.c, page);
		return page;
	}
	/**
	 * pst_grant_alias: the name the app of grantId shows for the person (every grant of that app): alias, 1 to
	 * 40 bytes and not the username, or null for the server's default. Resolves to {grant_id, app, alias,
	 * chosen}. A name the server refuses is PST_ERR_HTTP (400) with its reason.
	 */
	async grantAlias(grantId, alias) {
		if (alias !== null && typeof alias !== 'string') throw new PstError(Status.INVALID, 'the name is text, or null for the default');
		return this.#idCall('PUT', '/v1/me/grants/%s/alias', grantId, { alias });
	}
	/**
	 * Disconnect an app (its grant ends; pst_grant_revoke). With the identity on this device, each app device
	 * of the grant gets a signed revocation every client honours (the first one also ends the grant).
	 */
	async grantRevoke(grantId) {
		const c = this.c;
		need(grantId, 'a grant id');
		c.needLogin();
		let signed = false;
		if (c.identity) {
			const list = await c.request('GET', '/v1/me/app-devices');
			for (const d of list && Array.isArray(list.devices) ? list.devices : []) {
				if (!d || d.grant_id !== grantId || typeof d.device_id !== 'string') continue;
				const statement = c.signIdentity({ type: proto.ST.APP_REVOKE, clientId: String(d.client_id || ''), grantId, deviceId: d.device_id, atMs: nowMs() });
				await c.request('POST', pathOf('/v1/me/app-devices/%s/revocation', d.device_id), { statement });
				signed = true;
			}
		}
		if (!signed) await this.#idCall('DELETE', '/v1/me/grants/%s', grantId);
	}
	/** GET /v1/me/app-devices: the app devices of this person's live grants, with their statements. */
	appDevices() {
		return this.#get('/v1/me/app-devices');
	}
	/**
	 * pst_app_device_approve: approve the app device whose approval code (shown by the app) is code. The
	 * code is recomputed here from the keys the server lists, so a device the server swapped in shows another
	 * code and is not approved. Signs an APP_AUTH with this person's identity key (until the grant's end,
	 * limited to the grant's threads) and stores it. Resolves to the device approved (as listed). Rejects
	 * PST_ERR_INVALID (not a code), PST_ERR_NOT_FOUND (no device shows it), PST_ERR_APPROVAL (this device holds
	 * no identity key).
	 */
	async appDeviceApprove(code) {
		const c = this.c;
		need(code, 'a code');
		c.needLogin();
		if (!c.identity) throw new PstError(Status.APPROVAL, 'this device is not approved yet');
		const norm = proto.attempt(() => proto.codeNormalize(code));
		if (!norm) throw new PstError(Status.INVALID, `'${code}' is not an approval code (12 letters and digits, like ABCD-EFGH-JKMN)`);
		const list = await c.request('GET', '/v1/me/app-devices');
		const found = (list && Array.isArray(list.devices) ? list.devices : []).find((d) => {
			const spk = d && unb64u(d.sign_pk, { exact: 32 }), bpk = d && unb64u(d.box_pk, { exact: 32 });
			return spk && bpk && typeof d.client_id === 'string' && typeof d.device_id === 'string' &&
				proto.attempt(() => proto.approvalCode(d.client_id, d.device_id, spk, bpk)) === norm;
		});
		if (!found) throw new PstError(Status.NOT_FOUND, `no app device of your connected apps shows the code ${norm}`);
		const expires = Date.parse(found.expires_at);
		if (!Number.isFinite(expires) || expires <= 0) throw new PstError(Status.PROTOCOL, 'the grant has no valid expiry');
		const threads = (Array.isArray(found.threads) ? found.threads : []).filter((x) => typeof x === 'string' && x.length <= 64).slice(0, 1025);
		const statement = c.signIdentity({
			type: proto.ST.APP_AUTH, clientId: found.client_id, grantId: String(found.grant_id || ''), deviceId: found.device_id,
			key: unb64u(found.sign_pk, { exact: 32 }), key2: unb64u(found.box_pk, { exact: 32 }),
			expiresMs: expires, /* never longer than the person allowed on the consent page */
			ids: threads, atMs: nowMs(),
		});
		await c.request('PUT', pathOf('/v1/me/app-devices/%s/authorisation', found.device_id), { statement });
		return found;
	}
	/**
	 * pst_app_consent: accept (true) or refuse (false) that the app of app thread threadId reads it, with a
	 * consent this person's identity key signs for this thread and app (the server cannot move it elsewhere).
	 */
	async appConsent(threadId, accept) {
		const c = this.c;
		if (!idOk(threadId)) throw new PstError(Status.INVALID, 'a thread id is required');
		c.needLogin();
		if (!c.identity) throw new PstError(Status.APPROVAL, 'this device is not approved yet');
		const view = await c.request('GET', pathOf('/v1/threads/%s', threadId));
		const clientId = view && view.app && typeof view.app.client_id === 'string' ? view.app.client_id : '';
		if (!clientId) throw new PstError(Status.INVALID, 'no app takes part in that conversation');
		const statement = c.signIdentity({ type: proto.ST.APP_CONSENT, threadId, clientId, op: accept ? 1 : 0, atMs: nowMs() });
		await c.request('POST', pathOf('/v1/threads/%s/app-consent', threadId), { accept: !!accept, statement });
	}
	/** The access log's first page (pst_access_log): see accessLogPage. */
	accessLog() {
		return this.accessLogPage(200, null);
	}
	/**
	 * One page of the access log, newest first (pst_access_log_page): each line checked against the
	 * transparency log and against what this store was shown before: "proven" true or false on each; a line
	 * written again carries "log_problem" (how), one with lines gone just above it "missing_above" (how
	 * many); on the first page, newest lines this store was shown that are gone: the page's "log_problem".
	 */
	async accessLogPage(limit, cursor) {
		const page = await this.#page('/v1/me/access-log', limit, 200, cursor);
		await tlog.markAccess(this.c, page, cursor == null);
		return page;
	}
	/** Report a click on a share card (then read the thread to show it). */
	shareOpen(threadId, shareId) {
		if (!idOk(threadId) || !idOk(shareId)) throw new PstError(Status.INVALID, 'a thread id and a share id are required');
		return this.#idCall('POST', '/v1/shares/%s/click', shareId);
	}

	/* ---- the transparency log ---- */

	/** Transparency-log alarms not yet acknowledged (no network). */
	logAlarmCount() {
		return tlog.alarmCount(this.c);
	}
	logAlarmsClear() {
		return tlog.alarmsClear(this.c);
	}
	/**
	 * pst_log_verify: audit the transparency log from where this store's last audit stopped to the newest
	 * checkpoint (signed by the pinned key, consistent with the one accepted before, every entry since handed
	 * out and hashing to it), and among those entries the changes to this person's account: each identity
	 * key, device approval or removal, app authorisation and grant must be one this account's identity signed
	 * or the server lists. Resolves to {from_size, size, scanned, yours, new_alarms, alarms: [{index, at,
	 * what}]} (alarms: every one not acknowledged, kept in the store until logAlarmsClear). A log that does not
	 * add up is PST_ERR_UNTRUSTED with the reason.
	 */
	logVerify() {
		this.c.needLogin();
		return tlog.verify(this.c);
	}
	/** The alarms not yet acknowledged (no network): [{index, at, what}]. */
	logAlarms() {
		return tlog.alarms(this.c);
	}
	/** The newest checkpoint, verified against the one accepted before: {size, root (base64url)}. */
	async logCheckpoint() {
		const cp = await tlog.checkpoint(this.c, true);
		return { size: cp.size, root: b64u(cp.root) };
	}

	/** Raw API access for what has no helper yet (method, path starting with /, optional JSON body). */
	call(method, path, body) {
		if (typeof path !== 'string' || path[0] !== '/') throw new PstError(Status.INVALID, 'method and a path starting with / are required');
		return this.c.request(method, path, body);
	}
}
