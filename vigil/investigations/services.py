"""The investigation: allocation, what was done, supervisors' reviews, releases, transfers,
the minimum standards, the workflow's moves, flags, closing and reopening.

Each is a recording: checked, run through the guarded change path (which moves the clocks)
and audited, in one transaction. The time a thing happened is the user's to enter: never in
the future, never before the referral arrived, and a late entry keeps the breach on the record.
"""

import tomllib
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache, partial
from importlib import resources

from django.db.models import Q
from django.http import Http404
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from vigil.accounts.models import Force, User
from vigil.audit.choices import AuditAction as Audit
from vigil.clocks.models import Clock
from vigil.clocks.services import clock_facts
from vigil.core.actors import actor_name, is_system
from vigil.core.labels import label_of
from vigil.core.permissions import has_permission
from vigil.core.roles import Action as Can
from vigil.people.households import (
    Held,
    children_held_elsewhere,
    households_at,
    suspect_homes,
    suspect_household_established,
    the_home,
)
from vigil.people.models import Link, Person
from vigil.referrals.changes import (
    Change,
    RecordError,
    advance,
    changing_together,
    could_be_referral_id,
)
from vigil.referrals.choices import (
    DERIVED_FLAGS,
    TRANSITIONS,
    Flag,
    ReferralStatus,
    TransferStatus,
)
from vigil.referrals.models import Investigation, Referral, Transfer
from vigil.referrals.recordings import recording
from vigil.risk.choices import Grade
from vigil.risk.services import active_policy, current_assessment
from vigil.safeguarding.services import (
    SafeguardingRecords,
    children_in_view,
    needs_welfare_plan,
    safeguarding_detail,
)

from .choices import POSITIVE_ACTIONS, ActionKind, ReleaseKind, RuiDecision
from .models import (
    Action,
    Allocation,
    Outcome,
    Release,
    RuiReview,
    StandardCheck,
    SupervisorReview,
)
from .retention import review_date
from .schemas import (
    ActionIn,
    AllocationIn,
    CloseIn,
    FlagsIn,
    MoveIn,
    ReleaseIn,
    ReopenIn,
    ReviewIn,
    RuiReviewIn,
    StandardIn,
    TransferAnswerIn,
    TransferIn,
)

# A step recorded in this part, on its section of the referral page unless it says otherwise.
step = partial(recording, section="case")
# What was done, recorded beside the clocks it stops.
action_step = partial(recording, section="actions")


@action_step(
    "allocation",
    Can.REFERRAL_ALLOCATE,
    Audit.REFERRAL_ALLOCATED,
    AllocationIn,
    gettext_lazy("Allocated."),
)
def allocate(
    change: Change,
    officer: User | str,
    *,
    team: str = "",
    allocated_at: datetime | None = None,
) -> Allocation:
    """Give the referral to an investigator of its force. A joined investigation has one owner:
    allocate its lead, and every referral joined into it follows."""
    referral = change.referral
    lead = _lead_elsewhere(referral)
    if lead is not None:
        raise RecordError(
            _("this referral is joined into the investigation %(lead)s leads: allocate %(lead)s")
            % {"lead": lead}
        )
    if not isinstance(officer, User):
        officer = User.objects.filter(username=officer).first()
    if officer is None or officer.force_id != referral.force_id or not officer.is_active:
        raise RecordError(_("allocate to an active officer of the referral's force"))
    when = change.happened_at(allocated_at)
    before = {"owner": referral.owner.username if referral.owner else None, "team": referral.team}
    allocation = Allocation.objects.create(
        referral=referral,
        officer=officer,
        team=team or officer.team,
        allocated_at=when,
        **change.recorded(),
    )
    referral.owner = officer
    referral.team = allocation.team
    referral.save(update_fields=["owner", "team"])
    if referral.investigation_id:
        # The members' clocks follow (the clocks' follower syncs every member).
        Referral.objects.filter(investigation_id=referral.investigation_id).exclude(
            pk=referral.pk
        ).update(owner=officer, team=allocation.team)
    advance(referral, ReferralStatus.ALLOCATED)
    change.describe(
        referral,
        before=before,
        after={"owner": officer.username, "team": allocation.team, "allocated_at": when},
    )
    return allocation


def allocate_many(actor, referrals: list[Referral], officer: User, *, team: str = "", as_of):
    """Allocate several referrals from a worklist; each is its own change."""
    return [allocate(actor, referral, officer, team=team, as_of=as_of) for referral in referrals]


def _action_details(data: dict) -> dict:
    data = dict(data)
    devices = data.pop("devices", None)
    details = dict(data.pop("details", None) or {})
    if devices is not None:
        details["devices"] = devices
    return {**data, "details": details}


@action_step(
    "actions",
    Can.ACTION_RECORD,
    Audit.ACTION_RECORDED,
    ActionIn,
    gettext_lazy("Action recorded."),
    arguments=_action_details,
)
def record_action(
    change: Change,
    kind: str,
    *,
    occurred_at: datetime | None = None,
    details: dict | None = None,
    notes: str = "",
) -> Action:
    """Record something done: an arrest, a warrant, a search, devices seized, an interview…"""
    referral = change.referral
    if kind not in ActionKind.values:
        raise RecordError(
            _("kind must be one of %(values)s") % {"values": ", ".join(ActionKind.values)}
        )
    when = change.happened_at(occurred_at)
    if kind in {ActionKind.ARREST, ActionKind.VOLUNTARY_INTERVIEW}:
        why = needs_welfare_plan(referral)
        if why and not referral.welfare_plans.filter(agreed_at__lte=when).exists():
            raise RecordError(
                _("%(why)s: record the suspect's welfare plan before an arrest or interview")
                % {"why": why}
            )
    action = Action.objects.create(
        referral=referral,
        kind=kind,
        occurred_at=when,
        details=details or {},
        notes=notes,
        **change.recorded(),
    )
    if kind in POSITIVE_ACTIONS:
        advance(referral, ReferralStatus.ENFORCEMENT)
    change.describe(
        action,
        after={
            "referral": referral.pk,
            "kind": kind,
            "occurred_at": when,
            "details": details or {},
        },
    )
    return action


