"""Clock arithmetic: when each duty falls due and how far past it a referral is. Pure: no Django.

Takes plain data (what happened to a referral and when) and the policy's clock and escalation
tables; returns the clocks a referral should carry and the state of each at any moment.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from itertools import pairwise
from zoneinfo import ZoneInfo

import holidays

LONDON = ZoneInfo("Europe/London")
UTC = ZoneInfo("UTC")


class ClockPolicyError(ValueError):
    pass


# ---------------------------------------------------------------------------------------------
# Durations and working days


@dataclass(frozen=True)
class Duration:
    """Exactly one of: elapsed hours, calendar days or months (London wall clock), or working
    days."""

    hours: float = 0
    days: int = 0
    working_days: int = 0
    months: int = 0

    @classmethod
    def parse(cls, data: dict, where: str) -> Duration:
        unknown = set(data) - {"hours", "days", "working_days", "months"}
        if unknown or len([v for v in data.values() if v]) != 1:
            raise ClockPolicyError(
                f"{where}: a duration is one of hours, days, working_days or months, not {data!r}"
            )
        return cls(**data)

    def words(self) -> str:
        for unit, amount in (
            ("hour", self.hours),
            ("day", self.days),
            ("working day", self.working_days),
            ("month", self.months),
        ):
            if amount:
                number = f"{amount:g}"
                return f"{number} {unit}{'' if amount == 1 else 's'}"
        return "no time"


@lru_cache(maxsize=64)
def _bank_holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("GB", subdiv="ENG", years=year))


def is_working_day(day: date) -> bool:
    """Monday to Friday, except England and Wales bank holidays."""
    return day.weekday() < 5 and day not in _bank_holidays(day.year)


def due_after(start: datetime, duration: Duration) -> datetime:
    """When a duty that starts at ``start`` and has ``duration`` falls due (UTC)."""
    if duration.hours:
        # Elapsed time: add in UTC (adding to a London time would add wall-clock hours).
        return utc(start) + timedelta(hours=duration.hours)
    local = start.astimezone(LONDON).replace(tzinfo=None)
    if duration.days:
        # "7 days" keeps the wall-clock time across a change of the clocks.
        return _localise(local + timedelta(days=duration.days))
    if duration.months:
        return _localise(_add_months(local, duration.months))
    return _localise(_add_working_days(local, duration.working_days))


def due_before(moment: datetime, duration: Duration) -> datetime:
    """The moment ``duration`` before ``moment`` (UTC): a reminder before a date."""
    if duration.hours:
        return utc(moment) - timedelta(hours=duration.hours)
    local = moment.astimezone(LONDON).replace(tzinfo=None)
    if duration.days:
        return _localise(local - timedelta(days=duration.days))
    if duration.months:
        return _localise(_add_months(local, -duration.months))
    return _localise(_subtract_working_days(local, duration.working_days))


def end_of_day(day: date) -> datetime:
    """The end of a date in London (its midnight), in UTC: when a duty due "on" it is due."""
    return _localise(datetime.combine(day + timedelta(days=1), time()))


def _add_months(local: datetime, count: int) -> datetime:
    """The same day of the month ``count`` months on, or the month's last day where it has no
    such day: 31 August plus three months is 30 November; 30 November plus three, 28 February
    (29 in a leap year)."""
    index = local.year * 12 + local.month - 1 + count
    year, month = divmod(index, 12)
    month += 1
    next_month = date(year + month // 12, month % 12 + 1, 1)
    last_day = (next_month - timedelta(days=1)).day
    return local.replace(year=year, month=month, day=min(local.day, last_day))


def _add_working_days(local: datetime, count: int) -> datetime:
    """Working-day time passes only on working days: Friday 15:00 plus one working day is
    Monday 15:00; Saturday 10:00 plus one is the end of Monday."""
    remaining = timedelta(days=count)
    cursor = local
    while True:
        midnight = datetime.combine(cursor.date() + timedelta(days=1), time())
        if is_working_day(cursor.date()):
            if cursor + remaining <= midnight:
                return cursor + remaining
            remaining -= midnight - cursor
        cursor = midnight


def _subtract_working_days(local: datetime, count: int) -> datetime:
    """Working-day time counted back: Monday 15:00 less one working day is Friday 15:00;
    Saturday 10:00 less one is the start of Friday."""
    remaining = timedelta(days=count)
    cursor = local
    while True:
        start = datetime.combine(cursor.date(), time())
        if start == cursor:
            start -= timedelta(days=1)
        if is_working_day(start.date()):
            if cursor - remaining >= start:
                return cursor - remaining
            remaining -= cursor - start
        cursor = start


def _localise(naive_local: datetime) -> datetime:
    return naive_local.replace(tzinfo=LONDON).astimezone(UTC)


def utc(moment: datetime) -> datetime:
    """The same instant in UTC. Python subtracts two times of one zone by their wall clocks,
    so every comparison and difference here is made in UTC."""
    return moment.astimezone(UTC)


# ---------------------------------------------------------------------------------------------
# The policy's clock and escalation tables


@dataclass(frozen=True)
class ClockRule:
    kind: str
    text: str
    starts: str
    duration: Duration | None
    by_grade: dict = field(default_factory=dict, hash=False, compare=False)
    grades: tuple[str, ...] = ()
    # Risk questions whose yes starts this clock (from when the fact was learned).
    known_from: tuple[str, ...] = ()
    # Risk questions of which one must be yes for this clock to apply.
    requires_yes: tuple[str, ...] = ()
    # A reminder falls due this long before the date it reminds of (the bail return date).
    before: Duration | None = None

    def duration_for(self, grade: str | None) -> Duration | None:
        return self.by_grade.get(grade, self.duration)


@dataclass(frozen=True)
class Level:
    level: int
    fraction: float
    at_least: timedelta
    reaches: tuple[str, ...]


@dataclass(frozen=True)
class Escalation:
    due_soon_fraction: float
    due_soon_at_most: timedelta
    levels: tuple[Level, ...]


STARTS = {
    "release_with_child",
    "bail",
    "received",
    "graded",
    "child_known",
    "social_care_referral",
    "works_with_children_known",
    "last_supervisor_review",
    "provisional",
    "data_request",
    "transfer",
    "conference_decided",
    "strategy_action",
    "released_under_investigation",
    "device_seized",
}

# Duties that carry their own due time (a bail return date, the date agreed for an action) need
# no duration.
OWN_DUE_TIME = {"bail", "strategy_action"}


def clock_rules(table: dict) -> dict[str, ClockRule]:
    rules = {}
    for kind, data in table.items():
        where = f"clocks.{kind}"
        if data.get("starts") not in STARTS:
            raise ClockPolicyError(f"{where}: starts must be one of {', '.join(sorted(STARTS))}")
        duration = Duration.parse(data["duration"], where) if "duration" in data else None
        by_grade = {
            grade: Duration.parse(value, f"{where}.by_grade.{grade}")
            for grade, value in data.get("by_grade", {}).items()
        }
        before = Duration.parse(data["before"], f"{where}.before") if "before" in data else None
        if before is not None and data["starts"] != "bail":
            raise ClockPolicyError(f"{where}: only a duty that starts with bail has `before`")
        if kind == "bail_reminder" and before is None:
            raise ClockPolicyError(
                f"{where}: say how long before the bail return date it falls due (before)"
            )
        if duration is None and not by_grade and data["starts"] not in OWN_DUE_TIME:
            raise ClockPolicyError(f"{where}: give a duration or durations by grade")
        rules[kind] = ClockRule(
            kind=kind,
            text=data.get("text", kind.replace("_", " ")),
            starts=data["starts"],
            duration=duration,
            by_grade=by_grade,
            grades=tuple(data.get("grades", ())),
            known_from=tuple(data.get("known_from", ())),
            requires_yes=tuple(data.get("requires_yes", ())),
            before=before,
        )
        if (
            data["starts"] in {"child_known", "works_with_children_known"}
            and not rules[kind].known_from
        ):
            raise ClockPolicyError(f"{where}: say which questions' yes starts it (known_from)")
    return rules


def _timedelta(data: dict | None) -> timedelta:
    if not data:
        return timedelta(0)
    duration = Duration.parse(data, "escalation")
    if duration.working_days or duration.months:
        raise ClockPolicyError("escalation thresholds are in hours or days")
    return timedelta(hours=duration.hours, days=duration.days)


def escalation_rules(table: dict) -> Escalation:
    soon = table.get("due_soon", {})
    levels = tuple(
        Level(
            level=int(item["level"]),
            fraction=float(item["overdue_by"].get("fraction", 0)),
            at_least=_timedelta(item["overdue_by"].get("at_least")),
            reaches=tuple(item.get("reaches", ())),
        )
        for item in sorted(table.get("levels", []), key=lambda item: item["level"])
    )
    return Escalation(
        due_soon_fraction=float(soon.get("fraction", 0.25)),
        due_soon_at_most=_timedelta(soon.get("at_most")) or timedelta(hours=24),
        levels=levels,
    )


# ---------------------------------------------------------------------------------------------
# Which clocks a referral carries


@dataclass(frozen=True)
class ClockInputs:
    """What has happened to a referral, and when (all times timezone-aware)."""

    received_at: datetime
    grade: str | None = None
    # The moment the first grade was made as of (receipt, for a referral imported late)…
    graded_at: datetime | None = None
    # …and when Vigil first held the referral: no grade existed before it, so none met a duty.
    imported_at: datetime | None = None
    # Stretches of time the grade was provisional: (from, until or None while still so).
    provisional_periods: tuple[tuple[datetime, datetime | None], ...] = ()
    # Risk questions answered yes now, each with when the fact was learned.
    yes_since: dict = field(default_factory=dict, hash=False)
    is_open: bool = True
    allocated_at: datetime | None = None
    enforced_at: datetime | None = None
    social_care_at: datetime | None = None
    strategy_requested_at: datetime | None = None
    lado_at: datetime | None = None
    reviews: tuple[datetime, ...] = ()
    # Releases of the suspect: (when, to an address with a child?, bail return date or None).
    releases: tuple[tuple[datetime, bool, datetime | None], ...] = ()
    # Every time information was shared with social care, and every time bail was answered.
    social_care_times: tuple[datetime, ...] = ()
    bail_answered: tuple[datetime, ...] = ()
    # Requests to providers: (request id, when it went out (or was recorded, while it waits to
    # go), when it was returned or refused or None, the provider).
    data_requests: tuple[tuple[int, datetime, datetime | None, str], ...] = ()
    # Every allocation, in order (the receiving force of a transfer allocates again).
    allocation_times: tuple[datetime, ...] = ()
    # Transfers offered to another force: (transfer id, when offered, when answered or None,
    # the receiving force: whoever the caller uses to name it), and when each accepted one was.
    transfers: tuple[tuple[int, datetime, datetime | None, object], ...] = ()
    accepted_transfers: tuple[datetime, ...] = ()
    # False for a referral joined into an investigation another referral leads: the lead
    # carries the investigation's duties (``SHARED_DUTIES``), from everything its members hold.
    carries_shared_duties: bool = True
    # Strategy discussions that decided on an initial child protection conference: (discussion
    # id, when the discussion was held, when the conference was held or None).
    conferences: tuple[tuple[int, datetime, datetime | None], ...] = ()
    # Actions agreed at a strategy discussion: (action id, when agreed (the discussion held),
    # the date it is due on, when it was done or None, what it is and whose, the id of the
    # user whose it is or None).
    strategy_actions: tuple[tuple[int, datetime, date, datetime | None, str, int | None], ...] = ()
    # Every release with its id and kind: (release id, when, kind, bail return date or None);
    # a later release supersedes the one before (bail extended, varied, charged, released
    # under investigation instead).
    release_records: tuple[tuple[int, datetime, str, datetime | None], ...] = ()
    # Reviews of a release under investigation: (release id, when reviewed).
    rui_reviews: tuple[tuple[int, datetime], ...] = ()
    # Devices seized or produced (exhibits): (exhibit id, its reference, when it was seized (or
    # recorded), when it left the queue or None, where it went then: an examination path).
    exhibits: tuple[tuple[int, str, datetime, datetime | None, str], ...] = ()


@dataclass(frozen=True)
class PlannedClock:
    kind: str
    cycle: int
    started_at: datetime
    due_at: datetime
    met_at: datetime | None
    rule: str
    # What the duty is about when its kind alone does not say ("to ExampleSocial").
    about: str = ""
    # A duty unmet when the referral passed to another force ends there, with the reason; the
    # receiving force's own cycle of it follows.
    cancelled_at: datetime | None = None
    cancel_reason: str = ""
    # The force whose duty this is when it is not the force holding the referral (answering a
    # transfer is the receiving force's): as named in ``ClockInputs.transfers``.
    force: object = None
    # The user whose duty it is, when not the referral's owner (an agreed action's owner).
    owner_id: int | None = None


HANDED_OVER = "handed to the receiving force when it accepted the transfer"

# The duties of an investigation as a whole: referrals joined into one carry them once, on the
# lead, met by what is recorded on any of them.
SHARED_DUTIES = frozenset(
    {
        "allocation",
        "enforcement_action",
        "supervisor_review",
        "social_care_referral",
        "strategy_discussion",
        "lado_referral",
    }
)


def _earliest(*moments):
    present = [moment for moment in moments if moment is not None]
    return min(present, key=utc) if present else None


def joined(own: ClockInputs, others: list[ClockInputs], *, lead: bool, grades: list[str]):
    """A joined referral's inputs: every clock counts from the investigation's earliest receipt,
    so joining never restarts the time a child has waited; the lead also answers for the shared
    duties from what any member holds (the earliest of each fact, every review and allocation)
    at the highest grade among them. ``grades`` is the policy's order, lowest first."""
    everyone = [own, *others]
    received = _earliest(*(item.received_at for item in everyone))
    if not lead:
        return replace(own, received_at=received, carries_shared_duties=False)
    yes_since: dict = {}
    for item in everyone:
        for code, since in item.yes_since.items():
            yes_since[code] = _earliest(yes_since.get(code), since)
    ranked = [item.grade for item in everyone if item.grade in grades]
    return replace(
        own,
        received_at=received,
        grade=max(ranked, key=grades.index) if ranked else own.grade,
        graded_at=_earliest(*(item.graded_at for item in everyone)),
        yes_since=yes_since,
        allocated_at=_earliest(*(item.allocated_at for item in everyone)),
        allocation_times=tuple(sorted({t for item in everyone for t in item.allocation_times})),
        enforced_at=_earliest(*(item.enforced_at for item in everyone)),
        social_care_at=_earliest(*(item.social_care_at for item in everyone)),
        strategy_requested_at=_earliest(*(item.strategy_requested_at for item in everyone)),
        lado_at=_earliest(*(item.lado_at for item in everyone)),
        reviews=tuple(sorted({t for item in everyone for t in item.reviews})),
        social_care_times=tuple(sorted({t for item in everyone for t in item.social_care_times})),
        carries_shared_duties=True,
    )


