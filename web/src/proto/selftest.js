/*
 * selftest.js — the test vectors of tests/vectors (proto_v2.json, merkle.json) run against this module,
 * without any Node API, so the same checks run under `node --test` and inside a browser. Each check
 * rebuilds a vector from its fixed inputs (seeds, chain keys, nonces, ephemeral keys), compares every byte,
 * opens it, and then mutates it the ways the C unit tests do and expects the C's error code.
 */
import { ProtoError } from './errors.js';
import { b64url, concat, fromHex, hex, utf8 } from './bytes.js';
import * as device from './device.js';
import * as session from './session.js';
import * as envelope from './envelope.js';
import * as handover from './handover.js';
import * as state from './state.js';
import * as statement from './statement.js';
import * as chain from './chain.js';
import * as identity from './identity.js';
import * as merkle from './merkle.js';
import * as note from './note.js';

class CheckFailed extends Error {}

function eq(got, want, what) {
  const g = got instanceof Uint8Array ? hex(got) : typeof got === 'bigint' ? String(got) : JSON.stringify(got);
  const w = want instanceof Uint8Array ? hex(want) : typeof want === 'bigint' ? String(want) : JSON.stringify(want);
  if (g !== w) throw new CheckFailed(`${what}: got ${g.slice(0, 200)}, want ${w.slice(0, 200)}`);
}

function rejects(code, fn, what) {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof ProtoError)) throw new CheckFailed(`${what}: threw ${e} instead of ProtoError ${code}`);
    if (e.code !== code) throw new CheckFailed(`${what}: ${e.code} instead of ${code}`);
    return;
  }
  throw new CheckFailed(`${what}: accepted, want ${code}`);
}

const flip = (b, i, bit = 1) => { const c = b.slice(); c[i < 0 ? c.length + i : i] ^= bit; return c; };
const set = (b, i, v) => { const c = b.slice(); c[i] = v; return c; };

/* The statement object a vector describes. */
function vectorStatement(v) {
  const st = statement.statementNew(v.type);
  const map = { user_id: 'userId', username: 'username', device_id: 'deviceId', thread_id: 'threadId', client_id: 'clientId',
    grant_id: 'grantId', actor_user_id: 'actorUserId', actor_device_id: 'actorDeviceId', op: 'op', kind: 'kind',
    key_id: 'keyId', at: 'atMs', expires_ms: 'expiresMs', ids: 'ids' };
  for (const [k, f] of Object.entries(map)) if (k in v) st[f] = v[k];
  for (const k of ['key', 'key2', 'prev', 'nonce']) if (k in v) st[k] = fromHex(v[k]);
  return st;
}

