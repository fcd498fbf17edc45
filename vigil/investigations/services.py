"""The investigation: allocation, what was done, supervisors' reviews, releases, transfers,
the minimum standards, the workflow's moves, flags, closing and reopening.

Each is a recording: checked, run through the guarded change path (which moves the clocks)
and audited, in one transaction. The time a thing happened is the user's to enter: never in
the future, never before the referral arrived, and a late entry keeps the breach on the record.
"""

import tomllib
from datetime import datetime
from functools import cache, partial
from importlib import resources

from vigil.accounts.models import Force, User
from vigil.audit.choices import AuditAction as Audit
from vigil.clocks.models import Clock
from vigil.clocks.services import clock_facts
from vigil.core.permissions import has_permission
from vigil.core.roles import Action as Can
from vigil.people.services import people_records
from vigil.referrals.changes import Change, RecordError, advance
from vigil.referrals.choices import DERIVED_FLAGS, TRANSITIONS, Flag, ReferralStatus
from vigil.referrals.models import Referral, Transfer
from vigil.referrals.recordings import recording
from vigil.risk.services import active_policy, current_assessment
from vigil.safeguarding.services import children_in_view, needs_welfare_plan, safeguarding_detail

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
    "Allocated.",
)
def allocate(
    change: Change,
    officer: User | str,
    *,
    team: str = "",
    allocated_at: datetime | None = None,
) -> Allocation:
    """Give the referral to an investigator of its force."""
    referral = change.referral
    if not isinstance(officer, User):
        officer = User.objects.filter(username=officer).first()
    if officer is None or officer.force_id != referral.force_id or not officer.is_active:
        raise RecordError("allocate to an active officer of the referral's force")
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
    "Action recorded.",
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
        raise RecordError(f"kind must be one of {', '.join(ActionKind.values)}")
    when = change.happened_at(occurred_at)
    if kind in {ActionKind.ARREST, ActionKind.VOLUNTARY_INTERVIEW}:
        why = needs_welfare_plan(referral)
        if why and not referral.welfare_plans.filter(agreed_at__lte=when).exists():
            raise RecordError(
                f"{why}: record the suspect's welfare plan before an arrest or interview"
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
    "Review recorded.",
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
        raise RecordError(f"unknown standards: {', '.join(sorted(unknown))}")
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


def children_at_address(referral: Referral, address: str, postcode: str, as_of: datetime):
    """The children who live at or visit a release address, from the children in view.

    The suspect's home (same postcode, or the address given as home) brings every child who
    lives with the suspect; anywhere else, the children recorded at that postcode. Children the
    suspect has access to count wherever the suspect is released.
    """
    records = people_records(referral, linked=False)
    home_postcodes = {
        _norm(code)
        for person in records.people
        if person.role == "suspect"
        for code in person.postcodes
    }
    at_home = (postcode and _norm(postcode) in home_postcodes) or _norm(address) in {"home", ""}
    found = []
    for child in children_in_view(referral, as_of=as_of):
        postcodes = {_norm(code) for code in child["postcodes"]}
        if (
            child["relation"] == "access"
            or (child["relation"] == "household" and at_home)
            or (postcode and _norm(postcode) in postcodes)
        ):
            found.append(child["ref"] or "a child known to another force")
    return found


@step("releases", Can.ACTION_RECORD, Audit.RELEASE_RECORDED, ReleaseIn, "Release recorded.")
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
) -> Release:
    """Record the suspect's release. To an address where a child lives or which a child visits,
    only a supervisor may record it, with their decision and a safeguarding plan; it then puts
    a clock on telling social care. A bail return date becomes a clock too."""
    referral = change.referral
    if kind not in ReleaseKind.values:
        raise RecordError(f"kind must be one of {', '.join(ReleaseKind.values)}")
    if not address.strip():
        raise RecordError("give the address the suspect is released to")
    when = change.happened_at(released_at)
    if return_at is not None and return_at <= when:
        raise RecordError("the bail return date must be after the release")
    children = children_at_address(referral, address, postcode, change.as_of)
    if children:
        if not has_permission(change.actor, Can.RELEASE_APPROVE):
            raise RecordError(
                f"a child lives at or visits this address ({', '.join(children)}): a supervisor "
                "must record the release, with their decision and a safeguarding plan"
            )
        if not supervisor_decision.strip() or not safeguarding_plan.strip():
            raise RecordError(
                f"a child lives at or visits this address ({', '.join(children)}): record your "
                "decision and the safeguarding plan"
            )
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
            "return_at": return_at,
            "supervisor_decision": release.supervisor_decision,
        },
    )
    return release


