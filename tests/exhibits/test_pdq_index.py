"""The near-match index: flat or with multi-index hashing, every known PDQ hash within 31 bits
of a query is found, at its distance, and nothing further. Pure: random hashes from a seed."""

import numpy as np
import pytest

from vigil.exhibits import services
from vigil.exhibits.matching import NEAR_DISTANCE, PdqIndex, hamming


def _hashes(seed: int = 3, count: int = 5000, queries: int = 200):
    rng = np.random.default_rng(seed)
    known = rng.integers(0, 256, size=(count, 32), dtype=np.uint8)
    asked = known[:queries].copy()
    for number in range(queries):
        bits = np.unpackbits(asked[number])
        # 0 to 40 bits flipped: those with 31 or fewer must be found, the others not.
        bits[rng.choice(256, size=number % 41, replace=False)] ^= 1
        asked[number] = np.packbits(bits)
    return [row.tobytes().hex() for row in known], [row.tobytes().hex() for row in asked]


@pytest.mark.parametrize("multi_hash", [False, True])
def test_every_known_hash_within_31_bits_is_found_at_its_distance(multi_hash):
    known, asked = _hashes()

    found = set(PdqIndex(known, multi_hash=multi_hash).near(asked))

    expected = {
        (query, number, hamming(asked[query], known[number]))
        for query in range(len(asked))
        for number in (query,)
        if hamming(asked[query], known[number]) <= NEAR_DISTANCE
    }
    assert found == expected
    assert {query for query, _, _ in found} == {q for q in range(len(asked)) if q % 41 <= 31}


def test_the_multi_hash_index_answers_exactly_as_the_flat_one_when_added_in_chunks():
    known, asked = _hashes(seed=8)
    multi = PdqIndex(multi_hash=True)
    for start in range(0, len(known), 1000):
        multi.add(known[start : start + 1000])

    assert set(multi.near(asked)) == set(PdqIndex(known).near(asked))
    with pytest.raises(ValueError, match="within 31"):
        multi.near(asked, distance=40)


@pytest.mark.django_db
def test_a_triage_of_many_images_builds_the_multi_hash_index(monkeypatch):
    built = []
    monkeypatch.setattr(
        services, "PdqIndex", lambda multi_hash: built.append(multi_hash) or PdqIndex()
    )
    versions = {1: object()}
    rows = [(f"{n}.png", "", "", True, "f" * 64, 90) for n in range(services.MULTI_HASH_FROM)]

    services._near_matches(rows[:10], versions, exclude=set())
    services._near_matches(rows, versions, exclude=set())

    assert built == [False, True]