@action_step(
    "reviews",
    Can.REFERRAL_REVIEW,
    Audit.REVIEW_RECORDED,
    ReviewIn,
    gettext_lazy("Review recorded."),
)
def record_review(
    change: Change,
    *,
    reviewed_at: datetime | None = None,
    notes: str = "",
    standards_checked: list[str] = (),
) -> SupervisorReview:
    """A supervisor's review of the open referral; the next one falls due 28 days later."""
    known = {item["code"] for item in active_policy().standards}
    unknown = set(standards_checked) - known
    if unknown:
        raise RecordError(
            _("unknown standards: %(values)s") % {"values": ", ".join(sorted(unknown))}
        )
    when = change.happened_at(reviewed_at)
    review = SupervisorReview.objects.create(
        referral=change.referral,
        reviewed_at=when,
        notes=notes,
        standards_checked=list(standards_checked),
        **change.recorded(),
    )
    change.describe(
        review,
        after={
            "referral": change.referral.pk,
            "reviewed_at": when,
            "standards_checked": list(standards_checked),
        },
    )
    return review


# ---------------------------------------------------------------------------------------------
# Releases, transfers, standards, the workflow, closing and reopening


def _norm(text: str) -> str:
    return "".join((text or "").split()).casefold()


# The releases that send the suspect to an address (a remand sends them to custody).
TO_AN_ADDRESS = {
    ReleaseKind.PRE_CHARGE_BAIL,
    ReleaseKind.RELEASED_UNDER_INVESTIGATION,
    ReleaseKind.CHARGED_BAILED,
}
NOT_ESTABLISHED = gettext_lazy(
    "the household at this address is not established: establish it, or a supervisor may "
    "accept the risk in writing"
)


@dataclass
class AddressCheck:
    """What the check of a release address found on the day of release."""

    # As the user sees them: "h1", "c1 in NCA-2020-0002", "a child known to YF".
    children: list[str] = field(default_factory=list)
    # The children of the households the user may see, in full.
    household_children: list[dict] = field(default_factory=list)
    # The forces holding a child there in a referral the user may not open.
    held_elsewhere: list[Held] = field(default_factory=list)
    # None: the release sends no one to an address.
    established: bool | None = None
    # Whether a postcode was given or written in the address (without one no home is found).
    has_postcode: bool = True


def check_release_address(
    actor, referral: Referral, address: str, postcode: str, *, on: date, as_of: datetime
) -> AddressCheck:
    """Check a release address against every household known there on the day.

    The households come from every referral the actor may see (``people.households``): the
    children in them, and whether any is established. Other forces' referrals are read only to
    say which force holds a child there, and whom to contact. The children the suspect has
    access to count wherever the suspect goes; "home" means the suspect's home on the day,
    and brings every child who lives with the suspect.
    """
    check = AddressCheck()
    at_home = _norm(address) in {"home", ""}
    places = suspect_homes(referral, on) if at_home else [(address, postcode)]
    check.has_postcode = at_home or bool(the_home(address, postcode)[1])
    households, held = [], {}
    for line, code in places:
        households += households_at(actor, line, code, on=on, known_by=as_of)
        for one in children_held_elsewhere(actor, line, code, on=on, known_by=as_of):
            held.setdefault(one.force_code, one)
    check.held_elsewhere = sorted(held.values(), key=lambda one: one.force_code)
    check.established = any(household.established for household in households) or (
        at_home and suspect_household_established(referral)
    )
    seen = set()
    for household in households:
        for child in household.children:
            if child.person_id in seen or (
                household.referral_id == referral.pk and child.role == "suspect"
            ):
                continue
            seen.add(child.person_id)
            here = household.referral_id == referral.pk
            check.children.append(
                child.ref if here else f"{child.ref} in {household.source_reference}"
            )
            check.household_children.append(
                {
                    **child.as_dict(),
                    "referral_id": household.referral_id,
                    "source_reference": household.source_reference,
                }
            )
    here = {
        child["ref"] for child in check.household_children if child["referral_id"] == referral.pk
    }
    for child in children_in_view(referral, as_of=as_of, viewer=actor):
        if child["ref"] in here:
            continue
        if child["relation"] == "access" or (child["relation"] == "household" and at_home):
            check.children.append(child["ref"] or "a child known to another force")
    check.children += [f"a child known to {one.force_code}" for one in check.held_elsewhere]
    return check


def contact(held: Held | dict) -> str:
    """Whom to contact about a child another force holds at a release address (its name and
    contact only)."""
    if isinstance(held, dict):
        code, name, how = held["force"], "", held["contact"]
    else:
        code, name, how = held.force_code, held.force_name, held.contact
    return _("%(force)s holds information about a child at this address: contact %(how)s") % {
        "force": f"{name} ({code})" if name else code,
        "how": how or _("its referral unit (single point of contact)"),
    }


