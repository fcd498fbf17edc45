"""A supervisor sees a breach that reached nobody at the top of the breaches page; an
administrator tries again an e-mail that could not be sent."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.conftest import SYSTEM, low_risk, store
from vigil.accounts.models import Force, User
from vigil.clocks import services as clocks
from vigil.clocks.models import Notification

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "correct horse battery staple"


@pytest.fixture
def world(transactional_db, settings):
    """A force with a supervisor (who has no e-mail address) and no unit head or force lead,
    and a referral left untouched for 50 days: level 2 reached nobody."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    force = Force.objects.create(code="XF", name="Exampleshire Police", region="North")
    people = {}
    for username, role in (("sam", "supervisor"), ("ada", "administrator")):
        user = User(username=username, role=role, force=force)
        user.set_password(PASSWORD)
        user.save()
        people[role] = user
    received = timezone.now() - timedelta(days=50)
    store(low_risk(received) | {"source_reference": "NCA-UNTOLD-1"}, as_of=received)
    clocks.sweep(actor=SYSTEM, as_of=timezone.now())
    return people


def sign_in(page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button:has-text('Sign in')")


def test_a_breach_that_reached_nobody_is_at_the_top(live_server, page, world, screenshot):
    sign_in(page, live_server, "sam")
    page.goto(f"{live_server.url}/worklist/breaches/")
    box = page.locator("[data-testid=reached-nobody]")
    assert "reached nobody at all" in box.inner_text()
    assert "NCA-UNTOLD-1" in box.inner_text()
    assert "Level 2 reached nobody at all" in page.inner_text("[data-testid=breaches]")
    screenshot("breaches-reached-nobody")
    assert page.csp_violations == []


def test_an_administrator_tries_an_email_again(live_server, page, world, screenshot):
    sign_in(page, live_server, "ada")
    page.goto(f"{live_server.url}/worklist/notifications/mail/")
    table = page.locator("[data-testid=mail-failures]")
    assert "the recipient has no e-mail address" in table.inner_text()
    screenshot("mail-failures")
    world["supervisor"].email = "sam@example.test"
    world["supervisor"].save()
    page.locator("[data-testid=mail-failures] button").first.click()
    assert "tried again: sent" in page.inner_text("main")
    assert Notification.objects.filter(email_state="sent").count() == 1
    assert page.csp_violations == []
