"""The batch page's progress in Welsh (issue 16, point 2): its counts take the Welsh plural
forms, and the report at the end is in Welsh too, each time the page asks again (htmx)."""

import html
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.intake.test_import_progress import many
from vigil.core.background import run_ready_tasks
from vigil.intake.models import ImportBatch
from vigil.intake.tasks import start_import

pytestmark = pytest.mark.django_db


def progress_in_welsh(client, batch) -> str:
    response = client.get(
        reverse("intake:import-batch", args=[batch.pk]),
        headers={"HX-Request": "true", "Accept-Language": "cy"},
    )
    assert response.status_code == 200
    return " ".join(html.unescape(response.content.decode()).split())


@pytest.mark.parametrize(
    ("stored", "words"),
    [
        (1, "atgyfeiriad wedi'i storio hyd yma"),
        (2, "atgyfeiriad wedi'u storio hyd yma"),
        (20, "atgyfeiriad wedi'u storio hyd yma"),
    ],
)
def test_the_count_of_referrals_stored_so_far_reads_in_welsh(signed_in, officer, stored, words):
    batch = start_import([("many.jsonl", many(3))], actor=officer, as_of=timezone.now())
    assert "Yn aros" in progress_in_welsh(signed_in, batch)
    ImportBatch.objects.filter(pk=batch.pk).update(
        started_at=timezone.now() - timedelta(seconds=30), referrals_read=stored
    )
    text = progress_in_welsh(signed_in, batch)
    assert "Wrthi'n mewnforio" in text
    assert f'data-testid="referrals-read">{stored}</strong> {words} o 1 ffeil.' in text
    assert "stored so far" not in text


def test_the_report_at_the_end_reads_in_welsh(signed_in, officer):
    batch = start_import([("many.jsonl", many(3))], actor=officer, as_of=timezone.now())
    assert run_ready_tasks() == 1
    text = progress_in_welsh(signed_in, batch)
    assert "3 newydd, 0 eisoes gennym, 0 wedi'u gwrthod" in text
    assert "Atgyfeiriad newydd" in text and "New referral" not in text
