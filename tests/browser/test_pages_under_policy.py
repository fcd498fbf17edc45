"""Every main page loads in the browser under the strict Content-Security-Policy: no violation,
nothing inline."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.conftest import referral_data, store
from vigil.accounts.models import Force, User

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "correct horse battery staple"


@pytest.fixture
def people(transactional_db):
    force = Force.objects.create(code="XF", name="Exampleshire Police", region="North")
    made = {}
    for role in ("unit_head", "auditor"):
        user = User(username=role, role=role, force=force)
        user.set_password(PASSWORD)
        user.save()
        made[role] = user
    referral, _ = store(
        referral_data(received_at=(timezone.now() - timedelta(days=1)).isoformat()),
        as_of=timezone.now(),
    )
    made["referral"] = referral
    return made


def sign_in(page, live_server, username):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button:has-text('Sign in')")


def test_every_page_loads_without_a_policy_violation(live_server, page, people):
    sign_in(page, live_server, "unit_head")
    for path in (
        "/worklist/",
        "/worklist/?tab=unallocated",
        "/worklist/breaches/",
        "/worklist/notifications/",
        "/referrals/",
        f"/referrals/{people['referral'].pk}/",
        "/referrals/import/",
        "/risk/assurance/",
        "/risk/quality-checks/",
    ):
        response = page.goto(f"{live_server.url}{path}")
        assert response.status == 200, path
        assert page.evaluate("document.querySelectorAll('script:not([src])').length") == 0, path
    sign_in(page, live_server, "auditor")
    assert page.goto(f"{live_server.url}/audit/").status == 200
    assert page.csp_violations == []
