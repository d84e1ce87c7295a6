/*
 * tlog.js — the client's side of the server's transparency log (docs/transparency.md; libpostern's
 * src/lib/tlog.c): the newest checkpoint, verified (the log key pinned on first use, consistency with the
 * checkpoint this store accepted before, which then moves on), and inclusion proofs for what the client
 * relies on — identity statements and device certificates before encrypting to them, access-log lines and
 * grants before showing them as proven. A proof once checked is remembered ("log" record). And monitoring
 * of the person's own account (verify): every entry under its label since this store joined must be
 * something the account's identity signed or the server lists; the others are alarms, kept until the
 * person acknowledges them. A log that does not continue what was seen is PST_ERR_UNTRUSTED. It must not
 * take any statement as proven on the server's word alone.
 */
import sodium from 'libsodium-wrappers-sumo';
import { PstError, Status } from './errors.js';
import { b64u, unb64u, bytesEqual, sleep } from './util.js';
import * as proto from './protocol.js';

const LEAF_KEY = 1;
const LEAF_ACCESS = 2;
const LEAF_GRANT = 3;
const PROVEN_KEEP = 20000;
const SEEN_KEEP = 2000; /* the numbered access-log lines whose commitments the store remembers (the newest) */
const LEAVES_PAGE = 1000;
const ALARMS_KEEP = 1000;

/** The proof list of an answer as 32-byte arrays, or null when one is not. */
function proofOf(arr) {
	if (!Array.isArray(arr) || arr.length > 64) return null;
	const out = arr.map((x) => unb64u(x, { exact: 32 }));
	return out.some((x) => x === null) ? null : out;
}

/** Open a checkpoint note with the log's verifier key: {size, root} or null. */
function checkpointOpen(note, key) {
	return proto.attempt(() => {
		const r = proto.noteOpen(note, [key]);
		const verified = r.verified ?? r;
		if (!verified[0]) return null;
		const body = typeof note === 'string' ? note.slice(0, r.bodyLen ?? r.body_len ?? note.length) : note;
		const cp = proto.checkpointParse(r.body ?? body);
		if (cp.origin !== key.name) return null;
		return { size: Number(cp.size), root: cp.root };
	});
}

/**
 * The newest checkpoint, verified, once per client unless fresh: {size, root}. Errors: network ones,
 * PST_ERR_PROTOCOL (no checkpoint), PST_ERR_UNTRUSTED (not signed by the pinned key, shorter than before, or
 * not consistent with what this store accepted).
 */
export async function checkpoint(c, fresh = false) {
	if (c.log.sizeKnown && !fresh) return { size: c.log.size, root: c.log.root };
	const ans = await c.request('GET', '/v1/log/checkpoint');
	const state = await c.json('log');
	if (!state.log_key && typeof ans.log_key === 'string') state.log_key = ans.log_key;
	const note = ans && ans.checkpoint;
	const key = typeof state.log_key === 'string' ? proto.attempt(() => proto.noteVerifierParse(state.log_key)) : null;
	if (typeof note !== 'string' || !key) throw new PstError(Status.PROTOCOL, 'the server gave no transparency-log checkpoint');
	const cp = checkpointOpen(note, key);
	if (!cp) throw new PstError(Status.UNTRUSTED, "the server's transparency-log checkpoint is not signed by the log key this device pinned");
	const old = Number(state.size || 0);
	const oldRoot = unb64u(state.root, { exact: 32 });
	if (oldRoot && cp.size < old)
		throw new PstError(Status.UNTRUSTED, `the server's transparency log is shorter (${cp.size} entries) than when this device last looked (${old}): it was cut or rewritten`);
	if (oldRoot && old > 0 && cp.size >= old) {
		let proof = null;
		try {
			const pa = await c.request('GET', `/v1/log/proof/consistency?first=${old}&second=${cp.size}`);
			proof = proofOf(pa && pa.proof);
		} catch (e) {
			if (e.code !== Status.HTTP && e.code !== Status.NOT_FOUND) throw e;
		}
		if (!proof || proto.attempt(() => (proto.merkleVerifyConsistency(old, cp.size, oldRoot, cp.root, proof), true)) !== true)
			throw new PstError(Status.UNTRUSTED, "the server's transparency log does not continue the history this device saw before: it was rewritten, or it shows different people different histories");
	}
	if (state.joined_at_size === undefined) state.joined_at_size = cp.size;
	state.size = cp.size;
	state.root = b64u(cp.root);
	state.checkpoint = note;
	await c.store.put('log', state);
	Object.assign(c.log, { sizeKnown: true, size: cp.size, root: cp.root });
	return cp;
}

