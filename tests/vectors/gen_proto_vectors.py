#!/usr/bin/env python3
"""
gen_proto_vectors.py -- writes tests/vectors/proto_v2.json, the test vectors of docs/protocol.md (version 2).

A second, independent implementation of the byte layouts, key schedule and derivations, written from the
text of docs/protocol.md and sharing no code with src/proto/proto*.c: Python's hashlib (BLAKE2b, SHA-512)
and the `cryptography` package (Ed25519, X25519, ChaCha20-Poly1305, Argon2id). XChaCha20-Poly1305-IETF is
built as libsodium defines it: HChaCha20 subkey from the first 16 nonce bytes, then RFC 8439
ChaCha20-Poly1305 with the nonce 00000000 || nonce[16:24]. Argon2id is `cryptography`'s (OpenSSL's), run as
libsodium's crypto_pwhash_argon2id runs it: one lane, version 0x13, memory in KiB = mem bytes / 1024. Each
primitive is checked against its published test vector before use. The C unit tests
(tests/unit/test_proto.c) compare libsodium's results with these numbers, so a layout or derivation mistake
on either side fails the suite.

Everything is deterministic: fixed seeds, fixed nonces, fixed ephemeral secrets and times. The randomised
structures (crypto_box_seal: the identity box) are given as their plaintext, for a round trip in C.

It also writes the binary vectors as the fuzzer's seed corpus, tests/fuzz/corpus/proto_*.bin.

Run from the repository root:  python3 tests/vectors/gen_proto_vectors.py
(under a second). Test tooling only: nothing here runs in the product.
"""
import base64
import hashlib
import json
import struct

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

OUT = "tests/vectors/proto_v2.json"
CORPUS = "tests/fuzz/corpus/"  # seeds for tests/fuzz/fuzz_envelope.c, which uses the same keys and ids

MAGIC, VERSION = 0x50, 0x02
# type bytes, docs/protocol.md §1
T_MESSAGE, T_SESSION_KEY, T_HANDOVER = 0x01, 0x02, 0x03
T_OUT_STATE, T_IN_STATE = 0x10, 0x11
T_IDENTITY, T_DEVICE_CERT, T_DEVICE_REVOKE, T_PREKEY, T_CONTACT = 0x20, 0x21, 0x22, 0x23, 0x24
T_BACKUP, T_IDENTITY_BOX = 0x25, 0x26
T_LINK = 0x30
T_APP_AUTH, T_APP_REVOKE, T_APP_CONSENT = 0x40, 0x41, 0x42
# field values, §13
OP_CREATE, OP_ADD, OP_REMOVE = 1, 2, 3
KIND_DIRECT, KIND_GROUP = 1, 2
PREKEY_ONE_TIME, PREKEY_SIGNED = 1, 2
CONTACT_SEEN, CONTACT_VERIFIED, CONTACT_UNVERIFIED = 1, 2, 3

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # §14: 0-9 A-Z without I L O U

RAW = serialization.Encoding.Raw, serialization.PublicFormat.Raw


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def seq(start, n):
    return bytes((start + i) & 0xFF for i in range(n))


def prefix(t):
    return bytes([MAGIC, VERSION, t])


# ---- encodings, §1 ----

def lp(s):
    """id(x): u8 length || bytes; a valid id is 1..64 bytes of 0x21..0x7E."""
    b = s.encode()
    assert 1 <= len(b) <= 64 and all(0x21 <= c <= 0x7E for c in b), s
    return bytes([len(b)]) + b


def u8(v):
    return struct.pack(">B", v)


def u16(v):
    return struct.pack(">H", v)


def u32(v):
    return struct.pack(">I", v)


def u64(v):
    return struct.pack(">Q", v)


def i64(v):
    return struct.pack(">q", v)


# ---- primitives as libsodium 1.0.18 defines them ----

def H(data):
    """Unkeyed BLAKE2b-256 (crypto_generichash, outlen 32)."""
    return hashlib.blake2b(data, digest_size=32).digest()


def kdf(key, subkey_id, ctx):
    """crypto_kdf_derive_from_key(32, subkey_id, ctx, key): keyed BLAKE2b-256, salt = LE64(id)||0^8, personal = ctx||0^8."""
    assert len(ctx) == 8 and len(key) == 32
    return hashlib.blake2b(b"", digest_size=32, key=key, salt=struct.pack("<Q", subkey_id) + bytes(8),
                           person=ctx + bytes(8)).digest()


