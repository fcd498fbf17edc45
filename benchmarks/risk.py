"""Risk grading benchmark (``make bench``): gradings per second, engine alone and with storage.

1. engine alone: ``grade()`` on 100,000 random fact sets (every question yes, no or unknown);
2. derivation and engine: 100,000 synthetic referrals' recorded facts (plain records) answered
   by the default policy and graded;
3. with storage: the same gradings stored as assessments, in batches of 1,000, on a fresh SQLite
   database and (when DATABASE_URL is set) a fresh PostgreSQL database, as a bulk re-grading
   job would.

    python -m benchmarks.risk [--count N]
"""

import argparse
import json
import os
import platform
import random
import tempfile
import time
from datetime import UTC, date, datetime

from benchmarks.common import measure_in_child

AS_OF = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--store", choices=["sqlite", "postgresql"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vigil.settings")
    if args.store:
        _store(args.count)
        return

    from vigil.risk.derive import derive_facts
    from vigil.risk.engine import Answer, Fact, grade
    from vigil.risk.policy import load_policy

    policy = load_policy()
    chooser = random.Random(7)  # noqa: S311 - synthetic benchmark data
    answers = list(Answer)
    fact_sets = [
        {q.code: Fact(chooser.choice(answers)) for q in policy.questions} for _ in range(args.count)
    ]
    started = time.perf_counter()
    grades = [grade(facts, policy, AS_OF).grade for facts in fact_sets]
    engine_rate = args.count / (time.perf_counter() - started)

    records = _records(args.count)
    started = time.perf_counter()
    derived = [grade(derive_facts(r, policy, AS_OF), policy, AS_OF).grade for r in records]
    derive_rate = args.count / (time.perf_counter() - started)

    print(
        f"Vigil risk benchmark, {date.today()}, {platform.node()}, "
        f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"
    )
    print(f"policy {policy.key}, {args.count} fact sets")
    print(f"engine alone:           {engine_rate:>10.0f} gradings/s  ({_spread(grades)})")
    print(f"derivation and engine:  {derive_rate:>10.0f} gradings/s  ({_spread(derived)})")
    databases = ["sqlite"] + (["postgresql"] if os.environ.get("DATABASE_URL") else [])
    for database in databases:
        result = _run_store(database, args.count)
        print(
            f"with storage ({database}): {result['rate']:>8.0f} gradings/s  "
            f"({result['count']} assessments stored)"
        )


def _spread(grades: list[str]) -> str:
    from collections import Counter

    counts = Counter(grades)
    return ", ".join(
        f"{grade} {counts[grade] * 100 / len(grades):.0f}%"
        for grade in ("very_high", "high", "medium", "low")
    )


def _records(count: int):
    """Synthetic referrals' recorded facts as the pure records the policy reads."""
    from vigil.intake import native_json
    from vigil.intake.synth import Synthesiser, json_bytes
    from vigil.risk.derive import (
        AccessRecord,
        HistoryRecord,
        LivesWithRecord,
        MaterialRecord,
        PersonRecord,
        ReferralRecord,
        SignalRecord,
        Source,
    )

    records = []
    distinct = min(count, 5_000)
    for data in Synthesiser(303, until=date(2026, 10, 31)).referrals(distinct):
        draft = native_json.read_referral("x.json", json_bytes(data), as_of=AS_OF)
        source = Source(f"NCA referral {draft.source_reference}", draft.received_at)
        received = draft.received_at.date()
        people = tuple(
            PersonRecord(
                ref=p.ref,
                role=p.role,
                first_name=p.first_name,
                last_name=p.last_name,
                date_of_birth=p.date_of_birth,
                stated_age=p.stated_age,
                stated_age_on=received if p.stated_age is not None else None,
                occupation=p.occupation,
                works_with_children=p.works_with_children,
                household_established=p.household_established,
                access_established=p.access_established,
                history_established=p.history_established,
                has_home_address=bool(p.addresses),
                source=source,
            )
            for p in draft.people
        )
        records.append(
            ReferralRecord(
                escalated=draft.escalated,
                escalation_reason=draft.escalation_reason,
                source=source,
                people=people,
                history=tuple(
                    HistoryRecord(p.ref, h.type, h.outcome, h.date, source)
                    for p in draft.people
                    for h in p.history
                ),
                lives_with=tuple(
                    LivesWithRecord(p.ref, other, source)
                    for p in draft.people
                    for other in p.lives_with
                ),
                access=tuple(
                    AccessRecord(a.person_ref, a.child_ref, a.kind, source) for a in draft.access
                ),
                signals=tuple(
                    [SignalRecord("indicator", v, source) for v in draft.indicators]
                    + [SignalRecord("annotation", v, source) for v in draft.annotations]
                    + (
                        [SignalRecord("incident_type", draft.incident_type, source)]
                        if draft.incident_type
                        else []
                    )
                ),
                material=tuple(
                    MaterialRecord(
                        m.category, m.industry_classification, tuple(m.annotations), source
                    )
                    for m in draft.material
                ),
            )
        )
    return [records[i % distinct] for i in range(count)]


def _run_store(database: str, count: int) -> dict:
    return measure_in_child(
        "benchmarks.risk",
        ["--store", database, "--count", str(count)],
        database,
        data_dir=tempfile.mkdtemp(prefix="vigil-risk-bench-"),
        postgres_name="vigil_risk_bench",
    )[-1]


def _store(count: int) -> None:
    """In a child process: grade and store assessments in bulk on an empty database."""
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import transaction

    from vigil.accounts.models import Force
    from vigil.core.actors import SystemActor
    from vigil.referrals.models import Referral
    from vigil.risk.derive import derive_facts
    from vigil.risk.engine import grade
    from vigil.risk.models import Assessment
    from vigil.risk.services import _stored_version, active_policy

    call_command("init", verbosity=0)
    force = Force.objects.create(code="XF", name="Bench", region="Bench")
    referral = Referral.objects.create(
        force=force,
        source="nca",
        source_reference="BENCH-1",
        received_at=AS_OF,
        content_digest="0" * 64,
        imported_at=AS_OF,
        imported_by_name="bench",
    )
    policy = active_policy()
    version = _stored_version(policy, AS_OF)
    records = _records(count)
    actor = SystemActor("bench")
    started = time.perf_counter()
    batch = []
    for record in records:
        result = grade(derive_facts(record, policy, AS_OF), policy, AS_OF)
        batch.append(
            Assessment(
                referral=referral,
                policy=version,
                assessed_at=AS_OF,
                assessed_by_name=actor.name,
                trigger="bulk re-grade",
                engine_grade=result.grade,
                grade=result.grade,
                minimum_grade=result.minimum,
                step=result.step,
                step_text=result.step_text,
                provisional=result.provisional,
                missing=list(result.missing),
                reasons=[
                    {"code": r.code, "text": r.text, "evidence": r.evidence} for r in result.reasons
                ],
                floors=list(result.floors),
                answers={code: fact.as_dict() for code, fact in result.answers.items()},
                flags=result.flags,
                sentence=result.sentence,
                is_current=False,
            )
        )
        if len(batch) == 1000:
            with transaction.atomic():
                Assessment.objects.bulk_create(batch)
            batch = []
    if batch:
        with transaction.atomic():
            Assessment.objects.bulk_create(batch)
    elapsed = time.perf_counter() - started
    print(json.dumps({"count": Assessment.objects.count(), "rate": count / elapsed}))


if __name__ == "__main__":
    main()
