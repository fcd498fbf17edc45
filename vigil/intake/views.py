from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from vigil.accounts.choices import Action
from vigil.accounts.models import Force, User
from vigil.accounts.permissions import has_permission, require
from vigil.core.asof import is_now, parse_as_of
from vigil.investigations.models import ActionKind, ReleaseKind
from vigil.investigations.services import outcome_types
from vigil.people.choices import AccessKind, HistoryOutcome, HistoryType
from vigil.risk import services as risk_services
from vigil.risk.models import Grade
from vigil.safeguarding.models import ShareMethod

from . import services
from .choices import TRANSITIONS, Flag, Indicator, ReferralStatus, Source
from .forms import ImportForm, ReferralFilterForm


@login_required
def referral_list(request):
    form = ReferralFilterForm(request.GET or None)
    form.fields["force"].choices = [("", "All forces you can see")] + [
        (force.code, str(force))
        for force in Force.objects.filter(
            pk__in=services.referrals_for(request.user).values("force_id")
        )
    ]
    filters = form.cleaned_data if form.is_valid() else {}
    referrals = services.referrals_for(
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
        "intake/referral_list.html",
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
    referral = services.open_referral(request.user, referral_id, as_of=timezone.now())
    detail = services.referral_detail(referral, request.user, as_of=as_of)
    suspect = referral.people.filter(role="suspect").first()
    policy = risk_services.active_policy()
    return render(
        request,
        "intake/referral_detail.html",
        {
            "referral": referral,
            "detail": detail,
            "as_of": as_of,
            "as_of_is_now": is_now(as_of),
            # The risk panel.
            "risk": detail["risk"],
            "history": risk_services.risk_history(referral),
            "questions": {q.code: q.text for q in policy.questions},
            "suspect": suspect,
            "suspect_flags": [
                (
                    "household_established",
                    "Household established (everyone listed)",
                    suspect and suspect.household_established,
                ),
                (
                    "access_established",
                    "Access to children established",
                    suspect and suspect.access_established,
                ),
                (
                    "history_established",
                    "History checked and complete",
                    suspect and suspect.history_established,
                ),
            ],
            "can_record": has_permission(request.user, Action.FACTS_RECORD),
            "can_override": has_permission(request.user, Action.GRADE_OVERRIDE_PROPOSE),
            "can_approve": has_permission(request.user, Action.GRADE_OVERRIDE_APPROVE),
            "grades": Grade.choices,
            "access_kinds": AccessKind.choices,
            "history_types": HistoryType.choices,
            "history_outcomes": HistoryOutcome.choices,
            "indicators": Indicator.choices,
            # The clocks panel.
            "can_allocate": has_permission(request.user, Action.REFERRAL_ALLOCATE),
            "can_act": has_permission(request.user, Action.ACTION_RECORD),
            "can_safeguard": has_permission(request.user, Action.SAFEGUARDING_RECORD),
            "can_review": has_permission(request.user, Action.REFERRAL_REVIEW),
            "officers": User.objects.filter(force_id=referral.force_id, is_active=True).order_by(
                "username"
            ),
            "action_kinds": ActionKind.choices,
            "share_methods": ShareMethod.choices,
            # The investigation panel.
            "can_transfer": has_permission(request.user, Action.REFERRAL_TRANSFER),
            "release_kinds": ReleaseKind.choices,
            "flag_choices": Flag.choices,
            "outcome_types": outcome_types(),
            "other_forces": Force.objects.exclude(pk=referral.force_id),
            "next_states": [
                (status, ReferralStatus(status).label)
                for status in sorted(TRANSITIONS.get(referral.status, set()))
            ],
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def import_referrals(request):
    require(request.user, Action.REFERRAL_IMPORT)
    report = None
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        files = [(upload.name, upload.read()) for upload in form.cleaned_data["files"]]
        report = services.import_uploads(
            files,
            actor=request.user,
            as_of=timezone.now(),
            options=services.ImportOptions(
                source_reference=form.cleaned_data["source_reference"],
            ),
        )
        form = ImportForm()
    return render(request, "intake/import.html", {"form": form, "report": report})
