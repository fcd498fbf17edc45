from typing import Annotated, Literal

from django.utils import timezone
from ninja import Field, Router

from vigil.core.asof import parse_as_of
from vigil.core.schemas import AsOf, Id, Page
from vigil.referrals.services import find_referral
from vigil.risk.choices import Grade

from . import schemas, services

router = Router(tags=["clocks"])


@router.get(
    "/worklist",
    response=schemas.Worklist,
    summary="Open clocks, most urgent first: scope mine, team or force; filtered and sorted",
)
def worklist(
    request,
    scope: Literal["mine", "team", "force"] = "mine",
    as_of: AsOf = "",
    page: Page = 1,
    grade: Literal[tuple(["", *Grade.values])] = "",
    duty: Literal[tuple(["", *services.WORKLIST_DUTIES])] = "",
    state: Literal["", "overdue", "due_soon", "due"] = "",
    owner: Annotated[str, Field(max_length=150)] = "",
    team: Annotated[str, Field(max_length=100)] = "",
    sort: Literal[tuple(services.WORKLIST_SORTS)] = "urgency",
):
    """``owner`` is a username, or ``-`` for clocks nobody holds yet; ``team`` a team's name."""
    return services.worklist(
        request.user,
        as_of=parse_as_of(as_of),
        scope=scope,
        narrow=services.WorklistFilter(grade=grade, duty=duty, state=state, owner=owner, team=team),
        sort=sort,
        limit=200,
        # Past any real list a page is just empty; an offset over 64 bits is a database error.
        offset=(min(max(page, 1), 1_000_000) - 1) * 200,
    )


@router.get(
    "/breaches",
    response=schemas.Breaches,
    summary="Every overdue clock in your force, highest escalation first",
)
def breaches(request, as_of: AsOf = ""):
    return services.breach_report(request.user, as_of=parse_as_of(as_of))


@router.get(
    "/referrals/{referral_id}/clocks",
    response=list[schemas.ClockOut],
    summary="Every clock of a referral as of a moment",
)
def referral_clocks(request, referral_id: Id, as_of: AsOf = ""):
    referral = find_referral(request.user, referral_id)
    return services.referral_clocks(referral, as_of=parse_as_of(as_of))


@router.get(
    "/notifications",
    response=list[schemas.NotificationOut],
    summary="Your escalation notifications, newest first",
)
def notifications(request):
    return [
        {
            "id": n.pk,
            "referral_id": n.referral_id,
            "level": n.level,
            "subject": n.subject,
            "created_at": n.created_at,
            "read_at": n.read_at,
        }
        for n in services.notifications_for(request.user)[:200]
    ]


@router.get(
    "/mail-failures",
    response=list[schemas.MailFailure],
    summary="Escalation e-mails that could not be sent (administrators)",
)
def mail_failures(request):
    return services.mail_failures(request.user)


@router.post(
    "/mail-failures/{notification_id}/retry",
    response=schemas.MailFailure,
    summary="Try an e-mail that could not be sent again now (administrators; audited)",
)
def retry_email(request, notification_id: Id):
    return services.retry_email(request.user, notification_id, as_of=timezone.now())
