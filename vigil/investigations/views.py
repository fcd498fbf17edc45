"""Pages of the investigation beyond the recordings on the referral page."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from vigil.accounts.selectors import colleagues
from vigil.core.permissions import require
from vigil.core.roles import Action
from vigil.referrals.recordings import REFUSALS, refusal_text
from vigil.referrals.services import referrals_for

from . import services


@login_required
@require_POST
def bulk_allocate(request):
    """Allocate several referrals from the unallocated worklist to one investigator."""
    require(request.user, Action.REFERRAL_ALLOCATE)
    officer = get_object_or_404(
        colleagues(request.user.force_id), username=request.POST.get("officer", "")
    )
    chosen = referrals_for(request.user, action=Action.REFERRAL_ALLOCATE).filter(
        pk__in=[int(value) for value in request.POST.getlist("referrals") if value.isdigit()]
    )
    done, refused = 0, []
    for referral in chosen:
        try:
            services.allocate(request.user, referral, officer, as_of=timezone.now())
            done += 1
        except REFUSALS as error:
            refused.append(f"{referral.source_reference}: {refusal_text(error)}")
    messages.success(
        request,
        ngettext(
            "%(count)s referral allocated to %(officer)s.",
            "%(count)s referrals allocated to %(officer)s.",
            done,
        )
        % {"count": done, "officer": officer.get_full_name() or officer.username},
    )
    for problem in refused:
        messages.error(request, problem)
    return redirect("/worklist/?tab=unallocated")


@login_required
@require_POST
def join(request, referral_id: int):
    """Join this referral with the suggested referrals a supervisor ticked."""
    chosen = [int(value) for value in request.POST.getlist("referrals") if value.isdigit()]
    try:
        services.join_investigation(
            request.user,
            [referral_id, *chosen],
            reason=request.POST.get("reason", ""),
            as_of=timezone.now(),
        )
        messages.success(request, _("Joined into one investigation."))
    except REFUSALS as error:
        messages.error(request, refusal_text(error))
    return redirect(reverse("site:referral-detail", args=[referral_id]) + "#joined")


@login_required
@require_POST
def leave(request, referral_id: int):
    """Take this referral out of the investigation it was joined into."""
    try:
        services.leave_investigation(
            request.user, referral_id, reason=request.POST.get("reason", ""), as_of=timezone.now()
        )
        messages.success(request, _("Taken out of the joined investigation."))
    except REFUSALS as error:
        messages.error(request, refusal_text(error))
    return redirect(reverse("site:referral-detail", args=[referral_id]) + "#joined")
