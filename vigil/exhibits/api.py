"""The device queue, an exhibit, a referral's exhibits; recording an exhibit and moving it along
its examination path (the recordings ``exhibits`` and ``exhibit-moves``)."""

from ninja import Router

from vigil.core.asof import parse_as_of
from vigil.core.schemas import AsOf, Id, Page
from vigil.referrals.recordings import add_api_routes
from vigil.referrals.services import find_referral

from . import queue, services
from .schemas import ExhibitOut, TriageResultsOut

router = Router(tags=["exhibits"])

# POST /referrals/{referral_id}/exhibits and POST /exhibits/{item_id}/moves.
add_api_routes(router, queue.RECORDINGS)


@router.get(
    "/exhibits",
    response=list[ExhibitOut],
    summary="The devices waiting for examination, most urgent first, each with its clock",
)
def device_queue(request, as_of: AsOf = ""):
    return queue.device_queue(request.user, as_of=parse_as_of(as_of))


@router.get(
    "/exhibits/{exhibit_id}",
    response=ExhibitOut,
    summary="One exhibit: where it is on its examination path, its clock and its last triage",
)
def exhibit(request, exhibit_id: Id, as_of: AsOf = ""):
    return queue.exhibit_detail(request.user, exhibit_id, as_of=parse_as_of(as_of))


@router.get(
    "/exhibits/{exhibit_id}/triage",
    response=TriageResultsOut,
    summary="An exhibit's last triage: its answer, the victim identification list and a page of "
    "its matches",
)
def exhibit_triage(request, exhibit_id: Id, page: Page = 1):
    """The stored answer of the exhibit's last finished triage (counts by category, unknown
    images waiting for an examiner), the matches listed for victim identification, and one page
    of 100 of the match list (hashes and paths: never an image). `triage` and `run` are null
    until a triage is recorded."""
    return services.triage_results(request.user, f"#{exhibit_id}", page=page)


@router.get(
    "/referrals/{referral_id}/exhibits",
    response=list[ExhibitOut],
    summary="A referral's exhibits, each with its place on the examination path and its clock",
)
def referral_exhibits(request, referral_id: Id, as_of: AsOf = ""):
    referral = find_referral(request.user, referral_id)
    return queue.referral_exhibits(request.user, referral, as_of=parse_as_of(as_of))
