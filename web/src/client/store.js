/*
 * store.js — where the web client keeps its state: a tiny interface (get/put/delete of JSON-able records by
 * string key, all async) with three pieces behind it: MemoryStore (Node tests; nothing survives the
 * process), IndexedDbStore (a browser's IndexedDB object store, records as they are given), and SealedStore,
 * which wraps either and encrypts every record with XChaCha20-Poly1305 under a key derived from the
 * person's passphrase with argon2id (the record's key is the associated data, so records cannot be swapped).
 * The key-store salt and a check record are the only things it writes in the clear beside ciphertext.
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
}

const SALT_KEY = 'store.salt';
const CHECK_KEY = 'store.check';

/**
 * Every record of an inner store sealed under a passphrase. Use SealedStore.open(inner, passphrase): the
 * salt is made on first use; a wrong passphrase is PST_ERR_STORE (the check record does not open). Records
 * are {n, c}: a random 24-byte nonce and the XChaCha20-Poly1305 ciphertext of the JSON text, base64url.
 * The derived key lives only in this object; wipe() forgets it.
 */
export class SealedStore {
	constructor(inner, key) {
		this.inner = inner;
		this.key = key;
	}

	/** Derive the key from passphrase (a non-empty string) and the inner store's salt; check it. */
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
		const key = sodium.crypto_pwhash(sodium.crypto_aead_xchacha20poly1305_ietf_KEYBYTES, passphrase, salt,
			opslimit ?? sodium.crypto_pwhash_OPSLIMIT_INTERACTIVE, memlimit ?? sodium.crypto_pwhash_MEMLIMIT_INTERACTIVE,
			sodium.crypto_pwhash_ALG_ARGON2ID13);
		const s = new SealedStore(inner, key);
		const check = await s.get(CHECK_KEY).catch(() => null);
		if (check === null) {
			s.wipe();
			throw new PstError(Status.STORE, 'the store does not open with this passphrase');
		}
		if (check === undefined) await s.put(CHECK_KEY, 'postern-web-store-v1');
		return s;
	}

	/** The record under key, opened; undefined when none; PST_ERR_STORE when it does not open. */
	async get(key) {
		const rec = await this.inner.get(key);
		if (rec === undefined) return undefined;
		const n = rec && unb64u(rec.n, { exact: sodium.crypto_aead_xchacha20poly1305_ietf_NPUBBYTES });
		const c = rec && unb64u(rec.c);
		let plain;
		try {
			plain = sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(null, c, sodium.from_string(key), n, this.key);
		} catch {
			throw new PstError(Status.STORE, `${key} does not open with this passphrase`);
		}
		const v = JSON.parse(sodium.to_string(plain));
		sodium.memzero(plain);
		return v;
	}

	/** Seal value (JSON-able) under key. */
	async put(key, value) {
		const n = sodium.randombytes_buf(sodium.crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
		const plain = sodium.from_string(JSON.stringify(value));
		const c = sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(plain, sodium.from_string(key), null, n, this.key);
		sodium.memzero(plain);
		await this.inner.put(key, { n: b64u(n), c: b64u(c) });
	}

	async delete(key) {
		await this.inner.delete(key);
	}

	async keys() {
		return (await this.inner.keys()).filter((k) => k !== SALT_KEY && k !== CHECK_KEY);
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
	return SealedStore.open(await IndexedDbStore.open(`postern:${name}`), passphrase);
}
