"""The shapes of intake's API: the answer to an import, and requests to providers."""

from datetime import datetime

from ninja import Field, Schema

from vigil.clocks.schemas import ClockOut
from vigil.core.schemas import ChangeIn, When


class Imported(Schema):
    referral_id: int
    source: str
    source_reference: str
    status: str  # created | duplicate
    grade: str


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
