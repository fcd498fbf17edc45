"""Grades, overrides and facts over the API. Thin: each route calls one service."""

from datetime import datetime, timedelta

from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Router, Status

from vigil.accounts.choices import Action
from vigil.accounts.permissions import require
from vigil.intake.services import add_indicator, find_referral
from vigil.people import services as people

from . import schemas, services
from .models import Override

router = Router(tags=["risk"])


def _referral(request, referral_id: int):
    require(request.user, Action.REFERRAL_VIEW)
    return find_referral(request.user, referral_id)


def _risk(referral) -> dict:
    return {"current": services.risk_summary(referral), "history": services.risk_history(referral)}


@router.get(
    "/referrals/{referral_id}/risk",
    response=schemas.RiskWithHistory,
    summary="The grade in force, why, and every earlier assessment",
)
def get_risk(request, referral_id: int):
    return _risk(_referral(request, referral_id))


@router.post(
    "/referrals/{referral_id}/overrides",
    response={201: schemas.OverrideOut},
    summary="Propose a different grade (raising applies at once; lowering waits for a supervisor)",
)
def propose(request, referral_id: int, body: schemas.OverrideIn):
    override = services.propose_override(
        request.user, _referral(request, referral_id), body.grade, body.reason, as_of=timezone.now()
    )
    return Status(201, services._override_dict(override))


@router.post(
    "/overrides/{override_id}/decision",
    response=schemas.OverrideOut,
    summary="Approve or refuse a lower grade (a supervisor other than the proposer)",
)
def decide(request, override_id: int, body: schemas.DecisionIn):
    override = get_object_or_404(Override, pk=override_id)
    _referral(request, override.referral_id)
    override = services.decide_override(
        request.user, override, approve=body.approve, reason=body.reason, as_of=timezone.now()
    )
    return services._override_dict(override)


@router.post(
    "/referrals/{referral_id}/household-members",
    response={201: schemas.RiskWithHistory},
    summary="Record someone who lives with a person of the referral",
)
def household_member(request, referral_id: int, body: schemas.HouseholdMemberIn):
    referral = _referral(request, referral_id)
    people.add_household_member(request.user, referral, as_of=timezone.now(), **body.dict())
    return Status(201, _risk(referral))


@router.post(
    "/referrals/{referral_id}/access",
    response={201: schemas.RiskWithHistory},
    summary="Record access to a child outside the home",
)
def access(request, referral_id: int, body: schemas.AccessIn):
    referral = _referral(request, referral_id)
    people.add_access(request.user, referral, as_of=timezone.now(), **body.dict())
    return Status(201, _risk(referral))


@router.post(
    "/referrals/{referral_id}/history",
    response={201: schemas.RiskWithHistory},
    summary="Record a previous offence or allegation",
)
def history(request, referral_id: int, body: schemas.HistoryIn):
    referral = _referral(request, referral_id)
    people.add_history(request.user, referral, as_of=timezone.now(), **body.dict())
    return Status(201, _risk(referral))


@router.post(
    "/referrals/{referral_id}/indicators",
    response={201: schemas.RiskWithHistory},
    summary="Record behaviour found after receipt",
)
def indicator(request, referral_id: int, body: schemas.IndicatorIn):
    referral = _referral(request, referral_id)
    add_indicator(
        request.user,
        referral,
        body.indicator,
        source=body.source,
        learned_at=body.learned_at,
        as_of=timezone.now(),
    )
    return Status(201, _risk(referral))


@router.patch(
    "/referrals/{referral_id}/people/{ref}",
    response=schemas.RiskWithHistory,
    summary="Correct what is known about a person",
)
def correct(request, referral_id: int, ref: str, body: schemas.PersonCorrectionIn):
    referral = _referral(request, referral_id)
    people.correct_person(
        request.user,
        referral,
        ref,
        changes=body.changes,
        source=body.source,
        learned_at=body.learned_at,
        as_of=timezone.now(),
    )
    return _risk(referral)


@router.get(
    "/risk/assurance",
    response=schemas.Assurance,
    summary="Overrides and disagreement with the engine, per assessor and team",
)
def assurance(request, since: datetime | None = None, until: datetime | None = None):
    until = until or timezone.now()
    since = since or until - timedelta(days=90)
    return services.assurance(request.user, since=since, until=until)
