"""Worklist, sweep and dashboard benchmark (``make bench``): 1,000,000 referrals with their
clocks and outcomes.

Builds, on a fresh SQLite database and (when DATABASE_URL is set) a fresh PostgreSQL
database, 1,000,000 referrals over three years in 10 forces (100 investigators each, in 10
teams), 8% still open, with the clocks they would carry (about 2.2 million), then times:
- the worklist query for one officer, one team and one force (median and 95th percentile of
  repeated runs), through the same service the pages use;
- the supervisor's breach view for one force;
- the escalation sweep in steady state: the backlog already escalated by earlier sweeps, and a
  minute's worth of clocks reaching their next level.

    python -m benchmarks.clocks [--referrals N] [--runs N]
"""

import argparse
import json
import os
import platform
import random
import statistics
import tempfile
import time
from datetime import UTC, date, datetime, timedelta

from benchmarks.common import databases, measure_in_child

FORCES = 10
OFFICERS = 100
TEAMS = 10
OPEN_SHARE = 0.08
# Data is built around the moment of the run, so worklists are asked about "now".
NOW = datetime.now(UTC)
GRADES = ["low", "medium", "high", "very_high"]
ENFORCEMENT = {
    "very_high": timedelta(hours=24),
    "high": timedelta(days=7),
    "medium": timedelta(days=14),
    "low": timedelta(days=30),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--referrals", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--measure", choices=["sqlite", "postgresql"], help=argparse.SUPPRESS)
    parser.add_argument("--only", choices=["sqlite", "postgresql"], help="One database only.")
    args = parser.parse_args()
    if args.measure:
        _measure(args)
        return
    print(
        f"Vigil worklist benchmark, {date.today()}, {platform.node()}, {platform.machine()}, "
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}"
    )
    print(
        f"{args.referrals} referrals in {FORCES} forces, {OPEN_SHARE:.0%} open; "
        f"{args.runs} runs per query"
    )
    for database in databases(args.only):
        figures = measure_in_child(
            "benchmarks.clocks",
            ["--measure", database, "--referrals", str(args.referrals), "--runs", str(args.runs)],
            database,
            data_dir=tempfile.mkdtemp(prefix="vigil-clock-bench-"),
            postgres_name="vigil_clock_bench",
        )[-1]
        print(
            f"\n{database}: built {figures['referrals']} referrals and {figures['clocks']} "
            f"clocks in {figures['build_seconds']:.0f} s"
        )
        for name in ("officer", "team", "force", "breaches"):
            item = figures[name]
            print(
                f"  worklist {name:<9} median {item['median_ms']:7.1f} ms   "
                f"p95 {item['p95_ms']:7.1f} ms   ({item['rows']} rows of {item['total']})"
            )
        for name, item in figures["dashboard"].items():
            print(
                f"  dashboard {name:<8} median {item['median_ms']:7.0f} ms   "
                f"max {item['max_ms']:7.0f} ms   ({item['runs']} runs, last 12 months)"
            )
        sweep = figures["sweep"]
        print(
            f"  sweep: {sweep['seconds'] * 1000:.0f} ms for {sweep['escalated']} clocks "
            f"escalated, {sweep['notifications']} notifications; a second run "
            f"{sweep['again_seconds'] * 1000:.0f} ms, {sweep['again_notifications']} new"
        )


