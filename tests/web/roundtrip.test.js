// roundtrip.test.js — the JavaScript protocol module against the C one (src/proto) through two small C
// tools: tests/tools/proto_peer (sessions, envelopes, hand-overs, chains, safety numbers) and tests/tools/stmt
// (signed statements). What one implementation makes, the other opens; both keep byte-identical session
// state after the same steps; and both refuse the same damaged inputs with the same error name.
// PROTO_PEER and STMT name the tools (default: build/tools/...).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as P from '../../web/src/proto/index.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const PEER = process.env.PROTO_PEER ?? `${root}build/tools/proto_peer`;
const STMT = process.env.STMT ?? `${root}build/tools/stmt`;
await P.ready();

/* Run proto_peer; returns its JSON (with .error for a refusal, exit 1). */
function peer(...args) {
  try {
    return JSON.parse(execFileSync(PEER, args.map(String), { encoding: 'utf8' }));
  } catch (e) {
    if (e.status === 1 && e.stdout) return JSON.parse(e.stdout);
    throw e;
  }
}
const stmt = (...args) => P.fromB64url(execFileSync(STMT, args.map(String), { encoding: 'utf8' }).trim());
const { hex, fromHex } = P;
const enc = new TextEncoder();
const codeOf = (fn) => { try { fn(); return 'OK'; } catch (e) { assert.ok(e instanceof P.ProtoError, String(e)); return e.code; } };
const seed = (b) => new Uint8Array(32).fill(b);

const THREAD = 't_RoundTripThread00001';
const ALICE = 'd_AliceRoundTrip00001', BOB = 'd_BobRoundTrip0000002';
const aliceSeeds = [seed(1), seed(2)], bobSeeds = [seed(3), seed(4)];
const alice = P.deviceKeysFromSeeds(...aliceSeeds), bob = P.deviceKeysFromSeeds(...bobSeeds);

test('envelope made by C opens in JS; the states they keep are the same bytes', () => {
  let state = peer('outbound-new', THREAD, ALICE, 1704067200000).state;
  const out = P.outboundLoad(fromHex(state)); // a C-written state loads in JS
  assert.equal(hex(P.outboundSave(out)), state);
  const jsIn = P.inboundFromOutbound(out, alice.signPk);
  const cIn = peer('inbound-from-outbound', state, hex(alice.signPk)).state;
  assert.equal(hex(P.inboundSave(jsIn)), cIn);
  const envs = [];
  for (const text of ['first', 'second — ü', 'third']) {
    const r = peer('encrypt', state, hex(aliceSeeds[0]), hex(aliceSeeds[1]), hex(enc.encode(text)));
    state = r.state;
    envs.push([text, fromHex(r.envelope)]);
  }
  // JS reads the third first (keeps two skipped keys), then the first; C does the same from its own state
  let cState = cIn;
  for (const i of [2, 0]) {
    const r = P.decrypt([jsIn], THREAD, ALICE, envs[i][1]);
    assert.equal(new TextDecoder().decode(r.plaintext), envs[i][0]);
    const c = peer('decrypt', cState, THREAD, ALICE, hex(envs[i][1]));
    assert.equal(c.plaintext, hex(r.plaintext));
    cState = c.state;
    assert.equal(hex(P.inboundSave(jsIn)), cState, `state after reading message ${i}`);
  }
  assert.equal(codeOf(() => P.decrypt([jsIn], THREAD, ALICE, envs[0][1])), 'REPLAY');
  assert.equal(peer('decrypt', cState, THREAD, ALICE, hex(envs[0][1])).error, 'REPLAY');
});

test('envelope made by JS opens in C', () => {
  const out = P.outboundNew(THREAD, ALICE, P.recipientsHash([ALICE, BOB]), Date.now());
  out.head = seed(9);
  const inState = hex(P.inboundSave(P.inboundFromOutbound(out, alice.signPk)));
  const env = P.encrypt(out, alice.signSk, enc.encode('from the browser'));
  const c = peer('decrypt', inState, THREAD, ALICE, hex(env));
  assert.equal(Buffer.from(fromHex(c.plaintext)).toString(), 'from the browser');
  assert.equal(c.head, hex(seed(9)));
  assert.equal(c.index, 0);
  // the JS state after encrypting is what C writes after encrypting the same session
  const again = P.outboundLoad(fromHex(peer('encrypt', hex(P.outboundSave(out)), hex(aliceSeeds[0]), hex(aliceSeeds[1]), '00').state));
  P.encrypt(out, alice.signSk, new Uint8Array(1));
  assert.equal(hex(P.outboundSave(again)), hex(P.outboundSave(out)));
});

