"""The header's search box: a misspelt, transposed name typed on any page reaches the
referral."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.browser.test_case_journey import PASSWORD
from tests.conftest import referral_data, store
from vigil.accounts.models import User

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_name_typed_in_the_header_reaches_the_referral(live_server, page, forces, screenshot):
    investigator = User(username="sam", role="investigator", force=forces["XF"])
    investigator.set_password(PASSWORD)
    investigator.save()
    received = timezone.now() - timedelta(days=2)
    referral, _ = store(referral_data(received_at=received.isoformat()), as_of=received)
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "sam")
    page.fill("#id_password", PASSWORD)
    page.click("button:has-text('Sign in')")
    page.goto(f"{live_server.url}/referrals/")

    page.fill("[data-testid=header-search]", "Exmaple Alex")
    page.press("[data-testid=header-search]", "Enter")
    page.wait_for_selector("[data-testid=search-results]")
    screenshot("search-results")
    page.click("[data-testid=search-results] a:has-text('NCA-2020-0001')")
    page.wait_for_url(f"**/referrals/{referral.pk}/")
    assert "NCA-2020-0001" in page.content()
    assert page.csp_violations == []