@step(
    "releases",
    Can.ACTION_RECORD,
    Audit.RELEASE_RECORDED,
    ReleaseIn,
    gettext_lazy("Release recorded."),
)
def record_release(
    change: Change,
    *,
    kind: str,
    address: str,
    postcode: str = "",
    released_at: datetime | None = None,
    conditions: str = "",
    return_at: datetime | None = None,
    supervisor_decision: str = "",
    safeguarding_plan: str = "",
    accepted_risk: str = "",
) -> Release:
    """Record the suspect's release. A release to an address is checked against every
    household known there on the day: where a child lives or visits, only a supervisor may
    record it, with their decision and a safeguarding plan (and a clock starts on telling
    social care); where another force holds a child there, it says whom to contact; where the
    household is not established, only a supervisor who accepts the risk in writing may. A
    bail return date becomes a clock too."""
    referral = change.referral
    if kind not in ReleaseKind.values:
        raise RecordError(
            _("kind must be one of %(values)s") % {"values": ", ".join(ReleaseKind.values)}
        )
    if not address.strip():
        raise RecordError(_("give the address the suspect is released to"))
    when = change.happened_at(released_at)
    if return_at is not None and return_at <= when:
        raise RecordError(_("the bail return date must be after the release"))
    supervisor = has_permission(change.actor, Can.RELEASE_APPROVE)
    if accepted_risk.strip() and not supervisor:
        raise RecordError(_("only a supervisor may accept the risk of a release address"))
    check = AddressCheck()
    if kind in TO_AN_ADDRESS:
        check = check_release_address(
            change.actor,
            referral,
            address,
            postcode,
            on=timezone.localtime(when).date(),
            as_of=change.as_of,
        )
    problems = []
    children = check.children
    if children:
        if not supervisor:
            problems.append(
                _(
                    "a child lives at or visits this address (%(children)s): a supervisor "
                    "must record the release, with their decision and a safeguarding plan"
                )
                % {"children": ", ".join(children)}
            )
        elif not supervisor_decision.strip() or not safeguarding_plan.strip():
            problems.append(
                _(
                    "a child lives at or visits this address (%(children)s): record your "
                    "decision and the safeguarding plan"
                )
                % {"children": ", ".join(children)}
            )
    if check.established is False and (not supervisor or not accepted_risk.strip()):
        problems.append(
            str(NOT_ESTABLISHED)
            if check.has_postcode
            else _(
                "%(problem)s (give the address's postcode: without it no household there can "
                "be found)"
            )
            % {"problem": NOT_ESTABLISHED}
        )
    if problems:
        raise RecordError("; ".join(problems + [contact(one) for one in check.held_elsewhere]))
    release = Release.objects.create(
        referral=referral,
        kind=kind,
        released_at=when,
        address=address.strip(),
        postcode=postcode.strip().upper(),
        conditions=conditions,
        return_at=return_at,
        children_at_address=children,
        household_children=check.household_children,
        held_elsewhere=[
            {"force": one.force_code, "contact": one.contact} for one in check.held_elsewhere
        ],
        household_established=check.established,
        supervisor_decision=supervisor_decision.strip(),
        safeguarding_plan=safeguarding_plan.strip(),
        accepted_risk=accepted_risk.strip() if check.established is False else "",
        **change.recorded(),
    )
    advance(referral, ReferralStatus.POST_ENFORCEMENT)
    change.describe(
        release,
        after={
            "referral": referral.pk,
            "kind": kind,
            "released_at": when,
            "children_at_address": children,
            "held_elsewhere": release.held_elsewhere,
            "household_established": release.household_established,
            "return_at": return_at,
            "supervisor_decision": release.supervisor_decision,
            "accepted_risk": release.accepted_risk,
        },
    )
    return release


@step(
    "rui-reviews",
    Can.REFERRAL_REVIEW,
    Audit.RUI_REVIEWED,
    RuiReviewIn,
    gettext_lazy("Review of the release under investigation recorded."),
)
def record_rui_review(
    change: Change, *, decision: str, reviewed_at: datetime | None = None, notes: str = ""
) -> RuiReview:
    """A review of the suspect's release under investigation; the next falls due 3 months on.

    It reviews the release standing when it was made, which must be a release under
    investigation.
    """
    if decision not in RuiDecision.values:
        raise RecordError(
            _("decision must be one of %(values)s") % {"values": ", ".join(RuiDecision.values)}
        )
    when = change.happened_at(reviewed_at)
    standing = (
        Release.objects.filter(referral=change.referral, released_at__lte=when)
        .order_by("-released_at", "-id")
        .first()
    )
    if standing is None or standing.kind != ReleaseKind.RELEASED_UNDER_INVESTIGATION:
        raise RecordError(_("the suspect was not released under investigation at that time"))
    review = RuiReview.objects.create(
        referral=change.referral,
        release=standing,
        reviewed_at=when,
        decision=decision,
        notes=notes.strip(),
        **change.recorded(),
    )
    change.describe(
        review,
        after={
            "referral": change.referral.pk,
            "release": standing.pk,
            "reviewed_at": when,
            "decision": decision,
        },
    )
    return review


@step(
    "transfer",
    Can.REFERRAL_TRANSFER,
    Audit.REFERRAL_TRANSFERRED,
    TransferIn,
    gettext_lazy("Transfer offered."),
)
def transfer(change: Change, to_force: str, *, reason: str) -> Transfer:
    """Offer the referral to another force, which accepts or rejects it. Until it answers, your
    force holds the referral and its duties; its answer is due within a working day."""
    referral = change.referral
    target = Force.objects.filter(code=to_force.strip().upper()).first()
    if target is None:
        raise RecordError(
            _("force %(to_force)s is not known to Vigil") % {"to_force": repr(to_force)}
        )
    if target.pk == referral.force_id:
        raise RecordError(_("the referral is already with that force"))
    if len(reason.strip()) < 10:
        raise RecordError(_("give the reason for the transfer in words"))
    waiting = pending_transfer(referral)
    if waiting is not None:
        raise RecordError(
            _("the referral is already offered to %(to_force)s: wait for its answer")
            % {"to_force": waiting.to_force.name}
        )
    item = Transfer.objects.create(
        referral=referral,
        from_force=referral.force,
        to_force=target,
        reason=reason.strip(),
        transferred_at=change.as_of,
        **change.recorded(),
    )
    change.describe(
        item,
        after={
            "referral": referral.pk,
            "from_force": referral.force.code,
            "to_force": target.code,
            "reason": item.reason,
            "status": item.status,
        },
    )
    return item


def pending_transfer(referral: Referral) -> Transfer | None:
    """The transfer of this referral waiting for the receiving force's answer, if any."""
    return (
        referral.transfers.filter(status=TransferStatus.PENDING)
        .select_related("from_force", "to_force")
        .first()
    )


