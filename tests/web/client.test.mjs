/*
 * client.test.mjs — the web client engine (web/src/client) against a real posternd and the real C CLI:
 * accounts, friends, direct and group threads both ways, rotation, a second JS device approved by code,
 * deletion, unread counts, the live stream, and a lying server refused. Run: node --test tests/web/
 */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { Client, MemoryStore, PstError } from '../../web/src/client/index.js';
import { startServer, CliPerson, randName, cleanup } from './harness.mjs';

let srv;
before(async () => {
	srv = await startServer();
});
after(() => {
	srv && srv.stop();
	cleanup();
});

/** A JS person: registered, logged in as the first device. */
async function jsPerson(name) {
	const store = new MemoryStore();
	const c = await Client.open(srv.url, store);
	const username = randName(name), password = 'pw-' + randName('');
	await c.register(username, password);
	await c.login(username, password, 'web');
	return { c, store, username, password };
}

/** The request id the CLI person sees in their friend list (wherever the JSON puts it). */
function findRequestId(x) {
	if (Array.isArray(x)) for (const v of x) { const r = findRequestId(v); if (r) return r; }
	else if (x && typeof x === 'object') {
		if (typeof x.request_id === 'string') return x.request_id;
		for (const v of Object.values(x)) { const r = findRequestId(v); if (r) return r; }
	}
	return null;
}

async function befriendJsCli(js, cli) {
	await js.c.friendAdd(cli.name);
	const rid = findRequestId(await cli.json(['friends']));
	assert.ok(rid, 'the CLI person sees the request');
	await cli.run(['friends', 'accept', rid]);
}

const texts = (msgs) => msgs.map((m) => m.text);

test('milestone: register, login, friends, direct thread JS <-> CLI both ways', async () => {
	const js = await jsPerson('wanda');
	const key = js.c.takeRecoveryKey();
	assert.match(key, /^[0-9A-Z]{4}(-[0-9A-Z]{4}){8}$/, 'the recovery key is shown once at the first login');
	assert.equal(js.c.takeRecoveryKey(), null, 'and only once');
	const bob = new CliPerson(srv, 'bob');
	await bob.register();
	await befriendJsCli(js, bob);
	assert.equal(await js.c.friendId(bob.name), bob.userId);

	const tid = await js.c.threadDirect(bob.userId);
	await js.c.sendText(tid, 'hello bob, from the browser');
	const bobRead = (await bob.run(['read', js.username, '--limit', '50'])).stdout;
	assert.ok(bobRead.includes('hello bob, from the browser'), `bob reads JS's message: ${bobRead}`);

	await bob.run(['send', js.username, 'hi wanda, from the terminal']);
	const msgs = await js.c.read(tid, 50);
	assert.deepEqual(texts(msgs), ['hello bob, from the browser', 'hi wanda, from the terminal']);
	assert.equal(msgs[1].senderId, bob.userId);
	assert.equal(msgs[1].error, null);

	/* the safety number: the same digits on both sides, the QR payload exactly those digits */
	const mine = await js.c.contact(bob.userId);
	const theirs = await bob.json(['verify', js.username]);
	assert.match(mine.safety_number, /^\d{5}( \d{5}){11}$/);
	assert.equal(mine.safety_number, theirs.safety_number);
	assert.equal(mine.safety_qr, theirs.safety_number);
	assert.equal(mine.state, 'seen');
	assert.equal(mine.devices.length, 1);

	/* a bad argument is a clear error, not a crash */
	await assert.rejects(js.c.sendText('not an id!', 'x'), (e) => e instanceof PstError && e.code === 'PST_ERR_INVALID');
});

