"""Putting clocks on referrals, worklists, and escalating every breach until someone acts.

The arithmetic is pure (``rules.py``); this module reads what has happened to a referral,
keeps its ``Clock`` rows in step, and sends each escalation exactly once.
"""

import smtplib
import socket
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Case, Count, F, IntegerField, Q, Value, When
from django.http import Http404
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from vigil.accounts.actors import Actor
from vigil.accounts.models import User
from vigil.audit.choices import AuditAction
from vigil.audit.services import record
from vigil.core.actors import is_system
from vigil.core.permissions import require
from vigil.core.roles import Action, Role
from vigil.core.spreadsheets import csv_bytes
from vigil.people.services import children_counts
from vigil.referrals.changes import Change, after_every_change
from vigil.referrals.choices import ReferralStatus, TransferStatus
from vigil.referrals.models import Investigation, Referral, Transfer
from vigil.risk import services as risk_services
from vigil.risk.choices import Grade
from vigil.risk.models import Assessment

from . import rules
from .models import (
    EMAIL_NOT_SENT,
    Clock,
    ClockKind,
    EmailState,
    EscalationReach,
    JobLock,
    JobRun,
    Notification,
    PeriodicTaskQueued,
)

GRADE_RANK = {grade: rank for rank, grade in enumerate(Grade.values, start=1)}
STATE_ORDER = {"overdue": 0, "due_soon": 1, "due": 2}


@cache
def _tables(policy_text_sha: str) -> tuple[dict, rules.Escalation]:
    policy = risk_services.active_policy()
    return rules.clock_rules(policy.clocks), rules.escalation_rules(policy.escalation)


def clock_tables() -> tuple[dict, rules.Escalation]:
    """The clock rules and escalation of the policy in force."""
    return _tables(risk_services.active_policy().sha256)


# ---------------------------------------------------------------------------------------------
# Keeping a referral's clocks in step


# The parts above this one that record what meets a clock (investigations, safeguarding) each
# register a function that reads it for a referral: ``{"allocated_at": …, "reviews": …}``.
ClockFacts = Callable[[Referral], dict]
_clock_facts: list[ClockFacts] = []


def clock_facts(read: ClockFacts) -> ClockFacts:
    """Register ``read(referral)``, which returns some of ``rules.ClockInputs``' fields."""
    if read not in _clock_facts:
        _clock_facts.append(read)
    return read


def clock_inputs(
    referral: Referral, *, new: bool = False, assessments: list[Assessment] | None = None
) -> rules.ClockInputs:
    """What has happened to the referral, as the pure clock rules read it; for a referral joined
    into an investigation, with what its other referrals hold (``rules.joined``).

    ``new``: the referral was stored in this transaction and nothing has been recorded on it
    but its grading (an import), so nothing the registered readers read exists yet: they are
    not asked, and ``rules.ClockInputs``' empty values stand (a test holds that every reader
    answers those for a new referral). ``assessments``: with ``new``, the referral's
    assessments as the import just made them (in order), which are then not read back.
    """
    own = _own_inputs(referral, new=new, assessments=assessments)
    if referral.investigation_id is None:
        return own
    members = Referral.objects.filter(investigation_id=referral.investigation_id).exclude(
        pk=referral.pk
    )
    lead = referral.investigation.lead_id == referral.pk
    return rules.joined(
        own,
        [_own_inputs(member) for member in members],
        lead=lead,
        grades=list(risk_services.active_policy().grades),
    )


def _own_inputs(
    referral: Referral, *, new: bool = False, assessments: list[Assessment] | None = None
) -> rules.ClockInputs:
    if new and assessments is not None:
        assessments = [
            {
                # As the database gives it back.
                "assessed_at": item.assessed_at.astimezone(UTC),
                "provisional": item.provisional,
                "answers": item.answers,
                "is_current": item.is_current,
            }
            for item in sorted(assessments, key=lambda item: (item.assessed_at, item.pk))
        ]
    else:
        assessments = list(
            Assessment.objects.filter(referral=referral)
            .order_by("assessed_at", "id")
            .values("assessed_at", "provisional", "answers", "is_current")
        )
    periods, since = [], None
    for item in assessments:
        if item["provisional"] and since is None:
            since = item["assessed_at"]
        elif not item["provisional"] and since is not None:
            periods.append((since, item["assessed_at"]))
            since = None
    if since is not None:
        periods.append((since, None))
    current = next((item for item in assessments if item["is_current"]), None)
    yes_since = {}
    if current:
        for code, fact in current["answers"].items():
            if fact["answer"] == "yes":
                at = fact.get("at")
                yes_since[code] = datetime.fromisoformat(at) if at else current["assessed_at"]
    facts = {}
    for read in () if new else _clock_facts:
        facts.update(read(referral))
    transfers = (
        []
        if new
        else list(
            Transfer.objects.filter(referral=referral)
            .order_by("transferred_at", "id")
            .values_list("pk", "transferred_at", "answered_at", "to_force_id", "status")
        )
    )
    return rules.ClockInputs(
        transfers=tuple(item[:4] for item in transfers),
        accepted_transfers=tuple(
            item[2] for item in transfers if item[4] == TransferStatus.ACCEPTED
        ),
        received_at=referral.received_at,
        grade=referral.grade or None,
        graded_at=assessments[0]["assessed_at"] if assessments else None,
        imported_at=referral.imported_at,
        provisional_periods=tuple(periods),
        yes_since=yes_since,
        is_open=referral.status != ReferralStatus.CLOSED,
        **facts,
    )


