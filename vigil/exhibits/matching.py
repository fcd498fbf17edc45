"""Near matching of PDQ hashes: every known hash within a Hamming distance of a query.

Pure: no Django. A FAISS binary index (``IndexBinaryFlat``: an exhaustive scan of packed 256-bit
codes with a popcount, so nothing within the distance is missed).
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


class PdqIndex:
    """Known PDQ hashes, searched for those near a query."""

    def __init__(self, known_hexes=()):
        self.index = faiss.IndexBinaryFlat(256)
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
        # range_search keeps distances strictly below its radius.
        limits, distances, labels = self.index.range_search(queries, distance + 1)
        found = []
        for query in range(len(queries)):
            for at in range(limits[query], limits[query + 1]):
                found.append((query, int(labels[at]), int(distances[at])))
        return found


def hamming(first: str, second: str) -> int:
    return (int(first, 16) ^ int(second, 16)).bit_count()
