"""Allocation, actions, reviews and safeguarding steps over the API. Thin: one service each."""

from datetime import datetime

from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Field, Router, Schema, Status

from vigil.accounts.choices import Action as Can
from vigil.accounts.models import User
from vigil.accounts.permissions import require
from vigil.clocks.schemas import ClockOut
from vigil.clocks.services import referral_clocks
from vigil.intake.services import find_referral
from vigil.safeguarding import services as safeguarding

from . import services

router = Router(tags=["investigation"])


class AllocationIn(Schema):
    officer: str = Field(description="username of the investigator")
    team: str = ""
    allocated_at: datetime | None = None


class ActionIn(Schema):
    kind: str
    occurred_at: datetime | None = None
    details: dict = {}
    notes: str = ""


class ReviewIn(Schema):
    reviewed_at: datetime | None = None
    notes: str = ""
    standards_checked: list[str] = []


class SocialCareIn(Schema):
    authority: str
    method: str
    what_was_shared: str
    shared_at: datetime | None = None
    children: list[str] = Field([], description="refs of the children it was about (default all)")


class StrategyIn(Schema):
    requested_at: datetime | None = None


class LadoIn(Schema):
    authority: str
    referred_at: datetime | None = None


class Versioned(Schema):
    expected_version: int | None = Field(
        None, description="The version you saw; a change made since is refused with 409"
    )


class ReleaseIn(Versioned):
    kind: str
    address: str
    postcode: str = ""
    released_at: datetime | None = None
    conditions: str = ""
    return_at: datetime | None = None
    supervisor_decision: str = ""
    safeguarding_plan: str = ""


class TransferIn(Versioned):
    to_force: str
    reason: str


class CloseIn(Versioned):
    outcome: str = Field(description="A Home Office outcome type code, e.g. 1, 15, 21")
    rationale: str
    outstanding_reason: str = ""
    closed_at: datetime | None = None


class StandardIn(Schema):
    code: str
    note: str
    met_at: datetime | None = None


class MoveIn(Versioned):
    status: str
    reason: str = ""


class FlagsIn(Schema):
    flags: list[str]


class SocialCareDecisionIn(Schema):
    decision: str
    decided_at: datetime | None = None


class HeldIn(Schema):
    held_at: datetime
    attendees: list[dict]
    decisions: str
    record_circulated_at: datetime | None = None


class LadoOutcomeIn(Schema):
    outcome: str


class WelfarePlanIn(Schema):
    reason: str
    plan: str
    agreed_at: datetime | None = None


def _referral(request, referral_id: int):
    require(request.user, Can.REFERRAL_VIEW)
    return find_referral(request.user, referral_id)


def _clocks(referral):
    return Status(201, referral_clocks(referral, as_of=timezone.now()))


@router.post(
    "/referrals/{referral_id}/allocation",
    response={201: list[ClockOut]},
    summary="Allocate to an investigator (meets the allocation clock)",
)
def allocate(request, referral_id: int, body: AllocationIn):
    referral = _referral(request, referral_id)
    officer = get_object_or_404(User, username=body.officer, force_id=referral.force_id)
    services.allocate(
        request.user,
        referral,
        officer,
        team=body.team,
        allocated_at=body.allocated_at,
        as_of=timezone.now(),
    )
    return _clocks(referral)


@router.post(
    "/referrals/{referral_id}/actions",
    response={201: list[ClockOut]},
    summary="Record an investigative action (a positive one meets the enforcement clock)",
)
def action(request, referral_id: int, body: ActionIn):
    referral = _referral(request, referral_id)
    services.record_action(
        request.user,
        referral,
        body.kind,
        occurred_at=body.occurred_at,
        details=body.details,
        notes=body.notes,
        as_of=timezone.now(),
    )
    return _clocks(referral)


@router.post(
    "/referrals/{referral_id}/reviews",
    response={201: list[ClockOut]},
    summary="Record a supervisor's review",
)
def review(request, referral_id: int, body: ReviewIn):
    referral = _referral(request, referral_id)
    services.record_review(
        request.user,
        referral,
        reviewed_at=body.reviewed_at,
        notes=body.notes,
        standards_checked=body.standards_checked,
        as_of=timezone.now(),
    )
    return _clocks(referral)


@router.post(
    "/referrals/{referral_id}/social-care-referrals",
    response={201: list[ClockOut]},
    summary="Record information shared with children's social care",
)
def social_care(request, referral_id: int, body: SocialCareIn):
    referral = _referral(request, referral_id)
    safeguarding.share_with_social_care(request.user, referral, as_of=timezone.now(), **body.dict())
    return _clocks(referral)


@router.post(
    "/referrals/{referral_id}/strategy-discussions",
    response={201: list[ClockOut]},
    summary="Record that a strategy discussion was requested",
)
def strategy(request, referral_id: int, body: StrategyIn):
    referral = _referral(request, referral_id)
    safeguarding.request_strategy_discussion(
        request.user, referral, as_of=timezone.now(), requested_at=body.requested_at
    )
    return _clocks(referral)