def plan(inputs: ClockInputs, rules: dict[str, ClockRule], policy_key: str) -> list[PlannedClock]:
    """Every clock the referral should carry now, met or not."""
    planned: list[PlannedClock] = []

    def add(
        kind: str,
        started: datetime | None,
        met: datetime | None,
        cycle: int = 1,
        about: str = "",
        *,
        accepted: bool = False,
        **ending,
    ):
        rule = rules.get(kind)
        if rule is None or started is None:
            return
        duration = rule.duration_for(inputs.grade)
        if duration is None:
            return
        graded = (
            f" ({inputs.grade.replace('_', ' ')})" if kind in _BY_GRADE and rule.by_grade else ""
        )
        start_words = "the transfer's acceptance" if accepted else _STARTS_WORDS[rule.starts]
        planned.append(
            PlannedClock(
                kind=kind,
                cycle=cycle,
                started_at=started,
                due_at=due_after(started, duration),
                met_at=met,
                rule=f"{policy_key}: {rule.text} within {duration.words()}{graded} "
                f"of {start_words}",
                about=about,
                **ending,
            )
        )

    def add_held(kind: str, started: datetime | None, met_times: tuple[datetime, ...]):
        """A duty of the force holding the referral. Still unmet when a transfer is accepted,
        the sender's clock ends there (its breach, if any, stays on record) and the receiving
        force's runs from the acceptance; allocation starts again at every acceptance."""
        if started is None:
            return
        met_times = tuple(sorted(met_times))
        begin, cycle = started, 1
        for accepted in sorted(a for a in inputs.accepted_transfers if a > started):
            met = next((t for t in met_times if t < accepted and (cycle == 1 or t >= begin)), None)
            if met is None:
                add(
                    kind,
                    begin,
                    None,
                    cycle,
                    accepted=cycle > 1,
                    cancelled_at=accepted,
                    cancel_reason=HANDED_OVER,
                )
            else:
                add(kind, begin, met, cycle, accepted=cycle > 1)
                if kind != "allocation":
                    return
            begin, cycle = accepted, cycle + 1
        met = next((t for t in met_times if cycle == 1 or t >= begin), None)
        add(kind, begin, met, cycle, accepted=cycle > 1)

    def met_times(moment: datetime | None) -> tuple[datetime, ...]:
        return () if moment is None else (moment,)

    def known(kind: str) -> datetime | None:
        rule = rules.get(kind)
        times = [inputs.yes_since[code] for code in rule.known_from if code in inputs.yes_since]
        return min(times) if rule and times else None

    def applies(kind: str) -> bool:
        rule = rules.get(kind)
        return (
            bool(rule)
            and (not rule.grades or inputs.grade in rule.grades)
            and (
                not rule.requires_yes or any(code in inputs.yes_since for code in rule.requires_yes)
            )
        )

    settled = _first_settled(inputs)
    add("risk_assessment", inputs.received_at, settled)
    if inputs.graded_at:
        allocations = inputs.allocation_times or met_times(inputs.allocated_at)
        add_held("allocation", inputs.graded_at, allocations)
        add("enforcement_action", inputs.received_at, inputs.enforced_at)
    if "social_care_referral" in rules and applies("social_care_referral"):
        add_held(
            "social_care_referral",
            known("social_care_referral"),
            met_times(inputs.social_care_at),
        )
    if inputs.social_care_at and applies("strategy_discussion"):
        add_held(
            "strategy_discussion",
            inputs.social_care_at,
            met_times(inputs.strategy_requested_at),
        )
    if "lado_referral" in rules and applies("lado_referral"):
        add_held("lado_referral", known("lado_referral"), met_times(inputs.lado_at))
    # Answering a transfer is the receiving force's duty, numbered by the transfer.
    for transfer_id, offered, answered, to_force in inputs.transfers:
        add("transfer_acceptance", offered, answered, transfer_id, force=to_force)
    start = inputs.received_at
    for cycle, reviewed in enumerate(sorted(inputs.reviews), start=1):
        add("supervisor_review", start, reviewed, cycle)
        start = reviewed
    if inputs.is_open:
        add("supervisor_review", start, None, len(inputs.reviews) + 1)
    for cycle, (since, until) in enumerate(inputs.provisional_periods, start=1):
        add("establish_facts", since, until, cycle)
    child_releases = [released for released, with_child, _ in inputs.releases if with_child]
    for cycle, released in enumerate(sorted(child_releases), start=1):
        told = [t for t in inputs.social_care_times if t >= released]
        add("release_social_care", released, min(told) if told else None, cycle)
    # One clock per request, numbered by the request so it stays the same clock whatever else
    # is asked of whom.
    for request_id, started, answered, provider in inputs.data_requests:
        add("data_request", started, answered, request_id, f"to {provider}")
    bail = rules.get("bail_return")
    if bail:
        bails = sorted((r, back) for r, _, back in inputs.releases if back is not None)
        for cycle, (released, back) in enumerate(bails, start=1):
            answered = [t for t in inputs.bail_answered if t >= released]
            planned.append(
                PlannedClock(
                    kind="bail_return",
                    cycle=cycle,
                    started_at=released,
                    due_at=utc(back),
                    met_at=min(answered) if answered else None,
                    rule=f"{policy_key}: {bail.text}",
                )
            )
    for discussion_id, decided_at, held_at in inputs.conferences:
        add("child_protection_conference", decided_at, held_at, discussion_id)
    action = rules.get("strategy_action")
    if action:
        for action_id, agreed_at, due_on, done_at, about, owner_id in inputs.strategy_actions:
            planned.append(
                PlannedClock(
                    kind="strategy_action",
                    cycle=action_id,
                    started_at=agreed_at,
                    due_at=max(end_of_day(due_on), utc(agreed_at)),
                    met_at=done_at,
                    rule=f"{policy_key}: {action.text} by the end of the date agreed for it, "
                    f"{due_on:%d %B %Y}",
                    about=about,
                    owner_id=owner_id,
                )
            )
    planned.extend(_release_clocks(inputs, rules, policy_key, add))
    # One clock per device, numbered by the exhibit, until its examination starts.
    for exhibit_id, reference, seized, left_at, left_to in inputs.exhibits:
        if left_at is not None and left_to in DEVICE_UNEXAMINED:
            add(
                "device_triage",
                seized,
                None,
                exhibit_id,
                f"of exhibit {reference}",
                cancelled_at=left_at,
                cancel_reason=DEVICE_UNEXAMINED[left_to],
            )
        else:
            add("device_triage", seized, left_at, exhibit_id, f"of exhibit {reference}")
    if not inputs.carries_shared_duties:
        planned = [clock for clock in planned if clock.kind not in SHARED_DUTIES]
    if not inputs.is_open:
        # A closed referral owes nothing more; what was met or handed over stays on the record.
        planned = [
            clock for clock in planned if clock.met_at is not None or clock.cancelled_at is not None
        ]
    return planned