def chain_step(ck):
    """§4: (message_key_i, chain_key_{i+1}) from chain_key_i."""
    return kdf(ck, 1, b"pstmsgky"), kdf(ck, 2, b"pstchain")


class SignKey:
    """Ed25519 from a 32-byte seed (crypto_sign_seed_keypair): pk, and Sign(sk, m)."""

    def __init__(self, seed):
        self.seed = seed
        self._sk = Ed25519PrivateKey.from_private_bytes(seed)
        self.pk = self._sk.public_key().public_bytes(*RAW)

    def sign(self, m):
        return self._sk.sign(m)


def box_keypair(seed):
    """crypto_box_seed_keypair: sk = SHA-512(seed)[0:32], pk = X25519(sk, 9)."""
    sk = hashlib.sha512(seed).digest()[:32]
    return x25519_base(sk), sk


def x25519_base(sk):
    return X25519PrivateKey.from_private_bytes(sk).public_key().public_bytes(*RAW)


def x25519(sk, pk):
    out = X25519PrivateKey.from_private_bytes(sk).exchange(X25519PublicKey.from_public_bytes(pk))
    assert out != bytes(32), "all-zero X25519 result is refused (§17)"
    return out


def rotl(v, c):
    return ((v << c) & 0xFFFFFFFF) | (v >> (32 - c))


def hchacha20(key, nonce16):
    s = list(struct.unpack("<4I", b"expand 32-byte k")) + list(struct.unpack("<8I", key)) + list(struct.unpack("<4I", nonce16))

    def qr(a, b, c, d):
        s[a] = (s[a] + s[b]) & 0xFFFFFFFF; s[d] = rotl(s[d] ^ s[a], 16)
        s[c] = (s[c] + s[d]) & 0xFFFFFFFF; s[b] = rotl(s[b] ^ s[c], 12)
        s[a] = (s[a] + s[b]) & 0xFFFFFFFF; s[d] = rotl(s[d] ^ s[a], 8)
        s[c] = (s[c] + s[d]) & 0xFFFFFFFF; s[b] = rotl(s[b] ^ s[c], 7)

    for _ in range(10):
        qr(0, 4, 8, 12); qr(1, 5, 9, 13); qr(2, 6, 10, 14); qr(3, 7, 11, 15)
        qr(0, 5, 10, 15); qr(1, 6, 11, 12); qr(2, 7, 8, 13); qr(3, 4, 9, 14)
    return struct.pack("<8I", *(s[0:4] + s[12:16]))


def aead(key, nonce24, ad, pt):
    """AEAD(k, n, ad, m): XChaCha20-Poly1305-IETF, ciphertext || 16-byte tag."""
    sub = hchacha20(key, nonce24[:16])
    return ChaCha20Poly1305(sub).encrypt(bytes(4) + nonce24[16:], pt, ad)


def aead_open(key, nonce24, ad, ct):
    sub = hchacha20(key, nonce24[:16])
    return ChaCha20Poly1305(sub).decrypt(bytes(4) + nonce24[16:], ct, ad)


def Argon2id(**kw):
    # imported here: the malicious-server tests (t23) reuse this module as the attacker and need no Argon2id,
    # which `cryptography` has only from version 44 (Debian 12 ships 38)
    from cryptography.hazmat.primitives.kdf.argon2 import Argon2id as A
    return A(**kw)


