"""Intake benchmark (``make bench``): one referral per transaction, in batches, and raw inserts.

Imports 10,000 synthetic JSON referrals and 2,000 CyberTipline packages into fresh SQLite
databases and, when DATABASE_URL is set, fresh PostgreSQL databases, three ways side by side:
one referral per transaction (``--batch-size 1``), in batches (``vigil import``'s default), and
the raw ceiling: exactly the rows the batched import stored (every table: referrals, documents,
material, people, identifiers, match keys, links, assessments, clocks, audit events), written
again into an empty database by ``executemany`` (SQLite) or ``COPY`` (PostgreSQL) with no checks
at all. Then, on PostgreSQL, a sustained batched import of ``--sustained`` referrals (100,000 by
default) from one JSON Lines file, with the slowest stretch of 10% of it. Each measurement runs
in its own process with its own database.

    python -m benchmarks.intake [--json-count N] [--cybertip-count N] [--sustained N]
                                [--batch-size N] [--work DIR] [--pg-database NAME]
"""

import argparse
import json
import os
import pickle
import platform
import sys
import tempfile
import time
from datetime import date
from functools import partial
from pathlib import Path

from benchmarks.common import measure_in_child

UNTIL = date(2026, 11, 1)
FORCES = ["XF", "YF", "ZF", "WF"]
# The parts whose rows an import writes (forces are made beforehand, the same way each time).
WRITTEN = {"audit", "referrals", "people", "risk", "clocks", "intake"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json-count", type=int, default=10_000)
    parser.add_argument("--cybertip-count", type=int, default=2_000)
    parser.add_argument("--sustained", type=int, default=100_000, help="0: no sustained run.")
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--work", default=None, help="Folder for the synthetic files.")
    parser.add_argument(
        "--pg-database",
        default="vigil_bench",
        help="The PostgreSQL database made afresh for each measurement (dropped first).",
    )
    parser.add_argument("--measure", choices=["one", "bulk", "raw"], help=argparse.SUPPRESS)
    parser.add_argument("--database", default="sqlite", help=argparse.SUPPRESS)
    parser.add_argument("--rows", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        _measure(args)
        return

    work = Path(args.work or tempfile.mkdtemp(prefix="vigil-bench-"))
    json_dir, cybertip_dir = work / "json", work / "cybertip"
    _synthesise(json_dir, cybertip_dir, args.json_count, args.cybertip_count)
    databases = ["sqlite"] + (["postgresql"] if os.environ.get("DATABASE_URL") else [])
    print(
        f"Vigil intake benchmark, {date.today()}, {platform.node()}, "
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}, load average {os.getloadavg()[0]:.1f} at the start"
    )
    print(
        f"{args.json_count} JSON referrals, {args.cybertip_count} CyberTipline packages, "
        f"batches of {args.batch_size}"
    )
    print()
    print(
        f"{'database':<11} {'format':<9} {'referrals':>9} {'one by one/s':>13} {'batched/s':>10} "
        f"{'raw/s':>8} {'batched÷raw':>12} {'batched÷one':>12}"
    )
    for database in databases:
        for fmt, folder in (("json", json_dir), ("cybertip", cybertip_dir)):
            run = partial(_run, database, pg_database=args.pg_database)
            one = run("one", fmt, folder, work, args.batch_size)
            rows = work / f"rows-{database}-{fmt}.pickle"
            bulk = run("bulk", fmt, folder, work, args.batch_size, rows)
            raw = run("raw", fmt, folder, work, args.batch_size, rows)
            print(
                f"{database:<11} {fmt:<9} {bulk['referrals']:>9} {one['rate']:>13.0f} "
                f"{bulk['rate']:>10.0f} {raw['rate']:>8.0f} {bulk['rate'] / raw['rate']:>12.2f} "
                f"{bulk['rate'] / one['rate']:>12.1f}"
            )
    if "postgresql" in databases and args.sustained:
        lines = work / f"sustained-{args.sustained}.jsonl"
        _synthesise_lines(lines, args.sustained)
        result = _run(
            "postgresql",
            "bulk",
            "sustained",
            lines,
            work,
            args.batch_size,
            pg_database=args.pg_database,
        )
        print()
        print(
            f"sustained, PostgreSQL, batched: {result['referrals']} referrals in "
            f"{result['seconds']:.0f} s, {result['rate']:.0f}/s overall, "
            f"{result['slowest']:.0f}/s over its slowest tenth"
        )


def _synthesise(json_dir: Path, cybertip_dir: Path, json_count: int, cybertip_count: int):
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vigil.settings")
    from vigil.intake.synth import Synthesiser, json_bytes

    if not json_dir.exists():
        json_dir.mkdir(parents=True)
        for data in Synthesiser(101, until=UNTIL, forces=FORCES).referrals(json_count):
            (json_dir / f"{data['source_reference']}.json").write_bytes(json_bytes(data))
    if not cybertip_dir.exists():
        cybertip_dir.mkdir(parents=True)
        synthesiser = Synthesiser(202, until=UNTIL, forces=FORCES)
        for report_id, files in synthesiser.cybertip_packages(cybertip_count):
            folder = cybertip_dir / report_id
            folder.mkdir()
            for name, content in files.items():
                (folder / name).write_bytes(content)


def _synthesise_lines(path: Path, count: int) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vigil.settings")
    from vigil.intake.synth import Synthesiser

    if not path.exists():
        with path.open("w") as out:
            for data in Synthesiser(303, until=UNTIL, forces=FORCES).referrals(count):
                out.write(json.dumps(data) + "\n")


def _run(
    database: str,
    measure: str,
    fmt: str,
    folder: Path,
    work: Path,
    batch_size: int,
    rows: Path | None = None,
    *,
    pg_database: str = "vigil_bench",
) -> dict:
    command = ["--measure", measure, "--database", database, "--work", str(folder)]
    command += ["--batch-size", str(batch_size)]
    if rows is not None:
        command += ["--rows", str(rows)]
    return measure_in_child(
        "benchmarks.intake",
        command,
        database,
        data_dir=tempfile.mkdtemp(prefix=f"db-{measure}-{fmt}-", dir=work),
        postgres_name=pg_database,
    )[-1]


def _measure(args) -> None:
    """In a child process: set up an empty database, then time one way of storing."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vigil.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.utils import timezone

    from vigil.accounts.models import Force
    from vigil.core.actors import SystemActor

    call_command("init", verbosity=0)
    for code in FORCES:
        Force.objects.create(code=code, name=f"Force {code}", region="Bench")
    folder = Path(args.work)
    if args.measure == "raw":
        tables = _load_rows(Path(args.rows))
        count = len(tables["referrals.referral"][1])
        started = time.perf_counter()
        _raw_insert(tables)
        elapsed = time.perf_counter() - started
        print(json.dumps({"referrals": count, "seconds": elapsed, "rate": count / elapsed}))
        return

    from vigil.intake.services import ImportOptions, import_paths

    stamps = []

    def progress(step: int) -> None:
        stamps.append(time.perf_counter())

    size = 1 if args.measure == "one" else args.batch_size
    # CyberTipline packages name no force; JSON referrals carry their own.
    force = "XF" if folder.name == "cybertip" else ""
    started = time.perf_counter()
    report = import_paths(
        [folder],
        actor=SystemActor("bench"),
        as_of=timezone.now(),
        options=ImportOptions(force_code=force, batch_size=size),
        progress=progress,
    )
    elapsed = time.perf_counter() - started
    if report.rejected:
        sys.exit(f"{len(report.rejected)} rejected, first: {report.rejected[0]}")
    count = report.created
    tenth = max(1, len(stamps) // 10)
    slowest = max(
        (
            stamps[i + tenth - 1] - (stamps[i - 1] if i else started)
            for i in range(0, len(stamps) - tenth + 1, tenth)
        ),
        default=elapsed,
    )
    if args.rows:
        _dump_rows(Path(args.rows))
    result = {"referrals": count, "seconds": elapsed, "rate": count / elapsed}
    print(json.dumps({**result, "slowest": tenth / slowest}))


def _written_models():
    from django.apps import apps

    return [
        model
        for model in apps.get_models()
        if model._meta.app_label in WRITTEN and not model._meta.proxy and model._meta.managed
    ]


def _dump_rows(path: Path) -> None:
    """Every row the import wrote, by table, column by column as stored (untimed)."""
    tables = {}
    for model in _written_models():
        fields = [f for f in model._meta.concrete_fields if not f.generated]
        rows = list(model._base_manager.order_by("pk").values_list(*(f.attname for f in fields)))
        if rows:
            tables[model._meta.label_lower] = ([f.attname for f in fields], rows)
    with path.open("wb") as out:
        pickle.dump(tables, out)


def _load_rows(path: Path) -> dict:
    """The rows, with rows the empty database already holds (made by ``init``) left out."""
    with path.open("rb") as handle:
        tables = pickle.load(handle)  # noqa: S301 - our own file, written a moment ago
    for model in _written_models():
        label = model._meta.label_lower
        if label in tables and model._base_manager.exists():
            held = set(model._base_manager.values_list("pk", flat=True))
            names, rows = tables[label]
            tables[label] = (names, [row for row in rows if row[0] not in held])
    return tables


def _raw_insert(tables: dict) -> None:
    """The same rows, in one transaction: COPY (PostgreSQL) or executemany (SQLite), with the
    values prepared for the database as Django would (JSON, times)."""
    from django.apps import apps
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        for label, (names, rows) in tables.items():
            model = apps.get_model(label)
            fields = [model._meta.get_field(name) for name in names]
            table = model._meta.db_table
            columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
            prepared = (
                [
                    f.get_db_prep_save(value, connection)
                    for f, value in zip(fields, row, strict=True)
                ]
                for row in rows
            )
            if connection.vendor == "postgresql":
                with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                    for row in prepared:
                        copy.write_row(row)
            else:
                marks = ", ".join(["%s"] * len(fields))
                cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", prepared)


if __name__ == "__main__":
    main()
