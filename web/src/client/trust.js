/*
 * trust.js — whom this client believes, decided here and never on the server's word (docs/protocol.md
 * §12-§13; libpostern's src/lib/trust.c): each account's identity key, pinned on first use in a CONTACT
 * statement signed by the person's own identity (kept on the server for their other devices, and in the
 * "pins" record); a later, different key is reported as a change instead of being used; an account's
 * devices kept only when that pinned key certified them, their registration signature holds, no
 * revocation by that key names them, and their certificate is in the transparency log. It must not accept a
 * device or key that only the server vouches for.
 */
import sodium from 'libsodium-wrappers-sumo';
import { PstError, Status } from './errors.js';
import { b64u, unb64u, bytesEqual, nowMs } from './util.js';
import { pathOf } from './http.js';
import { statementOk, stmtBytes } from './state.js';
import * as proto from './protocol.js';
import * as tlog from './tlog.js';

/** Identity states, as libpostern's enum pst__id_state and pst_contact's "state". */
export const Id = Object.freeze({ NONE: 'none', NEW: 'new', SEEN: 'seen', VERIFIED: 'verified', CHANGED: 'changed' });

/* The pins, merged with the CONTACT statements this person's identity signed on any device (newest wins). */
async function pinsLoad(c) {
	if (c.pins) return c.pins;
	c.pins = await c.json('pins');
	if (!c.identity) return c.pins;
	let out;
	try {
		out = await c.request('GET', '/v1/me/contacts');
	} catch (e) {
		if (e.code === Status.NOT_FOUND) return c.pins;
		throw e;
	}
	for (const x of (out && Array.isArray(out.statements) ? out.statements : [])) {
		const st = statementOk(x, proto.ST.CONTACT, c.identity.pk);
		if (!st) continue;
		const have = c.pins[st.userId];
		if (have && Number(have.at) > Number(st.atMs)) continue;
		c.pins[st.userId] = { pk: b64u(st.key), level: st.op === proto.CONTACT.VERIFIED ? 2 : 1, at: Number(st.atMs) };
	}
	return c.pins;
}

/** Sign a CONTACT statement for (userId, pk, level), store it on the server and in the pins. */
export async function pinSet(c, userId, pk, level) {
	await pinsLoad(c);
	const at = nowMs();
	const text = c.signIdentity({ type: proto.ST.CONTACT, userId, key: pk, op: level, atMs: at });
	await c.request('POST', '/v1/me/contacts', { statement: text });
	c.pins[userId] = { pk: b64u(pk), level: level === proto.CONTACT.VERIFIED ? 2 : 1, at };
	await c.store.put('pins', c.pins);
}

/**
 * Pin id's identity key pk on first use without signing anything (a partner app holds no identity key: its
 * pins stay in its own store, as pst__pin_local). Resolves to true when id had another key pinned (the key
 * changed: nothing may be encrypted to id's devices), else false.
 */
export async function pinLocal(c, id, pk) {
	await pinsLoad(c);
	const have = c.pins[id] && unb64u(c.pins[id].pk, { exact: 32 });
	if (have) return !bytesEqual(have, pk);
	c.pins[id] = { pk: b64u(pk), level: 1, at: nowMs() };
	await c.store.put('pins', c.pins);
	return false;
}

/**
 * Verify one device object of the server's against the identity key idPk (certificate; the registration
 * signature unless userId is null; revocations by idPk): a device {deviceId, userId, signPk, boxPk} or null.
 */
export function deviceCheck(dev, userId, idPk, revocations) {
	const did = dev && dev.device_id;
	if (typeof did !== 'string' || did.length === 0 || did.length > 64) return null;
	const signPk = unb64u(dev.sign_pk, { exact: 32 }), boxPk = unb64u(dev.box_pk, { exact: 32 });
	if (!signPk || !boxPk) return null;
	const cert = statementOk(dev.cert, proto.ST.DEVICE_CERT, idPk);
	if (!cert || cert.deviceId !== did || !bytesEqual(cert.key, signPk) || !bytesEqual(cert.key2, boxPk)) return null;
	if (userId !== null) {
		const reg = unb64u(dev.reg_sig, { exact: 64 });
		if (!reg || proto.attempt(() => (proto.deviceVerifyRegistration(signPk, boxPk, userId, reg), true)) !== true) return null;
	}
	for (const r of (Array.isArray(revocations) ? revocations : [])) {
		const st = statementOk(r, proto.ST.DEVICE_REVOKE, idPk);
		if (st && bytesEqual(st.key, signPk)) return null;
	}
	return { deviceId: did, userId: userId || '', signPk, boxPk, app: false, clientId: '' };
}

