"""The person page: from a referral, a suspect's name leads to every referral about them the
user may see, and to the child in their home."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.browser.test_case_journey import PASSWORD
from tests.conftest import EXAMPLE_REFERRAL, referral_data, store
from vigil.accounts.models import User

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_suspects_name_leads_to_their_linked_referral_and_the_child_in_view(
    live_server, page, forces, screenshot
):
    investigator = User(username="sam", role="investigator", force=forces["XF"])
    investigator.set_password(PASSWORD)
    investigator.save()
    received = timezone.now() - timedelta(days=2)
    first, _ = store(referral_data(received_at=received.isoformat()), as_of=received)
    # The same suspect (by e-mail) in a later referral of this force, and in one of another.
    later = referral_data(
        source_reference="NCA-2020-0002",
        received_at=(received + timedelta(days=1)).isoformat(),
        subjects=[EXAMPLE_REFERRAL["subjects"][0]],
        access=[],
    )
    store(later, as_of=received + timedelta(days=1))
    store(
        {**later, "source_reference": "NCA-2020-0003", "force": "YF"},
        as_of=received + timedelta(days=1),
    )
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "sam")
    page.fill("#id_password", PASSWORD)
    page.click("button:has-text('Sign in')")
    page.goto(f"{live_server.url}/referrals/{first.pk}/")

    page.click("[data-testid=person-link-s1]")
    page.wait_for_selector("[data-testid=person-name]")
    screenshot("person-page")
    assert page.inner_text("[data-testid=person-name]") == "Alex Example"
    referrals = page.inner_text("[data-testid=person-referrals]")
    assert "NCA-2020-0001" in referrals and "NCA-2020-0002" in referrals
    assert "NCA-2020-0003" not in page.content()
    children = page.inner_text("[data-testid=person-children]")
    assert "Casey" in children and "Lives with the suspect" in children

    page.click("[data-testid=person-children] a:has-text('Casey')")
    page.wait_for_selector("[data-testid=person-reached-by]")
    assert page.inner_text("[data-testid=person-name]") == "Casey"
    assert "Alex Example" in page.inner_text("[data-testid=person-reached-by]")
    assert page.csp_violations == []
