"""The shapes of a referral as the API sends it, for OpenAPI and for checking responses."""

from datetime import date, datetime

from ninja import Schema

from vigil.clocks.schemas import ClockOut
from vigil.intake.schemas import DataRequestOut
from vigil.risk.schemas import RiskOut


class ReferralHeading(Schema):
    """What a referral in a list and a referral in full both begin with."""

    id: int
    source: str
    source_reference: str
    received_at: datetime
    force: str
    status: str
    summary: str


class ReferralSummary(ReferralHeading):
    incident_type: str
    grade: str
    grade_provisional: bool


class ReferralPage(Schema):
    count: int
    page: int
    pages: int
    results: list[ReferralSummary]


class Identifier(Schema):
    type: str
    value: str
    normalised: str
    service: str
    seen_at: datetime | None


class Address(Schema):
    kind: str
    line1: str
    line2: str
    town: str
    region: str
    postcode: str
    country: str
    text: str


class History(Schema):
    type: str
    outcome: str
    date: date | None
    description: str


class Subject(Schema):
    ref: str
    role: str
    first_name: str
    last_name: str
    date_of_birth: date | None
    stated_age: int | None
    stated_age_on: date | None
    age_today: int | None
    age_is_estimated: bool
    gender: str
    occupation: str
    works_with_children: bool | None
    school_name: str
    household_established: bool
    access_established: bool
    history_established: bool
    notes: str
    lives_with: list[str]
    identifiers: list[Identifier]
    addresses: list[Address]
    history: list[History]


class Access(Schema):
    subject: str
    child: str
    kind: str


class Material(Schema):
    kind: str
    count: int
    category: str | None
    industry_classification: str | None
    md5: str | None
    sha1: str | None
    pdq: str | None
    photodna: str | None
    annotations: list[str]
    file_name: str
    file_id: str
    details: dict


class LinkedReferral(Schema):
    referral_id: int | None
    force: str
    source: str
    source_reference: str
    received_at: datetime | None
    visible: bool
    person_ref: str
    person_role: str
    their_role: str
    reason: str
    reason_text: str
    matched_on: str


class Document(Schema):
    name: str
    media_type: str
    size: int
    sha256: str


class Incident(Schema):
    type: str
    type_as_given: str
    occurred_at: datetime | None
    platform: str
    escalated: bool | None
    escalation_reason: str
    annotations: list[str]
    details: list[dict]


class Referral(ReferralHeading):
    incident: Incident
    indicators: list[str]
    source_details: dict
    material: list[Material]
    subjects: list[Subject]
    access: list[Access]
    linked_referrals: list[LinkedReferral]
    documents: list[Document]
    unmapped: list[str]
    # Words the documents used that Vigil did not know or could not read: {"path", "field",
    # "value", "mapped_to", "message"}, and "resolved_to", "resolved_by" once mapped.
    intake_warnings: list[dict]
    risk: RiskOut | None
    clocks: list[ClockOut]
    data_requests: list[DataRequestOut]
    version: int
    flags: list[str]
    owner: str | None
    team: str
    children: list[dict]
    safeguarding: dict
    standards: list[dict]
    actions: list[dict]
    allocations: list[dict]
    reviews: list[dict]
    releases: list[dict]
    transfers: list[dict]
    outcome: dict | None
    timeline: list[dict]
    imported_at: datetime
    imported_by: str
