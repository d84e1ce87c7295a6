/*
 * app.js — the engine of a partner app that runs in a browser page (libpostern's src/lib/app.c, the
 * pst_app_* functions, for JavaScript): the OAuth 2.0 authorization-code flow with PKCE (S256), a state and
 * the issuer checked on return (RFC 9207), token refresh and revocation, the app's end-to-end-encryption
 * device for the grant, and the scoped Inbox API (friends, the share page, shares encrypted to the thread's
 * verified readers, reading with decryption, deleting, live events). It is a PUBLIC client: no secret, so
 * that a page on another origin can use it (the partner routes answer CORS, docs/partner.md "Apps that run
 * in a browser"). The protocol is web/src/proto's and the encryption code is the person's engine's
 * (e2ee.js, chain.js, prekeys.js, stream.js in app mode), so that an app checks whom it encrypts to exactly
 * as a person's client does. It must not print, must not hold a client secret, and keeps its keys and
 * tokens only in the store it is given.
 */
import sodium from 'libsodium-wrappers-sumo';
import { PstError, Status } from './errors.js';
import { State } from './state.js';
import { pathOf, escape } from './http.js';
import { b64u, utf8, idOk } from './util.js';
import * as proto from './protocol.js';
import * as prekeys from './prekeys.js';
import * as e2ee from './e2ee.js';
import * as stream from './stream.js';
import { threadLoad } from './chain.js';

const ID_MAX = 64;

function need(v, what) {
	if (typeof v !== 'string' || v.length === 0) throw new PstError(Status.INVALID, `${what} is required`);
	return v;
}

/* Equal secrets (state values) without an early exit. */
function sameSecret(a, b) {
	const x = utf8(a), y = utf8(b);
	return x.length === y.length && sodium.memcmp(x, y);
}

/* The query parameters of a callback URL (absolute, or relative to the page). */
function queryOf(callbackUrl) {
	try {
		return new URL(callbackUrl, 'http://localhost/').searchParams;
	} catch {
		throw new PstError(Status.INVALID, 'the callback URL is not a URL');
	}
}

/** A partner app's client of one Postern server for one person, its state in one store. Open with AppClient.open. */
export class AppClient {
	constructor(state) {
		this.c = state;
		this.refreshing = null; /* the renewal under way, shared by every call that found the token expired */
		state.reauth = (used) => this.#renew(used);
	}

	/**
	 * pst_app_client_new: an app client for serverUrl keeping its state in store (an IndexedDbStore in a
	 * page, a MemoryStore in tests), for the public client clientId (posternd app create --public). opts:
	 * {fetchImpl}. Rejects PST_ERR_INVALID (bad URL or client id, or a store that holds another app's state),
	 * PST_ERR_STORE (a damaged store).
	 */
	static async open(serverUrl, store, clientId, opts = {}) {
		need(clientId, 'a client id');
		if (clientId.length > ID_MAX) throw new PstError(Status.INVALID, 'the client id is too long');
		const st = new State(serverUrl, store, opts);
		await st.load();
		if (st.app && st.app.clientId !== clientId) throw new PstError(Status.INVALID, 'this store belongs to another app: use another store');
		if (!st.app) { /* the store belongs to this app from now on */
			st.app = { clientId, refresh: '', sub: '' };
			await st.saveSession();
		}
		return new AppClient(st);
	}

