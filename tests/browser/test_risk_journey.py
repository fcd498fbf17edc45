"""An assessor sees why a referral is graded as it is, records a child at home, and sees the
grade rise with the reason."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.conftest import referral_data, store
from vigil.accounts.models import Force, User

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "correct horse battery staple"


@pytest.fixture
def referral(transactional_db):
    force = Force.objects.create(code="XF", name="Exampleshire Police", region="North")
    user = User(username="ash", role="assessor", force=force)
    user.set_password(PASSWORD)
    user.save()
    data = referral_data(
        received_at=(timezone.now() - timedelta(days=1)).isoformat(),
        subjects=[
            {
                "ref": "s1",
                "role": "suspect",
                "first_name": "Sam",
                "last_name": "Suspect",
                "date_of_birth": "1980-04-02",
                "works_with_children": False,
                "history_established": True,
                "access_established": True,
            }
        ],
        access=[],
        indicators=[],
        material=[],
        incident={"type": "csam_possession", "escalated": False},
    )
    return store(data, as_of=timezone.now())[0]


def test_an_assessor_records_a_child_at_home_and_the_grade_rises(
    live_server, page, referral, screenshot
):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "ash")
    page.fill("#id_password", PASSWORD)
    page.click("button:has-text('Sign in')")
    page.goto(f"{live_server.url}/referrals/{referral.pk}/")
    assert "Medium" in page.inner_text("[data-testid=risk-grade]")
    assert "Provisional" in page.inner_text("[data-testid=risk-grade]")

    page.click("text=Someone who lives with the suspect")
    form = page.locator("form[action$='/household-members/']")
    form.locator("input[name=first_name]").fill("Kit")
    form.locator("input[name=age]").fill("6")
    form.locator("input[name=source]").fill("household visit")
    form.locator("button").click()

    grade = page.inner_text("[data-testid=risk-grade]")
    assert "High" in grade
    assert "lives with a child aged 6 (household visit" in page.inner_text(
        "[data-testid=risk-sentence]"
    )
    assert "Lives with anyone under 18: not known → yes" in page.inner_text(
        "[data-testid=risk-history]"
    )
    screenshot("referral-risk-panel")
    assert page.csp_violations == []
