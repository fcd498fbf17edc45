"""The shapes of facts recorded about people after receipt."""

import datetime as dt
from typing import Literal

from ninja import Field, Schema

from vigil.referrals.schemas import FactIn


class HouseholdMemberIn(FactIn):
    first_name: str = Field("", max_length=120)
    last_name: str = Field("", max_length=120)
    date_of_birth: dt.date | None = None
    age: int | None = Field(None, ge=0, le=130)
    lives_with: str = Field("", description="ref of the person they live with (default: suspect)")


class AccessIn(FactIn):
    kind: str
    child_ref: str = ""
    child_first_name: str = Field("", max_length=120)
    child_age: int | None = Field(None, ge=0, le=17)
    person_ref: str = ""


class HistoryIn(FactIn):
    type: str
    outcome: str = ""
    date: dt.date | None = None
    description: str = ""
    person_ref: str = ""


class PersonCorrectionIn(FactIn):
    changes: dict = Field(
        {},
        description="Any of: first_name, last_name, date_of_birth, occupation, "
        "works_with_children, household_established, access_established, history_established",
    )
    first_name: str | None = Field(None, max_length=120)
    last_name: str | None = Field(None, max_length=120)
    date_of_birth: dt.date | None = None
    occupation: str | None = Field(None, max_length=200)
    works_with_children: Literal["yes", "no", "unknown"] | bool | None = None
    household_established: bool | None = None
    access_established: bool | None = None
    history_established: bool | None = None


class SearchItem(Schema):
    kind: Literal[
        "name", "email", "phone", "username", "ip", "postcode", "reference", "md5", "sha1"
    ]
    referral_id: int
    source_reference: str
    force: str
    person: str | None = Field(description="The person matched; null for a match on the referral")
    person_id: int | None = Field(
        None, description="The person's id (GET /people/{id}); null for a match on the referral"
    )
    matched_on: str
    score: float = Field(ge=0, le=1)


class SearchResults(Schema):
    items: list[SearchItem]
