"""The shapes of what is recorded in an investigation."""

from ninja import Field, Schema

from vigil.core.schemas import ChangeIn, Id, Moment, When, one_of
from vigil.referrals.choices import Flag, ReferralStatus

from .choices import ActionKind, ReleaseKind, RuiDecision


class AllocationIn(ChangeIn):
    officer: str = Field(description="username of the investigator")
    team: str = Field("", max_length=100)
    allocated_at: When | None = None


class ActionIn(ChangeIn):
    kind: one_of(ActionKind)
    occurred_at: When | None = None
    devices: int | None = Field(None, ge=0, description="Devices seized, if any")
    details: dict = {}
    notes: str = ""


class ReviewIn(ChangeIn):
    reviewed_at: When | None = None
    notes: str = ""
    standards_checked: list[str] = []


class ReleaseIn(ChangeIn):
    kind: one_of(ReleaseKind)
    address: str = Field(min_length=1, max_length=300)
    postcode: str = Field("", max_length=16)
    released_at: When | None = None
    conditions: str = ""
    return_at: When | None = None
    supervisor_decision: str = ""
    safeguarding_plan: str = ""
    accepted_risk: str = Field(
        "",
        description="A supervisor's acceptance, in writing, of releasing to an address whose "
        "household is not established",
    )


class RuiReviewIn(ChangeIn):
    reviewed_at: When | None = None
    decision: one_of(RuiDecision)
    notes: str = ""


class TransferIn(ChangeIn):
    to_force: str = Field(max_length=16)
    reason: str


class TransferAnswerIn(ChangeIn):
    reason: str = Field("", description="Why it is rejected (required to reject)")


class CloseIn(ChangeIn):
    outcome: str = Field(description="A Home Office outcome type code, e.g. 1, 15, 21")
    rationale: str
    outstanding_reason: str = ""
    closed_at: When | None = None


class ReopenIn(ChangeIn):
    reason: str = Field(description="Why the closed referral is opened again")


class StandardIn(ChangeIn):
    code: str
    note: str
    met_at: When | None = None


class MoveIn(ChangeIn):
    status: one_of(ReferralStatus)
    reason: str = ""


class FlagsIn(ChangeIn):
    flags: list[one_of(Flag)] = []


class JoinIn(Schema):
    referrals: list[Id] = Field(
        description="The ids of the referrals to join (at least two)", max_length=100
    )
    reason: str = Field(description="Why they are one investigation, in words")


class LeaveIn(Schema):
    reason: str = Field(description="Why this referral is not part of the investigation")


class JoinedReferral(Schema):
    referral_id: int
    source_reference: str
    received_at: Moment
    grade: str
    status: str


class JoinedInvestigation(Schema):
    id: int
    lead: str
    lead_id: int
    is_lead: bool
    reason: str
    joined_at: Moment
    joined_by: str
    referrals: list[JoinedReferral]


class JoinSuggestion(Schema):
    referral_id: int
    source_reference: str
    received_at: Moment
    grade: str
    in_investigation: bool


class InvestigationOut(Schema):
    investigation: JoinedInvestigation | None
    suggestions: list[JoinSuggestion]