RUI = "released_under_investigation"

# A device that leaves the queue without an examination ends its clock there, with the reason.
DEVICE_UNEXAMINED = {
    "returned": "the device was returned without an examination",
    "destroyed": "the device was destroyed without an examination",
}


def _release_clocks(inputs: ClockInputs, rules: dict[str, ClockRule], policy_key: str, add):
    """Reviews of a release under investigation, every cycle from the release or the last
    review while it stands; and a reminder before each bail return date."""
    ordered = sorted(inputs.release_records, key=lambda item: (utc(item[1]), item[0]))
    superseded = {this[0]: following[1] for this, following in pairwise(ordered)}
    cycle = 0
    for release_id, released, kind, _ in ordered:
        if kind != RUI:
            continue
        until = superseded.get(release_id)
        start = released
        reviews = sorted(t for rid, t in inputs.rui_reviews if rid == release_id)
        for reviewed in reviews:
            cycle += 1
            add("rui_review", start, reviewed, cycle)
            start = reviewed
        if until is None or until > start:
            # Another release ends it: the suspect's position was decided then.
            cycle += 1
            add("rui_review", start, until, cycle)
    reminder = rules.get("bail_reminder")
    if not reminder or reminder.before is None:
        return []
    reminders = []
    for release_id, released, _, back in ordered:
        if back is None:
            continue
        ends = [t for t in inputs.bail_answered if t >= released]
        if release_id in superseded:
            ends.append(superseded[release_id])
        local_back = back.astimezone(LONDON)
        reminders.append(
            PlannedClock(
                kind="bail_reminder",
                cycle=release_id,
                started_at=released,
                due_at=max(due_before(back, reminder.before), utc(released)),
                met_at=min(ends) if ends else None,
                rule=f"{policy_key}: {reminder.text} {reminder.before.words()} before the "
                "bail return date",
                about=f"before bail returns on {local_back:%d %B %Y %H:%M}",
            )
        )
    return reminders


