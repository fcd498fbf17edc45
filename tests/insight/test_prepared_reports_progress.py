"""The inspection pack asked for from the dashboard: waiting, being prepared (since when),
ready; the list asks again by itself while one is not ready (issue 16, point 6)."""

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from vigil.insight.models import PreparedReport

pytestmark = pytest.mark.django_db


def test_the_prepared_list_says_waiting_preparing_and_ready_and_polls_until_ready(
    client, make_user
):
    head = make_user("unit_head", "XF")
    client.force_login(head)
    now = timezone.now()
    report = PreparedReport.objects.create(
        requested_by=head,
        kind="inspection.pdf",
        period_start=date(2026, 1, 1),
        period_end=date(2026, 6, 30),
        as_of=now,
        requested_at=now,
    )
    listed = client.get(reverse("insight:prepared-reports")).content.decode()
    assert 'data-state="waiting"' in listed and 'hx-trigger="every 3s"' in listed
    PreparedReport.objects.filter(pk=report.pk).update(started_at=now + timedelta(seconds=5))
    listed = client.get(reverse("insight:prepared-reports")).content.decode()
    assert 'data-state="preparing"' in listed and "Being prepared" in listed
    PreparedReport.objects.filter(pk=report.pk).update(
        content=b"%PDF-1.4", ready_at=now + timedelta(seconds=40)
    )
    listed = client.get(reverse("insight:prepared-reports")).content.decode()
    assert 'data-state="ready"' in listed and "download the PDF" in listed
    assert "hx-trigger" not in listed
    # The dashboard shows the same list when reloaded.
    assert 'data-state="ready"' in client.get(reverse("insight:dashboard")).content.decode()


def test_the_list_shows_only_ones_own_packs(client, make_user):
    head = make_user("unit_head", "XF")
    now = timezone.now()
    PreparedReport.objects.create(
        requested_by=head,
        kind="inspection.pdf",
        period_start=date(2026, 1, 1),
        period_end=date(2026, 6, 30),
        as_of=now,
        requested_at=now,
    )
    client.force_login(make_user("analyst", "XF"))
    assert (
        'data-testid="prepared-report"'
        not in client.get(reverse("insight:prepared-reports")).content.decode()
    )
