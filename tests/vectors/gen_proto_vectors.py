#!/usr/bin/env python3
"""
gen_proto_vectors.py -- writes tests/vectors/proto_v1.json, the test vectors of docs/protocol.md.

A second, independent implementation of the byte layouts and key schedule, written from the spec and
sharing no code with src/proto/proto*.c: Python's hashlib (BLAKE2b, SHA-512) and the `cryptography`
package (Ed25519, X25519, ChaCha20-Poly1305). XChaCha20-Poly1305-IETF is built as libsodium defines it:
HChaCha20 subkey from the first 16 nonce bytes, then RFC 8439 ChaCha20-Poly1305 with the nonce
00000000 || nonce[16:24]. The C unit tests compare libsodium's results with these numbers, so a layout
or KDF mistake on either side fails the suite.

Run from the repository root:  python3 tests/vectors/gen_proto_vectors.py
Test tooling only: nothing here runs in the product.
"""
import base64
import hashlib
import json
import struct

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives import serialization

MAGIC, VERSION = 0x50, 0x01
T_MESSAGE, T_SESSION_KEY, T_OUT_STATE, T_IN_STATE = 0x01, 0x02, 0x10, 0x11

RAW = serialization.Encoding.Raw, serialization.PublicFormat.Raw


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def seq(start, n):
    return bytes((start + i) & 0xFF for i in range(n))


# ---- primitives as libsodium 1.0.18 defines them ----

def kdf(key, subkey_id, ctx):
    """crypto_kdf_derive_from_key(32, subkey_id, ctx, key): keyed BLAKE2b-256, salt = LE64(id)||0^8, personal = ctx||0^8."""
    assert len(ctx) == 8 and len(key) == 32
    return hashlib.blake2b(b"", digest_size=32, key=key, salt=struct.pack("<Q", subkey_id) + bytes(8),
                           person=ctx + bytes(8)).digest()


def chain_step(ck):
    return kdf(ck, 1, b"pstmsgky"), kdf(ck, 2, b"pstchain")


def sign_keypair(seed):
    sk = Ed25519PrivateKey.from_private_bytes(seed)
    pk = sk.public_key().public_bytes(*RAW)
    return pk, sk


def box_keypair(seed):
    """crypto_box_seed_keypair: sk = SHA-512(seed)[0:32], pk = X25519(sk, 9)."""
    sk = hashlib.sha512(seed).digest()[:32]
    pk = X25519PrivateKey.from_private_bytes(sk).public_key().public_bytes(*RAW)
    return pk, sk


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


def xchacha20poly1305_encrypt(key, nonce24, pt, ad):
    sub = hchacha20(key, nonce24[:16])
    return ChaCha20Poly1305(sub).encrypt(bytes(4) + nonce24[16:], pt, ad)


def hchacha_selftest():
    # draft-irtf-cfrg-xchacha-03 §2.2.1
    key = bytes(range(32))
    nonce = bytes.fromhex("000000090000004a0000000031415927")
    want = "82413b4227b27bfed30e42508a877d73a0f9e4d58a74a853c12ec41326d3ecdc"
    assert hchacha20(key, nonce).hex() == want


def lp(s):
    b = s.encode()
    assert 1 <= len(b) <= 64
    return bytes([len(b)]) + b


def u32(v):
    return struct.pack(">I", v)


# ---- the fixed inputs ----

USER_ID = "u_Tq3sZ0kQn8XyWv1bR4mP2a"
THREAD_ID = "t_9hJ2kL5mN8pQ1rS4tV7wXz"
ALICE_DEV = "d_A1iceDev1ce0000000000a"
BOB_DEV = "d_B0bDev1ce000000000000b"

A_SIGN_SEED, A_BOX_SEED = seq(0x00, 32), seq(0x20, 32)
B_SIGN_SEED, B_BOX_SEED = seq(0x40, 32), seq(0x60, 32)
CHAIN_KEY_0 = seq(0xA0, 32)
SESSION_ID = seq(0xC0, 16)
NONCE = seq(0xE0, 24)
ENV_INDEX = 3
PLAINTEXT = "Hello from Alice \u2014 sender keys!".encode()
CREATED_AT_MS = 1704067200000


