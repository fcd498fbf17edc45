"""Shapes every part's API and forms share: a moment in time, a problem, a versioned change."""

from datetime import datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from ninja import Field, Schema
from pydantic import AfterValidator

from .asof import within_range

LONDON = ZoneInfo("Europe/London")


def _aware(moment: datetime) -> datetime:
    # A time typed without an offset is the user's wall clock, which is London's; and it must
    # lie in the years Vigil reasons about.
    return within_range(moment if moment.tzinfo else moment.replace(tzinfo=LONDON))


When = Annotated[datetime, AfterValidator(_aware)]


class Problem(Schema):
    error: str
    location: str = ""


class ChangeIn(Schema):
    """What every change about a referral may carry."""

    expected_version: int | None = Field(
        None, description="The version you saw; a change made since is refused with 409"
    )