def _offered_to(change: Change) -> Transfer:
    """The transfer the acting force is answering: offered to it and not yet answered."""
    transfer = pending_transfer(change.referral)
    if transfer is None or (
        not is_system(change.actor) and transfer.to_force_id != change.actor.force_id
    ):
        raise RecordError(_("the referral is not waiting for your force's answer to a transfer"))
    return transfer


def _answer(change: Change, transfer: Transfer, status: str, reason: str) -> None:
    transfer.status = status
    transfer.answered_at = change.as_of
    transfer.answered_by = None if is_system(change.actor) else change.actor
    transfer.answered_by_name = actor_name(change.actor)
    transfer.answer_reason = reason.strip()
    transfer.save(
        update_fields=["status", "answered_at", "answered_by", "answered_by_name", "answer_reason"]
    )


@step(
    "accept-transfer",
    Can.TRANSFER_ANSWER,
    Audit.TRANSFER_ACCEPTED,
    TransferAnswerIn,
    gettext_lazy("Transfer accepted: the referral is your force's."),
    answers_transfer=True,
)
def accept_transfer(change: Change, *, reason: str = "") -> Transfer:
    """Accept a referral another force offers yours. It becomes your force's, at its grade;
    its allocation and each safeguarding duty still unmet run from now, and the sending force's
    copy becomes read-only."""
    referral = change.referral
    transfer = _offered_to(change)
    _answer(change, transfer, TransferStatus.ACCEPTED, reason)
    from_force = referral.force
    referral.force = transfer.to_force
    referral.owner = None
    referral.team = ""
    referral.save(update_fields=["force", "owner", "team"])
    Person.objects.filter(referral=referral).update(force=transfer.to_force)
    change.describe(
        transfer,
        before={"force": from_force.code, "status": TransferStatus.PENDING},
        after={
            "referral": referral.pk,
            "force": transfer.to_force.code,
            "status": transfer.status,
            "reason": transfer.answer_reason,
        },
    )
    return transfer


@step(
    "reject-transfer",
    Can.TRANSFER_ANSWER,
    Audit.TRANSFER_REJECTED,
    TransferAnswerIn,
    gettext_lazy("Transfer rejected: the referral stays with the sending force."),
    answers_transfer=True,
)
def reject_transfer(change: Change, *, reason: str) -> Transfer:
    """Reject a referral another force offers yours, saying why. It stays with the sending
    force, which is told on its timeline."""
    if len(reason.strip()) < 10:
        raise RecordError(_("say in words why your force rejects the transfer"))
    transfer = _offered_to(change)
    _answer(change, transfer, TransferStatus.REJECTED, reason)
    change.describe(
        transfer,
        before={"status": TransferStatus.PENDING},
        after={
            "referral": change.referral.pk,
            "status": transfer.status,
            "reason": transfer.answer_reason,
        },
    )
    return transfer


# ---------------------------------------------------------------------------------------------
# Joining referrals about the same suspect into one investigation


def _lead_elsewhere(referral: Referral) -> str | None:
    """The reference of the investigation's lead, when this referral is joined but not it."""
    if referral.investigation_id is None:
        return None
    lead = Investigation.objects.filter(pk=referral.investigation_id).values_list(
        "lead_id", "lead__source_reference"
    )
    lead_id, reference = lead.get()
    return None if lead_id == referral.pk else reference


def join_suggestions(actor, referral: Referral) -> list[dict]:
    """Open referrals of the same force whose suspect deconfliction matched to this one's, not
    yet in its investigation: what a supervisor may join it with."""
    suspects = Link.objects.filter(person__role="suspect", linked_person__role="suspect")
    linked = {
        other
        for pair in suspects.filter(Q(referral=referral) | Q(linked_referral=referral)).values_list(
            "referral_id", "linked_referral_id"
        )
        for other in pair
    } - {referral.pk}
    candidates = (
        Referral.objects.restrict(actor)
        .filter(pk__in=linked, force_id=referral.force_id)
        .exclude(status=ReferralStatus.CLOSED)
        .order_by("received_at", "pk")
    )
    if referral.investigation_id:
        candidates = candidates.exclude(investigation_id=referral.investigation_id)
    return [
        {
            "referral_id": other.pk,
            "source_reference": other.source_reference,
            "received_at": other.received_at.isoformat(),
            "grade": other.grade,
            "in_investigation": other.investigation_id is not None,
        }
        for other in candidates
    ]


def _members(referral_ids) -> set[int]:
    """The referrals named and every referral already joined with any of them."""
    ids = {int(referral_id) for referral_id in referral_ids}
    if not all(could_be_referral_id(referral_id) for referral_id in ids):
        raise Http404("No referral found.")
    joined = Referral.objects.filter(pk__in=ids, investigation__isnull=False).values(
        "investigation_id"
    )
    return ids | set(
        Referral.objects.filter(investigation_id__in=joined).values_list("pk", flat=True)
    )


def _suspects_connected(ids: set[int]) -> bool:
    """Every referral reaches every other through suspects deconfliction matched."""
    pairs = Link.objects.filter(
        person__role="suspect",
        linked_person__role="suspect",
        referral_id__in=ids,
        linked_referral_id__in=ids,
    ).values_list("referral_id", "linked_referral_id")
    neighbours: dict[int, set[int]] = {referral_id: set() for referral_id in ids}
    for one, other in pairs:
        neighbours[one].add(other)
        neighbours[other].add(one)
    start = min(ids)
    seen, todo = {start}, [start]
    while todo:
        for other in neighbours[todo.pop()] - seen:
            seen.add(other)
            todo.append(other)
    return seen == ids


