"""Intake benchmark (``make bench``): how fast referrals import, against a plain bulk insert.

Imports 10,000 synthetic JSON referrals and 2,000 CyberTipline packages into a fresh SQLite
database and, when DATABASE_URL is set, a fresh PostgreSQL database; prints referrals per
second for each, the rate of a plain bulk insert of the same rows through the same database
(the ceiling) and the ratio. Each measurement runs in its own process with its own database.

    python -m benchmarks.intake [--json-count N] [--cybertip-count N] [--work DIR]
"""

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

UNTIL = date(2026, 11, 1)
FORCES = ["XF", "YF", "ZF", "WF"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json-count", type=int, default=10_000)
    parser.add_argument("--cybertip-count", type=int, default=2_000)
    parser.add_argument("--work", default=None, help="Folder for the synthetic files.")
    parser.add_argument("--measure", choices=["import", "ceiling"], help=argparse.SUPPRESS)
    parser.add_argument("--database", default="sqlite", help=argparse.SUPPRESS)
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
        f"Python {platform.python_version()}"
    )
    print(f"{args.json_count} JSON referrals, {args.cybertip_count} CyberTipline packages")
    print()
    print(
        f"{'database':<11} {'format':<9} {'referrals':>9} {'import/s':>9} "
        f"{'bulk insert/s':>14} {'ratio':>6}"
    )
    for database in databases:
        for fmt, folder in (("json", json_dir), ("cybertip", cybertip_dir)):
            imported = _run(database, "import", fmt, folder, work)
            ceiling = _run(database, "ceiling", fmt, folder, work)
            print(
                f"{database:<11} {fmt:<9} {imported['referrals']:>9} "
                f"{imported['rate']:>9.0f} {ceiling['rate']:>14.0f} "
                f"{imported['rate'] / ceiling['rate']:>6.2f}"
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


def _run(database: str, measure: str, fmt: str, folder: Path, work: Path) -> dict:
    env = dict(os.environ)
    data_dir = Path(tempfile.mkdtemp(prefix=f"db-{measure}-{fmt}-", dir=work))
    env["VIGIL_DATA_DIR"] = str(data_dir)
    env["VIGIL_DEBUG"] = "0"  # as in production: no query log
    if database == "sqlite":
        env.pop("DATABASE_URL", None)
    else:
        env["DATABASE_URL"] = _fresh_postgres(os.environ["DATABASE_URL"], "vigil_bench")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmarks.intake",
            "--measure",
            measure,
            "--database",
            database,
            "--work",
            str(folder),
        ],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        sys.exit(f"benchmark run failed ({database} {measure} {fmt}):\n{result.stderr}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def _fresh_postgres(url: str, name: str) -> str:
    import psycopg

    base = url.rsplit("/", 1)[0]
    with psycopg.connect(f"{base}/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
        connection.execute(f'CREATE DATABASE "{name}"')
    return f"{base}/{name}"


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
    now = timezone.now()
    if args.measure == "import":
        from vigil.intake.services import ImportOptions, import_paths

        started = time.perf_counter()
        # CyberTipline packages name no force; JSON referrals carry their own.
        force = "XF" if folder.name == "cybertip" else ""
        report = import_paths(
            [folder], actor=SystemActor("bench"), as_of=now, options=ImportOptions(force_code=force)
        )
        elapsed = time.perf_counter() - started
        if report.rejected:
            sys.exit(f"{len(report.rejected)} rejected, first: {report.rejected[0]}")
        count = report.created
    else:
        drafts = _drafts(folder, now)
        started = time.perf_counter()
        _bulk_insert(drafts, now)
        elapsed = time.perf_counter() - started
        count = len(drafts)
    print(json.dumps({"referrals": count, "seconds": elapsed, "rate": count / elapsed}))


def _drafts(folder: Path, now) -> list:
    """Parse everything first: the ceiling times only the database writes."""
    from vigil.intake import cybertip, native_json
    from vigil.intake.sources import JsonUnit, Limits, PackageUnit, units_from_paths

    limits = Limits(10 * 2**20, 50 * 2**20, 500)
    drafts = []
    for unit in units_from_paths([folder], "auto", limits):
        if isinstance(unit, PackageUnit):
            drafts.append(
                cybertip.read_package(unit.name, unit.documents, force_code="XF", received_at=now)
            )
        elif isinstance(unit, JsonUnit):
            for label, content in native_json.split_document(unit.name, unit.content):
                drafts.append(native_json.read_referral(label, content, as_of=now))
    return drafts


def _bulk_insert(drafts: list, now) -> None:
    """The same rows, inserted with bulk_create in large batches: no checks, links or audit."""
    import hashlib
    from dataclasses import asdict

    from django.db import transaction

    from vigil.accounts.models import Force
    from vigil.people.models import Address, History, Identifier, MatchKey, Person
    from vigil.people.normalise import match_keys, normalise
    from vigil.referrals.models import Document, Material, Referral

    forces = {force.code: force for force in Force.objects.all()}
    with transaction.atomic():
        referrals = Referral.objects.bulk_create(
            [
                Referral(
                    force=forces[d.force_code],
                    source=d.source,
                    source_reference=d.source_reference,
                    received_at=d.received_at,
                    summary=d.summary,
                    incident_type=d.incident_type,
                    incident_type_text=d.incident_type_text,
                    incident_occurred_at=d.incident_occurred_at,
                    platform=d.platform,
                    escalated=d.escalated,
                    escalation_reason=d.escalation_reason,
                    annotations=d.annotations,
                    indicators=d.indicators,
                    incident_details=d.incident_details,
                    source_details=d.source_details,
                    unmapped=d.unmapped,
                    content_digest=d.content_digest,
                    imported_at=now,
                    imported_by_name="bench",
                )
                for d in drafts
            ],
            batch_size=1000,
        )
        Document.objects.bulk_create(
            [
                Document(
                    referral=r,
                    name=doc.name,
                    media_type=doc.media_type,
                    content=doc.content,
                    size=len(doc.content),
                    sha256=hashlib.sha256(doc.content).hexdigest(),
                )
                for r, d in zip(referrals, drafts, strict=True)
                for doc in d.documents
            ],
            batch_size=1000,
        )
        Material.objects.bulk_create(
            [
                Material(referral=r, **asdict(m))
                for r, d in zip(referrals, drafts, strict=True)
                for m in d.material
            ],
            batch_size=1000,
        )
        pairs = [(r, p) for r, d in zip(referrals, drafts, strict=True) for p in d.people]
        people = Person.objects.bulk_create(
            [
                Person(
                    referral=r,
                    ref=p.ref,
                    role=p.role,
                    first_name=p.first_name,
                    last_name=p.last_name,
                    date_of_birth=p.date_of_birth,
                    stated_age=p.stated_age,
                    gender=p.gender,
                    occupation=p.occupation,
                    works_with_children=p.works_with_children,
                    notes=p.notes,
                )
                for r, p in pairs
            ],
            batch_size=1000,
        )
        identifiers, addresses, history, keys = [], [], [], []
        for person, (referral, draft) in zip(people, pairs, strict=True):
            found = []
            for item in draft.identifiers:
                value = normalise(item.kind, item.value)
                found.append((item.kind, value, item.service))
                identifiers.append(
                    Identifier(
                        person=person,
                        kind=item.kind,
                        value=item.value,
                        normalised=value,
                        service=item.service,
                        seen_at=item.seen_at,
                    )
                )
            addresses.extend(Address(person=person, **asdict(a)) for a in draft.addresses)
            history.extend(History(person=person, **asdict(h)) for h in draft.history)
            for reason, key, _ in match_keys(
                found, person.first_name, person.last_name, person.date_of_birth
            ):
                keys.append(
                    MatchKey(
                        person=person,
                        referral=referral,
                        is_suspect=person.role == "suspect",
                        reason=reason,
                        key=key,
                    )
                )
        Identifier.objects.bulk_create(identifiers, batch_size=1000)
        Address.objects.bulk_create(addresses, batch_size=1000)
        History.objects.bulk_create(history, batch_size=1000)
        MatchKey.objects.bulk_create(keys, batch_size=1000)


if __name__ == "__main__":
    main()
