"""The time a question is asked "as of": now by default, or any moment a user names."""

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from django.utils import timezone
from django.utils.translation import gettext as _

LONDON = ZoneInfo("Europe/London")


class AsOfError(ValueError):
    pass


# No referral, duty or figure lies outside these years: anything else is a typing slip or a
# probe, refused in words rather than left to overflow deep inside (year 1 less an hour).
EARLIEST = datetime(1970, 1, 1, tzinfo=LONDON)
LATEST = datetime(2199, 12, 31, 23, 59, 59, tzinfo=LONDON)


def parse_as_of(value: str | None) -> datetime:
    """Now, or the moment given: a date and time (London time if no offset is given), or a
    date alone, meaning the end of that day in London."""
    if not value:
        return timezone.now()
    text = value.strip()
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            return within_range(datetime.combine(day, time(23, 59, 59), tzinfo=LONDON), value)
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise AsOfError(
            _(
                "%(value)s is not a date (YYYY-MM-DD) or a date and time "
                "(YYYY-MM-DDTHH:MM, optionally with an offset)"
            )
            % {"value": repr(value)}
        ) from None
    return within_range(moment if moment.tzinfo else moment.replace(tzinfo=LONDON), value)


def within_range(moment: datetime, given: str = "") -> datetime:
    """The moment, if it lies in the years Vigil reasons about (1970 to 2199)."""
    try:
        inside = EARLIEST <= moment <= LATEST
    except OverflowError:
        inside = False
    if not inside:
        raise AsOfError(
            _("%(value)s is outside the years 1970 to 2199")
            % {"value": repr(given or moment.isoformat())}
        )
    return moment


def is_now(moment: datetime, *, tolerance_seconds: int = 60) -> bool:
    return abs((timezone.now() - moment).total_seconds()) <= tolerance_seconds