/* Fill p from the server's listing (identity statement, devices, revocations). */
async function personVerify(c, p) {
	const stmt = p.listing && p.listing.identity && p.listing.identity.statement;
	const own = p.userId === c.userId;
	p.state = Id.NONE;
	const done = () => {
		if (p.state === Id.NONE) p.ignored = Array.isArray(p.listing.devices) ? p.listing.devices.length : 0;
	};
	if (typeof stmt !== 'string') return done();
	const bin = stmtBytes(stmt);
	const st = bin && proto.attempt(() => {
		const s = proto.statementParse(bin, proto.ST.IDENTITY);
		return proto.statementVerify(bin, proto.ST.IDENTITY, s.key);
	});
	if (!st || st.userId !== p.userId) return done();
	p.stmt = bin;
	p.servedPk = st.key;
	p.username = st.username || '';
	if (own) {
		if (!c.identity) {
			p.pinnedPk = p.servedPk;
			p.state = Id.SEEN;
		} else {
			p.pinnedPk = c.identity.pk;
			p.state = sodium.memcmp(c.identity.pk, p.servedPk) ? Id.VERIFIED : Id.CHANGED;
		}
	} else {
		await pinsLoad(c);
		const pin = c.pins[p.userId];
		const pinned = pin && unb64u(pin.pk, { exact: 32 });
		if (!pinned) {
			p.pinnedPk = p.servedPk;
			p.state = Id.NEW;
		} else {
			p.pinnedPk = pinned;
			if (!bytesEqual(pinned, p.servedPk)) {
				p.state = Id.CHANGED;
				p.wasVerified = pin.level === 2;
			} else p.state = pin.level === 2 ? Id.VERIFIED : Id.SEEN;
		}
	}
	/* a key this client would use must be in the transparency log; a changed one is refused anyway */
	try {
		await tlog.proveStatement(c, p.userId, p.stmt);
	} catch (e) {
		if (e.code !== Status.NOT_FOUND) throw e;
		p.unlogged = true;
		if (p.state !== Id.CHANGED) {
			p.state = Id.NONE;
			return done();
		}
	}
	if (p.state === Id.NEW && c.identity) await pinSet(c, p.userId, p.servedPk, proto.CONTACT.SEEN);
	for (const d of (Array.isArray(p.listing.devices) ? p.listing.devices : [])) {
		if (d && d.app === true) continue; /* app devices read only where their person authorised them (chain.js) */
		const dev = deviceCheck(d, p.userId, p.pinnedPk, p.listing.revocations);
		if (!dev) {
			p.ignored++;
			continue;
		}
		const cert = stmtBytes(d.cert);
		try {
			await tlog.proveStatement(c, p.userId, cert);
			p.devices.push(dev);
		} catch (e) {
			if (e.code !== Status.NOT_FOUND) throw e;
			p.ignored++;
			p.unlogged = true;
		}
	}
	return done();
}

/**
 * The account userId as this client verifies it, fetched once per people map (a per-operation cache):
 * {userId, username, state, wasVerified, pinnedPk, servedPk, devices, ignored, unlogged, listing}.
 */
export async function personGet(c, people, userId) {
	if (people.has(userId)) return people.get(userId);
	if (typeof userId !== 'string' || userId.length > 64) throw new PstError(Status.PROTOCOL, 'a user id is too long');
	const listing = await c.request('GET', pathOf('/v1/users/%s/devices', userId));
	const p = { userId, username: '', state: Id.NONE, wasVerified: false, pinnedPk: null, servedPk: null, devices: [], ignored: 0, unlogged: false, stmt: null, listing: listing || {} };
	people.set(userId, p);
	await personVerify(c, p);
	return p;
}

/** pst_contact: the identity of userId as this client sees it (see Client.contact). */
export async function contact(c, userId) {
	c.needLogin();
	const p = await personGet(c, new Map(), userId);
	let safety = null;
	if (p.state !== Id.NONE && c.identity) safety = proto.safetyNumber(c.userId, c.identity.pk, p.userId, p.servedPk);
	await tlog.saveProven(c);
	return {
		user_id: p.userId, username: p.username, id_pk: p.state === Id.NONE ? null : b64u(p.servedPk), state: p.state,
		pinned_id_pk: p.state === Id.CHANGED ? b64u(p.pinnedPk) : null, safety_number: safety,
		/* what a QR code of the safety number carries: the digits exactly as shown (src/cli/identity.c out_qr) */
		safety_qr: safety,
		devices: p.devices.map((d) => ({ device_id: d.deviceId, sign_pk: b64u(d.signPk), box_pk: b64u(d.boxPk), fingerprint: proto.deviceFingerprint(d.signPk, d.boxPk) })),
		ignored_devices: p.ignored, was_verified: p.wasVerified,
	};
}

/** pst_contact_accept / pst_contact_verify: pin userId's current key at level. */
export async function contactMark(c, userId, level, allowIfVerified) {
	c.needLogin();
	if (!c.identity) throw new PstError(Status.APPROVAL, 'this device is not approved yet');
	if (userId === c.userId) throw new PstError(Status.INVALID, 'that is your own account');
	const p = await personGet(c, new Map(), userId);
	const name = p.username || userId;
	if (p.state === Id.NONE && !p.unlogged) throw new PstError(Status.NOT_FOUND, `${userId} has no identity key yet`);
	if (p.state === Id.CHANGED && p.wasVerified && !allowIfVerified)
		throw new PstError(Status.IDENTITY, `you had verified ${name}: compare the new safety number with them and verify again`);
	if (p.unlogged)
		throw new PstError(Status.UNTRUSTED, `${name}'s identity key is not in the server's transparency log: the server may be showing you a key nobody else sees; it cannot be accepted`);
	await pinSet(c, userId, p.servedPk, level);
}
