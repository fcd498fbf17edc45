"""Putting clocks on referrals, worklists, and escalating every breach until someone acts.

The arithmetic is pure (``rules.py``); this module reads what has happened to a referral,
keeps its ``Clock`` rows in step, and sends each escalation exactly once.
"""

import socket
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import cache

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Case, Count, IntegerField, Q, Value, When
from django.utils import timezone

from vigil.accounts.actors import Actor
from vigil.accounts.models import User
from vigil.audit.choices import AuditAction
from vigil.audit.services import record
from vigil.core.actors import is_system
from vigil.core.permissions import require
from vigil.core.roles import Action, Role
from vigil.referrals.changes import Change, after_every_change
from vigil.referrals.choices import ReferralStatus
from vigil.referrals.models import Referral
from vigil.risk import services as risk_services
from vigil.risk.choices import Grade
from vigil.risk.models import Assessment

from . import rules
from .models import Clock, JobLock, JobRun, Notification

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


def clock_inputs(referral: Referral) -> rules.ClockInputs:
    """What has happened to the referral, as the pure clock rules read it."""
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
    for read in _clock_facts:
        facts.update(read(referral))
    return rules.ClockInputs(
        received_at=referral.received_at,
        grade=referral.grade or None,
        graded_at=assessments[0]["assessed_at"] if assessments else None,
        imported_at=referral.imported_at,
        provisional_periods=tuple(periods),
        yes_since=yes_since,
        is_open=referral.status != ReferralStatus.CLOSED,
        **facts,
    )


def sync_clocks(referral: Referral, *, as_of: datetime) -> list[Clock]:
    """Bring the referral's clocks in line with its grade, facts and actions.

    Runs in the caller's transaction. A clock already overdue never gets a later due time; a
    clock no longer called for (a fact corrected away) is cancelled, with the reason, not deleted.
    """
    table, escalation = clock_tables()
    planned = rules.plan(clock_inputs(referral), table, risk_services.active_policy().key)
    existing = {
        (clock.kind, clock.cycle): clock
        for clock in Clock.objects.select_for_update().filter(referral=referral)
    }
    kept, new = [], []
    for item in planned:
        clock = existing.pop((item.kind, item.cycle), None)
        previous_due = clock.due_at if clock and clock.met_at is None else None
        due_at = rules.keep_breach(previous_due, item.due_at, as_of)
        level = clock.escalation_level if clock else 0
        fields = {
            "rule": item.rule[:300],
            "started_at": item.started_at,
            "due_at": due_at,
            "due_soon_at": rules.due_soon_at(item.started_at, due_at, escalation),
            "next_escalation_at": rules.next_escalation_at(
                item.started_at, due_at, level, escalation
            ),
            "met_at": item.met_at,
            "cancelled_at": None,
            "cancel_reason": "",
            "is_open": item.met_at is None,
            **_copied(referral),
        }
        if clock is None:
            new.append(Clock(referral=referral, kind=item.kind, cycle=item.cycle, **fields))
            continue
        if any(getattr(clock, name) != value for name, value in fields.items()):
            for name, value in fields.items():
                setattr(clock, name, value)
            clock.save()
        kept.append(clock)
    kept.extend(Clock.objects.bulk_create(new))
    reason = (
        "the referral was closed"
        if referral.status == ReferralStatus.CLOSED
        else "no longer called for by the referral's facts or grade"
    )
    for clock in existing.values():
        if clock.is_open:
            clock.is_open = False
            clock.cancelled_at = as_of
            clock.cancel_reason = reason
            clock.save()
    return kept


@after_every_change(order=20)
def sync_after_change(change: Change) -> None:
    """Every change brings the referral's clocks in line, after its grade."""
    sync_clocks(change.referral, as_of=change.as_of)


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
        "text": clock.get_kind_display(),
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
    _, escalation = clock_tables()
    clocks = Clock.objects.filter(referral=referral, started_at__lte=as_of).order_by(
        "started_at", "kind", "cycle"
    )
    return [clock_view(clock, as_of, escalation) for clock in clocks]


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


def worklist(
    actor: Actor,
    *,
    as_of: datetime,
    scope: str = "mine",
    force_code: str = "",
    limit: int = 200,
    offset: int = 0,
) -> dict:
    """Open clocks for ``mine``, ``team`` or ``force``, most urgent first, with counts."""
    require(actor, Action.WORKLIST_VIEW)
    if scope == "force" and not is_system(actor):
        require(actor, Action.BREACHES_VIEW)
    _, escalation = clock_tables()
    open_clocks = _open(_scoped(actor, scope, force_code), as_of)
    counts = open_clocks.aggregate(
        total=Count("id"),
        overdue=Count("id", filter=Q(due_at__lte=as_of)),
        due_soon=Count("id", filter=Q(due_at__gt=as_of, due_soon_at__lte=as_of)),
    )
    counts["due"] = counts["total"] - counts["overdue"] - counts["due_soon"]
    page = _ordered(open_clocks, as_of).prefetch_related("referral", "force", "owner")[
        offset : offset + limit
    ]
    return {
        "as_of": as_of.isoformat(),
        "scope": scope,
        "counts": counts,
        "items": [_item(clock, as_of, escalation) for clock in page],
    }


