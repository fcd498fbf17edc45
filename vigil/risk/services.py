"""Grading referrals, re-grading them when facts change, and overrides in the open.

The engine (``engine.py``) and the derivation (``derive.py``) are pure; this module reads the
referral's recorded facts into plain data, stores each assessment with its answers and policy
version, and keeps the grade in force honest.
"""

import random
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import cache, partial

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Exists, OuterRef, Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from vigil.accounts.actors import Actor
from vigil.accounts.models import User
from vigil.audit.choices import AuditAction as Audit
from vigil.audit.services import event as audit_event
from vigil.audit.services import record
from vigil.core.actors import actor_name, is_system
from vigil.core.permissions import require
from vigil.core.roles import Action
from vigil.people.children import Source
from vigil.people.models import History, Link, Person
from vigil.people.services import PeopleRecords, Plan, people_records
from vigil.referrals.changes import Change, RecordError, advance, after_every_change, changing
from vigil.referrals.choices import DERIVED_FLAGS, Flag, ReferralStatus
from vigil.referrals.models import Material, Referral
from vigil.referrals.recordings import recording

from . import engine
from .choices import Grade, OverrideStatus
from .derive import (
    HistoryRecord,
    MaterialRecord,
    ReferralRecord,
    SignalRecord,
    derive_facts,
    next_change,
)
from .models import Assessment, Override, PolicyVersion, QualityCheck, RegradeDue
from .policy import DEFAULT_POLICY, Policy, load_policy, parse_policy
from .schemas import DecisionIn, OverrideIn, QualityCheckIn

# A step recorded in this part, on its section of the referral page.
step = partial(recording, section="risk")

GRADES = Grade.values
# How many referrals one query of a long re-grade names (SQLite takes at most 32,766 values).
REGRADE_SLICE = 1000


def rank(grade: str) -> int:
    return GRADES.index(grade)


# ---------------------------------------------------------------------------------------------
# Policies


@cache
def _load(path: str) -> Policy:
    return load_policy(path)


def active_policy() -> Policy:
    """The policy in force: ``VIGIL_RISK_POLICY`` if set, else Vigil's default."""
    return _load(settings.VIGIL_RISK_POLICY or str(DEFAULT_POLICY))


@cache
def _parsed(text: str) -> Policy:
    return parse_policy(text)


def policy_of(version: PolicyVersion) -> Policy:
    """The policy exactly as an assessment used it (from the stored text)."""
    return _parsed(version.text)


_checked_versions: dict[str, PolicyVersion] = {}
# Policy texts whose row this process wrote and has not yet seen committed.
_written_here: set[str] = set()


def _stored_version(policy: Policy, as_of: datetime) -> PolicyVersion:
    # Checked once per process for each policy text. A row this process wrote is remembered
    # only once it is committed (a rolled-back first use must not leave a remembered row that
    # does not exist); a row it found, and did not write, is committed already (no transaction
    # sees another's uncommitted rows), so it is remembered at once: the first batch of an
    # import then asks once, not once per referral.
    known = _checked_versions.get(policy.sha256)
    if known is not None:
        return known
    version = PolicyVersion.objects.filter(policy_id=policy.id, version=policy.version).first()
    if version is None:
        try:
            with transaction.atomic():
                version = PolicyVersion.objects.create(
                    policy_id=policy.id,
                    version=policy.version,
                    sha256=policy.sha256,
                    text=policy.text,
                    first_used_at=as_of,
                )
        except IntegrityError:
            version = PolicyVersion.objects.get(policy_id=policy.id, version=policy.version)
        else:
            _written_here.add(policy.sha256)
            transaction.on_commit(lambda: _remember(policy.sha256, version))
            return version
    if version.sha256 != policy.sha256:
        # Reproducibility depends on one text per version.
        raise ValidationError(
            f"risk policy {policy.key} has changed since it was first used; give the changed "
            "policy a new version number"
        )
    if policy.sha256 in _written_here:
        transaction.on_commit(lambda: _remember(policy.sha256, version))
    else:
        _remember(policy.sha256, version)
    return version


def forget_policy_versions() -> None:
    """Forget every remembered policy row (the database was flushed or migrated)."""
    _checked_versions.clear()
    _written_here.clear()


def _remember(sha256: str, version: PolicyVersion) -> None:
    _checked_versions.setdefault(sha256, version)
    _written_here.discard(sha256)


# ---------------------------------------------------------------------------------------------
# Reading a referral's facts


def _referral_source(referral: Referral) -> Source:
    return Source(
        f"{referral.get_source_display()} referral {referral.source_reference}",
        referral.received_at,
    )


def _source(label: str, at, fallback: Source) -> Source:
    return Source(label, at) if label else fallback


def _utc(at):
    return at.astimezone(UTC) if at is not None else None


def _as_ordered(history: list[History]) -> list[History]:
    """History rows in their model's order (date, then id), with the database's place for an
    unknown date (last on PostgreSQL, first on SQLite)."""
    last = connection.features.nulls_order_largest
    return sorted(
        history,
        key=lambda h: ((h.date is None) == last, h.date or date.min, h.pk),
    )


