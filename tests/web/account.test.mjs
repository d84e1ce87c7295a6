/*
 * account.test.mjs — the web client engine's account features (web/src/client) against a real posternd and
 * the real C CLI: changing the password (and the sealed store with it), deleting the account, a new recovery
 * key, an identity reset, the transparency-log audit with its alarms, the name an app shows for the person,
 * and the proof marks of grants and access-log lines — including a server that rewrites a line it showed.
 * Run: tests/web/run.sh client BUILD_DIR
 */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { AppClient, Client, MemoryStore, SealedStore } from '../../web/src/client/index.js';
import { startServer, CliPerson, randName, cleanup } from './harness.mjs';
import { createPublicApp, PageBrowser } from './partner_harness.mjs';

const REDIRECT = 'http://127.0.0.1:4567/cb';
const cheap = { opslimit: 1, memlimit: 8192 };
let srv, clientId;

before(async () => {
	srv = await startServer();
	clientId = await createPublicApp(srv, { redirectUri: REDIRECT, scopes: 'friends:read messages:send messages:read' });
});
after(() => {
	srv && srv.stop();
	cleanup();
});

const code = (c) => (e) => e && e.code === c;

/** A JS person, first device; store: what the client keeps its state in (a MemoryStore by default). */
async function jsPerson(name, { store = new MemoryStore(), fetchImpl } = {}) {
	const c = await Client.open(srv.url, store, { fetchImpl });
	const username = randName(name), password = 'pw-' + randName('');
	await c.register(username, password);
	await c.login(username, password, 'web');
	return { c, store, username, password, recoveryKey: c.takeRecoveryKey() };
}

async function befriend(js, cli) {
	await js.c.friendAdd(cli.name);
	const rid = JSON.stringify(await cli.json(['friends'])).match(/"request_id":"([^"]+)"/)[1];
	await cli.run(['friends', 'accept', rid]);
}

/** A client on a new MemoryStore logging in as username: resolves to it (rejects as login does). */
async function loginFresh(username, password) {
	const c = await Client.open(srv.url, new MemoryStore());
	await c.login(username, password, 'another');
	return c;
}

test('password change: the store is re-sealed; the old password neither logs in nor opens it; other sessions end', async () => {
	const inner = new MemoryStore();
	const sealed = await SealedStore.open(inner, 'first-password', cheap);
	const c = await Client.open(srv.url, sealed);
	const username = randName('pat');
	await c.register(username, 'first-password');
	await c.login(username, 'first-password', 'web');
	const other = await Client.open(srv.url, new MemoryStore());
	await assert.rejects(other.login(username, 'first-password', 'tablet'), code('PST_ERR_APPROVAL'), 'a second device logged in (waiting)');
	assert.equal((await other.whoami()).username, username);

	/* a wrong current password: refused by the server, nothing changes here */
	await assert.rejects(c.passwordChange('not-the-password', 'second-password'), (e) => e.httpStatus === 403);
	await SealedStore.open(inner, 'first-password', cheap);
	await assert.rejects(SealedStore.open(inner, 'second-password', cheap), code('PST_ERR_STORE'));
	assert.deepEqual((await inner.keys()).filter((k) => k.startsWith('next:')), [], 'no staged copy is left');
	/* too short: the server's reason */
	await assert.rejects(c.passwordChange('first-password', 'short'), (e) => e.httpStatus === 400);

	await c.passwordChange('first-password', 'second-password');
	assert.equal((await c.whoami()).username, username, 'this session goes on');
	await assert.rejects(SealedStore.open(inner, 'first-password', cheap), code('PST_ERR_STORE'), 'the old password does not open the store');
	const reopened = await Client.open(srv.url, await SealedStore.open(inner, 'second-password', cheap));
	assert.equal(reopened.userId(), c.userId(), 'the new one opens it, with everything in it');
	assert.equal((await reopened.whoami()).username, username);
	await assert.rejects(loginFresh(username, 'first-password'), (e) => e.code === 'PST_ERR_AUTH', 'the old password does not log in');
	await assert.rejects(loginFresh(username, 'second-password'), code('PST_ERR_APPROVAL'), 'the new one does (a new device, waiting)');
	/* the other device's session ended with the change */
	await assert.rejects(other.whoami(), code('PST_ERR_AUTH'));
});

