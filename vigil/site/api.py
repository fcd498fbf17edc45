"""Reading referrals over the API: the list, everything held on one, and one person across
referrals."""

from django.core.paginator import Paginator
from django.utils import timezone
from ninja import Query, Schema

from vigil.core.asof import parse_as_of
from vigil.core.schemas import AsOf, Id, Page, Problem
from vigil.people.api import router as people_router
from vigil.referrals.api import router
from vigil.referrals.services import open_referral, referrals_for

from . import schemas
from .services import person_detail, referral_detail


class ListFilters(Schema):
    force: str = ""
    source: str = ""
    status: str = ""
    page: Page = 1


@router.get("/referrals", response=schemas.ReferralPage, summary="Referrals you may see")
def list_referrals(request, filters: Query[ListFilters]):
    referrals = referrals_for(
        request.user, force=filters.force, source=filters.source, status=filters.status
    )
    page = Paginator(referrals, 50).get_page(filters.page)
    return {
        "count": page.paginator.count,
        "page": page.number,
        "pages": page.paginator.num_pages,
        "results": [
            {
                "id": referral.pk,
                "source": referral.source,
                "source_reference": referral.source_reference,
                "received_at": referral.received_at,
                "force": referral.force.code,
                "status": referral.status,
                "summary": referral.summary,
                "incident_type": referral.incident_type,
                "grade": referral.grade,
                "grade_provisional": referral.grade_provisional,
            }
            for referral in page
        ],
    }


@router.get(
    "/referrals/{referral_id}",
    response={200: schemas.Referral, 404: Problem},
    summary="One referral, everything held on it",
)
def get_referral(request, referral_id: Id, as_of: AsOf = ""):
    moment = parse_as_of(as_of)
    referral = open_referral(request.user, referral_id, as_of=timezone.now())
    return referral_detail(referral, request.user, as_of=moment)


@people_router.get(
    "/people/{person_id}",
    response={200: schemas.Person, 404: Problem},
    summary="One person across every referral you may see",
)
def get_person(request, person_id: Id, as_of: AsOf = ""):
    """The person's records in every referral you may see that deconfliction links, with
    each referral's grade, identifiers, addresses over time, households, the children in view
    (ages on ``as_of``), the suspects who can reach them and every open clock. A person of a
    referral you may not see is not found."""
    moment = parse_as_of(as_of)
    return person_detail(request.user, person_id, as_of=moment, viewed_at=timezone.now())
