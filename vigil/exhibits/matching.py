"""Near matching of PDQ hashes: every known hash within a Hamming distance of a query.

Pure: no Django. A FAISS binary index, either way exact (nothing within the distance is missed):

- flat (``IndexBinaryFlat``): an exhaustive scan of the packed 256-bit codes with a popcount.
  Nothing to build, so it suits a triage with few images.
- multi-index hashing (``IndexBinaryMultiHash``): the first 253 bits cut into 11 pieces of 23,
  each piece a hash table. Two hashes within 31 bits differ in 2 bits or fewer in at least one
  piece (else they would differ in 3 × 11 = 33), so looking up each piece of a query and every
  piece 1 or 2 bits away finds every candidate, and each is then checked on all 256 bits. Far
  fewer hashes are compared a query, but the tables take time and memory to build (about as
  long as 10,000 flat queries), so it is used for a triage of many images.
"""

import faiss
import numpy as np

# PDQ's own threshold: 31 bits or fewer of 256 differ.
NEAR_DISTANCE = 31


def codes(hexes) -> np.ndarray:
    """Hex PDQ hashes as an (n, 32) array of bytes."""
    hexes = list(hexes)
    if not hexes:
        return np.zeros((0, 32), dtype=np.uint8)
    return np.frombuffer(b"".join(bytes.fromhex(value) for value in hexes), dtype=np.uint8).reshape(
        -1, 32
    )


# Multi-index hashing: 11 pieces of 23 bits, and every piece up to 2 bits away (31 // 11).
PIECES = 11
PIECE_BITS = 23


class PdqIndex:
    """Known PDQ hashes, searched for those near a query (flat, or with ``multi_hash``)."""

    def __init__(self, known_hexes=(), *, multi_hash: bool = False):
        if multi_hash:
            self.index = faiss.IndexBinaryMultiHash(256, PIECES, PIECE_BITS)
            self.index.nflip = NEAR_DISTANCE // PIECES
        else:
            self.index = faiss.IndexBinaryFlat(256)
        self.multi_hash = multi_hash
        self.size = 0
        self.add(known_hexes)

    def add(self, known_hexes) -> None:
        """Add hashes; the first added is number 0, and so on in order."""
        known = codes(known_hexes)
        if len(known):
            self.index.add(known)
            self.size += len(known)

    def near(self, query_hexes, distance: int = NEAR_DISTANCE) -> list[tuple[int, int, int]]:
        """``(query number, known number, distance)`` for every known hash within ``distance``."""
        queries = codes(query_hexes)
        if not len(queries) or not self.size:
            return []
        if self.multi_hash and distance > NEAR_DISTANCE:
            raise ValueError(f"the multi-hash index finds all only within {NEAR_DISTANCE}")
        # range_search keeps distances strictly below its radius.
        limits, distances, labels = self.index.range_search(queries, distance + 1)
        found = []
        for query in range(len(queries)):
            for at in range(limits[query], limits[query + 1]):
                found.append((query, int(labels[at]), int(distances[at])))
        return found


def hamming(first: str, second: str) -> int:
    return (int(first, 16) ^ int(second, 16)).bit_count()
