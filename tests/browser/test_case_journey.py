"""One referral from upload to closure: grading, social care, strategy discussion, LADO, arrest,
a bail refused to a home with a child, and closure with an outcome."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from tests.conftest import referral_data
from vigil.accounts.models import Force, User

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "correct horse battery staple"


@pytest.fixture
def supervisor(transactional_db):
    force = Force.objects.create(code="XF", name="Exampleshire Police", region="North")
    user = User(
        username="sam", role="supervisor", force=force, first_name="Sam", last_name="Sergeant"
    )
    user.set_password(PASSWORD)
    user.save()
    return user


@pytest.fixture
def referral_file(tmp_path):
    data = referral_data(
        source_reference="NCA-JOURNEY-1",
        received_at=(timezone.now() - timedelta(hours=3)).isoformat(),
        subjects=[
            {
                "ref": "s1",
                "role": "suspect",
                "first_name": "Pat",
                "last_name": "Teacher",
                "date_of_birth": "1985-03-03",
                "occupation": "Teacher",
                "works_with_children": True,
                "household_established": True,
                "history_established": True,
                "address": {"line1": "1 High Street", "town": "Exampleton", "postcode": "XX1 1XX"},
            },
            {
                "ref": "h1",
                "role": "household_member",
                "first_name": "Sky",
                "age": 15,
                "lives_with": ["s1"],
            },
        ],
        access=[],
    )
    path = tmp_path / "journey.json"
    path.write_text(json.dumps(data))
    return path


def open_and_submit(page, action_suffix: str, fields: dict, summary: str):
    page.locator("summary", has_text=summary).first.click()
    form = page.locator(f"form[action$='{action_suffix}']").first
    for name, value in fields.items():
        element = form.locator(f"[name={name}]")
        if element.evaluate("e => e.tagName") == "SELECT":
            element.select_option(value)
        else:
            element.fill(value)
    form.locator("button").first.click()


def test_a_referral_from_upload_to_closure(
    live_server, page, supervisor, referral_file, screenshot
):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "sam")
    page.fill("#id_password", PASSWORD)
    page.click("button:has-text('Sign in')")

    page.goto(f"{live_server.url}/referrals/import/")
    page.set_input_files("#id_files", str(referral_file))
    page.click("button:has-text('Import')")
    page.click("text=NCA-JOURNEY-1")
    assert "Very high" in page.inner_text("[data-testid=risk-grade]")
    assert "Sky" in page.inner_text("[data-testid=children]")
    assert "Not yet" in page.inner_text("[data-testid=children]")

    open_and_submit(
        page,
        "/social-care-referrals/",
        {
            "authority": "Exampleshire Children's Services",
            "method": "mash",
            "what_was_shared": "Suspect lives with his sister, 15.",
        },
        "Information shared with children's social care",
    )
    assert "Social care referral recorded." in page.inner_text("main")
    open_and_submit(page, "/strategy-discussions/", {}, "Strategy discussion requested")
    assert "Strategy discussion request recorded." in page.inner_text("main")
    open_and_submit(page, "/lado-referrals/", {"authority": "Exampleshire"}, "LADO told")
    assert "LADO referral recorded." in page.inner_text("main")
    open_and_submit(page, "/actions/", {"kind": "arrest"}, "An investigative action")
    assert "Action recorded." in page.inner_text("main")

    open_and_submit(
        page,
        "/releases/",
        {"kind": "pre_charge_bail", "address": "1 High Street, Exampleton", "postcode": "XX1 1XX"},
        "Release of the suspect",
    )
    message = page.inner_text("main")
    assert "Not recorded: a child lives at or visits this address (h1)" in message
    assert "Pre-charge bail" not in page.inner_text("[data-testid=timeline]")

    page.fill("textarea[name=decision]", "Section 47 enquiry; strategy discussion to follow.")
    page.click("button:has-text('Record decision')")
    assert "Social care's decision recorded." in page.inner_text("main")

    open_and_submit(
        page,
        "/outcome/",
        {"outcome": "1", "rationale": "Charged with making indecent images; remanded."},
        "Close with an outcome",
    )
    assert "The referral is closed." in page.inner_text("main")
    assert "Closed: outcome 1" in page.inner_text("[data-testid=outcome]")
    timeline = page.inner_text("[data-testid=timeline]")
    for step in (
        "Shared with social care",
        "Strategy discussion requested",
        "LADO told",
        "Arrest",
        "Social care decided",
        "Closed: outcome 1",
    ):
        assert step in timeline
    screenshot("referral-closed")
    assert page.csp_violations == []
