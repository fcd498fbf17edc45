"""A referral as read from a document, before it is stored: plain data, no Django.

Both readers (native JSON and CyberTipline XML) produce a ``ReferralDraft``; one service stores
it. Keeping the readers pure makes them easy to test against hostile and third-party documents.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime


@dataclass(frozen=True)
class SourceDocument:
    """An original document exactly as received."""

    name: str
    media_type: str
    content: bytes


@dataclass
class IdentifierDraft:
    kind: str
    value: str
    service: str = ""
    seen_at: datetime | None = None
    port: int | None = None
    event: str = ""
    # The type as the source wrote it, where Vigil did not know it and read it as "other".
    kind_text: str = ""


@dataclass
class AddressDraft:
    kind: str = "home"
    line1: str = ""
    line2: str = ""
    town: str = ""
    region: str = ""
    postcode: str = ""
    country: str = ""
    lived_from: date | None = None
    lived_until: date | None = None


@dataclass
class HistoryDraft:
    type: str
    outcome: str = ""
    date: date | None = None
    description: str = ""


@dataclass
class PersonDraft:
    ref: str
    role: str
    role_text: str = ""
    relation: str = ""
    first_name: str = ""
    last_name: str = ""
    date_of_birth: date | None = None
    stated_age: int | None = None
    gender: str = ""
    occupation: str = ""
    works_with_children: bool | None = None
    school_name: str = ""
    household_established: bool = False
    access_established: bool = False
    history_established: bool = False
    notes: str = ""
    identifiers: list[IdentifierDraft] = field(default_factory=list)
    addresses: list[AddressDraft] = field(default_factory=list)
    history: list[HistoryDraft] = field(default_factory=list)
    lives_with: list[str] = field(default_factory=list)


@dataclass
class AccessDraft:
    person_ref: str
    child_ref: str
    kind: str


@dataclass
class MaterialDraft:
    kind: str = "unknown"
    count: int = 1
    category: str = ""
    industry_classification: str = ""
    md5: str = ""
    sha1: str = ""
    pdq: str = ""
    photodna: str = ""
    annotations: list[str] = field(default_factory=list)
    file_name: str = ""
    file_id: str = ""
    details: dict = field(default_factory=dict)


@dataclass
class ReferralDraft:
    source: str
    source_reference: str
    received_at: datetime
    force_code: str
    content_digest: str
    documents: list[SourceDocument]
    summary: str = ""
    incident_type: str = ""
    incident_type_text: str = ""
    incident_occurred_at: datetime | None = None
    platform: str = ""
    escalated: bool | None = None
    escalation_reason: str = ""
    annotations: list[str] = field(default_factory=list)
    indicators: list[str] = field(default_factory=list)
    incident_details: list[dict] = field(default_factory=list)
    source_details: dict = field(default_factory=dict)
    material: list[MaterialDraft] = field(default_factory=list)
    people: list[PersonDraft] = field(default_factory=list)
    access: list[AccessDraft] = field(default_factory=list)
    unmapped: list[str] = field(default_factory=list)
    # The source reference of a referral already held that this document adds to (a native
    # referral's "supplements"); blank for a referral in its own right.
    supplements: str = ""
    # Values Vigil did not know or could not read, kept rather than refusing the referral.
    warnings: list[IntakeWarning] = field(default_factory=list)


@dataclass(frozen=True)
class IntakeWarning:
    """Something in a document Vigil could not take as written, and what it did instead: a
    value it did not know (kept as written and read as ``mapped_to``, usually ``other``), or a
    value it could not read at all (``mapped_to`` blank). Never a reason to refuse a referral."""

    path: str
    field: str
    value: str
    mapped_to: str
    note: str = ""

    def as_dict(self) -> dict:
        return {
            "path": self.path,
            "field": self.field,
            "value": self.value,
            "mapped_to": self.mapped_to,
            "message": self.message(),
        }

    def message(self) -> str:
        if self.note:
            return f"{self.path}: {self.note}"
        if not self.mapped_to:
            return (
                f"{self.path}: {self.field} {self.value!r} is not one Vigil knows; kept as "
                "written and left out of the grade's facts"
            )
        return (
            f"{self.path}: {self.field} {self.value!r} is not one Vigil knows; kept as written "
            f"and read as {self.mapped_to!r}"
        )


@dataclass
class CheckDraft:
    """A check on a police or partner system, as research reports it."""

    system: str
    done_at: datetime
    result: str = ""
    # The system as the researcher named it, where it is not one Vigil lists (read as "other").
    system_text: str = ""
    done_by: str = ""
    subject_ref: str = ""


@dataclass
class ResearchDraft:
    """What research found, as read from a research record (``vigil research add``)."""

    source: str
    learned_at: datetime | None
    people: list[PersonDraft] = field(default_factory=list)
    access: list[AccessDraft] = field(default_factory=list)
    checks: list[CheckDraft] = field(default_factory=list)
    # Values Vigil did not know, read as "other" (as at intake).
    warnings: list[IntakeWarning] = field(default_factory=list)


class IntakeError(Exception):
    """A document Vigil will not store, with where in it the problem is and why, in plain words."""

    def __init__(self, message: str, location: str = ""):
        super().__init__(message)
        self.message = message
        self.location = location