@dataclass
class NewRows:
    """What an import wrote for a referral a moment ago, in this transaction, as it was
    written: its grading builds the referral's record from these instead of reading them back
    (``referral_record``). ``people`` is ``people.services.new_people_records``'s answer;
    ``linked``, the referrals its links reach."""

    people: PeopleRecords
    refs: dict[int, str]
    history: list[History]
    material: list[Material]
    linked: set[int]
    # The assessments ``assess_at_receipt`` makes, in order (for its clocks), and their audit
    # events, made but not stored: the import appends them with its batch's (``record_many``).
    assessments: list[Assessment] = field(default_factory=list)
    events: list = field(default_factory=list)
    # Where the import plans its rows to insert with its batch's (``people.services.Plan``):
    # the referral itself is planned (inserted with what its gradings set on it), and so are
    # the assessments, any override they hold for a supervisor and the re-grade index row.
    plan: Plan | None = None
    # The stored version of the policy in force, where the import has it (a referral stored
    # before this one in the same transaction was graded under it): not asked again.
    version: PolicyVersion | None = None


def referral_record(referral: Referral, new: NewRows | None = None) -> ReferralRecord:
    """Everything the policy may read about a referral, as plain data: its people and their
    ties (with what other referrals about the same suspect say), history, signals, material.
    ``new``: the rows of a referral just stored, in hand (the same record, without reading)."""
    received = _referral_source(referral)
    people = people_records(referral) if new is None else new.people
    if new is None:
        refs = dict(Person.objects.filter(referral=referral).values_list("pk", "ref"))
        history = History.objects.filter(person_id__in=refs)
        material = referral.material.all()
        possession = referral.possession.all()
    else:
        refs = new.refs
        history = _as_ordered(new.history)
        material = new.material
        # Nothing is found on a seized device before the referral exists.
        possession = ()
    recorded = referral.fact_sources or {}

    def signal_source(kind: str, value: str) -> Source:
        entry = recorded.get(f"{kind}:{value}")
        if entry:
            return Source(entry["source"], datetime.fromisoformat(entry["at"]))
        return received

    signals = [
        SignalRecord("indicator", v, signal_source("indicator", v)) for v in referral.indicators
    ]
    if referral.incident_type:
        signals.append(SignalRecord("incident_type", referral.incident_type, received))
    signals.extend(SignalRecord("annotation", v, received) for v in referral.annotations)
    return ReferralRecord(
        escalated=referral.escalated,
        escalation_reason=referral.escalation_reason,
        source=received,
        people=tuple(people.people),
        history=tuple(
            HistoryRecord(
                refs[h.person_id],
                h.type,
                h.outcome,
                h.date,
                _source(h.source, _utc(h.learned_at), received),
            )
            for h in history
        ),
        lives_with=tuple(people.lives_with),
        access=tuple(people.access),
        signals=tuple(signals),
        material=(
            *(
                MaterialRecord(
                    m.category, m.industry_classification, tuple(m.annotations), received
                )
                for m in material
            ),
            # Found afterwards (a triage of a seized device), with where it was found as its
            # source: the grade's explanation names the exhibit.
            *(
                MaterialRecord(p.category, count=p.count, source=Source(p.source, p.learned_at))
                for p in possession
            ),
        ),
        unknown_words=tuple(
            (warning["field"], warning["value"])
            for warning in referral.intake_warnings
            if not warning.get("resolved_to")
        ),
    )


# ---------------------------------------------------------------------------------------------
# Assessing


def current_assessment(referral: Referral) -> Assessment | None:
    return Assessment.objects.filter(referral=referral, is_current=True).first()


