"""The figures leaders and inspectors see: demand, backlog, timeliness, safeguarding, grading
and outcomes, for a force or a region, for any period, as of any date.

Every figure is counted from the same records the worklists use. Each is a ``Table`` (title,
columns, rows, a note on how it is counted) so the page, the CSV and XLSX downloads and the
inspection pack all show the same numbers.

Counts are ``Count("*")``, or of a column the covering indexes carry when filtered, never of
``id``: the indexes (``referral_demand``, ``referral_force_status``, ``clock_force_due``,
``outcome_force_closed``) do not hold the id, and naming it sends PostgreSQL to the table.
"""

import hashlib
import hmac
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection
from django.db.models import (
    Aggregate,
    Case,
    CharField,
    Count,
    ExpressionWrapper,
    F,
    FloatField,
    Q,
    Value,
    When,
)
from django.db.models.functions import Extract, TruncMonth, TruncWeek
from django.utils import timezone

from vigil.accounts.actors import Actor
from vigil.accounts.models import Force
from vigil.audit.choices import AuditAction
from vigil.audit.services import record
from vigil.clocks import rules
from vigil.clocks.models import Clock, ClockKind
from vigil.clocks.services import clock_tables
from vigil.core.actors import SystemActor
from vigil.core.permissions import has_permission, require
from vigil.core.roles import Action
from vigil.investigations.models import Outcome
from vigil.investigations.services import outcome_types
from vigil.people.children import children_in_view
from vigil.people.services import records_of_many
from vigil.referrals.choices import ReferralStatus, Source
from vigil.referrals.models import Referral
from vigil.risk.choices import Grade
from vigil.risk.models import Assessment, Override
from vigil.safeguarding.models import LadoReferral, StrategyDiscussion

from .figures import FORECAST_METHOD, forecast_monthly, median, percentile, queue_age, share
from .models import PreparedReport

LONDON = ZoneInfo("Europe/London")
GRADES = list(reversed(Grade.values))  # very high first: shown as prominently as low, in order
AGE_BANDS = [
    (0, 7, "up to 7 days"),
    (8, 30, "8 to 30 days"),
    (31, 90, "31 to 90 days"),
    (91, 180, "91 to 180 days"),
    (181, 100_000, "over 180 days"),
]


@dataclass
class Table:
    key: str
    title: str
    columns: list[str]
    rows: list[list]
    note: str = ""
    chart: dict = field(default_factory=dict)


def _measures(key: str, title: str, rows: list[list], **more) -> Table:
    """A table of single figures, each beside what it measures."""
    return Table(key=key, title=title, columns=["Measure", "Value"], rows=rows, **more)


@dataclass
class Scope:
    """Whose figures: one force, or the forces of a region side by side."""

    forces: list[Force]
    region: str = ""

    @property
    def label(self) -> str:
        if self.region:
            return f"Region {self.region} ({', '.join(f.code for f in self.forces)})"
        return str(self.forces[0])

    @property
    def ids(self) -> list[int]:
        return [force.pk for force in self.forces]


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # inclusive

    @property
    def since(self) -> datetime:
        return datetime.combine(self.start, time(), LONDON)

    @property
    def until(self) -> datetime:
        return datetime.combine(self.end + timedelta(days=1), time(), LONDON)

    def __str__(self) -> str:
        return f"{self.start:%d %B %Y} to {self.end:%d %B %Y}"


def scope_for(actor: Actor, *, force_code: str = "", region: str = "") -> Scope:
    """The forces this actor may see figures for: their own force, or their region's forces."""
    if isinstance(actor, SystemActor):
        if region:
            return Scope(list(Force.objects.filter(region=region)), region=region)
        return Scope([Force.objects.get(code=force_code.upper())])
    if has_permission(actor, Action.INSIGHT_REGION):
        forces = list(Force.objects.filter(region=actor.region))
        if force_code:
            forces = [f for f in forces if f.code == force_code.upper()]
        return Scope(forces, region=actor.region if not force_code else "")
    require(actor, Action.INSIGHT_FORCE)
    return Scope([actor.force])


