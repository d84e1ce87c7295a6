/*
 * store.test.mjs — the sealed store (web/src/client/store.js) over the in-memory backend: records come back
 * as they were put, none is readable without the passphrase, a wrong passphrase is PST_ERR_STORE, and a
 * record moved under another key does not open. No server needed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStore, SealedStore } from '../../web/src/client/index.js';

const cheap = { opslimit: 1, memlimit: 8192 };

test('sealed store: round trip, nothing in the clear, wrong passphrase refused, records bound to their key', async () => {
	const inner = new MemoryStore();
	const s = await SealedStore.open(inner, 'correct horse battery', cheap);
	await s.put('device', { sign_sk: 'SECRET-CANARY-1234', n: 7 });
	assert.deepEqual(await s.get('device'), { sign_sk: 'SECRET-CANARY-1234', n: 7 });
	assert.equal(await s.get('missing'), undefined);
	for (const k of await inner.keys()) assert.ok(!JSON.stringify(await inner.get(k)).includes('SECRET-CANARY'), `${k} is sealed`);
	await assert.rejects(SealedStore.open(inner, 'wrong horse', cheap), (e) => e.code === 'PST_ERR_STORE');
	await assert.rejects(SealedStore.open(inner, '', cheap), (e) => e.code === 'PST_ERR_INVALID');
	const again = await SealedStore.open(inner, 'correct horse battery', cheap);
	assert.deepEqual(await again.get('device'), { sign_sk: 'SECRET-CANARY-1234', n: 7 });
	await inner.put('session', await inner.get('device')); /* a record swapped under another name */
	await assert.rejects(again.get('session'), (e) => e.code === 'PST_ERR_STORE');
	await again.delete('device');
	assert.equal(await again.get('device'), undefined);
});