/** The checks of proto_v2.json: [name, fn] pairs. */
export function protoChecks(V) {
  const ids = V.ids;
  const alice = () => device.deviceKeysFromSeeds(fromHex(V.devices.alice.sign_seed), fromHex(V.devices.alice.box_seed));
  const bob = () => device.deviceKeysFromSeeds(fromHex(V.devices.bob.sign_seed), fromHex(V.devices.bob.box_seed));
  const aliceId = () => identity.identityFromSeed(fromHex(V.identities.alice.seed));
  const bobId = () => identity.identityFromSeed(fromHex(V.identities.bob.seed));
  const signers = { alice_identity: () => aliceId().sk, bob_identity: () => bobId().sk,
    alice_device: () => alice().signSk, bob_device: () => bob().signSk };
  const signerPk = { alice_identity: () => aliceId().pk, bob_identity: () => bobId().pk,
    alice_device: () => alice().signPk, bob_device: () => bob().signPk };
  const E = V.envelope;
  const head = fromHex(E.head);
  const outbound = (ck, index) => {
    const s = session.outboundInit(E.thread_id, ids.alice_device_id, fromHex(E.session_id), typeof ck === 'string' ? fromHex(ck) : ck, index,
      new Uint8Array(32), V.outbound_state.created_at_ms);
    s.head = head.slice();
    return s;
  };
  const bobInbound = () => handover.handoverAccept(fromHex(V.session_key.payload), ids.bob_device_id, ids.alice_device_id,
    alice().signPk, E.thread_id).inbound;
  const env = fromHex(E.envelope);
  const H = V.handover;
  const bobKeys = () => { const k = bob(); return k; };
  const checks = [];
  const check = (name, fn) => checks.push([name, fn]);

  check('devices: keys from seeds', () => {
    const a = alice(), b = bob();
    eq(a.signPk, fromHex(V.devices.alice.sign_pk), 'alice sign_pk');
    eq(a.boxPk, fromHex(V.devices.alice.box_pk), 'alice box_pk');
    eq(b64url(a.boxPk), V.devices.alice.box_pk_b64url, 'b64url');
    eq(b.signPk, fromHex(V.devices.bob.sign_pk), 'bob sign_pk');
    eq(b.boxSk, fromHex(V.devices.bob.box_sk), 'bob box_sk');
    const n = device.deviceKeysFromSeeds(fromHex(V.devices.alice_new.sign_seed), fromHex(V.devices.alice_new.box_seed));
    eq(n.signPk, fromHex(V.devices.alice_new.sign_pk), 'new sign_pk');
    eq(n.boxPk, fromHex(V.devices.alice_new.box_pk), 'new box_pk');
  });
  check('registration: message, signature, refusals', () => {
    const a = alice();
    eq(device.registrationMessage(ids.user_id, a.boxPk), utf8(V.registration.message), 'message');
    const sig = device.signRegistration(a, ids.user_id);
    eq(sig, fromHex(V.registration.signature), 'signature');
    device.verifyRegistration(a.signPk, a.boxPk, ids.user_id, sig);
    rejects('BAD_SIGNATURE', () => device.verifyRegistration(a.signPk, a.boxPk, ids.bob_user_id, sig), 'other user');
    rejects('BAD_SIGNATURE', () => device.verifyRegistration(a.signPk, a.boxPk, ids.user_id, flip(sig, 5)), 'flipped sig');
    rejects('INVALID_ARG', () => device.signRegistration(a, 'has space'), 'bad user id');
  });
  check('fingerprint', () => {
    const a = alice();
    eq(device.deviceFingerprint(a.signPk, a.boxPk), V.fingerprint.text, 'text');
  });
  check('chain: key schedule steps', () => {
    let ck = fromHex(V.chain.chain_key_0), at = 0;
    for (const st of V.chain.steps) {
      for (; at < st.index; at++) ck = session.chainStep(ck, false).next;
      eq(ck, fromHex(st.chain_key), `chain key ${st.index}`);
      eq(session.chainStep(ck).mk, fromHex(st.message_key), `message key ${st.index}`);
    }
  });
  check('envelope: encrypt with the vector nonce, byte for byte', () => {
    const s = outbound(E.chain_key, E.index);
    const out = envelope.encrypt(s, alice().signSk, fromHex(E.plaintext), fromHex(E.nonce));
    eq(out, env, 'envelope');
    eq(b64url(out), E.envelope_b64url, 'b64url');
    eq(s.nextIndex, E.index + 1, 'next index');
    eq(s.chainKey, fromHex(E.next_chain_key), 'next chain key');
    const d = envelope.envelopeDecode(env);
    eq(env.subarray(0, d.headerLen), fromHex(E.associated_data), 'associated data');
    eq(d.ciphertext, fromHex(E.ciphertext), 'ciphertext');
    eq(d.signature, fromHex(E.signature), 'signature');
    eq(d.index, E.index, 'index');
    eq(d.head, head, 'head');
  });
  check('session key payload: byte for byte, accepted by Bob', () => {
    const s = outbound(V.session_key.chain_key, V.session_key.index);
    const p = handover.handoverPayload(s, alice().signSk, V.session_key.recipient_device_id);
    eq(p, fromHex(V.session_key.payload), 'payload');
    eq(p.subarray(0, p.length - 64), fromHex(V.session_key.signed_bytes), 'signed bytes');
    const { inbound, head: h } = handover.handoverAccept(p, ids.bob_device_id, ids.alice_device_id, alice().signPk, E.thread_id);
    eq(h, head, 'head');
    eq(inbound.startIndex, 0, 'start');
    eq(inbound.chainKey, fromHex(V.session_key.chain_key), 'chain key');
  });
  check('session key payload: refusals in the order of §6.3', () => {
    const p = fromHex(V.session_key.payload), a = alice();
    const acc = (bytes, me = ids.bob_device_id, from = ids.alice_device_id, pk = a.signPk, t = E.thread_id) =>
      handover.handoverAccept(bytes, me, from, pk, t);
    rejects('WRONG_SENDER', () => acc(p, ids.bob_device_id, ids.bob_device_id), 'another sender');
    rejects('BAD_SIGNATURE', () => acc(p, ids.bob_device_id, ids.alice_device_id, bob().signPk), 'another key');
    rejects('BAD_SIGNATURE', () => acc(flip(p, -70)), 'flipped chain key');
    rejects('WRONG_RECIPIENT', () => acc(p, ids.alice_device_id), 'another recipient');
    rejects('WRONG_THREAD', () => acc(p, ids.bob_device_id, ids.alice_device_id, a.signPk, 't_other'), 'another thread');
    rejects('VERSION', () => acc(set(p, 1, 1)), 'version 1');
    rejects('MALFORMED', () => acc(set(p, 2, 1)), 'type');
    rejects('MALFORMED', () => acc(concat(p, Uint8Array.of(0))), 'trailing byte');
    rejects('MALFORMED', () => acc(p.subarray(0, p.length - 1)), 'truncated');
    rejects('MALFORMED', () => acc(set(p, 4, 0x20)), 'space in an id');
    rejects('TOO_LARGE', () => acc(new Uint8Array(347)), 'over 346 bytes');
  });
  for (const [which, opk] of [['with_opk', true], ['without_opk', false]]) {
    check(`handover ${which}: seal byte for byte, open`, () => {
      const s = outbound(V.session_key.chain_key, 0);
      const sealed = handover.handoverSeal(s, alice().signSk, H.recipient_device_id, fromHex(V.devices.bob.box_pk), H.spk_id,
        fromHex(H.spk), opk ? H.opk_id : 0, opk ? fromHex(H.opk) : null, fromHex(H.e_sk), fromHex(H.nonce));
      eq(sealed, fromHex(H[which].bytes), 'container');
      eq(sealed.subarray(0, fromHex(H[which].associated_data).length), fromHex(H[which].associated_data), 'header');
      eq(handover.handoverPeek(sealed), { recipient: H.recipient_device_id, spkId: H.spk_id, opkId: opk ? H.opk_id : 0 }, 'peek');
      const { inbound, head: h } = handover.handoverOpen(sealed, bobKeys(), fromHex(H.spk_sk), opk ? fromHex(H.opk_sk) : null,
        ids.bob_device_id, ids.alice_device_id, alice().signPk, E.thread_id);
      eq(inbound.chainKey, fromHex(V.session_key.chain_key), 'chain key');
      eq(h, head, 'head');
    });
    check(`handover ${which}: refusals`, () => {
      const sealed = fromHex(H[which].bytes), b = bobKeys();
      const open = (bytes, spkSk = fromHex(H.spk_sk), opkSk = opk ? fromHex(H.opk_sk) : null, me = ids.bob_device_id, keys = b) =>
        handover.handoverOpen(bytes, keys, spkSk, opkSk, me, ids.alice_device_id, alice().signPk, E.thread_id);
      rejects('WRONG_RECIPIENT', () => open(sealed, undefined, undefined, ids.alice_device_id), 'not mine');
      rejects('DECRYPT', () => open(flip(sealed, -1)), 'flipped tag');
      rejects('DECRYPT', () => open(flip(sealed, 40)), 'flipped header');
      rejects('DECRYPT', () => open(sealed, fromHex(H.opk_sk), opk ? fromHex(H.spk_sk) : null), 'swapped prekeys');
      rejects('DECRYPT', () => open(sealed, undefined, undefined, undefined, alice()), 'another box key');
      rejects('INVALID_ARG', () => open(sealed, undefined, opk ? null : fromHex(H.opk_sk)), 'one-time key without its id');
      rejects('VERSION', () => open(set(sealed, 1, 1)), 'version 1');
      rejects('MALFORMED', () => open(set(sealed, 2, 2)), 'type');
      rejects('MALFORMED', () => open(sealed.subarray(0, 3 + 1 + 23 + 4 + 4 + 32 + 24 + 15)), 'no room for a tag');
      rejects('TOO_LARGE', () => open(concat(sealed, new Uint8Array(495 - sealed.length))), 'over 494 bytes');
      const zeroSpk = sealed.slice();
      zeroSpk.set([0, 0, 0, 0], 3 + 1 + H.recipient_device_id.length);
      rejects('MALFORMED', () => open(zeroSpk), 'spk_id 0');
    });
  }
  check('handover: a low-order key is refused', () => {
    const s = outbound(V.session_key.chain_key, 0);
    rejects('CRYPTO', () => handover.handoverSeal(s, alice().signSk, H.recipient_device_id, new Uint8Array(32), H.spk_id,
      fromHex(H.spk), 0, null, fromHex(H.e_sk), fromHex(H.nonce)), 'zero box key');
  });
  check('decrypt: the vector envelope with Bob\'s session, skipped keys, replay', () => {
    const inb = bobInbound();
    const r = envelope.decrypt([inb], E.thread_id, ids.alice_device_id, env);
    eq(r.plaintext, fromHex(E.plaintext), 'plaintext');
    eq(r.which, 0, 'which');
    eq(r.info.head, head, 'head');
    eq(inb.nextIndex, 4, 'next index');
    eq(inb.skipped.map((k) => k.index), [0, 1, 2], 'skipped');
    eq(state.inboundSave(inb), fromHex(V.inbound_state.bytes), 'inbound state');
    rejects('REPLAY', () => envelope.decrypt([inb], E.thread_id, ids.alice_device_id, env), 'the same twice');
  });
  check('decrypt: refusals with no session changed', () => {
    const inb = bobInbound();
    const before = hex(state.inboundSave(inb));
    const dec = (bytes, t = E.thread_id, d = ids.alice_device_id, sessions = [inb]) => envelope.decrypt(sessions, t, d, bytes);
    rejects('WRONG_THREAD', () => dec(env, 't_elsewhere'), 'another thread');
    rejects('WRONG_SENDER', () => dec(env, E.thread_id, ids.bob_device_id), 'another sender');
    rejects('UNKNOWN_SESSION', () => dec(env, E.thread_id, ids.alice_device_id, []), 'no session');
    rejects('WRONG_THREAD', () => dec(env, E.thread_id, ids.alice_device_id, [{ ...inb, threadId: 't_elsewhere' }]), 'session of another thread');
    rejects('BAD_SIGNATURE', () => dec(flip(env, 60)), 'flipped header');
    rejects('BAD_SIGNATURE', () => dec(flip(env, -1)), 'flipped signature');
    rejects('BAD_SIGNATURE', () => dec(env, E.thread_id, ids.alice_device_id, [{ ...inb, senderSignPk: bob().signPk }]), 'another key');
    rejects('VERSION', () => dec(set(env, 1, 1)), 'version 1');
    rejects('MALFORMED', () => dec(set(env, 0, 0x51)), 'magic');
    rejects('MALFORMED', () => dec(set(env, 2, 2)), 'type');
    rejects('MALFORMED', () => dec(concat(env, Uint8Array.of(0))), 'trailing byte');
    rejects('MALFORMED', () => dec(env.subarray(0, env.length - 1)), 'truncated');
    rejects('MALFORMED', () => dec(set(env, 3, 0)), 'empty thread id');
    rejects('MALFORMED', () => dec(set(env, 3, 65)), 'thread id over 64');
    rejects('MALFORMED', () => dec(set(env, 5, 0x7f)), 'byte 0x7f in an id');
    rejects('MALFORMED', () => dec(new Uint8Array(2)), 'two bytes');
    rejects('TOO_LARGE', () => dec(new Uint8Array(65318)), 'over 65,317 bytes');
    eq(before, hex(state.inboundSave(inb)), 'session unchanged');
  });
  check('decrypt: index rules (before session, too far, key discarded, replay)', () => {
    const a = alice();
    const mk = (ck, index) => outbound(ck, index);
    // a session handed over at index 10: index 9 is before it
    const base = mk(V.chain.chain_key_0, 0);
    for (let i = 0; i < 10; i++) envelope.encrypt(base, a.signSk, new Uint8Array(0));
    const inb = session.inboundFromOutbound(base, a.signPk);
    const early = mk(V.chain.chain_key_0, 0);
    for (let i = 0; i < 9; i++) envelope.encrypt(early, a.signSk, new Uint8Array(0));
    const env9 = envelope.encrypt(early, a.signSk, utf8('nine'));
    rejects('BEFORE_SESSION', () => envelope.decrypt([inb], E.thread_id, ids.alice_device_id, env9), 'index 9');
    // an index 25,001 past next_index is too far; 25,000 is not
    const far = session.outboundInit(E.thread_id, ids.alice_device_id, fromHex(E.session_id), inb.chainKey, 10 + 25001,
      new Uint8Array(32), 0);
    far.head = head.slice();
    const farEnv = envelope.encrypt(far, a.signSk, utf8('far')); // wrong key, but the index check comes first
    rejects('TOO_FAR', () => envelope.decrypt([inb], E.thread_id, ids.alice_device_id, farEnv), 'jump of 25,001');
    // the real index 2010 keeps 2,000 of the 2,000 skipped: index 10 is then discarded, 11 still readable
    const live = mk(base.chainKey, 10);
    const envs = [];
    for (let i = 10; i <= 2011; i++) envs.push(envelope.encrypt(live, a.signSk, utf8(`m${i}`)));
    envelope.decrypt([inb], E.thread_id, ids.alice_device_id, envs[2011 - 10]);
    eq(inb.skipped.length, 2000, 'kept 2,000');
    eq(inb.discardedBelow, 11, 'discarded below');
    rejects('KEY_DISCARDED', () => envelope.decrypt([inb], E.thread_id, ids.alice_device_id, envs[0]), 'index 10');
    eq(envelope.decrypt([inb], E.thread_id, ids.alice_device_id, envs[1]).plaintext, utf8('m11'), 'index 11');
    rejects('REPLAY', () => envelope.decrypt([inb], E.thread_id, ids.alice_device_id, envs[1]), 'index 11 again');
    eq(state.inboundLoad(state.inboundSave(inb)).skipped.length, 1999, 'state round trip');
  });
  check('encrypt: limits', () => {
    const s = outbound(E.chain_key, E.index);
    rejects('TOO_LARGE', () => envelope.encrypt(s, alice().signSk, new Uint8Array(65025)), '65,025 bytes');
    const big = envelope.encrypt(s, alice().signSk, new Uint8Array(65024));
    eq(big.length, 65024 + envelope.envelopeOverhead(E.thread_id.length, ids.alice_device_id.length), 'largest envelope');
    s.nextIndex = 0xffffffff;
    rejects('EXHAUSTED', () => envelope.encrypt(s, alice().signSk, new Uint8Array(1)), 'exhausted');
    const last = session.outboundInit(E.thread_id, ids.alice_device_id, fromHex(E.session_id), fromHex(E.chain_key), 0xfffffffe, new Uint8Array(32), 0);
    envelope.encrypt(last, alice().signSk, new Uint8Array(1));
    rejects('EXHAUSTED', () => envelope.encrypt(last, alice().signSk, new Uint8Array(1)), 'after the last index');
  });
  check('plaintext as text: bad UTF-8 repaired byte by byte, NUL ends it', () => {
    const t = (bytes) => envelope.plaintextToText(Uint8Array.from(bytes));
    eq(t([0x41, 0xf0, 0x90, 0x80, 0x42]), 'A\ufffd\ufffd\ufffdB', 'truncated four-byte sequence');
    eq(t([0xc0, 0xaf, 0xed, 0xa0, 0x80]), '\ufffd'.repeat(5), 'overlong and surrogate');
    eq(t([0x68, 0x69, 0x00, 0x21]), 'hi', 'NUL');
    eq(t([...utf8('— ü 😀')]), '— ü 😀', 'valid text unchanged');
    eq(envelope.textToPlaintext('— ü'), utf8('— ü'), 'text to bytes');
    rejects('INVALID_ARG', () => envelope.textToPlaintext('a\ud800'), 'lone surrogate');
    rejects('TOO_LARGE', () => envelope.textToPlaintext('é'.repeat(32513)), '65,026 bytes');
  });
  check('recipients hash and rotation', () => {
    const h = session.recipientsHash(V.recipients_hash.device_ids);
    eq(h, fromHex(V.recipients_hash.hash), 'hash');
    eq(session.recipientsHash([...V.recipients_hash.device_ids].reverse()), h, 'order');
    rejects('TOO_LARGE', () => session.recipientsHash(Array.from({ length: 1025 }, (_, i) => `d_${i}`)), '1,025 ids');
    rejects('INVALID_ARG', () => session.recipientsHash(['ok', '']), 'empty id');
    const s = session.outboundInit(E.thread_id, ids.alice_device_id, fromHex(E.session_id), fromHex(E.chain_key), 0, h, 1000);
    eq(session.outboundMustRotate(s, 1000, h), 0, 'fresh');
    eq(session.outboundMustRotate(s, 999, h), session.ROTATE_AGE, 'clock went back');
    eq(session.outboundMustRotate(s, 1000 + session.ROTATE_AGE_MS, h), session.ROTATE_AGE, 'seven days');
    eq(session.outboundMustRotate(s, 1000, new Uint8Array(32)), session.ROTATE_RECIPIENTS, 'recipients');
    s.nextIndex = 100;
    eq(session.outboundMustRotate(s, 1000, h), session.ROTATE_COUNT, '100 messages');
  });
  check('stored state: byte for byte and strict loading', () => {
    const s = outbound(E.chain_key, E.index);
    envelope.encrypt(s, alice().signSk, fromHex(E.plaintext), fromHex(E.nonce));
    s.recipientsHash = fromHex(V.recipients_hash.hash);
    const out = fromHex(V.outbound_state.bytes);
    eq(state.outboundSave(s), out, 'outbound bytes');
    eq(state.outboundSave(state.outboundLoad(out)), out, 'outbound round trip');
    eq(state.outboundLoad(out).createdAtMs, V.outbound_state.created_at_ms, 'created at');
    const inb = fromHex(V.inbound_state.bytes);
    eq(state.inboundSave(state.inboundLoad(inb)), inb, 'inbound round trip');
    rejects('MALFORMED', () => state.outboundLoad(concat(out, Uint8Array.of(0))), 'outbound trailing');
    rejects('VERSION', () => state.outboundLoad(set(out, 1, 1)), 'outbound version 1');
    rejects('MALFORMED', () => state.outboundLoad(set(out, 2, 0x11)), 'outbound as inbound');
    rejects('TOO_LARGE', () => state.outboundLoad(new Uint8Array(258)), 'outbound over 257');
    rejects('MALFORMED', () => state.inboundLoad(inb.subarray(0, inb.length - 1)), 'inbound truncated');
    rejects('TOO_LARGE', () => state.inboundLoad(new Uint8Array(72230)), 'inbound over 72,229');
    const o = inb.length - 3 * 36 - 16; // start_index, next_index, discarded_below, n
    const u32at = (b, at, v) => { const c = b.slice(); c.set([v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff], at); return c; };
    rejects('MALFORMED', () => state.inboundLoad(u32at(inb, o, 5)), 'start above next');
    rejects('MALFORMED', () => state.inboundLoad(u32at(inb, o + 8, 5)), 'discarded above next');
    rejects('MALFORMED', () => state.inboundLoad(u32at(inb, o + 12, 4)), 'count against length');
    rejects('MALFORMED', () => state.inboundLoad(u32at(inb, o + 12, 2001)), 'count over 2,000');
    rejects('MALFORMED', () => state.inboundLoad(u32at(inb, o + 16 + 36, 0)), 'indices not ascending');
    rejects('MALFORMED', () => state.inboundLoad(u32at(inb, o + 16 + 72, 4)), 'index not below next');
  });
  for (const [name, v] of Object.entries(V.statements)) {
    check(`statement ${name}: sign byte for byte, verify, refusals`, () => {
      const bytes = fromHex(v.bytes);
      eq(statement.statementSign(vectorStatement(v), signers[v.signer]()), bytes, 'bytes');
      const st = statement.statementVerify(bytes, v.type, signerPk[v.signer]());
      eq(st.signedLen, v.signed_len, 'signed length');
      eq(statement.statementSign(st, signers[v.signer]()), bytes, 're-signed from the parse');
      rejects('BAD_SIGNATURE', () => statement.statementVerify(flip(bytes, 10), v.type, signerPk[v.signer]()), 'flipped field');
      const other = signerPk[v.signer === 'bob_device' ? 'alice_device' : 'bob_device']();
      rejects('BAD_SIGNATURE', () => statement.statementVerify(bytes, v.type, other), 'another key');
      rejects('MALFORMED', () => statement.statementParse(bytes, v.type === 0x20 ? 0x21 : 0x20), 'another type expected');
      rejects('VERSION', () => statement.statementParse(set(bytes, 1, 1)), 'version 1');
      rejects('MALFORMED', () => statement.statementParse(concat(bytes, Uint8Array.of(0))), 'trailing byte');
      rejects('MALFORMED', () => statement.statementParse(bytes.subarray(0, bytes.length - 1)), 'truncated');
      rejects('MALFORMED', () => statement.statementParse(set(bytes, 2, 0x2f)), 'unknown type');
    });
  }
  check('statements: value rules', () => {
    const sk = aliceId().sk;
    const sign = (v, patch) => statement.statementSign({ ...vectorStatement(v), ...patch }, sk);
    const S = V.statements;
    rejects('INVALID_ARG', () => sign(S.prekey_signed, { op: 3 }), 'prekey kind 3');
    rejects('INVALID_ARG', () => sign(S.contact, { op: 4 }), 'contact level 4');
    rejects('INVALID_ARG', () => sign(S.app_consent, { op: 2 }), 'consent 2');
    rejects('INVALID_ARG', () => sign(S.link_create, { ids: [ids.user_id] }), 'create with one member');
    rejects('INVALID_ARG', () => sign(S.link_add, { ids: [ids.user_id, ids.bob_user_id] }), 'add of two');
    rejects('INVALID_ARG', () => sign(S.link_create, { ids: [ids.user_id, ids.user_id] }), 'a member twice');
    rejects('INVALID_ARG', () => sign(S.link_create, { kind: 3 }), 'kind 3');
    rejects('INVALID_ARG', () => sign(S.identity, { username: 'a b' }), 'space in an id');
    // a wire count over 1025 is refused before any id is read
    const cr = fromHex(S.link_create.bytes);
    const at = 3 + 32 + 16 + 2 + 1 + S.link_create.actor_user_id.length + 1 + S.link_create.actor_device_id.length;
    rejects('MALFORMED', () => statement.statementParse(set(set(cr, at, 0x04), at + 1, 0x02)), 'count 1026');
    rejects('MALFORMED', () => statement.statementParse(set(cr, 3 + 32 + 16, 4)), 'op 4 on the wire');
  });
  check('links: chain of create, add, remove', () => {
    const c = chain.chainInit();
    V.links.order.forEach((name, i) => {
      const v = V.statements[name];
      const bytes = fromHex(v.bytes);
      const st = statement.statementVerify(bytes, statement.ST.LINK, signerPk[v.signer]());
      const h = statement.statementHash(bytes);
      eq(h, fromHex(V.links.hashes[i]), `hash ${i}`);
      if (i > 0) {
        const create = statement.statementParse(fromHex(V.statements[V.links.order[0]].bytes));
        rejects('CHAIN', () => chain.chainApply({ ...c }, create, fromHex(V.links.hashes[0])), 'a second create');
      }
      chain.chainApply(c, st, h);
      eq(c.members, V.links.members[i], `members ${i}`);
    });
    eq(c.threadId, V.links.thread_id, 'thread id');
    eq(c.head, fromHex(V.links.head), 'head');
    eq(chain.chainIsMember(c, ids.carol_user_id), false, 'carol left');
    const remove = statement.statementParse(fromHex(V.statements.link_remove.bytes));
    rejects('CHAIN', () => chain.chainApply(c, remove, new Uint8Array(32)), 'a link that does not extend the head');
    const fresh = chain.chainInit();
    rejects('CHAIN', () => chain.chainApply(fresh, remove, new Uint8Array(32)), 'no create first');
    const c2 = chain.chainInit();
    chain.chainApply(c2, statement.statementParse(fromHex(V.statements.link_create.bytes)), fromHex(V.links.hashes[0]));
    const byOutsider = { ...statement.statementParse(fromHex(V.statements.link_add.bytes)), actorUserId: ids.dave_user_id };
    rejects('CHAIN', () => chain.chainApply(c2, byOutsider, new Uint8Array(32)), 'add by a non-member');
    const byNonCreator = { ...remove, prev: c2.head, actorUserId: ids.bob_user_id };
    rejects('CHAIN', () => chain.chainApply(c2, byNonCreator, new Uint8Array(32)), 'remove by neither creator nor self');
    eq(c2.length, 1, 'unchanged on error');
  });
  check('safety number', () => {
    const S = V.safety_number;
    eq(identity.safetyNumber(S.user_a, fromHex(S.id_pk_a), S.user_b, fromHex(S.id_pk_b)), S.text, 'text');
    eq(identity.safetyNumber(S.user_b, fromHex(S.id_pk_b), S.user_a, fromHex(S.id_pk_a)), S.text, 'either side');
  });
  check('approval code and recovery key', () => {
    const A = V.approval_code;
    eq(identity.approvalCode(A.user_id, A.device_id, fromHex(A.sign_pk), fromHex(A.box_pk)), A.text, 'code');
    eq(identity.codeNormalize(A.text.toLowerCase().replace(/0/g, 'o').replace(/-/g, ' ')), A.text, 'typed');
    rejects('MALFORMED', () => identity.codeNormalize(A.text.slice(1)), 'eleven characters');
    rejects('MALFORMED', () => identity.codeNormalize(A.text.replace(/.$/, 'U')), 'a U');
    const R = V.recovery_key;
    eq(identity.recoveryFormat(fromHex(R.secret)), R.text, 'recovery text');
    eq(identity.recoveryParse(R.text.toLowerCase().replace(/-/g, '')), fromHex(R.secret), 'recovery typed');
    const typo = R.text.slice(0, 5) + (R.text[5] === '0' ? '1' : '0') + R.text.slice(6);
    rejects('MALFORMED', () => identity.recoveryParse(typo), 'a typo');
  });
  check('identity backup: seal byte for byte, open, refusals', () => {
    const B = V.backup;
    const id = aliceId();
    const bytes = identity.backupSeal(id, B.user_id, fromHex(B.secret), B.ops, B.mem, fromHex(B.salt), fromHex(B.nonce));
    eq(bytes, fromHex(B.bytes), 'bytes');
    eq(identity.backupPeek(bytes), { userId: B.user_id, idPk: fromHex(B.id_pk) }, 'peek');
    eq(identity.backupOpen(bytes, B.user_id, fromHex(B.secret)).seed, fromHex(B.seed), 'seed');
    rejects('WRONG_KEY', () => identity.backupOpen(bytes, B.user_id, flip(fromHex(B.secret), 0)), 'another secret');
    rejects('MALFORMED', () => identity.backupOpen(bytes, ids.bob_user_id, fromHex(B.secret)), 'another user');
    const opsAt = 3 + 1 + B.user_id.length + 32 + 16 + 7;
    rejects('TOO_LARGE', () => identity.backupOpen(set(bytes, opsAt, 17), B.user_id, fromHex(B.secret)), 'ops 17');
    rejects('TOO_LARGE', () => identity.backupOpen(set(bytes, opsAt, 0), B.user_id, fromHex(B.secret)), 'ops 0');
    rejects('MALFORMED', () => identity.backupOpen(concat(bytes, Uint8Array.of(0)), B.user_id, fromHex(B.secret)), 'trailing');
    rejects('VERSION', () => identity.backupPeek(set(bytes, 1, 1)), 'version 1');
  });
  check('identity box: seal, open, refusals', () => {
    const I = V.identity_box;
    const me = device.deviceKeysFromSeeds(fromHex(V.devices.alice_new.sign_seed), fromHex(V.devices.alice_new.box_seed));
    eq(me.boxSk, fromHex(I.box_sk), 'box_sk');
    const box = identity.identityBoxSeal(aliceId(), I.device_id, me.boxPk);
    eq(identity.identityBoxOpen(box, me, I.device_id).seed, fromHex(I.seed), 'seed');
    const plain = me && fromHex(I.plaintext);
    eq(box.length, plain.length + 48, 'length');
    rejects('WRONG_RECIPIENT', () => identity.identityBoxOpen(box, me, ids.alice_device_id), 'another device');
    rejects('DECRYPT', () => identity.identityBoxOpen(flip(box, 50), me, I.device_id), 'flipped');
    rejects('DECRYPT', () => identity.identityBoxOpen(box, alice(), I.device_id), 'another key');
    rejects('TOO_LARGE', () => identity.identityBoxOpen(new Uint8Array(149), me, I.device_id), 'over 148');
  });
  return checks;
}