test('group of three (JS + two CLI) both ways, then a fourth added: the session rotates', async () => {
	const js = await jsPerson('gina');
	const bob = new CliPerson(srv, 'bob'), carol = new CliPerson(srv, 'carol'), dave = new CliPerson(srv, 'dave');
	for (const p of [bob, carol, dave]) {
		await p.register();
		await befriendJsCli(js, p);
	}
	const tid = await js.c.threadCreate([bob.userId, dave.userId]);
	await js.c.sendText(tid, 'first, before carol');
	await bob.run(['send', tid, 'bob to the group']);
	const outBefore = (await js.c.read(tid, 50)).filter((m) => m.senderId === js.c.userId());
	await js.c.threadAddMember(tid, carol.userId); /* the recipient set changes: the next message rotates */
	await js.c.sendText(tid, 'second, carol can read this');
	await carol.run(['send', tid, 'carol joined']);
	const carolRead = (await carol.run(['read', tid, '--limit', '50'])).stdout;
	assert.ok(carolRead.includes('second, carol can read this'), `carol reads after joining: ${carolRead}`);
	assert.ok(!carolRead.includes('first, before carol'), 'carol cannot read what was sent before she joined');
	const bobRead = (await bob.run(['read', tid, '--limit', '50'])).stdout;
	assert.ok(bobRead.includes('first, before carol') && bobRead.includes('second, carol can read this') && bobRead.includes('carol joined'), bobRead);
	const msgs = await js.c.read(tid, 50);
	assert.deepEqual(texts(msgs), ['first, before carol', 'bob to the group', 'second, carol can read this', 'carol joined']);
	/* a new session after the member was added: another session id in the envelope (bytes 37+t+d .. +16) */
	const raw = (await js.c.call('GET', `/v1/threads/${tid}/messages?limit=50`)).messages.filter((m) => m.sender_id === js.c.userId());
	const sid = (b) => { const e = Buffer.from(b, 'base64url'); const t = e[3], d = e[4 + t]; return e.subarray(37 + t + d, 53 + t + d).toString('hex'); };
	assert.equal(outBefore.length, 1);
	assert.notEqual(sid(raw[0].body), sid(raw[1].body), 'adding a member rotated the session');
});

test('100 messages rotate the session, and the CLI reads across it', async () => {
	const js = await jsPerson('rita');
	const bob = new CliPerson(srv, 'bob');
	await bob.register();
	await befriendJsCli(js, bob);
	const tid = await js.c.threadDirect(bob.userId);
	for (let i = 0; i < 101; i++) await js.c.sendText(tid, `n${i}`);
	const raw = (await js.c.call('GET', `/v1/threads/${tid}/messages?limit=200`)).messages;
	const sid = (b) => { const e = Buffer.from(b, 'base64url'); const t = e[3], d = e[4 + t]; return e.subarray(37 + t + d, 53 + t + d).toString('hex'); };
	assert.equal(new Set(raw.slice(0, 100).map((m) => sid(m.body))).size, 1);
	assert.notEqual(sid(raw[99].body), sid(raw[100].body), 'the 101st message is in a new session');
	const out = (await bob.run(['read', js.username, '--limit', '3'])).stdout;
	assert.ok(out.includes('n99') && out.includes('n100'), out);
});

test('a second JS device is approved with its code and reads; delete own message; unread counts', async () => {
	const js = await jsPerson('dora');
	const bob = new CliPerson(srv, 'bob');
	await bob.register();
	await befriendJsCli(js, bob);
	const tid = await js.c.threadDirect(bob.userId);
	const second = await Client.open(srv.url, new MemoryStore());
	await assert.rejects(second.login(js.username, js.password, 'tablet'), (e) => e.code === 'PST_ERR_APPROVAL');
	const code = second.approvalCode();
	assert.match(code, /^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$/);
	assert.equal(await second.waitApproval(0), false, 'not approved yet');
	await assert.rejects(js.c.deviceApprove('ZZZZ-ZZZZ-ZZZZ'), (e) => e.code === 'PST_ERR_NOT_FOUND');
	await js.c.deviceApprove(code.toLowerCase());
	assert.equal(await second.waitApproval(5), true);
	await bob.run(['send', js.username, 'for both of dora\'s devices']);
	assert.deepEqual(texts(await second.read(tid, 10)), ['for both of dora\'s devices']);
	const mid = await second.sendText(tid, 'from the tablet');
	assert.ok((await bob.run(['read', js.username])).stdout.includes('from the tablet'));
	assert.deepEqual(texts(await js.c.read(tid, 10)), ['for both of dora\'s devices', 'from the tablet']);
	/* delete own message: a tombstone for everyone */
	await second.deleteMessage(tid, mid);
	const after = await js.c.read(tid, 10);
	assert.equal(after[1].deleted, true);
	assert.equal(after[1].text, null);
	assert.ok(!(await bob.run(['read', js.username])).stdout.includes('from the tablet'));
	/* unread counts in the inbox, and markRead */
	await bob.run(['send', js.username, 'unread one']);
	await bob.run(['send', js.username, 'unread two']);
	const unread = () => js.c.inbox(10).then((b) => b.threads.find((t) => t.thread_id === tid).unread);
	const before = await unread();
	assert.ok(before >= 2, `unread ${before}`);
	const last = (await js.c.read(tid, 1))[0];
	await js.c.markRead(tid, last.seq);
	assert.equal(await unread(), 0);
});

