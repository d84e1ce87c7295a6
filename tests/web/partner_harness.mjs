/*
 * partner_harness.mjs — what the partner-app tests need beside harness.mjs (Node only): registering an app
 * with `posternd app create` against the test server's data directory, and a person's browser on Postern's
 * own pages driven over HTTP as tests/integration/harness.py does (the login form with its CSRF cookie, the
 * consent page, the share page), never following redirects, so that the test sees where Postern sends the
 * person back to the app.
 */
import { execFile } from 'node:child_process';
import { POSTERND } from './harness.mjs';

/** `posternd app create --public …`: resolves to the client id. A public client gets no secret (checked). */
export function createPublicApp(srv, { name = 'Tunes', redirectUri, scopes = 'friends:read messages:send messages:read messages:delete' }) {
	const argv = ['app', 'create', '--data-dir', srv.data, '--name', name, '--public', '--redirect-uri', redirectUri, '--scopes', scopes];
	return new Promise((res, rej) => execFile(POSTERND, argv, { timeout: 15000 }, (err, stdout, stderr) => {
		if (err) return rej(new Error(`posternd app create: ${stderr}`));
		const id = /^client_id:\s*(\S+)/m.exec(stdout);
		if (!id) return rej(new Error(`posternd app create printed no client_id: ${stdout}`));
		if (/^client_secret:/m.test(stdout)) return rej(new Error('a public app was given a client secret'));
		res(id[1]);
	}));
}

/** {name: value} of every hidden input of a page (attributes in any order). */
export function hiddenFields(html) {
	const out = {};
	for (const tag of html.match(/<input\b[^>]*>/gi) || []) {
		const attrs = {};
		for (const m of tag.matchAll(/([\w:-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g)) attrs[m[1].toLowerCase()] = (m[2] ?? m[3]).replace(/&amp;/g, '&').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>');
		if ((attrs.type || '').toLowerCase() === 'hidden' && attrs.name) out[attrs.name] = attrs.value || '';
	}
	return out;
}

/** A person's browser on Postern's pages: a cookie jar, redirects not followed. */
export class PageBrowser {
	constructor(serverUrl) {
		this.server = serverUrl;
		this.jar = new Map();
	}
	async #send(method, url, form) {
		const headers = {};
		if (this.jar.size) headers.Cookie = [...this.jar].map(([k, v]) => `${k}=${v}`).join('; ');
		const init = { method, headers, redirect: 'manual' };
		if (form) {
			headers['Content-Type'] = 'application/x-www-form-urlencoded';
			init.body = new URLSearchParams(form).toString();
		}
		const res = await fetch(url.startsWith('http') ? url : this.server + url, init);
		for (const c of res.headers.getSetCookie()) {
			const m = /^([^=;\s]+)=([^;]*)/.exec(c);
			if (m) this.jar.set(m[1], m[2]);
		}
		return { status: res.status, location: res.headers.get('location'), html: await res.text() };
	}
	get(url) {
		return this.#send('GET', url);
	}
	post(url, form) {
		return this.#send('POST', url, form);
	}

	/**
	 * Go to url (an authorize or share URL of Postern), signing in with username/password on the login form
	 * when it is shown. Resolves to the page that follows (the consent or share page).
	 */
	async open(url, username, password) {
		let r = await this.get(url);
		if (r.status === 200 && /name="password"/.test(r.html)) {
			const login = await this.post('/oauth/login', { ...hiddenFields(r.html), username, password });
			if (!this.jar.has('postern_session')) throw new Error(`the login form set no session: ${login.status} ${login.html.slice(0, 300)}`);
			r = await this.get(url);
		}
		if (r.status !== 200) throw new Error(`${url}: ${r.status} ${r.html.slice(0, 300)}`);
		return r;
	}

	/** Consent to the app on the page of authorizeUrl; resolves to where Postern sends the person back. */
	async consent(authorizeUrl, username, password, decision = 'approve') {
		const page = await this.open(authorizeUrl, username, password);
		const r = await this.post('/oauth/authorize', { ...hiddenFields(page.html), decision, expiry_days: '30' });
		if (r.status !== 303 || !r.location) throw new Error(`consent: ${r.status} ${r.html.slice(0, 300)}`);
		return r.location;
	}

	/** Pick friends (by user id) on the share page at shareUrl; resolves to where Postern sends the person back. */
	async pick(shareUrl, userIds, username, password) {
		const page = await this.open(shareUrl, username, password);
		const form = { ...hiddenFields(page.html), decision: 'share' };
		for (const u of userIds) {
			if (!page.html.includes(`name="f_${u}"`)) throw new Error(`the share page does not list ${u}`);
			form[`f_${u}`] = '1';
		}
		const r = await this.post('/oauth/share', form);
		if (r.status !== 303 || !r.location) throw new Error(`share page: ${r.status} ${r.html.slice(0, 300)}`);
		return r.location;
	}
}
