/*
 * http.js — one exchange with a Postern server over fetch(): JSON in, JSON out, the bearer token when there
 * is one, the server's {"error":{"code","message"}} turned into a PstError with the same codes as
 * libpostern's pst__request (401 AUTH, 404 NOT_FOUND, other HTTP, NETWORK, PROTOCOL). It decides nothing about
 * trust and keeps no state but the token it is given. Browser-safe: fetch only.
 */
import { PstError, Status } from './errors.js';

const MAX_RESPONSE = 32 << 20; /* the largest answer accepted, as PST__MAX_RESPONSE */

/** %-encode every byte but RFC 3986's unreserved characters (what libcurl's curl_easy_escape does). */
export function escape(s) {
	return encodeURIComponent(s).replace(/[!'()*]/g, (ch) => '%' + ch.charCodeAt(0).toString(16).toUpperCase());
}

/** A path from a template with each %s filled by an escaped argument, in order: the one way an id reaches a path. */
export function pathOf(fmt, ...args) {
	let i = 0;
	return fmt.replace(/%s/g, () => escape(String(args[i++])));
}

/**
 * The HTTP side of a client. server: base URL ("http://host:port", trailing slashes dropped); fetchImpl:
 * optional fetch (the global one by default). token is read at each call (set it to '' to log out).
 */
export class Api {
	constructor(server, { fetchImpl } = {}) {
		if (typeof server !== 'string' || !/^https?:\/\//.test(server))
			throw new PstError(Status.INVALID, 'the server URL must start with http:// or https://');
		this.server = server.replace(/\/+$/, '');
		this.fetch = fetchImpl || globalThis.fetch.bind(globalThis);
		this.token = '';
	}

	/**
	 * method path with body (a JSON-able value, or undefined for none). Resolves to the parsed answer (null
	 * for an empty one); rejects with a PstError: NETWORK, AUTH (401), NOT_FOUND (404), HTTP (other >= 400),
	 * PROTOCOL (an answer that is not JSON or over 32 MiB).
	 */
	async request(method, path, body) {
		const headers = { Accept: 'application/json' };
		if (this.token) headers.Authorization = `Bearer ${this.token}`;
		const init = { method, headers };
		if (body !== undefined) {
			headers['Content-Type'] = 'application/json';
			init.body = JSON.stringify(body);
		} else if (method === 'POST') init.body = '';
		let res, text;
		try {
			res = await this.fetch(this.server + path, init);
			text = await res.text();
		} catch (e) {
			throw new PstError(Status.NETWORK, `${this.server}: ${e && e.message ? e.message : 'cannot reach the server'}`);
		}
		if (text.length > MAX_RESPONSE) throw new PstError(Status.PROTOCOL, `${this.server}: the answer is too large`);
		let j = null;
		if (text.length) {
			try {
				j = JSON.parse(text);
			} catch {
				j = undefined;
			}
		}
		if (res.status >= 400) {
			const e = (j && j.error) || {};
			const code = typeof e.code === 'string' ? e.code : '';
			const st = res.status === 401 ? Status.AUTH : res.status === 404 ? Status.NOT_FOUND : Status.HTTP;
			throw new PstError(st, `${typeof e.message === 'string' ? e.message : 'the server refused'} (HTTP ${res.status}${code ? ', ' + code : ''})`,
				{ httpStatus: res.status, serverCode: code });
		}
		if (j === undefined) throw new PstError(Status.PROTOCOL, "the server's answer is not JSON", { httpStatus: res.status });
		return j;
	}
}