def assess(
    referral: Referral,
    *,
    actor: Actor,
    as_of: datetime,
    trigger: str,
    policy: Policy | None = None,
    recorded_at: datetime | None = None,
    facts: ReferralRecord | None = None,
    audit: bool = True,
    version: PolicyVersion | None = None,
    new: bool = False,
    current: Assessment | None = None,
    index: bool = True,
    plan: Plan | None = None,
) -> Assessment | None:
    """Grade the referral from its recorded facts; store a new assessment if anything changed.

    The grade is made as of ``as_of`` (ages and every answer that depends on the day, and the
    assessment's ``assessed_at``). ``recorded_at`` is when Vigil does it, if later: the audit
    event and the clocks' bookkeeping carry that time. Returns the new assessment, or None when
    the answers, the policy and the grade are all as they were. Runs in the caller's
    transaction (a change's, or an import's). With ``audit`` off, the caller writes the event
    from ``assessment.audit_before`` and ``assessment.audit_after``.

    ``new``: the referral was stored in this transaction by the caller, whose object holds its
    flags, and whose ``current`` is its current assessment (None before the first): neither is
    read back, and its grade, flags and status are set on the object only, for the caller to
    store. ``version``: the stored policy version, where the caller has it. Without ``index``,
    the re-grade index is left to a later grading in the same transaction. ``plan`` (with
    ``new``): the assessment and any override are planned for the caller to insert (see
    ``NewRows.plan``), not inserted here.
    """
    policy = policy or active_policy()
    recorded_at = recorded_at or as_of
    version = version or _stored_version(policy, recorded_at)
    facts = facts if facts is not None else referral_record(referral)
    result = engine.grade(derive_facts(facts, policy, as_of), policy, as_of)
    if index:
        _index(referral, version, next_change(facts, policy, as_of), plan=plan)
    answers = {code: fact.as_dict() for code, fact in result.answers.items()}
    previous = (
        current
        if new
        # Assessments are written only under the referral's lock (or in the import that made it).
        else Assessment.objects.filter(referral=referral, is_current=True).first()
    )
    changes = _changes(previous, answers, policy)
    if (
        previous is not None
        and not changes
        and previous.policy_id == version.pk
        and previous.engine_grade == result.grade
    ):
        return None

    held = previous is not None and rank(result.grade) < rank(previous.grade)
    user = None if is_system(actor) else actor
    assessment = Assessment(
        referral=referral,
        policy=version,
        assessed_at=as_of,
        assessed_by=user,
        assessed_by_name=actor_name(actor),
        trigger=trigger,
        changes=changes,
        engine_grade=result.grade,
        # A lower grade waits for a supervisor; a higher one takes effect at once.
        grade=previous.grade if held else result.grade,
        minimum_grade=result.minimum,
        step=result.step,
        step_text=result.step_text,
        provisional=result.provisional,
        missing=[{"code": code, "text": policy.question(code).text} for code in result.missing],
        reasons=[
            {"code": r.code, "text": r.text, "evidence": r.evidence, "kind": r.kind.value}
            for r in result.reasons
        ],
        floors=list(result.floors),
        answers=answers,
        flags=result.flags,
        sentence=result.sentence,
    )
    if plan is None:
        assessment.save(force_insert=True)
    else:
        plan(Assessment, [assessment])
    if previous is not None:
        previous.is_current = False
        if plan is None:
            previous.save(update_fields=["is_current"])
            previous.overrides.filter(status=OverrideStatus.PENDING).update(
                status=OverrideStatus.SUPERSEDED
            )
        # (Planned, it is inserted as it is now; it can have no override yet.)
    if held:
        override = Override(
            referral=referral,
            assessment=assessment,
            from_grade=previous.grade,
            proposed_grade=result.grade,
            reason=f"Re-graded ({trigger}): "
            + "; ".join(f"{c['text']}: {c['from']} → {c['to']}" for c in changes)
            if changes
            else f"Re-graded ({trigger}).",
            proposed_by=None,
            proposed_by_name="Vigil (re-grade)",
            proposed_at=as_of,
            status=OverrideStatus.PENDING,
        )
        if plan is None:
            override.save(force_insert=True)
        else:
            plan(Override, [override])
    _mirror(referral, assessment, new=new)
    # A provisional grade leaves the referral in research; a settled one moves it on.
    advance(referral, "researching" if assessment.provisional else "graded", write=not new)
    assessment.audit_before = {"grade": previous.grade} if previous else None
    assessment.audit_after = {
        "grade": assessment.grade,
        "engine_grade": assessment.engine_grade,
        "provisional": assessment.provisional,
        "policy": policy.key,
        "step": assessment.step,
        "trigger": trigger,
        "changes": changes,
        "assessed_at": as_of,
    }
    if audit:
        record(
            actor,
            Audit.REFERRAL_ASSESSED,
            referral,
            at=recorded_at,
            force_code=referral.force.code,
            before=assessment.audit_before,
            after=assessment.audit_after,
        )
    return assessment


def assess_at_receipt(
    referral: Referral, *, actor: Actor, as_of: datetime, new: NewRows | None = None
) -> Assessment:
    """Grade a newly stored referral as of its receipt, then carry it forward to ``as_of``.

    A referral imported after the day it was received (a backlog, a late import) is graded with
    everyone's age on the day it was received, so the grade at receipt and the clocks that run
    from it are what they should have been. If ages have moved on since, the re-grade to the
    import stores what changed exactly as the daily re-grade would: a higher grade at once, a
    lower one held for a supervisor. Runs in the caller's transaction.

    ``new``: the rows the import just wrote for the referral, which is built from them rather
    than read back (the same record; see ``NewRows``).
    """
    linked = None if new is None else new.linked
    if new is None or linked:
        # (A new referral has no row of its own yet.)
        lock_index_rows(referral, linked=linked)
    facts = referral_record(referral, new)
    received = min(referral.received_at, as_of)
    policy = active_policy()
    known = None if new is None else new.version
    version = known if known and known.sha256 == policy.sha256 else _stored_version(policy, as_of)
    first = assess(
        referral,
        actor=actor,
        as_of=received,
        recorded_at=as_of,
        trigger="imported",
        facts=facts,
        version=version,
        new=new is not None,
        audit=new is None,
        plan=None if new is None else new.plan,
        # Written by the carrying forward, when there is one (the same row, its last values).
        index=new is None or as_of <= received,
    )
    later = None
    if as_of > received:
        later = assess(
            referral,
            actor=actor,
            as_of=as_of,
            trigger="carried forward to the day of import",
            facts=facts,
            version=version,
            new=new is not None,
            audit=new is None,
            current=first,
            plan=None if new is None else new.plan,
        )
    if new is not None and new.plan is None:
        # What the gradings set on the new referral, stored once.
        Referral.objects.filter(pk=referral.pk).update(
            grade=referral.grade,
            grade_provisional=referral.grade_provisional,
            flags=referral.flags,
            status=referral.status,
        )
    # (Planned, the referral is inserted with them.)
    if new is not None:
        new.assessments.extend(item for item in (first, later) if item is not None)
        new.events.extend(
            audit_event(
                actor,
                Audit.REFERRAL_ASSESSED,
                referral,
                at=as_of,
                force_code=referral.force.code,
                before=item.audit_before,
                after=item.audit_after,
            )
            for item in new.assessments
        )
    mark_linked_due(referral, as_of=as_of, linked=linked)
    return first


