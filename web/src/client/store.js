/*
 * store.js — where the web client keeps its state: a tiny interface (get/put/delete of JSON-able records by
 * string key, all async) with three pieces behind it: MemoryStore (Node tests; nothing survives the
 * process), IndexedDbStore (a browser's IndexedDB object store, records as they are given), and SealedStore,
 * which wraps either and encrypts every record with XChaCha20-Poly1305 under a key derived from the
 * person's passphrase with argon2id (the record's key is the associated data, so records cannot be swapped).
 * The key-store salt and a check record are the only things it writes in the clear beside ciphertext.
 * A passphrase change re-seals every record in one atomic step of the inner store (atomically), after a
 * staged copy under the new passphrase ("next:" records) that open() promotes if the page died between the
 * server accepting the new password and that step: the store always opens with the old passphrase or the
 * new one, never with neither.
 * It must not know what the records mean (client.js and the modules under it do), and must never write a
 * secret unsealed when a passphrase was given.
 *
 * The passphrase: the browser UI passes the person's login password (docs/web.md "What the browser keeps").
 * Parameters: crypto_pwhash with ALG_ARGON2ID13, OPSLIMIT_INTERACTIVE (2) and MEMLIMIT_INTERACTIVE (64 MiB),
 * a random 16-byte salt per store — the same as libpostern's sealed home directory (src/lib/client.c).
 */
import sodium from 'libsodium-wrappers-sumo';
import { PstError, Status } from './errors.js';
import { b64u, unb64u } from './util.js';

/** A store in memory: a Map of deep copies (so callers cannot change what is stored behind its back). */
export class MemoryStore {
	constructor() {
		this.map = new Map();
	}
	/** The record under key (a copy), or undefined. */
	async get(key) {
		const v = this.map.get(key);
		return v === undefined ? undefined : JSON.parse(v);
	}
	/** Store value (JSON-able) under key, replacing any record there. */
	async put(key, value) {
		this.map.set(key, JSON.stringify(value));
	}
	/** Remove the record under key (none there is fine). */
	async delete(key) {
		this.map.delete(key);
	}
	/** Every key (tests look at what is kept). */
	async keys() {
		return [...this.map.keys()];
	}
	/**
	 * One atomic change: change(records) gets every record (a Map key -> value, copies) and returns a Map of
	 * key -> new value (undefined: delete it). change must be synchronous. Nothing is written if it throws.
	 */
	async atomically(change) {
		const snapshot = new Map([...this.map].map(([k, v]) => [k, JSON.parse(v)]));
		for (const [k, v] of change(snapshot)) {
			if (v === undefined) this.map.delete(k);
			else this.map.set(k, JSON.stringify(v));
		}
	}
}

const IDB_STORE = 'records';

function idbReq(req) {
	return new Promise((resolve, reject) => {
		req.onsuccess = () => resolve(req.result);
		req.onerror = () => reject(new PstError(Status.STORE, `IndexedDB: ${req.error && req.error.message}`));
	});
}

/** A store over one IndexedDB database (browser only). Records are kept as given: wrap it in a SealedStore. */
export class IndexedDbStore {
	constructor(db) {
		this.db = db;
	}
	/** Open (creating when missing) the database name. Rejects with PST_ERR_STORE when IndexedDB refuses. */
	static async open(name, idb = globalThis.indexedDB) {
		if (!idb) throw new PstError(Status.STORE, 'this browser has no IndexedDB');
		const req = idb.open(name, 1);
		req.onupgradeneeded = () => req.result.createObjectStore(IDB_STORE);
		return new IndexedDbStore(await idbReq(req));
	}
	async get(key) {
		return idbReq(this.db.transaction(IDB_STORE, 'readonly').objectStore(IDB_STORE).get(key));
	}
	async put(key, value) {
		await idbReq(this.db.transaction(IDB_STORE, 'readwrite').objectStore(IDB_STORE).put(value, key));
	}
	async delete(key) {
		await idbReq(this.db.transaction(IDB_STORE, 'readwrite').objectStore(IDB_STORE).delete(key));
	}
	async keys() {
		return idbReq(this.db.transaction(IDB_STORE, 'readonly').objectStore(IDB_STORE).getAllKeys());
	}
	/** Close the database (so that it can be deleted at once); the object is unusable after. */
	close() {
		this.db.close();
	}
	/**
	 * As MemoryStore.atomically, in one readwrite transaction: the browser commits every change or none (a
	 * closed tab or a crash in between leaves the records as they were). change must be synchronous.
	 */
	atomically(change) {
		return new Promise((resolve, reject) => {
			const tx = this.db.transaction(IDB_STORE, 'readwrite');
			const os = tx.objectStore(IDB_STORE);
			const fail = () => reject(new PstError(Status.STORE, `IndexedDB: ${tx.error ? tx.error.message : 'the change was not kept'}`));
			tx.oncomplete = () => resolve();
			tx.onerror = tx.onabort = fail;
			const keysReq = os.getAllKeys();
			keysReq.onsuccess = () => {
				const valsReq = os.getAll();
				valsReq.onsuccess = () => {
					const snapshot = new Map(keysReq.result.map((k, i) => [k, valsReq.result[i]]));
					let changes;
					try {
						changes = change(snapshot);
					} catch (e) {
						tx.abort();
						reject(e);
						return;
					}
					for (const [k, v] of changes) {
						if (v === undefined) os.delete(k);
						else os.put(v, k);
					}
				};
			};
		});
	}
}