def join_investigation(actor, referral_ids, *, reason: str, as_of: datetime) -> Investigation:
    """Join referrals about the same suspect into one investigation: one owner, one set of
    duties carried by the referral received first, every clock counted from that receipt."""
    ids = _members(referral_ids)
    with changing_together(
        actor, ids, permission=Can.REFERRAL_ALLOCATE, audit=Audit.INVESTIGATION_JOINED, as_of=as_of
    ) as changes:
        if len(ids) < 2:
            raise RecordError(_("name at least two referrals to join"))
        if len(reason.strip()) < 10:
            raise RecordError(_("say in words why these referrals are one investigation"))
        referrals = [change.referral for change in changes]
        if len({referral.force_id for referral in referrals}) != 1:
            raise RecordError(_("only referrals held by one force can be one investigation"))
        if not _suspects_connected(ids):
            raise RecordError(
                _(
                    "these referrals' suspects are not matched to each other: record what shows "
                    "they are the same person first"
                )
            )
        lead = min(referrals, key=lambda referral: (referral.received_at, referral.pk))
        owner = lead.owner or next((r.owner for r in referrals if r.owner_id), None)
        team = lead.team if lead.owner_id else next((r.team for r in referrals if r.owner_id), "")
        investigation = Investigation.objects.create(
            force=lead.force,
            lead=lead,
            created_at=as_of,
            created_by_name=actor_name(actor),
            reason=reason.strip(),
        )
        before = {referral.pk: referral.investigation_id for referral in referrals}
        Referral.objects.filter(pk__in=ids).update(
            investigation=investigation, owner=owner, team=team
        )
        Investigation.objects.filter(pk__in={v for v in before.values() if v}).exclude(
            pk=investigation.pk
        ).delete()
        references = sorted(referral.source_reference for referral in referrals)
        for change in changes:
            change.referral.refresh_from_db()
            change.describe(
                change.referral,
                before={"investigation": before[change.referral.pk]},
                after={
                    "investigation": investigation.pk,
                    "lead": lead.source_reference,
                    "referrals": references,
                    "owner": owner.username if owner else None,
                    "reason": investigation.reason,
                },
            )
    return investigation


def leave_investigation(actor, referral: Referral | int, *, reason: str, as_of: datetime):
    """Take a referral out of the investigation it was joined into: it carries its own duties
    again, from its own receipt. A joined investigation of one referral is no more."""
    referral_id = referral.pk if isinstance(referral, Referral) else int(referral)
    held = Referral.objects.restrict(actor).filter(pk=referral_id).first()
    if held is None:
        raise Http404("No referral found.")
    if held.investigation_id is None:
        raise RecordError(
            _("%(source_reference)s is not joined into an investigation")
            % {"source_reference": held.source_reference}
        )
    if len(reason.strip()) < 10:
        raise RecordError(_("say in words why this referral is not part of the investigation"))
    ids = _members([referral_id])
    with changing_together(
        actor, ids, permission=Can.REFERRAL_ALLOCATE, audit=Audit.INVESTIGATION_LEFT, as_of=as_of
    ) as changes:
        investigation = Investigation.objects.select_for_update().get(pk=held.investigation_id)
        staying = [change.referral for change in changes if change.referral.pk != referral_id]
        Referral.objects.filter(pk=referral_id).update(investigation=None)
        if len(staying) == 1:
            Referral.objects.filter(pk=staying[0].pk).update(investigation=None)
        elif investigation.lead_id == referral_id:
            lead = min(staying, key=lambda other: (other.received_at, other.pk))
            investigation.lead = lead
            investigation.save(update_fields=["lead"])
        leaving = next(change for change in changes if change.referral.pk == referral_id)
        for change in changes:
            change.referral.refresh_from_db()
            change.describe(
                change.referral,
                before={"investigation": investigation.pk},
                after={
                    "investigation": change.referral.investigation_id,
                    "left": leaving.referral.source_reference,
                    "reason": reason.strip(),
                },
            )
        if len(staying) == 1:
            investigation.delete()


def investigation_of(actor, referral: Referral) -> dict | None:
    """The investigation a referral was joined into: its lead and its referrals the actor sees."""
    if referral.investigation_id is None:
        return None
    investigation = Investigation.objects.select_related("lead").get(pk=referral.investigation_id)
    members = (
        Referral.objects.restrict(actor)
        .filter(investigation_id=investigation.pk)
        .order_by("received_at", "pk")
    )
    return {
        "id": investigation.pk,
        "lead": investigation.lead.source_reference,
        "lead_id": investigation.lead_id,
        "is_lead": investigation.lead_id == referral.pk,
        "reason": investigation.reason,
        "joined_at": investigation.created_at.isoformat(),
        "joined_by": investigation.created_by_name,
        "referrals": [
            {
                "referral_id": member.pk,
                "source_reference": member.source_reference,
                "received_at": member.received_at.isoformat(),
                "grade": member.grade,
                "status": member.status,
            }
            for member in members
        ],
    }


def standards(
    referral: Referral, *, people: list[Person] | None = None, checked: bool = True
) -> list[dict]:
    """The minimum investigative standards: which are met, how, and which are outstanding.
    ``people``: the referral's own people, in order, when the caller has read them;
    ``checked``: False when the caller knows no standard has been checked by hand."""
    assessment = current_assessment(referral)
    answers = assessment.answers if assessment else {}
    suspect = (
        referral.people.filter(role="suspect").first()
        if people is None
        else next((person for person in people if person.role == "suspect"), None)
    )
    checks = {check.code: check for check in (referral.standard_checks.all() if checked else [])}
    found = []
    for item in active_policy().standards:
        if item.get("grades") and referral.grade not in item["grades"]:
            continue
        met, how = False, ""
        if "question" in item:
            met = answers.get(item["question"], {}).get("answer") == "yes"
            how = answers.get(item["question"], {}).get("detail", "") if met else ""
        elif "fact" in item:
            met = bool(suspect and getattr(suspect, item["fact"], False))
            how = (
                _("recorded as established (%(source)s)") % {"source": suspect.source}
                if met and suspect
                else ""
            )
        check = checks.get(item["code"])
        if check:
            met, how = True, f"{check.note} ({check.recorded_by_name}, {check.met_at:%Y-%m-%d})"
        found.append(
            {
                "code": item["code"],
                "text": item["text"],
                "met": met,
                "how": how,
                "recordable": "question" not in item and "fact" not in item,
            }
        )
    return found