# ---------------------------------------------------------------------------------------------
# The re-grade index: which open referrals the daily re-grade takes


def _index(referral: Referral, version: PolicyVersion, due_on, *, plan: Plan | None = None) -> None:
    """Keep the referral's row of the re-grade index (written with every assessment, under the
    referral's lock or in the import that made it). ``plan``: a new referral's row, planned for
    its import to insert (it has none yet)."""
    if plan is not None:
        plan(RegradeDue, [RegradeDue(referral_id=referral.pk, due_on=due_on, policy=version)])
        return
    if referral.status == ReferralStatus.CLOSED:
        RegradeDue.objects.filter(referral_id=referral.pk).delete()
        return
    RegradeDue.objects.bulk_create(
        [RegradeDue(referral_id=referral.pk, due_on=due_on, policy=version)],
        update_conflicts=True,
        unique_fields=["referral"],
        update_fields=["due_on", "policy"],
    )


def _linked_ids(referral: Referral) -> set[int]:
    linked = set(
        Link.objects.filter(referral_id=referral.pk).values_list("linked_referral_id", flat=True)
    ) | set(
        Link.objects.filter(linked_referral_id=referral.pk).values_list("referral_id", flat=True)
    )
    linked.discard(referral.pk)
    return linked


def lock_index_rows(referral: Referral, *, linked: set[int] | None = None) -> None:
    """Lock the re-grade index rows of this referral and of those linked to it, in id order,
    before writing them: a change that writes its own row and its links' rows takes them all
    this way, so two linked referrals changed at once wait for each other rather than each
    holding its own row and waiting for the other's (a deadlock, seen with concurrent writers).
    ``linked``: the referrals linked to it, where the caller knows them (a new referral's)."""
    wanted = (_linked_ids(referral) if linked is None else linked) | {referral.pk}
    list(
        RegradeDue.objects.select_for_update()
        .filter(referral_id__in=wanted)
        .order_by("referral_id")
        .only("pk")
    )


def mark_linked_due(referral: Referral, *, as_of: datetime, linked: set[int] | None = None) -> int:
    """Make the referrals deconfliction links to this one due for the next daily re-grade: what
    is recorded here (a child in the suspect's home) is read by their grades too. Returns how
    many were brought forward. The rows are locked first by ``lock_index_rows``."""
    linked = _linked_ids(referral) if linked is None else linked
    if not linked:
        return 0
    today = as_of.date()
    return (
        RegradeDue.objects.filter(referral_id__in=linked)
        .filter(Q(due_on__isnull=True) | Q(due_on__gt=today))
        .update(due_on=today)
    )


def due_referral_ids(*, actor: Actor, as_of: datetime) -> list[int]:
    """The open referrals the daily re-grade as of ``as_of`` takes, in id order: those due by its
    day (someone on them has reached an age the policy asks about, or a linked referral learned
    something), those last graded under another policy than the one in force (each is re-graded
    once after a policy changes), and any open referral not yet in the index. Closed referrals
    never."""
    version = _stored_version(active_policy(), as_of)
    open_referrals = Referral.objects.restrict(actor, Action.FACTS_RECORD).exclude(
        status=ReferralStatus.CLOSED
    )
    due = RegradeDue.objects.filter(due_on__lte=as_of.date()).values("referral_id")
    other_policy = RegradeDue.objects.filter(
        Q(policy__isnull=True) | Q(policy_id__lt=version.pk) | Q(policy_id__gt=version.pk)
    ).values("referral_id")
    unindexed = ~Exists(RegradeDue.objects.filter(referral_id=OuterRef("pk")))
    found: set[int] = set()
    for chosen in (
        open_referrals.filter(pk__in=due),
        open_referrals.filter(pk__in=other_policy),
        open_referrals.filter(unindexed),
    ):
        found.update(chosen.values_list("pk", flat=True))
    return sorted(found)


