/*
 * identity.js — this person's identity key on this device (docs/protocol.md §12, §14; libpostern's
 * src/lib/identity.c): made by the account's first device at its first login, with a recovery key shown
 * once and a backup only that key opens; received by a later device from one that approves it by its code
 * (or opened from the backup with the recovery key). Whatever the server says, a device is approved only when
 * the identity key this device holds certified it. Also a new recovery key for the same identity, and a new
 * identity when everything was lost (libpostern's pst_recovery_key_new, pst_identity_reset). It must never
 * show a recovery key twice nor accept an identity key other than the account's published one.
 */
import sodium from 'libsodium-wrappers-sumo';
import { PstError, Status } from './errors.js';
import { b64u, unb64u, nowMs } from './util.js';
import { pathOf } from './http.js';
import { stmtBytes } from './state.js';
import * as proto from './protocol.js';
import * as prekeys from './prekeys.js';
import { deviceCheck, pinSet } from './trust.js';

/* GET /v1/devices and this device's object in it. */
async function myListing(c) {
	const answer = await c.request('GET', '/v1/devices');
	const mine = (answer && Array.isArray(answer.devices) ? answer.devices : []).find((d) => d && d.device_id === c.deviceId);
	if (!mine) throw new PstError(Status.NOT_FOUND, 'this device is not registered with the account');
	return { answer, mine };
}

/* The account's served identity key (a valid self-signed statement naming this account), or null. */
function servedIdentity(answer, userId) {
	const bin = stmtBytes(answer && answer.identity && answer.identity.statement);
	const st = bin && proto.attempt(() => proto.statementVerify(bin, proto.ST.IDENTITY, proto.statementParse(bin, proto.ST.IDENTITY).key));
	return st && st.userId === userId ? st.key : null;
}

async function certifySelf(c) {
	const cert = c.signIdentity({ type: proto.ST.DEVICE_CERT, deviceId: c.deviceId, key: c.keys.signPk, key2: c.keys.boxPk, atMs: nowMs() });
	await c.request('PUT', pathOf('/v1/devices/%s/cert', c.deviceId), { cert });
}

/* Publish c.identity (statement and a backup under a new recovery key), then certify this device. */
async function publish(c, username, reset) {
	const secret = proto.recoveryNew();
	const stmt = c.signIdentity({ type: proto.ST.IDENTITY, userId: c.userId, username, key: c.identity.pk, atMs: nowMs() });
	const text = proto.recoveryFormat(secret);
	const backup = proto.backupSeal(c.identity, c.userId, secret, sodium.crypto_pwhash_OPSLIMIT_INTERACTIVE, sodium.crypto_pwhash_MEMLIMIT_INTERACTIVE);
	secret.fill(0);
	await c.request('PUT', '/v1/me/identity', { statement: stmt, backup: b64u(backup), reset });
	c.recoveryText = text;
	await certifySelf(c);
	c.approved = true;
	await c.saveKeys();
}

function setCode(c) {
	c.approvalCode = proto.attempt(() => proto.approvalCode(c.userId, c.deviceId, c.keys.signPk, c.keys.boxPk)) || '';
}

function adopt(c, id, served) {
	if (!sodium.memcmp(id.pk, served)) throw new PstError(Status.UNTRUSTED, "the identity key offered is not the account's published one");
	c.identity = id;
}

/**
 * Make sure this device holds the account's identity and carries its certificate: made here on the first
 * device, taken from an approval's box, or waited for (PST_ERR_APPROVAL with c.approvalCode set).
 */
export async function ready(c) {
	const me = await c.request('GET', '/v1/me');
	const username = (me && me.username) || '';
	return c.locked(async () => {
		c.approvalCode = '';
		const { answer, mine } = await myListing(c);
		const served = servedIdentity(answer, c.userId);
		if (!served) {
			if (answer.identity) throw new PstError(Status.UNTRUSTED, 'the server shows an identity for your account that does not verify');
			if (!c.identity) {
				c.identity = proto.identityKeygen();
				c.approved = false;
				await c.saveKeys(); /* kept before it is published: never lose it */
			}
			try {
				await publish(c, username, false);
			} catch (e) {
				if (e.code === Status.HTTP && e.httpStatus === 409) {
					c.identity = null;
					await c.saveKeys();
					setCode(c);
					throw new PstError(Status.APPROVAL, 'another device made your account\'s identity first: approve this one from it');
				}
				throw e;
			}
			await prekeys.refill(c);
			return;
		}
		if (c.identity && !sodium.memcmp(c.identity.pk, served)) {
			c.identity = null; /* reset elsewhere (or a server lying) */
			c.approved = false;
			await c.saveKeys();
		}
		if (!c.identity) {
			const box = unb64u(mine.identity_box, { max: proto.IDENTITY_BOX_MAX });
			const id = box && proto.attempt(() => proto.identityBoxOpen(box, c.keys, c.deviceId));
			if (id) adopt(c, id, served);
		}
		if (!c.identity) {
			setCode(c);
			throw new PstError(Status.APPROVAL, `this device waits for approval: on a device already approved, approve code ${c.approvalCode}, or log in here with your recovery key`);
		}
		if (!deviceCheck(mine, c.userId, c.identity.pk, null)) await certifySelf(c);
		c.approved = true;
		await c.saveKeys();
		await prekeys.refill(c);
	});
}

