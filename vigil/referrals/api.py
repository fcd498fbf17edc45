"""What is recorded about the referral itself, over the API (one route per recording)."""

from vigil.core.api import router

from . import services
from .recordings import add_api_routes

TAGS = ["referrals"]
add_api_routes(router, services.RECORDINGS, tags=TAGS)
