"""Allocating referrals, recording what was done, and supervisors' reviews.

Each is checked, audited and moves the referral's clocks, in one transaction. The time a thing
happened is the user's to enter: never in the future, never before the referral arrived, and a
late entry keeps the breach on the record.
"""

import tomllib
from datetime import datetime
from functools import cache
from importlib import resources

from django.core.exceptions import ValidationError

from vigil.accounts.actors import Actor, SystemActor, actor_name
from vigil.accounts.choices import Action as Can
from vigil.accounts.models import User
from vigil.accounts.permissions import has_permission, require
from vigil.audit.choices import AuditAction
from vigil.audit.services import record
from vigil.clocks.services import sync_clocks
from vigil.intake.choices import DERIVED_FLAGS, TRANSITIONS, Flag, ReferralStatus
from vigil.intake.models import Referral
from vigil.intake.retention import review_date
from vigil.intake.services import advance, changing, require_visible

from .models import (
    POSITIVE_ACTIONS,
    Action,
    ActionKind,
    Allocation,
    Outcome,
    Release,
    ReleaseKind,
    StandardCheck,
    SupervisorReview,
    Transfer,
)


class RecordError(ValidationError):
    """Something Vigil will not record, with the reason in plain words."""


def happened_at(referral: Referral, moment: datetime | None, as_of: datetime) -> datetime:
    """When the user says it happened: never in the future, never before receipt."""
    moment = moment or as_of
    if moment > as_of:
        raise RecordError("a thing cannot have happened in the future")
    if moment < referral.received_at:
        raise RecordError("it cannot have happened before the referral was received")
    return moment


def _recorded(actor: Actor, as_of: datetime) -> dict:
    return {
        "recorded_by": None if isinstance(actor, SystemActor) else actor,
        "recorded_by_name": actor_name(actor),
        "recorded_at": as_of,
    }


def allocate(
    actor: Actor,
    referral: Referral,
    officer: User,
    *,
    team: str = "",
    allocated_at: datetime | None = None,
    expected_version: int | None = None,
    as_of: datetime,
) -> Allocation:
    """Give the referral to an investigator of its force."""
    require(actor, Can.REFERRAL_ALLOCATE)
    require_visible(actor, referral)
    if officer.force_id != referral.force_id or not officer.is_active:
        raise RecordError("allocate to an active officer of the referral's force")
    when = happened_at(referral, allocated_at, as_of)
    with changing(referral, expected_version=expected_version) as referral:
        before = {
            "owner": referral.owner.username if referral.owner else None,
            "team": referral.team,
        }
        allocation = Allocation.objects.create(
            referral=referral,
            officer=officer,
            team=team or officer.team,
            allocated_at=when,
            **_recorded(actor, as_of),
        )
        referral.owner = officer
        referral.team = allocation.team
        referral.save(update_fields=["owner", "team"])
        advance(referral, ReferralStatus.ALLOCATED)
        record(
            actor,
            AuditAction.REFERRAL_ALLOCATED,
            referral,
            at=as_of,
            force_code=referral.force.code,
            before=before,
            after={"owner": officer.username, "team": allocation.team, "allocated_at": when},
        )
        sync_clocks(referral, as_of=as_of)
    return allocation


def allocate_many(
    actor: Actor, referrals: list[Referral], officer: User, *, team: str = "", as_of: datetime
) -> list[Allocation]:
    """Allocate several referrals from a worklist; each is its own transaction."""
    return [allocate(actor, referral, officer, team=team, as_of=as_of) for referral in referrals]


def record_action(
    actor: Actor,
    referral: Referral,
    kind: str,
    *,
    occurred_at: datetime | None = None,
    details: dict | None = None,
    notes: str = "",
    expected_version: int | None = None,
    as_of: datetime,
) -> Action:
    """Record something done: an arrest, a warrant, a search, devices seized, an interview…"""
    require(actor, Can.ACTION_RECORD)
    require_visible(actor, referral)
    if kind not in ActionKind.values:
        raise RecordError(f"kind must be one of {', '.join(ActionKind.values)}")
    when = happened_at(referral, occurred_at, as_of)
    if kind in {ActionKind.ARREST, ActionKind.VOLUNTARY_INTERVIEW}:
        from vigil.safeguarding.services import needs_welfare_plan

        why = needs_welfare_plan(referral, as_of=as_of)
        if why and not referral.welfare_plans.filter(agreed_at__lte=when).exists():
            raise RecordError(
                f"{why}: record the suspect's welfare plan before an arrest or interview"
            )
    with changing(referral, expected_version=expected_version) as referral:
        action = Action.objects.create(
            referral=referral,
            kind=kind,
            occurred_at=when,
            details=details or {},
            notes=notes,
            **_recorded(actor, as_of),
        )
        if kind in POSITIVE_ACTIONS:
            advance(referral, ReferralStatus.ENFORCEMENT)
        record(
            actor,
            AuditAction.ACTION_RECORDED,
            action,
            at=as_of,
            force_code=referral.force.code,
            after={
                "referral": referral.pk,
                "kind": kind,
                "occurred_at": when,
                "details": details or {},
            },
        )
        sync_clocks(referral, as_of=as_of)
    return action


