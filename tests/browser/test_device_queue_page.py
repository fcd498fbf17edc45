"""The device queue in the browser: an exhibit recorded on the referral page joins the queue,
reached from the navigation; moved into triage, it leaves it."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.browser.test_case_journey import PASSWORD, open_and_submit
from tests.conftest import referral_data, store
from vigil.accounts.models import User

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_exhibit_joins_the_device_queue_and_leaves_it_when_triaged(
    live_server, page, forces, screenshot
):
    investigator = User(username="ivy", role="investigator", force=forces["XF"])
    investigator.set_password(PASSWORD)
    investigator.save()
    received = timezone.now() - timedelta(days=3)
    referral, _ = store(referral_data(received_at=received.isoformat()), as_of=received)
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "ivy")
    page.fill("#id_password", PASSWORD)
    page.click("button:has-text('Sign in')")
    page.goto(f"{live_server.url}/referrals/{referral.pk}/")
    seized = (timezone.localtime() - timedelta(days=3)).strftime("%Y-%m-%d %H:%M")
    open_and_submit(
        page,
        "/exhibits/",
        {"reference": "PH/1", "kind": "phone", "seized_at": seized, "held_by": "DC Example"},
        "A device seized or produced",
    )
    assert "Exhibit recorded." in page.content()
    assert "PH/1" in page.locator("#exhibits").inner_text()

    page.click("nav >> text=Devices")
    assert "Devices waiting for examination" in page.inner_text("h1")
    queue = page.locator("[data-testid=device-queue]")
    row = queue.locator("tbody tr").first
    text = row.inner_text()
    assert "PH/1" in text and referral.source_reference in text and "Very high" in text
    # Very high: due 2 days after seizure, so a day overdue already.
    assert "Overdue" in text or "overdue" in text
    # A table with its caption and column headers, the current place marked in the navigation.
    assert queue.locator("caption").inner_text() == "The device queue"
    assert queue.locator("th[scope=col]").count() == 6
    assert page.locator("nav [aria-current=true]").inner_text() == "Devices"
    screenshot("device-queue")

    row.locator("a", has_text=referral.source_reference).click()
    open_and_submit(
        page, "/exhibit-moves/", {"to": "triage"}, "Move exhibit PH/1 along its examination path"
    )
    assert "Exhibit moved." in page.content()
    assert "Triage" in page.locator("#exhibits").inner_text()
    page.goto(f"{live_server.url}/referrals/devices/")
    assert "No device is waiting." in page.content()
    assert page.csp_violations == []