def sync_clocks(
    referral: Referral,
    *,
    as_of: datetime,
    new: bool = False,
    assessments: list[Assessment] | None = None,
    defer: list[Clock] | None = None,
) -> list[Clock]:
    """Bring the referral's clocks in line with its grade, facts and actions.

    Runs in the caller's transaction. A clock already overdue never gets a later due time; a
    clock no longer called for (a fact corrected away) is cancelled, with the reason, not deleted.
    ``new``: the referral was stored in this transaction, with no clocks and nothing recorded on
    it but its grading (see ``clock_inputs``), whose ``assessments`` the caller may hand over.
    ``defer``: the new clocks are put on this list, for the caller to store (``add_clocks``)
    with others in the same transaction, instead of inserted here.
    """
    table, escalation = clock_tables()
    planned = rules.plan(
        clock_inputs(referral, new=new, assessments=assessments),
        table,
        risk_services.active_policy().key,
    )
    existing = {
        (clock.kind, clock.cycle): clock
        # No lock of their own: every writer of a referral's clocks holds the referral's row.
        for clock in ([] if new else Clock.objects.filter(referral=referral))
    }
    kept, added = [], []
    for item in planned:
        clock = existing.pop((item.kind, item.cycle), None)
        previous_due = clock.due_at if clock and clock.met_at is None else None
        due_at = rules.keep_breach(previous_due, item.due_at, as_of)
        level = clock.escalation_level if clock else 0
        fields = {
            "rule": item.rule[:300],
            "about": item.about[:210],
            "started_at": item.started_at,
            "due_at": due_at,
            "due_soon_at": rules.due_soon_at(item.started_at, due_at, escalation),
            "next_escalation_at": rules.next_escalation_at(
                item.started_at, due_at, level, escalation
            ),
            "met_at": item.met_at,
            "cancelled_at": item.cancelled_at,
            "cancel_reason": item.cancel_reason[:300],
            "is_open": item.met_at is None and item.cancelled_at is None,
            **_copied(referral),
        }
        if item.owner_id is not None:
            # A duty of someone else's (an action agreed at a strategy discussion) is on their
            # list and reaches them when it escalates.
            fields["owner_id"] = item.owner_id
        if item.force is not None and item.force != referral.force_id:
            # Another force's duty (answering a transfer): its people, not the holder's.
            fields.update(force_id=item.force, owner_id=None, team="")
        if clock is None:
            added.append(Clock(referral=referral, kind=item.kind, cycle=item.cycle, **fields))
            continue
        if any(getattr(clock, name) != value for name, value in fields.items()):
            for name, value in fields.items():
                setattr(clock, name, value)
            clock.save()
        kept.append(clock)
    if defer is not None:
        defer.extend(added)
        kept.extend(added)
    else:
        kept.extend(Clock.objects.bulk_create(added))
    reason = (
        "the referral was closed"
        if referral.status == ReferralStatus.CLOSED
        else "no longer called for by the referral's facts or grade"
    )
    for clock in existing.values():
        if clock.is_open:
            clock.is_open = False
            clock.cancelled_at = as_of
            clock.cancel_reason = (
                f"carried by {referral.investigation.lead.source_reference}, which leads the "
                "investigation this referral was joined into"
                if referral.investigation_id and clock.kind in rules.SHARED_DUTIES
                else reason
            )[:300]
            clock.save()
    return kept


def add_clocks(clocks: list[Clock]) -> None:
    """Store clocks ``sync_clocks`` left to the caller (``defer``), in order, with one insert."""
    Clock.objects.bulk_create(clocks)


@after_every_change(order=20)
def sync_after_change(change: Change) -> None:
    """Every change brings the referral's clocks in line, after its grade: for a referral joined
    into an investigation, every member's, since the lead's duties read them all."""
    referral = change.referral
    if referral.investigation_id is None:
        sync_clocks(referral, as_of=change.as_of)
        return
    # Every writer of a joined referral's clocks holds the investigation's row (taken after
    # the referral's own, so the order is always the same).
    Investigation.objects.select_for_update().filter(pk=referral.investigation_id).first()
    for member in Referral.objects.filter(investigation_id=referral.investigation_id).order_by(
        "pk"
    ):
        sync_clocks(member, as_of=change.as_of)


def _copied(referral: Referral) -> dict:
    return {
        "force_id": referral.force_id,
        "owner_id": referral.owner_id,
        "team": referral.team,
        "grade": referral.grade,
        "grade_rank": GRADE_RANK.get(referral.grade, 0),
        "is_restricted": referral.is_restricted,
    }


# ---------------------------------------------------------------------------------------------
# Reading clocks


def clock_view(clock: Clock, as_of: datetime, escalation: rules.Escalation) -> dict:
    if clock.cancelled_at and clock.cancelled_at <= as_of:
        state = rules.State("cancelled", clock.due_soon_at, timedelta(0), 0, None)
    else:
        state = rules.state_of(clock.started_at, clock.due_at, clock.met_at, as_of, escalation)
    return {
        "kind": clock.kind,
        "text": clock.duty,
        "cycle": clock.cycle,
        "rule": clock.rule,
        "started_at": clock.started_at.isoformat(),
        "due_at": clock.due_at.isoformat(),
        "met_at": clock.met_at.isoformat() if clock.met_at else None,
        "state": state.state,
        "overdue_by_seconds": int(state.overdue_by.total_seconds()),
        "escalation_level": state.level,
        "cancel_reason": clock.cancel_reason,
    }


def referral_clocks(referral: Referral, *, as_of: datetime) -> list[dict]:
    """Every clock of a referral as of a moment (for the timeline, the API and the CLI)."""
    escalation = clock_tables()[1]
    clocks = (
        Clock.objects.filter(referral=referral, started_at__lte=as_of)
        .select_related("owner")
        .order_by("started_at", "kind", "cycle")
    )
    return [
        clock_view(clock, as_of, escalation)
        | {"owner": clock.owner.username if clock.owner else None}
        for clock in clocks
    ]


def _ordered(clocks, as_of: datetime):
    """Overdue first, then due soon, then due; within each, the highest grade first, then the
    earliest due. Low-risk clocks sit in the same list as very-high ones."""
    state_rank = Case(
        When(due_at__lte=as_of, then=Value(0)),
        When(due_soon_at__lte=as_of, then=Value(1)),
        default=Value(2),
        output_field=IntegerField(),
    )
    return clocks.annotate(state_rank=state_rank).order_by(
        "state_rank", "-grade_rank", "due_at", "id"
    )