def record_review(
    actor: Actor,
    referral: Referral,
    *,
    reviewed_at: datetime | None = None,
    notes: str = "",
    standards_checked: list[str] | None = None,
    expected_version: int | None = None,
    as_of: datetime,
) -> SupervisorReview:
    """A supervisor's review of the open referral; the next one falls due 28 days later."""
    require(actor, Can.REFERRAL_REVIEW)
    require_visible(actor, referral)
    when = happened_at(referral, reviewed_at, as_of)
    with changing(referral, expected_version=expected_version) as referral:
        review = SupervisorReview.objects.create(
            referral=referral,
            reviewed_at=when,
            notes=notes,
            standards_checked=standards_checked or [],
            **_recorded(actor, as_of),
        )
        record(
            actor,
            AuditAction.REVIEW_RECORDED,
            review,
            at=as_of,
            force_code=referral.force.code,
            after={
                "referral": referral.pk,
                "reviewed_at": when,
                "standards_checked": standards_checked or [],
            },
        )
        sync_clocks(referral, as_of=as_of)
    return review


# ---------------------------------------------------------------------------------------------
# Releases, transfers, standards, the workflow and closing


def _norm(text: str) -> str:
    return "".join(text.split()).casefold()


def children_at_address(referral: Referral, address: str, postcode: str, as_of: datetime):
    """The children who live at or visit a release address, from the household facts.

    The suspect's home (same postcode, or the address given as home) brings every child who
    lives with the suspect; anywhere else, the children recorded at that postcode. Children the
    suspect has access to count wherever the suspect is released.
    """
    from vigil.safeguarding.services import children_in_view

    children = children_in_view(referral, as_of=as_of)
    home_postcodes = {
        _norm(postcode)
        for postcode in referral.people.filter(role="suspect").values_list(
            "addresses__postcode", flat=True
        )
        if postcode
    }
    at_home = (postcode and _norm(postcode) in home_postcodes) or _norm(address) in {"home", ""}
    found = []
    for child in children:
        if (
            child["relation"] == "access"
            or (child["relation"] == "household" and at_home)
            or (postcode and _norm(postcode) in child["postcodes"])
        ):
            found.append(child["ref"])
    return found


def record_release(
    actor: Actor,
    referral: Referral,
    *,
    kind: str,
    address: str,
    postcode: str = "",
    released_at: datetime | None = None,
    conditions: str = "",
    return_at: datetime | None = None,
    supervisor_decision: str = "",
    safeguarding_plan: str = "",
    expected_version: int | None = None,
    as_of: datetime,
) -> Release:
    """Record the suspect's release. To an address where a child lives or which a child visits,
    only a supervisor may record it, with their decision and a safeguarding plan; it then puts
    a clock on telling social care. A bail return date becomes a clock too."""
    require(actor, Can.ACTION_RECORD)
    require_visible(actor, referral)
    if kind not in ReleaseKind.values:
        raise RecordError(f"kind must be one of {', '.join(ReleaseKind.values)}")
    if not address.strip():
        raise RecordError("give the address the suspect is released to")
    when = happened_at(referral, released_at, as_of)
    if return_at is not None and return_at <= when:
        raise RecordError("the bail return date must be after the release")
    children = children_at_address(referral, address, postcode, as_of)
    if children:
        if not has_permission(actor, Can.RELEASE_APPROVE):
            raise RecordError(
                f"a child lives at or visits this address ({', '.join(children)}): a supervisor "
                "must record the release, with their decision and a safeguarding plan"
            )
        if not supervisor_decision.strip() or not safeguarding_plan.strip():
            raise RecordError(
                f"a child lives at or visits this address ({', '.join(children)}): record your "
                "decision and the safeguarding plan"
            )
    with changing(referral, expected_version=expected_version) as referral:
        release = Release.objects.create(
            referral=referral,
            kind=kind,
            released_at=when,
            address=address.strip(),
            postcode=postcode.strip().upper(),
            conditions=conditions,
            return_at=return_at,
            children_at_address=children,
            supervisor_decision=supervisor_decision.strip(),
            safeguarding_plan=safeguarding_plan.strip(),
            **_recorded(actor, as_of),
        )
        advance(referral, ReferralStatus.POST_ENFORCEMENT)
        record(
            actor,
            AuditAction.RELEASE_RECORDED,
            release,
            at=as_of,
            force_code=referral.force.code,
            after={
                "referral": referral.pk,
                "kind": kind,
                "released_at": when,
                "children_at_address": children,
                "return_at": return_at,
                "supervisor_decision": release.supervisor_decision,
            },
        )
        sync_clocks(referral, as_of=as_of)
    return release


