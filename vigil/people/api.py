"""Facts about people recorded after receipt (one route per recording), and search."""

from django.utils import timezone
from ninja import Router

from vigil.referrals.recordings import add_api_routes

from . import search as searching
from . import services
from .schemas import SearchResults

router = Router(tags=["people"])
add_api_routes(router, services.RECORDINGS)


@router.get("/search", response=SearchResults, summary="Referrals you may see that a query finds")
def search(request, q: str = ""):
    """Names (misspelt, transposed or accented), e-mail, phone, username, IP address, postcode,
    reference or CyberTip report number, MD5 or SHA-1: only referrals you may see are found."""
    return {"items": searching.search(request.user, q, as_of=timezone.now())}
