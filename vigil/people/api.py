"""Facts about people recorded after receipt, over the API (one route per recording)."""

from vigil.core.api import router
from vigil.referrals.recordings import add_api_routes

from . import services

TAGS = ["people"]
add_api_routes(router, services.RECORDINGS, tags=TAGS)