def transfer(
    actor: Actor,
    referral: Referral,
    to_force_code: str,
    *,
    reason: str,
    expected_version: int | None = None,
    as_of: datetime,
) -> Transfer:
    """Hand the referral to another force. Its clocks keep their due times; both forces see it;
    the receiving force allocates it."""
    from vigil.accounts.models import Force

    require(actor, Can.REFERRAL_TRANSFER)
    require_visible(actor, referral)
    to_force = Force.objects.filter(code=to_force_code.strip().upper()).first()
    if to_force is None:
        raise RecordError(f"force {to_force_code!r} is not known to Vigil")
    if to_force.pk == referral.force_id:
        raise RecordError("the referral is already with that force")
    if len(reason.strip()) < 10:
        raise RecordError("give the reason for the transfer in words")
    with changing(referral, expected_version=expected_version) as referral:
        from_force = referral.force
        item = Transfer.objects.create(
            referral=referral,
            from_force=from_force,
            to_force=to_force,
            reason=reason.strip(),
            transferred_at=as_of,
            **_recorded(actor, as_of),
        )
        referral.force = to_force
        referral.owner = None
        referral.team = ""
        referral.save(update_fields=["force", "owner", "team"])
        record(
            actor,
            AuditAction.REFERRAL_TRANSFERRED,
            referral,
            at=as_of,
            force_code=from_force.code,
            before={"force": from_force.code},
            after={"force": to_force.code, "reason": item.reason},
        )
        sync_clocks(referral, as_of=as_of)
    return item


def standards(referral: Referral) -> list[dict]:
    """The minimum investigative standards: which are met, how, and which are outstanding."""
    from vigil.risk.services import active_policy, current_assessment

    assessment = current_assessment(referral)
    answers = assessment.answers if assessment else {}
    suspect = referral.people.filter(role="suspect").first()
    checks = {check.code: check for check in referral.standard_checks.all()}
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
            how = f"recorded as established ({suspect.source})" if met and suspect else ""
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


def record_standard(
    actor: Actor,
    referral: Referral,
    code: str,
    *,
    note: str,
    met_at: datetime | None = None,
    as_of: datetime,
) -> StandardCheck:
    """Record a standard as met, saying what was done (which checks, which devices…)."""
    from vigil.risk.services import active_policy

    require(actor, Can.ACTION_RECORD)
    require_visible(actor, referral)
    codes = {item["code"] for item in active_policy().standards}
    if code not in codes:
        raise RecordError(f"unknown standard {code!r}")
    if not note.strip():
        raise RecordError("say what was done")
    when = happened_at(referral, met_at, as_of)
    with changing(referral) as referral:
        check, _ = StandardCheck.objects.update_or_create(
            referral=referral,
            code=code,
            defaults={"note": note.strip(), "met_at": when, **_recorded(actor, as_of)},
        )
        record(
            actor,
            AuditAction.STANDARD_RECORDED,
            check,
            at=as_of,
            force_code=referral.force.code,
            after={"referral": referral.pk, "code": code, "note": check.note},
        )
    return check