def due_referral_batches(*, actor: Actor, as_of: datetime, size: int) -> list[list[int]]:
    """``due_referral_ids`` in lists of ``size``: the daily re-grade's share-out among the
    workers (each batch goes to ``regrade_all``)."""
    ids = due_referral_ids(actor=actor, as_of=as_of)
    return [ids[start : start + size] for start in range(0, len(ids), size)]


def _changes(previous: Assessment | None, answers: dict, policy: Policy) -> list[dict]:
    if previous is None:
        return []
    found = []
    for code, fact in answers.items():
        before = previous.answers.get(code, {}).get("answer", "unknown")
        if before != fact["answer"]:
            found.append(
                {
                    "code": code,
                    "text": policy.question(code).text,
                    "from": before,
                    "to": fact["answer"],
                }
            )
    return found


def _mirror(referral: Referral, assessment: Assessment, *, new: bool = False) -> None:
    derived = set()
    if assessment.flags.get("suspect_is_child"):
        derived.add(Flag.SUSPECT_IS_CHILD)
    if assessment.answers.get("A3", {}).get("answer") == "yes":
        derived.add(Flag.POSITION_OF_TRUST)
    current = (
        referral.flags
        if new
        else Referral.objects.filter(pk=referral.pk).values_list("flags", flat=True).first()
    )
    flags = sorted((set(current or []) - DERIVED_FLAGS) | derived)
    referral.grade = assessment.grade
    referral.grade_provisional = assessment.provisional
    referral.flags = flags
    if new:
        return
    Referral.objects.filter(pk=referral.pk).update(
        grade=assessment.grade, grade_provisional=assessment.provisional, flags=flags
    )


def reproduce(assessment: Assessment) -> engine.Assessment:
    """Grade the stored answers again under the stored policy text."""
    policy = policy_of(assessment.policy)
    facts = {code: engine.Fact.from_dict(data) for code, data in assessment.answers.items()}
    return engine.grade(facts, policy, assessment.assessed_at)


def regrade_due(*, actor: Actor, as_of: datetime, progress=None) -> Counter:
    """The daily re-grade: re-run the engine on the open referrals ``due_referral_ids`` names,
    each moving its day in the index on (in slices, as many as there are)."""
    ids = due_referral_ids(actor=actor, as_of=as_of)
    if progress:
        progress(len(ids))

    def each(total):
        if total is None:
            progress(None)

    counts: Counter = Counter()
    for start in range(0, len(ids), REGRADE_SLICE):
        counts.update(
            regrade_all(
                actor=actor,
                as_of=as_of,
                referral_ids=ids[start : start + REGRADE_SLICE],
                progress=each if progress else None,
            )
        )
    return counts


def regrade_all(*, actor: Actor, as_of: datetime, referral_ids=None, progress=None) -> Counter:
    """Re-run the engine on every open referral (after a policy change, or to be sure), or on
    the open ones named. ``progress(total)`` is told how many there are, then called once per
    referral.

    Each referral is its own change: it stores a new assessment, raises the version and moves
    the clocks only where an answer, the policy or the grade changed. A referral whose grade in
    force was made after ``as_of`` (received, or re-graded, later) is left as it is: a re-grade
    as of an earlier moment would put its history out of order.
    """
    counts: Counter = Counter()
    later = Assessment.objects.filter(
        referral=OuterRef("pk"), is_current=True, assessed_at__gt=as_of
    )
    referrals = (
        Referral.objects.restrict(actor, Action.FACTS_RECORD)
        .exclude(status=ReferralStatus.CLOSED)
        .annotate(graded_later=Exists(later))
    )
    if referral_ids is not None:
        referrals = referrals.filter(pk__in=referral_ids)
    rows = referrals.order_by("pk").values_list("pk", "graded_later")
    if progress:
        progress(rows.count())
    for referral_id, graded_later in rows.iterator(chunk_size=500):
        if graded_later:
            counts["graded later"] += 1
            if progress:
                progress(None)
            continue
        made = regrade(actor, referral_id, as_of=as_of)
        counts["re-graded" if made else "unchanged"] += 1
        if progress:
            progress(None)
    return counts


def regrade(actor: Actor, referral, *, as_of: datetime, trigger: str = "scheduled re-grade"):
    """Re-grade one referral as of ``as_of``; None when nothing changed."""
    with changing(
        actor,
        referral,
        permission=Action.FACTS_RECORD,
        audit=Audit.REFERRAL_ASSESSED,
        as_of=as_of,
    ) as change:
        made = assess(change.referral, actor=actor, as_of=as_of, trigger=trigger, audit=False)
        if made is None:
            change.unchanged = True
        else:
            change.describe(before=made.audit_before, after=made.audit_after)
    return made


