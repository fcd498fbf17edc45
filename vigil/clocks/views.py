from functools import cache

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from vigil.accounts.selectors import colleagues, teams
from vigil.core.asof import is_now, parse_as_of
from vigil.core.background import failed_tasks
from vigil.core.permissions import has_permission
from vigil.core.roles import Action, Role
from vigil.risk import services as risk_services

from . import services
from .forms import WorklistFilterForm

TABS = [
    ("mine", gettext_lazy("My clocks")),
    ("team", gettext_lazy("My team's clocks")),
    ("force", gettext_lazy("Every clock in the force")),
    ("unallocated", gettext_lazy("Unallocated")),
    ("provisional", gettext_lazy("Provisional grades")),
    ("overrides", gettext_lazy("Overrides waiting for me")),
]
CLOCK_TABS = {"mine", "team", "force"}


def _tabs(user):
    can_see_force = has_permission(user, Action.BREACHES_VIEW)
    return [(key, label) for key, label in TABS if key != "force" or can_see_force]


def _filter_form(request):
    form = WorklistFilterForm(request.GET or None)
    force_id = request.user.force_id
    owners, any_team = form.fields["owner"].choices, form.fields["team"].choices

    # Read when a list is shown or a choice checked, and then once; not before: the worklist
    # as first opened (mine, nothing chosen) shows neither list.
    @cache
    def owner_choices():
        return owners + [
            (officer.username, officer.get_full_name() or officer.username)
            for officer in colleagues(force_id)
        ]

    @cache
    def team_choices():
        return any_team + [(team, team) for team in teams(force_id)]

    form.fields["owner"].choices = owner_choices
    form.fields["team"].choices = team_choices
    return form


@login_required
def worklist(request):
    as_of = parse_as_of(request.GET.get("as_of"))
    tabs = _tabs(request.user)
    tab = request.GET.get("tab", "mine")
    if tab not in dict(tabs):
        tab = "mine"
    context = {
        "tabs": tabs,
        "tab": tab,
        "as_of": as_of,
        "as_of_is_now": is_now(as_of),
        "can_see_breaches": has_permission(request.user, Action.BREACHES_VIEW),
    }
    if tab in CLOCK_TABS:
        form = _filter_form(request)
        narrow, sort = form.chosen()
        query = request.GET.copy()
        query.pop("page", None)
        context |= {
            "form": form,
            "query": query.urlencode(),
            "worklist": services.worklist(
                request.user, as_of=as_of, scope=tab, narrow=narrow, sort=sort
            ),
        }
    elif tab == "unallocated":
        context["referrals"] = services.unallocated(request.user)
        context["can_allocate"] = has_permission(request.user, Action.REFERRAL_ALLOCATE)
        context["officers"] = colleagues(
            request.user.force_id, roles=[Role.INVESTIGATOR, Role.SUPERVISOR]
        )
    elif tab == "provisional":
        context["referrals"] = services.provisional(request.user)
    else:
        context["overrides"] = risk_services.overrides_waiting(request.user)
    return render(request, "clocks/worklist.html", context)


@login_required
def worklist_csv(request):
    """What the worklist shows, with the same tab, filters and order, as a spreadsheet."""
    as_of = parse_as_of(request.GET.get("as_of"))
    tab = request.GET.get("tab", "mine")
    if tab not in CLOCK_TABS or tab not in dict(_tabs(request.user)):
        tab = "mine"
    narrow, sort = _filter_form(request).chosen()
    body = services.worklist_csv(request.user, as_of=as_of, scope=tab, narrow=narrow, sort=sort)
    response = HttpResponse(body, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="worklist-{tab}-{as_of:%Y%m%d-%H%M}.csv"'
    )
    return response


@login_required
def breaches(request):
    as_of = parse_as_of(request.GET.get("as_of"))
    report = services.breach_report(request.user, as_of=as_of)
    return render(
        request,
        "clocks/breaches.html",
        {"report": report, "as_of": as_of, "as_of_is_now": is_now(as_of)},
    )


@login_required
def notifications(request):
    mine = services.notifications_for(request.user)
    if request.method == "POST":
        mine.filter(read_at__isnull=True).update(read_at=timezone.now())
    return render(request, "clocks/notifications.html", {"notifications": mine[:200]})


@login_required
def mail_failures(request):
    return render(
        request,
        "clocks/mail_failures.html",
        {
            "failures": services.mail_failures(request.user),
            "failed_tasks": failed_tasks(request.user),
        },
    )


@login_required
@require_POST
def retry_email(request, notification_id: int):
    try:
        tried = services.retry_email(request.user, notification_id, as_of=timezone.now())
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        last = {"error": tried["last_error"]}
        outcome = {
            "sent": _("sent"),
            "retrying": _("failed again (%(error)s); it will be tried again later") % last,
            "failed": _("failed again (%(error)s); given up") % last,
            "no_address": _("they still have no e-mail address"),
        }[tried["state"]]
        messages.info(
            request,
            _("E-mail to %(recipient)s tried again: %(outcome)s.")
            % {"recipient": tried["recipient"], "outcome": outcome},
        )
    return redirect("clocks:mail-failures")