@router.post(
    "/referrals/{referral_id}/lado-referrals",
    response={201: list[ClockOut]},
    summary="Record that the LADO was told",
)
def lado(request, referral_id: int, body: LadoIn):
    referral = _referral(request, referral_id)
    safeguarding.refer_to_lado(request.user, referral, as_of=timezone.now(), **body.dict())
    return _clocks(referral)


def _investigation(referral) -> dict:
    referral.refresh_from_db()
    return services.investigation_detail(referral, as_of=timezone.now())


@router.post(
    "/referrals/{referral_id}/releases",
    response={201: dict},
    summary="Record a release; to an address with a child only a supervisor may, with "
    "a decision and a safeguarding plan",
)
def release(request, referral_id: int, body: ReleaseIn):
    referral = _referral(request, referral_id)
    services.record_release(request.user, referral, as_of=timezone.now(), **body.dict())
    return Status(201, _investigation(referral))


@router.post(
    "/referrals/{referral_id}/transfer",
    response={201: dict},
    summary="Transfer to another force (both forces keep sight of it)",
)
def transfer(request, referral_id: int, body: TransferIn):
    referral = _referral(request, referral_id)
    services.transfer(
        request.user,
        referral,
        body.to_force,
        reason=body.reason,
        expected_version=body.expected_version,
        as_of=timezone.now(),
    )
    return Status(201, {"force": body.to_force.upper()})


@router.post(
    "/referrals/{referral_id}/outcome",
    response={201: dict},
    summary="Close with a Home Office outcome type and a rationale",
)
def close(request, referral_id: int, body: CloseIn):
    referral = _referral(request, referral_id)
    services.close(request.user, referral, as_of=timezone.now(), **body.dict())
    return Status(201, _investigation(referral))


@router.post(
    "/referrals/{referral_id}/standards",
    response={201: dict},
    summary="Record a minimum investigative standard as met",
)
def standard(request, referral_id: int, body: StandardIn):
    referral = _referral(request, referral_id)
    services.record_standard(
        request.user, referral, body.code, note=body.note, met_at=body.met_at, as_of=timezone.now()
    )
    return Status(201, _investigation(referral))


@router.post(
    "/referrals/{referral_id}/status",
    response=dict,
    summary="Move the referral to another state (where the workflow allows it by hand)",
)
def move(request, referral_id: int, body: MoveIn):
    referral = _referral(request, referral_id)
    services.move(
        request.user,
        referral,
        body.status,
        reason=body.reason,
        expected_version=body.expected_version,
        as_of=timezone.now(),
    )
    return _investigation(referral)


@router.put("/referrals/{referral_id}/flags", response=dict, summary="Set the referral's flags")
def flags(request, referral_id: int, body: FlagsIn):
    referral = _referral(request, referral_id)
    services.set_flags(request.user, referral, body.flags, as_of=timezone.now())
    return _investigation(referral)


@router.post(
    "/social-care-referrals/{item_id}/decision",
    response=dict,
    summary="Record children's social care's decision",
)
def social_care_decision(request, item_id: int, body: SocialCareDecisionIn):
    from vigil.safeguarding.models import SocialCareReferral

    item = get_object_or_404(SocialCareReferral, pk=item_id)
    referral = _referral(request, item.referral_id)
    safeguarding.record_social_care_decision(
        request.user, item, decision=body.decision, decided_at=body.decided_at, as_of=timezone.now()
    )
    return _investigation(referral)


@router.post(
    "/strategy-discussions/{item_id}/held",
    response=dict,
    summary="Record a strategy discussion held: attendees by agency, decisions",
)
def strategy_held(request, item_id: int, body: HeldIn):
    from vigil.safeguarding.models import StrategyDiscussion

    item = get_object_or_404(StrategyDiscussion, pk=item_id)
    referral = _referral(request, item.referral_id)
    safeguarding.record_strategy_discussion_held(
        request.user, item, as_of=timezone.now(), **body.dict()
    )
    return _investigation(referral)


@router.post(
    "/lado-referrals/{item_id}/outcome", response=dict, summary="Record the LADO's outcome"
)
def lado_outcome(request, item_id: int, body: LadoOutcomeIn):
    from vigil.safeguarding.models import LadoReferral

    item = get_object_or_404(LadoReferral, pk=item_id)
    referral = _referral(request, item.referral_id)
    safeguarding.record_lado_outcome(request.user, item, outcome=body.outcome, as_of=timezone.now())
    return _investigation(referral)


@router.post(
    "/referrals/{referral_id}/welfare-plans",
    response={201: dict},
    summary="Record the suspect's own welfare plan (before arrest or interview)",
)
def welfare_plan(request, referral_id: int, body: WelfarePlanIn):
    referral = _referral(request, referral_id)
    safeguarding.record_welfare_plan(request.user, referral, as_of=timezone.now(), **body.dict())
    return Status(201, _investigation(referral))