@step(
    "standards",
    Can.ACTION_RECORD,
    Audit.STANDARD_RECORDED,
    StandardIn,
    gettext_lazy("Standard recorded as met."),
)
def record_standard(
    change: Change, code: str, *, note: str, met_at: datetime | None = None
) -> StandardCheck:
    """Record a standard as met, saying what was done (which checks, which devices…)."""
    codes = {item["code"] for item in active_policy().standards}
    if code not in codes:
        raise RecordError(_("unknown standard %(code)s") % {"code": repr(code)})
    if not note.strip():
        raise RecordError(_("say what was done"))
    when = change.happened_at(met_at)
    # Under the referral's lock already: no lock of its own (update_or_create would take one).
    check = StandardCheck.objects.filter(referral=change.referral, code=code).first()
    check = check or StandardCheck(referral=change.referral, code=code)
    for name, value in {"note": note.strip(), "met_at": when, **change.recorded()}.items():
        setattr(check, name, value)
    check.save()
    change.describe(check, after={"referral": change.referral.pk, "code": code, "note": check.note})
    return check


@step(
    "status",
    Can.ACTION_RECORD,
    Audit.STATUS_CHANGED,
    MoveIn,
    gettext_lazy("Moved."),
    api_status=200,
)
def move(change: Change, status: str, *, reason: str = "") -> Referral:
    """An explicit, audited move to another state (the ones the workflow allows by hand)."""
    referral = change.referral
    allowed = TRANSITIONS.get(referral.status, set())
    if status not in allowed:
        names = ", ".join(sorted(allowed)) or "none"
        raise RecordError(
            _("a referral that is %(lower)s cannot move to %(status)s by hand (allowed: %(names)s)")
            % {
                "lower": referral.get_status_display().lower(),
                "status": repr(status),
                "names": names,
            }
        )
    before = referral.status
    referral.status = status
    referral.save(update_fields=["status"])
    change.describe(before={"status": before}, after={"status": status, "reason": reason})
    return referral


@step(
    "flags",
    Can.ACTION_RECORD,
    Audit.FLAGS_CHANGED,
    FlagsIn,
    gettext_lazy("Flags saved."),
    api_method="PUT",
)
def set_flags(change: Change, flags: list[str] = ()) -> Referral:
    """Set the referral's flags"""
    referral = change.referral
    unknown = set(flags) - set(Flag.values)
    if unknown:
        raise RecordError(_("unknown flags: %(values)s") % {"values": ", ".join(sorted(unknown))})
    before = list(referral.flags)
    # The flags that follow from the facts stay as the facts say; "restricted" follows who
    # may see the referral.
    kept = DERIVED_FLAGS | {Flag.RESTRICTED}
    referral.flags = sorted((set(flags) - kept) | (set(before) & kept))
    referral.save(update_fields=["flags"])
    change.describe(before={"flags": before}, after={"flags": referral.flags})
    return referral


@cache
def outcome_types() -> dict[str, dict]:
    """The Home Office outcome types (reference data in ``outcomes.toml``)."""
    text = resources.files("vigil.investigations").joinpath("outcomes.toml").read_text("utf-8")
    return {item["code"]: item for item in tomllib.loads(text)["outcomes"]}


def outcome_text(outcome_type: dict) -> str:
    """An outcome type's words in the active language (what is stored stays in English)."""
    if get_language() == "cy" and outcome_type.get("text_cy"):
        return outcome_type["text_cy"]
    return outcome_type["text"]


SAFEGUARDING_CLOCKS = {
    "social_care_referral",
    "strategy_discussion",
    "lado_referral",
    "release_social_care",
    "child_protection_conference",
    "strategy_action",
}


@step(
    "outcome",
    Can.OUTCOME_CLOSE,
    Audit.REFERRAL_CLOSED,
    CloseIn,
    gettext_lazy("The referral is closed."),
)
def close(
    change: Change,
    *,
    outcome: str,
    rationale: str,
    outstanding_reason: str = "",
    closed_at: datetime | None = None,
) -> Outcome:
    """Close with an outcome type and a written rationale.

    Refused while a safeguarding step is due or a child in view has no recorded social care
    decision, unless a supervisor records why. "Not in the public interest" outcomes, and
    closing past outstanding safeguarding, need a supervisor.
    """
    referral = change.referral
    kind = outcome_types().get(outcome)
    if kind is None:
        raise RecordError(_("unknown outcome type %(outcome)s") % {"outcome": repr(outcome)})
    if len(rationale.strip()) < 10:
        raise RecordError(_("give the rationale for the outcome in words"))
    if kind.get("supervisor") and not has_permission(change.actor, Can.OUTCOME_APPROVE):
        raise RecordError(
            _("outcome %(outcome)s (%(text)s) needs a supervisor")
            % {"outcome": outcome, "text": outcome_text(kind)}
        )
    outstanding = list(
        Clock.objects.filter(
            referral=referral, is_open=True, kind__in=SAFEGUARDING_CLOCKS
        ).values_list("kind", flat=True)
    )
    # Children known only from another referral about the same suspect are safeguarded
    # there; this referral answers for its own.
    outstanding += [
        f"no social care decision recorded for {child['ref']}"
        for child in children_in_view(referral, as_of=change.as_of)
        if not child["social_care_decision"] and not child["known_from"]
    ]
    if outstanding:
        said = "; ".join(o.replace("_", " ") for o in outstanding)
        if not has_permission(change.actor, Can.OUTCOME_APPROVE):
            raise RecordError(
                _("safeguarding is still due (%(said)s): a supervisor must record why it can close")
                % {"said": said}
            )
        if len(outstanding_reason.strip()) < 10:
            raise RecordError(
                _("safeguarding is still due (%(said)s): record why the referral can close anyway")
                % {"said": said}
            )
    when = change.happened_at(closed_at)
    item = Outcome.objects.create(
        referral=referral,
        force=referral.force,
        code=outcome,
        text=kind["text"],
        rationale=rationale.strip(),
        closed_at=when,
        not_in_public_interest=bool(kind.get("not_in_public_interest")),
        outstanding_safeguarding_reason=outstanding_reason.strip() if outstanding else "",
        **change.recorded(),
    )
    before = referral.status
    referral.status = ReferralStatus.CLOSED
    referral.review_at = review_date(when, outcome)
    referral.save(update_fields=["status", "review_at"])
    change.describe(
        item,
        before={"status": before},
        after={
            "referral": referral.pk,
            "outcome": outcome,
            "rationale": item.rationale,
            "outstanding": outstanding,
            "outstanding_reason": item.outstanding_safeguarding_reason,
        },
    )
    return item


