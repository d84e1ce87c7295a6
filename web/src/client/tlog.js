/*
 * tlog.js — the client's side of the server's transparency log (docs/transparency.md; libpostern's
 * src/lib/tlog.c): the newest checkpoint, verified (the log key pinned on first use, consistency with the
 * checkpoint this store accepted before, which then moves on), and inclusion proofs for what the client
 * relies on — identity statements and device certificates before encrypting to them. A proof once checked
 * is remembered ("log" record). A log that does not continue what was seen is PST_ERR_UNTRUSTED. It must not
 * take any statement as proven on the server's word alone.
 */
import sodium from 'libsodium-wrappers-sumo';
import { PstError, Status } from './errors.js';
import { b64u, unb64u, bytesEqual, sleep } from './util.js';
import * as proto from './protocol.js';

const LEAF_KEY = 1;
const PROVEN_KEEP = 20000;

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

/* Does the leaf have the shape of the KEY entry wanted (75 bytes: version, type, time, label, statement type, hash)? */
function leafIs(leaf, want, entry) {
	const n = leaf.length;
	if (n < 42 || leaf[0] !== 1 || leaf[1] !== want.type || !bytesEqual(leaf.subarray(n - 32), entry)) return false;
	if (want.type !== LEAF_KEY) return n === 42;
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