def argon2id13(password, salt, ops, mem):
    """crypto_pwhash(32, password, salt, ops, mem bytes, ALG_ARGON2ID13): t = ops, m = mem/1024 KiB, p = 1."""
    return Argon2id(salt=salt, length=32, iterations=ops, lanes=1, memory_cost=mem // 1024).derive(password)


def selftest():
    # HChaCha20: draft-irtf-cfrg-xchacha-03 §2.2.1
    assert hchacha20(bytes(range(32)), bytes.fromhex("000000090000004a0000000031415927")).hex() == \
        "82413b4227b27bfed30e42508a877d73a0f9e4d58a74a853c12ec41326d3ecdc"
    # XChaCha20-Poly1305: draft-irtf-cfrg-xchacha-03 §A.3.1
    pt = (b"Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, "
          b"sunscreen would be it.")
    ct = aead(bytes(range(0x80, 0xA0)), seq(0x40, 24), bytes.fromhex("50515253c0c1c2c3c4c5c6c7"), pt)
    assert ct[:16].hex() == "bd6d179d3e83d43b9576579493c0e939" and ct[-16:].hex() == "c0875924c1c7987947deafd8780acf49"
    # Argon2id: RFC 9106 §5.3 (with secret and associated data, as the RFC gives it)
    k = Argon2id(salt=b"\x02" * 16, length=32, iterations=3, lanes=4, memory_cost=32, ad=b"\x04" * 12,
                 secret=b"\x03" * 8).derive(b"\x01" * 32)
    assert k.hex() == "0d640df58d78766c08c037a34a8b53c9d01ef0452d75b65eb52520e96b01e659"


def crockford(value, nchars):
    """value (nchars*5 bits) as Crockford base32, most significant first."""
    return "".join(CROCKFORD[(value >> (5 * (nchars - 1 - i))) & 31] for i in range(nchars))


def group(text, size, sep):
    return sep.join(text[i:i + size] for i in range(0, len(text), size))


# ---- the fixed inputs ----

USER_ID = "u_Tq3sZ0kQn8XyWv1bR4mP2a"        # Alice's account
BOB_USER = "u_Hb7nR2xWq9ZkL4mT1vP8sd"
CAROL_USER = "u_Cr0lX5yZ8wQ2vN6tB3kM9j"
DAVE_USER = "u_Dv4eK7pS1nR9qW3xY6zT2m"
ALICE_DEV = "d_A1iceDev1ce0000000000a"
BOB_DEV = "d_B0bDev1ce000000000000b"
ALICE_NEW_DEV = "d_A1iceLaptop00000000000c"         # Alice's second device (identity box)
OLD_DEV = "d_A1iceOldPh0ne000000000d"               # a device Alice revokes
APP_CLIENT = "c_PartnerApp01"
APP_GRANT = "g_Gr4ntN0001xyz"
APP_DEV = "d_AppDev1ce00000000000e"
APP_THREADS = ["t_appThreadOne0000000001", "t_appThreadTwo0000000002"]

A_SIGN_SEED, A_BOX_SEED = seq(0x00, 32), seq(0x20, 32)
B_SIGN_SEED, B_BOX_SEED = seq(0x40, 32), seq(0x60, 32)
A_ID_SEED, B_ID_SEED = seq(0x80, 32), seq(0xB0, 32)       # identity keys, §12
A2_SIGN_SEED, A2_BOX_SEED = seq(0x08, 32), seq(0x28, 32)  # Alice's new device
OLD_SIGN_SEED = seq(0x18, 32)
APP_SIGN_SEED, APP_BOX_SEED = seq(0x48, 32), seq(0x68, 32)

CHAIN_KEY_0 = seq(0xA0, 32)
SESSION_ID = seq(0xC0, 16)
NONCE = seq(0xE0, 24)
ENV_INDEX = 3
PLAINTEXT = "Hello from Alice \u2014 sender keys!".encode()
CREATED_AT_MS = 1704067200000
AT = 1704067200000  # statements are made at AT + k seconds

# §17: Bob's prekeys (X25519 secrets given directly), the sender's ephemeral secret and the container nonce
SPK_ID, OPK_ID = 7, 42
SPK_SK, OPK_SK = seq(0x31, 32), seq(0x51, 32)
E_SK = seq(0x71, 32)
HANDOVER_NONCE = seq(0x91, 24)

LINK_NONCES = [seq(0xD0, 16), seq(0xD8, 16), seq(0xE8, 16)]

RECOVERY_SECRET = seq(0x3C, 20)
BACKUP_SALT, BACKUP_NONCE = seq(0x15, 16), seq(0x45, 24)
BACKUP_OPS, BACKUP_MEM = 2, 8 << 20   # small costs so the C test is fast; libpostern uses 2 passes, 64 MiB


# ---- §5, §6: envelope and session-key payload ----

def envelope(thread, sender, head, sid, index, nonce, mk, pt, sk):
    assert len(head) == 32 and len(sid) == 16 and len(nonce) == 24
    header = prefix(T_MESSAGE) + lp(thread) + lp(sender) + head + sid + u32(index) + nonce + u32(len(pt) + 16)
    ct = aead(mk, nonce, header, pt)
    sig = sk.sign(header + ct)
    return header, ct, sig


def session_key_payload(thread, sender, recipient, head, sid, index, ck, sk):
    # §6.1 lists no place for `head`; it is put where the envelope has it: after the ids, before session_id
    signed = prefix(T_SESSION_KEY) + lp(thread) + lp(sender) + lp(recipient) + head + sid + u32(index) + ck
    return signed, sk.sign(signed)


# ---- §17: the sealed hand-over ----

def handover_container(recipient, box_pk, spk_id, spk, opk_id, opk, e_sk, nonce, payload):
    e_pk = x25519_base(e_sk)
    ad = prefix(T_HANDOVER) + lp(recipient) + u32(spk_id) + u32(opk_id) + e_pk + nonce
    dh = x25519(e_sk, box_pk) + x25519(e_sk, spk)
    keys = box_pk + spk
    if opk_id:
        dh += x25519(e_sk, opk)
        keys += opk
    key = H(b"postern-handover-v2:" + dh + ad + keys)
    ct = aead(key, nonce, ad, payload)
    return {"e_pk": e_pk, "ad": ad, "key": key, "ct": ct, "bytes": ad + ct}


# ---- §13: signed statements ----

def statement(t, fields, signer):
    signed = prefix(t) + fields
    sig = signer.sign(signed)
    return signed + sig


def st_identity(user_id, username, id_pk, at):
    return lp(user_id) + lp(username) + id_pk + u64(at)


def st_device_cert(device_id, sign_pk, box_pk, at):
    return lp(device_id) + sign_pk + box_pk + u64(at)


def st_device_revoke(device_id, sign_pk, at):
    return lp(device_id) + sign_pk + u64(at)


def st_prekey(device_id, kind, key_id, pk, at):
    return lp(device_id) + u8(kind) + u32(key_id) + pk + u64(at)


def st_contact(user_id, id_pk, level, at):
    return lp(user_id) + id_pk + u8(level) + u64(at)


def st_link(prev, nonce, op, kind, actor_user, actor_dev, users, at):
    return prev + nonce + u8(op) + u8(kind) + lp(actor_user) + lp(actor_dev) + u16(len(users)) \
        + b"".join(lp(u) for u in users) + u64(at)


def st_app_auth(client_id, grant_id, device_id, sign_pk, box_pk, expires, threads, at):
    return lp(client_id) + lp(grant_id) + lp(device_id) + sign_pk + box_pk + u64(expires) + u16(len(threads)) \
        + b"".join(lp(t) for t in threads) + u64(at)


def st_app_revoke(client_id, grant_id, device_id, at):
    return lp(client_id) + lp(grant_id) + lp(device_id) + u64(at)


def st_app_consent(thread_id, client_id, accept, at):
    return lp(thread_id) + lp(client_id) + u8(accept) + u64(at)


# ---- §12, §14, §15: derived values ----

def safety_half(user_id, id_pk):
    d = hashlib.sha512(b"\x00\x00" + id_pk + user_id.encode()).digest()
    for _ in range(5199):
        d = hashlib.sha512(d + id_pk).digest()
    return "".join("%05d" % (int.from_bytes(d[5 * g:5 * g + 5], "big") % 100000) for g in range(6))


def safety_number(user_a, pk_a, user_b, pk_b):
    a, b = safety_half(user_a, pk_a), safety_half(user_b, pk_b)
    lo, hi = (a, b) if a.encode() <= b.encode() else (b, a)
    return group(lo + hi, 5, " "), a, b


def approval_code(user_id, device_id, sign_pk, box_pk):
    h = H(b"postern-approval-v2:" + lp(user_id) + lp(device_id) + sign_pk + box_pk)
    return group(crockford(int.from_bytes(h[:8], "big") >> 4, 12), 4, "-"), h


def recovery_text(secret):
    assert len(secret) == 20
    check = H(b"postern-recovery-v2:" + secret)
    data = crockford(int.from_bytes(secret, "big"), 32)
    chk = crockford(int.from_bytes(check[:3], "big") >> 4, 4)
    return group(data + chk, 4, "-"), check


def thread_id_of(create_hash):
    return "t_" + b64url(create_hash[:16])


def apply_links(links):
    """The member set §15 computes, link by link (only the valid chain of the vectors)."""
    members, sets, head = [], [], bytes(32)
    for st, raw in links:
        assert st["prev"] == head
        if st["op"] == OP_CREATE:
            members = list(st["users"])
        elif st["op"] == OP_ADD:
            assert st["users"][0] not in members and st["actor"] in members
            members.append(st["users"][0])
        else:
            assert st["users"][0] in members
            members.remove(st["users"][0])
        head = H(raw)
        sets.append(list(members))
    return sets


def main():
    selftest()
    a_sign, b_sign = SignKey(A_SIGN_SEED), SignKey(B_SIGN_SEED)
    a_bpk, a_bsk = box_keypair(A_BOX_SEED)
    b_bpk, b_bsk = box_keypair(B_BOX_SEED)
    a_id, b_id = SignKey(A_ID_SEED), SignKey(B_ID_SEED)
    a2_sign = SignKey(A2_SIGN_SEED)
    a2_bpk, a2_bsk = box_keypair(A2_BOX_SEED)
    old_sign = SignKey(OLD_SIGN_SEED)
    app_sign = SignKey(APP_SIGN_SEED)
    app_bpk, _ = box_keypair(APP_BOX_SEED)
    spk, opk = x25519_base(SPK_SK), x25519_base(OPK_SK)

    # §3: device registration and fingerprint (unchanged from version 1)
    reg_msg = ("postern-device-v1:" + USER_ID + ":" + b64url(a_bpk)).encode()
    reg_sig = a_sign.sign(reg_msg)
    fp_hash = H(b"postern-fingerprint-v1:" + a_sign.pk + a_bpk)
    fp = " ".join("%05d" % (int.from_bytes(fp_hash[5 * g:5 * g + 5], "big") % 100000) for g in range(6))

    # §4: chain (unchanged)
    ck = CHAIN_KEY_0
    cks, mks = [], []
    for i in range(100):
        mk, nxt = chain_step(ck)
        cks.append(ck)
        mks.append(mk)
        ck = nxt
    cks.append(ck)
    chain = [{"index": i, "chain_key": cks[i].hex(), "message_key": mks[i].hex()} for i in (0, 1, 2, 3, 4, 99)]

    # §15: a group thread made by Alice for Alice, Bob and Carol; Bob adds Dave; Alice (creator) removes Carol
    link_specs = [
        dict(prev=bytes(32), nonce=LINK_NONCES[0], op=OP_CREATE, kind=KIND_GROUP, actor=USER_ID, dev=ALICE_DEV,
             users=[USER_ID, BOB_USER, CAROL_USER], at=AT + 10000, signer=a_sign),
        dict(op=OP_ADD, nonce=LINK_NONCES[1], kind=KIND_GROUP, actor=BOB_USER, dev=BOB_DEV, users=[DAVE_USER],
             at=AT + 11000, signer=b_sign),
        dict(op=OP_REMOVE, nonce=LINK_NONCES[2], kind=KIND_GROUP, actor=USER_ID, dev=ALICE_DEV, users=[CAROL_USER],
             at=AT + 12000, signer=a_sign),
    ]
    links, prev = [], bytes(32)
    for spec in link_specs:
        spec["prev"] = prev
        raw = statement(T_LINK, st_link(prev, spec["nonce"], spec["op"], spec["kind"], spec["actor"], spec["dev"],
                                        spec["users"], spec["at"]), spec["signer"])
        links.append((spec, raw))
        prev = H(raw)
    link_hashes = [H(raw) for _, raw in links]
    member_sets = apply_links(links)
    thread = thread_id_of(link_hashes[0])
    head = link_hashes[-1]

    # §5: Alice's envelope at index 3 in that thread, bound to the chain head
    header, ct, sig = envelope(thread, ALICE_DEV, head, SESSION_ID, ENV_INDEX, NONCE, mks[ENV_INDEX], PLAINTEXT, a_sign)
    env = header + ct + sig
    assert len(env) == len(PLAINTEXT) + 165 + len(thread) + len(ALICE_DEV)
    assert aead_open(mks[ENV_INDEX], NONCE, header, ct) == PLAINTEXT

    # §6.1: the session-key payload of that session at index 0 for Bob's device
    payload_signed, payload_sig = session_key_payload(thread, ALICE_DEV, BOB_DEV, head, SESSION_ID, 0, CHAIN_KEY_0, a_sign)
    payload = payload_signed + payload_sig
    assert len(payload) == 154 + len(thread) + len(ALICE_DEV) + len(BOB_DEV)

    # §17: the container of that payload for Bob, with and without a one-time prekey
    ho_opk = handover_container(BOB_DEV, b_bpk, SPK_ID, spk, OPK_ID, opk, E_SK, HANDOVER_NONCE, payload)
    ho_spk = handover_container(BOB_DEV, b_bpk, SPK_ID, spk, 0, None, E_SK, HANDOVER_NONCE, payload)
    # the receiver's side of the key: the same DH values from its secrets
    dh_bob = x25519(b_bsk, ho_opk["e_pk"]) + x25519(SPK_SK, ho_opk["e_pk"]) + x25519(OPK_SK, ho_opk["e_pk"])
    assert H(b"postern-handover-v2:" + dh_bob + ho_opk["ad"] + b_bpk + spk + opk) == ho_opk["key"]

    # §9: recipient-set hash: duplicates and order do not matter
    ids = [BOB_DEV, ALICE_DEV, BOB_DEV]
    rhash = H(b"postern-recipients-v1:" + b"".join(bytes([len(i)]) + i for i in sorted(set(x.encode() for x in ids))))

    # §8: Alice's outbound after sending index 3 (next 4); Bob's inbound after reading index 3 from 0
    out_state = prefix(T_OUT_STATE) + lp(thread) + lp(ALICE_DEV) + SESSION_ID + cks[4] + u32(4) \
        + i64(CREATED_AT_MS) + rhash + head
    in_state = prefix(T_IN_STATE) + lp(thread) + lp(ALICE_DEV) + a_sign.pk + SESSION_ID + cks[4] \
        + u32(0) + u32(4) + u32(0) + u32(3) + b"".join(u32(i) + mks[i] for i in range(3))
    assert len(out_state) == 129 + len(thread) + len(ALICE_DEV)
    assert len(in_state) == 101 + len(thread) + len(ALICE_DEV) + 36 * 3

    # §12, §13: one statement of every type
    statements = {
        "identity": dict(type=T_IDENTITY, signer="alice_identity", user_id=USER_ID, username="alice",
                         key=a_id.pk.hex(), at=AT,
                         bytes=statement(T_IDENTITY, st_identity(USER_ID, "alice", a_id.pk, AT), a_id)),
        "device_cert": dict(type=T_DEVICE_CERT, signer="alice_identity", device_id=ALICE_DEV, key=a_sign.pk.hex(),
                            key2=a_bpk.hex(), at=AT + 1000,
                            bytes=statement(T_DEVICE_CERT, st_device_cert(ALICE_DEV, a_sign.pk, a_bpk, AT + 1000), a_id)),
        "device_revoke": dict(type=T_DEVICE_REVOKE, signer="alice_identity", device_id=OLD_DEV, key=old_sign.pk.hex(),
                              at=AT + 2000,
                              bytes=statement(T_DEVICE_REVOKE, st_device_revoke(OLD_DEV, old_sign.pk, AT + 2000), a_id)),
        "prekey_signed": dict(type=T_PREKEY, signer="bob_device", device_id=BOB_DEV, op=PREKEY_SIGNED, key_id=SPK_ID,
                              key=spk.hex(), at=AT + 3000,
                              bytes=statement(T_PREKEY, st_prekey(BOB_DEV, PREKEY_SIGNED, SPK_ID, spk, AT + 3000), b_sign)),
        "prekey_one_time": dict(type=T_PREKEY, signer="bob_device", device_id=BOB_DEV, op=PREKEY_ONE_TIME,
                                key_id=OPK_ID, key=opk.hex(), at=AT + 3001,
                                bytes=statement(T_PREKEY, st_prekey(BOB_DEV, PREKEY_ONE_TIME, OPK_ID, opk, AT + 3001),
                                                b_sign)),
        "contact": dict(type=T_CONTACT, signer="alice_identity", user_id=BOB_USER, key=b_id.pk.hex(),
                        op=CONTACT_VERIFIED, at=AT + 4000,
                        bytes=statement(T_CONTACT, st_contact(BOB_USER, b_id.pk, CONTACT_VERIFIED, AT + 4000), a_id)),
        "app_auth": dict(type=T_APP_AUTH, signer="alice_identity", client_id=APP_CLIENT, grant_id=APP_GRANT,
                         device_id=APP_DEV, key=app_sign.pk.hex(), key2=app_bpk.hex(), expires_ms=AT + 86400000,
                         ids=APP_THREADS, at=AT + 5000,
                         bytes=statement(T_APP_AUTH, st_app_auth(APP_CLIENT, APP_GRANT, APP_DEV, app_sign.pk, app_bpk,
                                                                 AT + 86400000, APP_THREADS, AT + 5000), a_id)),
        "app_revoke": dict(type=T_APP_REVOKE, signer="alice_identity", client_id=APP_CLIENT, grant_id=APP_GRANT,
                           device_id=APP_DEV, at=AT + 6000,
                           bytes=statement(T_APP_REVOKE, st_app_revoke(APP_CLIENT, APP_GRANT, APP_DEV, AT + 6000), a_id)),
        "app_consent": dict(type=T_APP_CONSENT, signer="bob_identity", thread_id=APP_THREADS[0], client_id=APP_CLIENT,
                            op=1, at=AT + 7000,
                            bytes=statement(T_APP_CONSENT, st_app_consent(APP_THREADS[0], APP_CLIENT, 1, AT + 7000), b_id)),
    }
    for name, (spec, raw) in zip(("link_create", "link_add", "link_remove"), links):
        statements[name] = dict(type=T_LINK, signer="alice_device" if spec["signer"] is a_sign else "bob_device",
                                prev=spec["prev"].hex(), nonce=spec["nonce"].hex(), op=spec["op"], kind=spec["kind"],
                                actor_user_id=spec["actor"], actor_device_id=spec["dev"], ids=spec["users"],
                                at=spec["at"], bytes=raw)
    for st in statements.values():
        st["signed_len"] = len(st["bytes"]) - 64
        st["bytes"] = st["bytes"].hex()

    # §12: safety number of Alice and Bob
    safety, half_a, half_b = safety_number(USER_ID, a_id.pk, BOB_USER, b_id.pk)
    assert safety == safety_number(BOB_USER, b_id.pk, USER_ID, a_id.pk)[0]

    # §14: approval code of Alice's new device, recovery key, backup, identity box
    code, code_hash = approval_code(USER_ID, ALICE_NEW_DEV, a2_sign.pk, a2_bpk)
    rec_text, rec_check = recovery_text(RECOVERY_SECRET)
    backup_ad = prefix(T_BACKUP) + lp(USER_ID) + a_id.pk + BACKUP_SALT + u64(BACKUP_OPS) + u64(BACKUP_MEM) + BACKUP_NONCE
    backup_key = argon2id13(RECOVERY_SECRET, BACKUP_SALT, BACKUP_OPS, BACKUP_MEM)
    backup = backup_ad + aead(backup_key, BACKUP_NONCE, backup_ad, A_ID_SEED)
    box_plain = prefix(T_IDENTITY_BOX) + lp(ALICE_NEW_DEV) + A_ID_SEED

    doc = {
        "description": "Postern E2EE protocol v2 test vectors (docs/protocol.md); made by gen_proto_vectors.py",
        "ids": {"user_id": USER_ID, "bob_user_id": BOB_USER, "carol_user_id": CAROL_USER, "dave_user_id": DAVE_USER,
                "thread_id": thread, "alice_device_id": ALICE_DEV, "bob_device_id": BOB_DEV,
                "alice_new_device_id": ALICE_NEW_DEV},
        "devices": {
            "alice": {"sign_seed": A_SIGN_SEED.hex(), "box_seed": A_BOX_SEED.hex(), "sign_pk": a_sign.pk.hex(),
                      "box_pk": a_bpk.hex(), "box_pk_b64url": b64url(a_bpk)},
            "bob": {"sign_seed": B_SIGN_SEED.hex(), "box_seed": B_BOX_SEED.hex(), "sign_pk": b_sign.pk.hex(),
                    "box_pk": b_bpk.hex(), "box_sk": b_bsk.hex()},
            "alice_new": {"sign_seed": A2_SIGN_SEED.hex(), "box_seed": A2_BOX_SEED.hex(), "sign_pk": a2_sign.pk.hex(),
                          "box_pk": a2_bpk.hex()},
        },
        "identities": {
            "alice": {"seed": A_ID_SEED.hex(), "pk": a_id.pk.hex()},
            "bob": {"seed": B_ID_SEED.hex(), "pk": b_id.pk.hex()},
        },
        "registration": {"message": reg_msg.decode(), "signature": reg_sig.hex(), "signature_b64url": b64url(reg_sig)},
        "fingerprint": {"hash": fp_hash.hex(), "text": fp},
        "chain": {"chain_key_0": CHAIN_KEY_0.hex(), "steps": chain},
        "envelope": {
            "thread_id": thread, "head": head.hex(),
            "session_id": SESSION_ID.hex(), "index": ENV_INDEX, "chain_key": cks[ENV_INDEX].hex(),
            "message_key": mks[ENV_INDEX].hex(), "nonce": NONCE.hex(), "plaintext": PLAINTEXT.hex(),
            "associated_data": header.hex(), "ciphertext": ct.hex(), "signature": sig.hex(),
            "envelope": env.hex(), "envelope_b64url": b64url(env), "next_chain_key": cks[ENV_INDEX + 1].hex(),
        },
        "session_key": {"index": 0, "chain_key": CHAIN_KEY_0.hex(), "head": head.hex(), "recipient_device_id": BOB_DEV,
                        "signed_bytes": payload_signed.hex(), "signature": payload_sig.hex(), "payload": payload.hex()},
        "handover": {
            "recipient_device_id": BOB_DEV, "spk_id": SPK_ID, "spk_sk": SPK_SK.hex(), "spk": spk.hex(),
            "opk_id": OPK_ID, "opk_sk": OPK_SK.hex(), "opk": opk.hex(), "e_sk": E_SK.hex(),
            "nonce": HANDOVER_NONCE.hex(),
            "with_opk": {"e_pk": ho_opk["e_pk"].hex(), "associated_data": ho_opk["ad"].hex(), "key": ho_opk["key"].hex(),
                         "bytes": ho_opk["bytes"].hex()},
            "without_opk": {"e_pk": ho_spk["e_pk"].hex(), "associated_data": ho_spk["ad"].hex(),
                            "key": ho_spk["key"].hex(), "bytes": ho_spk["bytes"].hex()},
        },
        "recipients_hash": {"device_ids": ids, "hash": rhash.hex()},
        "outbound_state": {"created_at_ms": CREATED_AT_MS, "head": head.hex(), "bytes": out_state.hex()},
        "inbound_state": {"bytes": in_state.hex()},
        "statements": statements,
        "links": {
            "order": ["link_create", "link_add", "link_remove"],
            "hashes": [h.hex() for h in link_hashes],
            "members": member_sets,
            "thread_id": thread,
            "head": head.hex(),
        },
        "safety_number": {"user_a": USER_ID, "id_pk_a": a_id.pk.hex(), "user_b": BOB_USER, "id_pk_b": b_id.pk.hex(),
                          "digits_a": half_a, "digits_b": half_b, "text": safety},
        "approval_code": {"user_id": USER_ID, "device_id": ALICE_NEW_DEV, "sign_pk": a2_sign.pk.hex(),
                          "box_pk": a2_bpk.hex(), "hash": code_hash.hex(), "text": code},
        "recovery_key": {"secret": RECOVERY_SECRET.hex(), "check_hash": rec_check.hex(), "text": rec_text},
        "backup": {"user_id": USER_ID, "secret": RECOVERY_SECRET.hex(), "seed": A_ID_SEED.hex(), "id_pk": a_id.pk.hex(),
                   "salt": BACKUP_SALT.hex(), "nonce": BACKUP_NONCE.hex(), "ops": BACKUP_OPS, "mem": BACKUP_MEM,
                   "key": backup_key.hex(), "associated_data": backup_ad.hex(), "bytes": backup.hex()},
        "identity_box": {"device_id": ALICE_NEW_DEV, "box_sk": a2_bsk.hex(), "box_pk": a2_bpk.hex(),
                         "seed": A_ID_SEED.hex(), "plaintext": box_plain.hex()},
    }
    with open(OUT, "w") as f:
        json.dump(doc, f, indent=2)
        f.write("\n")
    seeds = {
        "envelope": env, "session_key": payload, "handover": ho_opk["bytes"], "handover_spk": ho_spk["bytes"],
        "outbound_state": out_state, "inbound_state": in_state, "backup": backup,
        "identity": bytes.fromhex(statements["identity"]["bytes"]),
        "device_cert": bytes.fromhex(statements["device_cert"]["bytes"]),
        "prekey": bytes.fromhex(statements["prekey_one_time"]["bytes"]),
        "link_create": bytes.fromhex(statements["link_create"]["bytes"]),
        "link_remove": bytes.fromhex(statements["link_remove"]["bytes"]),
        "app_auth": bytes.fromhex(statements["app_auth"]["bytes"]),
    }
    for name, data in seeds.items():
        with open(CORPUS + "proto_" + name + ".bin", "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