/** pst_recover: approve this device with the recovery key. */
export async function recover(c, recoveryKey) {
	if (typeof recoveryKey !== 'string') throw new PstError(Status.INVALID, 'a recovery key is required');
	if (!c.token || !c.deviceId) throw new PstError(Status.AUTH, 'not logged in with a registered device');
	const secret = proto.attempt(() => proto.recoveryParse(recoveryKey));
	if (!secret) throw new PstError(Status.INVALID, 'that is not a recovery key (a character is wrong or missing): check what you wrote down');
	const { answer } = await myListing(c);
	const served = servedIdentity(answer, c.userId);
	if (!served) throw new PstError(Status.NOT_FOUND, 'your account has no identity key to recover');
	const b = await c.request('GET', '/v1/me/identity/backup');
	const backup = unb64u(b && b.backup, { max: proto.BACKUP_MAX });
	let id;
	try {
		if (!backup) throw Object.assign(new Error('malformed'), { name: 'ProtoError', code: 'MALFORMED' });
		id = proto.backupOpen(backup, c.userId, secret);
	} catch (e) {
		if (proto.isProtoError(e, 'WRONG_KEY')) throw new PstError(Status.CRYPTO, "this recovery key does not open your identity backup (an older key, or another account's)");
		if (proto.isProtoError(e)) throw new PstError(Status.UNTRUSTED, `the server's identity backup is not valid (${e.message})`);
		throw e;
	} finally {
		secret.fill(0);
	}
	await c.locked(async () => {
		adopt(c, id, served);
		await c.saveKeys();
		await certifySelf(c);
		c.approved = true;
		c.approvalCode = '';
		await c.saveKeys();
		await prekeys.refill(c);
	});
}

/** pst_device_approve: approve the new device showing code (its keys checked against the code here). */
export async function approve(c, code) {
	if (typeof code !== 'string') throw new PstError(Status.INVALID, 'a code is required');
	if (!c.identity || !c.approved) throw new PstError(Status.APPROVAL, 'this device is not approved itself, so it cannot approve another');
	const norm = proto.attempt(() => proto.codeNormalize(code));
	if (!norm) throw new PstError(Status.INVALID, `'${code}' is not an approval code (12 letters and digits, like ABCD-EFGH-JKMN)`);
	let answer;
	try {
		answer = await c.request('GET', `/v1/devices/pending?code=${encodeURIComponent(norm)}`);
	} catch (e) {
		if (e.code === Status.NOT_FOUND) throw new PstError(Status.NOT_FOUND, `no new device of yours shows the code ${norm} (check it on the new device's screen)`, e);
		throw e;
	}
	const dev = answer && answer.device;
	const did = dev && dev.device_id;
	const spk = dev && unb64u(dev.sign_pk, { exact: 32 }), bpk = dev && unb64u(dev.box_pk, { exact: 32 }), reg = dev && unb64u(dev.reg_sig, { exact: 64 });
	const ok = typeof did === 'string' && did.length <= 64 && spk && bpk && reg &&
		proto.attempt(() => proto.approvalCode(c.userId, did, spk, bpk)) === norm &&
		proto.attempt(() => (proto.deviceVerifyRegistration(spk, bpk, c.userId, reg), true)) === true;
	if (!ok) throw new PstError(Status.UNTRUSTED, `the server answered code ${norm} with a device whose keys do not make that code: not approved`);
	const cert = c.signIdentity({ type: proto.ST.DEVICE_CERT, deviceId: did, key: spk, key2: bpk, atMs: nowMs() });
	const box = proto.identityBoxSeal(c.identity, did, bpk);
	await c.request('PUT', pathOf('/v1/devices/%s/cert', did), { cert, identity_box: b64u(box) });
	return dev;
}

/* The recovery key publish() made, handed out once (as pst_take_recovery_key). */
function takeText(c) {
	const t = c.recoveryText;
	c.recoveryText = null;
	return t;
}

async function usernameOf(c) {
	const me = await c.request('GET', '/v1/me');
	return (me && typeof me.username === 'string' && me.username) || '';
}

/** pst_recovery_key_new: the same identity published with a backup under a new recovery key; resolves to it. */
export async function recoveryKeyNew(c) {
	if (!c.identity || !c.approved) throw new PstError(Status.APPROVAL, 'this device is not approved: it holds no identity to back up');
	const username = await usernameOf(c);
	/* the same key with a new backup: the server replaces the old one, which the old recovery key opened */
	await c.locked(() => publish(c, username, false));
	return takeText(c);
}

/** pst_identity_reset: a new identity, published over the old one; the pins signed again. Resolves to the recovery key. */
export async function reset(c) {
	if (!c.token || !c.deviceId) throw new PstError(Status.AUTH, 'not logged in with a registered device');
	const username = await usernameOf(c);
	const oldPins = await c.json('pins');
	await c.locked(async () => {
		c.identity = proto.identityKeygen();
		c.approved = false;
		await c.saveKeys(); /* kept before it is published: never lose it */
		await publish(c, username, true);
	});
	/* the old CONTACT statements no longer verify: each pin is signed again with the new key */
	c.pins = {};
	await c.store.put('pins', c.pins);
	for (const [uid, pin] of Object.entries(oldPins)) {
		const pk = pin && unb64u(pin.pk, { exact: 32 });
		if (pk) await pinSet(c, uid, pk, pin.level === 2 ? proto.CONTACT.VERIFIED : proto.CONTACT.SEEN);
	}
	await prekeys.refill(c);
	return takeText(c);
}
