"""Requests to providers for what they hold, each on its clock until it comes back.

An investigator asks an internet company (through the NCA or directly), a phone or internet
provider (through the force's single point of contact), another country (mutual legal
assistance) or a partner for what it holds about the people in a referral. Each request is
recorded with its legal basis and what was asked, then as it is sent, acknowledged, returned
(with what came back) or refused. From the moment it is recorded it carries a ``data_request``
clock, due by the referral's grade (the policy's ``[clocks.data_request]``) and met when the
answer, or the refusal, comes.
"""

from datetime import datetime
from functools import partial

from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from vigil.audit.choices import AuditAction as Audit
from vigil.clocks.services import clock_facts, referral_clocks
from vigil.core.roles import Action as Can
from vigil.referrals.changes import Change, RecordError
from vigil.referrals.models import Referral
from vigil.referrals.recordings import recording

from .models import DataRequest, LegalBasis, RequestRoute
from .research import apply_research
from .schemas import (
    DataRequestIn,
    RequestAcknowledgedIn,
    RequestRefusedIn,
    RequestReturnedIn,
    RequestSentIn,
)

# The choices, for the page's lists and the command's help.
ROUTES = RequestRoute.choices
BASES = LegalBasis.choices

# A step recorded here, on the referral page's section for requests.
step = partial(recording, section="data-requests")


@step(
    "data-requests",
    Can.ACTION_RECORD,
    Audit.DATA_REQUEST_ADDED,
    DataRequestIn,
    gettext_lazy("Data request recorded."),
)
def add_request(
    change: Change,
    *,
    provider: str,
    basis: str,
    asked: str,
    route: str = RequestRoute.INTERNET_COMPANY_NCA,
    sent_at: datetime | None = None,
) -> DataRequest:
    """A request to a provider for what it holds: to whom, through whom, on what legal basis
    and what was asked (and when it went out, if it has)."""
    if route not in RequestRoute.values:
        raise RecordError(
            _("route must be one of %(values)s") % {"values": ", ".join(RequestRoute.values)}
        )
    if basis not in LegalBasis.values:
        raise RecordError(
            _("basis must be one of %(values)s") % {"values": ", ".join(LegalBasis.values)}
        )
    if not provider.strip() or not asked.strip():
        raise RecordError(_("say whom it was asked of and what was asked"))
    sent = change.happened_at(sent_at) if sent_at is not None else None
    item = DataRequest.objects.create(
        referral=change.referral,
        provider=provider.strip(),
        route=route,
        basis=basis,
        asked=asked.strip(),
        sent_at=sent,
        **change.recorded(),
    )
    change.describe(
        item,
        after={
            "referral": change.referral.pk,
            "provider": item.provider,
            "route": route,
            "basis": basis,
            "asked": item.asked,
            "sent_at": sent,
        },
    )
    return item


def _still_waiting(item: DataRequest) -> None:
    if item.returned_at:
        raise RecordError(
            _("the request to %(provider)s was already returned") % {"provider": item.provider}
        )
    if item.refused_at:
        raise RecordError(
            _("the request to %(provider)s was already refused") % {"provider": item.provider}
        )


def _after_sending(change: Change, item: DataRequest, moment: datetime | None) -> datetime:
    """When the provider did something with the request: never before it was sent."""
    if item.sent_at is None:
        raise RecordError(
            _("the request to %(provider)s is not recorded as sent; record when it went out")
            % {"provider": item.provider}
        )
    when = change.happened_at(moment)
    if when < item.sent_at:
        raise RecordError(_("the provider cannot have answered before the request was sent"))
    return when


@step(
    "data-request-sent",
    Can.ACTION_RECORD,
    Audit.DATA_REQUEST_SENT,
    RequestSentIn,
    gettext_lazy("Data request recorded as sent."),
    item=DataRequest,
    api_path="/data-requests/{item_id}/sent",
)
def record_sent(change: Change, item: DataRequest, *, sent_at: datetime | None = None):
    """Record when a request went out to the provider"""
    if item.sent_at is not None:
        raise RecordError(
            _("the request to %(provider)s was already sent") % {"provider": item.provider}
        )
    _still_waiting(item)
    item.sent_at = change.happened_at(sent_at)
    item.save(update_fields=["sent_at"])
    change.describe(item, after={"referral": change.referral.pk, "sent_at": item.sent_at})
    return item


@step(
    "data-request-acknowledged",
    Can.ACTION_RECORD,
    Audit.DATA_REQUEST_ACKNOWLEDGED,
    RequestAcknowledgedIn,
    gettext_lazy("Data request recorded as acknowledged."),
    item=DataRequest,
    api_path="/data-requests/{item_id}/acknowledged",
)
def record_acknowledged(
    change: Change, item: DataRequest, *, acknowledged_at: datetime | None = None
) -> DataRequest:
    """Record that the provider acknowledged a request (its clock runs on until the answer)"""
    _still_waiting(item)
    if item.acknowledged_at is not None:
        raise RecordError(
            _("the request to %(provider)s was already acknowledged") % {"provider": item.provider}
        )
    item.acknowledged_at = _after_sending(change, item, acknowledged_at)
    item.save(update_fields=["acknowledged_at"])
    change.describe(
        item, after={"referral": change.referral.pk, "acknowledged_at": item.acknowledged_at}
    )
    return item


