"""An intake officer signs in, uploads a CyberTipline package and finds the referral."""

import io
import zipfile

import pytest

from vigil.accounts.models import Force, User
from vigil.intake.synth import Synthesiser

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery staple"


@pytest.fixture
def officer(transactional_db):
    force = Force.objects.create(code="XF", name="Exampleshire Police", region="North")
    user = User(username="ivy", role="intake_officer", force=force, first_name="Ivy")
    user.set_password(PASSWORD)
    user.save()
    return user


@pytest.fixture
def package(tmp_path):
    from datetime import date

    report_id, files = Synthesiser(11, until=date(2026, 11, 1)).cybertip_package(1)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in files.items():
            archive.writestr(f"{report_id}/{name}", content)
    path = tmp_path / f"{report_id}.zip"
    path.write_bytes(buffer.getvalue())
    return report_id, path


def test_sign_in_upload_a_package_and_find_the_referral(
    live_server, page, officer, package, screenshot
):
    report_id, path = package
    page.goto(f"{live_server.url}/")
    assert "Sign in" in page.title()
    page.fill("#id_username", "ivy")
    page.fill("#id_password", PASSWORD)
    page.click("button:has-text('Sign in')")
    page.wait_for_url(f"{live_server.url}/worklist/")
    page.click("nav >> text=Referrals")
    assert "0 referrals" in page.inner_text("[data-testid=referral-count]")

    page.click("text=Import referrals")
    page.set_input_files("#id_files", str(path))
    page.click("button:has-text('Import')")
    result = page.inner_text("[data-testid=import-result]")
    assert "1 new, 0 already held, 0 rejected" in result
    screenshot("import-result")

    page.click("text=Referrals")
    page.select_option("#id_source", "ncmec")
    page.click("button:has-text('Filter')")
    page.click(f"text={report_id}")
    assert page.inner_text("[data-testid=referral-reference]") == report_id
    documents = page.inner_text("[data-testid=documents]")
    assert "report.xml" in documents and "fileDetails-1.xml" in documents
    assert "Suspect" in page.inner_text("main")
    screenshot("referral-page")
    # The page's styles and scripts loaded from Vigil itself, under the strict policy.
    assert page.evaluate("document.body.classList.contains('govuk-frontend-supported')")
    assert page.csp_violations == []


def test_a_wrong_password_is_refused_plainly(live_server, page, officer):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "ivy")
    page.fill("#id_password", "not the password")
    page.click("button:has-text('Sign in')")
    assert "Enter a correct username and password" in page.inner_text(".govuk-error-summary")
