from datetime import datetime

from ninja import Query, Router, Schema

from . import services

router = Router(tags=["audit"])


class Event(Schema):
    id: int
    at: datetime
    actor_name: str
    action: str
    object_type: str
    object_id: str
    referral_id: int | None
    force_code: str
    request_id: str
    source_address: str
    channel: str
    before: dict | list | None
    after: dict | list | None
    detail: str
    # None until the worker seals the event into the chain (within a minute or so).
    hash: str | None


class EventFilters(Schema):
    """What the trail is searched by: all given must match."""

    referral: str = ""
    username: str = ""
    action: str = ""
    since: datetime | None = None
    until: datetime | None = None
    page: int = 1


PAGE_SIZE = 200


class Events(Schema):
    total: int
    events: list[Event]


@router.get(
    "/audit/events",
    response=Events,
    summary="Search the audit trail (auditors): by referral, user, action, period",
)
def events(request, filters: Query[EventFilters]):
    wanted = filters.dict()
    page = min(max(wanted.pop("page"), 1), 100_000)
    total, found = services.search(
        request.user, **wanted, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE
    )
    return {"total": total, "events": found}
