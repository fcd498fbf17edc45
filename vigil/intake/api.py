"""Importing a referral over the API, research recorded on one, and the requests made to
providers about it."""

from django.utils import timezone
from ninja import File, Form, Router, Status, UploadedFile

from vigil.core.asof import parse_as_of
from vigil.core.schemas import Id, Problem
from vigil.referrals.api import router as referrals_router
from vigil.referrals.recordings import add_api_routes
from vigil.referrals.services import find_referral

from . import requests, research, services, tasks
from .native_json import referral_schema
from .schemas import DataRequestOut, ImportBatchOut, Imported

router = Router(tags=["intake"])
add_api_routes(router, research.RECORDINGS)


@referrals_router.post(
    "/referrals",
    response={201: Imported, 200: Imported, 422: Problem},
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


@router.post(
    "/imports",
    response={202: ImportBatchOut, 422: Problem},
    summary="Upload files to be imported in the background",
    description=(
        "multipart/form-data: `files` (one or more: JSON, JSON Lines, CyberTipline XML or a "
        "zip, as on the upload page) and optionally `source_reference`. 202 with the batch; a "
        "worker imports it as you, and `GET /imports/{batch_id}` gives its report once done."
    ),
)
def start_import(
    request,
    files: File[list[UploadedFile]],
    # A source's reference as sources write them (letters, digits, spaces and . / : # _ -).
    source_reference: str = Form("", max_length=120, pattern=r"^[\w ./:#-]*$"),
):
    batch = tasks.start_import(
        [(upload.name or "upload", upload.read()) for upload in files],
        actor=request.user,
        as_of=timezone.now(),
        source_reference=source_reference[:120],
    )
    return Status(202, services.import_batch_answer(batch, None))


@router.get(
    "/imports/{batch_id}",
    response=ImportBatchOut,
    summary="A batch imported in the background: waiting (report null), or its report",
)
def import_batch(request, batch_id: Id):
    return services.import_batch_answer(*services.import_batch_for(request.user, batch_id))


add_api_routes(router, requests.RECORDINGS)


@router.get(
    "/referrals/{referral_id}/data-requests",
    response=list[DataRequestOut],
    summary="A referral's requests to providers, each with its state and clock",
)
def data_requests(request, referral_id: Id, as_of: str | None = None):
    referral = find_referral(request.user, referral_id)
    return requests.requests_detail(referral, as_of=parse_as_of(as_of))