@step(
    "rui-reviews",
    Can.REFERRAL_REVIEW,
    Audit.RUI_REVIEWED,
    RuiReviewIn,
    "Review of the release under investigation recorded.",
)
def record_rui_review(
    change: Change, *, decision: str, reviewed_at: datetime | None = None, notes: str = ""
) -> RuiReview:
    """A review of the suspect's release under investigation; the next falls due 3 months on.

    It reviews the release standing when it was made, which must be a release under
    investigation.
    """
    if decision not in RuiDecision.values:
        raise RecordError(f"decision must be one of {', '.join(RuiDecision.values)}")
    when = change.happened_at(reviewed_at)
    standing = (
        Release.objects.filter(referral=change.referral, released_at__lte=when)
        .order_by("-released_at", "-id")
        .first()
    )
    if standing is None or standing.kind != ReleaseKind.RELEASED_UNDER_INVESTIGATION:
        raise RecordError("the suspect was not released under investigation at that time")
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


@step("transfer", Can.REFERRAL_TRANSFER, Audit.REFERRAL_TRANSFERRED, TransferIn, "Transferred.")
def transfer(change: Change, to_force: str, *, reason: str) -> Transfer:
    """Hand the referral to another force. Its clocks keep their due times; both forces see it;
    the receiving force allocates it."""
    referral = change.referral
    target = Force.objects.filter(code=to_force.strip().upper()).first()
    if target is None:
        raise RecordError(f"force {to_force!r} is not known to Vigil")
    if target.pk == referral.force_id:
        raise RecordError("the referral is already with that force")
    if len(reason.strip()) < 10:
        raise RecordError("give the reason for the transfer in words")
    from_force = referral.force
    item = Transfer.objects.create(
        referral=referral,
        from_force=from_force,
        to_force=target,
        reason=reason.strip(),
        transferred_at=change.as_of,
        **change.recorded(),
    )
    referral.force = target
    referral.owner = None
    referral.team = ""
    referral.save(update_fields=["force", "owner", "team"])
    change.describe(
        referral,
        before={"force": from_force.code},
        after={"force": target.code, "reason": item.reason},
    )
    return item


def standards(referral: Referral) -> list[dict]:
    """The minimum investigative standards: which are met, how, and which are outstanding."""
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


@step(
    "standards", Can.ACTION_RECORD, Audit.STANDARD_RECORDED, StandardIn, "Standard recorded as met."
)
def record_standard(
    change: Change, code: str, *, note: str, met_at: datetime | None = None
) -> StandardCheck:
    """Record a standard as met, saying what was done (which checks, which devices…)."""
    codes = {item["code"] for item in active_policy().standards}
    if code not in codes:
        raise RecordError(f"unknown standard {code!r}")
    if not note.strip():
        raise RecordError("say what was done")
    when = change.happened_at(met_at)
    # Under the referral's lock already: no lock of its own (update_or_create would take one).
    check = StandardCheck.objects.filter(referral=change.referral, code=code).first()
    check = check or StandardCheck(referral=change.referral, code=code)
    for name, value in {"note": note.strip(), "met_at": when, **change.recorded()}.items():
        setattr(check, name, value)
    check.save()
    change.describe(check, after={"referral": change.referral.pk, "code": code, "note": check.note})
    return check


