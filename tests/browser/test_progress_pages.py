"""Long work started from a page shows its progress there and survives a reload (issue 16,
point 6): the page asks again by itself (htmx, within the Content-Security-Policy)."""

import json

import pytest

from tests.browser.test_case_journey import PASSWORD
from tests.conftest import referral_data
from vigil.accounts.models import Force, User
from vigil.core.background import run_ready_tasks

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_background_import_page_updates_itself_and_a_reload_shows_the_same(
    live_server, page, tmp_path
):
    force = Force.objects.create(code="XF", name="Exampleshire Police", region="North")
    officer = User(username="ira", role="intake_officer", force=force)
    officer.set_password(PASSWORD)
    officer.save()
    upload = tmp_path / "three.jsonl"
    upload.write_text(
        "\n".join(json.dumps(referral_data(source_reference=f"NCA-PAGE-{n}")) for n in range(3))
    )
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "ira")
    page.fill("#id_password", PASSWORD)
    page.click("button:has-text('Sign in')")
    page.goto(f"{live_server.url}/referrals/import/")
    page.set_input_files("#id_files", str(upload))
    page.check("#id_in_background")
    page.click("button:has-text('Import')")
    page.wait_for_selector("[data-testid=batch-progress][data-state=waiting]")

    page.reload()
    page.wait_for_selector("[data-testid=batch-progress][data-state=waiting]")
    assert run_ready_tasks() == 1
    # No reload: the page asks again by itself and shows what became of each file.
    page.wait_for_selector("[data-testid=batch-progress][data-state=finished]", timeout=15_000)
    assert "3 new" in page.inner_text("[data-testid=batch-progress]")
    page.reload()
    assert "3 new" in page.inner_text("[data-testid=batch-progress]")
    assert page.csp_violations == []