test('damaged envelopes: C and JS refuse with the same error name', () => {
  const out = P.outboundNew(THREAD, ALICE, new Uint8Array(32), 0);
  const inb = P.inboundFromOutbound(out, alice.signPk);
  const inState = hex(P.inboundSave(inb));
  const env = P.encrypt(out, alice.signSk, enc.encode('x'));
  const variants = {
    'version 1': (b) => { b[1] = 1; return b; },
    'wrong type': (b) => { b[2] = 3; return b; },
    'trailing byte': (b) => P.fromHex(hex(b) + '00'),
    truncated: (b) => b.subarray(0, b.length - 1),
    'flipped ciphertext': (b) => { b[b.length - 70] ^= 1; return b; },
    'flipped signature': (b) => { b[b.length - 1] ^= 1; return b; },
    'id with a space': (b) => { b[5] = 0x20; return b; },
    'index 0xffffffff': (b) => { b.fill(0xff, 3 + 1 + THREAD.length + 1 + ALICE.length + 48, 3 + 1 + THREAD.length + 1 + ALICE.length + 52); return b; },
    'length field too small': (b) => { b[3 + 1 + THREAD.length + 1 + ALICE.length + 52 + 24 + 3] = 15; return b; },
  };
  for (const [name, mutate] of Object.entries(variants)) {
    const bad = mutate(env.slice());
    const js = codeOf(() => P.decrypt([P.inboundLoad(fromHex(inState))], THREAD, ALICE, bad));
    const c = peer('decrypt', inState, THREAD, ALICE, hex(bad)).error;
    assert.notEqual(js, 'OK', name);
    assert.equal(js, c, name);
  }
  assert.equal(peer('decrypt', inState, 't_other', ALICE, hex(env)).error, codeOf(() => P.decrypt([inb], 't_other', ALICE, env)));
  assert.equal(peer('decrypt', inState, THREAD, BOB, hex(env)).error, codeOf(() => P.decrypt([inb], THREAD, BOB, env)));
});

for (const withOpk of [true, false]) {
  test(`hand-over ${withOpk ? 'with' : 'without'} a one-time prekey: C seals, JS opens, and the reverse`, () => {
    const spk = P.deviceKeysFromSeeds(seed(5), seed(6)), opk = P.deviceKeysFromSeeds(seed(7), seed(8));
    const out = P.outboundNew(THREAD, ALICE, new Uint8Array(32), 0);
    out.head = seed(0x42);
    P.encrypt(out, alice.signSk, new Uint8Array(0)); // hand over at index 1
    const st = hex(P.outboundSave(out));
    const opkArgs = withOpk ? [9, hex(opk.boxPk)] : [0, '-'];
    const c = fromHex(peer('seal', st, hex(aliceSeeds[0]), hex(aliceSeeds[1]), BOB, hex(bob.boxPk), 3, hex(spk.boxPk), ...opkArgs).container);
    const { inbound, head } = P.handoverOpen(c, bob, spk.boxSk, withOpk ? opk.boxSk : null, BOB, ALICE, alice.signPk, THREAD);
    assert.equal(inbound.startIndex, 1);
    assert.equal(hex(head), hex(seed(0x42)));
    const js = P.handoverSeal(out, alice.signSk, BOB, bob.boxPk, 3, spk.boxPk, withOpk ? 9 : 0, withOpk ? opk.boxPk : null);
    const opened = peer('open', hex(js), hex(bobSeeds[0]), hex(bobSeeds[1]), hex(spk.boxSk), withOpk ? hex(opk.boxSk) : '-', BOB, ALICE, hex(alice.signPk), THREAD);
    assert.equal(opened.state, hex(P.inboundSave(inbound)), 'C opens the JS container into the session JS opened from C');
    assert.equal(opened.head, hex(seed(0x42)));
    // both refuse the same way: another recipient, another sender key, a flipped byte, the wrong prekey
    const open = (bytes, spkSk = spk.boxSk, me = BOB, pk = alice.signPk) =>
      [codeOf(() => P.handoverOpen(bytes, bob, spkSk, withOpk ? opk.boxSk : null, me, ALICE, pk, THREAD)),
        peer('open', hex(bytes), hex(bobSeeds[0]), hex(bobSeeds[1]), hex(spkSk), withOpk ? hex(opk.boxSk) : '-', me, ALICE, hex(pk), THREAD).error];
    const flipped = js.slice(); flipped[flipped.length - 1] ^= 1;
    for (const [name, [a, b]] of Object.entries({
      'another recipient': open(js, spk.boxSk, ALICE), 'another sender key': open(js, spk.boxSk, BOB, bob.signPk),
      flipped: open(flipped), 'wrong prekey': open(js, opk.boxSk),
    })) {
      assert.notEqual(a, 'OK', name);
      assert.equal(a, b, name);
    }
  });
}

