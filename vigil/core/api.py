"""The one router every part adds its API routes to.

Each part keeps its routes in its own ``api.py``; they share this router so that two parts can
answer on one path (``GET /referrals`` lists, ``POST /referrals`` imports).
"""

from ninja import Router

router = Router()