_BY_GRADE = {
    "allocation",
    "enforcement_action",
    "social_care_referral",
    "data_request",
    "device_triage",
}
_STARTS_WORDS = {
    "received": "receipt",
    "graded": "grading",
    "child_known": "learning of a child at risk",
    "social_care_referral": "the social care referral",
    "works_with_children_known": "learning the suspect works with children",
    "last_supervisor_review": "receipt or the last review",
    "provisional": "the grade becoming provisional",
    "release_with_child": "the release",
    "bail": "the release on bail",
    "data_request": "the request going out (or being recorded, while it waits to go)",
    "transfer": "the transfer being offered",
    "conference_decided": "the strategy discussion that decided on one",
    "strategy_action": "the strategy discussion that agreed it",
    "released_under_investigation": "the release under investigation or its last review",
    "device_seized": "the device's seizure (or its record, when that is not known)",
}


def _first_settled(inputs: ClockInputs) -> datetime | None:
    """When a grade that was not provisional first stood."""
    if not inputs.graded_at:
        return None
    settled = inputs.graded_at
    if inputs.provisional_periods:
        first_start, first_end = inputs.provisional_periods[0]
        if first_start <= inputs.graded_at:
            settled = first_end
    if settled is not None and inputs.imported_at is not None:
        # A grade made as of receipt on a later import was late: the breach stays on record.
        settled = max(settled, inputs.imported_at)
    return settled


