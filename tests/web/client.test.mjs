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
