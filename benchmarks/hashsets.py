"""Hash set benchmark (``make bench``): how fast a VICS hash set imports, and whether exact
lookups stay flat as the set grows.

Writes a synthetic VICS 2.0 hash set of N Media (random MD5, SHA-1 and PDQ, categories 1 to 4:
never real hashes), imports it with ``exhibits.services.import_hashset`` on a fresh SQLite
database and (when DATABASE_URL is set) a fresh PostgreSQL database, then times 1,000 exact
lookups by MD5 (half of them present) as triage makes them, and prints the rates.

Then, whether exact lookups stay flat as a set grows (``--lookup-sizes``, 10,000 to
10,000,000 by default): one set is grown through each size in turn, its rows written straight
into the table (the hashes are the MD5 of a row's number, so the lookups can name rows that are
present) rather than imported, and the same 1,000 lookups (half present, spread over the rows)
are timed cold and again at each size, after ``ANALYZE`` on PostgreSQL as an import ends. On
SQLite the growth stops at ``--sqlite-up-to`` (1,000,000: writing 10,000,000 random keys into
SQLite's indexes takes most of an hour on two cores; the import above gives its figure).

    python -m benchmarks.hashsets [--hashes N] [--lookup-sizes 10000,100000,...]
        [--sqlite-up-to N] [--database NAME]
"""

import argparse
import hashlib
import json
import os
import platform
import random
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

from benchmarks.common import databases, measure_in_child

AT = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
LOOKUPS = 1000