test('password change in a store that stopped half-way: the old password or the new one opens it, never neither', async () => {
	/* staged, then the page died before the re-seal: the new password takes the staged copy */
	const inner = new MemoryStore();
	const s = await SealedStore.open(inner, 'old-password', cheap);
	await s.put('device', { secret: 'kept' });
	await s.stagePassphrase('new-password');
	const viaNew = await SealedStore.open(inner, 'new-password', cheap);
	assert.deepEqual(await viaNew.get('device'), { secret: 'kept' });
	await assert.rejects(SealedStore.open(inner, 'old-password', cheap), code('PST_ERR_STORE'));
	assert.deepEqual((await inner.keys()).filter((k) => k.startsWith('next:')), []);

	/* staged, then the page died and the person used the old password: the staged copy is dropped */
	const inner2 = new MemoryStore();
	const s2 = await SealedStore.open(inner2, 'old-password', cheap);
	await s2.put('device', { secret: 'kept' });
	await s2.stagePassphrase('new-password');
	const viaOld = await SealedStore.open(inner2, 'old-password', cheap);
	assert.deepEqual(await viaOld.get('device'), { secret: 'kept' });
	await assert.rejects(SealedStore.open(inner2, 'new-password', cheap), code('PST_ERR_STORE'));

	/* committed: what was written between the two steps is kept under the new password */
	const inner3 = new MemoryStore();
	const s3 = await SealedStore.open(inner3, 'old-password', cheap);
	const change = await s3.stagePassphrase('new-password');
	/* a canary long enough that sealed bytes (base64) cannot hold it by chance, as a short '42' sometimes did */
	const canary = 'CURSOR-CANARY-BETWEEN-THE-STEPS';
	await s3.put('cursor', canary);
	await s3.commitPassphrase(change);
	await s3.put('after', true);
	const s3b = await SealedStore.open(inner3, 'new-password', cheap);
	assert.equal(await s3b.get('cursor'), canary);
	assert.equal(await s3b.get('after'), true);
	for (const k of await inner3.keys()) assert.ok(!JSON.stringify(await inner3.get(k)).includes('CANARY'), `${k} is sealed`);
});

test('account deletion ends everything; a CLI friend sees the account gone', async () => {
	const js = await jsPerson('dina');
	const bob = new CliPerson(srv, 'bob');
	await bob.register();
	await befriend(js, bob);
	assert.ok(JSON.stringify(await bob.json(['friends'])).includes(js.username));
	await assert.rejects(js.c.accountDelete('wrong-password'), (e) => e.httpStatus === 403);
	assert.equal(js.c.loggedIn(), true, 'a wrong password deletes nothing');
	await assert.rejects(js.c.accountDelete(''), code('PST_ERR_INVALID'));
	await js.c.accountDelete(js.password);
	assert.equal(js.c.loggedIn(), false, 'the session is forgotten');
	assert.equal((await js.store.get('session')).token, '');
	await assert.rejects(js.c.whoami(), code('PST_ERR_AUTH'));
	await assert.rejects(loginFresh(js.username, js.password), (e) => e.code === 'PST_ERR_AUTH', 'the account no longer logs in');
	assert.ok(!JSON.stringify(await bob.json(['friends'])).includes(js.username), 'the friend no longer lists it');
	const sent = await bob.run(['send', js.username, 'anyone there?'], { allowFail: true });
	assert.notEqual(sent.code, 0, 'nothing can be sent to it');
});

test('a new recovery key approves a new device; the old one no longer does', async () => {
	const js = await jsPerson('rosa');
	assert.match(js.recoveryKey, /^[0-9A-Z]{4}(-[0-9A-Z]{4}){8}$/);
	const fresh = await js.c.recoveryKeyNew();
	assert.match(fresh, /^[0-9A-Z]{4}(-[0-9A-Z]{4}){8}$/);
	assert.notEqual(fresh, js.recoveryKey);
	assert.equal(js.c.takeRecoveryKey(), null, 'shown once');
	const second = await Client.open(srv.url, new MemoryStore());
	await assert.rejects(second.login(js.username, js.password, 'tablet'), code('PST_ERR_APPROVAL'));
	await assert.rejects(second.recover(js.recoveryKey), code('PST_ERR_CRYPTO'), 'the old key opens nothing');
	await second.recover(fresh);
	assert.equal(await second.waitApproval(0), true, 'the new key approved the device');
	/* a device without the identity cannot make one */
	const third = await Client.open(srv.url, new MemoryStore());
	await assert.rejects(third.login(js.username, js.password, 'phone'), code('PST_ERR_APPROVAL'));
	await assert.rejects(third.recoveryKeyNew(), code('PST_ERR_APPROVAL'));
});

