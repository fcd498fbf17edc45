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


class StrategyIn(Schema):
    requested_at: datetime | None = None


class LadoIn(Schema):
    authority: str
    referred_at: datetime | None = None


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
