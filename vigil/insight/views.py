from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from vigil.core.asof import AsOfError, is_now, parse_as_of

from . import charts, exports, services, tasks


def _request_scope(request):
    """Scope, period and moment from the query (default: the last twelve whole months)."""
    today = timezone.localdate()
    try:
        end = date.fromisoformat(request.GET["to"]) if request.GET.get("to") else today
        start = (
            date.fromisoformat(request.GET["from"])
            if request.GET.get("from")
            else date(end.year - 1, end.month, 1)
        )
        as_of = parse_as_of(request.GET.get("as_of"))
    except (ValueError, AsOfError) as error:
        raise Http404(f"not a date: {error}") from None
    if start > end:
        start, end = end, start
    scope = services.scope_for(request.user, force_code=request.GET.get("force", ""))
    if not scope.forces:
        raise Http404("no forces in view")
    return scope, services.Period(start, end), as_of


@login_required
def dashboard(request):
    scope, period, as_of = _request_scope(request)
    tables = services.dashboard(request.user, scope, period, as_of=as_of)
    return render(
        request,
        "insight/dashboard.html",
        {
            "tables": tables,
            "scope": scope,
            "period": period,
            "as_of": as_of,
            "as_of_is_now": is_now(as_of),
            "query": request.GET.urlencode(),
            **_prepared(request.user),
        },
    )


@login_required
def prepared_reports(request):
    """The list of inspection packs asked for, which the dashboard asks for again every few
    seconds (htmx) while one is being prepared."""
    return render(request, "insight/_prepared.html", _prepared(request.user))


def _prepared(user) -> dict:
    prepared = services.reports_for(user)
    return {"prepared": prepared, "preparing": any(r.ready_at is None for r in prepared)}


def _find(tables, key):
    table = next((t for t in tables if t.key == key), None)
    if table is None:
        raise Http404("no such table")
    return table


@login_required
def chart(request, key: str):
    scope, period, as_of = _request_scope(request)
    image = charts.render(_find(services.dashboard(request.user, scope, period, as_of=as_of), key))
    if image is None:
        raise Http404("no chart")
    response = HttpResponse(image, content_type="image/png")
    response["Cache-Control"] = "no-store"
    return response


@login_required
def export(request, key: str, kind: str):
    scope, period, as_of = _request_scope(request)
    if key == "rows":
        tables = [services.pseudonymised_rows(request.user, scope, period)]
    else:
        tables = services.dashboard(request.user, scope, period, as_of=as_of)
    services.audit_export(request.user, f"{key}.{kind}", scope, period, as_of)
    name = f"vigil-{key}-{period.start}-{period.end}"
    if kind == "csv":
        body, media = exports.as_csv(_find(tables, key)), "text/csv"
    elif kind == "xlsx":
        chosen = tables if key == "all" else [_find(tables, key)]
        body = exports.as_xlsx(chosen)
        media = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    elif kind == "pdf" and key == "inspection":
        body, media = exports.inspection_pack(tables, scope, period, as_of), "application/pdf"
    else:
        raise Http404("no such export")
    response = HttpResponse(body, content_type=media)
    response["Content-Disposition"] = f'attachment; filename="{name}.{kind}"'
    return response


@login_required
@require_POST
def prepare_inspection_pack(request):
    """Ask for the inspection pack to be prepared in the background (a large pack takes a
    while); it is listed on the dashboard to download when ready."""
    scope, period, as_of = _request_scope(request)
    tasks.start_inspection_pack(
        request.user, scope, period, force_code=request.GET.get("force", ""), as_of=as_of
    )
    messages.info(
        request,
        _(
            "The inspection pack is being prepared; it will be listed below, ready to download, "
            "in a minute or so."
        ),
    )
    query = request.GET.urlencode()
    return redirect(f"{reverse('insight:dashboard')}?{query}" if query else "insight:dashboard")


@login_required
def prepared_report(request, report_id: int):
    report = services.report_for(request.user, report_id)
    if report is None:
        raise Http404("no such report ready")
    response = HttpResponse(bytes(report.content), content_type="application/pdf")
    name = f"vigil-inspection-{report.period_start}-{report.period_end}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
