"""A supervisor records a strategy discussion that decided on a conference, an action agreed at
it and done, and a release under investigation with its review, and sees each duty's clock."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.conftest import low_risk, store
from vigil.accounts.models import Force, User

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "correct horse battery staple"


@pytest.fixture
def referral(transactional_db):
    force = Force.objects.create(code="XF", name="Exampleshire Police", region="North")
    user = User(username="sam", role="supervisor", force=force, first_name="Sam")
    user.set_password(PASSWORD)
    user.save()
    received = timezone.now() - timedelta(days=2)
    return store(low_risk(received) | {"source_reference": "NCA-DUTIES-1"}, as_of=received)[0]


def test_the_duties_after_a_strategy_discussion_and_a_release_on_the_referral_page(
    live_server, page, referral, screenshot
):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "sam")
    page.fill("#id_password", PASSWORD)
    page.click("button:has-text('Sign in')")
    page.goto(f"{live_server.url}/referrals/{referral.pk}/")

    page.locator("summary", has_text="Strategy discussion requested").first.click()
    requesting = page.locator("form[action$='/strategy-discussions/']")
    two_hours_ago = timezone.localtime(timezone.now() - timedelta(hours=2))
    requesting.locator("[name=requested_at]").fill(f"{two_hours_ago:%Y-%m-%d %H:%M}")
    requesting.locator("button").click()
    assert "Strategy discussion request recorded." in page.inner_text("main")

    held = page.locator("form[action$='/strategy-held/']")
    an_hour_ago = timezone.localtime(timezone.now() - timedelta(hours=1))
    held.locator("[name=held_at]").fill(f"{an_hour_ago:%Y-%m-%d %H:%M}")
    held.locator("[name=police]").fill("DS Example")
    held.locator("[name=social_care]").fill("SW Example")
    held.locator("[name=decisions]").fill("Section 47 enquiries; an ICPC.")
    held.get_by_label("It decided on an initial child protection conference").check()
    held.locator("button").click()
    assert "Strategy discussion recorded as held." in page.inner_text("main")
    assert "Not yet held" in page.inner_text("[data-testid=strategy-discussion]")
    assert "Initial child protection conference" in page.inner_text("[data-testid=clock-timeline]")

    page.locator("summary", has_text="An action agreed at this discussion").click()
    agreed = page.locator("form[action$='/strategy-actions/']")
    agreed.locator("[name=action]").fill("Speak to the school")
    agreed.locator("[name=owner]").fill("DC Example, police")
    due_on = timezone.localdate() + timedelta(days=5)
    agreed.locator("[name=due_on]").fill(str(due_on))
    agreed.locator("button").click()
    assert "Agreed action recorded." in page.inner_text("main")
    assert "DC Example, police" in page.inner_text("[data-testid=strategy-actions]")
    clocks = page.inner_text("[data-testid=clock-timeline]")
    assert "Strategy discussion action by DC Example, police: Speak to the school" in clocks

    page.locator("form[action$='/strategy-action-done/'] button").click()
    assert "Action recorded as done." in page.inner_text("main")

    page.locator("summary", has_text="Release of the suspect").click()
    release = page.locator("form[action$='/releases/']")
    release.locator("[name=kind]").select_option("released_under_investigation")
    release.locator("[name=address]").fill("A hostel")
    release.locator("[name=postcode]").fill("ZZ9 9ZZ")
    # Nobody is known at the hostel: the supervisor accepts the risk in writing.
    release.locator("[name=accepted_risk]").fill("No household known; staff confirm no children.")
    release.locator("button").click()
    assert "Release recorded." in page.inner_text("main")
    assert "Release under investigation review" in page.inner_text("[data-testid=clock-timeline]")

    page.locator("summary", has_text="Review the release under investigation").click()
    review = page.locator("[data-testid=rui-review-form]")
    review.locator("[name=notes]").fill("Devices at the lab.")
    review.locator("button").click()
    assert "Review of the release under investigation recorded." in page.inner_text("main")
    assert "Release under investigation reviewed" in page.inner_text("[data-testid=timeline]")
    screenshot("strategy-duties")
    assert page.csp_violations == []