/*
 * Does the leaf have exactly the shape of the entry wanted? KEY and GRANT leaves: 75 bytes (version, type,
 * time, the account's label, the statement type or grant event, hash); ACCESS leaves: 42 bytes.
 */
function leafIs(leaf, want, entry) {
	const n = leaf.length;
	if (n < 42 || leaf[0] !== 1 || leaf[1] !== want.type || !bytesEqual(leaf.subarray(n - 32), entry)) return false;
	if (want.type === LEAF_ACCESS) return n === 42;
	return n === 75 && bytesEqual(leaf.subarray(10, 42), proto.logLabel(want.userId)) && leaf[42] === want.kind;
}

/**
 * Prove that entry (a leaf's last 32 bytes) is in the log in a leaf of the wanted shape: resolves when it
 * is (remembered), rejects PST_ERR_NOT_FOUND when the log does not hold it, PST_ERR_UNTRUSTED when the
 * proof does not verify or the entry stands in another kind of leaf.
 */
export async function prove(c, want, entry) {
	const key = `${want.type}:${want.kind}:${want.userId || ''}:${b64u(entry)}`;
	if (c.log.proven === null) {
		const st = await c.json('log');
		c.log.proven = st.proven && typeof st.proven === 'object' ? st.proven : {};
	}
	if (Number.isInteger(c.log.proven[key])) return c.log.proven[key];
	let result = Status.NOT_FOUND, shape = 0, idx = 0;
	for (let attempt = 0; attempt < 2 && result === Status.NOT_FOUND; attempt++) {
		if (attempt) await sleep(1100); /* an entry made a moment ago waits for the next checkpoint */
		const { size, root } = await checkpoint(c, attempt > 0);
		let ans;
		try {
			ans = await c.request('GET', `/v1/log/proof/inclusion?size=${size}&entry=${b64u(entry)}`);
		} catch (e) {
			if (e.code === Status.NOT_FOUND) continue;
			throw e;
		}
		const leaf = unb64u(ans && ans.leaf, { max: proto.LOG_LEAF_MAX });
		const proof = proofOf(ans && ans.proof);
		result = Status.UNTRUSTED;
		if (!leaf || !Number.isInteger(ans.index) || ans.index < 0) continue;
		if (!leafIs(leaf, want, entry)) {
			shape = 2;
			continue;
		}
		idx = ans.index;
		if (proof && proto.attempt(() => (proto.merkleVerifyInclusion(idx, size, proto.merkleLeafHash(leaf), proof, root), true)) === true)
			result = 'ok';
	}
	if (result === Status.UNTRUSTED)
		throw new PstError(Status.UNTRUSTED, shape === 2
			? "the server's transparency log holds that key only as an entry of another kind or another account, where the owner's devices do not look for it: it is not taken"
			: "the server's proof that an entry is in its transparency log does not verify");
	if (result !== 'ok') throw new PstError(Status.NOT_FOUND, 'not in the transparency log');
	c.log.proven[key] = idx;
	c.log.provenNew[key] = idx;
	return idx;
}

/** Write the proofs made since the last save into the "log" record. */
export async function saveProven(c) {
	const keys = Object.keys(c.log.provenNew);
	if (keys.length === 0) return;
	const st = await c.json('log');
	st.proven = st.proven && typeof st.proven === 'object' ? st.proven : {};
	for (const k of keys) if (Object.keys(st.proven).length < PROVEN_KEEP) st.proven[k] = c.log.provenNew[k];
	await c.store.put('log', st);
	c.log.provenNew = {};
}

/** Prove a signed statement (bytes) of user_id is in the log: its BLAKE2b-256 under the account's label. */
export function proveStatement(c, userId, stmt) {
	if (!stmt || stmt.length < 3) return Promise.reject(new PstError(Status.NOT_FOUND, 'no statement'));
	return prove(c, { type: LEAF_KEY, userId, kind: stmt[2] }, sodium.crypto_generichash(32, stmt, null));
}

