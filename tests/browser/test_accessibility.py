"""Every page at zero axe-core violations of WCAG 2.2 AA (issue 16, point 5), with demo data
so each page has something on it; and every page Vigil serves is on the list, so a new page
cannot be added without being checked."""

import pytest
from django.core.management import call_command
from django.urls import get_resolver

from tests.browser.accessibility import axe_violations
from vigil.accounts.models import User
from vigil.intake.models import ImportBatch
from vigil.people.models import Person
from vigil.referrals.models import Referral
from vigil.site.management.commands.demo import DEMO_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Routes that are not pages: a form's POST target, or a file to download.
NOT_PAGES = {
    "logout",
    "bulk-allocate",
    "join",
    "leave-investigation",
    "mail-retry",
    "prepare-inspection",
    "chart",
    "export",
    "prepared-report",
    "worklist-csv",
    # A part of the dashboard it asks for again while a pack is prepared (checked there).
    "prepared-reports",
}


def page_names() -> set[str]:
    """Every named route outside the API whose view is not a recording (``record_*``: POST)."""
    names = set()

    def walk(patterns, prefix=""):
        for entry in patterns:
            if hasattr(entry, "url_patterns"):
                walk(entry.url_patterns, prefix + str(entry.pattern))
            elif (
                not (prefix + str(entry.pattern)).startswith("api/")
                and not entry.callback.__name__.startswith("record_")
                and entry.name
            ):
                names.add(entry.name)

    walk(get_resolver().url_patterns)
    return names - NOT_PAGES


@pytest.fixture
def demo(transactional_db):
    call_command("demo", referrals=12, verbosity=0)
    investigator = User.objects.get(username="investigator")
    referral = (
        Referral.objects.filter(owner=investigator).order_by("received_at").first()
        or Referral.objects.filter(force__code="XF").first()
    )
    return {"referral": referral, "person": Person.objects.filter(referral=referral).first()}


def pages_to_check(demo) -> list[tuple[str, str, str]]:
    """(route name, who looks, the address): at least one address for every page."""
    referral, person = demo["referral"], demo["person"]
    return [
        ("login", "", "/accounts/login/"),
        ("home", "administrator", "/"),
        ("search", "investigator", "/search/?q=example"),
        ("referral-list", "investigator", "/referrals/"),
        ("referral-detail", "investigator", f"/referrals/{referral.pk}/"),
        ("referral-detail", "supervisor", f"/referrals/{referral.pk}/"),
        ("person-detail", "investigator", f"/people/{person.pk}/"),
        ("worklist", "investigator", "/worklist/"),
        ("worklist", "investigator", "/worklist/?tab=team"),
        ("worklist", "supervisor", "/worklist/?tab=force&state=overdue"),
        ("worklist", "supervisor", "/worklist/?tab=unallocated"),
        ("worklist", "supervisor", "/worklist/?tab=provisional"),
        ("worklist", "supervisor", "/worklist/?tab=overrides"),
        ("breaches", "supervisor", "/worklist/breaches/"),
        ("notifications", "supervisor", "/worklist/notifications/"),
        ("mail-failures", "administrator", "/worklist/notifications/mail/"),
        ("import", "intake_officer", "/referrals/import/"),
        ("import-batch", "intake_officer", "/referrals/import/batches/{batch}/"),
        ("unknown-values", "administrator", "/referrals/unknown-values/"),
        ("assurance", "unit_head", "/risk/assurance/"),
        ("quality-checks", "supervisor", "/risk/quality-checks/"),
        ("audit", "auditor", "/audit/"),
        ("dashboard", "unit_head", "/insight/"),
        ("dashboard", "regional_oversight", "/insight/"),
        ("second-factor-setup", "supervisor", "/accounts/two-factor/setup/"),
        ("second-factor", "supervisor", "/accounts/two-factor/"),
        ("preferences", "investigator", "/accounts/settings/"),
        ("queue", "supervisor", "/referrals/devices/"),
    ]


def test_every_page_is_on_the_accessibility_list(demo):
    listed = {name for name, _, _ in pages_to_check(demo)}
    assert page_names() - listed == set(), "pages not checked by axe-core"


def sign_in(page, base: str, username: str) -> None:
    page.context.clear_cookies()
    if not username:
        return
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("button:has-text('Sign in')")
    page.wait_for_load_state()


def start_an_import_batch(page, base: str, tmp_path) -> int:
    upload = tmp_path / "empty.json"
    upload.write_text("{}")
    page.goto(f"{base}/referrals/import/")
    page.set_input_files("#id_files", str(upload))
    page.check("#id_in_background")
    page.click("button:has-text('Import')")
    page.wait_for_url("**/import/batches/*/")
    return ImportBatch.objects.latest("pk").pk


def test_every_page_has_no_wcag_22_aa_violations(live_server, browser, demo, tmp_path):
    context = browser.new_context(viewport={"width": 1280, "height": 1000}, bypass_csp=True)
    page = context.new_page()
    found = {}
    batch = None
    for _, username, address in pages_to_check(demo):
        sign_in(page, live_server.url, username)
        if "{batch}" in address:
            batch = batch or start_an_import_batch(page, live_server.url, tmp_path)
            address = address.format(batch=batch)
        response = page.goto(f"{live_server.url}{address}")
        assert response.status < 400, f"{address} as {username or 'nobody'}: {response.status}"
        # The page asked for, not one it sent us on to (which would leave it unchecked).
        assert page.url.removeprefix(live_server.url) == address, page.url
        violations = axe_violations(page)
        if violations:
            found[f"{address} as {username or 'nobody'}"] = violations
    context.close()
    assert found == {}
