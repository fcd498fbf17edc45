"""A unit head opens the dashboard: charts drawn, tables beside them, nothing inline."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.conftest import low_risk, store
from vigil.accounts.models import Force, User

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "correct horse battery staple"


@pytest.fixture
def unit_head(transactional_db):
    force = Force.objects.create(code="XF", name="Exampleshire Police", region="North")
    user = User(username="uma", role="unit_head", force=force)
    user.set_password(PASSWORD)
    user.save()
    for days in (5, 40, 70, 100, 130, 160):
        received = timezone.now() - timedelta(days=days)
        store(low_risk(received) | {"source_reference": f"NCA-{days}"}, as_of=received)
    return user


def test_the_dashboard_opens_with_its_charts(live_server, page, unit_head, screenshot):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "uma")
    page.fill("#id_password", PASSWORD)
    page.click("button:has-text('Sign in')")
    page.goto(f"{live_server.url}/insight/")
    assert "Demand, timeliness and outcomes" in page.inner_text("h1")
    charts = page.locator("img.vigil-chart")
    assert charts.count() >= 4
    for index in range(charts.count()):
        assert charts.nth(index).evaluate("img => img.complete && img.naturalWidth > 0")
    assert "6" in page.inner_text("[data-testid=table-demand_monthly]")
    screenshot("dashboard")
    assert page.csp_violations == []