@after_every_change(order=10)
def regrade_after_facts(change: Change) -> None:
    """A change that touched a fact the grade reads re-grades the referral at once (and makes
    the referrals linked to it due the next day); reopening re-grades it too, since ages moved
    on while it was closed. Closing takes it out of the re-grade index."""
    referral = change.referral
    if referral.status == ReferralStatus.CLOSED:
        RegradeDue.objects.filter(referral_id=referral.pk).delete()
        return
    trigger = change.regrade or (
        "reopened" if change.audit_action == Audit.REFERRAL_REOPENED else ""
    )
    if change.regrade:
        lock_index_rows(referral)
    if trigger:
        assess(referral, actor=change.actor, as_of=change.as_of, trigger=trigger)
    if change.regrade:
        mark_linked_due(referral, as_of=change.as_of)


# ---------------------------------------------------------------------------------------------
# Overrides


class OverrideRefused(RecordError):
    pass


@step(
    "overrides",
    Action.GRADE_OVERRIDE_PROPOSE,
    Audit.OVERRIDE_PROPOSED,
    OverrideIn,
    gettext_lazy("Your proposal is recorded."),
)
def propose_override(change: Change, grade: str, reason: str) -> Override:
    """Propose a different grade with a written reason.

    Raising applies at once; lowering waits for a supervisor. Below a floor is refused.
    """
    referral = change.referral
    if grade not in GRADES:
        raise OverrideRefused(_("%(grade)r is not a grade") % {"grade": grade})
    if len(reason.strip()) < 10:
        raise OverrideRefused(
            _("give the reason for a different grade in words (10 characters or more)")
        )
    assessment = Assessment.objects.filter(referral=referral, is_current=True).first()
    if assessment is None:
        raise OverrideRefused(_("the referral has not been graded yet"))
    if grade == assessment.grade:
        raise OverrideRefused(
            _("the grade is already %(grade)s") % {"grade": Grade(grade).label.lower()}
        )
    if rank(grade) < rank(assessment.minimum_grade):
        floors = "; ".join(assessment.floors)
        raise OverrideRefused(
            _("%(grade)s is below the floor of %(minimum)s (%(floors)s)")
            % {
                "grade": Grade(grade).label,
                "minimum": Grade(assessment.minimum_grade).label.lower(),
                "floors": floors,
            }
        )
    raising = rank(grade) > rank(assessment.grade)
    override = Override.objects.create(
        referral=referral,
        assessment=assessment,
        from_grade=assessment.grade,
        proposed_grade=grade,
        reason=reason.strip(),
        proposed_by=None if is_system(change.actor) else change.actor,
        proposed_by_name=actor_name(change.actor),
        proposed_at=change.as_of,
        status=OverrideStatus.APPLIED if raising else OverrideStatus.PENDING,
    )
    if raising:
        _set_grade(referral, assessment, grade)
    change.describe(
        override,
        after={
            "referral": referral.pk,
            "from": override.from_grade,
            "to": grade,
            "status": override.status,
            "reason": override.reason,
        },
    )
    return override


@step(
    "override-decision",
    Action.GRADE_OVERRIDE_APPROVE,
    Audit.OVERRIDE_DECIDED,
    DecisionIn,
    gettext_lazy("Decision recorded."),
    item=Override,
    api_path="/overrides/{item_id}/decision",
)
def decide_override(
    change: Change, override: Override, *, approve: bool, reason: str = ""
) -> Override:
    """A supervisor, not the proposer, approves or refuses a lower grade."""
    if override.status != OverrideStatus.PENDING:
        raise OverrideRefused(
            _("this proposal is already %(status)s")
            % {"status": override.get_status_display().lower()}
        )
    if override.proposed_by_id is not None and override.proposed_by_id == getattr(
        change.actor, "pk", None
    ):
        raise PermissionDenied(
            _("a lower grade must be approved by someone other than its proposer")
        )
    if not approve and not reason.strip():
        raise OverrideRefused(_("say why the proposal is refused"))
    assessment = override.assessment
    if not assessment.is_current:
        raise OverrideRefused(_("the referral has been re-graded since; propose again"))
    if approve and rank(override.proposed_grade) < rank(assessment.minimum_grade):
        raise OverrideRefused(_("the proposed grade is below the floor"))
    override.status = OverrideStatus.APPROVED if approve else OverrideStatus.REFUSED
    override.decided_by = None if is_system(change.actor) else change.actor
    override.decided_by_name = actor_name(change.actor)
    override.decided_at = change.as_of
    override.decision_reason = reason.strip()
    override.save()
    if approve:
        _set_grade(change.referral, assessment, override.proposed_grade)
    change.describe(
        override,
        before={"status": OverrideStatus.PENDING},
        after={
            "referral": change.referral.pk,
            "status": override.status,
            "grade": assessment.grade,
            "reason": reason,
        },
    )
    return override


def _set_grade(referral: Referral, assessment: Assessment, grade: str) -> None:
    # The clocks follow when the change ends: a higher grade brings due times forward at once.
    assessment.grade = grade
    assessment.save(update_fields=["grade"])
    _mirror(referral, assessment)


# ---------------------------------------------------------------------------------------------
# Reading grades back


