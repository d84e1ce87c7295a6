/*
 * partner_app.test.mjs — the partner app's engine (web/src/client/app.js, AppClient) against a real posternd,
 * as a public client: the authorization code flow with PKCE driven through Postern's own login and consent
 * pages, the app's device approved by the person (the C CLI, then the JS Client), a friend picked on the
 * share page, an encrypted share the friend reads, the friend's consent and reply, which the app reads and
 * sees arrive live, the share deleted, and the grant revoked stopping the app. Run: node --test tests/web/
 */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { AppClient, Client, MemoryStore, PstError } from '../../web/src/client/index.js';
import { startServer, CliPerson, randName, cleanup } from './harness.mjs';
import { createPublicApp, PageBrowser } from './partner_harness.mjs';

const REDIRECT = 'http://127.0.0.1:4567/cb';
const SCOPE = 'friends:read messages:send messages:read messages:delete';
let srv, clientId;

before(async () => {
	srv = await startServer();
	clientId = await createPublicApp(srv, { redirectUri: REDIRECT });
});
after(() => {
	srv && srv.stop();
	cleanup();
});

const isPst = (code) => (e) => e instanceof PstError && e.code === code;

/* Wait until pred() holds (polling), up to ms. */
async function until(pred, ms, what) {
	const end = Date.now() + ms;
	for (;;) {
		const v = await pred();
		if (v) return v;
		if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
		await new Promise((r) => setTimeout(r, 100));
	}
}

/* The app signs the person in: authorize URL, consent in Postern's pages, finish. Resolves to the page browser. */
async function signIn(app, username, password) {
	const url = await app.authorizeUrl(REDIRECT, SCOPE);
	const u = new URL(url);
	assert.equal(u.searchParams.get('code_challenge_method'), 'S256');
	assert.match(u.searchParams.get('code_challenge'), /^[A-Za-z0-9_-]{43}$/);
	assert.equal(u.searchParams.get('client_id'), clientId);
	const browser = new PageBrowser(srv.url);
	const back = await browser.consent(url, username, password);
	assert.ok(back.startsWith(`${REDIRECT}?`), `Postern sends the person back to the app: ${back}`);
	await app.finish(back);
	return browser;
}

async function jsPerson(name) {
	const c = await Client.open(srv.url, new MemoryStore());
	const username = randName(name), password = 'pw-' + randName('');
	await c.register(username, password);
	await c.login(username, password, 'web');
	return { c, username, password };
}

test('the app engine with CLI people: sign in with PKCE, approval, share, consent, reply live, delete, revoke', async () => {
	const alice = new CliPerson(srv, 'alice'), bob = new CliPerson(srv, 'bob');
	await alice.register();
	await bob.register();
	await alice.run(['friends', 'add', bob.name]);
	const reqs = await bob.json(['friends']);
	const rid = JSON.stringify(reqs).match(/"request_id":"([^"]+)"/)[1];
	await bob.run(['friends', 'accept', rid]);

	const store = new MemoryStore();
	const app = await AppClient.open(srv.url, store, clientId);
	assert.equal(app.signedIn(), false);
	await assert.rejects(app.friends(), isPst('PST_ERR_AUTH'), 'nothing before the person signs in');

	/* an answer that is not this authorization's is refused and uses nothing up */
	await app.authorizeUrl(REDIRECT, SCOPE);
	await assert.rejects(app.finish(`${REDIRECT}?code=x&state=forged&iss=${encodeURIComponent(srv.url)}`), isPst('PST_ERR_CRYPTO'));
	assert.equal(await app.authorizing(), true, 'a forged answer does not end the authorization under way');

	const browser = await signIn(app, alice.name, alice.password);
	assert.equal(await app.authorizing(), false);
	assert.match(app.sub(), /^p_/, 'the person is known by a pairwise id');
	assert.ok(app.deviceId(), 'the app registered its device');
	assert.ok(!(await store.keys()).some((k) => /secret/i.test(k)), 'a public client keeps no secret');

	/* the person approves the app's device by the code it shows, from their own client */
	const code = app.approvalCode();
	assert.match(code, /^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$/);
	await alice.run(['apps', 'approve', code]);

	/* bob does not use the app: alice picks him on the share page */
	const back = await browser.pick(await app.sharePageUrl(REDIRECT), [bob.userId], alice.name, alice.password);
	await assert.rejects(app.sharePageFinish(back.replace(/state=[^&]+/, 'state=other')), isPst('PST_ERR_CRYPTO'));
	const picked = await app.sharePageFinish(back);
	assert.equal(picked.length, 1);
	const pid = picked[0];
	assert.match(pid, /^p_/);

	const sh = await app.share(pid, 'track:42', 'listen to this, bob');
	assert.ok(sh.thread_id && sh.message_id && sh.share_id, JSON.stringify(sh));
	const tid = sh.thread_id;
	const bobRead = (await bob.run(['read', tid])).stdout;
	assert.ok(bobRead.includes('listen to this, bob'), `bob decrypts the app's share: ${bobRead}`);

	/* before bob consents the app reads only its own share */
	let msgs = await app.read(tid);
	assert.deepEqual(msgs.map((m) => m.text), ['listen to this, bob']);
	assert.equal(msgs[0].sentByThisApp, true);
	assert.equal(msgs[0].item, 'track:42');

	/* the reply arrives live, decrypted, once bob accepted the app */
	const seen = [];
	const stop = app.watch((type, ev, msg) => {
		seen.push({ type, ev, msg });
	});
	try {
		await bob.run(['consent', tid, 'accept']);
		await bob.run(['send', tid, 'great track, alice']);
		const live = await until(() => seen.find((x) => x.type === 'message.created' && x.msg && x.msg.text === 'great track, alice'), 15000, 'the live reply');
		assert.equal(live.msg.senderId, pid, "the reply is from bob's pairwise id");
		assert.ok(seen.some((x) => x.type === 'thread.app_consent'), 'the consent is an event too');
	} finally {
		stop();
	}
	await stop.done;
	msgs = await app.read(tid);
	assert.deepEqual(msgs.map((m) => m.text), ['listen to this, bob', 'great track, alice']);
	assert.equal(msgs[1].decrypt, 'PST_OK');
	assert.equal(msgs[1].sentByThisApp, false);

	/* the app deletes its share */
	await app.deleteMessage(tid, sh.message_id);
	assert.ok(!(await bob.run(['read', tid])).stdout.includes('listen to this, bob'), 'the deleted share is gone for bob');
	assert.equal((await app.read(tid))[0].deleted, true);

	const log = JSON.stringify(await alice.json(['access-log']));
	for (const a of ['grant.created', 'devices.register', 'share_page.pick', 'shares.send', 'messages.read', 'messages.delete', 'events.stream'])
		assert.ok(log.includes(a), `alice's access log has ${a}`);

	/* alice revokes: the stream ends and every call fails, the refresh token too */
	const stop2 = app.watch(() => {});
	await new Promise((r) => setTimeout(r, 300));
	const grants = await alice.json(['apps']);
	const gid = JSON.stringify(grants).match(/"grant_id":"([^"]+)"/)[1];
	await alice.run(['apps', 'revoke', gid]);
	await assert.rejects(stop2.done, isPst('PST_ERR_AUTH'), 'the live stream ends with the grant');
	await assert.rejects(app.friends(), isPst('PST_ERR_AUTH'));
	await assert.rejects(app.refresh(), (e) => e instanceof PstError && e.httpStatus === 400 && e.serverCode === 'invalid_grant');
});