def move(
    actor: Actor,
    referral: Referral,
    status: str,
    *,
    reason: str = "",
    expected_version: int | None = None,
    as_of: datetime,
) -> Referral:
    """An explicit, audited move to another state (the ones the workflow allows by hand)."""
    require(actor, Can.ACTION_RECORD)
    require_visible(actor, referral)
    with changing(referral, expected_version=expected_version) as locked:
        allowed = TRANSITIONS.get(locked.status, set())
        if status not in allowed:
            names = ", ".join(sorted(allowed)) or "none"
            raise RecordError(
                f"a referral that is {locked.get_status_display().lower()} cannot move to "
                f"{status!r} by hand (allowed: {names})"
            )
        before = locked.status
        locked.status = status
        locked.save(update_fields=["status"])
        record(
            actor,
            AuditAction.STATUS_CHANGED,
            locked,
            at=as_of,
            force_code=locked.force.code,
            before={"status": before},
            after={"status": status, "reason": reason},
        )
    referral.status = status
    return referral


def set_flags(actor: Actor, referral: Referral, flags: list[str], *, as_of: datetime) -> Referral:
    require(actor, Can.ACTION_RECORD)
    require_visible(actor, referral)
    unknown = set(flags) - set(Flag.values)
    if unknown:
        raise RecordError(f"unknown flags: {', '.join(sorted(unknown))}")
    with changing(referral) as locked:
        before = list(locked.flags)
        # The flags that follow from the facts stay as the facts say.
        locked.flags = sorted((set(flags) - DERIVED_FLAGS) | (set(before) & DERIVED_FLAGS))
        locked.save(update_fields=["flags"])
        record(
            actor,
            AuditAction.FLAGS_CHANGED,
            locked,
            at=as_of,
            force_code=locked.force.code,
            before={"flags": before},
            after={"flags": locked.flags},
        )
    referral.flags = locked.flags
    return referral


@cache
def outcome_types() -> dict[str, dict]:
    """The Home Office outcome types (reference data in ``outcomes.toml``)."""
    text = resources.files("vigil.investigations").joinpath("outcomes.toml").read_text("utf-8")
    return {item["code"]: item for item in tomllib.loads(text)["outcomes"]}


def close(
    actor: Actor,
    referral: Referral,
    *,
    outcome: str,
    rationale: str,
    outstanding_reason: str = "",
    closed_at: datetime | None = None,
    expected_version: int | None = None,
    as_of: datetime,
) -> Outcome:
    """Close with an outcome type and a written rationale.

    Refused while a safeguarding step is due or a child in view has no recorded social care
    decision, unless a supervisor records why. "Not in the public interest" outcomes, and
    closing past outstanding safeguarding, need a supervisor.
    """
    from vigil.clocks.models import Clock
    from vigil.safeguarding.services import children_in_view

    require(actor, Can.OUTCOME_CLOSE)
    require_visible(actor, referral)
    kind = outcome_types().get(outcome)
    if kind is None:
        raise RecordError(f"unknown outcome type {outcome!r}")
    if len(rationale.strip()) < 10:
        raise RecordError("give the rationale for the outcome in words")
    if kind.get("supervisor") and not has_permission(actor, Can.OUTCOME_APPROVE):
        raise RecordError(f"outcome {outcome} ({kind['text']}) needs a supervisor")
    outstanding = list(
        Clock.objects.filter(
            referral=referral, is_open=True, kind__in=SAFEGUARDING_CLOCKS
        ).values_list("kind", flat=True)
    )
    outstanding += [
        f"no social care decision recorded for {child['ref']}"
        for child in children_in_view(referral, as_of=as_of)
        if not child["social_care_decision"]
    ]
    if outstanding:
        if not has_permission(actor, Can.OUTCOME_APPROVE):
            raise RecordError(
                "safeguarding is still due ("
                + "; ".join(o.replace("_", " ") for o in outstanding)
                + "): a supervisor must record why it can close"
            )
        if len(outstanding_reason.strip()) < 10:
            raise RecordError(
                "safeguarding is still due ("
                + "; ".join(o.replace("_", " ") for o in outstanding)
                + "): record why the referral can close anyway"
            )
    when = happened_at(referral, closed_at, as_of)
    with changing(referral, expected_version=expected_version) as referral:
        if referral.status == ReferralStatus.CLOSED:
            raise RecordError("the referral is already closed")
        item = Outcome.objects.create(
            referral=referral,
            force=referral.force,
            code=outcome,
            text=kind["text"],
            rationale=rationale.strip(),
            closed_at=when,
            not_in_public_interest=bool(kind.get("not_in_public_interest")),
            outstanding_safeguarding_reason=outstanding_reason.strip() if outstanding else "",
            **_recorded(actor, as_of),
        )
        before = referral.status
        referral.status = ReferralStatus.CLOSED
        referral.review_at = review_date(when, outcome)
        referral.save(update_fields=["status", "review_at"])
        record(
            actor,
            AuditAction.REFERRAL_CLOSED,
            referral,
            at=as_of,
            force_code=referral.force.code,
            before={"status": before},
            after={
                "outcome": outcome,
                "rationale": item.rationale,
                "outstanding": outstanding,
                "outstanding_reason": item.outstanding_safeguarding_reason,
            },
        )
        sync_clocks(referral, as_of=as_of)
    return item