test('identity reset: a new identity and key; contacts see the change; pins kept; the log audit raises an alarm on the other device', async () => {
	const js = await jsPerson('ivan');
	const bob = new CliPerson(srv, 'bob');
	await bob.register();
	await befriend(js, bob);
	const tid = await js.c.threadDirect(bob.userId);
	await js.c.sendText(tid, 'before the reset');
	await bob.run(['read', js.username]);
	assert.equal((await bob.json(['verify', js.username])).state, 'seen');

	/* the first device audits the log: nothing wrong yet */
	const r1 = await js.c.logVerify();
	assert.equal(r1.alarms.length, 0, JSON.stringify(r1.alarms));
	assert.ok(r1.size > 0 && r1.scanned === r1.size && r1.yours >= 2, JSON.stringify(r1));
	const r2 = await js.c.logVerify();
	assert.equal(r2.from_size, r1.size, 'the next audit goes on from where the last stopped');

	/* another device of the person, never approved, resets the identity (everything else "lost") */
	const second = await Client.open(srv.url, new MemoryStore());
	await assert.rejects(second.login(js.username, js.password, 'new laptop'), code('PST_ERR_APPROVAL'));
	const key = await second.identityReset();
	assert.match(key, /^[0-9A-Z]{4}(-[0-9A-Z]{4}){8}$/);
	assert.equal(await second.waitApproval(0), true, 'the resetting device holds the new identity');
	assert.equal((await bob.json(['verify', js.username])).state, 'changed', 'the contact sees the change');
	const c2 = await second.contact(bob.userId);
	assert.ok(c2.state === 'seen' || c2.state === 'new', `bob stays known: ${c2.state}`);
	const fromSecond = await second.threadDirect(bob.userId);
	assert.equal(fromSecond, tid);

	/* the first device's audit finds an identity key and a device approval it did not make */
	const r3 = await js.c.logVerify();
	assert.ok(r3.new_alarms >= 1, JSON.stringify(r3));
	assert.ok(r3.alarms.some((a) => a.what === 'an identity key'), JSON.stringify(r3.alarms));
	assert.match(js.c.notice(), /transparency log holds \d+ change/);
	/* alarms stay until acknowledged */
	const r4 = await js.c.logVerify();
	assert.equal(r4.new_alarms, 0);
	assert.equal(r4.alarms.length, r3.alarms.length);
	assert.equal(await js.c.logAlarmCount(), r3.alarms.length);
	assert.deepEqual(await js.c.logAlarms(), r3.alarms);
	await js.c.logAlarmsClear();
	assert.equal(await js.c.logAlarmCount(), 0);
	assert.equal((await js.c.logVerify()).alarms.length, 0, 'acknowledged alarms do not come back');
	/* the resetting device's own audit sees nothing wrong after it joined */
	assert.equal((await second.logVerify()).alarms.length, 0);
});

/** js connects the app (consent in Postern's pages); the app lists friends once. Resolves to the app client. */
async function connectApp(js) {
	const app = await AppClient.open(srv.url, new MemoryStore(), clientId);
	const url = await app.authorizeUrl(REDIRECT, 'friends:read messages:send messages:read');
	await app.finish(await new PageBrowser(srv.url).consent(url, js.username, js.password));
	await app.friends();
	return app;
}

test('app alias and proof marks: grants and access-log lines proven; a rewritten line is marked', async () => {
	let rewrite = null; /* (entries) => void: how the server lies about the access log */
	const liar = async (url, init = {}) => {
		const res = await fetch(url, init);
		if (!rewrite || new URL(url).pathname !== '/v1/me/access-log' || res.status !== 200) return res;
		const j = await res.json();
		rewrite(j.entries);
		return new Response(JSON.stringify(j), { status: 200, headers: { 'Content-Type': 'application/json' } });
	};
	const js = await jsPerson('alma', { fetchImpl: liar });
	await connectApp(js);

	const grants = (await js.c.grants()).grants;
	assert.equal(grants.length, 1);
	assert.equal(grants[0].proven, true, 'the grant is in the transparency log');
	const gid = grants[0].grant_id;
	const set = await js.c.grantAlias(gid, 'Almanac');
	assert.equal(set.alias, 'Almanac');
	assert.equal(set.chosen, true);
	assert.equal((await js.c.grants()).grants[0].alias, 'Almanac');
	await assert.rejects(js.c.grantAlias(gid, js.username), (e) => e.httpStatus === 400, 'not the username');
	await assert.rejects(js.c.grantAlias(gid, 42), code('PST_ERR_INVALID'));
	const back = await js.c.grantAlias(gid, null);
	assert.equal(back.chosen, false);
	assert.notEqual(back.alias, js.username);

	const page = await js.c.accessLog();
	assert.ok(page.entries.length >= 2, JSON.stringify(page.entries));
	for (const e of page.entries) assert.equal(e.proven, true, `line proven: ${JSON.stringify(e)}`);
	assert.equal(page.log_problem, undefined);

	/* the server shows a line it showed before with another count: written again */
	rewrite = (entries) => {
		const e = entries.find((x) => x.action === 'friends.list');
		e.count = (e.count || 0) + 7;
	};
	const lied = await js.c.accessLog();
	const bad = lied.entries.find((x) => x.action === 'friends.list');
	assert.equal(bad.proven, false);
	assert.match(bad.log_problem, /written again/);
	assert.ok(lied.entries.filter((x) => x !== bad).every((x) => x.proven === true), 'the other lines stay proven');

	/* a line the log never saw: not in the log (no problem named), and the newest lines gone are said */
	rewrite = (entries) => {
		entries.unshift({ ...entries[0], seq: entries[0].seq + 1, action: 'messages.read', count: 3 });
	};
	const invented = (await js.c.accessLog()).entries[0];
	assert.equal(invented.proven, false);
	assert.equal(invented.log_problem, undefined);
	rewrite = (entries) => entries.shift();
	assert.match((await js.c.accessLog()).log_problem, /newest 1 line this device was shown before is gone/);
	/* the honest server again: every line proven */
	rewrite = null;
	assert.ok((await js.c.accessLog()).entries.every((x) => x.proven === true));
});