def _open(clocks, as_of: datetime):
    """Clocks open at ``as_of``. Now, that is the indexed ``is_open``; at another moment, the
    clocks started by then and not yet met or cancelled then."""
    if as_of >= timezone.now() - timedelta(minutes=1):
        return clocks.filter(is_open=True)
    return (
        clocks.filter(started_at__lte=as_of)
        .filter(Q(met_at__isnull=True) | Q(met_at__gt=as_of))
        .filter(Q(cancelled_at__isnull=True) | Q(cancelled_at__gt=as_of))
    )


def _scoped(actor: Actor, scope: str, force_code: str = ""):
    """The clocks on a worklist: the duties of the force that holds each referral, of the
    referrals this actor may see (a force that transferred a referral away still sees it, but
    its duties are the receiving force's)."""
    clocks = Clock.objects.restrict(actor, Action.WORKLIST_VIEW)
    if is_system(actor):
        return clocks.filter(force__code=force_code) if force_code else clocks
    clocks = clocks.filter(force_id=actor.force_id)
    if scope == "mine":
        return clocks.filter(owner=actor)
    if scope == "team":
        return clocks.filter(team=actor.team) if actor.team else clocks.none()
    return clocks


@dataclass(frozen=True)
class WorklistFilter:
    """What a worklist is narrowed to; an empty field narrows nothing. ``owner`` is a username
    (``"-"``: nobody yet); ``team`` a team's name as users carry it."""

    grade: str = ""
    duty: str = ""
    state: str = ""
    owner: str = ""
    team: str = ""

    def apply(self, clocks, as_of: datetime):
        if self.grade:
            clocks = clocks.filter(grade=self.grade)
        if self.duty:
            clocks = clocks.filter(kind=self.duty)
        if self.state:
            clocks = clocks.filter(_STATE_AT[self.state](as_of))
        if self.owner == "-":
            clocks = clocks.filter(owner__isnull=True)
        elif self.owner:
            clocks = clocks.filter(owner__username=self.owner)
        if self.team:
            clocks = clocks.filter(team=self.team)
        return clocks


_STATE_AT = {
    "overdue": lambda as_of: Q(due_at__lte=as_of),
    "due_soon": lambda as_of: Q(due_at__gt=as_of, due_soon_at__lte=as_of),
    "due": lambda as_of: Q(due_soon_at__gt=as_of),
}

# The duties a worklist may be narrowed to: every kind of clock.
WORKLIST_DUTIES = tuple(ClockKind.values)

# How a worklist may be sorted; "urgency" is the default order every list starts in.
WORKLIST_SORTS = {
    "urgency": gettext_lazy("Most urgent first"),
    "due": gettext_lazy("Due soonest first"),
    "grade": gettext_lazy("Highest grade first"),
    "received": gettext_lazy("Oldest referral first"),
    "referral": gettext_lazy("Referral reference"),
}


def worklist(
    actor: Actor,
    *,
    as_of: datetime,
    scope: str = "mine",
    force_code: str = "",
    limit: int = 200,
    offset: int = 0,
    narrow: WorklistFilter = WorklistFilter(),
    sort: str = "urgency",
) -> dict:
    """Open clocks for ``mine``, ``team`` or ``force``, most urgent first (or in ``sort``'s
    order), narrowed by ``narrow``, with counts of what is shown."""
    require(actor, Action.WORKLIST_VIEW)
    if scope == "force" and not is_system(actor):
        require(actor, Action.BREACHES_VIEW)
    if sort not in WORKLIST_SORTS:
        raise ValidationError(
            _("Sort by one of %(sorts)s, not %(sort)r.")
            % {"sorts": ", ".join(WORKLIST_SORTS), "sort": sort}
        )
    if narrow.state and narrow.state not in _STATE_AT:
        raise ValidationError(
            _("A state is one of %(states)s, not %(state)r.")
            % {"states": ", ".join(_STATE_AT), "state": narrow.state}
        )
    escalation = clock_tables()[1]
    open_clocks = narrow.apply(_open(_scoped(actor, scope, force_code), as_of), as_of)
    counts = open_clocks.aggregate(
        total=Count("id"),
        overdue=Count("id", filter=Q(due_at__lte=as_of)),
        due_soon=Count("id", filter=Q(due_at__gt=as_of, due_soon_at__lte=as_of)),
    )
    counts["due"] = counts["total"] - counts["overdue"] - counts["due_soon"]
    page = _listed(_sorted(open_clocks, as_of, sort))[offset : offset + limit]
    return {
        "as_of": as_of.isoformat(),
        "scope": scope,
        "sort": sort,
        "counts": counts,
        "items": _once_per_investigation(_items(list(page), as_of, escalation)),
    }


# An export is a working list, not a data extract: the most a spreadsheet of duties should hold.
EXPORT_LIMIT = 10_000
EXPORT_COLUMNS = [
    gettext_lazy("State"),
    gettext_lazy("Grade"),
    gettext_lazy("Referral"),
    gettext_lazy("Force"),
    gettext_lazy("Children in view"),
    gettext_lazy("Duty"),
    gettext_lazy("Owner"),
    gettext_lazy("Started"),
    gettext_lazy("Due"),
    gettext_lazy("Overdue by (hours)"),
    gettext_lazy("Escalation level"),
]


