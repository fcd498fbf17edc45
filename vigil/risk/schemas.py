"""The shapes of the risk API."""

import datetime as dt
from datetime import datetime

from ninja import Field, Schema


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


class OverrideIn(Schema):
    grade: str = Field(description="low, medium, high or very_high")
    reason: str = Field(description="Why, in words; required")


class DecisionIn(Schema):
    approve: bool
    reason: str = ""


class FactSource(Schema):
    source: str = Field(description='How it was learned, e.g. "intelligence check"')
    learned_at: datetime | None = Field(None, description="When it was learned (default: now)")


class HouseholdMemberIn(FactSource):
    first_name: str = ""
    last_name: str = ""
    date_of_birth: dt.date | None = None
    age: int | None = Field(None, ge=0, le=130)
    lives_with: str = Field("", description="ref of the person they live with (default: suspect)")


class AccessIn(FactSource):
    kind: str
    child_ref: str = ""
    child_first_name: str = ""
    child_age: int | None = Field(None, ge=0, le=17)
    person_ref: str = ""


class HistoryIn(FactSource):
    type: str
    outcome: str = ""
    date: dt.date | None = None
    description: str = ""
    person_ref: str = ""


class IndicatorIn(FactSource):
    indicator: str


class PersonCorrectionIn(FactSource):
    changes: dict = Field(
        description="Any of: first_name, last_name, date_of_birth, occupation, "
        "works_with_children, household_established, access_established, history_established"
    )


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
