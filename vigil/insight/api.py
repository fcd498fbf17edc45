from datetime import date

from django.utils import timezone
from ninja import Router, Schema

from vigil.core.asof import parse_as_of

from . import services

router = Router(tags=["insight"])


class TableOut(Schema):
    key: str
    title: str
    columns: list[str]
    rows: list[list]
    note: str


class Dashboard(Schema):
    scope: str
    period_from: date
    period_to: date
    as_of: str
    tables: list[TableOut]


@router.get(
    "/insight",
    response=Dashboard,
    summary="Every dashboard figure for your force (or region) and a period",
)
def dashboard(
    request,
    period_from: date | None = None,
    period_to: date | None = None,
    as_of: str | None = None,
    force: str = "",
):
    end = period_to or timezone.localdate()
    start = period_from or date(end.year - 1, end.month, 1)
    moment = parse_as_of(as_of)
    scope = services.scope_for(request.user, force_code=force)
    period = services.Period(min(start, end), max(start, end))
    tables = services.dashboard(request.user, scope, period, as_of=moment)
    return {
        "scope": scope.label,
        "period_from": period.start,
        "period_to": period.end,
        "as_of": moment.isoformat(),
        "tables": [
            {"key": t.key, "title": t.title, "columns": t.columns, "rows": t.rows, "note": t.note}
            for t in tables
        ],
    }
