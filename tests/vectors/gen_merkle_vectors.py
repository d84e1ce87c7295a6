#!/usr/bin/env python3
"""
gen_merkle_vectors.py -- writes tests/vectors/merkle.json, the test vectors of the transparency log's pure
code (src/proto/proto_merkle.c and proto_note.c), and two seeds for tests/fuzz/fuzz_envelope.c.

Independent of the C: the Merkle side is rfc9162.py (RFC 9162 §2.1 from its text, hashlib only); the note side
is written here from the C2SP texts (c2sp.org/signed-note, tlog-checkpoint, tlog-cosignature) with base64 and
hashlib from the standard library and Ed25519 from RFC 8032's reference code (§6), checked against the RFC's
test vectors before use.

What it writes:
  trees        roots, inclusion proofs and consistency proofs of trees of 0, 1, 2, 3, 7, 8, 9, 1000 and 100000
               leaves, leaf i being the ASCII bytes "leaf <i>" (decimal i): every index and every earlier size
               for the small trees, edges and samples for the big ones. Every proof is checked here with the
               RFC's verification algorithms, and each one with a hash flipped is checked to fail.
  ct_reference the tree of RFC 6962's reference inputs (certificate-transparency's merkle tree test data) and
               its roots at sizes 1..8 as published there: an anchor outside this repository.
  notes        an Ed25519 log key and a cosigner key from fixed seeds (verifier and signer key texts, key ids),
               a checkpoint body (and one with extension lines), the checkpoint signed by the log, then
               cosigned (tlog-cosignature/v1) at a fixed time, with the message the cosigner signs; and the
               example key and note from the signed-note specification.
Fuzz seeds: tests/fuzz/corpus/proto_checkpoint.bin (the checkpoint body) and proto_note.bin (the cosigned note).

Run from the repository root:  python3 tests/vectors/gen_merkle_vectors.py   (a few seconds)
Test tooling only: nothing here runs in the product.
"""
import base64
import hashlib
import json
import os
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rfc9162  # noqa: E402

OUT = "tests/vectors/merkle.json"
CORPUS = "tests/fuzz/corpus/"

# ---------------------------------------------------------------------------------------------------------
# Ed25519, RFC 8032 §6 (the reference implementation, in extended homogeneous coordinates)
# ---------------------------------------------------------------------------------------------------------

P = 2**255 - 19
Q = 2**252 + 27742317777372353535851937790883648493  # the group order L


def _inv(x):
    return pow(x, P - 2, P)


