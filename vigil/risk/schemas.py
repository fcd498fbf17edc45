"""The shapes of the risk API."""

from datetime import datetime

from ninja import Field, Schema

from vigil.core.schemas import ChangeIn, one_of

from .choices import QualityOutcome


class OverrideOut(Schema):
    id: int
    from_grade: str
    proposed_grade: str
    reason: str
    proposed_by: str
    proposed_at: datetime
    status: str
    decided_by: str
    decided_at: datetime | None
    decision_reason: str


class RiskOut(Schema):
    grade: str
    engine_grade: str
    provisional: bool
    policy: str
    step: str
    step_text: str
    sentence: str
    reasons: list[dict]
    missing: list[dict]
    floors: list[str]
    minimum_grade: str
    suspect_is_child: bool
    answers: dict
    assessed_at: datetime
    pending_overrides: list[OverrideOut]


class AssessmentOut(Schema):
    id: int
    assessed_at: datetime
    assessed_by: str
    trigger: str
    changes: list[dict]
    engine_grade: str
    grade: str
    provisional: bool
    policy: str
    sentence: str
    is_current: bool
    overrides: list[OverrideOut]


class RiskWithHistory(Schema):
    current: RiskOut | None
    history: list[AssessmentOut]


class OverrideIn(ChangeIn):
    grade: str = Field(description="low, medium, high or very_high")
    reason: str = Field(description="Why, in words; required")


class DecisionIn(ChangeIn):
    approve: bool
    reason: str = ""


class AssuranceRow(Schema):
    assessments: int
    proposed: int
    raised: int
    lowered: int
    applied: int
    approved: int
    refused: int
    pending: int
    superseded: int
    disagree_with_engine: int


class AssessorRow(AssuranceRow):
    assessor: str
    team: str


class TeamRow(AssuranceRow):
    team: str


class Assurance(Schema):
    since: datetime
    until: datetime
    assessors: list[AssessorRow]
    teams: list[TeamRow]


class QualityCheckIn(ChangeIn):
    outcome: one_of(QualityOutcome)
    notes: str = ""