def worklist_csv(
    actor: Actor,
    *,
    as_of: datetime,
    scope: str = "mine",
    force_code: str = "",
    narrow: WorklistFilter = WorklistFilter(),
    sort: str = "urgency",
) -> bytes:
    """The worklist as shown (same scope, filters and order), every row up to
    ``EXPORT_LIMIT``, as CSV that a spreadsheet will not run; the export is audited."""
    shown = worklist(
        actor,
        as_of=as_of,
        scope=scope,
        force_code=force_code,
        narrow=narrow,
        sort=sort,
        limit=EXPORT_LIMIT,
    )
    rows = [
        [
            item["state"],
            item["grade"],
            item["source_reference"],
            item["force"],
            item["children"],
            item["clock_text"],
            item["owner"] or "",
            item["started_at"],
            item["due_at"],
            round(item["overdue_by_seconds"] / 3600, 1),
            item["escalation_level"],
        ]
        for item in shown["items"]
    ]
    record(
        actor,
        AuditAction.EXPORTED,
        object_type="worklist",
        object_id=scope,
        after={
            "export": "worklist",
            "scope": scope,
            "filters": {k: v for k, v in vars(narrow).items() if v},
            "sort": sort,
            "rows": len(rows),
            "as_of": as_of,
        },
    )
    # The headings in the reader's language; the values as stored (codes, not words).
    return csv_bytes([str(column) for column in EXPORT_COLUMNS], rows)


def _sorted(clocks, as_of: datetime, sort: str):
    if sort == "urgency":
        return _ordered(clocks, as_of)
    # Every order ends on the id, so a page never shows a clock twice or skips one.
    return clocks.order_by(
        *{
            "due": ("due_at",),
            "grade": ("-grade_rank", "due_at"),
            "received": ("referral__received_at", "due_at"),
            "referral": ("referral__source_reference", "due_at"),
        }[sort],
        "id",
    )


def _once_per_investigation(items: list[dict]) -> list[dict]:
    """Referrals joined into one investigation appear once, at their most urgent duty, with
    how many more of their duties are open on the page."""
    first: dict[int, dict] = {}
    kept = []
    for item in items:
        joined = item["investigation_id"]
        if joined is None:
            kept.append(item)
        elif joined in first:
            first[joined]["also_open"] += 1
        else:
            first[joined] = item
            kept.append(item)
    return kept


# What a row of a list shows of the clock's referral, force and owner, read in the clocks'
# own query (a join) rather than three more, and without the referral's other columns.
_LISTED = {
    "listed_reference": F("referral__source_reference"),
    "listed_investigation": F("referral__investigation_id"),
    "listed_flags": F("referral__flags"),
    "listed_force": F("force__code"),
    "listed_owner": F("owner__username"),
}


def _listed(clocks):
    """Clocks as ``_item`` reads them."""
    return clocks.annotate(**_LISTED)


def _items(clocks: list[Clock], as_of: datetime, escalation: rules.Escalation) -> list[dict]:
    # The children in view of the page's referrals, by the rule the referral page uses.
    children = children_counts({clock.referral_id for clock in clocks}, as_of=as_of)
    return [
        _item(clock, as_of, escalation) | {"children": children.get(clock.referral_id, 0)}
        for clock in clocks
    ]


def _item(clock: Clock, as_of: datetime, escalation: rules.Escalation) -> dict:
    """A row of a list of clocks, read with ``_listed``."""
    view = clock_view(clock, as_of, escalation)
    return {
        "referral_id": clock.referral_id,
        "source_reference": clock.listed_reference,
        "investigation_id": clock.listed_investigation,
        "also_open": 0,
        "force": clock.listed_force,
        "grade": clock.grade,
        "flags": clock.listed_flags,
        "clock": clock.kind,
        "clock_text": view["text"],
        "owner": clock.listed_owner,
        "started_at": view["started_at"],
        "due_at": view["due_at"],
        "state": view["state"],
        "overdue_by_seconds": view["overdue_by_seconds"],
        "escalation_level": view["escalation_level"],
    }


def breaches(actor: Actor, *, as_of: datetime, force_code: str = "", limit: int = 500) -> dict:
    """Every overdue clock in the force, highest escalation first."""
    require(actor, Action.BREACHES_VIEW)
    escalation = clock_tables()[1]
    overdue = _open(_scoped(actor, "force", force_code), as_of).filter(due_at__lte=as_of)
    # Ordered by the level the sweep has reached (at most a minute behind), highest first.
    items = _items(
        list(_listed(overdue).order_by("-escalation_level", "-grade_rank", "due_at", "id")[:limit]),
        as_of,
        escalation,
    )
    by_level = {
        str(row["escalation_level"]): row["count"]
        for row in overdue.values("escalation_level").annotate(count=Count("id"))
    }
    return {
        "as_of": as_of.isoformat(),
        "count": sum(by_level.values()),
        "by_level": {str(level): by_level.get(str(level), 0) for level in (1, 2, 3)},
        "items": items,
    }


def unallocated(actor: Actor, *, limit: int = 200):
    require(actor, Action.WORKLIST_VIEW)
    grade_rank = Case(
        *[When(grade=grade, then=Value(rank)) for grade, rank in GRADE_RANK.items()],
        default=Value(0),
        output_field=IntegerField(),
    )
    return (
        _held(actor)
        .filter(owner__isnull=True)
        .annotate(grade_rank=grade_rank)
        .order_by("-grade_rank", "received_at")[:limit]
    )


def provisional(actor: Actor, *, limit: int = 200):
    require(actor, Action.WORKLIST_VIEW)
    return _held(actor).filter(grade_provisional=True).order_by("received_at")[:limit]


def _held(actor: Actor):
    """Open referrals this actor may see that their force holds (not those it sent away)."""
    referrals = Referral.objects.restrict(actor, Action.WORKLIST_VIEW).exclude(
        status=ReferralStatus.CLOSED
    )
    return referrals if is_system(actor) else referrals.filter(force_id=actor.force_id)


def notifications_for(user):
    """A person's own escalation notifications, of referrals they may still see."""
    return (
        Notification.objects.restrict(user, Action.WORKLIST_VIEW)
        .filter(recipient=user)
        .select_related("referral")
    )


# ---------------------------------------------------------------------------------------------
# Escalation


