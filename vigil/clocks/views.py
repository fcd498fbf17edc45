from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone

from vigil.accounts.choices import Action
from vigil.accounts.models import User
from vigil.accounts.permissions import has_permission
from vigil.core.asof import is_now, parse_as_of

from . import services
from .models import Notification

TABS = [
    ("mine", "My clocks"),
    ("team", "My team's clocks"),
    ("unallocated", "Unallocated"),
    ("provisional", "Provisional grades"),
    ("overrides", "Overrides waiting for me"),
]


@login_required
def worklist(request):
    as_of = parse_as_of(request.GET.get("as_of"))
    tab = request.GET.get("tab", "mine")
    if tab not in dict(TABS):
        tab = "mine"
    context = {
        "tabs": TABS,
        "tab": tab,
        "as_of": as_of,
        "as_of_is_now": is_now(as_of),
        "can_see_breaches": has_permission(request.user, Action.BREACHES_VIEW),
    }
    if tab in {"mine", "team"}:
        context["worklist"] = services.worklist(request.user, as_of=as_of, scope=tab)
    elif tab == "unallocated":
        context["referrals"] = services.unallocated(request.user)
        context["can_allocate"] = has_permission(request.user, Action.REFERRAL_ALLOCATE)
        context["officers"] = User.objects.filter(
            force_id=request.user.force_id, is_active=True, role__in=["investigator", "supervisor"]
        ).order_by("username")
    elif tab == "provisional":
        context["referrals"] = services.provisional(request.user)
    else:
        context["overrides"] = services.overrides_waiting(request.user)
    return render(request, "clocks/worklist.html", context)


@login_required
def breaches(request):
    as_of = parse_as_of(request.GET.get("as_of"))
    report = services.breaches(request.user, as_of=as_of)
    return render(
        request,
        "clocks/breaches.html",
        {"report": report, "as_of": as_of, "as_of_is_now": is_now(as_of)},
    )


@login_required
def notifications(request):
    mine = Notification.objects.filter(recipient=request.user).select_related("clock__referral")
    if request.method == "POST":
        mine.filter(read_at__isnull=True).update(read_at=timezone.now())
    return render(request, "clocks/notifications.html", {"notifications": mine[:200]})
