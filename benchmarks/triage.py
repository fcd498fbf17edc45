"""Triage benchmark (``make bench``): files triaged a second, beside hashing the same files alone.

Draws N synthetic pictures with Pillow (coloured shapes from a seed: never real material) as
JPEG files in a folder, imports a hash set holding a tenth of them and 100,000 random PDQ hashes,
then triages the folder with ``exhibits.services.triage`` on a fresh SQLite database and (when
DATABASE_URL is set) a fresh PostgreSQL database. The ceiling is hashing the same files alone
(MD5, SHA-1 and PDQ of each, no database), measured first.

    python -m benchmarks.triage [--files N] [--database NAME]
"""

import argparse
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
RANDOM_PDQ = 100_000


def draw(folder: Path, count: int) -> None:
    from PIL import Image, ImageDraw

    folder.mkdir(parents=True, exist_ok=True)
    for number in range(count):
        rng = random.Random(number)  # noqa: S311 (synthetic pictures, not secrets)
        image = Image.new("RGB", (480, 360), tuple(rng.randrange(256) for _ in range(3)))
        pen = ImageDraw.Draw(image)
        for _ in range(20):
            x, y = rng.randrange(480), rng.randrange(360)
            box = (x, y, x + rng.randrange(20, 200), y + rng.randrange(20, 200))
            fill = tuple(rng.randrange(256) for _ in range(3))
            (pen.ellipse if rng.random() < 0.5 else pen.rectangle)(box, fill=fill)
        # A thousand pictures a folder, as a camera roll would hold them.
        subfolder = folder / f"{number // 1000:03d}"
        subfolder.mkdir(exist_ok=True)
        image.save(subfolder / f"{number:06d}.jpg", quality=85)


def hash_alone(folder: Path) -> tuple[int, float, list[dict]]:
    """Hash every file (MD5, SHA-1, PDQ) with no database: the ceiling. Returns the count, the
    seconds taken and a VICS Media for every tenth file."""
    from vigil.exhibits.hashing import file_digests, pdq_of, walk

    started = time.perf_counter()
    media = []
    count = 0
    for number, path in enumerate(walk(folder)):
        _, md5, sha1 = file_digests(path)
        pdq = pdq_of(path)
        count += 1
        if number % 10 == 0:
            media.append(
                {
                    "MD5": md5,
                    "SHA1": sha1,
                    "PDQ": pdq[0] if pdq else None,
                    "Category": number % 3 + 1,
                }
            )
    return count, time.perf_counter() - started, media


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument(
        "--database",
        default="vigil_triage_bench",
        help="the PostgreSQL database the benchmark drops and creates (when DATABASE_URL is set)",
    )
    parser.add_argument("--measure", choices=["sqlite", "postgresql"], help=argparse.SUPPRESS)
    parser.add_argument("--work", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        _measure(Path(args.work))
        return
    print(
        f"Vigil triage benchmark, {date.today()}, {platform.node()}, {platform.machine()}, "
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}"
    )
    work = Path(tempfile.mkdtemp(prefix="vigil-triage-bench-"))
    started = time.perf_counter()
    draw(work / "device", args.files)
    print(f"drew {args.files} pictures in {time.perf_counter() - started:.0f} s")
    count, seconds, media = hash_alone(work / "device")
    rng = random.Random(15)  # noqa: S311 (synthetic hashes, not secrets)
    media += [{"PDQ": f"{rng.getrandbits(256):064x}", "Category": 3} for _ in range(RANDOM_PDQ)]
    (work / "set.json").write_text(
        json.dumps(
            {
                "@odata.context": "http://github.com/VICSDATAMODEL/ProjectVic/DataModels/2.0.xml/"
                "Default/$metadata#Media",
                "value": media,
            }
        )
    )
    print(
        f"hashing alone (the ceiling): {count} files in {seconds:.1f} s, {count / seconds:.0f} files/s"
    )
    for database in databases():
        figures = measure_in_child(
            "benchmarks.triage",
            ["--measure", database, "--work", str(work)],
            database,
            data_dir=work / database,
            postgres_name=args.database,
        )[-1]
        print(
            f"{database}: triaged {figures['answer']['files']} files in {figures['seconds']:.1f} s, "
            f"{figures['answer']['files'] / figures['seconds']:.0f} files/s "
            f"({figures['answer']['files'] / figures['seconds'] / (count / seconds):.2f} of the ceiling; "
            f"matching and recording {figures['finish_seconds']:.1f} s); "
            f"exact {figures['answer']['exact']}, near {figures['answer']['near']}, "
            f"unknown {figures['answer']['unknown_images']}"
        )


def _measure(work: Path) -> None:
    os.makedirs(os.environ["VIGIL_DATA_DIR"], exist_ok=True)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vigil.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from vigil.accounts.models import Force
    from vigil.core.actors import SystemActor
    from vigil.exhibits.models import Exhibit
    from vigil.exhibits.services import finish_triage, import_hashset, read_files, start_triage
    from vigil.intake import native_json
    from vigil.intake.services import store_referral

    actor = SystemActor("bench")
    Force.objects.create(code="XF", name="Exampleshire Police", region="North")
    document = {
        "schema": "vigil.referral/1",
        "source": "nca",
        "source_reference": "BENCH-1",
        "received_at": "2026-12-01T09:00:00Z",
        "force": "XF",
        "incident": {"type": "csam_possession"},
        "subjects": [{"ref": "s1", "role": "suspect", "first_name": "Bench"}],
    }
    draft = native_json.read_referral("bench.json", json.dumps(document).encode(), as_of=AT)
    referral, _ = store_referral(draft, actor=actor, as_of=AT)
    Exhibit.objects.create(
        referral=referral, reference="B/1", kind="storage", recorded_by_name="bench", recorded_at=AT
    )
    import_hashset(actor, work / "set.json", name="bench", as_of=AT)
    started = time.perf_counter()
    run = start_triage(actor, "B/1", work / "device", as_of=AT)
    read_files(run)
    finishing = time.perf_counter()
    answer = finish_triage(actor, run, as_of=AT)
    ended = time.perf_counter()
    print(
        json.dumps(
            {"answer": answer, "seconds": ended - started, "finish_seconds": ended - finishing}
        )
    )


if __name__ == "__main__":
    main()
