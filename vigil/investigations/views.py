"""Recording the investigation's steps from the referral page. Thin: a form, a service, a
message, back to the referral."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.views.decorators.http import require_POST

from vigil.accounts.models import User
from vigil.core.changes import apply_change
from vigil.intake.services import Conflict
from vigil.safeguarding import services as safeguarding

from . import forms, services


def _apply(request, referral_id: int, form_class, change, done: str):
    return apply_change(request, referral_id, form_class, change, done, section="clocks")


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
            standards_checked=data["standards_checked"],
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


def _versioned(data: dict) -> dict:
    return {"expected_version": data.get("expected_version")}


@login_required
@require_POST
def release(request, referral_id: int):
    def change(referral, data):
        services.record_release(
            request.user,
            referral,
            kind=data["kind"],
            address=data["address"],
            postcode=data["postcode"],
            released_at=data["released_at"],
            conditions=data["conditions"],
            return_at=data["return_at"],
            supervisor_decision=data["supervisor_decision"],
            safeguarding_plan=data["safeguarding_plan"],
            as_of=timezone.now(),
            **_versioned(data),
        )

    return _apply(request, referral_id, forms.ReleaseForm, change, "Release recorded.")


@login_required
@require_POST
def close(request, referral_id: int):
    def change(referral, data):
        services.close(
            request.user,
            referral,
            outcome=data["outcome"],
            rationale=data["rationale"],
            outstanding_reason=data["outstanding_reason"],
            closed_at=data["closed_at"],
            as_of=timezone.now(),
            **_versioned(data),
        )

    return _apply(request, referral_id, forms.CloseForm, change, "The referral is closed.")


@login_required
@require_POST
def transfer(request, referral_id: int):
    def change(referral, data):
        services.transfer(
            request.user,
            referral,
            data["to_force"],
            reason=data["reason"],
            as_of=timezone.now(),
            **_versioned(data),
        )

    return _apply(request, referral_id, forms.TransferForm, change, "Transferred.")


@login_required
@require_POST
def move(request, referral_id: int):
    def change(referral, data):
        services.move(
            request.user,
            referral,
            data["status"],
            reason=data["reason"],
            as_of=timezone.now(),
            **_versioned(data),
        )

    return _apply(request, referral_id, forms.MoveForm, change, "Moved.")


@login_required
@require_POST
def flags(request, referral_id: int):
    def change(referral, data):
        services.set_flags(request.user, referral, data["flags"], as_of=timezone.now())

    return _apply(request, referral_id, forms.FlagsForm, change, "Flags saved.")


@login_required
@require_POST
def standard(request, referral_id: int):
    def change(referral, data):
        services.record_standard(
            request.user,
            referral,
            data["code"],
            note=data["note"],
            met_at=data["met_at"],
            as_of=timezone.now(),
        )

    return _apply(request, referral_id, forms.StandardForm, change, "Standard recorded as met.")


@login_required
@require_POST
def social_care_decision(request, referral_id: int):
    def change(referral, data):
        item = get_object_or_404(referral.social_care_referrals, pk=data["item"])
        safeguarding.record_social_care_decision(
            request.user, item, decision=data["decision"], as_of=timezone.now()
        )

    return _apply(
        request, referral_id, forms.DecisionForm, change, "Social care's decision recorded."
    )


@login_required
@require_POST
def strategy_held(request, referral_id: int):
    def change(referral, data):
        item = get_object_or_404(referral.strategy_discussions, pk=data["item"])
        attendees = [
            {"agency": "police", "name": data["police"]},
            {"agency": "social care", "name": data["social_care"]},
        ]
        if data["health"]:
            attendees.append({"agency": "health", "name": data["health"]})
        if data["others"]:
            attendees.append({"agency": "other", "name": data["others"]})
        safeguarding.record_strategy_discussion_held(
            request.user,
            item,
            held_at=data["held_at"],
            attendees=attendees,
            decisions=data["decisions"],
            record_circulated_at=data["record_circulated_at"],
            as_of=timezone.now(),
        )

    return _apply(
        request, referral_id, forms.HeldForm, change, "Strategy discussion recorded as held."
    )


@login_required
@require_POST
def welfare_plan(request, referral_id: int):
    def change(referral, data):
        safeguarding.record_welfare_plan(
            request.user,
            referral,
            reason=data["reason"],
            plan=data["plan"],
            agreed_at=data["agreed_at"],
            as_of=timezone.now(),
        )

    return _apply(request, referral_id, forms.WelfarePlanForm, change, "Welfare plan recorded.")


@login_required
@require_POST
def bulk_allocate(request):
    """Allocate several referrals from the unallocated worklist to one investigator."""
    from vigil.intake.models import Referral

    officer = get_object_or_404(
        User, pk=request.POST.get("officer"), force_id=request.user.force_id
    )
    chosen = Referral.objects.visible_to(request.user).filter(
        pk__in=[int(value) for value in request.POST.getlist("referrals") if value.isdigit()]
    )
    done, refused = 0, []
    for referral in chosen:
        try:
            services.allocate(request.user, referral, officer, as_of=timezone.now())
            done += 1
        except (ValidationError, Conflict) as error:
            refused.append(f"{referral.source_reference}: {getattr(error, 'message', error)}")
    messages.success(
        request,
        f"{done} referral{'s' if done != 1 else ''} allocated to "
        f"{officer.get_full_name() or officer.username}.",
    )
    for problem in refused:
        messages.error(request, problem)
    return redirect("/worklist/?tab=unallocated")