@step(
    "reopening",
    Can.OUTCOME_APPROVE,
    Audit.REFERRAL_REOPENED,
    ReopenIn,
    gettext_lazy("The referral is open again."),
    on_closed=True,
)
def reopen(change: Change, *, reason: str) -> Referral:
    """Open a closed referral again: new information, or a closure that was wrong. Its outcome
    is withdrawn (kept in the audit trail) and its clocks run again from what is recorded."""
    referral = change.referral
    if not referral.is_closed:
        raise RecordError(_("the referral is not closed"))
    if referral.personal_data_deleted_at is not None:
        raise RecordError(_("the referral's personal data has been deleted at review"))
    if len(reason.strip()) < 10:
        raise RecordError(_("give the reason for reopening in words"))
    outcome = Outcome.objects.filter(referral=referral).first()
    withdrawn = (
        {"outcome": outcome.code, "rationale": outcome.rationale, "closed_at": outcome.closed_at}
        if outcome
        else None
    )
    if outcome is not None:
        outcome.delete()
    referral.status = ReferralStatus.OUTCOME_PENDING if withdrawn else ReferralStatus.RESEARCHING
    referral.review_at = None
    referral.save(update_fields=["status", "review_at"])
    change.describe(
        before={"status": ReferralStatus.CLOSED, "withdrawn": withdrawn},
        after={"status": referral.status, "reason": reason.strip()},
    )
    return referral


RECORDINGS = [
    allocate,
    record_action,
    record_review,
    record_release,
    record_rui_review,
    transfer,
    accept_transfer,
    reject_transfer,
    record_standard,
    move,
    set_flags,
    close,
    reopen,
]


@clock_facts
def investigation_clock_facts(referral: Referral) -> dict:
    """What meets the investigation's clocks."""

    def first(queryset, field):
        return queryset.order_by(field).values_list(field, flat=True).first()

    return {
        "allocated_at": first(referral.allocations.all(), "allocated_at"),
        "allocation_times": tuple(
            referral.allocations.order_by("allocated_at").values_list("allocated_at", flat=True)
        ),
        "enforced_at": first(referral.actions.filter(kind__in=POSITIVE_ACTIONS), "occurred_at"),
        "reviews": tuple(
            referral.reviews.order_by("reviewed_at").values_list("reviewed_at", flat=True)
        ),
        "releases": tuple(
            (release.released_at, bool(release.children_at_address), release.return_at)
            for release in referral.releases.all()
        ),
        "bail_answered": tuple(
            referral.actions.filter(kind="bail_answered").values_list("occurred_at", flat=True)
        ),
        "release_records": tuple(
            (release.pk, release.released_at, release.kind, release.return_at)
            for release in referral.releases.all()
        ),
        "rui_reviews": tuple(referral.rui_reviews.values_list("release_id", "reviewed_at")),
    }


HIDDEN_CHILD = "a child in a referral you may not open"


def releases_shown(referral: Referral, viewer=None) -> list[dict]:
    """The referral's releases and what each check found, for ``viewer``: a child the recorder
    saw in a referral the viewer may not open (restricted, or another force's after a transfer)
    is shown only as such, without name or reference."""
    releases = list(referral.releases.all())
    found_in = {
        child["referral_id"] for release in releases for child in release.household_children
    }
    visible = (
        set(Referral.objects.restrict(viewer).filter(pk__in=found_in).values_list("pk", flat=True))
        if viewer is not None and found_in
        else found_in
    )
    shown = []
    for r in releases:
        hidden = [c for c in r.household_children if c["referral_id"] not in visible]
        hidden_labels = {f"{c['ref']} in {c['source_reference']}" for c in hidden}
        shown.append(
            {
                "kind": r.kind,
                "text": r.get_kind_display(),
                "released_at": r.released_at.isoformat(),
                "address": r.address,
                "postcode": r.postcode,
                "conditions": r.conditions,
                "return_at": r.return_at.isoformat() if r.return_at else None,
                "children_at_address": [
                    HIDDEN_CHILD if label in hidden_labels else label
                    for label in r.children_at_address
                ],
                "household_children": [
                    c for c in r.household_children if c["referral_id"] in visible
                ],
                "held_elsewhere": [{**held, "message": contact(held)} for held in r.held_elsewhere],
                "household_established": r.household_established,
                "supervisor_decision": r.supervisor_decision,
                "safeguarding_plan": r.safeguarding_plan,
                "accepted_risk": r.accepted_risk,
                "recorded_by": r.recorded_by_name,
                "rui_reviews": [
                    {
                        "reviewed_at": review.reviewed_at.isoformat(),
                        "decision": review.decision,
                        "decision_text": review.get_decision_display(),
                        "notes": review.notes,
                        "recorded_by": review.recorded_by_name,
                    }
                    for review in r.rui_reviews.all()
                ],
            }
        )
    return shown


