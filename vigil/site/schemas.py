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
    id: int
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


# ---------------------------------------------------------------------------------------------
# One person across referrals (GET /api/v1/people/{person_id}, vigil person show --json)


class PersonRecord(Schema):
    """The person as one referral records them, with their age on the day asked."""

    person_id: int
    referral_id: int
    ref: str
    role: str
    relation: str
    name: str
    first_name: str
    last_name: str
    date_of_birth: date | None
    stated_age: int | None
    stated_age_on: date | None
    age_today: int | None
    age_is_estimated: bool
    gender: str
    occupation: str
    source: str
    learned_at: datetime | None


class PersonReferral(Schema):
    id: int
    source: str
    source_reference: str
    received_at: datetime
    force: str
    status: str
    grade: str
    grade_provisional: bool
    roles: list[str]
    person_ids: list[int]
    linked_because: list[str]


class PersonLink(Schema):
    person_id: int
    referral_id: int
    linked_person_id: int
    linked_referral_id: int
    reason: str
    reason_text: str
    matched_on: str


class IdentifierSeen(Schema):
    referral_id: int
    value: str
    seen_at: datetime | None
    port: int | None
    event: str
    source: str
    learned_at: datetime | None


class PersonIdentifier(Schema):
    """One identifier, however many records hold it (one per kind, normalised value and
    service)."""

    kind: str
    kind_as_given: str
    value: str
    normalised: str
    service: str
    first_seen_at: datetime | None
    last_seen_at: datetime | None
    seen: list[IdentifierSeen]
    referral_ids: list[int]


class AddressSource(Schema):
    referral_id: int
    source: str
    learned_at: datetime | None


class PersonAddress(Schema):
    kind: str
    text: str
    line1: str
    line2: str
    town: str
    region: str
    postcode: str
    country: str
    lived_from: date | None
    lived_until: date | None
    sources: list[AddressSource]
    referral_ids: list[int]


class HouseholdMember(PersonRecord):
    tie_source: str
    tie_learned_at: datetime | None


class Household(Schema):
    """Whom one record of the person lives with, in that record's referral."""

    person_id: int
    referral_id: int
    members: list[HouseholdMember]


class PersonChild(Schema):
    """A child the person, as a suspect, can reach (``people.children``)."""

    person_id: int
    name: str
    age: int | None
    age_is_estimated: bool
    relation: str
    relations: list[str]
    access_kind: str
    referral_id: int
    source_reference: str
    source: str
    learned_at: datetime | None
    in_view_of: list[int]


class ReachedBy(Schema):
    """A suspect who can reach the person while a child, and how."""

    person_id: int
    name: str
    referral_id: int
    source_reference: str
    child_person_id: int
    relation: str
    relations: list[str]
    access_kind: str


class PersonClock(ClockOut):
    referral_id: int
    source_reference: str


class Person(Schema):
    """One person across every referral you may see."""

    id: int
    name: str
    names: list[str]
    role: str
    roles: list[str]
    dates_of_birth: list[date]
    age_today: int | None
    age_is_estimated: bool
    is_child: bool
    as_of: datetime
    truncated: bool
    referrals: list[PersonReferral]
    records: list[PersonRecord]
    links: list[PersonLink]
    identifiers: list[PersonIdentifier]
    addresses: list[PersonAddress]
    households: list[Household]
    children_in_view: list[PersonChild]
    reached_by: list[ReachedBy]
    clocks: list[PersonClock]
