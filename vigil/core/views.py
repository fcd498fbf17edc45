import sys

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render

from vigil.core.middleware import database_gone, database_unavailable
from vigil.core.permissions import has_permission
from vigil.core.roles import Action


@login_required
def home(request):
    if has_permission(request.user, Action.WORKLIST_VIEW):
        return redirect("clocks:worklist")
    if has_permission(request.user, Action.REFERRAL_VIEW):
        return redirect("site:referral-list")
    if has_permission(request.user, Action.AUDIT_VIEW):
        return redirect("audit:search")
    if has_permission(request.user, Action.INSIGHT_FORCE) or has_permission(
        request.user, Action.INSIGHT_REGION
    ):
        return redirect("insight:dashboard")
    return render(
        request,
        "core/home.html",
        {"can_see_mail": has_permission(request.user, Action.MAIL_VIEW)},
    )


def not_found(request, exception=None):
    return render(request, "core/404.html", status=404)


def forbidden(request, exception=None):
    return render(request, "core/403.html", {"reason": str(exception or "")}, status=403)


def server_error(request):
    # Django calls this while handling the exception: the database going away (found by a
    # middleware, before any view ran) is a 503 that says so, not a fault of Vigil's.
    error = sys.exc_info()[1]
    if database_gone(error):
        return database_unavailable(request, error)
    # No detail at all: an error page must never show personal data.
    return render(request, "core/500.html", status=500)