test('the app engine with JS people: approval and consent signed by the web client, a reply the app reads', async () => {
	const alice = await jsPerson('alice'), bob = await jsPerson('bob');
	const rq = await alice.c.friendAdd(bob.username);
	await bob.c.friendAccept(rq.request_id);

	const app = await AppClient.open(srv.url, new MemoryStore(), clientId);
	await assert.rejects(AppClient.open(srv.url, app.c.store, 'another-client'), isPst('PST_ERR_INVALID'), 'one store, one app');
	const browser = await signIn(app, alice.username, alice.password);

	/* a wrong code is refused; the app's code approves its device */
	await assert.rejects(alice.c.appDeviceApprove('AAAA-BBBB-CCCC'), isPst('PST_ERR_NOT_FOUND'));
	await assert.rejects(alice.c.appDeviceApprove('not a code'), isPst('PST_ERR_INVALID'));
	const approved = await alice.c.appDeviceApprove(app.approvalCode());
	assert.equal(approved.device_id, app.deviceId());
	const listed = (await alice.c.appDevices()).devices.find((d) => d.device_id === app.deviceId());
	assert.ok(listed && listed.authorisation, 'the signed authorisation is listed');

	const [pid] = await app.sharePageFinish(await browser.pick(await app.sharePageUrl(REDIRECT), [await alice.c.friendId(bob.username)], alice.username, alice.password));
	const sh = await app.share(pid, 'album:7', 'this album, bob');
	const tid = sh.thread_id;
	const bobSees = await bob.c.read(tid, 50);
	assert.deepEqual(bobSees.map((m) => m.text), ['this album, bob'], 'the JS friend decrypts the share');
	assert.equal(bobSees[0].item, 'album:7');

	/* a reply before consenting is not encrypted to the app; after, it is */
	await bob.c.sendText(tid, 'not for the app');
	await bob.c.appConsent(tid, true);
	await bob.c.sendText(tid, 'love it, alice');
	const msgs = await app.read(tid);
	const byText = (t) => msgs.find((m) => m.text === t);
	assert.ok(byText('this album, bob'));
	assert.ok(byText('love it, alice'), `the app reads the reply sent after the consent: ${JSON.stringify(msgs.map((m) => [m.text, m.error]))}`);
	assert.equal(byText('love it, alice').senderId, pid);
	assert.ok(!byText('not for the app'), 'the app never sees what came before the consent');

	/* alice reads both too (her web client encrypts to and reads from her app's device) */
	const aliceSees = (await alice.c.read(tid, 50)).map((m) => m.text);
	assert.ok(aliceSees.includes('this album, bob') && aliceSees.includes('love it, alice'), JSON.stringify(aliceSees));

	/* alice disconnects the app from her web client: a signed revocation, and the app is stopped */
	const g = (await alice.c.grants()).grants.find((x) => x.active);
	await alice.c.grantRevoke(g.grant_id);
	const after = (await alice.c.appDevices()).devices.find((d) => d.device_id === app.deviceId());
	assert.ok(!after || after.revocation, 'the device is revoked by a signed statement');
	await assert.rejects(app.share(pid, 'album:8', 'again'), isPst('PST_ERR_AUTH'));
});