@step("status", Can.ACTION_RECORD, Audit.STATUS_CHANGED, MoveIn, "Moved.", api_status=200)
def move(change: Change, status: str, *, reason: str = "") -> Referral:
    """An explicit, audited move to another state (the ones the workflow allows by hand)."""
    referral = change.referral
    allowed = TRANSITIONS.get(referral.status, set())
    if status not in allowed:
        names = ", ".join(sorted(allowed)) or "none"
        raise RecordError(
            f"a referral that is {referral.get_status_display().lower()} cannot move to "
            f"{status!r} by hand (allowed: {names})"
        )
    before = referral.status
    referral.status = status
    referral.save(update_fields=["status"])
    change.describe(before={"status": before}, after={"status": status, "reason": reason})
    return referral


@step("flags", Can.ACTION_RECORD, Audit.FLAGS_CHANGED, FlagsIn, "Flags saved.", api_method="PUT")
def set_flags(change: Change, flags: list[str] = ()) -> Referral:
    """Set the referral's flags"""
    referral = change.referral
    unknown = set(flags) - set(Flag.values)
    if unknown:
        raise RecordError(f"unknown flags: {', '.join(sorted(unknown))}")
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


SAFEGUARDING_CLOCKS = {
    "social_care_referral",
    "strategy_discussion",
    "lado_referral",
    "release_social_care",
    "child_protection_conference",
    "strategy_action",
}


@step("outcome", Can.OUTCOME_CLOSE, Audit.REFERRAL_CLOSED, CloseIn, "The referral is closed.")
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
        raise RecordError(f"unknown outcome type {outcome!r}")
    if len(rationale.strip()) < 10:
        raise RecordError("give the rationale for the outcome in words")
    if kind.get("supervisor") and not has_permission(change.actor, Can.OUTCOME_APPROVE):
        raise RecordError(f"outcome {outcome} ({kind['text']}) needs a supervisor")
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
                f"safeguarding is still due ({said}): a supervisor must record why it can close"
            )
        if len(outstanding_reason.strip()) < 10:
            raise RecordError(
                f"safeguarding is still due ({said}): record why the referral can close anyway"
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
    "The referral is open again.",
    on_closed=True,
)
def reopen(change: Change, *, reason: str) -> Referral:
    """Open a closed referral again: new information, or a closure that was wrong. Its outcome
    is withdrawn (kept in the audit trail) and its clocks run again from what is recorded."""
    referral = change.referral
    if not referral.is_closed:
        raise RecordError("the referral is not closed")
    if referral.personal_data_deleted_at is not None:
        raise RecordError("the referral's personal data has been deleted at review")
    if len(reason.strip()) < 10:
        raise RecordError("give the reason for reopening in words")
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


def investigation_detail(referral: Referral, *, as_of: datetime, viewer=None) -> dict:
    """The investigation as plain data: for the referral page, the API and the CLI."""
    outcome = getattr(referral, "outcome", None)
    return {
        "status": referral.status,
        "version": referral.version,
        "flags": shown_flags(referral),
        "owner": referral.owner.username if referral.owner else None,
        "team": referral.team,
        "children": children_in_view(referral, as_of=as_of, viewer=viewer),
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
        add(item["conference_held_at"], "Initial child protection conference held")
        for action in item["actions"]:
            add(action["done_at"], f"Done: {action['action']} ({action['owner']})")
    for item in care["lado_referrals"]:
        add(item["referred_at"], f"LADO told ({item['authority']})")
    for item in care["welfare_plans"]:
        add(item["agreed_at"], "Suspect's welfare plan agreed")
    for item in detail["releases"]:
        add(item["released_at"], f"{item['text']} to {item['address']}", item["recorded_by"])
        for review in item["rui_reviews"]:
            add(
                review["reviewed_at"],
                f"Release under investigation reviewed: {review['decision_text'].lower()}",
                review["recorded_by"],
            )
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