def risk_summary(referral: Referral, as_of: datetime | None = None) -> dict | None:
    """The grade in force and why, as in ``vigil referral show --json``.

    With ``as_of``, the grade that was in force then: the latest assessment made by then, with
    its own reasons, and the overrides decided by then. None before the first assessment.
    """
    if as_of is None:
        assessment = current_assessment(referral)
        if assessment is None:
            return None
        grade = assessment.grade
        pending = list(assessment.overrides.filter(status=OverrideStatus.PENDING))
    else:
        assessment = (
            Assessment.objects.filter(referral=referral, assessed_at__lte=as_of)
            .select_related("policy")
            .order_by("-assessed_at", "-id")
            .first()
        )
        if assessment is None:
            return None
        grade, pending = _in_force(assessment, as_of)
    return {
        "grade": grade,
        "engine_grade": assessment.engine_grade,
        "provisional": assessment.provisional,
        "policy": f"{assessment.policy.policy_id}/{assessment.policy.version}",
        "step": assessment.step,
        "step_text": assessment.step_text,
        "sentence": assessment.sentence,
        "reasons": assessment.reasons,
        "missing": assessment.missing,
        "floors": assessment.floors,
        "minimum_grade": assessment.minimum_grade,
        "suspect_is_child": bool(assessment.flags.get("suspect_is_child")),
        "answers": assessment.answers,
        "assessed_at": assessment.assessed_at.isoformat(),
        "pending_overrides": [_override_dict(o) for o in pending],
    }


def _in_force(assessment: Assessment, as_of: datetime) -> tuple[str, list[Override]]:
    """An assessment's grade at a moment, and the proposals then still waiting.

    The stored grade is the latest; the overrides say how it got there. The earliest proposal
    was made against the grade the assessment started with, and each applied or approved one
    changed it when it took effect.
    """
    overrides = sorted(assessment.overrides.all(), key=lambda o: (o.proposed_at, o.pk))
    grade = overrides[0].from_grade if overrides else assessment.grade
    took_effect = sorted(
        (o.proposed_at if o.status == OverrideStatus.APPLIED else o.decided_at, o.pk, o)
        for o in overrides
        if o.status == OverrideStatus.APPLIED
        or (o.status == OverrideStatus.APPROVED and o.decided_at is not None)
    )
    for at, _pk, override in took_effect:
        if at <= as_of:
            grade = override.proposed_grade
    pending = [
        o
        for o in overrides
        if o.proposed_at <= as_of
        and o.status != OverrideStatus.APPLIED
        # Decided later, or superseded by an assessment made later: still waiting then.
        and (o.decided_at is None or o.decided_at > as_of)
    ]
    return grade, sorted(pending, key=lambda o: (o.proposed_at, o.pk), reverse=True)


def risk_history(referral: Referral) -> list[dict]:
    return [
        {
            "id": a.pk,
            "assessed_at": a.assessed_at.isoformat(),
            "assessed_by": a.assessed_by_name,
            "trigger": a.trigger,
            "changes": a.changes,
            "engine_grade": a.engine_grade,
            "grade": a.grade,
            "provisional": a.provisional,
            "policy": f"{a.policy.policy_id}/{a.policy.version}",
            "sentence": a.sentence,
            "is_current": a.is_current,
            "overrides": [_override_dict(o) for o in a.overrides.all()],
        }
        for a in referral.assessments.select_related("policy").prefetch_related("overrides")
    ]


def _override_dict(override: Override) -> dict:
    return {
        "id": override.pk,
        "from_grade": override.from_grade,
        "proposed_grade": override.proposed_grade,
        "reason": override.reason,
        "proposed_by": override.proposed_by_name,
        "proposed_at": override.proposed_at.isoformat(),
        "status": override.status,
        "decided_by": override.decided_by_name,
        "decided_at": override.decided_at.isoformat() if override.decided_at else None,
        "decision_reason": override.decision_reason,
    }


# ---------------------------------------------------------------------------------------------
# Assessor assurance


def assurance(actor: Actor, *, since: datetime, until: datetime) -> dict:
    """Per assessor and per team: assessments, overrides and how they were decided."""
    require(actor, Action.ASSURANCE_VIEW)
    assessments = (
        Assessment.objects.restrict(actor, Action.ASSURANCE_VIEW)
        .filter(assessed_at__gte=since, assessed_at__lt=until)
        .exclude(assessed_by=None)
        .values("assessed_by")
        .annotate(count=Count("id"))
    )
    overrides = Override.objects.restrict(actor, Action.ASSURANCE_VIEW).filter(
        proposed_at__gte=since, proposed_at__lt=until
    )
    rows: dict[int, Counter] = defaultdict(Counter)
    for row in assessments:
        rows[row["assessed_by"]]["assessments"] = row["count"]
    for override in overrides.exclude(proposed_by=None).select_related("assessment"):
        counts = rows[override.proposed_by_id]
        counts["proposed"] += 1
        counts["raised" if not override.lowers else "lowered"] += 1
        counts[override.status] += 1
        if override.proposed_grade != override.assessment.engine_grade:
            counts["disagree_with_engine"] += 1
    users = {user.pk: user for user in User.objects.filter(pk__in=rows)}
    assessors = []
    teams: dict[str, Counter] = defaultdict(Counter)
    for user_id, counts in sorted(rows.items(), key=lambda item: users[item[0]].username):
        user = users[user_id]
        entry = {"assessor": user.username, "team": user.team or "(no team)", **_figures(counts)}
        assessors.append(entry)
        teams[entry["team"]].update(counts)
    return {
        "since": since.isoformat(),
        "until": until.isoformat(),
        "assessors": assessors,
        "teams": [{"team": team, **_figures(counts)} for team, counts in sorted(teams.items())],
    }


