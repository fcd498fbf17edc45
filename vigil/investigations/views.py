"""Recording the investigation's steps from the referral page. Thin: a form, a service, a
message, back to the referral."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.views.decorators.http import require_POST

from vigil.accounts.models import User
from vigil.intake.services import find_referral
from vigil.safeguarding import services as safeguarding

from . import forms, services


def _apply(request, referral_id: int, form_class, change, done: str):
    referral = find_referral(request.user, referral_id)
    form = form_class(request.POST)
    if not form.is_valid():
        problems = "; ".join(
            f"{field.replace('_', ' ')}: {' '.join(errors)}"
            for field, errors in form.errors.items()
        )
        messages.error(request, f"Not recorded. {problems}")
    else:
        try:
            change(referral, form.cleaned_data)
        except ValidationError as error:
            messages.error(request, f"Not recorded: {' '.join(error.messages)}")
        else:
            messages.success(request, done)
    return redirect(f"/referrals/{referral.pk}/#clocks")


@login_required
@require_POST
def allocate(request, referral_id: int):
    def change(referral, data):
        officer = get_object_or_404(User, pk=data["officer"], force_id=referral.force_id)
        services.allocate(
            request.user,
            referral,
            officer,
            team=data["team"],
            allocated_at=data["allocated_at"],
            as_of=timezone.now(),
        )

    return _apply(request, referral_id, forms.AllocationForm, change, "Allocated.")


@login_required
@require_POST
def record_action(request, referral_id: int):
    def change(referral, data):
        details = {"devices": data["devices"]} if data["devices"] is not None else {}
        services.record_action(
            request.user,
            referral,
            data["kind"],
            occurred_at=data["occurred_at"],
            details=details,
            notes=data["notes"],
            as_of=timezone.now(),
        )

    return _apply(request, referral_id, forms.ActionForm, change, "Action recorded.")


@login_required
@require_POST
def record_review(request, referral_id: int):
    def change(referral, data):
        services.record_review(
            request.user,
            referral,
            reviewed_at=data["reviewed_at"],
            notes=data["notes"],
            as_of=timezone.now(),
        )

    return _apply(request, referral_id, forms.ReviewForm, change, "Review recorded.")


@login_required
@require_POST
def social_care(request, referral_id: int):
    def change(referral, data):
        safeguarding.share_with_social_care(request.user, referral, as_of=timezone.now(), **data)

    return _apply(
        request, referral_id, forms.SocialCareForm, change, "Social care referral recorded."
    )


@login_required
@require_POST
def strategy(request, referral_id: int):
    def change(referral, data):
        safeguarding.request_strategy_discussion(
            request.user, referral, requested_at=data["requested_at"], as_of=timezone.now()
        )

    return _apply(
        request, referral_id, forms.StrategyForm, change, "Strategy discussion request recorded."
    )


@login_required
@require_POST
def lado(request, referral_id: int):
    def change(referral, data):
        safeguarding.refer_to_lado(request.user, referral, as_of=timezone.now(), **data)

    return _apply(request, referral_id, forms.LadoForm, change, "LADO referral recorded.")
