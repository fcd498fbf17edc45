"""Progress of an import started from a page (issue 16, point 6): the batch page says whether
it waits for a worker, how many referrals are stored so far, or what became of each file; it
asks again by itself (htmx) until done, and a reload shows the same, read from the batch."""

import json
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.conftest import referral_data
from vigil.core.background import run_ready_tasks
from vigil.intake import services
from vigil.intake.models import ImportBatch
from vigil.intake.tasks import start_import

pytestmark = pytest.mark.django_db


def many(count: int) -> bytes:
    """``count`` referrals as JSON Lines, each its own reference."""
    return "\n".join(
        json.dumps(referral_data(source_reference=f"NCA-PROGRESS-{n:03}")) for n in range(count)
    ).encode()


def batch_page(client, batch, *, polled: bool = False) -> str:
    headers = {"HX-Request": "true"} if polled else {}
    response = client.get(reverse("intake:import-batch", args=[batch.pk]), headers=headers)
    assert response.status_code == 200
    return response.content.decode()


def test_the_batch_page_follows_an_import_from_waiting_to_done(signed_in, officer):
    batch = start_import([("many.jsonl", many(45))], actor=officer, as_of=timezone.now())
    waiting = batch_page(signed_in, batch)
    assert 'data-state="waiting"' in waiting and 'hx-trigger="every 2s"' in waiting
    # Asked again by the page: only the part that changes, still asking.
    polled = batch_page(signed_in, batch, polled=True)
    assert "<html" not in polled and 'data-state="waiting"' in polled

    ImportBatch.objects.filter(pk=batch.pk).update(
        started_at=timezone.now() - timedelta(seconds=30), referrals_read=20
    )
    importing = batch_page(signed_in, batch, polled=True)
    assert 'data-state="importing"' in importing
    assert 'data-testid="referrals-read">20<' in importing and 'hx-trigger="every 2s"' in importing

    assert run_ready_tasks() == 1
    done = batch_page(signed_in, batch, polled=True)
    assert 'data-state="finished"' in done and "45 new" in done
    # Done: the page stops asking; a reload shows the same.
    assert "hx-trigger" not in done
    assert "45 new" in batch_page(signed_in, batch)


def test_the_worker_counts_referrals_as_it_stores_them(officer, monkeypatch):
    batch = start_import([("many.jsonl", many(45))], actor=officer, as_of=timezone.now())
    seen = []
    counting = services._BatchProgress.__call__

    def watched(self, count):
        counting(self, count)
        seen.append(ImportBatch.objects.get(pk=batch.pk).referrals_read)

    monkeypatch.setattr(services._BatchProgress, "__call__", watched)
    started = timezone.now()
    moments = iter([started, started + timedelta(minutes=1)])
    services.import_batch(batch.pk, now=lambda: next(moments))
    # Written as the import goes, never backwards, and whole at the end.
    assert 20 in seen and 40 in seen and seen == sorted(seen)
    batch.refresh_from_db()
    assert batch.referrals_read == 45
    assert batch.finished_at - batch.started_at == timedelta(minutes=1)


def test_the_api_says_the_state_and_the_count(signed_in, officer):
    batch = start_import([("many.jsonl", many(3))], actor=officer, as_of=timezone.now())
    answer = signed_in.get(f"/api/v1/imports/{batch.pk}").json()
    assert (answer["state"], answer["referrals_read"], answer["report"]) == ("waiting", 0, None)
    run_ready_tasks()
    answer = signed_in.get(f"/api/v1/imports/{batch.pk}").json()
    assert (answer["state"], answer["referrals_read"]) == ("finished", 3)
    assert answer["started_at"] is not None
