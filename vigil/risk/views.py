"""Risk pages: assurance and quality checks (the grade's forms sit on the referral page)."""

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from vigil.referrals.recordings import REFUSALS, form_data, refusal_text

from . import services
from .choices import QualityOutcome
from .schemas import QualityCheckIn


@login_required
def assurance(request):
    now = timezone.now()
    days = int(request.GET["days"]) if request.GET.get("days", "").isdigit() else 90
    days = min(max(days, 1), 3660)
    report = services.assurance(request.user, since=now - timedelta(days=days), until=now)
    return render(
        request,
        "risk/assurance.html",
        {"report": report, "days": days, "pending": services.pending_overrides(request.user)},
    )


@login_required
def quality_checks(request):
    checks = services.quality_checks_for(request.user)
    if request.method == "POST":
        if "draw" in request.POST:
            queued = services.queue_quality_sample(request.user, as_of=timezone.now())
            messages.success(
                request,
                ngettext(
                    "%(count)s assessment drawn for checking.",
                    "%(count)s assessments drawn for checking.",
                    len(queued),
                )
                % {"count": len(queued)},
            )
        else:
            check_id = request.POST.get("check", "")
            check = checks.filter(pk=int(check_id) if check_id.isdigit() else 0).first()
            try:
                if check is None:
                    raise PermissionDenied(_("That check is not one you may see."))
                data = QualityCheckIn.model_validate(form_data(QualityCheckIn, request.POST))
                services.record_quality_check(
                    request.user,
                    check,
                    outcome=data.outcome,
                    notes=data.notes,
                    as_of=timezone.now(),
                )
                messages.success(request, _("Check recorded."))
            except (*REFUSALS, PermissionDenied) as error:
                messages.error(request, _("Not recorded: %(why)s") % {"why": refusal_text(error)})
        return redirect("risk:quality-checks")
    return render(
        request,
        "risk/quality_checks.html",
        {"checks": checks, "outcomes": QualityOutcome.choices},
    )