/* ---- access-log lines and grants, marked as the person is shown them ---- */

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$/;
const timeMs = (s) => (typeof s === 'string' && RFC3339.test(s) ? Date.parse(s) : NaN);
const strOrNull = (v) => (typeof v === 'string' ? v : null);

/**
 * Mark each line of an access-log page (newest first; newest: the listing's first page) as libpostern's
 * pst__log_mark_access does: "proven" true when its commitment (keyed by the person's log key) is in the log,
 * in decreasing log order, and not another commitment than this store saw under its number; else false, with
 * "log_problem" when it was written again, "missing_above" when numbered lines above it are gone; and the
 * page's "log_problem" when newest lines this store saw are gone. Rejects on a proof that does not verify.
 */
export async function markAccess(c, page, newest) {
	const entries = page && Array.isArray(page.entries) ? page.entries : [];
	if (entries.length === 0) return;
	const ans = await c.request('GET', '/v1/me/log-key');
	const key = unb64u(ans && ans.log_key, { exact: 32 });
	const state = await c.json('log');
	const seen = state.access_seen && typeof state.access_seen === 'object' ? state.access_seen : {};
	state.access_seen = seen;
	let changed = false;
	if (newest) {
		const top = Number(entries[0] && entries[0].seq) || 0, highest = Number(state.access_highest) || 0;
		if (top < highest) {
			const n = highest - top;
			page.log_problem = `the newest ${n} line${n === 1 ? '' : 's'} this device was shown before ${n === 1 ? 'is' : 'are'} gone`;
		}
	}
	/* newest first: log indexes must decrease, numbers count down by one, and a number keeps its commitment */
	let newer = Infinity, above = 0;
	for (const e of entries) {
		if (!e || typeof e !== 'object') continue;
		const seq = Number.isSafeInteger(e.seq) ? e.seq : 0;
		const at = timeMs(e.at);
		let problem = null, proven = false;
		if (seq > 0 && above > 0 && seq >= above) problem = 'numbered out of order';
		else if (seq > 0 && above > 0 && seq !== above - 1) e.missing_above = above - 1 - seq;
		if (seq > 0) above = seq;
		const entry = key && typeof e.action === 'string' && seq >= 0 && Number.isFinite(at) ? proto.attempt(() => proto.logAccessEntry(key, seq, at,
			strOrNull(e.grant_id), e.action, strOrNull(e.thread_id), strOrNull(e.message_id), Number.isSafeInteger(e.count) ? e.count : 0)) : null;
		if (entry) {
			const et = b64u(entry);
			const was = seq > 0 ? seen[String(seq)] : undefined;
			let idx = null;
			try {
				idx = await prove(c, { type: LEAF_ACCESS, kind: 0, userId: '' }, entry);
			} catch (err) {
				if (err.code !== Status.NOT_FOUND) throw err;
			}
			if (typeof was === 'string' && was !== et) problem = 'changed since this device showed it: written again';
			else if (idx !== null && idx > newer) problem = 'logged after newer lines: written again after the fact';
			if (idx !== null && problem === null) {
				proven = true;
				newer = idx;
				if (seq > 0 && typeof was !== 'string') {
					seen[String(seq)] = et;
					changed = true;
					if (seq > (Number(state.access_highest) || 0)) state.access_highest = seq;
				}
			}
		}
		if (problem) e.log_problem = problem;
		e.proven = proven;
	}
	if (changed) {
		const nums = Object.keys(seen).map(Number).sort((a, b) => a - b);
		for (const n of nums.slice(0, Math.max(0, nums.length - SEEN_KEEP))) delete seen[String(n)];
		const fresh = await c.json('log'); /* proofs may have moved the checkpoint meanwhile: keep its fields */
		await c.store.put('log', { ...fresh, access_seen: seen, access_highest: state.access_highest });
	}
	await saveProven(c);
}

/* JSON text with every object's keys sorted, no spaces (jansson's JSON_COMPACT | JSON_SORT_KEYS). */
function sortedJson(v) {
	if (Array.isArray(v)) return `[${v.map(sortedJson).join(',')}]`;
	if (v && typeof v === 'object') return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${sortedJson(v[k])}`).join(',')}}`;
	return JSON.stringify(v);
}

