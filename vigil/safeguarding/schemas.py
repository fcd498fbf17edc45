"""The shapes of the safeguarding steps recorded about a referral."""

from datetime import date

from ninja import Field, Schema

from vigil.core.schemas import ChangeIn, When, one_of

from .choices import ShareMethod


class SocialCareIn(ChangeIn):
    authority: str = Field(min_length=1, max_length=200)
    method: one_of(ShareMethod)
    what_was_shared: str = Field(min_length=1)
    shared_at: When | None = None
    children: list[str] = Field([], description="refs of the children it was about (default all)")


class StrategyIn(ChangeIn):
    requested_at: When | None = None


class LadoIn(ChangeIn):
    authority: str = Field(min_length=1, max_length=200)
    referred_at: When | None = None


class SocialCareDecisionIn(ChangeIn):
    decision: str = Field(min_length=1)
    decided_at: When | None = None


class Attendee(Schema):
    agency: str
    name: str = ""


class HeldIn(ChangeIn):
    held_at: When | None = Field(None, description="When it was held (default: now)")
    attendees: list[Attendee] = Field([], description="Who attended, by agency")
    # The page names the usual agencies' attendees one by one.
    police: str = ""
    social_care: str = ""
    health: str = ""
    others: str = ""
    decisions: str = Field(min_length=1)
    record_circulated_at: When | None = None
    child_protection_conference: bool = Field(
        False, description="Whether it decided on an initial child protection conference"
    )


class ConferenceIn(ChangeIn):
    held_at: When | None = None
    outcome: str = Field("", description="What the conference decided (a child protection plan…)")


class StrategyActionIn(ChangeIn):
    action: str = Field(min_length=1, description="What was agreed")
    owner: str = Field(min_length=1, max_length=200, description="Whose it is: a name and agency")
    owner_username: str = Field("", description="The owner's Vigil username, when they have one")
    due_on: date = Field(description="The date it is due on (it is due by the end of that day)")


class StrategyActionDoneIn(ChangeIn):
    done_at: When | None = None
    note: str = ""


class LadoOutcomeIn(ChangeIn):
    outcome: str = Field(min_length=1)


class WelfarePlanIn(ChangeIn):
    reason: str = Field(min_length=1, max_length=200)
    plan: str = Field(min_length=1)
    agreed_at: When | None = None