def recipients(clock: Clock, reaches: tuple[str, ...]) -> list[User]:
    roles = {
        "supervisor": Role.SUPERVISOR,
        "unit_head": Role.UNIT_HEAD,
        "child_protection_lead": Role.CHILD_PROTECTION_LEAD,
    }
    found: dict[int, User] = {}
    if "owner" in reaches and clock.owner and clock.owner.is_active:
        found[clock.owner.pk] = clock.owner
    wanted = [roles[name] for name in reaches if name in roles]
    if wanted:
        for user in User.objects.filter(force_id=clock.force_id, role__in=wanted, is_active=True):
            found[user.pk] = user
    if clock.referral.is_restricted:
        # A restricted referral's breaches reach only the people named on it.
        named = set(clock.referral.named_people.values_list("user_id", flat=True))
        found = {pk: user for pk, user in found.items() if pk in named}
    return list(found.values())


def _who_is_told(
    clock: Clock, level: int, levels: dict, found: dict[int, list[User]]
) -> tuple[list[User], int | None]:
    """The people told of ``level``, and the level whose people they are.

    A level that reaches nobody goes to the first level above it that reaches someone (None:
    none does), so that a missing supervisor or a restricted referral's short list of named
    people never silently swallows a breach. ``found`` keeps each level's people for the sweep.
    """
    for candidate in sorted(number for number in levels if number >= level):
        if candidate not in found:
            found[candidate] = recipients(clock, levels[candidate].reaches)
        if found[candidate]:
            return found[candidate], candidate
    return [], None


def sweep(*, actor: Actor, as_of: datetime) -> Counter:
    """Escalate every overdue clock to the level it has reached, notifying each person once.

    Idempotent: a level's notifications are sent once; running the sweep again sends nothing
    new. A level that reaches nobody is sent further up and flagged on the clock. E-mails that
    failed are tried again once their wait is over.
    """
    escalation = clock_tables()[1]
    counts: Counter = Counter()
    levels = {level.level: level for level in escalation.levels}
    # Only clocks whose next level has come: the cost follows what changed, not the backlog.
    waiting = Clock.objects.filter(is_open=True, next_escalation_at__lte=as_of).select_related(
        "referral", "force", "owner"
    )
    for clock in waiting.iterator(chunk_size=500):
        reached, _sent_to = rules.level_at(clock.started_at, clock.due_at, as_of, escalation)
        if reached <= clock.escalation_level:
            continue
        with transaction.atomic():
            # The referral's row first, as every change takes it: the clock is then the sweep's
            # alone until it commits, and a change's sync never meets it half-escalated.
            Referral.objects.select_for_update(of=("self",)).filter(pk=clock.referral_id).first()
            fresh = Clock.objects.filter(pk=clock.pk, is_open=True).first()
            if fresh is None or fresh.escalation_level != clock.escalation_level:
                continue
            found: dict[int, list[User]] = {}
            unreached = []
            for level in range(clock.escalation_level + 1, reached + 1):
                told, sent_to = _who_is_told(clock, level, levels, found)
                if sent_to != level:
                    unreached.append({"level": level, "sent_to_level": sent_to})
                for user in told:
                    _note, created = Notification.objects.get_or_create(
                        referral_id=clock.referral_id,
                        clock=clock,
                        level=level,
                        recipient=user,
                        defaults=_message(clock, level, as_of, user, sent_to_level=sent_to),
                    )
                    counts["notifications"] += int(created)
            previous = clock.escalation_level
            every_unreached = [*clock.escalation_unreached, *unreached]
            Clock.objects.filter(pk=clock.pk).update(
                escalation_level=reached,
                next_escalation_at=rules.next_escalation_at(
                    clock.started_at, clock.due_at, reached, escalation
                ),
                escalation_unreached=every_unreached,
                escalation_reach=_reach(every_unreached, reached),
            )
            after = {"level": reached, "referral": clock.referral_id, "kind": clock.kind}
            if unreached:
                after["unreached"] = unreached
            record(
                actor,
                AuditAction.CLOCK_ESCALATED,
                clock,
                at=as_of,
                force_code=clock.force.code,
                before={"level": previous},
                after=after,
            )
            counts["escalated"] += 1
            counts["unreached_levels"] += len(unreached)
            counts["reached_nobody"] += int(
                any(item["sent_to_level"] is None for item in unreached)
            )
    counts.update(_send_pending_emails(as_of))
    return counts


def _reach(unreached: list[dict], level: int) -> str:
    # "Nobody" describes where the breach stands now: its latest level told no one at all. An
    # earlier level passed up stays on the record.
    if any(item["level"] == level and item["sent_to_level"] is None for item in unreached):
        return EscalationReach.NOBODY
    return EscalationReach.PASSED_UP if unreached else EscalationReach.EVERYONE


def _message(
    clock: Clock, level: int, as_of: datetime, recipient: User, *, sent_to_level: int | None = None
) -> dict:
    """The notification of a breach, in the recipient's language (their in-app notice and
    e-mail both keep it). No names or details of the case: only the reference and the duty,
    which the reader follows into Vigil."""
    local_due = timezone.localtime(clock.due_at)
    with translation.override(recipient.language or settings.LANGUAGE_CODE):
        facts = {
            "duty": clock.get_kind_display(),
            "duty_lower": clock.get_kind_display().lower(),
            "reference": clock.referral.source_reference,
            "force": clock.force.code,
            "grade": Grade(clock.grade).label.lower()
            if clock.grade in Grade.values
            else _("not set"),
            "due": formats.date_format(local_due, "d F Y H:i"),
            "level": level,
            "sent_to_level": sent_to_level,
        }
        subject = _("Vigil: %(duty_lower)s overdue on %(reference)s (level %(level)s)") % facts
        body = (
            _(
                "%(duty)s for referral %(reference)s (%(force)s, grade %(grade)s) was due "
                "%(due)s and is overdue. It has reached escalation level %(level)s."
            )
            % facts
            + "\n\n"
        )
        if sent_to_level and sent_to_level != level:
            body += (
                _(
                    "Nobody at level %(level)s could be told, so it comes to you at level "
                    "%(sent_to_level)s."
                )
                % facts
                + "\n\n"
            )
        body += (
            _("Open it in Vigil: %(address)s")
            % {"address": f"{settings.VIGIL_BASE_URL}/referrals/{clock.referral_id}/"}
            + "\n"
        )
    return {
        "created_at": as_of,
        "subject": subject[:300],
        "body": body,
        "email_next_try_at": as_of,
    }


