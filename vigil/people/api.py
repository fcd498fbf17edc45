"""Facts about people recorded after receipt, over the API (one route per recording)."""

from ninja import Router

from vigil.referrals.recordings import add_api_routes

from . import services

router = Router(tags=["people"])
add_api_routes(router, services.RECORDINGS)
