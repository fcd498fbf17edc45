"""The time a question is asked "as of": now by default, or any moment a user names."""

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from django.utils import timezone

LONDON = ZoneInfo("Europe/London")


class AsOfError(ValueError):
    pass


def parse_as_of(value: str | None) -> datetime:
    """Now, or the moment given: a date and time (London time if no offset is given), or a
    date alone, meaning the end of that day in London."""
    if not value:
        return timezone.now()
    text = value.strip()
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            return datetime.combine(day, time(23, 59, 59), tzinfo=LONDON)
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise AsOfError(
            f"{value!r} is not a date (YYYY-MM-DD) or a date and time "
            "(YYYY-MM-DDTHH:MM, optionally with an offset)"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=LONDON)


def is_now(moment: datetime, *, tolerance_seconds: int = 60) -> bool:
    return abs((timezone.now() - moment).total_seconds()) <= tolerance_seconds