const SALT_KEY = 'store.salt';
const CHECK_KEY = 'store.check';
const CHECK_TEXT = 'postern-web-store-v1';
const NEXT = 'next:'; /* the staged copy of a passphrase change */

function derive(passphrase, salt, opslimit, memlimit) {
	return sodium.crypto_pwhash(sodium.crypto_aead_xchacha20poly1305_ietf_KEYBYTES, passphrase, salt,
		opslimit ?? sodium.crypto_pwhash_OPSLIMIT_INTERACTIVE, memlimit ?? sodium.crypto_pwhash_MEMLIMIT_INTERACTIVE,
		sodium.crypto_pwhash_ALG_ARGON2ID13);
}

/* A record sealed under key, bound to its name; and opened (null when it does not open). Synchronous. */
function sealRecord(key, name, value) {
	const n = sodium.randombytes_buf(sodium.crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
	const plain = sodium.from_string(JSON.stringify(value));
	const c = sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(plain, sodium.from_string(name), null, n, key);
	sodium.memzero(plain);
	return { n: b64u(n), c: b64u(c) };
}
function openRecord(key, name, rec) {
	const n = rec && unb64u(rec.n, { exact: sodium.crypto_aead_xchacha20poly1305_ietf_NPUBBYTES });
	const c = rec && unb64u(rec.c);
	if (!n || !c) return null;
	let plain;
	try {
		plain = sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(null, c, sodium.from_string(name), n, key);
	} catch {
		return null;
	}
	const v = JSON.parse(sodium.to_string(plain));
	sodium.memzero(plain);
	return { value: v };
}
const isSealedRecord = (k) => k !== SALT_KEY && k !== CHECK_KEY && !k.startsWith(NEXT);

/**
 * Every record of an inner store sealed under a passphrase. Use SealedStore.open(inner, passphrase): the
 * salt is made on first use; a wrong passphrase is PST_ERR_STORE (the check record does not open). Records
 * are {n, c}: a random 24-byte nonce and the XChaCha20-Poly1305 ciphertext of the JSON text, base64url.
 * The derived key lives only in this object; wipe() forgets it.
 */
export class SealedStore {
	constructor(inner, key, limits = {}) {
		this.inner = inner;
		this.key = key;
		this.limits = limits; /* {opslimit, memlimit}: tests make them cheap */
	}

	/**
	 * Derive the key from passphrase (a non-empty string) and the inner store's salt; check it. When it does
	 * not open the store but opens the copy a passphrase change staged (the page stopped between the server
	 * taking the new password and the re-seal), that copy becomes the store; when it opens the store and such
	 * a copy is left over, the copy is dropped (the person still uses this passphrase here).
	 */
	static async open(inner, passphrase, { opslimit, memlimit } = {}) {
		await sodium.ready;
		if (typeof passphrase !== 'string' || passphrase.length === 0)
			throw new PstError(Status.INVALID, 'a passphrase is required to seal the store');
		let salt = unb64u(await inner.get(SALT_KEY), { exact: sodium.crypto_pwhash_SALTBYTES });
		if (salt === null) {
			if ((await inner.get(SALT_KEY)) !== undefined) throw new PstError(Status.STORE, 'the store salt is damaged');
			salt = sodium.randombytes_buf(sodium.crypto_pwhash_SALTBYTES);
			await inner.put(SALT_KEY, b64u(salt));
		}
		const key = derive(passphrase, salt, opslimit, memlimit);
		const s = new SealedStore(inner, key, { opslimit, memlimit });
		const check = await inner.get(CHECK_KEY);
		const staged = (await inner.get(NEXT + CHECK_KEY)) !== undefined;
		if (check === undefined) {
			await s.put(CHECK_KEY, CHECK_TEXT);
		} else if (openRecord(key, CHECK_KEY, check) === null) {
			s.wipe();
			if (staged && await SealedStore.#promote(inner, passphrase, opslimit, memlimit)) return SealedStore.open(inner, passphrase, { opslimit, memlimit });
			throw new PstError(Status.STORE, 'the store does not open with this passphrase');
		} else if (staged) {
			await s.dropStaged();
		}
		return s;
	}

	/* The staged copy, when passphrase opens it, made the store (one atomic step). True when it did. */
	static async #promote(inner, passphrase, opslimit, memlimit) {
		const salt = unb64u(await inner.get(NEXT + SALT_KEY), { exact: sodium.crypto_pwhash_SALTBYTES });
		if (!salt) return false;
		const key = derive(passphrase, salt, opslimit, memlimit);
		const ok = openRecord(key, CHECK_KEY, await inner.get(NEXT + CHECK_KEY)) !== null;
		sodium.memzero(key);
		if (!ok) return false;
		await inner.atomically((all) => {
			const out = new Map([...all.keys()].map((k) => [k, undefined]));
			for (const [k, v] of all) if (k.startsWith(NEXT)) out.set(k.slice(NEXT.length), v);
			return out;
		});
		return true;
	}

	/** The record under key, opened; undefined when none; PST_ERR_STORE when it does not open. */
	async get(key) {
		const rec = await this.inner.get(key);
		if (rec === undefined) return undefined;
		const r = openRecord(this.key, key, rec);
		if (r === null) throw new PstError(Status.STORE, `${key} does not open with this passphrase`);
		return r.value;
	}

	/** Seal value (JSON-able) under key. */
	async put(key, value) {
		await this.inner.put(key, sealRecord(this.key, key, value));
	}

	async delete(key) {
		await this.inner.delete(key);
	}

	async keys() {
		return (await this.inner.keys()).filter(isSealedRecord);
	}

	/**
	 * First step of a passphrase change: every record re-sealed under a key from newPassphrase and a new salt,
	 * kept beside the store as "next:" records (one atomic step), for open() to take if the page stops before
	 * commitPassphrase. Resolves to the change to commit (or to drop with dropStaged). PST_ERR_STORE when a
	 * record does not open (nothing is written then).
	 */
	async stagePassphrase(newPassphrase) {
		if (typeof newPassphrase !== 'string' || newPassphrase.length === 0)
			throw new PstError(Status.INVALID, 'a passphrase is required to seal the store');
		const salt = sodium.randombytes_buf(sodium.crypto_pwhash_SALTBYTES);
		const key = derive(newPassphrase, salt, this.limits.opslimit, this.limits.memlimit);
		await this.inner.atomically((all) => this.#resealed(all, key, salt, NEXT));
		return { key, salt };
	}

	/**
	 * Second step: the store itself re-sealed under the staged key from its records as they are now (what
	 * was written since stagePassphrase included), the staged copy dropped, in one atomic step; this object
	 * then uses the new key. The old passphrase opens nothing after it.
	 */
	async commitPassphrase(change) {
		await this.inner.atomically((all) => {
			const out = this.#resealed(all, change.key, change.salt, '');
			for (const k of all.keys()) if (k.startsWith(NEXT)) out.set(k, undefined);
			return out;
		});
		sodium.memzero(this.key);
		this.key = change.key;
	}

	/** Drop a staged passphrase change (the server refused it); the store stays as it is. */
	async dropStaged(change) {
		await this.inner.atomically((all) => new Map([...all.keys()].filter((k) => k.startsWith(NEXT)).map((k) => [k, undefined])));
		if (change && change.key) sodium.memzero(change.key);
	}

	/* Every sealed record of all, opened with this key and sealed under key, named prefix + its name; with salt and check. */
	#resealed(all, key, salt, prefix) {
		const out = new Map();
		for (const [k, rec] of all) {
			if (!isSealedRecord(k)) continue;
			const r = openRecord(this.key, k, rec);
			if (r === null) throw new PstError(Status.STORE, `${k} does not open with this passphrase`);
			out.set(prefix + k, sealRecord(key, k, r.value));
		}
		out.set(prefix + SALT_KEY, b64u(salt));
		out.set(prefix + CHECK_KEY, sealRecord(key, CHECK_KEY, CHECK_TEXT));
		return out;
	}

	/** Forget the key and close the inner store when it can be closed (the object is unusable after). */
	close() {
		this.wipe();
		if (typeof this.inner.close === 'function') this.inner.close();
	}

	/** Forget the key (the object is unusable after). */
	wipe() {
		if (this.key) sodium.memzero(this.key);
		this.key = null;
	}
}

/**
 * The browser's store for one person on one server: IndexedDB database "postern:" + name, sealed under
 * passphrase. Rejects with PST_ERR_STORE on a wrong passphrase.
 */
export async function openBrowserStore(name, passphrase) {
	const inner = await IndexedDbStore.open(`postern:${name}`);
	try {
		return await SealedStore.open(inner, passphrase);
	} catch (e) {
		inner.close(); /* a connection left open would block deleting the database */
		throw e;
	}
}