test('the live stream delivers a CLI message to JS, decrypted, and resumes from a cursor', async () => {
	const js = await jsPerson('lena');
	const bob = new CliPerson(srv, 'bob');
	await bob.register();
	await befriendJsCli(js, bob);
	const tid = await js.c.threadDirect(bob.userId);
	await js.c.sendText(tid, 'open the thread');
	const got = [];
	let lastId = null;
	let resolve;
	const arrived = new Promise((r) => (resolve = r));
	const stop = js.c.watch((type, ev, msg) => {
		lastId = ev.cursor;
		if (type === 'message.created' && msg && msg.senderId === bob.userId) {
			got.push(msg.text);
			resolve();
		}
	});
	await bob.run(['send', js.username, 'live from the terminal']);
	await Promise.race([arrived, new Promise((_, rej) => setTimeout(() => rej(new Error('no live message in 15 s')), 15000))]);
	stop();
	await stop.done;
	assert.deepEqual(got, ['live from the terminal']);
	/* resume: a message sent while away comes when watching again from the last event id */
	await bob.run(['send', js.username, 'while you were away']);
	const got2 = [];
	let resolve2;
	const arrived2 = new Promise((r) => (resolve2 = r));
	const stop2 = js.c.watch((type, ev, msg) => {
		if (type === 'message.created' && msg) {
			got2.push(msg.text);
			resolve2();
		}
	}, { lastEventId: lastId });
	await Promise.race([arrived2, new Promise((_, rej) => setTimeout(() => rej(new Error('no resumed message')), 15000))]);
	stop2();
	await stop2.done;
	assert.deepEqual(got2, ['while you were away']);
});

test('a server that lists a device without a valid certificate is refused: nothing encrypted to it', async () => {
	const sent = [];
	const liar = async (url, init = {}) => {
		if (init.method === 'POST' && url.endsWith('/v1/to-device')) sent.push(...JSON.parse(init.body).messages.map((m) => m.device_id));
		const res = await fetch(url, init);
		if (!/\/v1\/users\/[^/]+\/devices$/.test(new URL(url).pathname) || res.status !== 200) return res;
		const j = await res.json();
		const d = j.devices.find((x) => x.cert);
		if (d && !j.user_id_is_liar) j.devices.push({ ...d, device_id: 'd_fakefakefake', cert: d.cert.slice(0, -4) + 'AAAA' });
		return new Response(JSON.stringify(j), { status: 200, headers: { 'Content-Type': 'application/json' } });
	};
	const store = new MemoryStore();
	const js = { c: await Client.open(srv.url, store, { fetchImpl: liar }), username: randName('lara'), password: 'pw-' + randName('') };
	await js.c.register(js.username, js.password);
	await js.c.login(js.username, js.password, 'web');
	const bob = new CliPerson(srv, 'bob');
	await bob.register();
	await befriendJsCli(js, bob);
	const info = await js.c.contact(bob.userId);
	assert.equal(info.devices.length, 1, 'only the certified device is verified');
	assert.equal(info.ignored_devices, 1, 'the forged one is listed as ignored');
	const tid = await js.c.threadDirect(bob.userId);
	await js.c.sendText(tid, 'only to real devices');
	assert.ok(sent.length >= 1 && !sent.includes('d_fakefakefake'), `hand-overs went to ${sent}`);
	assert.match(js.c.notice(), /not approved by their identity key/);
	assert.ok((await bob.run(['read', js.username])).stdout.includes('only to real devices'));
});