def keep_breach(previous_due: datetime | None, planned_due: datetime, as_of: datetime) -> datetime:
    """A clock already overdue never gets a later due time: being slow does not buy time."""
    if previous_due is not None and utc(previous_due) <= utc(as_of) and planned_due > previous_due:
        return previous_due
    return planned_due


# ---------------------------------------------------------------------------------------------
# The state of a clock at a moment


@dataclass(frozen=True)
class State:
    state: str  # due | due_soon | overdue | met | met_late
    due_soon_at: datetime
    overdue_by: timedelta
    level: int
    next_level_at: datetime | None


def due_soon_at(started_at: datetime, due_at: datetime, escalation: Escalation) -> datetime:
    started_at, due_at = utc(started_at), utc(due_at)
    window = due_at - started_at
    return due_at - min(window * escalation.due_soon_fraction, escalation.due_soon_at_most)


def level_at(
    started_at: datetime, due_at: datetime, moment: datetime, escalation: Escalation
) -> tuple[int, datetime | None]:
    """The escalation level reached at ``moment``, and when the next one is reached."""
    started_at, due_at, moment = utc(started_at), utc(due_at), utc(moment)
    window = due_at - started_at
    reached, upcoming = 0, None
    for level in escalation.levels:
        threshold = due_at + max(window * level.fraction, level.at_least)
        if moment >= threshold:
            reached = level.level
        elif upcoming is None:
            upcoming = threshold
    return reached, upcoming


