// vectors.test.js — every check of web/src/proto/selftest.js over tests/vectors/proto_v2.json and merkle.json,
// one node:test test each: the JavaScript protocol module rebuilds each vector byte for byte and refuses each
// mutation with the C's error code. Run: node --test tests/web/ (after npm ci in web/).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as proto from '../../web/src/proto/index.js';
import { merkleChecks, protoChecks } from '../../web/src/proto/selftest.js';

const load = (name) => JSON.parse(readFileSync(fileURLToPath(new URL(`../vectors/${name}`, import.meta.url)), 'utf8'));
const protoVectors = load('proto_v2.json');
const merkleVectors = load('merkle.json');
await proto.ready();

for (const [name, fn] of [...protoChecks(protoVectors), ...merkleChecks(merkleVectors)]) test(`vector ${name}`, fn);

test('selftest entry: runVectors counts passes and reports failures', () => {
  const good = proto.runVectors({ proto: protoVectors });
  assert.equal(good.failed, 0, JSON.stringify(good.failures));
  assert.ok(good.passed > 20);
  const broken = structuredClone(protoVectors);
  broken.envelope.ciphertext = broken.envelope.ciphertext.replace(/^../, 'ff'); // one byte off
  const bad = proto.runVectors({ proto: broken });
  assert.equal(bad.failed, 1);
  assert.match(bad.failures[0].name, /envelope: encrypt/);
});

test('errors: the codes are the C names of PROTO_ERROR_MAP', () => {
  const header = readFileSync(fileURLToPath(new URL('../../src/proto/proto.h', import.meta.url)), 'utf8');
  const names = [...header.matchAll(/^\tX\((\w+),/gm)].map((m) => m[1]);
  assert.deepEqual(Object.keys(proto.ERRORS), names);
  const e = new proto.ProtoError('BAD_SIGNATURE');
  assert.ok(e instanceof Error);
  assert.equal(e.code, 'BAD_SIGNATURE');
});

test('ready: the module refuses to work before libsodium is loaded, not silently', async () => {
  const fresh = await import(`../../web/src/proto/sodium.js?again=${Date.now()}`);
  assert.throws(() => fresh.sodium(), (e) => e.code === 'CRYPTO');
  await fresh.ready();
  assert.ok(fresh.sodium().crypto_generichash);
});