@step(
    "data-request-returned",
    Can.ACTION_RECORD,
    Audit.DATA_REQUEST_RETURNED,
    RequestReturnedIn,
    gettext_lazy("Data request recorded as returned."),
    item=DataRequest,
    api_path="/data-requests/{item_id}/returned",
)
def record_returned(
    change: Change,
    item: DataRequest,
    *,
    returned_at: datetime | None = None,
    result: str = "",
    research: dict | None = None,
) -> DataRequest:
    """Record that the provider returned what was asked, and what came back; meets its clock.

    What came back may be given as a research record: it is recorded on the referral (learned
    when it was returned, on the provider's authority unless it says otherwise) and matched
    again against every force's referrals."""
    _still_waiting(item)
    item.returned_at = _after_sending(change, item, returned_at)
    item.result = result.strip()
    found = {}
    if research:
        record = {
            "source": f"Return from {item.provider} (data request {item.pk})"[:200],
            "learned_at": item.returned_at.isoformat(),
            **research,
        }
        item.research = apply_research(change, record)
        found = item.research.summary
    item.save(update_fields=["returned_at", "result", "research"])
    change.describe(
        item,
        after={
            "referral": change.referral.pk,
            "returned_at": item.returned_at,
            "result": item.result,
            **({"research": item.research_id, **found} if research else {}),
        },
    )
    return item


@step(
    "data-request-refused",
    Can.ACTION_RECORD,
    Audit.DATA_REQUEST_REFUSED,
    RequestRefusedIn,
    gettext_lazy("Data request recorded as refused."),
    item=DataRequest,
    api_path="/data-requests/{item_id}/refused",
)
def record_refused(
    change: Change, item: DataRequest, *, reason: str, refused_at: datetime | None = None
) -> DataRequest:
    """Record that the provider refused a request, and why; meets its clock."""
    if not reason.strip():
        raise RecordError(_("say why the provider refused"))
    _still_waiting(item)
    item.refused_at = _after_sending(change, item, refused_at)
    item.refusal_reason = reason.strip()
    item.save(update_fields=["refused_at", "refusal_reason"])
    change.describe(
        item,
        after={
            "referral": change.referral.pk,
            "refused_at": item.refused_at,
            "reason": item.refusal_reason,
        },
    )
    return item


RECORDINGS = [add_request, record_sent, record_acknowledged, record_returned, record_refused]


@clock_facts
def data_request_clock_facts(referral: Referral) -> dict:
    """Each request's clock: from when it went out (a request still waiting to go is waiting
    too, from when it was recorded) until it is returned or refused."""
    return {
        "data_requests": tuple(
            (item.pk, item.sent_at or item.recorded_at, item.answered_at, item.provider)
            for item in referral.data_requests.all()
        )
    }


# ---------------------------------------------------------------------------------------------
# Reading requests


def find_request(actor, request_id: int) -> DataRequest:
    """One request, if this actor may see its referral; else Http404."""
    found = DataRequest.objects.restrict(actor).select_related("referral").filter(pk=request_id)
    item = found.first()
    if item is None:
        raise Http404(f"no data request {request_id}")
    return item


def _state(item: DataRequest, as_of: datetime) -> str:
    for state, moment in (
        ("refused", item.refused_at),
        ("returned", item.returned_at),
        ("acknowledged", item.acknowledged_at),
        ("sent", item.sent_at),
    ):
        if moment is not None and moment <= as_of:
            return state
    return "not_sent"


STATE_WORDS = {
    "not_sent": gettext_lazy("Not yet sent"),
    "sent": gettext_lazy("Sent"),
    "acknowledged": gettext_lazy("Acknowledged"),
    "returned": pgettext_lazy("data request", "Returned"),
    "refused": gettext_lazy("Refused"),
}


def requests_detail(
    referral: Referral, *, as_of: datetime, clocks: list[dict] | None = None
) -> list[dict]:
    """A referral's requests as they stood at ``as_of``, each with its clock (for the page, the
    API and the command). ``clocks``: ``referral_clocks(referral, as_of=as_of)``, when the
    caller has read them."""
    if clocks is None:
        clocks = referral_clocks(referral, as_of=as_of)
    clocks = {clock["cycle"]: clock for clock in clocks if clock["kind"] == "data_request"}

    def moment(value: datetime | None) -> str | None:
        return value.isoformat() if value is not None and value <= as_of else None

    rows = []
    for item in referral.data_requests.filter(recorded_at__lte=as_of):
        state = _state(item, as_of)
        answered = state in {"returned", "refused"}
        rows.append(
            {
                "id": item.pk,
                "referral_id": referral.pk,
                "provider": item.provider,
                "route": item.route,
                "route_text": item.get_route_display(),
                "basis": item.basis,
                "basis_text": item.get_basis_display(),
                "asked": item.asked,
                "state": state,
                "state_text": str(STATE_WORDS[state]),
                "sent_at": moment(item.sent_at),
                "acknowledged_at": moment(item.acknowledged_at),
                "returned_at": moment(item.returned_at),
                "refused_at": moment(item.refused_at),
                "result": item.result if state == "returned" else "",
                "refusal_reason": item.refusal_reason if state == "refused" else "",
                "recorded_by": item.recorded_by_name,
                "recorded_at": item.recorded_at.isoformat(),
                "answered": answered,
                "clock": clocks.get(item.pk),
            }
        )
    return rows
