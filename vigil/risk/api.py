"""Grades and overrides over the API. Thin: each route calls one service."""

from datetime import timedelta

from django.utils import timezone
from ninja import Router

from vigil.core.schemas import Id, When
from vigil.referrals.recordings import add_api_routes
from vigil.referrals.services import find_referral

from . import schemas, services

router = Router(tags=["risk"])


@router.get(
    "/referrals/{referral_id}/risk",
    response=schemas.RiskWithHistory,
    summary="The grade in force, why, and every earlier assessment",
)
def get_risk(request, referral_id: Id):
    referral = find_referral(request.user, referral_id)
    return {"current": services.risk_summary(referral), "history": services.risk_history(referral)}


@router.get(
    "/risk/assurance",
    response=schemas.Assurance,
    summary="Overrides and disagreement with the engine, per assessor and team",
)
def assurance(request, since: When | None = None, until: When | None = None):
    until = until or timezone.now()
    since = since or until - timedelta(days=90)
    return services.assurance(request.user, since=since, until=until)


add_api_routes(router, services.RECORDINGS)
