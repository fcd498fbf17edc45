"""Hash set benchmark (``make bench``): how fast a VICS hash set imports, and whether exact
lookups stay flat as the set grows.

Writes a synthetic VICS 2.0 hash set of N Media (random MD5, SHA-1 and PDQ, categories 1 to 4:
never real hashes), imports it with ``exhibits.services.import_hashset`` on a fresh SQLite
database and (when DATABASE_URL is set) a fresh PostgreSQL database, then times 1,000 exact
lookups by MD5 (half of them present) as triage makes them, and prints the rates.

    python -m benchmarks.hashsets [--hashes N]
"""

import argparse
import json
import os
import platform
import random
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

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
            out.write(
                ("," if number else "")
                + f'{{"MediaID": {number}, "Category": {number % 4 + 1}, "MD5": "{md5.upper()}", '
                f'"SHA1": "{rng.getrandbits(160):040X}", "PDQ": "{rng.getrandbits(256):064x}"}}'
            )
        out.write("]}")
    return sample


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hashes", type=int, default=1_000_000)
    parser.add_argument("--measure", choices=["sqlite", "postgresql"], help=argparse.SUPPRESS)
    parser.add_argument("--file", help=argparse.SUPPRESS)
    parser.add_argument("--sample", help=argparse.SUPPRESS)
    args = parser.parse_args()
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
    databases = ["sqlite"] + (["postgresql"] if os.environ.get("DATABASE_URL") else [])
    for database in databases:
        env = dict(os.environ)
        env["VIGIL_DATA_DIR"] = str(work / database)
        env["VIGIL_DEBUG"] = "0"
        if database == "sqlite":
            env.pop("DATABASE_URL", None)
        else:
            from benchmarks.intake import _fresh_postgres

            env["DATABASE_URL"] = _fresh_postgres(
                os.environ["DATABASE_URL"], "vigil_hashsets_bench"
            )
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "benchmarks.hashsets",
                "--measure",
                database,
                "--file",
                str(work / "set.json"),
                "--sample",
                str(work / "sample.json"),
            ],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            sys.exit(f"{database} run failed:\n{result.stderr[-4000:]}")
        figures = json.loads(result.stdout.strip().splitlines()[-1])
        print(
            f"{database}: imported {figures['hashes']} hashes in {figures['import_seconds']:.0f} s "
            f"({figures['hashes'] / figures['import_seconds']:.0f}/s); "
            f"{LOOKUPS} exact MD5 lookups in {figures['lookup_ms']:.0f} ms, "
            f"{figures['lookup_warm_ms']:.0f} ms again ({figures['found']} found)"
        )


def _measure(path: Path, sample: list[str]) -> None:
    os.makedirs(os.environ["VIGIL_DATA_DIR"], exist_ok=True)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vigil.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from vigil.core.actors import SystemActor
    from vigil.exhibits.models import KnownHash
    from vigil.exhibits.services import LOOKUP_BATCH, import_hashset

    started = time.perf_counter()
    version = import_hashset(SystemActor("bench"), path, name="bench", as_of=AT)
    imported = time.perf_counter() - started
    rng = random.Random(7)  # noqa: S311 (synthetic hashes, not secrets)
    queries = sample + [f"{rng.getrandbits(128):032x}" for _ in range(LOOKUPS - len(sample))]
    timings = []
    for _ in range(3):
        started = time.perf_counter()
        found = 0
        for start in range(0, len(queries), LOOKUP_BATCH):
            # As triage looks up: by the hash's index, the version picked out afterwards.
            found += sum(
                1
                for version_id in KnownHash.objects.filter(
                    md5__in=queries[start : start + LOOKUP_BATCH]
                ).values_list("version_id", flat=True)
                if version_id == version.pk
            )
        timings.append(time.perf_counter() - started)
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