def write_vics(path: Path, count: int, seed: int = 15) -> list[str]:
    """A VICS 2.0 hash set of ``count`` random Media; returns some of its MD5s for lookups."""
    rng = random.Random(seed)  # noqa: S311 (synthetic hashes, not secrets)
    sample = []
    with open(path, "w", encoding="utf-8") as out:
        out.write(
            '{"@odata.context": "http://github.com/VICSDATAMODEL/ProjectVic/DataModels/2.0.xml/'
            'Default/$metadata#Media", "value": ['
        )
        every = max(1, count // LOOKUPS)
        for number in range(count):
            md5 = f"{rng.getrandbits(128):032x}"
            if number % every == 0 and len(sample) < LOOKUPS // 2:
                sample.append(md5)
            # Every seventh Media names a series and whether its victim is identified.
            victim = (
                ', "VictimIdentified": "false", "Series": "Synthetic"' if number % 7 == 0 else ""
            )
            out.write(
                ("," if number else "")
                + f'{{"MediaID": {number}, "Category": {number % 4 + 1}, "MD5": "{md5.upper()}", '
                f'"SHA1": "{rng.getrandbits(160):040X}", "PDQ": "{rng.getrandbits(256):064x}"'
                f"{victim}}}"
            )
        out.write("]}")
    return sample


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hashes", type=int, default=1_000_000)
    parser.add_argument(
        "--lookup-sizes",
        default="10000,100000,1000000,10000000",
        help="set sizes at which exact lookups are timed, comma-separated ('' for none)",
    )
    parser.add_argument("--sqlite-up-to", type=int, default=1_000_000)
    parser.add_argument(
        "--database",
        default="vigil_hashsets_bench",
        help="the PostgreSQL database the benchmark drops and creates (when DATABASE_URL is set)",
    )
    parser.add_argument("--measure", choices=["sqlite", "postgresql"], help=argparse.SUPPRESS)
    parser.add_argument("--grow", help=argparse.SUPPRESS)
    parser.add_argument("--file", help=argparse.SUPPRESS)
    parser.add_argument("--sample", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure and args.grow:
        _grow([int(size) for size in args.grow.split(",")])
        return
    if args.measure:
        _measure(Path(args.file), json.loads(Path(args.sample).read_text()))
        return
    print(
        f"Vigil hash set benchmark, {date.today()}, {platform.node()}, {platform.machine()}, "
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}"
    )
    work = Path(tempfile.mkdtemp(prefix="vigil-hashsets-bench-"))
    started = time.perf_counter()
    sample = write_vics(work / "set.json", args.hashes)
    (work / "sample.json").write_text(json.dumps(sample))
    size = (work / "set.json").stat().st_size
    print(
        f"wrote {args.hashes} Media ({size / 2**20:.0f} MiB) in {time.perf_counter() - started:.0f} s"
    )
    for database in databases():
        figures = measure_in_child(
            "benchmarks.hashsets",
            [
                "--measure",
                database,
                "--file",
                str(work / "set.json"),
                "--sample",
                str(work / "sample.json"),
            ],
            database,
            data_dir=work / database,
            postgres_name=args.database,
        )[-1]
        print(
            f"{database}: imported {figures['hashes']} hashes in {figures['import_seconds']:.0f} s "
            f"({figures['hashes'] / figures['import_seconds']:.0f}/s); "
            f"{LOOKUPS} exact MD5 lookups in {figures['lookup_ms']:.0f} ms, "
            f"{figures['lookup_warm_ms']:.0f} ms again ({figures['found']} found)"
        )
    sizes = sorted(int(size) for size in args.lookup_sizes.split(",") if size.strip())
    for database in databases() if sizes else []:
        grown = [size for size in sizes if database != "sqlite" or size <= args.sqlite_up_to]
        if grown:
            _lookups_as_the_set_grows(database, grown, work, args.database)


def _lookups_as_the_set_grows(database: str, sizes: list[int], work: Path, name: str) -> None:
    grown = measure_in_child(
        "benchmarks.hashsets",
        ["--measure", database, "--grow", ",".join(map(str, sizes))],
        database,
        data_dir=work / f"{database}-grow",
        postgres_name=name,
    )
    for figures in grown:
        print(
            f"{database} lookups at {figures['size']:>10,} hashes: {LOOKUPS} exact MD5 lookups "
            f"{figures['lookup_ms']:.0f} ms cold, {figures['lookup_warm_ms']:.0f} ms again "
            f"({figures['found']} found; grown in {figures['grow_seconds']:.0f} s)"
        )


def _row_md5(number: int) -> str:
    return hashlib.md5(str(number).encode(), usedforsecurity=False).hexdigest()


def _grow(sizes: list[int]) -> None:
    """In a child process: one set grown through each size, the same lookups timed at each."""
    os.makedirs(os.environ["VIGIL_DATA_DIR"], exist_ok=True)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vigil.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction

    call_command("migrate", verbosity=0)
    from vigil.exhibits.models import HashSet, HashSetVersion, KnownHash

    hash_set = HashSet.objects.create(name="grown")
    version = HashSetVersion.objects.create(
        hash_set=hash_set,
        number=1,
        source="synthetic",
        format="csv",
        imported_at=AT,
        imported_by_name="bench",
        complete=True,
    )
    hash_set.current = version
    hash_set.save()
    table = KnownHash._meta.db_table
    columns = "(version_id, md5, sha1, pdq, category, series)"
    have = 0
    for size in sizes:
        started = time.perf_counter()
        if connection.vendor == "postgresql":
            with transaction.atomic(), connection.cursor() as cursor:
                # sha1 is 40 hex digits made of two MD5s: PostgreSQL has no sha1() built in.
                cursor.execute(
                    f"INSERT INTO {table} {columns} "
                    "SELECT %s, md5(n::text), left(md5('s' || n) || md5('t' || n), 40), '', "
                    "'A', '' FROM generate_series(%s, %s) AS n",
                    [version.pk, have, size - 1],
                )
                cursor.execute(f"ANALYZE {table}")
        else:
            sql = f"INSERT INTO {table} {columns} VALUES (%s, %s, %s, '', 'A', '')"
            for start in range(have, size, 20_000):
                batch = [
                    (
                        version.pk,
                        _row_md5(n),
                        hashlib.sha1(str(n).encode(), usedforsecurity=False).hexdigest(),
                    )
                    for n in range(start, min(size, start + 20_000))
                ]
                with transaction.atomic(), connection.cursor() as cursor:
                    cursor.executemany(sql, batch)
        grow_seconds = time.perf_counter() - started
        have = size
        step = max(1, size // (LOOKUPS // 2))
        rng = random.Random(size)  # noqa: S311 (synthetic hashes, not secrets)
        queries = [_row_md5(n) for n in range(0, size, step)][: LOOKUPS // 2]
        queries += [f"{rng.getrandbits(128):032x}" for _ in range(LOOKUPS - len(queries))]
        timings, found = _time_lookups(KnownHash, queries, version.pk)
        print(
            json.dumps(
                {
                    "size": size,
                    "grow_seconds": grow_seconds,
                    "lookup_ms": timings[0] * 1000,
                    "lookup_warm_ms": min(timings[1:]) * 1000,
                    "found": found,
                }
            ),
            flush=True,
        )


def _time_lookups(model, queries: list[str], version_id: int) -> tuple[list[float], int]:
    """Three passes of the lookups in batches, as triage makes them: by the hash's index, the
    version picked out afterwards."""
    from vigil.exhibits.services import LOOKUP_BATCH

    timings = []
    found = 0
    for _ in range(3):
        started = time.perf_counter()
        found = 0
        for start in range(0, len(queries), LOOKUP_BATCH):
            found += sum(
                1
                for row_version in model.objects.filter(
                    md5__in=queries[start : start + LOOKUP_BATCH]
                ).values_list("version_id", flat=True)
                if row_version == version_id
            )
        timings.append(time.perf_counter() - started)
    return timings, found


def _measure(path: Path, sample: list[str]) -> None:
    os.makedirs(os.environ["VIGIL_DATA_DIR"], exist_ok=True)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vigil.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from vigil.core.actors import SystemActor
    from vigil.exhibits.models import KnownHash
    from vigil.exhibits.services import import_hashset

    started = time.perf_counter()
    version = import_hashset(SystemActor("bench"), path, name="bench", as_of=AT)
    imported = time.perf_counter() - started
    rng = random.Random(7)  # noqa: S311 (synthetic hashes, not secrets)
    queries = sample + [f"{rng.getrandbits(128):032x}" for _ in range(LOOKUPS - len(sample))]
    timings, found = _time_lookups(KnownHash, queries, version.pk)
    print(
        json.dumps(
            {
                "hashes": version.size,
                "import_seconds": imported,
                "lookup_ms": timings[0] * 1000,
                "lookup_warm_ms": min(timings[1:]) * 1000,
                "found": found,
            }
        )
    )


if __name__ == "__main__":
    main()
