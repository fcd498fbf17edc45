"""Risk pages: changes posted from the referral page, assurance and quality checks."""

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from vigil.accounts.choices import Action
from vigil.accounts.permissions import require
from vigil.core.changes import apply_change, form_problems
from vigil.intake.services import add_indicator
from vigil.people import services as people

from . import forms, services
from .models import Override, QualityCheck


def _apply(request, referral_id: int, form_class, change, done: str):
    return apply_change(request, referral_id, form_class, change, done, section="risk")


def _fact(data) -> dict:
    return {"source": data["source"], "learned_at": data["learned_at"]}


@login_required
@require_POST
def add_household_member(request, referral_id: int):
    def change(referral, data):
        people.add_household_member(
            request.user,
            referral,
            first_name=data["first_name"],
            last_name=data["last_name"],
            date_of_birth=data["date_of_birth"],
            age=data["age"],
            as_of=timezone.now(),
            **_fact(data),
        )

    return _apply(
        request,
        referral_id,
        forms.HouseholdMemberForm,
        change,
        "Household member recorded; the referral has been re-graded.",
    )


@login_required
@require_POST
def add_access(request, referral_id: int):
    def change(referral, data):
        people.add_access(
            request.user,
            referral,
            kind=data["kind"],
            child_first_name=data["child_first_name"],
            child_age=data["child_age"],
            as_of=timezone.now(),
            **_fact(data),
        )

    return _apply(
        request,
        referral_id,
        forms.AccessForm,
        change,
        "Access to a child recorded; the referral has been re-graded.",
    )


@login_required
@require_POST
def add_history(request, referral_id: int):
    def change(referral, data):
        people.add_history(
            request.user,
            referral,
            type=data["type"],
            outcome=data["outcome"],
            date=data["date"],
            description=data["description"],
            as_of=timezone.now(),
            **_fact(data),
        )

    return _apply(
        request,
        referral_id,
        forms.HistoryForm,
        change,
        "History recorded; the referral has been re-graded.",
    )


@login_required
@require_POST
def add_referral_indicator(request, referral_id: int):
    def change(referral, data):
        add_indicator(
            request.user,
            referral,
            data["indicator"],
            as_of=timezone.now(),
            **_fact(data),
        )

    return _apply(
        request,
        referral_id,
        forms.IndicatorForm,
        change,
        "Indicator recorded; the referral has been re-graded.",
    )


@login_required
@require_POST
def correct_suspect(request, referral_id: int, ref: str):
    def change(referral, data):
        people.correct_person(
            request.user,
            referral,
            ref,
            changes=forms.SuspectForm.changes_of(data),
            as_of=timezone.now(),
            **_fact(data),
        )

    return _apply(
        request,
        referral_id,
        forms.SuspectForm,
        change,
        "The suspect's facts are updated; the referral has been re-graded.",
    )


@login_required
@require_POST
def propose_override(request, referral_id: int):
    def change(referral, data):
        override = services.propose_override(
            request.user,
            referral,
            data["grade"],
            data["reason"],
            as_of=timezone.now(),
        )
        if override.status == "pending":
            messages.info(request, "A lower grade waits for a supervisor's approval.")

    return _apply(request, referral_id, forms.OverrideForm, change, "Your proposal is recorded.")


@login_required
@require_POST
def decide_override(request, override_id: int):
    override = get_object_or_404(Override, pk=override_id)

    def change(referral, data):
        services.decide_override(
            request.user,
            override,
            approve=data["decision"] == "approve",
            reason=data["reason"],
            as_of=timezone.now(),
        )

    return _apply(request, override.referral_id, forms.DecisionForm, change, "Decision recorded.")


@login_required
def assurance(request):
    now = timezone.now()
    days = int(request.GET.get("days", 90)) if request.GET.get("days", "90").isdigit() else 90
    report = services.assurance(request.user, since=now - timedelta(days=days), until=now)
    pending = Override.objects.filter(
        status="pending", referral__force_id=request.user.force_id
    ).select_related("referral")
    return render(
        request, "risk/assurance.html", {"report": report, "days": days, "pending": pending}
    )


@login_required
def quality_checks(request):
    require(request.user, Action.QUALITY_CHECK)
    if request.method == "POST":
        if "draw" in request.POST:
            queued = services.queue_quality_sample(request.user, as_of=timezone.now())
            messages.success(request, f"{len(queued)} assessments drawn for checking.")
        else:
            check = get_object_or_404(
                QualityCheck,
                pk=request.POST.get("check"),
                assessment__referral__force_id=request.user.force_id,
            )
            form = forms.QualityCheckForm(request.POST)
            if form.is_valid():
                try:
                    services.record_quality_check(
                        request.user,
                        check,
                        outcome=form.cleaned_data["outcome"],
                        notes=form.cleaned_data["notes"],
                        as_of=timezone.now(),
                    )
                    messages.success(request, "Check recorded.")
                except (ValidationError, PermissionDenied) as error:
                    messages.error(request, str(error))
            else:
                messages.error(request, form_problems(form))
        return redirect("risk:quality-checks")
    checks = (
        QualityCheck.objects.filter(assessment__referral__force_id=request.user.force_id)
        .select_related("assessment__referral", "assessor")
        .order_by("checked_at", "queued_at")
    )
    return render(
        request, "risk/quality_checks.html", {"checks": checks, "form": forms.QualityCheckForm()}
    )
