"""The investigation over the API: one route per recording, and joining referrals."""

from django.utils import timezone
from ninja import Router, Status

from vigil.core.schemas import Id
from vigil.referrals.recordings import add_api_routes
from vigil.referrals.services import find_referral

from . import services
from .schemas import InvestigationOut, JoinIn, LeaveIn

router = Router(tags=["investigation"])
add_api_routes(router, services.RECORDINGS)


def _joined(request, referral_id: Id) -> dict:
    referral = find_referral(request.user, referral_id)
    return {
        "investigation": services.investigation_of(request.user, referral),
        "suggestions": services.join_suggestions(request.user, referral),
    }


@router.get("/referrals/{referral_id}/investigation", response=InvestigationOut)
def joined_investigation(request, referral_id: Id):
    """The investigation a referral is joined into, and the referrals it could be joined with."""
    return _joined(request, referral_id)


@router.post("/investigations", response={201: InvestigationOut})
def join_investigation(request, body: JoinIn):
    """Join referrals about the same suspect into one investigation."""
    investigation = services.join_investigation(
        request.user, body.referrals, reason=body.reason, as_of=timezone.now()
    )
    return Status(201, _joined(request, investigation.lead_id))


@router.post("/referrals/{referral_id}/leave-investigation", response=InvestigationOut)
def leave_investigation(request, referral_id: Id, body: LeaveIn):
    """Take a referral out of the investigation it was joined into."""
    services.leave_investigation(
        request.user, referral_id, reason=body.reason, as_of=timezone.now()
    )
    return _joined(request, referral_id)
