"""Shapes every part's API and forms share: a moment in time, a problem, a versioned change."""

import re
from datetime import datetime
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from ninja import Field, Schema
from pydantic import AfterValidator, BeforeValidator, WithJsonSchema

from .asof import within_range

LONDON = ZoneInfo("Europe/London")


def _aware(moment: datetime) -> datetime:
    # A time typed without an offset is the user's wall clock, which is London's; and it must
    # lie in the years Vigil reasons about.
    return within_range(moment if moment.tzinfo else moment.replace(tzinfo=LONDON))


def _written(value):
    # A time is written as one (2026-03-01T09:30, with or without an offset), never as a number
    # of seconds since 1970 that pydantic would otherwise take.
    if isinstance(value, int | float) or (
        isinstance(value, str) and re.fullmatch(r"\s*[+-]?[\d.eE+-]+\s*", value)
    ):
        raise ValueError("not a date and time (YYYY-MM-DDTHH:MM, optionally with an offset)")
    return value


When = Annotated[datetime, BeforeValidator(_written), AfterValidator(_aware)]

# ``?as_of=``: a date (the end of that day in London) or a date and time, 1970 to 2199;
# vigil.core.asof.parse_as_of reads it and refuses anything else with 400.
AsOf = Annotated[
    str,
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "format": "date"},
                {"type": "string", "format": "date-time"},
                {"type": "string", "enum": [""]},
            ],
            "description": "A date (the end of that day, London time) or a date and time "
            "(London time without an offset), between 1970 and 2199; empty or absent: now",
        }
    ),
]

# A record's number: what the databases can hold (a signed 64-bit integer), and never 0 or less.
Id = Annotated[int, Field(ge=1, le=2**63 - 1)]
# A page of a list, from 1; past the last page a list is empty.
Page = Annotated[int, Field(ge=1, le=2**63 - 1)]


# A moment the API answers with, already written in ISO 8601 (``datetime.isoformat()``).
Moment = Annotated[str, WithJsonSchema({"type": "string", "format": "date-time"})]


def one_of(choices):
    """A field that takes one of ``choices``' values (a TextChoices of the app's choices.py),
    so the OpenAPI document lists them and anything else is refused 422 before a service."""
    return Literal[tuple(choices.values)]


class Problem(Schema):
    """Every refusal's body: what is wrong, and where (``query.as_of``, ``body.kind``), or
    ``""`` when it is not about one field (not signed in, not allowed, not found, changed since)."""

    error: str
    location: str = ""


class ChangeIn(Schema):
    """What every change about a referral may carry."""

    expected_version: int | None = Field(
        None, description="The version you saw; a change made since is refused with 409"
    )
