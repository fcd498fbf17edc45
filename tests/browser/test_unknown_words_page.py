"""A word Vigil did not know, from the referral page that shows it to the administrator who maps
it, in the browser."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.browser.test_case_journey import PASSWORD
from tests.conftest import low_risk, store
from vigil.accounts.models import User
from vigil.referrals.models import Referral

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button:has-text('Sign in')")


def test_an_unknown_word_is_shown_on_the_referral_and_mapped_by_an_administrator(
    live_server, page, forces, screenshot
):
    for username, role in (("ivy", "investigator"), ("ada", "administrator")):
        user = User(username=username, role=role, force=forces["XF"])
        user.set_password(PASSWORD)
        user.save()
    received = timezone.now() - timedelta(days=1)
    data = low_risk(received)
    data["incident"]["type"] = "Livestreamed abuse"
    referral, _ = store(data, as_of=received)

    sign_in(page, live_server, "ivy")
    page.goto(f"{live_server.url}/referrals/{referral.pk}/")
    assert "Livestreamed abuse" in page.locator("[data-testid=intake-warnings-table]").inner_text()
    assert "Provisional" in page.locator("[data-testid=glance-grade]").inner_text()
    page.click("text=Sign out")

    sign_in(page, live_server, "ada")
    page.click("nav >> text=Unknown words")
    page.select_option("#mapped-to-1", "csam_possession")
    page.click("button:has-text('Map')")
    assert "is now read as" in page.content()
    screenshot("unknown-words-mapped")
    referral.refresh_from_db()
    assert referral.incident_type == "csam_possession"
    assert Referral.objects.get(pk=referral.pk).grade_provisional is False