def dashboard(actor: Actor, scope: Scope, period: Period, *, as_of: datetime) -> list[Table]:
    """Every figure for the scope and period, as of a moment."""
    if scope.region:
        return regional(scope, period, as_of=as_of)
    return [
        *demand(scope, period, as_of=as_of),
        *backlog(scope, as_of=as_of),
        device_queue(scope, as_of=as_of),
        timeliness(scope, period, as_of=as_of),
        safeguarding(scope, period, as_of=as_of),
        *grading(scope, period),
        *outcomes(scope, period),
    ]


# ---------------------------------------------------------------------------------------------
# Demand


def _received(scope: Scope, period: Period):
    # Demand stays with the force that received the referral, whoever holds it now.
    return Referral.objects.filter(
        received_by_force_id__in=scope.ids,
        received_at__gte=period.since,
        received_at__lt=period.until,
    )


def _months(period: Period) -> list[date]:
    months, cursor = [], date(period.start.year, period.start.month, 1)
    while cursor <= period.end:
        months.append(cursor)
        cursor = date(cursor.year + cursor.month // 12, cursor.month % 12 + 1, 1)
    return months


def _counted_by(rows, truncate, moment: str, *fields: str):
    """Counts of ``rows`` by the London month or week (``TruncMonth``, ``TruncWeek``) of their
    ``moment`` and by ``fields``: (the first day of the month or week, {**fields, "n"})."""
    for row in (
        rows.annotate(start=truncate(moment, tzinfo=LONDON))
        .values("start", *fields)
        .annotate(n=Count("*"))
    ):
        start = row.pop("start")
        yield (start.date() if isinstance(start, datetime) else start), row


def demand(scope: Scope, period: Period, *, as_of: datetime) -> list[Table]:
    received = _received(scope, period).filter(received_at__lte=as_of)
    by_month = defaultdict(Counter)
    for month, row in _counted_by(received, TruncMonth, "received_at", "source", "grade"):
        by_month[month]["total"] += row["n"]
        by_month[month][f"source:{row['source']}"] += row["n"]
        by_month[month][f"grade:{row['grade'] or 'ungraded'}"] += row["n"]
    sources = [s for s in Source.values if any(c[f"source:{s}"] for c in by_month.values())]
    months = _months(period)
    monthly = Table(
        key="demand_monthly",
        title="Referrals received per month, by source and grade",
        columns=[
            "Month",
            "Total",
            *[Source(s).label for s in sources],
            *[Grade(g).label for g in GRADES],
        ],
        rows=[
            [
                f"{month:%Y-%m}",
                by_month[month]["total"],
                *[by_month[month][f"source:{s}"] for s in sources],
                *[by_month[month][f"grade:{g}"] for g in GRADES],
            ]
            for month in months
        ],
        note="Counted by the force that received each referral, by the month (London time) it "
        "was received; the grade is the grade in force now.",
        chart={"kind": "line", "x": 0, "y": [1]},
    )
    weekly = Table(
        key="demand_weekly",
        title="Referrals received per week",
        columns=["Week beginning", "Total", *[Grade(g).label for g in GRADES]],
        rows=[],
        note="Weeks begin on Monday.",
    )
    weeks = defaultdict(Counter)
    for week, row in _counted_by(received, TruncWeek, "received_at", "grade"):
        weeks[week]["total"] += row["n"]
        weeks[week][row["grade"]] += row["n"]
    weekly.rows = [
        [f"{week:%Y-%m-%d}", weeks[week]["total"], *[weeks[week][g] for g in GRADES]]
        for week in sorted(weeks)
    ]
    history = [
        (month, by_month[month]["total"])
        for month in months
        if datetime.combine(month, time(), LONDON) <= as_of
    ]
    forecast = forecast_monthly(history)
    projected = Table(
        key="demand_forecast",
        title="Expected referrals per month, next six months",
        columns=["Month", "Expected", "Lower (95%)", "Upper (95%)"],
        rows=[
            [f"{f.month:%Y-%m}", round(f.expected, 1), round(f.lower, 1), round(f.upper, 1)]
            for f in forecast
        ],
        note=FORECAST_METHOD if forecast else FORECAST_METHOD + " Not enough months yet.",
        chart={"kind": "forecast", "history": [[f"{m:%Y-%m}", n] for m, n in history]},
    )
    return [monthly, weekly, projected]


# ---------------------------------------------------------------------------------------------
# Backlog


def _is_now(as_of: datetime) -> bool:
    return as_of >= timezone.now() - timedelta(minutes=1)


def _open_at(scope: Scope, as_of: datetime):
    """Referrals held by the scope's forces, received by ``as_of`` and not closed by then."""
    held = Referral.objects.filter(force_id__in=scope.ids, received_at__lte=as_of)
    if _is_now(as_of):
        return held.exclude(status=ReferralStatus.CLOSED)
    closed_by_then = Outcome.objects.filter(
        referral__force_id__in=scope.ids, closed_at__lte=as_of
    ).values("referral_id")
    return held.exclude(pk__in=closed_by_then)


def backlog(scope: Scope, *, as_of: datetime) -> list[Table]:
    held = _open_at(scope, as_of)
    by_state = defaultdict(Counter)
    for row in held.values("grade", "status").annotate(n=Count("*")):
        state = row["status"]
        if state == ReferralStatus.CLOSED:  # closed since the date shown
            state = ReferralStatus.OUTCOME_PENDING
        by_state[row["grade"] or "ungraded"][state] += row["n"]
    band = Case(
        *[
            When(received_at__gt=as_of - timedelta(days=high + 1), then=Value(label))
            for _, high, label in AGE_BANDS[:-1]
        ],
        default=Value(AGE_BANDS[-1][2]),
        output_field=CharField(),
    )
    ages = defaultdict(Counter)
    for row in held.annotate(band=band).values("grade", "band").annotate(n=Count("*")):
        ages[row["grade"] or "ungraded"][row["band"]] += row["n"]
    states = [s for s in ReferralStatus.values if s != ReferralStatus.CLOSED]
    grades = [*GRADES, "ungraded"]
    return [
        Table(
            key="backlog_state",
            title="Open referrals by grade and state",
            columns=["Grade", "Total", *[ReferralStatus(s).label for s in states]],
            rows=[
                [_grade_label(g), sum(by_state[g].values()), *[by_state[g][s] for s in states]]
                for g in grades
            ],
            note="Referrals held and not closed at the date shown; the state is the state now.",
            chart={"kind": "bar", "x": 0, "y": 1},
        ),
        Table(
            key="backlog_age",
            title="Open referrals by age and grade",
            columns=["Grade", *[label for _, _, label in AGE_BANDS]],
            rows=[
                [_grade_label(g), *[ages[g][label] for _, _, label in AGE_BANDS]] for g in grades
            ],
            note="Age counted from receipt.",
        ),
    ]


# ---------------------------------------------------------------------------------------------
# The device queue


QUEUE_COLUMNS = ["Waiting", "Oldest (days)", "Median age (days)", "Breaches now"]


def _devices_waiting(scope: Scope, as_of: datetime) -> list[tuple[int, str, float, bool]]:
    """Each device waiting for examination at ``as_of`` in the scope's forces, by its
    ``device_triage`` clock: started (seized) by then, and neither met (its examination
    started) nor ended (returned, destroyed, the referral closed) by then. As (force id, grade,
    seconds waiting, past due)."""
    waiting = (
        Clock.objects.filter(
            force_id__in=scope.ids, kind=ClockKind.DEVICE_TRIAGE, started_at__lte=as_of
        )
        .filter(Q(met_at__isnull=True) | Q(met_at__gt=as_of))
        .filter(Q(cancelled_at__isnull=True) | Q(cancelled_at__gt=as_of))
    )
    return [
        (force_id, grade, (as_of - started).total_seconds(), due_at <= as_of)
        for force_id, grade, started, due_at in waiting.values_list(
            "force_id", "grade", "started_at", "due_at"
        )
    ]


def _queue_row(label: str, items) -> list:
    age = queue_age([(seconds, overdue) for *_, seconds, overdue in items])
    return [label, age.waiting, age.oldest_days, age.median_days, age.breaches]


def device_queue(scope: Scope, *, as_of: datetime) -> Table:
    """The age of the queue of devices waiting for examination, by grade."""
    waiting = _devices_waiting(scope, as_of)
    grades = [*GRADES, ""]
    return Table(
        key="device_queue",
        title="Devices waiting for examination, by grade",
        columns=["Grade", *QUEUE_COLUMNS],
        rows=[
            *[
                _queue_row(_grade_label(grade), [item for item in waiting if item[1] == grade])
                for grade in grades
            ],
            _queue_row("All grades", waiting),
        ],
        note="Devices seized or produced whose examination (triage or full examination) had "
        "not started at the date shown, their age counted from seizure (or from their record, "
        "when the seizure time is not known); breaches are those past their device examination "
        "clock's due time.",
    )


def device_queue_by_force(scope: Scope, *, as_of: datetime) -> Table:
    """The age of the device queue of each force of a region, and of the region."""
    waiting = _devices_waiting(scope, as_of)
    return Table(
        key="device_queue_region",
        title=f"Devices waiting for examination in region {scope.region}, by force",
        columns=["Force", *QUEUE_COLUMNS],
        rows=[
            *[
                _queue_row(force.code, [item for item in waiting if item[0] == force.pk])
                for force in scope.forces
            ],
            _queue_row(f"Region {scope.region}", waiting),
        ],
        note="Aggregates only. Counted as on the force dashboards.",
    )


def _grade_label(grade: str) -> str:
    return Grade(grade).label if grade in Grade.values else "Not graded"


# ---------------------------------------------------------------------------------------------
# Timeliness


def timeliness(scope: Scope, period: Period, *, as_of: datetime) -> Table:
    due = _due_in(scope, period, as_of)
    met_in_time = Q(met_at__isnull=False, met_at__lte=as_of) & Q(met_at__lte=F("due_at"))
    counts = defaultdict(Counter)
    for row in due.values("kind", "grade").annotate(
        due=Count("*"), on_time=Count("started_at", filter=met_in_time)
    ):
        counts[(row["kind"], row["grade"])].update(due=row["due"], on_time=row["on_time"])
    spread = _hours_taken(due.filter(met_at__isnull=False, met_at__lte=as_of), ("kind", "grade"))
    breaches = _breaches(scope, as_of, ("kind", "grade"))
    rows = []
    for kind in ClockKind.values:
        for grade in GRADES:
            key = (kind, grade)
            if not counts[key]["due"] and not breaches[key]:
                continue
            middle, high = spread.get(key, (None, None))
            rows.append(
                [
                    ClockKind(kind).label,
                    Grade(grade).label,
                    counts[key]["due"],
                    counts[key]["on_time"],
                    share(counts[key]["on_time"], counts[key]["due"]),
                    _round(middle),
                    _round(high),
                    breaches[key][1],
                    breaches[key][2],
                    breaches[key][3],
                ]
            )
    return Table(
        key="timeliness",
        title="Timeliness: duties due in the period, met within their timescale",
        columns=[
            "Duty",
            "Grade",
            "Due",
            "Met in time",
            "Met in time (%)",
            "Median hours taken",
            "90th percentile hours",
            "Breaches now: level 1",
            "Level 2",
            "Level 3",
        ],
        rows=rows,
        note="Duties that fell due in the period (a late one counts as not met in time, even "
        "when done later); hours from the duty's start to when it was met, for those met; "
        "breaches are those overdue at the date shown, by escalation level. Every grade is "
        "listed, low as well as very high.",
        chart={"kind": "timeliness"},
    )


def _due_in(scope: Scope, period: Period, as_of: datetime):
    """Duties of the scope's forces that fell due in the period (by the date shown)."""
    return Clock.objects.filter(
        force_id__in=scope.ids,
        due_at__gte=period.since,
        due_at__lt=period.until,
        due_at__lte=as_of,
    ).exclude(cancelled_at__lte=F("due_at"))  # not needed before it fell due


def _hours_taken(clocks, group: tuple[str, ...]) -> dict[tuple, tuple[float, float]]:
    """Median and 90th percentile of the hours from start to met, per group.

    PostgreSQL computes them itself (percentile_cont); elsewhere the same linear interpolation
    runs here over the durations, so both give the same numbers.
    """
    if connection.vendor == "postgresql":
        found = {}
        hours = ExpressionWrapper(
            Extract(F("met_at") - F("started_at"), "epoch") / 3600.0, output_field=FloatField()
        )
        for row in clocks.values(*group).annotate(
            middle=Percentile(hours, 0.5), high=Percentile(hours, 0.9)
        ):
            found[tuple(row[name] for name in group)] = (row["middle"], row["high"])
        return found
    durations = defaultdict(list)
    for *key, started, met in clocks.values_list(*group, "started_at", "met_at"):
        durations[tuple(key)].append((met - started).total_seconds() / 3600)
    return {key: (median(values), percentile(values, 0.9)) for key, values in durations.items()}


def _breaches(scope: Scope, as_of: datetime, group: tuple[str, ...]) -> dict[tuple, Counter]:
    """Clocks overdue at ``as_of``, by group and escalation level. Now, the level the sweep has
    reached; at another moment, the level worked out for then."""
    found = defaultdict(Counter)
    if _is_now(as_of):
        for row in (
            Clock.objects.filter(force_id__in=scope.ids, is_open=True, due_at__lte=as_of)
            .values(*group, "escalation_level")
            .annotate(n=Count("*"))
        ):
            found[tuple(row[name] for name in group)][row["escalation_level"]] += row["n"]
        return found
    _, escalation = clock_tables()
    overdue = (
        Clock.objects.filter(force_id__in=scope.ids, started_at__lte=as_of, due_at__lte=as_of)
        .filter(Q(met_at__isnull=True) | Q(met_at__gt=as_of))
        .filter(Q(cancelled_at__isnull=True) | Q(cancelled_at__gt=as_of))
    )
    for *key, started, due_at in overdue.values_list(*group, "started_at", "due_at"):
        level, _ = rules.level_at(started, due_at, as_of, escalation)
        found[tuple(key)][level] += 1
    return found


class Percentile(Aggregate):
    """PostgreSQL's percentile_cont: linear interpolation between the closest ranks."""

    function = "percentile_cont"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()

    def __init__(self, expression, fraction: float, **extra):
        super().__init__(expression, fraction=float(fraction), **extra)


def _children_in_view(referrals, as_of: datetime) -> int:
    """The children in view of these referrals on ``as_of``, by the one rule
    (``people.children``), each counted in the referral that records them."""
    on = as_of.astimezone(LONDON).date()
    total = 0
    for records in records_of_many(referrals, addresses=False).values():
        total += len(
            children_in_view(
                records.people, records.lives_with, records.access, on=on, known_by=as_of
            )
        )
    return total


def _round(value: float | None) -> float | None:
    return round(value, 1) if value is not None else None


# ---------------------------------------------------------------------------------------------
# Safeguarding


def safeguarding(scope: Scope, period: Period, *, as_of: datetime) -> Table:
    referrals = _received(scope, period).filter(received_at__lte=as_of)
    children = _children_in_view(referrals, as_of)
    social = Clock.objects.filter(
        force_id__in=scope.ids,
        kind=ClockKind.SOCIAL_CARE_REFERRAL,
        due_at__gte=period.since,
        due_at__lt=period.until,
        due_at__lte=as_of,
    )
    social_due = social.count()
    social_on_time = (
        social.filter(met_at__isnull=False, met_at__lte=as_of)
        .filter(met_at__lte=F("due_at"))
        .count()
    )
    strategy = StrategyDiscussion.objects.filter(referral__force_id__in=scope.ids)
    requested = strategy.filter(
        requested_at__gte=period.since, requested_at__lt=period.until, requested_at__lte=as_of
    ).count()
    held = strategy.filter(
        held_at__gte=period.since, held_at__lt=period.until, held_at__lte=as_of
    ).count()
    lado = LadoReferral.objects.filter(
        referral__force_id__in=scope.ids,
        referred_at__gte=period.since,
        referred_at__lt=period.until,
        referred_at__lte=as_of,
    ).count()
    return _measures(
        "safeguarding",
        "Safeguarding",
        [
            ["Children in view (referrals received in the period)", children],
            ["Social care referrals due in the period", social_due],
            ["Social care told within timescale", social_on_time],
            ["Social care told within timescale (%)", share(social_on_time, social_due)],
            ["Strategy discussions requested", requested],
            ["Strategy discussions held", held],
            ["LADO referrals made", lado],
        ],
        note="Children in view, by the rule the referral page uses: children who live with "
        "the suspect, children the suspect has access to, child victims (under 18 or of "
        "unknown age on the day) and a suspect who is a child, in referrals received in the "
        "period.",
    )


# ---------------------------------------------------------------------------------------------
# Grading quality


def grading(scope: Scope, period: Period) -> list[Table]:
    received = _received(scope, period)
    total = received.count()
    provisional = received.filter(grade_provisional=True).count()
    assessments = Assessment.objects.filter(
        referral__force_id__in=scope.ids,
        assessed_at__gte=period.since,
        assessed_at__lt=period.until,
    )
    directions = Counter()
    previous_by_referral: dict[int, str] = {}
    regrades = assessments.exclude(trigger="imported").values_list("referral_id", "assessed_at")
    regraded_ids = {referral_id for referral_id, _ in regrades}
    history = (
        Assessment.objects.filter(referral_id__in=regraded_ids)
        .order_by("referral_id", "assessed_at", "id")
        .values_list("referral_id", "assessed_at", "engine_grade", "trigger")
    )
    order = Grade.values
    for referral_id, assessed_at, engine_grade, trigger in history:
        before = previous_by_referral.get(referral_id)
        if before and trigger != "imported" and period.since <= assessed_at < period.until:
            change = order.index(engine_grade) - order.index(before)
            directions["up" if change > 0 else "down" if change < 0 else "same"] += 1
        previous_by_referral[referral_id] = engine_grade
    overrides = Override.objects.filter(
        referral__force_id__in=scope.ids,
        proposed_at__gte=period.since,
        proposed_at__lt=period.until,
    ).exclude(proposed_by=None)
    by_person = defaultdict(Counter)
    for username, team, status in overrides.values_list(
        "proposed_by__username", "proposed_by__team", "status"
    ):
        by_person[(team or "(no team)", username)]["proposed"] += 1
        by_person[(team or "(no team)", username)][status] += 1
    summary = _measures(
        "grading",
        "Grading quality",
        [
            ["Referrals received", total],
            ["Provisional now", provisional],
            ["Provisional now (%)", share(provisional, total)],
            ["Re-grades in the period", sum(directions.values())],
            ["Re-graded up", directions["up"]],
            ["Re-graded down", directions["down"]],
            ["Overrides proposed", overrides.count()],
            ["Overrides approved", overrides.filter(status="approved").count()],
            ["Overrides refused", overrides.filter(status="refused").count()],
        ],
        note="Re-grades are the engine's grades after a fact changed; up or down against the "
        "engine's previous grade.",
    )
    people = Table(
        key="grading_by_assessor",
        title="Overrides by team and assessor",
        columns=[
            "Team",
            "Assessor",
            "Proposed",
            "Applied (raised)",
            "Approved",
            "Refused",
            "Waiting",
        ],
        rows=[
            [team, username, c["proposed"], c["applied"], c["approved"], c["refused"], c["pending"]]
            for (team, username), c in sorted(by_person.items())
        ],
    )
    return [summary, people]


# ---------------------------------------------------------------------------------------------
# Outcomes


def outcomes(scope: Scope, period: Period) -> list[Table]:
    closed = Outcome.objects.filter(
        force_id__in=scope.ids, closed_at__gte=period.since, closed_at__lt=period.until
    )
    by_month = defaultdict(Counter)
    for month, row in _counted_by(closed, TruncMonth, "closed_at", "code"):
        by_month[month][row["code"]] += row["n"]
    codes = sorted(
        {code for counts in by_month.values() for code in counts},
        key=lambda code: (len(code), code),
    )
    types = outcome_types()
    total = closed.count()
    npi = closed.filter(not_in_public_interest=True).count()
    return [
        Table(
            key="outcomes",
            title="Outcomes by month",
            columns=["Month", "Total", *[f"{c}: {types.get(c, {}).get('text', c)}" for c in codes]],
            rows=[
                [f"{m:%Y-%m}", sum(by_month[m].values()), *[by_month[m][c] for c in codes]]
                for m in _months(period)
            ],
            note="Home Office outcome types, by the month the referral was closed.",
        ),
        _measures(
            "outcomes_summary",
            "Outcomes in the period",
            [
                ["Referrals closed", total],
                ['Closed as "not in the public interest"', npi],
                ['Closed as "not in the public interest" (%)', share(npi, total)],
            ],
        ),
    ]


# ---------------------------------------------------------------------------------------------
# The regional view: forces side by side, aggregates only


def regional(scope: Scope, period: Period, *, as_of: datetime) -> list[Table]:
    """The region's forces side by side: a handful of grouped queries, whatever the number of
    forces, each counted as on the force dashboards."""
    received = _received(scope, period).filter(received_at__lte=as_of)
    in_time = Q(met_at__isnull=False, met_at__lte=as_of) & Q(met_at__lte=F("due_at"))
    figures: dict[int, Counter] = defaultdict(Counter)
    for row in received.values("received_by_force_id").annotate(
        n=Count("*"), provisional=Count("received_at", filter=Q(grade_provisional=True))
    ):
        figures[row["received_by_force_id"]].update(
            received=row["n"], provisional=row["provisional"]
        )
    for row in _open_at(scope, as_of).values("force_id").annotate(n=Count("*")):
        figures[row["force_id"]]["open"] += row["n"]
    due = _due_in(scope, period, as_of)
    for row in (
        due.filter(kind=ClockKind.ENFORCEMENT_ACTION)
        .values("force_id", "grade")
        .annotate(due=Count("*"), on_time=Count("started_at", filter=in_time))
    ):
        figures[row["force_id"]].update(
            enforcement_due=row["due"], enforcement_on_time=row["on_time"]
        )
        if row["grade"] == Grade.LOW:
            figures[row["force_id"]].update(low_due=row["due"], low_on_time=row["on_time"])
    for row in (
        due.filter(kind=ClockKind.SOCIAL_CARE_REFERRAL)
        .values("force_id")
        .annotate(due=Count("*"), on_time=Count("started_at", filter=in_time))
    ):
        figures[row["force_id"]].update(care_due=row["due"], care_on_time=row["on_time"])
    for (force_id,), levels in _breaches(scope, as_of, ("force_id",)).items():
        figures[force_id]["breaches"] += sum(levels.values())
        figures[force_id]["level_3"] += levels[3]
    closed = Outcome.objects.filter(
        force_id__in=scope.ids, closed_at__gte=period.since, closed_at__lt=period.until
    )
    for row in closed.values("force_id").annotate(
        n=Count("*"), npi=Count("closed_at", filter=Q(not_in_public_interest=True))
    ):
        figures[row["force_id"]].update(closed=row["n"], npi=row["npi"])
    measures = [
        ("Referrals received", lambda f: f["received"]),
        ("Open now", lambda f: f["open"]),
        (
            "Enforcement action within timescale (%)",
            lambda f: share(f["enforcement_on_time"], f["enforcement_due"]),
        ),
        (
            "Low-risk enforcement action within timescale (%)",
            lambda f: share(f["low_on_time"], f["low_due"]),
        ),
        (
            "Social care told within timescale (%)",
            lambda f: share(f["care_on_time"], f["care_due"]),
        ),
        ("Breaches now", lambda f: f["breaches"]),
        ("Breaches now at level 3", lambda f: f["level_3"]),
        ("Provisional now (%)", lambda f: share(f["provisional"], f["received"])),
        ('Closed "not in the public interest" (%)', lambda f: share(f["npi"], f["closed"])),
    ]
    return [
        Table(
            key="regional",
            title=f"Forces of region {scope.region}, side by side",
            columns=["Measure", *[force.code for force in scope.forces]],
            rows=[
                [name, *[value(figures[force.pk]) for force in scope.forces]]
                for name, value in measures
            ],
            note="Aggregates only: no referral, person or officer is named. Counted as on the "
            "force dashboards.",
            chart={"kind": "regional"},
        ),
        device_queue_by_force(scope, as_of=as_of),
    ]


def audit_export(actor: Actor, what: str, scope: Scope, period: Period, as_of: datetime) -> None:
    """Every export goes on the audit trail."""
    record(
        actor,
        AuditAction.EXPORTED,
        object_type="insight",
        object_id=what,
        force_code=",".join(f.code for f in scope.forces),
        after={
            "export": what,
            "scope": scope.label,
            "from": period.start,
            "to": period.end,
            "as_of": as_of,
        },
    )


def pseudonymised_rows(actor: Actor, scope: Scope, period: Period) -> Table:
    """One row per referral received in the period, for analysis: no name, no reference; the
    referral is a pseudonym that stays the same between exports but cannot be reversed.

    A restricted referral is counted in every figure but never given a row: a row of one
    referral is a thing about it, and only the people named on it may have one."""
    require(actor, Action.INSIGHT_ROWS)
    key = settings.SECRET_KEY.encode("utf-8")
    rows = []
    closed = dict(
        Outcome.objects.filter(referral__received_by_force_id__in=scope.ids).values_list(
            "referral_id", "code"
        )
    )
    for pk, force, source, received, grade, provisional, status in (
        _received(scope, period)
        .filter(is_restricted=False)
        .values_list(
            "pk",
            "received_by_force__code",
            "source",
            "received_at",
            "grade",
            "grade_provisional",
            "status",
        )
    ):
        pseudonym = hmac.new(key, f"referral:{pk}".encode(), hashlib.sha256).hexdigest()[:16]
        rows.append(
            [
                pseudonym,
                force,
                source,
                received.astimezone(LONDON).date().isoformat(),
                grade,
                provisional,
                status,
                closed.get(pk, ""),
            ]
        )
    return Table(
        key="rows",
        title="Referrals received, pseudonymised",
        columns=[
            "Referral (pseudonym)",
            "Force",
            "Source",
            "Received",
            "Grade",
            "Provisional",
            "State",
            "Outcome",
        ],
        rows=rows,
        note="No names, references or addresses. The pseudonym is a keyed hash of the referral. "
        "Restricted referrals are counted in the figures but have no row here.",
    )


# ---------------------------------------------------------------------------------------------
# Reports prepared in the background


def request_report(
    actor: Actor,
    kind: str,
    scope: Scope,
    period: Period,
    *,
    force_code: str,
    as_of: datetime,
    requested_at: datetime,
) -> PreparedReport:
    """Record someone's request for a report to be prepared in the background (audited as the
    export it is); ``tasks.prepare_report`` prepares it."""
    audit_export(actor, kind, scope, period, as_of)
    return PreparedReport.objects.create(
        requested_by=actor,
        kind=kind,
        force_code=force_code,
        period_start=period.start,
        period_end=period.end,
        as_of=as_of,
        requested_at=requested_at,
    )


def reports_for(actor: Actor, *, limit: int = 10) -> list[PreparedReport]:
    """The reports this person asked for lately, latest first (without their content)."""
    if getattr(actor, "pk", None) is None:
        return []
    return list(PreparedReport.objects.filter(requested_by_id=actor.pk).defer("content")[:limit])


def report_for(actor: Actor, report_id: int) -> PreparedReport | None:
    """A prepared report, for the person who asked for it only; None if not theirs or not
    ready."""
    return PreparedReport.objects.filter(
        pk=report_id, requested_by_id=getattr(actor, "pk", None), ready_at__isnull=False
    ).first()


def report_to_prepare(report_id: int) -> PreparedReport | None:
    """A report still to be prepared (None once it is, or if it is gone)."""
    return (
        PreparedReport.objects.select_related("requested_by")
        .filter(pk=report_id, ready_at__isnull=True)
        .defer("content")
        .first()
    )


def start_report(report: PreparedReport, *, started_at: datetime) -> None:
    PreparedReport.objects.filter(pk=report.pk).update(started_at=started_at)


def store_report(report: PreparedReport, content: bytes, *, ready_at: datetime) -> None:
    PreparedReport.objects.filter(pk=report.pk).update(content=content, ready_at=ready_at)


def forget_reports_before(moment: datetime) -> int:
    """Forget the reports asked for before ``moment``."""
    deleted, _ = PreparedReport.objects.filter(requested_at__lt=moment).delete()
    return deleted