/* The entry of a grant's event (ended: its end, else its creation) rebuilt from the grant as listed, or null. */
function grantEntry(g, ended) {
	const at = ended ? g.revoked_at : g.created_at;
	const client = g.app && g.app.client_id;
	const details = g.authorization_details;
	if (![g.grant_id, g.scope, client, g.expires_at, at].every((x) => typeof x === 'string') || details === undefined || details === null) return null;
	return proto.attempt(() => proto.logGrantEntry(ended, g.grant_id, client, g.scope, sortedJson(details), g.expires_at, at));
}

/** Mark each grant of a GET /v1/me/grants answer "proven" when its creation (and end, if it ended) is in the log. */
export async function markGrants(c, page) {
	for (const g of page && Array.isArray(page.grants) ? page.grants : []) {
		if (!g || typeof g !== 'object') continue;
		let proven = true;
		for (let ev = 0; ev < 2 && proven; ev++) {
			if (ev === 1 && typeof g.revoked_at !== 'string') break;
			const entry = grantEntry(g, ev === 1);
			if (!entry) {
				proven = false;
				break;
			}
			try {
				await prove(c, { type: LEAF_GRANT, kind: ev + 1, userId: c.userId }, entry);
			} catch (err) {
				if (err.code !== Status.NOT_FOUND) throw err;
				proven = false;
			}
		}
		g.proven = proven;
	}
	await saveProven(c);
}

/* ---- monitoring the person's own account ---- */

/*
 * The hashes of everything this person's identity stands behind: of the server's listing, only statements
 * that verify with the identity key this store holds (its IDENTITY statement, device certificates and
 * removals, app authorisations and revocations), and the grants the server lists; plus those remembered.
 */
async function knownMine(c, state) {
	const known = state.mine && typeof state.mine === 'object' ? state.mine : {};
	state.mine = known;
	const devs = await c.request('GET', '/v1/devices');
	const apps = await c.request('GET', '/v1/me/app-devices').catch(() => null);
	const grants = await c.request('GET', '/v1/me/grants').catch(() => null);
	for (const g of grants && Array.isArray(grants.grants) ? grants.grants : []) {
		for (const ended of [false, true]) {
			const h = g && grantEntry(g, ended);
			if (h) known[b64u(h)] = true;
		}
	}
	const texts = [devs && devs.identity && devs.identity.statement];
	for (const d of Array.isArray(devs && devs.devices) ? devs.devices : []) texts.push(d && d.cert);
	for (const r of Array.isArray(devs && devs.revocations) ? devs.revocations : []) texts.push(r);
	for (const d of apps && Array.isArray(apps.devices) ? apps.devices : []) texts.push(d && d.authorisation, d && d.revocation);
	for (const t of texts) {
		const b = typeof t === 'string' ? unb64u(t, { max: proto.STATEMENT_MAX }) : null;
		const st = b && c.identity ? proto.attempt(() => proto.statementVerify(b, 0, c.identity.pk)) : null;
		if (!st || (st.type === proto.ST.IDENTITY && !bytesEqual(st.key, c.identity.pk))) continue;
		known[b64u(sodium.crypto_generichash(32, b, null))] = true;
	}
	return known;
}

function leafWords(leafType, kind) {
	if (leafType === LEAF_GRANT) return kind === 2 ? "an app's disconnection the server does not show you" : 'an app connection the server does not show you';
	return {
		[proto.ST.IDENTITY]: 'an identity key', [proto.ST.DEVICE_CERT]: 'a device approval', [proto.ST.DEVICE_REVOKE]: 'a device removal',
		[proto.ST.APP_AUTH]: 'an app authorisation', [proto.ST.APP_REVOKE]: 'an app revocation',
	}[kind] || 'a statement';
}

