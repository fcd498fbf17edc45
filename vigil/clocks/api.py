from vigil.core.api import router
from vigil.core.asof import parse_as_of
from vigil.referrals.services import find_referral

from . import schemas, services

TAGS = ["clocks"]


@router.get(
    "/worklist",
    tags=TAGS,
    response=schemas.Worklist,
    summary="Open clocks, most urgent first: scope mine, team or force",
)
def worklist(request, scope: str = "mine", as_of: str | None = None, page: int = 1):
    return services.worklist(
        request.user,
        as_of=parse_as_of(as_of),
        scope=scope,
        limit=200,
        offset=(min(max(page, 1), 100_000) - 1) * 200,
    )


@router.get(
    "/breaches",
    tags=TAGS,
    response=schemas.Breaches,
    summary="Every overdue clock in your force, highest escalation first",
)
def breaches(request, as_of: str | None = None):
    return services.breaches(request.user, as_of=parse_as_of(as_of))


@router.get(
    "/referrals/{referral_id}/clocks",
    tags=TAGS,
    response=list[schemas.ClockOut],
    summary="Every clock of a referral as of a moment",
)
def referral_clocks(request, referral_id: int, as_of: str | None = None):
    referral = find_referral(request.user, referral_id)
    return services.referral_clocks(referral, as_of=parse_as_of(as_of))


@router.get(
    "/notifications",
    tags=TAGS,
    response=list[schemas.NotificationOut],
    summary="Your escalation notifications, newest first",
)
def notifications(request):
    return [
        {
            "id": n.pk,
            "referral_id": n.clock.referral_id,
            "level": n.level,
            "subject": n.subject,
            "created_at": n.created_at,
            "read_at": n.read_at,
        }
        for n in services.notifications_for(request.user)[:200]
    ]
