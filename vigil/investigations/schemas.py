"""The shapes of what is recorded in an investigation."""

from ninja import Field

from vigil.core.schemas import ChangeIn, When


class AllocationIn(ChangeIn):
    officer: str = Field(description="username of the investigator")
    team: str = Field("", max_length=100)
    allocated_at: When | None = None


class ActionIn(ChangeIn):
    kind: str
    occurred_at: When | None = None
    devices: int | None = Field(None, ge=0, description="Devices seized, if any")
    details: dict = {}
    notes: str = ""


class ReviewIn(ChangeIn):
    reviewed_at: When | None = None
    notes: str = ""
    standards_checked: list[str] = []


class ReleaseIn(ChangeIn):
    kind: str
    address: str = Field(min_length=1, max_length=300)
    postcode: str = Field("", max_length=16)
    released_at: When | None = None
    conditions: str = ""
    return_at: When | None = None
    supervisor_decision: str = ""
    safeguarding_plan: str = ""


class RuiReviewIn(ChangeIn):
    reviewed_at: When | None = None
    decision: str = Field(description="remains, bail, charge or no_further_action")
    notes: str = ""


class TransferIn(ChangeIn):
    to_force: str = Field(max_length=16)
    reason: str


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
    status: str
    reason: str = ""


class FlagsIn(ChangeIn):
    flags: list[str] = []