def _measure(args) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vigil.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("init", verbosity=0)
    started = time.perf_counter()
    officers, supervisors = _people()
    referrals, clocks = _build(args.referrals, officers, connection)
    with connection.cursor() as cursor:
        # As autovacuum would have by now: statistics, and (PostgreSQL) the visibility map that
        # lets the covering indexes answer alone.
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    build = time.perf_counter() - started

    from vigil.clocks import services

    officer = officers[0][0]
    supervisor = supervisors[0]
    # Asked about "now", as people do: the indexed path for clocks open now.
    now = datetime.now(UTC)
    figures = {"referrals": referrals, "clocks": clocks, "build_seconds": build}
    for name, call in (
        ("officer", lambda: services.worklist(officer, as_of=now, scope="mine", limit=50)),
        ("team", lambda: services.worklist(officer, as_of=now, scope="team", limit=50)),
        ("force", lambda: services.worklist(supervisor, as_of=now, scope="force", limit=50)),
        ("breaches", lambda: services.breaches(supervisor, as_of=now, limit=50)),
    ):
        timings, result = [], None
        for _ in range(args.runs):
            begun = time.perf_counter()
            result = call()
            timings.append((time.perf_counter() - begun) * 1000)
        total = result["counts"]["total"] if "counts" in result else result["count"]
        figures[name] = {
            "median_ms": statistics.median(timings),
            "p95_ms": statistics.quantiles(timings, n=20, method="inclusive")[18],
            "rows": len(result["items"]),
            "total": total,
        }
    figures["sweep"] = _sweep()
    figures["dashboard"] = _dashboards(supervisor, max(3, args.runs // 5))
    print(json.dumps(figures))


def _people():
    from vigil.accounts.models import Force, User

    officers, supervisors = [], []
    users = []
    for number in range(FORCES):
        force = Force.objects.create(code=f"F{number:02d}", name=f"Force {number}", region="Bench")
        for role in ("supervisor", "supervisor", "unit_head", "child_protection_lead"):
            users.append(
                User(
                    username=f"{role}-{number}-{len(users)}",
                    role=role,
                    force=force,
                    email=f"{role}@bench.example",
                )
            )
        for index in range(OFFICERS):
            users.append(
                User(
                    username=f"officer-{number}-{index}",
                    role="investigator",
                    force=force,
                    team=f"Team {index % TEAMS}",
                )
            )
    User.objects.bulk_create(users)
    by_force = {}
    for user in User.objects.select_related("force").order_by("id"):
        if user.role == "investigator":
            by_force.setdefault(user.force_id, []).append(user)
        elif user.role == "supervisor" and user.force_id not in {s.force_id for s in supervisors}:
            supervisors.append(user)
    officers = list(by_force.values())
    return officers, supervisors


def _build(count: int, officers, connection):
    """Referrals and clocks written straight into the tables (COPY on PostgreSQL)."""
    from vigil.clocks.services import clock_tables

    _, escalation = clock_tables()
    chooser = random.Random(11)  # noqa: S311 - synthetic benchmark data
    span = timedelta(days=3 * 365).total_seconds()
    referral_rows, clock_rows, outcome_rows = [], [], []
    for referral_id in range(1, count + 1):
        force_officers = officers[referral_id % FORCES]
        force_id = force_officers[0].force_id
        received = NOW - timedelta(seconds=chooser.random() * span)
        is_open = chooser.random() < OPEN_SHARE
        if is_open:
            # Open referrals are mostly recent.
            received = NOW - timedelta(days=chooser.random() ** 2 * 120)
        grade = chooser.choices(GRADES, weights=[35, 35, 22, 8])[0]
        owner = chooser.choice(force_officers) if not is_open or chooser.random() < 0.8 else None
        referral_rows.append(
            (
                referral_id,
                force_id,
                "nca",
                f"B-{referral_id:07d}",
                received,
                "",
                "received" if is_open else "closed",
                "csam_upload",
                "",
                None,
                "",
                False,
                "",
                "[]",
                "[]",
                "[]",
                "{}",
                "[]",
                f"{referral_id:064x}",
                received,
                None,
                "bench",
                "{}",
                grade,
                False,
                owner.pk if owner else None,
                owner.team if owner else "",
                "[]",
                1,
                False,
                force_id,
                None if is_open else received + timedelta(days=3650),
                None,
                "[]",
                None,
            )
        )
        if not is_open:
            closed = received + timedelta(days=chooser.uniform(10, 200))
            code = chooser.choices(["1", "3", "15", "18", "21"], weights=[30, 10, 25, 15, 20])[0]
            outcome_rows.append(
                (
                    len(outcome_rows) + 1,
                    referral_id,
                    code,
                    f"outcome {code}",
                    "bench",
                    min(closed, NOW),
                    code == "21",
                    "",
                    None,
                    "bench",
                    min(closed, NOW),
                    force_id,
                )
            )

        def clock(kind, started, due, met, referral=(referral_id, force_id, is_open, grade, owner)):
            clock_rows.append(
                _clock_row(len(clock_rows) + 1, kind, started, due, met, referral, escalation)
            )

        enforcement_due = received + ENFORCEMENT[grade]
        acted = received + ENFORCEMENT[grade] * chooser.uniform(0.2, 1.6)
        clock(
            "enforcement_action",
            received,
            enforcement_due,
            None if is_open and (acted > NOW or chooser.random() < 0.5) else min(acted, NOW),
        )
        clock(
            "allocation",
            received,
            received + timedelta(days=3),
            received + timedelta(hours=chooser.uniform(1, 90)) if owner else None,
        )
        if is_open:
            clock("supervisor_review", received, received + timedelta(days=28), None)
            clock(
                "risk_assessment",
                received,
                received + timedelta(hours=24),
                received + timedelta(hours=2),
            )
    # A minute's worth of clocks reaching their next level in the sweep that is timed.
    for row_index in range(0, len(clock_rows), max(1, len(clock_rows) // 100)):
        row = list(clock_rows[row_index])
        if row[11]:  # open
            row[13] = NOW - timedelta(seconds=30)
            row[12] = max(0, row[12] - 1)
            clock_rows[row_index] = tuple(row)
    referral_columns = (
        "id, force_id, source, source_reference, received_at, summary, status, incident_type, "
        "incident_type_text, incident_occurred_at, platform, escalated, escalation_reason, "
        "annotations, indicators, incident_details, source_details, unmapped, content_digest, "
        "imported_at, imported_by_id, imported_by_name, fact_sources, grade, grade_provisional, "
        "owner_id, team, flags, version, is_restricted, received_by_force_id, review_at, "
        "personal_data_deleted_at, intake_warnings, investigation_id"
    )
    clock_columns = (
        "id, referral_id, kind, cycle, rule, about, started_at, due_at, due_soon_at, met_at, "
        "cancelled_at, cancel_reason, is_open, escalation_level, next_escalation_at, "
        "escalation_unreached, escalation_reach, force_id, owner_id, team, grade, grade_rank, "
        "is_restricted"
    )
    outcome_columns = (
        "id, referral_id, code, text, rationale, closed_at, not_in_public_interest, "
        "outstanding_safeguarding_reason, recorded_by_id, recorded_by_name, recorded_at, "
        "force_id"
    )
    _check_columns("intake_referral", referral_columns)
    _check_columns("clocks_clock", clock_columns)
    _check_columns("investigations_outcome", outcome_columns)
    _write(connection, "intake_referral", referral_columns, referral_rows)
    _write(connection, "clocks_clock", clock_columns, clock_rows)
    _write(connection, "investigations_outcome", outcome_columns, outcome_rows)
    return len(referral_rows), len(clock_rows)


def _clock_row(clock_id, kind, started, due, met, referral, escalation) -> tuple:
    from vigil.clocks import rules

    referral_id, force_id, is_open, grade, owner = referral
    open_ = met is None and is_open
    level = rules.level_at(started, due, NOW, escalation)[0] if open_ else 0
    upcoming = rules.next_escalation_at(started, due, level, escalation) if open_ else None
    return (
        clock_id,
        referral_id,
        kind,
        1,
        "bench",
        "",
        started,
        due,
        rules.due_soon_at(started, due, escalation),
        met if met or not is_open else None,
        None,
        "",
        open_,
        level,
        upcoming,
        "[]",
        "everyone",
        force_id,
        owner.pk if owner else None,
        owner.team if owner else "",
        grade,
        GRADES.index(grade) + 1,
        False,
    )


def _check_columns(table: str, columns: str) -> None:
    """Fail loudly if the tables have grown columns this benchmark does not fill."""
    from django.apps import apps

    model = next(m for m in apps.get_models() if m._meta.db_table == table)
    expected = {field.column for field in model._meta.concrete_fields}
    given = {name.strip() for name in columns.split(",")}
    if expected != given:
        raise SystemExit(f"{table}: the benchmark does not fill {sorted(expected - given)}")


def _write(connection, table: str, columns: str, rows: list[tuple]) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            raw = cursor.cursor
            with raw.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            raw.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))"
            )
        else:
            marks = ", ".join(["%s"] * len(columns.split(",")))
            batch = 50_000
            for start in range(0, len(rows), batch):
                cursor.executemany(
                    f"INSERT INTO {table} ({columns}) VALUES ({marks})",
                    [tuple(_sqlite(value) for value in row) for row in rows[start : start + batch]],
                )


def _sqlite(value):
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ")
    return value


def _dashboards(supervisor, runs: int) -> dict:
    """The dashboard for one force, and for the region (all ten forces side by side)."""
    from vigil.core.actors import SystemActor
    from vigil.insight import services

    today = NOW.date()
    period = services.Period(date(today.year - 1, today.month, 1), today)
    found = {}
    for name, actor, scope in (
        ("force", supervisor, services.scope_for(supervisor)),
        ("region", SystemActor("bench"), services.scope_for(SystemActor("bench"), region="Bench")),
    ):
        # One untimed run first: the process's first dashboard also pays for importing the
        # figure code and warming the database's caches, which a running server has done.
        services.dashboard(actor, scope, period, as_of=datetime.now(UTC))
        timings = []
        for _ in range(runs):
            begun = time.perf_counter()
            services.dashboard(actor, scope, period, as_of=datetime.now(UTC))
            timings.append((time.perf_counter() - begun) * 1000)
        found[name] = {
            "median_ms": statistics.median(timings),
            "max_ms": max(timings),
            "runs": runs,
        }
    return found


def _sweep() -> dict:
    from vigil.clocks.services import sweep
    from vigil.core.actors import SystemActor

    actor = SystemActor("bench")
    begun = time.perf_counter()
    first = sweep(actor=actor, as_of=NOW)
    first_seconds = time.perf_counter() - begun
    begun = time.perf_counter()
    again = sweep(actor=actor, as_of=NOW)
    return {
        "seconds": first_seconds,
        "escalated": first["escalated"],
        "notifications": first["notifications"],
        "again_seconds": time.perf_counter() - begun,
        "again_notifications": again["notifications"],
    }


if __name__ == "__main__":
    main()
