"""The release form on the referral page: a child another force holds at the address is named
only by that force and whom to contact, and a supervisor accepts the risk of an unestablished
household in writing; the referral page then shows what the check found."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.browser.test_case_journey import PASSWORD, open_and_submit
from tests.conftest import low_risk, store
from vigil.accounts.models import Force, User

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def referral(transactional_db):
    xf = Force.objects.create(code="XF", name="Exampleshire Police")
    Force.objects.create(code="YF", name="Sampleton Constabulary", contact="Sampleton POLIT SPOC")
    user = User(username="sam", role="supervisor", force=xf)
    user.set_password(PASSWORD)
    user.save()
    received = timezone.now() - timedelta(hours=3)
    mine = low_risk(received, household_established=True)
    mine["subjects"][0]["address"] = {"line1": "1 High Street", "postcode": "XX1 1XX"}
    theirs = low_risk(received)
    theirs.update(source_reference="YF-SECRET-9", force="YF")
    theirs["subjects"][0]["address"] = {"line1": "3 High Street", "postcode": "XX1 1XX"}
    theirs["subjects"].append(
        {
            "ref": "c1",
            "role": "household_member",
            "first_name": "Robin",
            "age": 4,
            "lives_with": ["s1"],
        }
    )
    store(theirs, as_of=received)
    return store(mine, as_of=received)[0]


def test_a_release_to_another_forces_child_says_whom_to_contact_and_keeps_the_accepted_risk(
    live_server, page, referral, screenshot
):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "sam")
    page.fill("#id_password", PASSWORD)
    page.click("button:has-text('Sign in')")
    page.goto(live_server.url + reverse("site:referral-detail", args=[referral.pk]))
    release = {
        "kind": "released_under_investigation",
        "address": "3, High St., Exampleton",
        "postcode": "xx1 1xx",
    }
    open_and_submit(page, "/releases/", release, "Release of the suspect")
    message = page.inner_text("main")
    assert "a child lives at or visits this address (a child known to YF)" in message
    assert "the household at this address is not established" in message
    assert "Sampleton Constabulary (YF) holds information about a child at this address" in message
    assert "contact Sampleton POLIT SPOC" in message

    open_and_submit(
        page,
        "/releases/",
        {
            **release,
            "supervisor_decision": "Not to live there until YF is consulted.",
            "safeguarding_plan": "YF's POLIT called.",
            "accepted_risk": "Household unknown to us; YF to confirm.",
        },
        "Release of the suspect",
    )
    assert "Release recorded." in page.inner_text("main")
    shown = page.inner_text("[data-testid=releases]")
    assert "YF holds information about a child at this address: contact Sampleton POLIT SPOC" in (
        shown
    )
    assert "Risk accepted by a supervisor: “Household unknown to us; YF to confirm.”" in shown
    screenshot("release-checked")
    whole = page.content()
    assert "YF-SECRET-9" not in whole and "Robin" not in whole
    assert page.csp_violations == []