def next_escalation_at(
    started_at: datetime, due_at: datetime, level: int, escalation: Escalation
) -> datetime | None:
    """When a clock already escalated to ``level`` reaches the next level (None: no more)."""
    started_at, due_at = utc(started_at), utc(due_at)
    window = due_at - started_at
    for item in escalation.levels:
        if item.level > level:
            return due_at + max(window * item.fraction, item.at_least)
    return None


def state_of(
    started_at: datetime,
    due_at: datetime,
    met_at: datetime | None,
    as_of: datetime,
    escalation: Escalation,
) -> State:
    started_at, due_at, as_of = utc(started_at), utc(due_at), utc(as_of)
    met_at = utc(met_at) if met_at is not None else None
    soon = due_soon_at(started_at, due_at, escalation)
    if met_at is not None and met_at <= as_of:
        late = met_at > due_at
        level, _ = level_at(started_at, due_at, met_at, escalation) if late else (0, None)
        return State(
            "met_late" if late else "met", soon, max(met_at - due_at, timedelta(0)), level, None
        )
    if as_of >= due_at:
        level, upcoming = level_at(started_at, due_at, as_of, escalation)
        return State("overdue", soon, as_of - due_at, level, upcoming)
    return State("due_soon" if as_of >= soon else "due", soon, timedelta(0), 0, None)


# ---------------------------------------------------------------------------------------------
# E-mails that could not be sent

EMAIL_ATTEMPTS = 10
EMAIL_FIRST_WAIT = timedelta(minutes=1)
EMAIL_LONGEST_WAIT = timedelta(hours=6)


def email_retry_at(attempts: int, tried_at: datetime) -> datetime | None:
    """When to try an e-mail again after its ``attempts``-th try failed; None: give up.

    The wait doubles from a minute (1, 2, 4, 8 … minutes, never over six hours), so a mail
    server down for a moment costs a minute and one down for a day is not hammered.
    """
    if attempts >= EMAIL_ATTEMPTS:
        return None
    wait = min(EMAIL_FIRST_WAIT * 2 ** max(attempts - 1, 0), EMAIL_LONGEST_WAIT)
    return tried_at + wait