/** pst_log_verify (see Client.logVerify): resolves to the report. */
export async function verify(c) {
	const { size, root } = await checkpoint(c, true);
	const state = await c.json('log');
	const f = proto.frontierInit();
	const fr = state.frontier;
	if (fr && Number.isSafeInteger(fr.size) && fr.size <= size && Array.isArray(fr.hashes)) {
		const hashes = fr.hashes.slice(0, 64).map((x) => unb64u(x, { exact: 32 }));
		if (!hashes.some((x) => x === null)) {
			f.size = BigInt(fr.size);
			f.hash = hashes;
		}
	}
	if (proto.attempt(() => proto.frontierRoot(f)) === null) Object.assign(f, proto.frontierInit()); /* a damaged record: from the start */
	const from = Number(f.size);
	const joined = Number(state.joined_at_size) || 0;
	const known = await knownMine(c, state);
	const label = proto.logLabel(c.userId);
	const found = [];
	let pos = from, mine = 0, scanned = 0;
	while (pos < size) {
		const end = Math.min(size, pos + LEAVES_PAGE);
		let ans;
		try {
			ans = await c.request('GET', `/v1/log/leaves?start=${pos}&end=${end}`);
		} catch (e) {
			if (e.code === Status.HTTP || e.code === Status.NOT_FOUND)
				throw new PstError(Status.UNTRUSTED, `the server's transparency log cannot hand out every entry its checkpoint counts (from entry ${pos} on): entries were removed or rewritten`);
			throw e;
		}
		const leaves = ans && Array.isArray(ans.leaves) ? ans.leaves : [];
		if (leaves.length === 0) throw new PstError(Status.UNTRUSTED, `the server's transparency log has no entry ${pos}, which its checkpoint counts`);
		for (const lt of leaves) {
			if (pos >= size) break;
			const leaf = typeof lt === 'string' ? unb64u(lt, { max: proto.LOG_LEAF_MAX }) : null;
			if (!leaf || proto.attempt(() => (proto.frontierAppend(f, proto.merkleLeafHash(leaf)), true)) !== true)
				throw new PstError(Status.UNTRUSTED, `entry ${pos} of the server's transparency log is malformed`);
			const underMine = leaf.length >= 42 && bytesEqual(leaf.subarray(10, 42), label);
			if (leaf.length === 75 && (leaf[1] === LEAF_KEY || leaf[1] === LEAF_GRANT) && underMine) {
				const kind = leaf[42], ht = b64u(leaf.subarray(43, 75));
				mine++;
				if ((leaf[1] === LEAF_GRANT || kind !== proto.ST.APP_CONSENT) && pos >= joined && !known[ht]) {
					let at = 0;
					for (let k = 0; k < 8; k++) at = at * 256 + leaf[2 + k];
					found.push({ index: pos, at: Number.isFinite(at) && at < 8.64e15 ? new Date(at).toISOString() : '', what: leafWords(leaf[1], kind) });
				}
				known[ht] = true; /* found once; kept in "alarms" until acknowledged */
			} else if (underMine && pos >= joined) {
				/* the account's label in a leaf of no shape the log writes: no honest server makes one */
				found.push({ index: pos, at: '', what: 'a malformed entry under your account' });
			}
			pos++;
			scanned++;
		}
	}
	/* the leaves handed out are exactly those the checkpoint commits to */
	if (!bytesEqual(proto.frontierRoot(f), root))
		throw new PstError(Status.UNTRUSTED, "the entries the server's transparency log hands out do not hash to its signed checkpoint: it hides or rewrites entries");
	const fresh = await c.json('log'); /* keep what else was written to the record meanwhile (the checkpoint, proofs) */
	const alarms = (Array.isArray(fresh.alarms) ? fresh.alarms : []).concat(found).slice(-ALARMS_KEEP);
	await c.store.put('log', {
		...fresh, mine: known, alarms, monitored_at: Date.now(),
		frontier: { size: Number(f.size), hashes: f.hash.map((x) => b64u(x)) },
	});
	if (alarms.length)
		c.notice = `the transparency log holds ${alarms.length} change${alarms.length === 1 ? '' : 's'} to your account that none of your devices made or that the server hides (${alarms[0].what} at ${alarms[0].at || 'an unknown time'}): someone with the server's help may be adding a device, changing your identity or connecting an app`;
	return { from_size: from, size, scanned, yours: mine, new_alarms: found.length, alarms };
}

/** The alarms not yet acknowledged (no network). */
export async function alarms(c) {
	const st = await c.json('log');
	return Array.isArray(st.alarms) ? st.alarms : [];
}

/** Alarms the person has not acknowledged (the "log" record's list). */
export async function alarmCount(c) {
	const st = await c.json('log');
	return Array.isArray(st.alarms) ? st.alarms.length : 0;
}

/** Acknowledge every alarm. */
export async function alarmsClear(c) {
	const st = await c.json('log');
	st.alarms = [];
	await c.store.put('log', st);
}
