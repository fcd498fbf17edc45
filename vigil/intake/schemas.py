"""The shapes of intake's API: the answer to an import, research recorded on a referral, and
requests to providers."""

import datetime as dt
from datetime import datetime
from typing import Literal

from ninja import Field, Schema

from vigil.clocks.schemas import ClockOut
from vigil.core.schemas import ChangeIn, When
from vigil.referrals.schemas import FactIn


class Imported(Schema):
    referral_id: int
    source: str
    source_reference: str
    status: str  # created | duplicate | supplemented
    grade: str


class ImportBatchOut(Schema):
    """A batch of files imported in the background: ``report`` is null until a worker has
    imported it, then ``{"imported": [...], "rejected": [...]}`` as ``vigil import --json``."""

    id: int
    file_count: int
    requested_at: datetime
    # waiting (for a worker), importing, finished; while importing, the referrals stored so far.
    state: Literal["waiting", "importing", "finished"]
    started_at: datetime | None
    referrals_read: int
    finished_at: datetime | None
    report: dict | None


class ResearchIn(ChangeIn):
    """A research record; checked in full against the research format, with JSON paths."""

    source: str = Field(description='Where it was found, e.g. "PNC and local intelligence"')
    learned_at: str | None = Field(None, description="When it was learned (default: now)")
    subjects: list = Field([], description="People, in the native format's subjects' shape")
    access: list = Field([], description="Access to children, as in the native format")
    checks: list = Field([], description='Checks: [{"system", "done_at", "result", "by"}]')


class IdentifierIn(FactIn):
    type: str = Field(description="email, phone, username, account_id, ip, device, profile_url")
    value: str = Field(min_length=1, max_length=500)
    person_ref: str = Field("", description="Whose it is (default: the suspect)")
    service: str = Field("", max_length=200)
    seen_at: When | None = None
    port: int | None = Field(None, ge=0, le=65535)
    event: str = Field("", max_length=40)


class AddressIn(FactIn):
    person_ref: str = Field("", description="Whose it is (default: the suspect)")
    kind: str = "home"
    line1: str = Field("", max_length=200)
    line2: str = Field("", max_length=200)
    town: str = Field("", max_length=120)
    postcode: str = Field("", max_length=16)
    lived_from: dt.date | None = None
    lived_until: dt.date | None = None


class PersonFoundIn(FactIn):
    role: str = Field(description="household_member, relative, associate or victim")
    first_name: str = Field("", max_length=120)
    last_name: str = Field("", max_length=120)
    date_of_birth: dt.date | None = None
    age: int | None = Field(None, ge=0, le=130)
    relation: str = Field("", max_length=60, description="To the suspect, e.g. sister")
    lives_with_suspect: bool = False


class CheckIn(ChangeIn):
    system: str = Field(
        description="pnc, pnd, local_intelligence, childrens_social_care, education, health, "
        "or another system's name"
    )
    done_at: When | None = Field(None, description="When the check was done (default: now)")
    result: str = ""
    person_ref: str = Field("", description="Who was checked (default: the suspect)")
    by: str = Field("", max_length=150, description="Who did it (default: you)")
    source: str = Field("", max_length=200)
    learned_at: When | None = None


class DataRequestIn(ChangeIn):
    provider: str = Field(min_length=1, max_length=200, description="Whom it was asked of")
    route: str = Field(
        "internet_company_nca",
        description="internet_company_nca, internet_company_direct, communications_spoc, "
        "overseas_mla or partner",
    )
    basis: str = Field(
        description="production_order, ipa_authorisation, voluntary_disclosure, "
        "mutual_legal_assistance or other"
    )
    asked: str = Field(min_length=1, description="What was asked for")
    sent_at: When | None = Field(None, description="When it went out (empty: not yet)")


class RequestSentIn(ChangeIn):
    sent_at: When | None = None


class RequestAcknowledgedIn(ChangeIn):
    acknowledged_at: When | None = None


class RequestReturnedIn(ChangeIn):
    returned_at: When | None = None
    result: str = Field("", description="What came back, in words")
    research: dict | None = Field(
        None,
        description="What came back as a research record (source, subjects, checks…): recorded "
        "on the referral and matched again against every force's referrals",
    )


class RequestRefusedIn(ChangeIn):
    reason: str = Field(min_length=1, description="Why the provider refused")
    refused_at: When | None = None


class DataRequestOut(Schema):
    id: int
    referral_id: int
    provider: str
    route: str
    route_text: str
    basis: str
    basis_text: str
    asked: str
    state: str  # not_sent | sent | acknowledged | returned | refused
    state_text: str
    sent_at: datetime | None
    acknowledged_at: datetime | None
    returned_at: datetime | None
    refused_at: datetime | None
    result: str
    refusal_reason: str
    recorded_by: str
    recorded_at: datetime
    answered: bool
    # Its clock (kind ``data_request``); none under a policy without one.
    clock: ClockOut | None
