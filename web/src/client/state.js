/*
 * state.js — the inside of a Client (libpostern's struct pst_client and client.c's store helpers): the
 * server connection, the session (token, ids, event cursor), this device's keys and the account identity
 * it holds, and the records it keeps in its store ("session", "device", "pins", "prekeys", "log" and the
 * per-thread "chain.T", "out.T", "in.T", "plain.T", "seen.T", as the files of a libpostern home). Also the
 * one lock that orders the read-modify-write cycles of those records between a running watch() and the
 * person's own calls. A partner app's engine (app.js) uses the same state in app mode: c.app holds its
 * client id, refresh token and the person's pairwise id (which is then also c.userId), and c.reauth renews
 * an access token that expired. It holds state; it decides nothing about trust.
 */
import sodium from 'libsodium-wrappers-sumo';
import { Api } from './http.js';
import { PstError, Status } from './errors.js';
import { b64u, unb64u } from './util.js';
import * as proto from './protocol.js';

const PROTOCOL_VERSION = 2;

/** The engine's state of one person on one server, shared by the modules under client.js. */
export class State {
	constructor(server, store, opts = {}) {
		this.api = new Api(server, opts);
		this.store = store;
		this.userId = '';
		this.deviceId = '';
		this.cursor = '';
		this.keys = null; /* {signPk, signSk, boxPk, boxSk} */
		this.identity = null; /* {seed, pk, sk} once this device holds the account's identity */
		this.approved = false;
		this.approvalCode = '';
		this.recoveryText = null;
		this.pins = null;
		this.log = { sizeKnown: false, size: 0, root: null, proven: null, provenNew: {} };
		this.notice = '';
		this.queue = Promise.resolve();
		this.stopWatch = false;
		this.app = null; /* app mode (app.js): {clientId, refresh, sub} */
		this.reauth = null; /* app mode: async (tokenThatFailed) => true when a new access token is in place */
	}

	get token() {
		return this.api.token;
	}
	set token(t) {
		this.api.token = t;
	}

	/**
	 * One API call (see Api.request). In app mode a 401 renews the access token once (c.reauth) and tries
	 * again; a call that raced another's renewal just tries again with the new token.
	 */
	async request(method, path, body) {
		const used = this.token;
		try {
			return await this.api.request(method, path, body);
		} catch (e) {
			if (!(e instanceof PstError) || e.code !== Status.AUTH || !this.reauth || !used) throw e;
			if (this.token === used && !(await this.reauth(used))) throw e;
			return this.api.request(method, path, body);
		}
	}

	/** Run f with the store lock held (no nesting: f must not call locked itself). Resolves to f's result. */
	locked(f) {
		const run = this.queue.then(f, f);
		this.queue = run.then(() => {}, () => {});
		return run;
	}

	/** The stored session and device keys, when any. PST_ERR_STORE for a damaged device record. */
	async load() {
		await sodium.ready;
		await proto.ready();
		const s = await this.store.get('session');
		if (s) {
			this.token = s.token || '';
			this.userId = s.user_id || '';
			this.deviceId = s.device_id || '';
			this.cursor = s.cursor || '';
			if (s.app && typeof s.app === 'object')
				this.app = { clientId: String(s.app.client_id || ''), refresh: String(s.app.refresh || ''), sub: String(s.app.sub || '') };
		}
		const d = await this.store.get('device');
		if (d) {
			const k = {
				signPk: unb64u(d.sign_pk, { exact: 32 }), signSk: unb64u(d.sign_sk, { exact: 64 }),
				boxPk: unb64u(d.box_pk, { exact: 32 }), boxSk: unb64u(d.box_sk, { exact: 32 }),
			};
			if (d.protocol !== PROTOCOL_VERSION || Object.values(k).some((v) => v === null))
				throw new PstError(Status.STORE, 'the stored device keys are damaged or of another protocol version');
			this.keys = k;
			this.approved = d.approved === true;
			if (d.id_seed) {
				const seed = unb64u(d.id_seed, { exact: 32 });
				if (!seed) throw new PstError(Status.STORE, 'the stored identity is damaged');
				this.identity = proto.identityFromSeed(seed);
			}
		}
	}

	async saveSession() {
		const rec = { server: this.api.server, token: this.token, user_id: this.userId, device_id: this.deviceId, cursor: this.cursor };
		if (this.app) rec.app = { client_id: this.app.clientId, refresh: this.app.refresh, sub: this.app.sub };
		await this.store.put('session', rec);
	}

	async saveKeys() {
		const k = this.keys;
		const d = { protocol: PROTOCOL_VERSION, sign_pk: b64u(k.signPk), sign_sk: b64u(k.signSk), box_pk: b64u(k.boxPk), box_sk: b64u(k.boxSk), approved: this.approved };
		if (this.identity) d.id_seed = b64u(this.identity.seed);
		await this.store.put('device', d);
	}

	/** A record that is a JSON object, or {} when missing or not an object. */
	async json(name) {
		const v = await this.store.get(name);
		return v && typeof v === 'object' && !Array.isArray(v) ? v : {};
	}

	/** Sign a statement with the identity key; base64url. PST_ERR_APPROVAL when this device holds none. */
	signIdentity(st) {
		if (!this.identity)
			throw new PstError(Status.APPROVAL, 'this device holds no identity key yet: approve it first (from another device)');
		return b64u(proto.statementSign(st, this.identity.sk));
	}

	/** Sign a statement with this device's signing key (links, prekeys); base64url. */
	signDevice(st) {
		return b64u(proto.statementSign(st, this.keys.signSk));
	}

	/** PST_ERR_AUTH unless logged in. */
	needLogin() {
		if (!this.token) throw new PstError(Status.AUTH, 'not logged in');
	}
}

/** base64url text of a statement (at most STATEMENT_MAX bytes) to bytes, or null. */
export const stmtBytes = (text) => unb64u(text, { max: proto.STATEMENT_MAX });

/** A statement of type want in text, verified with pk: the parsed statement, or null when it does not hold. */
export function statementOk(text, want, pk) {
	const bin = stmtBytes(text);
	if (!bin || !pk) return null;
	return proto.attempt(() => proto.statementVerify(bin, want, pk));
}