SAFEGUARDING_CLOCKS = {
    "social_care_referral",
    "strategy_discussion",
    "lado_referral",
    "release_social_care",
}


def investigation_detail(referral: Referral, *, as_of: datetime) -> dict:
    """The investigation as plain data: for the referral page, the API and the CLI."""
    from vigil.safeguarding.services import children_in_view, safeguarding_detail

    outcome = getattr(referral, "outcome", None)
    return {
        "status": referral.status,
        "version": referral.version,
        "flags": shown_flags(referral),
        "owner": referral.owner.username if referral.owner else None,
        "team": referral.team,
        "children": children_in_view(referral, as_of=as_of),
        "safeguarding": safeguarding_detail(referral),
        "standards": standards(referral),
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
            for a in referral.actions.all()
        ],
        "allocations": [
            {
                "officer": a.officer.username,
                "team": a.team,
                "allocated_at": a.allocated_at.isoformat(),
                "recorded_by": a.recorded_by_name,
            }
            for a in referral.allocations.select_related("officer")
        ],
        "reviews": [
            {
                "reviewed_at": r.reviewed_at.isoformat(),
                "by": r.recorded_by_name,
                "notes": r.notes,
                "standards_checked": r.standards_checked,
            }
            for r in referral.reviews.all()
        ],
        "releases": [
            {
                "kind": r.kind,
                "text": r.get_kind_display(),
                "released_at": r.released_at.isoformat(),
                "address": r.address,
                "postcode": r.postcode,
                "conditions": r.conditions,
                "return_at": r.return_at.isoformat() if r.return_at else None,
                "children_at_address": r.children_at_address,
                "supervisor_decision": r.supervisor_decision,
                "safeguarding_plan": r.safeguarding_plan,
                "recorded_by": r.recorded_by_name,
            }
            for r in referral.releases.all()
        ],
        "transfers": [
            {
                "from": t.from_force.code,
                "to": t.to_force.code,
                "reason": t.reason,
                "transferred_at": t.transferred_at.isoformat(),
                "by": t.recorded_by_name,
            }
            for t in referral.transfers.select_related("from_force", "to_force")
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
            f"Graded {item['grade'].replace('_', ' ')} ({item['trigger']})",
            item["assessed_by"],
        )
    for item in detail["allocations"]:
        add(item["allocated_at"], f"Allocated to {item['officer']}", item["recorded_by"])
    for item in detail["actions"]:
        add(item["occurred_at"], item["text"], item["recorded_by"])
    for item in detail["reviews"]:
        add(item["reviewed_at"], "Supervisor's review", item["by"])
    care = detail["safeguarding"]
    for item in care["social_care_referrals"]:
        add(
            item["shared_at"], f"Shared with social care ({item['authority']})", item["recorded_by"]
        )
        add(item["decision_at"], f"Social care decided: {item['decision']}")
    for item in care["strategy_discussions"]:
        add(item["requested_at"], "Strategy discussion requested")
        add(item["held_at"], "Strategy discussion held")
    for item in care["lado_referrals"]:
        add(item["referred_at"], f"LADO told ({item['authority']})")
    for item in care["welfare_plans"]:
        add(item["agreed_at"], "Suspect's welfare plan agreed")
    for item in detail["releases"]:
        add(item["released_at"], f"{item['text']} to {item['address']}", item["recorded_by"])
    for item in detail["transfers"]:
        add(item["transferred_at"], f"Transferred {item['from']} → {item['to']}", item["by"])
    if detail["outcome"]:
        outcome = detail["outcome"]
        add(
            outcome["closed_at"],
            f"Closed: outcome {outcome['code']} {outcome['text']}",
            outcome["recorded_by"],
        )
    return sorted(events, key=lambda event: event["at"])


def shown_flags(referral: Referral) -> list[str]:
    """The flags to show wherever the referral appears (people's and the facts')."""
    return sorted(referral.flags)