@after_every_change(order=30)
def tell_after_change(change: Change) -> None:
    """Whatever made a new link (research, a supplementary report, a person or a name and date
    of birth recorded), the other referral's holders hear of it in the same transaction."""
    if change.links:
        told = tell_of_new_links(change.links, as_of=change.as_of)
        change.after = {**(change.after or {}), "links": len(change.links), "holders_told": told}


def tell_of_new_links(links, *, as_of: datetime) -> int:
    """Tell the holders of each referral a new link reaches (its owner and its force's
    supervisors; a restricted referral's named people only), in the app and by e-mail.

    They are told about their own referral and the reason; the referral that made the link is
    named only by its force unless they may open it. Runs in the caller's transaction: the
    notices stand or fall with the link. Returns how many people were told.
    """
    told = 0
    for link in links:
        theirs = Referral.objects.select_related("force", "owner").get(pk=link.linked_referral_id)
        ours = Referral.objects.select_related("force").get(pk=link.referral_id)
        for user in _holders(theirs):
            can_open = Referral.objects.restrict(user).filter(pk=ours.pk).exists()
            subject, body = _link_message(link, theirs, ours, can_open, user)
            Notification.objects.create(
                referral=theirs,
                level=0,
                recipient=user,
                created_at=as_of,
                subject=subject[:300],
                body=body,
                email_next_try_at=as_of,
            )
            told += 1
    return told


def _link_message(link, theirs: Referral, ours: Referral, can_open: bool, user: User):
    """The subject and body telling a holder of a new link, in their language."""
    with translation.override(user.language or settings.LANGUAGE_CODE):
        facts = {
            "ours": ours.source_reference,
            "theirs": theirs.source_reference,
            "force": ours.force.code,
            "force_name": ours.force.name,
            "reason": link.get_reason_display().lower(),
            "matched_on": link.matched_on,
        }
        found_in = (
            _("referral %(ours)s held by %(force)s")
            if can_open
            else _("a referral held by %(force)s")
        ) % facts
        subject = _("Vigil: new link to your referral %(theirs)s") % facts
        body = (
            _(
                "Research on %(found_in)s found someone who matches a person in your referral "
                "%(theirs)s: %(reason)s (%(matched_on)s)."
            )
            % (facts | {"found_in": found_in})
            + "\n\n"
        )
        if not can_open:
            body += _("Ask %(force_name)s (%(force)s) for what they hold.") % facts + "\n\n"
        body += (
            _("Open it in Vigil: %(address)s")
            % {"address": f"{settings.VIGIL_BASE_URL}/referrals/{theirs.pk}/"}
            + "\n"
        )
    return subject, body


def _holders(referral: Referral) -> list[User]:
    found = {
        user.pk: user
        for user in User.objects.filter(
            force_id=referral.force_id, role=Role.SUPERVISOR, is_active=True
        )
    }
    if referral.owner is not None and referral.owner.is_active:
        found[referral.owner.pk] = referral.owner
    if referral.is_restricted:
        named = set(referral.named_people.values_list("user_id", flat=True))
        found = {pk: user for pk, user in found.items() if pk in named}
    return list(found.values())


# A mail server that fails this many e-mails in a row is taken to be down: the rest wait for
# the next sweep rather than each waiting out its own time-out.
SERVER_DOWN_AFTER = 3


def _send_pending_emails(as_of: datetime) -> Counter:
    """Send every e-mail whose (next) try has come, recording how each went on its notification."""
    counts: Counter = Counter()
    due = (
        Notification.objects.filter(
            email_state__in=(EmailState.WAITING, EmailState.RETRYING),
            email_next_try_at__lte=as_of,
        )
        # Those waiting for their recipient's daily digest go with it (``send_digests``).
        .exclude(_held_for_digest())
        .order_by("email_next_try_at", "id")
        .values_list("pk", flat=True)
    )
    pending = list(due)
    server_failures = 0
    for tried, pk in enumerate(pending, start=1):
        with transaction.atomic():
            # Locked and read again: an administrator may have tried it meanwhile.
            note = (
                Notification.objects.select_for_update(of=("self",))
                .select_related("recipient")
                .filter(
                    pk=pk,
                    email_state__in=(EmailState.WAITING, EmailState.RETRYING),
                    email_next_try_at__lte=as_of,
                )
                .first()
            )
            if note is None:
                continue
            server_failed = _email(note, as_of)
        counts[_EMAIL_COUNTS[note.email_state]] += 1
        server_failures = server_failures + 1 if server_failed else 0
        if server_failures >= SERVER_DOWN_AFTER:
            counts["email_postponed"] = len(pending) - tried
            break
    return counts


# Escalations at this level and above (to supervisors, unit heads and the force's lead) are
# e-mailed at once even to someone who asked for a daily digest: a breach that has reached them
# must not wait a day to be read.
DIGEST_HOLDS_BELOW_LEVEL = 2


def _held_for_digest() -> Q:
    return Q(
        email_state=EmailState.WAITING,
        recipient__email_digest=True,
        level__lt=DIGEST_HOLDS_BELOW_LEVEL,
    )


