"""The inspection pack prepared in the background: asked for on the dashboard, prepared by a
worker, downloaded by the person who asked and nobody else."""

from datetime import timedelta

import pypdfium2
import pytest
from django.urls import reverse
from django.utils import timezone

from tests.conftest import low_risk, store
from vigil.audit.models import AuditEvent
from vigil.core.background import run_ready_tasks

pytestmark = pytest.mark.django_db
QUERY = {"from": "2025-01-01", "to": timezone.localdate().isoformat()}


def test_a_pack_asked_for_is_prepared_by_a_worker_for_its_requester_alone(client, make_user):
    received = timezone.now() - timedelta(days=20)
    store(low_risk(received), as_of=received)
    head = make_user("unit_head", "XF")
    client.force_login(head)
    asked = client.post(f"{reverse('insight:prepare-inspection')}?from={QUERY['from']}")
    assert asked.status_code == 302 and asked["Location"].startswith("/insight/?from=2025-01-01")
    assert AuditEvent.objects.filter(action="export", object_id="inspection.pdf").exists()
    page = client.get("/insight/", QUERY).content.decode()
    assert "being prepared" in page and "download the PDF" not in page

    assert run_ready_tasks() == 1

    page = client.get("/insight/", QUERY).content.decode()
    assert "download the PDF" in page
    link = page.split('href="/insight/reports/')[1].split('"')[0]
    pdf = client.get(f"/insight/reports/{link}")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")

    # Another head of unit, even of the same force, neither sees it listed nor downloads it.
    client.force_login(make_user("unit_head", "XF", username="another-head"))
    assert "Inspection packs you asked for" not in client.get("/insight/", QUERY).content.decode()
    assert client.get(f"/insight/reports/{link}").status_code == 404


def test_asking_for_a_pack_is_refused_to_those_without_the_dashboard(client, make_user):
    client.force_login(make_user("investigator", "XF"))
    assert client.post(reverse("insight:prepare-inspection")).status_code == 403
    assert run_ready_tasks() == 0


def _pack_text(client) -> str:
    page = client.get("/insight/", QUERY).content.decode()
    link = page.split('href="/insight/reports/')[1].split('"')[0]
    pdf = pypdfium2.PdfDocument(client.get(f"/insight/reports/{link}").content)
    return pdf[0].get_textpage().get_text_range()


def test_a_pack_prepared_in_the_background_is_in_the_language_it_was_asked_in(client, make_user):
    received = timezone.now() - timedelta(days=20)
    store(low_risk(received), as_of=received)
    welsh = make_user("unit_head", "XF", username="pennaeth")
    welsh.language = "cy"
    welsh.save()
    english = make_user("unit_head", "XF", username="head")
    for person in (welsh, english):
        client.force_login(person)
        client.post(f"{reverse('insight:prepare-inspection')}?from={QUERY['from']}")
    # The worker runs in no one's language: each pack keeps its requester's.
    assert run_ready_tasks() == 2

    client.force_login(welsh)
    text = _pack_text(client)
    assert "Pecyn arolygu: Exampleshire Police (XF)" in text
    assert "ffigurau fel yr oeddent ar" in text and "Inspection pack" not in text
    client.force_login(english)
    text = _pack_text(client)
    assert "Inspection pack: Exampleshire Police (XF)" in text and "Pecyn arolygu" not in text