D = -121665 * _inv(121666) % P
SQRT_M1 = pow(2, (P - 1) // 4, P)


def _add(p1, p2):
    x1, y1, z1, t1 = p1
    x2, y2, z2, t2 = p2
    a = (y1 - x1) * (y2 - x2) % P
    b = (y1 + x1) * (y2 + x2) % P
    c = t1 * 2 * D * t2 % P
    d = z1 * 2 * z2 % P
    e, f, g, h = b - a, d - c, d + c, b + a
    return (e * f % P, g * h % P, f * g % P, e * h % P)


def _mul(s, p):
    q = (0, 1, 1, 0)
    while s > 0:
        if s & 1:
            q = _add(q, p)
        p = _add(p, p)
        s >>= 1
    return q


def _equal(p1, p2):
    x1, y1, z1, _ = p1
    x2, y2, z2, _ = p2
    return (x1 * z2 - x2 * z1) % P == 0 and (y1 * z2 - y2 * z1) % P == 0


def _recover_x(y, sign):
    if y >= P:
        return None
    x2 = (y * y - 1) * _inv(D * y * y + 1) % P
    if x2 == 0:
        return None if sign else 0
    x = pow(x2, (P + 3) // 8, P)
    if (x * x - x2) % P != 0:
        x = x * SQRT_M1 % P
    if (x * x - x2) % P != 0:
        return None
    if (x & 1) != sign:
        x = P - x
    return x


_GY = 4 * _inv(5) % P
_GX = _recover_x(_GY, 0)
G = (_GX, _GY, 1, _GX * _GY % P)


def _compress(p):
    zinv = _inv(p[2])
    x, y = p[0] * zinv % P, p[1] * zinv % P
    return int.to_bytes(y | ((x & 1) << 255), 32, "little")


def _decompress(s):
    if len(s) != 32:
        return None
    y = int.from_bytes(s, "little")
    sign = y >> 255
    y &= (1 << 255) - 1
    x = _recover_x(y, sign)
    if x is None:
        return None
    return (x, y, 1, x * y % P)


def _sha512_modq(s):
    return int.from_bytes(hashlib.sha512(s).digest(), "little") % Q


def _expand(secret):
    h = hashlib.sha512(secret).digest()
    a = int.from_bytes(h[:32], "little")
    a &= (1 << 254) - 8
    a |= 1 << 254
    return a, h[32:]


def ed25519_public(secret):
    a, _ = _expand(secret)
    return _compress(_mul(a, G))


def ed25519_sign(secret, msg):
    a, prefix = _expand(secret)
    pk = _compress(_mul(a, G))
    r = _sha512_modq(prefix + msg)
    rs = _compress(_mul(r, G))
    h = _sha512_modq(rs + pk + msg)
    s = (r + h * a) % Q
    return rs + int.to_bytes(s, 32, "little")


def ed25519_verify(public, msg, sig):
    if len(public) != 32 or len(sig) != 64:
        return False
    a = _decompress(public)
    r = _decompress(sig[:32])
    if a is None or r is None:
        return False
    s = int.from_bytes(sig[32:], "little")
    if s >= Q:
        return False
    h = _sha512_modq(sig[:32] + public + msg)
    return _equal(_mul(s, G), _add(r, _mul(h, a)))


def check_ed25519():
    """RFC 8032 §7.1, TEST 1 and TEST 2."""
    for sk, pk, msg, sig in [
        ("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
         "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
         "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"),
        ("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
         "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
         "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"),
    ]:
        sk, pk, msg, sig = (bytes.fromhex(x) for x in (sk, pk, msg, sig))
        assert ed25519_public(sk) == pk, "Ed25519 public key"
        assert ed25519_sign(sk, msg) == sig, "Ed25519 signature"
        assert ed25519_verify(pk, msg, sig)
        assert not ed25519_verify(pk, msg + b"x", sig)


# ---------------------------------------------------------------------------------------------------------
# C2SP signed notes, checkpoints and cosignatures, from the specification texts
# ---------------------------------------------------------------------------------------------------------

EM_DASH = "\u2014"
ALG_ED25519 = 0x01  # signed-note: Ed25519 signatures
ALG_COSIGNATURE_V1 = 0x04  # signed-note / tlog-cosignature: timestamped Ed25519 witness cosignatures


def b64(b):
    return base64.b64encode(b).decode()  # RFC 4648 §4, padded


def key_id(name, alg, pk):
    """signed-note: key ID = SHA-256(key name || 0x0A || signature type || public key)[:4], big-endian."""
    return struct.unpack(">I", hashlib.sha256(name.encode() + b"\n" + bytes([alg]) + pk).digest()[:4])[0]


def vkey(name, alg, pk):
    """signed-note, verifier keys: <key name>+hex(32-bit key ID)+base64(signature type || public key)."""
    return "%s+%08x+%s" % (name, key_id(name, alg, pk), b64(bytes([alg]) + pk))


def skey(name, alg, seed, pk):
    """The signer key text of golang.org/x/mod/sumdb/note: PRIVATE+KEY+<name>+<hex id>+base64(type || seed)."""
    return "PRIVATE+KEY+%s+%08x+%s" % (name, key_id(name, alg, pk), b64(bytes([alg]) + seed))


def checkpoint_body(origin, size, root, extension=""):
    """tlog-checkpoint: origin, decimal size, base64 root, then the extension lines."""
    return "%s\n%d\n%s\n%s" % (origin, size, b64(root), extension)


def cosigned_message(timestamp, body):
    """tlog-cosignature, Ed25519 signed message: "cosignature/v1", "time <decimal>", then the note body."""
    return ("cosignature/v1\ntime %d\n" % timestamp + body).encode()


def sign_line(name, alg, seed, body, timestamp=None):
    pk = ed25519_public(seed)
    kid = struct.pack(">I", key_id(name, alg, pk))
    if alg == ALG_COSIGNATURE_V1:
        # timestamped_signature: u64 timestamp (big-endian) then the 64-byte signature
        blob = kid + struct.pack(">Q", timestamp) + ed25519_sign(seed, cosigned_message(timestamp, body))
    else:
        blob = kid + ed25519_sign(seed, body.encode())
    return "%s %s %s\n" % (EM_DASH, name, b64(blob))


def open_note(note, name, alg, pk):
    """signed-note: the text ends at the last blank line; verify the line of (name, key ID). Returns
    (body, timestamp or None) or raises."""
    assert note.endswith("\n")
    split = note.rindex("\n\n")
    body, sigs = note[:split + 1], note[split + 2:]
    want = key_id(name, alg, pk)
    found = None
    for line in sigs.split("\n")[:-1]:
        assert line.startswith(EM_DASH + " ")
        lname, lsig = line[2:].split(" ")
        blob = base64.b64decode(lsig, validate=True)
        if lname != name or struct.unpack(">I", blob[:4])[0] != want:
            continue
        if alg == ALG_COSIGNATURE_V1:
            (ts,) = struct.unpack(">Q", blob[4:12])
            assert ed25519_verify(pk, cosigned_message(ts, body), blob[12:]), "cosignature"
            found = ts
        else:
            assert ed25519_verify(pk, body.encode(), blob[4:]), "signature"
            found = True
    assert found is not None, "no line of the key"
    return body, found


# ---------------------------------------------------------------------------------------------------------
# Merkle trees
# ---------------------------------------------------------------------------------------------------------

def leaf(i):
    return b"leaf %d" % i


def flipped(proof, j):
    p = list(proof)
    p[j] = bytes([p[j][0] ^ 0x01]) + p[j][1:]
    return p


def hexes(hs):
    return [h.hex() for h in hs]


def tree_vectors(tree, size, indices, firsts):
    root = tree.root(size)
    inc = []
    for i in indices:
        proof = tree.inclusion_proof(i, size)
        assert rfc9162.verify_inclusion(i, size, tree.hashes[i], proof, root)
        for j in range(len(proof)):
            assert not rfc9162.verify_inclusion(i, size, tree.hashes[i], flipped(proof, j), root)
        if proof:
            assert not rfc9162.verify_inclusion(i, size, tree.hashes[i], proof[:-1], root)
        assert not rfc9162.verify_inclusion(i, size, tree.hashes[i], proof + [root], root)
        inc.append({"index": i, "proof": hexes(proof)})
    cons = []
    for m in firsts:
        proof = tree.consistency_proof(m, size)
        first_root = tree.root(m)
        if 0 < m < size:
            assert rfc9162.verify_consistency(m, size, first_root, root, proof)
            for j in range(len(proof)):
                assert not rfc9162.verify_consistency(m, size, first_root, root, flipped(proof, j))
            assert not rfc9162.verify_consistency(m, size, first_root, root, proof[:-1])
            assert not rfc9162.verify_consistency(m, size, first_root, root, proof + [root])
        else:
            assert proof == []
        cons.append({"first": m, "first_root": first_root.hex(), "proof": hexes(proof)})
    return {"size": size, "root": root.hex(), "inclusion": inc, "consistency": cons}


def merkle_trees():
    trees = []
    small = [0, 1, 2, 3, 7, 8, 9]
    t = rfc9162.Tree(leaf(i) for i in range(1000))
    for n in small:
        v = tree_vectors(t, n, range(n), range(n + 1))
        v["leaf_hashes"] = hexes(t.hashes[:n])
        trees.append(v)
    # 1000: edges around every power of two up to 512, both ends, and a spread of others
    idx = sorted({0, 1, 2, 3, 4, 5, 6, 7, 8, 15, 16, 17, 255, 256, 257, 499, 500, 511, 512, 513, 767, 768, 900,
                  991, 992, 995, 996, 998, 999})
    firsts = sorted({0, 1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 100, 255, 256, 257, 500, 511, 512, 513,
                     768, 992, 993, 998, 999, 1000})
    trees.append(tree_vectors(t, 1000, idx, firsts))
    big = rfc9162.Tree(leaf(i) for i in range(100000))
    idx = [0, 1, 2, 12345, 32767, 32768, 65535, 65536, 65537, 77777, 98303, 98304, 99998, 99999]
    firsts = [0, 1, 2, 3, 1000, 32768, 65535, 65536, 65537, 98304, 99999, 100000]
    trees.append(tree_vectors(big, 100000, idx, firsts))
    return trees, t, big


def ct_reference():
    """RFC 6962's reference inputs and the roots certificate-transparency publishes for them."""
    inputs = ["", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"]
    roots = ["6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
             "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
             "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
             "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
             "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
             "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
             "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
             "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"]
    t = rfc9162.Tree(bytes.fromhex(x) for x in inputs)
    for n in range(1, 9):
        assert t.root(n).hex() == roots[n - 1], "RFC 6962 reference root %d" % n
    assert t.root(0).hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    return {"leaves": inputs, "roots": roots}


# ---------------------------------------------------------------------------------------------------------
# notes
# ---------------------------------------------------------------------------------------------------------

def notes(root_1000, root_7):
    log_name = "log.postern.example/test"
    log_seed = hashlib.sha256(b"postern test log key").digest()
    log_pk = ed25519_public(log_seed)
    w_name = "witness.postern.example/w1"
    w_seed = hashlib.sha256(b"postern test witness key").digest()
    w_pk = ed25519_public(w_seed)
    timestamp = 1700000000

    body = checkpoint_body(log_name, 1000, root_1000)
    ext_lines = "postern-extension one\nsecond extension line\n"
    body_ext = checkpoint_body(log_name, 7, root_7, ext_lines)
    signed = body + "\n" + sign_line(log_name, ALG_ED25519, log_seed, body)
    cosigned = signed + sign_line(w_name, ALG_COSIGNATURE_V1, w_seed, body, timestamp)
    signed_ext = body_ext + "\n" + sign_line(log_name, ALG_ED25519, log_seed, body_ext)

    assert open_note(signed, log_name, ALG_ED25519, log_pk) == (body, True)
    assert open_note(cosigned, log_name, ALG_ED25519, log_pk) == (body, True)
    assert open_note(cosigned, w_name, ALG_COSIGNATURE_V1, w_pk) == (body, timestamp)
    assert open_note(signed_ext, log_name, ALG_ED25519, log_pk) == (body_ext, True)

    # the example of c2sp.org/signed-note ("Verifier keys", "Example"): an outside anchor for key ids and lines
    spec_vkey = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"
    spec_note = ("This is an example message.\n\n" + EM_DASH + " example.com/foo "
                 "Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n")
    spec_pk = base64.b64decode(spec_vkey.split("+", 2)[2])[1:]
    assert vkey("example.com/foo", ALG_ED25519, spec_pk) == spec_vkey
    assert open_note(spec_note, "example.com/foo", ALG_ED25519, spec_pk) == ("This is an example message.\n", True)

    return {
        "log": {"name": log_name, "seed": log_seed.hex(), "public_key": log_pk.hex(),
                "key_id": "%08x" % key_id(log_name, ALG_ED25519, log_pk),
                "vkey": vkey(log_name, ALG_ED25519, log_pk), "skey": skey(log_name, ALG_ED25519, log_seed, log_pk)},
        "cosigner": {"name": w_name, "seed": w_seed.hex(), "public_key": w_pk.hex(),
                     "key_id": "%08x" % key_id(w_name, ALG_COSIGNATURE_V1, w_pk),
                     "key_id_if_0x01": "%08x" % key_id(w_name, ALG_ED25519, w_pk),
                     "vkey": vkey(w_name, ALG_COSIGNATURE_V1, w_pk),
                     "skey": skey(w_name, ALG_COSIGNATURE_V1, w_seed, w_pk)},
        "checkpoint": {"origin": log_name, "size": 1000, "root": root_1000.hex(), "body": body},
        "checkpoint_ext": {"origin": log_name, "size": 7, "root": root_7.hex(), "extension": ext_lines,
                           "body": body_ext},
        "timestamp": timestamp,
        "cosigned_message": cosigned_message(timestamp, body).decode(),
        "signed": signed,
        "cosigned": cosigned,
        "signed_ext": signed_ext,
        "spec_example": {"vkey": spec_vkey, "note": spec_note, "body": "This is an example message.\n"},
    }


def main():
    check_ed25519()
    ref = ct_reference()
    trees, t1000, _ = merkle_trees()
    v = {
        "about": "written by tests/vectors/gen_merkle_vectors.py (RFC 9162 §2.1 from rfc9162.py; C2SP notes); "
                 "do not edit",
        "leaf_rule": "leaf i is the ASCII bytes \"leaf <i>\", i in decimal",
        "empty_root": rfc9162.HASH(b"").hex(),
        "ct_reference": ref,
        "trees": trees,
        "notes": notes(t1000.root(1000), t1000.root(7)),
    }
    with open(OUT, "w") as f:
        json.dump(v, f, indent=1, ensure_ascii=False)
        f.write("\n")
    with open(CORPUS + "proto_checkpoint.bin", "wb") as f:
        f.write(v["notes"]["checkpoint"]["body"].encode())
    with open(CORPUS + "proto_note.bin", "wb") as f:
        f.write(v["notes"]["cosigned"].encode())
    print("wrote %s (%d bytes) and %sproto_checkpoint.bin, proto_note.bin" % (OUT, os.path.getsize(OUT), CORPUS))


if __name__ == "__main__":
    main()
