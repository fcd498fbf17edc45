"""Insight's background work: preparing a report someone asked for on the dashboard."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation

from vigil.accounts.actors import Actor
from vigil.core.background import background

from . import exports, services
from .models import PreparedReport

# How long a prepared report is kept for its requester to download.
KEEP_REPORTS = timedelta(days=7)


def start_inspection_pack(
    actor: Actor,
    scope: services.Scope,
    period: services.Period,
    *,
    force_code: str,
    as_of: datetime,
) -> PreparedReport:
    """Ask for the inspection pack (PDF) to be prepared in the background: recorded, audited
    and queued together, or not at all."""
    with transaction.atomic():
        report = services.request_report(
            actor,
            "inspection.pdf",
            scope,
            period,
            force_code=force_code,
            as_of=as_of,
            requested_at=timezone.now(),
        )
        prepare_report.enqueue(report.pk)
    return report


@background(attempts=3)
def prepare_report(report_id: int) -> dict:
    """Prepare a requested inspection pack as its requester would see it, in the language they
    asked in, and keep it for them (and forget the reports older than ``KEEP_REPORTS``)."""
    report = services.report_to_prepare(report_id)
    if report is None:
        return {"prepared": 0}
    services.start_report(report, started_at=timezone.now())
    actor = report.requested_by
    with translation.override(report.language or settings.LANGUAGE_CODE):
        scope = services.scope_for(actor, force_code=report.force_code)
        period = services.Period(report.period_start, report.period_end)
        tables = services.dashboard(actor, scope, period, as_of=report.as_of)
        content = exports.inspection_pack(tables, scope, period, report.as_of)
    now = timezone.now()
    services.store_report(report, content, ready_at=now)
    return {"prepared": 1, "forgotten": services.forget_reports_before(now - KEEP_REPORTS)}
