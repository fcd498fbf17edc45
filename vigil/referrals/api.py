"""What is recorded about the referral itself, over the API (one route per recording)."""

from ninja import Router

from . import services
from .recordings import add_api_routes

# The referrals' own routes, and the ones the site (reading them) and intake (importing them)
# add: one router, so that GET and POST /referrals can share a path.
router = Router(tags=["referrals"])
add_api_routes(router, services.RECORDINGS)