test('signed statements: C signs, JS verifies; JS signs, C verifies; both refuse a flipped byte', () => {
  const id = P.identityFromSeed(seed(0x11));
  const b64 = P.b64url;
  const cCert = stmt('sign', b64(id.sk), 'cert', `device_id=${ALICE}`, `key=${b64(alice.signPk)}`, `key2=${b64(alice.boxPk)}`, 'at=1704067201000');
  const st = P.statementVerify(cCert, P.ST.DEVICE_CERT, id.pk);
  assert.equal(st.deviceId, ALICE);
  assert.equal(hex(st.key2), hex(alice.boxPk));
  assert.equal(st.atMs, 1704067201000);
  // the same statement signed in JS is the same bytes (Ed25519 is deterministic)
  assert.equal(hex(P.statementSign(st, id.sk)), hex(cCert));
  const jsAuth = P.statementSign({ ...P.statementNew(P.ST.APP_AUTH), clientId: 'c_app', grantId: 'g_1', deviceId: BOB,
    key: bob.signPk, key2: bob.boxPk, expiresMs: 1704153600000, ids: ['t_a', 't_b'], atMs: 1704067205000 }, id.sk);
  const v = peer('verify', hex(jsAuth), P.ST.APP_AUTH, hex(id.pk));
  assert.equal(v.type, P.ST.APP_AUTH);
  assert.equal(v.signed_len, jsAuth.length - 64);
  assert.equal(v.hash, hex(P.statementHash(jsAuth)));
  const bad = jsAuth.slice(); bad[20] ^= 4;
  assert.equal(peer('verify', hex(bad), P.ST.APP_AUTH, hex(id.pk)).error, 'BAD_SIGNATURE');
  assert.equal(codeOf(() => P.statementVerify(bad, P.ST.APP_AUTH, id.pk)), 'BAD_SIGNATURE');
  const v1 = jsAuth.slice(); v1[1] = 1;
  assert.equal(peer('verify', hex(v1), 0, hex(id.pk)).error, codeOf(() => P.statementVerify(v1, 0, id.pk)));
});

test('membership chain: links made by either side give both the same thread id, head and members', () => {
  const [ua, ub, uc] = ['u_Alice0001', 'u_Bob000002', 'u_Carol0003'];
  const b64 = P.b64url;
  const create = stmt('sign', b64(alice.signSk), 'link', `prev=${b64(new Uint8Array(32))}`, `nonce=${b64(seed(0x33).subarray(0, 16))}`,
    'op=1', 'kind=2', `actor_user_id=${ua}`, `actor_device_id=${ALICE}`, `ids=${ua},${ub}`, 'at=1');
  const jsAdd = P.statementSign({ ...P.statementNew(P.ST.LINK), prev: P.statementHash(create), nonce: seed(0x44).subarray(0, 16), op: P.LINK_ADD,
    kind: P.THREAD_GROUP, actorUserId: ub, actorDeviceId: BOB, ids: [uc], atMs: 2 }, bob.signSk);
  const cRemove = stmt('sign', b64(alice.signSk), 'link', `prev=${b64(P.statementHash(jsAdd))}`, `nonce=${b64(seed(0x55).subarray(0, 16))}`,
    'op=3', 'kind=2', `actor_user_id=${ua}`, `actor_device_id=${ALICE}`, `ids=${ub}`, 'at=3');
  const links = [create, jsAdd, cRemove];
  const c = P.chainInit();
  links.forEach((l, i) => P.chainApply(c, P.statementVerify(l, P.ST.LINK, i === 1 ? bob.signPk : alice.signPk), P.statementHash(l)));
  const fromC = peer('chain', ...links.map(hex));
  assert.deepEqual(fromC, { thread_id: c.threadId, head: hex(c.head), members: c.members });
  assert.deepEqual(c.members, [ua, uc]);
  // a link that skips one is refused by both
  assert.equal(peer('chain', hex(create), hex(cRemove)).error, 'CHAIN');
  const c2 = P.chainInit();
  P.chainApply(c2, P.statementParse(create), P.statementHash(create));
  assert.equal(codeOf(() => P.chainApply(c2, P.statementParse(cRemove), P.statementHash(cRemove))), 'CHAIN');
});

test('safety numbers and fingerprints: the same digits from C and JS', () => {
  for (let i = 0; i < 3; i++) {
    const a = P.identityKeygen(), b = P.identityKeygen();
    const ua = `u_${i}a`, ub = `u_${i}b`;
    assert.equal(P.safetyNumber(ua, a.pk, ub, b.pk), peer('safety', ua, hex(a.pk), ub, hex(b.pk)).text);
    assert.equal(P.safetyNumber(ub, b.pk, ua, a.pk), peer('safety', ua, hex(a.pk), ub, hex(b.pk)).text);
    const d = P.deviceKeygen();
    assert.equal(P.deviceFingerprint(d.signPk, d.boxPk), peer('fingerprint', hex(d.signPk), hex(d.boxPk)).text);
  }
});

test('received text: JS repairs bad UTF-8 exactly as libpostern does (random bytes)', () => {
  const samples = [new Uint8Array(0), enc.encode('plain — text'), Uint8Array.of(0xf0, 0x90, 0x80, 0x41, 0, 0x42)];
  for (let i = 0; i < 40; i++) samples.push(globalThis.crypto.getRandomValues(new Uint8Array(1 + i * 3)));
  for (const bytes of samples) {
    assert.equal(hex(enc.encode(P.plaintextToText(bytes))), peer('repair', hex(bytes) || '-').text, hex(bytes));
  }
});