def investigation_detail(
    referral: Referral,
    *,
    as_of: datetime,
    viewer=None,
    people: list[Person] | None = None,
    held: set[str] | None = None,
) -> dict:
    """The investigation as plain data: for the referral page, the API and the CLI.
    ``people``: the referral's own people, in order, when the caller has read them; ``held``:
    when the caller has asked, the relations of the referral (``referral.<name>``) that hold
    any record, and a relation not named is not read (None: every one is read)."""

    def holds(name: str) -> bool:
        return held is None or name in held

    outcome = getattr(referral, "outcome", None) if holds("outcome") else None
    safeguarding = SafeguardingRecords(referral, held=held)
    return {
        "status": referral.status,
        "version": referral.version,
        "flags": shown_flags(referral),
        "owner": referral.owner.username if referral.owner else None,
        "team": referral.team,
        "children": children_in_view(
            referral, as_of=as_of, viewer=viewer, records=safeguarding, people=people
        ),
        "safeguarding": safeguarding_detail(referral, records=safeguarding),
        "standards": standards(referral, people=people, checked=holds("standard_checks")),
        "actions": [
            {
                "kind": a.kind,
                "text": a.get_kind_display(),
                "occurred_at": a.occurred_at.isoformat(),
                "details": a.details,
                "notes": a.notes,
                "recorded_by": a.recorded_by_name,
                "recorded_at": a.recorded_at.isoformat(),
            }
            for a in (referral.actions.all() if holds("actions") else [])
        ],
        "allocations": [
            {
                "officer": a.officer.username,
                "team": a.team,
                "allocated_at": a.allocated_at.isoformat(),
                "recorded_by": a.recorded_by_name,
            }
            for a in (
                referral.allocations.select_related("officer") if holds("allocations") else []
            )
        ],
        "reviews": [
            {
                "reviewed_at": r.reviewed_at.isoformat(),
                "by": r.recorded_by_name,
                "notes": r.notes,
                "standards_checked": r.standards_checked,
            }
            for r in (referral.reviews.all() if holds("reviews") else [])
        ],
        "releases": releases_shown(referral, viewer) if holds("releases") else [],
        "transfers": [
            {
                "id": t.pk,
                "from": t.from_force.code,
                "to": t.to_force.code,
                "reason": t.reason,
                "transferred_at": t.transferred_at.isoformat(),
                "by": t.recorded_by_name,
                "status": t.status,
                "answered_at": t.answered_at.isoformat() if t.answered_at else None,
                "answered_by": t.answered_by_name,
                "answer_reason": t.answer_reason,
            }
            for t in (
                referral.transfers.select_related("from_force", "to_force")
                if holds("transfers")
                else []
            )
        ],
        "outcome": {
            "code": outcome.code,
            "text": outcome.text,
            "rationale": outcome.rationale,
            "closed_at": outcome.closed_at.isoformat(),
            "not_in_public_interest": outcome.not_in_public_interest,
            "outstanding_safeguarding_reason": outcome.outstanding_safeguarding_reason,
            "recorded_by": outcome.recorded_by_name,
        }
        if outcome
        else None,
    }


def timeline(detail: dict, assessments: list[dict]) -> list[dict]:
    """Everything that happened to the referral, in time order, in one list."""
    events = []

    def add(at, what, who=""):
        if at:
            events.append({"at": at, "what": what, "who": who})

    for item in assessments:
        add(
            item["assessed_at"],
            _("Graded %(grade)s (%(trigger)s)")
            % {
                "grade": str(label_of(Grade, item["grade"])).lower(),
                "trigger": item["trigger"],
            },
            item["assessed_by"],
        )
    for item in detail["allocations"]:
        add(
            item["allocated_at"],
            _("Allocated to %(officer)s") % {"officer": item["officer"]},
            item["recorded_by"],
        )
    for item in detail["actions"]:
        add(item["occurred_at"], item["text"], item["recorded_by"])
    for item in detail["reviews"]:
        add(item["reviewed_at"], _("Supervisor's review"), item["by"])
    care = detail["safeguarding"]
    for item in care["social_care_referrals"]:
        add(
            item["shared_at"],
            _("Shared with social care (%(authority)s)") % {"authority": item["authority"]},
            item["recorded_by"],
        )
        add(
            item["decision_at"],
            _("Social care decided: %(decision)s") % {"decision": item["decision"]},
        )
    for item in care["strategy_discussions"]:
        add(item["requested_at"], _("Strategy discussion requested"))
        add(item["held_at"], _("Strategy discussion held"))
        add(item["conference_held_at"], _("Initial child protection conference held"))
        for action in item["actions"]:
            add(
                action["done_at"],
                _("Done: %(action)s (%(owner)s)")
                % {"action": action["action"], "owner": action["owner"]},
            )
    for item in care["lado_referrals"]:
        add(item["referred_at"], _("LADO told (%(authority)s)") % {"authority": item["authority"]})
    for item in care["welfare_plans"]:
        add(item["agreed_at"], _("Suspect's welfare plan agreed"))
    for item in detail["releases"]:
        add(
            item["released_at"],
            _("%(release)s to %(address)s") % {"release": item["text"], "address": item["address"]},
            item["recorded_by"],
        )
        for review in item["rui_reviews"]:
            add(
                review["reviewed_at"],
                _("Release under investigation reviewed: %(decision)s")
                % {"decision": review["decision_text"].lower()},
                review["recorded_by"],
            )
    for item in detail["transfers"]:
        add(
            item["transferred_at"],
            _("Transfer offered %(sender)s → %(receiver)s")
            % {"sender": item["from"], "receiver": item["to"]},
            item["by"],
        )
        answer = {
            "accepted": _("Transfer accepted by %(receiver)s"),
            "rejected": _("Transfer rejected by %(receiver)s"),
        }.get(item["status"])
        if answer:
            why = f": {item['answer_reason']}" if item["answer_reason"] else ""
            add(
                item["answered_at"],
                answer % {"receiver": item["to"]} + why,
                item["answered_by"],
            )
    if detail["outcome"]:
        outcome = detail["outcome"]
        add(
            outcome["closed_at"],
            _("Closed: outcome %(code)s %(text)s")
            % {"code": outcome["code"], "text": outcome["text"]},
            outcome["recorded_by"],
        )
    return sorted(events, key=lambda event: event["at"])


def shown_flags(referral: Referral) -> list[str]:
    """The flags to show wherever the referral appears (people's and the facts')."""
    return sorted(referral.flags)
