from datetime import date

from django.core.exceptions import ValidationError
from django.utils import timezone
from ninja import Router, Schema

from vigil.core.asof import EARLIEST, LATEST, parse_as_of
from vigil.core.schemas import AsOf

from . import services

router = Router(tags=["insight"])

# Five years and a day: a dashboard over longer is a bulk export, which the exports serve.
MAX_PERIOD_DAYS = 5 * 366 + 1


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
    as_of: AsOf = "",
    force: str = "",
):
    end = period_to or timezone.localdate()
    start = period_from or date(end.year - 1, end.month, 1)
    for name, day in (("period_from", start), ("period_to", end)):
        if not EARLIEST.date() <= day <= LATEST.date():
            raise ValidationError(f"{name} {day.isoformat()} is outside the years 1970 to 2199")
    if abs((end - start).days) > MAX_PERIOD_DAYS:
        raise ValidationError("a period is at most five years: ask for several")
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