def pending_overrides(actor: Actor, action: str = Action.ASSURANCE_VIEW):
    """Proposals of a lower grade still waiting, on the referrals this actor may see."""
    return (
        Override.objects.restrict(actor, action)
        .filter(status=OverrideStatus.PENDING)
        .select_related("referral")
        .order_by("proposed_at")
    )


def overrides_waiting(actor: Actor):
    """Lower grades waiting for this supervisor (never their own proposals)."""
    waiting = pending_overrides(actor, Action.GRADE_OVERRIDE_APPROVE)
    return waiting if is_system(actor) else waiting.exclude(proposed_by=actor)


def _figures(counts: Counter) -> dict:
    keys = (
        "assessments",
        "proposed",
        "raised",
        "lowered",
        "applied",
        "approved",
        "refused",
        "pending",
        "superseded",
        "disagree_with_engine",
    )
    return {key: counts.get(key, 0) for key in keys}


def queue_quality_sample(
    actor: Actor,
    *,
    as_of: datetime,
    size: int | None = None,
    days: int = 30,
    seed: int | None = None,
) -> list[QualityCheck]:
    """Draw a random sample of each assessor's recent assessments for a supervisor to check.

    Each drawn assessment is queued as a change to its referral (open referrals only).
    """
    require(actor, Action.QUALITY_CHECK)
    size = settings.VIGIL_QUALITY_SAMPLE_SIZE if size is None else size
    chooser = random.Random(seed)  # noqa: S311 - a sample for review, not a secret
    recent = (
        Assessment.objects.restrict(actor, Action.QUALITY_CHECK)
        .filter(
            assessed_at__gte=as_of - timedelta(days=days),
            assessed_at__lte=as_of,
            quality_check=None,
        )
        .exclude(assessed_by=None)
        .exclude(referral__status=ReferralStatus.CLOSED)
    )
    by_assessor = defaultdict(list)
    for assessment_id, assessor_id in recent.values_list("id", "assessed_by"):
        by_assessor[assessor_id].append(assessment_id)
    drawn = []
    for _assessor, ids in sorted(by_assessor.items()):
        drawn.extend(chooser.sample(sorted(ids), min(size, len(ids))))
    chosen = Assessment.objects.filter(pk__in=drawn).order_by("referral_id", "pk")
    return [queue_quality_check(actor, assessment, as_of=as_of) for assessment in chosen]


def queue_quality_check(actor: Actor, assessment: Assessment, *, as_of: datetime) -> QualityCheck:
    with changing(
        actor,
        assessment.referral_id,
        permission=Action.QUALITY_CHECK,
        audit=Audit.QUALITY_SAMPLED,
        as_of=as_of,
    ) as change:
        check, _created = QualityCheck.objects.get_or_create(
            assessment=assessment,
            defaults={"assessor_id": assessment.assessed_by_id, "queued_at": as_of},
        )
        change.describe(
            check, after={"assessment": assessment.pk, "referral": assessment.referral_id}
        )
    return check


@step(
    "quality-check",
    Action.QUALITY_CHECK,
    Audit.QUALITY_CHECKED,
    QualityCheckIn,
    gettext_lazy("Check recorded."),
    item=QualityCheck,
    api_path="/quality-checks/{item_id}",
)
def record_quality_check(
    change: Change, check: QualityCheck, *, outcome: str, notes: str = ""
) -> QualityCheck:
    """Record a supervisor's check of a sampled assessment"""
    if outcome not in QualityCheck.Outcome.values:
        raise RecordError(
            _("outcome must be one of %(outcomes)s")
            % {"outcomes": ", ".join(QualityCheck.Outcome.values)}
        )
    if getattr(change.actor, "pk", None) == check.assessor_id:
        raise PermissionDenied(_("an assessor does not check their own assessment"))
    check.outcome = outcome
    check.notes = notes
    check.checked_by = None if is_system(change.actor) else change.actor
    check.checked_at = change.as_of
    check.save()
    change.describe(
        check, after={"assessment": check.assessment_id, "outcome": outcome, "notes": notes}
    )
    return check


def quality_checks_for(actor: Actor):
    require(actor, Action.QUALITY_CHECK)
    return (
        QualityCheck.objects.restrict(actor, Action.QUALITY_CHECK)
        .select_related("assessment__referral", "assessor")
        .order_by("checked_at", "queued_at")
    )


RECORDINGS = [propose_override, decide_override, record_quality_check]
