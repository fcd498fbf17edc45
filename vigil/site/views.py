"""The referral list and the referral page: every part's panel about one referral."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from vigil.accounts.selectors import colleagues, forces_with_ids, other_forces
from vigil.core.asof import AsOfError, is_now, parse_as_of
from vigil.core.labels import label_of
from vigil.core.permissions import has_permission
from vigil.core.roles import Action
from vigil.exhibits.queue import KINDS as EXHIBIT_KINDS
from vigil.exhibits.queue import PATHS as EXHIBIT_PATHS
from vigil.exhibits.queue import referral_exhibits
from vigil.intake import requests as data_requests
from vigil.investigations.choices import ActionKind, ReleaseKind, RuiDecision
from vigil.investigations.services import (
    investigation_of,
    join_suggestions,
    outcome_types,
    pending_transfer,
)
from vigil.people.choices import (
    AccessKind,
    CheckSystem,
    HistoryOutcome,
    HistoryType,
    IdentifierKind,
    PersonRole,
)
from vigil.referrals.choices import (
    TRANSITIONS,
    Flag,
    Indicator,
    ReferralStatus,
    Source,
    TransferStatus,
)
from vigil.referrals.services import open_referral, referrals_for
from vigil.risk import services as risk_services
from vigil.risk.choices import Grade
from vigil.safeguarding.choices import ShareMethod

from .forms import ReferralFilterForm
from .services import at_a_glance, sections_held
from .services import person_detail as person_detail_of
from .services import referral_detail as detail_of

# The longest lists on a referral page are paged, each on its own, so one CyberTipline
# report's thousand files does not push every duty off the screen.
SECTION_PAGE_SIZES = {"clocks": 25, "linked": 25, "material": 50, "documents": 25}


def _section_pages(request, detail: dict) -> dict:
    pages = {}
    for section, size in SECTION_PAGE_SIZES.items():
        param = f"{section}_page"
        query = request.GET.copy()
        query.pop(param, None)
        items = detail["linked_referrals" if section == "linked" else section]
        pages[section] = {
            "page": Paginator(items, size).get_page(request.GET.get(param)),
            "param": param,
            "query": query.urlencode(),
            "anchor": section,
        }
    return pages


@login_required
def referral_list(request):
    form = ReferralFilterForm(request.GET or None)
    form.fields["force"].choices = [("", _("All forces you can see"))] + [
        (force.code, str(force))
        for force in forces_with_ids(referrals_for(request.user).values("force_id"))
    ]
    filters = form.cleaned_data if form.is_valid() else {}
    referrals = referrals_for(
        request.user,
        force=filters.get("force", ""),
        source=filters.get("source", ""),
        status=filters.get("status", ""),
    )
    page = Paginator(referrals, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "site/referral_list.html",
        {
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "can_import": has_permission(request.user, Action.REFERRAL_IMPORT),
            "sources": Source,
            "statuses": ReferralStatus,
        },
    )


@login_required
def referral_detail(request, referral_id: int):
    as_of = parse_as_of(request.GET.get("as_of"))
    referral = open_referral(request.user, referral_id, as_of=timezone.now())
    history = risk_services.risk_history(referral)
    held = sections_held(referral)
    detail = detail_of(referral, request.user, as_of=as_of, history=history, held=held)
    # The first suspect, as the people section read them.
    suspect = next((p for p in detail["subjects"] if p["role"] == "suspect"), None)
    policy = risk_services.active_policy()
    user = request.user

    # Only the force holding a referral records on it; another force that sees it (it sent it
    # away, or is offered it) reads it, and the offered force may answer the offer.
    held_here = referral.force_id == user.force_id
    # The transfer waiting for an answer, read only when the investigation's transfers (just
    # read) have one: most referrals have never been offered.
    offer = (
        pending_transfer(referral)
        if any(t["status"] == TransferStatus.PENDING for t in detail["transfers"])
        else None
    )

    def can(action: str) -> bool:
        return held_here and has_permission(user, action)

    return render(
        request,
        "site/referral_detail.html",
        {
            "referral": referral,
            "detail": detail,
            "glance": at_a_glance(detail),
            "pages": _section_pages(request, detail),
            "as_of": as_of,
            "as_of_is_now": is_now(as_of),
            # The risk panel.
            "risk": detail["risk"],
            "history": history,
            "questions": {q.code: q.text for q in policy.questions},
            "suspect": suspect,
            "suspect_flags": [
                (
                    "household_established",
                    _("Household established (everyone listed)"),
                    suspect and suspect["household_established"],
                ),
                (
                    "access_established",
                    _("Access to children established"),
                    suspect and suspect["access_established"],
                ),
                (
                    "history_established",
                    _("History checked and complete"),
                    suspect and suspect["history_established"],
                ),
            ],
            "can_record": can(Action.FACTS_RECORD),
            "can_override": can(Action.GRADE_OVERRIDE_PROPOSE),
            "can_approve": can(Action.GRADE_OVERRIDE_APPROVE),
            "grades": Grade.choices,
            "access_kinds": AccessKind.choices,
            "history_types": HistoryType.choices,
            "history_outcomes": HistoryOutcome.choices,
            "indicators": Indicator.choices,
            # The clocks panel.
            "can_allocate": can(Action.REFERRAL_ALLOCATE),
            "can_act": can(Action.ACTION_RECORD),
            "can_safeguard": can(Action.SAFEGUARDING_RECORD),
            "can_review": can(Action.REFERRAL_REVIEW),
            "officers": colleagues(referral.force_id),
            "action_kinds": ActionKind.choices,
            "share_methods": ShareMethod.choices,
            # The data requests panel.
            "request_routes": data_requests.ROUTES,
            "legal_bases": data_requests.BASES,
            # The exhibits panel.
            "exhibits": (
                referral_exhibits(user, referral, as_of=as_of) if "exhibits" in held else []
            ),
            "can_exhibit": can(Action.EXHIBIT_RECORD),
            "exhibit_kinds": EXHIBIT_KINDS,
            "exhibit_paths": dict(EXHIBIT_PATHS),
            # The research panel.
            "identifier_kinds": IdentifierKind.choices,
            "found_roles": [
                (value, label)
                for value, label in PersonRole.choices
                if value in {"household_member", "relative", "associate", "victim"}
            ],
            "check_systems": CheckSystem.choices,
            "person_refs": [
                (p["ref"], f"{p['ref']}: {label_of(PersonRole, p['role']).lower()}")
                for p in detail["subjects"]
            ],
            # The investigation panel.
            "can_transfer": can(Action.REFERRAL_TRANSFER) and offer is None,
            "held_here": held_here,
            "offer": offer,
            "joined": investigation_of(user, referral),
            "join_suggestions": join_suggestions(user, referral)
            if can(Action.REFERRAL_ALLOCATE)
            else [],
            "can_answer_offer": offer is not None
            and offer.to_force_id == user.force_id
            and has_permission(user, Action.TRANSFER_ANSWER),
            "can_restrict": can(Action.REFERRAL_RESTRICT),
            "can_reopen": can(Action.OUTCOME_APPROVE),
            "named_people": sorted(
                referral.named_people.values_list("user__username", flat=True)
                if "named_people" in held
                else []
            ),
            "colleagues": colleagues(referral.force_id).exclude(pk=user.pk),
            "release_kinds": ReleaseKind.choices,
            "rui_decisions": RuiDecision.choices,
            "flag_choices": [
                (value, label) for value, label in Flag.choices if value != "restricted"
            ],
            "outcome_types": outcome_types(),
            "other_forces": other_forces(referral.force_id),
            "next_states": [
                (status, ReferralStatus(status).label)
                for status in sorted(TRANSITIONS.get(referral.status, set()))
            ],
        },
    )


@login_required
def person_detail(request, person_id: int):
    """One person across every referral the user may see."""
    as_of_error = ""
    try:
        as_of = parse_as_of(request.GET.get("as_of"))
    except AsOfError as error:
        as_of, as_of_error = timezone.now(), str(error)
    detail = person_detail_of(request.user, person_id, as_of=as_of, viewed_at=timezone.now())
    return render(
        request,
        "site/person_detail.html",
        {
            "detail": detail,
            "referrals": {item["id"]: item for item in detail["referrals"]},
            "as_of": as_of,
            "as_of_is_now": is_now(as_of),
            "as_of_error": as_of_error,
        },
    )