def _item(clock: Clock, as_of: datetime, escalation: rules.Escalation) -> dict:
    view = clock_view(clock, as_of, escalation)
    return {
        "referral_id": clock.referral_id,
        "source_reference": clock.referral.source_reference,
        "force": clock.force.code,
        "grade": clock.grade,
        "flags": clock.referral.flags,
        "clock": clock.kind,
        "clock_text": clock.get_kind_display(),
        "owner": clock.owner.username if clock.owner else None,
        "started_at": view["started_at"],
        "due_at": view["due_at"],
        "state": view["state"],
        "overdue_by_seconds": view["overdue_by_seconds"],
        "escalation_level": view["escalation_level"],
    }


def breaches(actor: Actor, *, as_of: datetime, force_code: str = "", limit: int = 500) -> dict:
    """Every overdue clock in the force, highest escalation first."""
    require(actor, Action.BREACHES_VIEW)
    _, escalation = clock_tables()
    overdue = _open(_scoped(actor, "force", force_code), as_of).filter(due_at__lte=as_of)
    # Ordered by the level the sweep has reached (at most a minute behind), highest first.
    items = [
        _item(clock, as_of, escalation)
        for clock in overdue.prefetch_related("referral", "force", "owner").order_by(
            "-escalation_level", "-grade_rank", "due_at", "id"
        )[:limit]
    ]
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
        .select_related("clock__referral")
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


def sweep(*, actor: Actor, as_of: datetime) -> Counter:
    """Escalate every overdue clock to the level it has reached, notifying each person once.

    Idempotent: a level's notifications are sent once; running the sweep again sends nothing
    new. E-mails that failed are tried again on the next run.
    """
    _, escalation = clock_tables()
    counts: Counter = Counter()
    levels = {level.level: level for level in escalation.levels}
    # Only clocks whose next level has come: the cost follows what changed, not the backlog.
    waiting = Clock.objects.filter(is_open=True, next_escalation_at__lte=as_of).select_related(
        "referral", "force", "owner"
    )
    for clock in waiting.iterator(chunk_size=500):
        reached, _ = rules.level_at(clock.started_at, clock.due_at, as_of, escalation)
        if reached <= clock.escalation_level:
            continue
        with transaction.atomic():
            for level in range(clock.escalation_level + 1, reached + 1):
                for user in recipients(clock, levels[level].reaches):
                    _, created = Notification.objects.get_or_create(
                        clock=clock,
                        level=level,
                        recipient=user,
                        defaults=_message(clock, level, as_of),
                    )
                    counts["notifications"] += int(created)
            previous = clock.escalation_level
            Clock.objects.filter(pk=clock.pk).update(
                escalation_level=reached,
                next_escalation_at=rules.next_escalation_at(
                    clock.started_at, clock.due_at, reached, escalation
                ),
            )
            record(
                actor,
                AuditAction.CLOCK_ESCALATED,
                clock,
                at=as_of,
                force_code=clock.force.code,
                before={"level": previous},
                after={"level": reached, "referral": clock.referral_id, "kind": clock.kind},
            )
            counts["escalated"] += 1
    counts["emailed"] = _send_pending_emails(as_of)
    return counts


def _message(clock: Clock, level: int, as_of: datetime) -> dict:
    # No names or details of the case: only the reference and the duty, which the reader
    # follows into Vigil.
    local_due = timezone.localtime(clock.due_at)
    subject = (
        f"Vigil: {clock.get_kind_display().lower()} overdue on {clock.referral.source_reference}"
        f" (level {level})"
    )
    body = (
        f"{clock.get_kind_display()} for referral {clock.referral.source_reference} "
        f"({clock.force.code}, grade {clock.grade.replace('_', ' ') or 'not set'}) was due "
        f"{local_due:%d %B %Y %H:%M} and is overdue. It has reached escalation level {level}.\n\n"
        f"Open it in Vigil: {settings.VIGIL_BASE_URL}/referrals/{clock.referral_id}/\n"
    )
    return {"created_at": as_of, "subject": subject[:300], "body": body}


def _send_pending_emails(as_of: datetime) -> int:
    sent = 0
    pending = Notification.objects.filter(emailed_at__isnull=True).select_related("recipient")
    for note in pending.iterator(chunk_size=200):
        if not note.recipient.email:
            continue
        try:
            send_mail(note.subject, note.body, None, [note.recipient.email])
        except OSError:
            continue  # tried again on the next sweep
        Notification.objects.filter(pk=note.pk).update(emailed_at=as_of)
        sent += 1
    return sent


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