def send_digests(as_of: datetime) -> Counter:
    """One e-mail to each person who asked for a daily digest, listing every notification
    held for it; a digest the mail server fails is not kept for tomorrow: its notifications
    are tried again one by one, as any failed e-mail is."""
    counts: Counter = Counter()
    held = Notification.objects.filter(_held_for_digest(), email_next_try_at__lte=as_of)
    for recipient_id in sorted(set(held.values_list("recipient_id", flat=True))):
        with transaction.atomic():
            notes = list(
                held.filter(recipient_id=recipient_id)
                .select_for_update(of=("self",))
                .select_related("recipient")
                .order_by("created_at", "id")
            )
            if not notes:
                continue
            state = _email_digest(notes, as_of)
        counts["digests_" + _EMAIL_COUNTS[state]] += 1
        counts["digest_notifications"] += len(notes)
    return counts


def _email_digest(notes: list[Notification], as_of: datetime) -> str:
    recipient = notes[0].recipient
    with translation.override(recipient.language or settings.LANGUAGE_CODE):
        count = {"count": len(notes)}
        subject = (
            ngettext(
                "Vigil: your daily digest, %(count)s notification",
                "Vigil: your daily digest, %(count)s notifications",
                len(notes),
            )
            % count
        )
        body = (
            ngettext(
                "Since your last digest, %(count)s notification (each is also in Vigil under "
                "Notifications):",
                "Since your last digest, %(count)s notifications (each is also in Vigil under "
                "Notifications):",
                len(notes),
            )
            % count
            + "\n\n"
            + "\n".join(
                f"{n}. {note.subject}\n\n"
                + "\n".join(f"   {line}" for line in note.body.splitlines())
                for n, note in enumerate(notes, start=1)
            )
            + "\n\n"
            + _("Change how you are told: %(address)s")
            % {"address": f"{settings.VIGIL_BASE_URL}/accounts/settings/"}
            + "\n"
        )
    fields, _server_failed = _send(subject, body, recipient.email, attempts=1, as_of=as_of)
    if recipient.email:
        fields |= {"email_tried_at": as_of, "email_attempts": F("email_attempts") + 1}
    Notification.objects.filter(pk__in=[note.pk for note in notes]).update(**fields)
    return fields["email_state"]


def unread_count(user) -> int:
    """How many of a person's notifications they have not read (the header's count)."""
    if not getattr(user, "is_authenticated", False):
        return 0
    return notifications_for(user).filter(read_at__isnull=True).count()


_EMAIL_COUNTS = {
    EmailState.SENT: "emailed",
    EmailState.RETRYING: "email_failed",
    EmailState.FAILED: "email_given_up",
    EmailState.NO_ADDRESS: "email_no_address",
}


def _email(note: Notification, as_of: datetime) -> bool:
    """Try one notification's e-mail once and record how it went on the notification.

    Returns whether the mail server failed (rather than this message or its recipient).
    """
    address = note.recipient.email
    if address:
        note.email_attempts += 1
        note.email_tried_at = as_of
    fields, server_failed = _send(
        note.subject, note.body, address, attempts=note.email_attempts, as_of=as_of
    )
    for name, value in fields.items():
        setattr(note, name, value)
    note.save(
        update_fields=[
            "email_state",
            "email_attempts",
            "email_error",
            "email_tried_at",
            "email_next_try_at",
            "emailed_at",
        ]
    )
    return server_failed


def _send(subject: str, body: str, address: str, *, attempts: int, as_of: datetime):
    """Send one e-mail once (its ``attempts``-th try): what the notifications it carries record
    of how it went, and whether the mail server failed (rather than this message or address)."""
    if not address:
        # Not tried again by itself: nothing changes until someone gives the person an address.
        return {
            "email_state": EmailState.NO_ADDRESS,
            "email_error": "the recipient has no e-mail address",
            "email_next_try_at": None,
        }, False
    try:
        send_mail(subject, body, None, [address])
    except ValueError as error:
        # Django refuses the address or a header (BadHeaderError) before anything is sent:
        # every later try would be refused the same way.
        return {
            "email_state": EmailState.FAILED,
            "email_error": _short_error(error),
            "email_next_try_at": None,
        }, False
    except OSError as error:
        # smtplib.SMTPException, socket and TLS errors, a full disk for the file backend:
        # the server or the disk may be back later.
        retry_at = rules.email_retry_at(attempts, as_of)
        return {
            "email_state": EmailState.RETRYING if retry_at else EmailState.FAILED,
            "email_error": _short_error(error),
            "email_next_try_at": retry_at,
        }, True
    return {
        "email_state": EmailState.SENT,
        "emailed_at": as_of,
        "email_error": "",
        "email_next_try_at": None,
    }, False


def _short_error(error: Exception) -> str:
    """The server's code and words, or the error's: one line, short enough to list."""

    def text(value) -> str:
        return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)

    if isinstance(error, smtplib.SMTPRecipientsRefused):
        detail = "; ".join(f"{code} {text(words)}" for code, words in error.recipients.values())
    elif isinstance(error, smtplib.SMTPResponseException):
        detail = f"{error.smtp_code} {text(error.smtp_error)}"
    else:
        detail = text(error)
    message = f"{type(error).__name__}: {detail}" if detail else type(error).__name__
    return " ".join(message.split())[:200]


# ---------------------------------------------------------------------------------------------
# What escalation could not do: e-mails not sent, levels that reached nobody


def mail_failures(actor: Actor, *, limit: int = 200) -> list[dict]:
    """E-mails that did not reach their recipient: still being tried, given up, or no address.

    For administrators, who see no referrals: each shows the reference (not even that, for a
    restricted referral), the duty and the recipient, never anyone named in a case.
    """
    require(actor, Action.MAIL_VIEW)
    notes = (
        Notification.objects.filter(email_state__in=EMAIL_NOT_SENT)
        .select_related("recipient", "clock", "referral__force")
        .order_by("-created_at", "-id")[:limit]
    )
    return [_mail_failure(note) for note in notes]


