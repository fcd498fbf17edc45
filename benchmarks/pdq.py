"""PDQ benchmark (``make bench``): near-match queries against N known PDQ hashes, Vigil's index
beside python-threatexchange's ``PDQIndex``, in one run, on the same hashes and queries.

N random 256-bit hashes (seeded: never real hashes) are indexed by both. Of Q queries, half are
known hashes with 0 to 40 random bits flipped (those with 31 or fewer flipped are the matches to
find: the ground truth) and half are random hashes (no match: a random hash lies within 31 bits
of a given one with odds below 10^-30). Each index answers every query with everything within a
distance of 31; recall is the share of the planted matches found, and the two answers are
compared pair by pair, so the rates are read at the same recall.

Vigil's index (``exhibits.matching.PdqIndex``) is queried as triage queries it, all of an
exhibit's images in one call: flat (a FAISS ``IndexBinaryFlat``, exhaustive; also timed one query
a call) and with multi-index hashing (``multi_hash=True``, what a triage of 10,000 images or more
builds; its build time is printed).
threatexchange's ``PDQIndex`` (a FAISS ``IndexBinaryMultiHash`` behind it) is queried one hash a
call through ``PDQIndex.query``, its interface; its inner FAISS index is also timed with the
whole batch, for the record.

    python -m benchmarks.pdq [--hashes N] [--queries Q]
"""

import argparse
import os
import platform
import sys
import time
from datetime import date

import numpy as np

DISTANCE = 31
MOST_FLIPPED = 40


def synthetic(count: int, queries: int, seed: int = 15):
    """``count`` known hashes, ``queries`` queries, and the planted matches {(query, known)}."""
    rng = np.random.default_rng(seed)
    known = rng.integers(0, 256, size=(count, 32), dtype=np.uint8)
    asked = rng.integers(0, 256, size=(queries, 32), dtype=np.uint8)
    planted = set()
    for query in range(queries // 2):
        source = int(rng.integers(count))
        bits = np.unpackbits(known[source])
        flipped = int(rng.integers(0, MOST_FLIPPED + 1))
        bits[rng.choice(256, size=flipped, replace=False)] ^= 1
        asked[query] = np.packbits(bits)
        if flipped <= DISTANCE:
            planted.add((query, source))
    return known, asked, planted


def hexes(codes: np.ndarray) -> list[str]:
    return [row.tobytes().hex() for row in codes]


def build_vigil(known_hex, multi_hash: bool = False):
    from vigil.exhibits.matching import PdqIndex

    started = time.perf_counter()
    index = PdqIndex(known_hex, multi_hash=multi_hash)
    return index, time.perf_counter() - started


def build_threatexchange(known_hex):
    from threatexchange.signal_type.pdq.pdq_index import PDQIndex

    started = time.perf_counter()
    index = PDQIndex(entries=((value, number) for number, value in enumerate(known_hex)))
    return index, time.perf_counter() - started


def query_vigil(index, query_hex, single: bool = True) -> dict:
    started = time.perf_counter()
    batch = {(query, known) for query, known, _ in index.near(query_hex)}
    batch_seconds = time.perf_counter() - started
    figures = {"pairs": batch, "batch_rate": len(query_hex) / batch_seconds}
    if not single:
        return figures
    started = time.perf_counter()
    one_by_one = set()
    for number, query in enumerate(query_hex):
        one_by_one.update((number, known) for _, known, _ in index.near([query]))
    figures["single_rate"] = len(query_hex) / (time.perf_counter() - started)
    if one_by_one != batch:
        sys.exit("failed: vigil's index answered one query a call differently from the batch")
    return figures


def query_threatexchange(index, query_hex) -> dict:
    started = time.perf_counter()
    pairs = set()
    for number, query in enumerate(query_hex):
        for match in index.query(query):
            if match.similarity_info.distance <= DISTANCE:
                pairs.add((number, match.metadata))
    seconds = time.perf_counter() - started
    # The same FAISS index given the whole batch at once (not PDQIndex's interface).
    started = time.perf_counter()
    index.index.search_with_distance_in_result(query_hex, DISTANCE)
    inner_seconds = time.perf_counter() - started
    return {
        "pairs": pairs,
        "single_rate": len(query_hex) / seconds,
        "inner_batch_rate": len(query_hex) / inner_seconds,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hashes", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=1000)
    args = parser.parse_args()
    print(
        f"Vigil PDQ benchmark, {date.today()}, {platform.node()}, {platform.machine()}, "
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"load {os.getloadavg()[0]:.1f}"
    )
    started = time.perf_counter()
    known, asked, planted = synthetic(args.hashes, args.queries)
    known_hex, query_hex = hexes(known), hexes(asked)
    print(
        f"{args.hashes} known hashes, {args.queries} queries ({len(planted)} planted matches "
        f"within {DISTANCE}) made in {time.perf_counter() - started:.1f} s"
    )
    import faiss

    vigil_index, vigil_build = build_vigil(known_hex)
    multi_index, multi_build = build_vigil(known_hex, multi_hash=True)
    peer_index, peer_build = build_threatexchange(known_hex)
    print(
        f"built: vigil flat {vigil_build:.2f} s, vigil multi-hash {multi_build:.2f} s, "
        f"threatexchange {peer_build:.2f} s"
    )
    failed = False
    # FAISS runs a query on every CPU (OpenMP) unless told otherwise; on a busy machine its
    # threads wait on each other, so both settings are measured, each for both indexes.
    for threads in sorted({os.cpu_count() or 1, 1}, reverse=True):
        faiss.omp_set_num_threads(threads)
        vigil = query_vigil(vigil_index, query_hex)
        multi = query_vigil(multi_index, query_hex, single=False)
        peer = query_threatexchange(peer_index, query_hex)
        print(f"FAISS on {threads} thread{'s' if threads > 1 else ''}:")
        for name, figures in (
            ("vigil", vigil),
            ("vigil multi-hash", multi),
            ("threatexchange", peer),
        ):
            found = len(figures["pairs"] & planted)
            extra = len(figures["pairs"] - planted)
            figures["recall"] = found / len(planted) if planted else 1.0
            print(
                f"  {name}: recall {figures['recall']:.3f} "
                f"({found}/{len(planted)}, {extra} beyond the planted)"
            )
        same = vigil["pairs"] == peer["pairs"] == multi["pairs"]
        failed = failed or not same or not vigil["recall"] == multi["recall"] == peer["recall"]
        print(f"  same answers: {same}")
        print(f"  vigil PdqIndex.near, the batch (as triage asks): {vigil['batch_rate']:,.0f} q/s")
        print(f"  vigil PdqIndex.near, one query a call: {vigil['single_rate']:,.0f} q/s")
        print(
            f"  vigil PdqIndex(multi_hash=True).near, the batch (a triage of 10,000 images or "
            f"more): {multi['batch_rate']:,.0f} q/s"
        )
        print(f"  threatexchange PDQIndex.query, one a call: {peer['single_rate']:,.0f} q/s")
        print(
            f"  threatexchange's inner FAISS index, the batch: {peer['inner_batch_rate']:,.0f} q/s"
        )
        print(
            f"  vigil ÷ threatexchange PDQIndex: "
            f"{vigil['batch_rate'] / peer['single_rate']:.1f}× (batch), "
            f"{vigil['single_rate'] / peer['single_rate']:.1f}× (one a call), "
            f"{multi['batch_rate'] / peer['single_rate']:.1f}× (multi-hash, batch)"
        )
    if failed:
        sys.exit("failed: the two indexes did not give the same answers")


if __name__ == "__main__":
    main()