def main():
    hchacha_selftest()
    a_spk, a_ssk = sign_keypair(A_SIGN_SEED)
    a_bpk, _ = box_keypair(A_BOX_SEED)
    b_spk, _ = sign_keypair(B_SIGN_SEED)
    b_bpk, b_bsk = box_keypair(B_BOX_SEED)

    # device registration and fingerprint
    reg_msg = ("postern-device-v1:" + USER_ID + ":" + b64url(a_bpk)).encode()
    reg_sig = a_ssk.sign(reg_msg)
    fp_hash = hashlib.blake2b(b"postern-fingerprint-v1:" + a_spk + a_bpk, digest_size=32).digest()
    fp = " ".join("%05d" % (int.from_bytes(fp_hash[5 * g:5 * g + 5], "big") % 100000) for g in range(6))

    # chain
    chain, ck = [], CHAIN_KEY_0
    cks, mks = [], []
    for i in range(100):
        mk, nxt = chain_step(ck)
        cks.append(ck)
        mks.append(mk)
        ck = nxt
    cks.append(ck)
    for i in (0, 1, 2, 3, 4, 99):
        chain.append({"index": i, "chain_key": cks[i].hex(), "message_key": mks[i].hex()})

    # envelope at index 3
    header = bytes([MAGIC, VERSION, T_MESSAGE]) + lp(THREAD_ID) + lp(ALICE_DEV) + SESSION_ID + u32(ENV_INDEX) + NONCE \
        + u32(len(PLAINTEXT) + 16)
    ct = xchacha20poly1305_encrypt(mks[ENV_INDEX], NONCE, PLAINTEXT, header)
    sig = a_ssk.sign(header + ct)
    env = header + ct + sig

    # session-key payload at index 0 for Bob's device
    payload_signed = bytes([MAGIC, VERSION, T_SESSION_KEY]) + lp(THREAD_ID) + lp(ALICE_DEV) + lp(BOB_DEV) + SESSION_ID \
        + u32(0) + CHAIN_KEY_0
    payload_sig = a_ssk.sign(payload_signed)
    payload = payload_signed + payload_sig

    # recipient-set hash: duplicates and order do not matter
    ids = [BOB_DEV, ALICE_DEV, BOB_DEV]
    h = hashlib.blake2b(digest_size=32)
    h.update(b"postern-recipients-v1:")
    for i in sorted(set(x.encode() for x in ids)):
        h.update(bytes([len(i)]) + i)
    rhash = h.digest()

    # stored states: Alice's outbound after sending index 3 (next 4); Bob's inbound after reading index 3 from 0
    out_state = bytes([MAGIC, VERSION, T_OUT_STATE]) + lp(THREAD_ID) + lp(ALICE_DEV) + SESSION_ID + cks[4] + u32(4) \
        + struct.pack(">q", CREATED_AT_MS) + rhash
    in_state = bytes([MAGIC, VERSION, T_IN_STATE]) + lp(THREAD_ID) + lp(ALICE_DEV) + a_spk + SESSION_ID + cks[4] \
        + u32(0) + u32(4) + u32(0) + u32(3) + b"".join(u32(i) + mks[i] for i in range(3))

    doc = {
        "description": "Postern E2EE protocol v1 test vectors (docs/protocol.md §10); made by gen_proto_vectors.py",
        "ids": {"user_id": USER_ID, "thread_id": THREAD_ID, "alice_device_id": ALICE_DEV, "bob_device_id": BOB_DEV},
        "devices": {
            "alice": {"sign_seed": A_SIGN_SEED.hex(), "box_seed": A_BOX_SEED.hex(), "sign_pk": a_spk.hex(),
                      "box_pk": a_bpk.hex(), "box_pk_b64url": b64url(a_bpk)},
            "bob": {"sign_seed": B_SIGN_SEED.hex(), "box_seed": B_BOX_SEED.hex(), "sign_pk": b_spk.hex(),
                    "box_pk": b_bpk.hex(), "box_sk": b_bsk.hex()},
        },
        "registration": {"message": reg_msg.decode(), "signature": reg_sig.hex(), "signature_b64url": b64url(reg_sig)},
        "fingerprint": {"hash": fp_hash.hex(), "text": fp},
        "chain": {"chain_key_0": CHAIN_KEY_0.hex(), "steps": chain},
        "envelope": {
            "session_id": SESSION_ID.hex(), "index": ENV_INDEX, "chain_key": cks[ENV_INDEX].hex(),
            "message_key": mks[ENV_INDEX].hex(), "nonce": NONCE.hex(), "plaintext": PLAINTEXT.hex(),
            "associated_data": header.hex(), "ciphertext": ct.hex(), "signature": sig.hex(),
            "envelope": env.hex(), "envelope_b64url": b64url(env), "next_chain_key": cks[ENV_INDEX + 1].hex(),
        },
        "session_key": {"index": 0, "chain_key": CHAIN_KEY_0.hex(), "recipient_device_id": BOB_DEV,
                        "signed_bytes": payload_signed.hex(), "signature": payload_sig.hex(), "payload": payload.hex()},
        "recipients_hash": {"device_ids": ids, "hash": rhash.hex()},
        "outbound_state": {"created_at_ms": CREATED_AT_MS, "bytes": out_state.hex()},
        "inbound_state": {"bytes": in_state.hex()},
    }
    with open("tests/vectors/proto_v1.json", "w") as f:
        json.dump(doc, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()
