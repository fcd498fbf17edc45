"""Audit trail benchmark (``make bench``): how fast events are sealed into the hash chain.

Every change and every look writes an audit event in its own transaction; the chain is one
sequence, sealed in batches by one sealer at a time (``audit.services.seal_pending``). Sealing
is the one serial step every writer in the system feeds, so its rate caps the events a second
the whole deployment can sustain. On a fresh SQLite database and (when DATABASE_URL is set) a
fresh PostgreSQL database, it inserts N unsealed events with ``bulk_create`` (the baseline: the
database's own insert of the same rows), then seals them all, and prints both rates and their
ratio.

    python -m benchmarks.audit [--events N]
"""

import argparse
import json
import os
import platform
import tempfile
import time
from datetime import UTC, date, datetime

from benchmarks.common import databases, measure_in_child

AT = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--measure", choices=["sqlite", "postgresql"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        _measure(args.events)
        return
    print(
        f"Vigil audit benchmark, {date.today()}, {platform.node()}, {platform.machine()}, "
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}"
    )
    for database in databases():
        figures = measure_in_child(
            "benchmarks.audit",
            ["--measure", database, "--events", str(args.events)],
            database,
            data_dir=tempfile.mkdtemp(prefix="vigil-audit-bench-"),
            postgres_name="vigil_audit_bench",
        )[-1]
        print(
            f"{database}: {figures['events']} events; insert {figures['insert_rate']:.0f}/s, "
            f"seal {figures['seal_rate']:.0f}/s, ratio {figures['seal_rate'] / figures['insert_rate']:.2f}; "
            f"chain verified: {figures['verified']}"
        )


def _measure(count: int) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vigil.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from vigil.audit.models import AuditEvent
    from vigil.audit.services import seal_pending, verify_chain

    events = [
        AuditEvent(
            at=AT,
            actor_name="bench",
            action="referral.viewed",
            object_type="referrals.referral",
            object_id=str(number),
            force_code="AA",
            referral_id=number,
            after={"grade": "high", "number": number},
        )
        for number in range(count)
    ]
    started = time.perf_counter()
    AuditEvent.objects.bulk_create(events, batch_size=5000)
    inserted = time.perf_counter() - started
    started = time.perf_counter()
    sealed = seal_pending(limit=count)
    sealing = time.perf_counter() - started
    check = verify_chain()
    print(
        json.dumps(
            {
                "events": sealed,
                "insert_rate": count / inserted,
                "seal_rate": sealed / sealing,
                "verified": check.ok,
            }
        )
    )


if __name__ == "__main__":
    main()
