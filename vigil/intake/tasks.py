"""Intake's background work: importing a batch of uploaded files."""

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from vigil.accounts.actors import Actor
from vigil.core.background import background

from . import services
from .models import ImportBatch


def start_import(
    files: Iterable[tuple[str, bytes]],
    *,
    actor: Actor,
    as_of: datetime,
    source_reference: str = "",
) -> ImportBatch:
    """Keep uploaded files and queue their import: both, or neither."""
    with transaction.atomic():
        batch = services.queue_uploads(
            files,
            actor=actor,
            as_of=as_of,
            requested_at=timezone.now(),
            source_reference=source_reference,
        )
        import_batch.enqueue(batch.pk)
    return batch


@background(attempts=3, first_wait=timedelta(seconds=30))
def import_batch(batch_id: int) -> dict:
    """Import a batch of uploaded files as their uploader, keeping the report for them."""
    # Started and finished are two moments: the clock is read at each.
    report = services.import_batch(batch_id, now=timezone.now)
    if report is None:
        return {"imported": 0}
    return {
        "new": report.created,
        "supplementary": report.supplemented,
        "already held": report.duplicates,
        "rejected": len(report.rejected),
    }
