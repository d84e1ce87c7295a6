"""
rfc9162.py -- RFC 9162 §2.1 Merkle trees, written from the RFC's text with Python's standard library only
(hashlib), to check src/proto/proto_merkle.c against. It shares no code with the C: the tree hash, the audit
path and the consistency proof are the RFC's recursive definitions applied to the list of leaves (memoised,
so a tree of 100000 leaves takes seconds), and the two verifiers are the step lists of §2.1.3.2 and §2.1.4.2,
step by step.

Used by gen_merkle_vectors.py; test tooling only.
"""
import hashlib


def HASH(data):
    return hashlib.sha256(data).digest()


def leaf_hash(d):
    """§2.1.1: MTH({d(0)}) = HASH(0x00 || d(0))."""
    return HASH(b"\x00" + d)


def node_hash(left, right):
    """§2.1.1: HASH(0x01 || MTH(D[0:k]) || MTH(D[k:n]))."""
    return HASH(b"\x01" + left + right)


def largest_power_of_two_smaller_than(n):
    """k of §2.1.1: the largest power of two smaller than n (n > 1), so that k < n <= 2k."""
    assert n > 1
    k = 1
    while k * 2 < n:
        k *= 2
    return k


class Tree:
    """The list of inputs D[n] = {d(0), ..., d(n-1)}; MTH of any slice D[a:b], memoised."""

    def __init__(self, leaves):
        self.leaves = list(leaves)
        self.hashes = [leaf_hash(d) for d in self.leaves]
        self.memo = {}

    def mth(self, a, b):
        """MTH(D[a:b]) by §2.1.1's recursion on the slice."""
        n = b - a
        if n == 0:
            return HASH(b"")  # the empty list: the hash of an empty string
        if n == 1:
            return self.hashes[a]
        key = (a, b)
        if key not in self.memo:
            k = largest_power_of_two_smaller_than(n)
            self.memo[key] = node_hash(self.mth(a, a + k), self.mth(a + k, b))
        return self.memo[key]

    def root(self, n):
        return self.mth(0, n)

    def path(self, m, a, b):
        """§2.1.3.1: PATH(m, D[a:b]) for the (m+1)th input of the slice, 0 <= m < b - a."""
        n = b - a
        assert 0 <= m < n
        if n == 1:
            return []
        k = largest_power_of_two_smaller_than(n)
        if m < k:
            return self.path(m, a, a + k) + [self.mth(a + k, b)]
        return self.path(m - k, a + k, b) + [self.mth(a, a + k)]

    def inclusion_proof(self, index, size):
        return self.path(index, 0, size)

    def subproof(self, m, a, b, first):
        """§2.1.4.1: SUBPROOF(m, D[a:b], b_flag)."""
        n = b - a
        if m == n:
            return [] if first else [self.mth(a, b)]
        k = largest_power_of_two_smaller_than(n)
        if m <= k:
            return self.subproof(m, a, a + k, first) + [self.mth(a + k, b)]
        return self.subproof(m - k, a + k, b, False) + [self.mth(a, a + k)]

    def consistency_proof(self, first, second):
        """§2.1.4.1: PROOF(m, D[n]) = SUBPROOF(m, D[n], true), defined for 0 < m < n; the proof between equal
        sizes and from the empty tree is empty (nothing to prove beyond comparing the two heads)."""
        assert 0 <= first <= second
        if first == 0 or first == second:
            return []
        return self.subproof(first, 0, second, True)


def LSB(x):
    return x & 1


def is_power_of_two(x):
    return x > 0 and x & (x - 1) == 0


def verify_inclusion(leaf_index, tree_size, hash_, inclusion_path, root_hash):
    """§2.1.3.2, step by step. True when the path proves hash at leaf_index in the tree with root_hash."""
    # 1. leaf_index >= tree_size fails the verification.
    if leaf_index >= tree_size:
        return False
    # 2. Set fn to leaf_index and sn to tree_size - 1.
    fn, sn = leaf_index, tree_size - 1
    # 3. Set r to hash.
    r = hash_
    # 4. For each value p in the inclusion_path array:
    for p in inclusion_path:
        # a. If sn is 0, then stop the iteration and fail the proof verification.
        if sn == 0:
            return False
        # b. If LSB(fn) is set, or if fn is equal to sn, then:
        if LSB(fn) or fn == sn:
            # i. Set r to HASH(0x01 || p || r).
            r = node_hash(p, r)
            # ii. If LSB(fn) is not set, then right-shift both fn and sn equally until either LSB(fn) is set or
            #     fn is 0.
            if not LSB(fn):
                while not LSB(fn) and fn != 0:
                    fn >>= 1
                    sn >>= 1
        # Otherwise: i. Set r to HASH(0x01 || r || p).
        else:
            r = node_hash(r, p)
        # c. Finally, right-shift both fn and sn one time.
        fn >>= 1
        sn >>= 1
    # 5. Compare sn to 0. Compare r against the root_hash.
    return sn == 0 and r == root_hash


def verify_consistency(first, second, first_hash, second_hash, consistency_path):
    """§2.1.4.2, step by step, for 0 < first < second."""
    assert 0 < first < second
    # 1. If consistency_path is an empty array, stop and fail the proof verification.
    if not consistency_path:
        return False
    path = list(consistency_path)
    # 2. If first is an exact power of 2, then prepend first_hash to the consistency_path array.
    if is_power_of_two(first):
        path = [first_hash] + path
    # 3. Set fn to first - 1 and sn to second - 1.
    fn, sn = first - 1, second - 1
    # 4. If LSB(fn) is set, then right-shift both fn and sn equally until LSB(fn) is not set.
    while LSB(fn):
        fn >>= 1
        sn >>= 1
    # 5. Set both fr and sr to the first value in the consistency_path array.
    fr = sr = path[0]
    # 6. For each subsequent value c in the consistency_path array:
    for c in path[1:]:
        # a. If sn is 0, then stop the iteration and fail the proof verification.
        if sn == 0:
            return False
        # b. If LSB(fn) is set, or if fn is equal to sn, then:
        if LSB(fn) or fn == sn:
            # i. Set fr to HASH(0x01 || c || fr).  ii. Set sr to HASH(0x01 || c || sr).
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            # iii. If LSB(fn) is not set, then right-shift both fn and sn equally until either LSB(fn) is set or
            #      fn is 0.
            if not LSB(fn):
                while not LSB(fn) and fn != 0:
                    fn >>= 1
                    sn >>= 1
        # Otherwise: i. Set sr to HASH(0x01 || sr || c).
        else:
            sr = node_hash(sr, c)
        # c. Finally, right-shift both fn and sn one time.
        fn >>= 1
        sn >>= 1
    # 7. fr equals first_hash, sr equals second_hash, and sn is 0.
    return fr == first_hash and sr == second_hash and sn == 0