def _mail_failure(note: Notification) -> dict:
    referral = note.referral
    reference = _("a restricted referral") if referral.is_restricted else referral.source_reference
    return {
        "id": note.pk,
        "recipient": note.recipient.username,
        "recipient_email": note.recipient.email,
        "force": referral.force.code,
        "reference": reference,
        "duty": (
            note.clock.get_kind_display() if note.clock else _("New link to another referral")
        ),
        "level": note.level,
        "subject": note.subject.replace(referral.source_reference, reference),
        "state": note.email_state,
        "state_text": note.get_email_state_display(),
        "attempts": note.email_attempts,
        "last_error": note.email_error,
        "last_tried_at": note.email_tried_at,
        "next_try_at": note.email_next_try_at,
        "created_at": note.created_at,
    }


def retry_email(actor: Actor, notification_id: int, *, as_of: datetime) -> dict:
    """Try once more, now, an e-mail that could not be sent (an administrator's retry, audited).

    One still being tried keeps its schedule if this try fails too; one given up stays given
    up. A recipient who still has no address is told so again.
    """
    require(actor, Action.MAIL_VIEW)
    with transaction.atomic():
        note = (
            Notification.objects.select_for_update(of=("self",))
            .select_related("recipient", "clock", "referral__force")
            .filter(pk=notification_id)
            .first()
        )
        if note is None:
            raise Http404("No such e-mail.")
        if note.email_state not in EMAIL_NOT_SENT:
            raise ValidationError(
                _("This e-mail is %(state)s: there is nothing to try again.")
                % {"state": note.get_email_state_display().lower()}
            )
        before = _email_record(note)
        _email(note, as_of)
        record(
            actor,
            AuditAction.MAIL_RETRIED,
            note,
            at=as_of,
            force_code=note.referral.force.code,
            before=before,
            after=_email_record(note),
            referral_id=note.referral_id,
        )
    return _mail_failure(note)


def _email_record(note: Notification) -> dict:
    return {
        "recipient": note.recipient.username,
        "state": note.email_state,
        "attempts": note.email_attempts,
        "error": note.email_error,
    }


def breach_report(actor: Actor, *, as_of: datetime, force_code: str = "", limit: int = 500) -> dict:
    """Every breach in the force (``breaches``), each with the levels that reached nobody,
    and apart, first, the breaches whose escalation reached nobody at all."""
    report = breaches(actor, as_of=as_of, force_code=force_code, limit=limit)
    escalation = clock_tables()[1]
    flagged = (
        _listed(_open(_scoped(actor, "force", force_code), as_of))
        .filter(due_at__lte=as_of)
        .exclude(escalation_reach=EscalationReach.EVERYONE)
        .order_by("-escalation_level", "-grade_rank", "due_at", "id")[:limit]
    )
    by_clock = {(c.referral_id, c.kind, c.due_at.isoformat()): c for c in flagged}
    for item in report["items"]:
        clock = by_clock.get((item["referral_id"], item["clock"], item["due_at"]))
        item.update(_reach_of(clock))
    report["reached_nobody"] = [
        _item(clock, as_of, escalation) | _reach_of(clock)
        for clock in by_clock.values()
        if clock.escalation_reach == EscalationReach.NOBODY
    ]
    return report


def _reach_of(clock: Clock | None) -> dict:
    unreached = clock.escalation_unreached if clock else []
    return {
        "unreached": [
            {
                "level": item["level"],
                "sent_to_level": item["sent_to_level"],
                "text": (
                    _("level %(level)s reached nobody: sent to level %(sent_to_level)s")
                    if item["sent_to_level"]
                    else _("level %(level)s reached nobody at all")
                )
                % item,
            }
            for item in unreached
        ],
        "reached_nobody": bool(clock and clock.escalation_reach == EscalationReach.NOBODY),
    }


# ---------------------------------------------------------------------------------------------
# Background jobs


def job_done_since(name: str, day) -> bool:
    """Whether the job has run to the end as of that day or later."""
    return JobRun.objects.filter(name=name, outcome="done", as_of__date__gte=day).exists()


class JobBusy(RuntimeError):
    pass


def run_job(name: str, *, as_of: datetime, work, stale_after: timedelta = timedelta(minutes=30)):
    """Run ``work()`` under a lock so two runs of the same job never overlap; record the run."""
    holder = f"{socket.gethostname()}:{timezone.now().timestamp()}"
    JobLock.objects.get_or_create(name=name)
    now = timezone.now()
    taken = (
        JobLock.objects.filter(name=name)
        .filter(Q(holder="") | Q(acquired_at__lt=now - stale_after))
        .update(holder=holder, acquired_at=now)
    )
    if not taken:
        raise JobBusy(f"{name} is already running")
    run = JobRun.objects.create(name=name, started_at=now, as_of=as_of)
    try:
        detail = work()
        run.outcome = "done"
        run.detail = {key: value for key, value in dict(detail or {}).items()}
        return detail
    except Exception:
        run.outcome = "failed"
        raise
    finally:
        run.finished_at = timezone.now()
        run.save()
        JobLock.objects.filter(name=name, holder=holder).update(holder="", acquired_at=None)


def queue_once(name: str, period: str, *, as_of: datetime, enqueue) -> str | None:
    """Queue a periodic task for one period unless some worker already has: ``enqueue()`` runs
    in the same transaction as the period's record, so either both are kept or neither. Returns
    the queued task's id, or None when the period's task was queued already."""
    try:
        with transaction.atomic():
            claim = PeriodicTaskQueued.objects.create(
                name=name, period=period, task_id="", queued_at=as_of
            )
            queued = enqueue()
            claim.task_id = str(queued.id)
            claim.save(update_fields=["task_id"])
    except IntegrityError:
        return None
    return claim.task_id


def forget_periodic_before(moment: datetime) -> int:
    """Forget the periods queued before ``moment`` (no worker queues a past period again)."""
    deleted, _by_model = PeriodicTaskQueued.objects.filter(queued_at__lt=moment).delete()
    return deleted
