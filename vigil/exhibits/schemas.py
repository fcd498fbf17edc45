"""The shapes of exhibits on the API and in the referral page's forms."""

from ninja import Field, Schema

from vigil.clocks.schemas import ClockOut
from vigil.core.schemas import ChangeIn, When, one_of

from .choices import ExaminationPath, ExhibitKind


class ExhibitIn(ChangeIn):
    reference: str = Field(min_length=1, max_length=60, description="The exhibit reference")
    kind: one_of(ExhibitKind) = Field(description="phone, computer, storage, cloud or other")
    seized_at: When | None = Field(None, description="When it was seized (empty: not known)")
    seized_where: str = Field("", max_length=200, description="Where it was seized")
    held_by: str = Field("", max_length=150, description="Who holds it now")


class ExhibitMoveIn(ChangeIn):
    to: one_of(ExaminationPath) = Field(
        description="Where it goes: triage, full_examination, returned or destroyed"
    )
    moved_at: When | None = Field(None, description="When it moved (empty: now)")


class ExhibitOut(Schema):
    id: int
    referral_id: int
    referral: str
    force: str
    grade: str
    reference: str
    kind: str
    seized_at: str | None
    seized_where: str
    held_by: str
    path: str
    moves: list[str]
    waiting_since: str
    left_queue_at: str | None
    days_waiting: float
    clock: ClockOut | None
    triage: dict | None