/** The checks of merkle.json. */
export function merkleChecks(M) {
  const checks = [];
  const check = (name, fn) => checks.push([name, fn]);
  const leaf = (i) => utf8(`leaf ${i}`);
  check('merkle: empty root and CT reference roots', () => {
    eq(merkle.emptyRoot(), fromHex(M.empty_root), 'empty');
    const f = merkle.frontierInit();
    M.ct_reference.leaves.forEach((l, i) => {
      merkle.frontierAppend(f, merkle.leafHash(fromHex(l)));
      eq(merkle.frontierRoot(f), fromHex(M.ct_reference.roots[i]), `root ${i + 1}`);
    });
  });
  for (const T of M.trees) {
    check(`merkle: tree of ${T.size}: root, proofs, verification, refusals`, () => {
      const n = T.size;
      // the tree's levels, for the subtree callback (aligned power-of-two ranges only)
      const levels = [Array.from({ length: n }, (_, i) => merkle.leafHash(leaf(i)))];
      while (levels[levels.length - 1].length > 1) {
        const prev = levels[levels.length - 1], next = [];
        for (let i = 0; i + 1 < prev.length; i += 2) next.push(merkle.nodeHash(prev[i], prev[i + 1]));
        levels.push(next);
      }
      const subtree = (start, end) => {
        const w = end - start;
        const lvl = w.toString(2).length - 1;
        if ((w & (w - 1n)) !== 0n || start % w !== 0n || end > BigInt(n)) throw new Error('unaligned range');
        return levels[lvl][Number(start / w)];
      };
      (T.leaf_hashes ?? []).forEach((h, i) => eq(levels[0][i], fromHex(h), `leaf ${i}`));
      const root = fromHex(T.root);
      eq(merkle.merkleRoot(n, subtree), root, 'root');
      const f = merkle.frontierInit();
      for (const h of levels[0]) merkle.frontierAppend(f, h);
      eq(merkle.frontierRoot(f), root, 'frontier root');
      for (const P of T.inclusion) {
        const proof = P.proof.map(fromHex);
        eq(merkle.inclusionProof(P.index, n, subtree), proof, `inclusion ${P.index}`);
        merkle.verifyInclusion(P.index, n, levels[0][P.index], proof, root);
        rejects('BAD_SIGNATURE', () => merkle.verifyInclusion(P.index, n, flip(levels[0][P.index], 0), proof, root), 'flipped leaf');
        if (proof.length) {
          rejects('BAD_SIGNATURE', () => merkle.verifyInclusion(P.index, n, levels[0][P.index], proof.slice(1), root), 'a hash short');
          rejects('BAD_SIGNATURE', () => merkle.verifyInclusion(P.index, n, levels[0][P.index], [...proof, proof[0]], root), 'a hash long');
          rejects('BAD_SIGNATURE', () => merkle.verifyInclusion(P.index, n, levels[0][P.index], [flip(proof[0], 31), ...proof.slice(1)], root), 'flipped proof');
        }
        if (n > 1) rejects('BAD_SIGNATURE', () => merkle.verifyInclusion(P.index === 0 ? 1 : 0, n, levels[0][P.index], proof, root), 'wrong index');
      }
      rejects('INVALID_ARG', () => merkle.verifyInclusion(n, n, new Uint8Array(32), [], root), 'index = size');
      for (const C of T.consistency) {
        const proof = C.proof.map(fromHex);
        eq(merkle.consistencyProof(C.first, n, subtree), proof, `consistency ${C.first}`);
        merkle.verifyConsistency(C.first, n, fromHex(C.first_root), root, proof);
        if (C.first > 0) rejects('BAD_SIGNATURE', () => merkle.verifyConsistency(C.first, n, fromHex(C.first_root), flip(root, 3), proof), 'flipped root');
        rejects('BAD_SIGNATURE', () => merkle.verifyConsistency(C.first, n, flip(fromHex(C.first_root), 0), root, proof), 'flipped first root');
        if (proof.length) rejects('BAD_SIGNATURE', () => merkle.verifyConsistency(C.first, n, fromHex(C.first_root), root, proof.slice(0, -1)), 'a hash short');
      }
      rejects('INVALID_ARG', () => merkle.verifyConsistency(n + 1, n, root, root, []), 'first > second');
    });
  }
  const N = M.notes;
  check('notes: keys from their text', () => {
    for (const K of [N.log, N.cosigner]) {
      const v = note.noteVerifierParse(K.vkey);
      eq(v.pk, fromHex(K.public_key), `${K.name} pk`);
      eq(v.id.toString(16).padStart(8, '0'), K.key_id, `${K.name} id`);
      eq(note.noteVerifierFormat(v), K.vkey, `${K.name} vkey`);
      const s = note.noteSignerParse(K.skey);
      eq(s.pk, fromHex(K.public_key), `${K.name} signer pk`);
      eq(note.noteSignerFormat(s), K.skey, `${K.name} skey`);
    }
    eq(note.noteKeyId(N.cosigner.name, false, fromHex(N.cosigner.public_key)).toString(16).padStart(8, '0'), N.cosigner.key_id_if_0x01, 'id as 0x01');
    rejects('MALFORMED', () => note.noteVerifierParse(N.log.vkey.replace(N.log.key_id, '00000000')), 'wrong key id');
    rejects('MALFORMED', () => note.noteVerifierParse(`a b${N.log.vkey}`), 'space in a name');
    rejects('MALFORMED', () => note.noteVerifierParse(N.log.vkey.slice(0, -1)), 'truncated base64');
  });
  check('notes: checkpoints format and parse', () => {
    for (const C of [N.checkpoint, N.checkpoint_ext]) {
      const cp = note.checkpointParse(C.body);
      eq(cp.origin, C.origin, 'origin');
      eq(cp.size, C.size, 'size');
      eq(cp.root, fromHex(C.root), 'root');
      eq(cp.extension, C.extension ?? '', 'extension');
      eq(note.checkpointFormat(cp), C.body, 'format');
    }
    const b = N.checkpoint.body;
    rejects('MALFORMED', () => note.checkpointParse(b.replace('\n1000\n', '\n01000\n')), 'leading zero');
    rejects('MALFORMED', () => note.checkpointParse(b.slice(0, -1)), 'no final newline');
    rejects('MALFORMED', () => note.checkpointParse(`${b}\n`), 'empty extension line');
    rejects('MALFORMED', () => note.checkpointParse(b.replace('=\n', '\n')), 'root without padding');
    rejects('MALFORMED', () => note.checkpointParse(b.replace('\n1000', '\n1\u00000')), 'control character');
    rejects('TOO_LARGE', () => note.checkpointParse(`${'o'.repeat(129)}\n1\n${b.split('\n')[2]}\n`), 'origin over 128');
  });
  check('notes: sign and cosign byte for byte, open, refusals', () => {
    const log = note.noteSignerParse(N.log.skey), wit = note.noteSignerParse(N.cosigner.skey);
    const vlog = note.noteVerifierParse(N.log.vkey), vwit = note.noteVerifierParse(N.cosigner.vkey);
    eq(note.noteSign(N.checkpoint.body, log), N.signed, 'signed');
    eq(note.noteSign(N.signed, wit, N.timestamp), N.cosigned, 'cosigned');
    eq(note.noteSign(N.checkpoint_ext.body, log), N.signed_ext, 'signed with extension');
    const o = note.noteOpen(N.cosigned, [vlog, vwit]);
    eq(o.body, N.checkpoint.body, 'body');
    eq(o.verified, [true, true], 'verified');
    eq(o.timestamps, [0, N.timestamp], 'timestamps');
    eq(note.noteOpen(N.signed, [vlog, vwit]).verified, [true, false], 'not cosigned');
    const ex = N.spec_example;
    eq(note.noteOpen(ex.note, [note.noteVerifierParse(ex.vkey)]).body, ex.body, 'the spec example');
    rejects('BAD_SIGNATURE', () => note.noteOpen(N.signed.replace('1000', '1001'), [vlog]), 'altered body');
    rejects('BAD_SIGNATURE', () => note.noteOpen(N.signed, [vwit]), 'no known key');
    const line = N.signed.slice(N.signed.indexOf('\u2014'));
    rejects('MALFORMED', () => note.noteOpen(N.signed + line, [vlog]), 'two lines of one key');
    rejects('MALFORMED', () => note.noteOpen(N.checkpoint.body, [vlog]), 'no signature lines');
    rejects('MALFORMED', () => note.noteOpen(N.signed.replace('\u2014', '-'), [vlog]), 'not an em dash');
    rejects('TOO_LARGE', () => note.noteOpen('a'.repeat(8193), [vlog]), 'over 8,192 bytes');
    rejects('MALFORMED', () => note.noteSign('not a checkpoint\n', wit, 1), 'cosigning a non-checkpoint');
    rejects('INVALID_ARG', () => note.noteSign(N.checkpoint.body, wit, 2n ** 63n), 'timestamp 2^63');
    rejects('INVALID_ARG', () => note.noteSign(N.checkpoint.body, vlog), 'a verifier cannot sign');
  });
  return checks;
}

/**
 * Run the checks of the vectors given (either may be omitted): { proto: proto_v2.json, merkle: merkle.json }
 * as parsed JSON. Returns { passed, failed, failures: [{ name, error }] }; never throws for a failing check.
 */
export function runVectors({ proto, merkle: merkleVectors } = {}) {
  const checks = [...(proto ? protoChecks(proto) : []), ...(merkleVectors ? merkleChecks(merkleVectors) : [])];
  const result = { passed: 0, failed: 0, failures: [] };
  for (const [name, fn] of checks) {
    try {
      fn();
      result.passed++;
    } catch (e) {
      result.failed++;
      result.failures.push({ name, error: String(e && e.message ? e.message : e) });
    }
  }
  return result;
}
