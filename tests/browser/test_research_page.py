"""The referral page's research: an identifier, an address, a relative and a check recorded in
the browser, each shown where an investigator looks for it."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.browser.test_case_journey import PASSWORD, open_and_submit
from tests.conftest import referral_data, store
from vigil.accounts.models import User

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_research_is_recorded_from_the_referral_page(live_server, page, forces, screenshot):
    investigator = User(username="ria", role="investigator", force=forces["XF"])
    investigator.set_password(PASSWORD)
    investigator.save()
    received = timezone.now() - timedelta(days=2)
    referral, _ = store(referral_data(received_at=received.isoformat()), as_of=received)
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "ria")
    page.fill("#id_password", PASSWORD)
    page.click("button:has-text('Sign in')")
    page.goto(f"{live_server.url}/referrals/{referral.pk}/")

    open_and_submit(
        page,
        "/identifiers/",
        {
            "type": "ip",
            "value": "198.51.100.20",
            "port": "40123",
            "event": "upload",
            "source": "Return from ExampleSocial",
        },
        "An identifier found",
    )
    assert "Identifier recorded" in page.content()
    open_and_submit(
        page,
        "/addresses/",
        {
            "line1": "7 Elm Close",
            "postcode": "XX4 4XX",
            "lived_from": "2019-05-01",
            "source": "Electoral roll",
        },
        "An address, with when they lived there",
    )
    open_and_submit(
        page,
        "/people-found/",
        {
            "role": "relative",
            "relation": "nephew",
            "first_name": "Rory",
            "age": "8",
            "source": "Family tree",
        },
        "A person found",
    )
    open_and_submit(
        page,
        "/checks/",
        {"system": "pnd", "result": "Intelligence from 2019, no conviction"},
        "A check on a police or partner system",
    )
    research = page.locator("#research").inner_text()
    for said in (
        "Return from ExampleSocial",
        "Electoral roll",
        "Family tree",
        "Intelligence from 2019, no conviction",
    ):
        assert said in research
    people = page.content()
    assert "port 40123, upload" in people
    assert "Lived there from 2019-05-01 and still does" in people
    assert "Relative (nephew)" in people
    screenshot("research")
    assert not page.csp_violations