	/* POST a form to an OAuth endpoint as this public client (client_id in the form); the JSON answer. */
	async #oauthPost(path, fields) {
		const c = this.c;
		const form = new URLSearchParams({ ...fields, client_id: c.app.clientId });
		let res, text;
		try {
			res = await c.api.fetch(c.api.server + path, {
				method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' }, body: form.toString(),
			});
			text = await res.text();
		} catch (e) {
			throw new PstError(Status.NETWORK, `${c.api.server}: ${e && e.message ? e.message : 'cannot reach the server'}`);
		}
		let j = null;
		try {
			j = text ? JSON.parse(text) : null;
		} catch {
			j = undefined;
		}
		if (res.status >= 400) {
			const code = j && typeof j.error === 'string' ? j.error : '';
			const desc = j && typeof j.error_description === 'string' ? j.error_description : 'refused';
			throw new PstError(res.status === 401 ? Status.AUTH : Status.HTTP, `${desc} (HTTP ${res.status}${code ? ', ' + code : ''})`,
				{ httpStatus: res.status, serverCode: code });
		}
		if (!j || typeof j !== 'object') throw new PstError(Status.PROTOCOL, "the server's answer is not JSON", { httpStatus: res.status });
		return j;
	}

	/* Keep the tokens of a token response. */
	async #takeTokens(t) {
		const c = this.c;
		if (typeof t.access_token !== 'string' || t.access_token.length === 0 || t.access_token.length > 512)
			throw new PstError(Status.PROTOCOL, 'the token response has no access token');
		c.token = t.access_token;
		if (typeof t.refresh_token === 'string') c.app.refresh = t.refresh_token;
		if (typeof t.sub === 'string' && t.sub.length <= ID_MAX) {
			c.app.sub = t.sub;
			c.userId = t.sub; /* the person as this app knows them: what its device's registration signs */
		}
		await c.saveSession();
	}

	/* c.reauth: one refresh at a time (a refresh token works once; presenting it twice ends the grant). */
	#renew(used) {
		const c = this.c;
		if (c.token !== used) return Promise.resolve(true);
		if (!c.app.refresh) return Promise.resolve(false);
		if (!this.refreshing)
			this.refreshing = this.refresh().then(() => true, () => false).finally(() => {
				this.refreshing = null;
			});
		return this.refreshing;
	}

	/**
	 * pst_app_authorize_url: the URL to send the person to (Postern's login and consent pages), with a new
	 * PKCE verifier (S256) and state kept in the store until finish(). scope: space-separated. opts:
	 * {authorizationDetails} (an array, RFC 9396) to ask for less than a scope. Resolves to the URL.
	 */
	async authorizeUrl(redirectUri, scope, opts = {}) {
		const c = this.c;
		need(redirectUri, 'a redirect URI');
		need(scope, 'a scope');
		const verifier = b64u(sodium.randombytes_buf(32));
		const challenge = b64u(sodium.crypto_hash_sha256(utf8(verifier)));
		const state = b64u(sodium.randombytes_buf(16));
		/* kept until the person comes back: the verifier proves this client asked; the state ties the answer to it */
		await c.store.put('oauth', { verifier, state, redirect_uri: redirectUri });
		let url = `${c.api.server}/oauth/authorize?response_type=code&client_id=${escape(c.app.clientId)}&redirect_uri=${escape(redirectUri)}` +
			`&scope=${escape(scope)}&state=${state}&code_challenge=${challenge}&code_challenge_method=S256`;
		if (opts.authorizationDetails) url += `&authorization_details=${escape(JSON.stringify(opts.authorizationDetails))}`;
		return url;
	}

	/** True when an authorization was started (authorizeUrl) and not finished: the page came back to finish it. */
	async authorizing() {
		const o = await this.c.store.get('oauth');
		return !!(o && typeof o.state === 'string');
	}

	/**
	 * pst_app_finish: take the person's answer (the callback URL with code, state and iss), check the state
	 * and the issuer, redeem the code with the verifier, register the app's device for the grant (keys made
	 * on first use) and upload its prekeys. Rejects PST_ERR_INVALID (no authorization under way),
	 * PST_ERR_CRYPTO (another authorization's answer, or another issuer's), PST_ERR_AUTH (the person said no),
	 * PST_ERR_HTTP (the server refused the code).
	 */
	async finish(callbackUrl) {
		const c = this.c;
		need(callbackUrl, 'the callback URL');
		const saved = await c.store.get('oauth');
		if (!saved) throw new PstError(Status.INVALID, 'no authorization is under way');
		if (typeof saved.state !== 'string' || typeof saved.verifier !== 'string' || typeof saved.redirect_uri !== 'string')
			throw new PstError(Status.STORE, 'the stored authorization is damaged');
		const q = queryOf(callbackUrl);
		const state = q.get('state'), iss = q.get('iss'), error = q.get('error'), code = q.get('code');
		if (state === null || !sameSecret(state, saved.state)) throw new PstError(Status.CRYPTO, 'the answer does not belong to this authorization (state)');
		await c.store.delete('oauth'); /* one answer per authorization, whatever it says */
		/* RFC 9207: the answer must come from the server this client asked (mix-up defence) */
		const meta = await c.api.request('GET', '/.well-known/oauth-authorization-server');
		if (!iss || !meta || typeof meta.issuer !== 'string' || iss !== meta.issuer) throw new PstError(Status.CRYPTO, 'the answer names another issuer');
		if (error) throw new PstError(Status.AUTH, `the person did not allow it (${error})`, { serverCode: error });
		if (!code) throw new PstError(Status.PROTOCOL, 'the answer has no code');
		const tok = await this.#oauthPost('/oauth/token', { grant_type: 'authorization_code', code, redirect_uri: saved.redirect_uri, code_verifier: saved.verifier });
		await this.#takeTokens(tok);
		await this.#registerDevice();
		await prekeys.refill(c); /* readers hand their sessions to the app's prekeys */
	}

	/* Register the app's device for this grant, signed over the person's pairwise id (a new grant: a new device). */
	async #registerDevice() {
		const c = this.c;
		if (!c.app.sub) throw new PstError(Status.PROTOCOL, 'the grant did not say who the person is (sub)');
		if (!c.keys) {
			c.keys = proto.deviceKeygen();
			await c.saveKeys();
		}
		const sig = proto.deviceSignRegistration(c.keys, c.app.sub);
		const out = await c.request('POST', '/v1/partner/devices', { name: 'app', sign_pk: b64u(c.keys.signPk), box_pk: b64u(c.keys.boxPk), sig: b64u(sig) });
		if (!out || typeof out.device_id !== 'string') throw new PstError(Status.PROTOCOL, "the server's answer has no device id");
		c.deviceId = out.device_id;
		c.cursor = '';
		await c.saveSession();
	}

	/** pst_app_refresh: a new access token (and refresh token) from the refresh token. PST_ERR_AUTH without one. */
	async refresh() {
		const c = this.c;
		if (!c.app.refresh) throw new PstError(Status.AUTH, 'no refresh token: authorize again');
		const tok = await this.#oauthPost('/oauth/token', { grant_type: 'refresh_token', refresh_token: c.app.refresh });
		await this.#takeTokens(tok);
	}

	/** True when the app holds tokens for a person (it may still find them revoked). */
	signedIn() {
		return !!(this.c.token || this.c.app.refresh);
	}

	/** The person's pairwise id for this app (the token response's sub), or null. */
	sub() {
		return this.c.app.sub || null;
	}

	/** The app device's id, or null before finish(). */
	deviceId() {
		return this.c.deviceId || null;
	}

	/**
	 * Sign out: revoke the refresh token (which ends the grant: RFC 7009, docs/partner.md) and forget the
	 * tokens, the device's keys and what it decrypted. The store is left empty but for the client id.
	 */
	async signOut() {
		const c = this.c;
		const token = c.app.refresh || c.token;
		if (token) await this.#oauthPost('/oauth/revoke', { token }).catch(() => {});
		const keys = typeof c.store.keys === 'function' ? await c.store.keys() : ['session', 'device', 'prekeys', 'pins', 'oauth'];
		for (const k of keys) await c.store.delete(k);
		c.token = '';
		c.app = { clientId: c.app.clientId, refresh: '', sub: '' };
		c.userId = '';
		c.deviceId = '';
		c.cursor = '';
		c.keys = null;
		c.pins = null;
	}

	#needGrant() {
		if (!this.c.token) throw new PstError(Status.AUTH, 'not authorized: authorizeUrl, then finish');
	}

	async #get(path) {
		this.#needGrant();
		return this.c.request('GET', path);
	}

	/** pst_app_friends: {friends:[{id, display_name}]}, the person's friends who also use this app. */
	friends() {
		return this.#get('/v1/partner/friends');
	}

	/** pst_app_threads: {threads:[…]}, the app threads of this grant with members and readers, as the server lists them. */
	threads() {
		return this.#get('/v1/partner/threads');
	}

	/**
	 * The URL of Postern's share page, where the person picks friends this app may share with (friends who
	 * do not use the app); its answer comes back to redirectUri (a registered one). Take it with sharePageFinish.
	 */
	async sharePageUrl(redirectUri) {
		need(redirectUri, 'a redirect URI');
		const state = b64u(sodium.randombytes_buf(16));
		await this.c.store.put('pick', { state });
		return `${this.c.api.server}/oauth/share?client_id=${escape(this.c.app.clientId)}&redirect_uri=${escape(redirectUri)}&state=${state}`;
	}

	/** The pairwise ids the person picked on the share page (callbackUrl: where it sent them back). PST_ERR_CRYPTO for another page's answer. */
	async sharePageFinish(callbackUrl) {
		const saved = await this.c.store.get('pick');
		const q = queryOf(need(callbackUrl, 'the callback URL'));
		if (!saved || typeof saved.state !== 'string' || q.get('state') === null || !sameSecret(q.get('state'), saved.state))
			throw new PstError(Status.CRYPTO, 'the answer does not belong to this share page (state)');
		await this.c.store.delete('pick');
		return (q.get('friends') || '').split(',').filter((x) => idOk(x));
	}

	/**
	 * pst_app_share: share item (the app's opaque id of a title) with the friend `to` (a pairwise id), with
	 * text encrypted by the app's device to the verified readers of the app thread with them (prekeys
	 * claimed and the session handed over when it must start or rotate). Refused with nothing sent when no
	 * reader can be verified or an identity key changed. Resolves to the server's answer {share_id,
	 * message_id, thread_id, seq, created_at}.
	 */
	async share(to, item, text) {
		const c = this.c;
		need(to, 'a recipient');
		need(item, 'an item');
		if (typeof text !== 'string') throw new PstError(Status.INVALID, 'a text is required');
		const bytes = utf8(text);
		if (bytes.length > e2ee.TEXT_MAX) throw new PstError(Status.INVALID, `the text is longer than ${e2ee.TEXT_MAX} bytes`);
		this.#needGrant();
		c.notice = '';
		/* the thread and its readers first: the share is encrypted to exactly them */
		const thread = await c.request('POST', '/v1/partner/threads', { to });
		const tid = thread && thread.thread_id;
		if (!idOk(tid)) throw new PstError(Status.PROTOCOL, "the server's thread has no id");
		const body = await e2ee.sealForThread(c, tid, bytes);
		const out = await c.request('POST', '/v1/partner/shares', { to, item, body, client_msg_id: e2ee.newCmid() });
		if (out && typeof out.message_id === 'string') await e2ee.rememberSent(c, tid, out.message_id, text);
		return out;
	}

	/**
	 * pst_app_read: the last 200 messages of one of the grant's threads, oldest first, decrypted where the
	 * app's device received the key (its own shares; a friend's replies once the friend accepted the app and
	 * their client handed it over). Each as Client.read's messages, plus sentByThisApp; senderId is a
	 * pairwise id.
	 */
	async read(threadId) {
		const c = this.c;
		if (!idOk(threadId)) throw new PstError(Status.INVALID, 'a thread id is required');
		this.#needGrant();
		c.notice = '';
		await e2ee.sync(c, null); /* the keys readers handed to this app's device */
		const out = await c.request('GET', `${pathOf('/v1/partner/threads/%s/messages', threadId)}?limit=200`);
		const list = out && Array.isArray(out.messages) ? out.messages : [];
		const t = await threadLoad(c, new Map(), threadId).catch(() => null);
		const msgs = [];
		for (const m of list) {
			const msg = await e2ee.decryptMessage(c, t, m);
			msg.sentByThisApp = m.sent_by_this_app === true;
			msgs.push(msg);
		}
		return msgs;
	}

	/** pst_app_approval_code: the code the person checks and types in their own client to approve this app's device. */
	approvalCode() {
		const c = this.c;
		if (!c.keys || !c.deviceId) throw new PstError(Status.INVALID, 'the app has no device yet (finish registers it)');
		/* the person's client recomputes it from the keys the server lists (docs/protocol.md §16) */
		return proto.approvalCode(c.app.clientId, c.deviceId, c.keys.signPk, c.keys.boxPk);
	}

	/** pst_app_delete: delete a message this app sent for the person; every member gets message.deleted. */
	async deleteMessage(threadId, messageId) {
		if (!idOk(threadId) || !idOk(messageId)) throw new PstError(Status.INVALID, 'a thread id and a message id are required');
		this.#needGrant();
		await this.c.request('DELETE', pathOf('/v1/partner/threads/%s/messages/%s', threadId, messageId));
	}

	/**
	 * Follow the grant's events live (GET /v1/partner/events over fetch streaming): onEvent(type, event,
	 * message) for each, message being the decrypted one for message.created (else null); key hand-overs are
	 * taken on the way. Returns a stop function; stop.done resolves when the stream ended, or rejects with
	 * PST_ERR_AUTH when the grant ended (revoked, expired) and no token can be had.
	 */
	watch(onEvent, opts = {}) {
		this.#needGrant();
		const w = stream.watch(this.c, onEvent, { ...opts, identityReady: null });
		const stop = () => w.stop();
		stop.done = w.done;
		return stop;
	}

	/** Something the person should see that is not an error ('' when nothing): e.g. a reader that got no key. */
	notice() {
		return this.c.notice;
	}
}
