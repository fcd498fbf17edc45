from django.core.paginator import Paginator
from django.utils import timezone
from ninja import Query, Router, Schema, Status

from vigil.core.asof import parse_as_of

from . import schemas, services
from .native_json import referral_schema

router = Router(tags=["referrals"])


class ListFilters(Schema):
    force: str = ""
    source: str = ""
    status: str = ""
    page: int = 1


@router.get("", response=schemas.ReferralPage, summary="Referrals you may see")
def list_referrals(request, filters: Query[ListFilters]):
    referrals = services.referrals_for(
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
    "/{referral_id}",
    response={200: schemas.Referral, 404: schemas.Problem},
    summary="One referral, everything held on it",
)
def get_referral(request, referral_id: int, as_of: str | None = None):
    moment = parse_as_of(as_of)
    referral = services.open_referral(request.user, referral_id, as_of=timezone.now())
    return services.referral_detail(referral, request.user, as_of=moment)


@router.post(
    "",
    response={201: schemas.Imported, 200: schemas.Imported, 422: schemas.Problem},
    summary="Import one referral in Vigil's native JSON format",
    description=(
        "The body is one `vigil.referral/1` object. 201 when it is new; 200 with status "
        "`duplicate` when the same referral is already held; 422 naming the field and the "
        "problem when it is refused (nothing is stored)."
    ),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {
                        key: value
                        for key, value in referral_schema().items()
                        if not key.startswith("$")
                    }
                }
            },
        }
    },
)
def create_referral(request):
    imported = services.import_json_referral(request.body, actor=request.user, as_of=timezone.now())
    return Status(
        201 if imported.status == "created" else 200,
        {
            "referral_id": imported.referral_id,
            "source": imported.source,
            "source_reference": imported.source_reference,
            "status": imported.status,
            "grade": imported.grade,
        },
    )
