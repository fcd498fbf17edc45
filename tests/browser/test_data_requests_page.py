"""The referral page's data requests: one added, sent and returned in the browser."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.browser.test_case_journey import PASSWORD, open_and_submit
from tests.conftest import referral_data, store
from vigil.accounts.models import User

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_request_is_added_and_returned_from_the_referral_page(
    live_server, page, forces, screenshot
):
    investigator = User(username="ivy", role="investigator", force=forces["XF"])
    investigator.set_password(PASSWORD)
    investigator.save()
    received = timezone.now() - timedelta(days=2)
    referral, _ = store(referral_data(received_at=received.isoformat()), as_of=received)
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "ivy")
    page.fill("#id_password", PASSWORD)
    page.click("button:has-text('Sign in')")
    page.goto(f"{live_server.url}/referrals/{referral.pk}/")
    open_and_submit(
        page,
        "/data-requests/",
        {
            "provider": "ExampleSocial",
            "route": "internet_company_direct",
            "basis": "production_order",
            "asked": "Subscriber details for @AlexEx",
        },
        "A new data request",
    )
    section = page.locator("#data-requests")
    assert "Data request recorded." in page.content()
    assert "Not yet sent" in section.inner_text()
    open_and_submit(page, "/data-request-sent/", {}, "The request to ExampleSocial")
    open_and_submit(
        page,
        "/data-request-returned/",
        {"result": "An email address and two IP logins"},
        "The request to ExampleSocial",
    )
    text = section.inner_text()
    assert "Returned" in text and "An email address and two IP logins" in text
    assert "Met" in text
    screenshot("data-requests")
    assert not page.csp_violations
